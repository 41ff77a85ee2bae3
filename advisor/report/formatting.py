"""Display text shared by the Markdown and HTML reports, so both show a figure the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from catalog.units import format_count


def cell_text(key: str, value: Any) -> str:
    """A figure as people read it: counts with suffixes, milliseconds to a sensible precision."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)):
        return str(value)
    if key == "rank":
        return str(int(value))
    if key == "params":
        return format_count(value)
    if key == "score":
        return f"{value:.3f}"
    if key.endswith("_ms"):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"
    if key in ("size_mb", "memory_mb") or key.endswith("duration_s"):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"


_COLUMN_LABELS = {
    "probe_metric": "Probe metric",
    "probe_value": "On your data",
    "probe_mode": "Probe mode",
    "run_mode": "Run mode",
    "run_status": "Run status",
    "run_score": "Run score",
    "run_duration_s": "Run time (s)",
}


def column_label(key: str) -> str:
    """A header for a probe_* / run_* column: run_macro_f1 -> 'Run macro f1'."""
    return _COLUMN_LABELS.get(key) or key.replace("_", " ").capitalize()


def latency_text(row: Mapping[str, Any]) -> str:
    """'12.3 ms (estimated, 9.1-15.0)' or '-'."""
    if row.get("latency_ms") is None:
        return "-"
    text = f"{cell_text('latency_ms', row['latency_ms'])} ms"
    details = [str(row["latency_kind"])] if row.get("latency_kind") else []
    if row.get("latency_low_ms") is not None and row.get("latency_high_ms") is not None:
        details.append(
            f"{cell_text('latency_ms', row['latency_low_ms'])}-{cell_text('latency_ms', row['latency_high_ms'])}"
        )
    return text + (f" ({', '.join(details)})" if details else "")


def summary_lines(document: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The recommendation in words: the top pick with its reason and warnings, and what else to know."""
    candidates = [r for r in rows if r.get("rank") is not None]
    lines: list[str] = []
    if not candidates:
        lines.append("No candidate met the question's constraints; relax a constraint or widen the task.")
    else:
        top = candidates[0]
        lines.append(f"Top pick: {top['id']} (rank 1 of {len(candidates)}).")
        if top.get("explanation"):
            lines.append(f"Why: {top['explanation']}")
        if top.get("warnings"):
            lines.append(f"Warnings: {top['warnings']}")
        total = document.get("total")
        if isinstance(total, int) and total > len(candidates):
            lines.append(f"{total} candidates fit the constraints; the best {len(candidates)} are shown.")
        front = sum(1 for r in candidates if r.get("pareto"))
        lines.append(
            f"{front} of {len(candidates)} shown candidates are on the Pareto front "
            "(no other candidate is better on accuracy, speed and size at once)."
        )
    excluded = {k: v for k, v in (document.get("excluded") or {}).items() if v}
    if excluded:
        lines.append("Left out by the constraints: " + ", ".join(f"{v} by {k}" for k, v in excluded.items()) + ".")
    for key in ("warnings", "notes"):
        for item in document.get(key) or []:
            lines.append(f"Note: {item}")
    return lines


def _when(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value.isoformat()
    return value


def provenance_rows(document: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """(model, figure, value, kind, source, obtained, device) per figure, in engine order; for a
    comparison, every other catalog figure of the models follows the ones the ranking used."""
    records = list(document.get("provenance") or [])
    used = {(p.get("id"), p.get("figure")) for p in records}
    for model_metrics in (document.get("metrics") or {}).values():
        records += [m for m in model_metrics if (m.get("id"), m.get("figure")) not in used]
    target_device = (document.get("target") or {}).get("device")
    rows: list[tuple[str, ...]] = []
    for p in records:
        value = p.get("value")
        device = p.get("device")
        if device is None and p.get("figure") == "latency_ms" and target_device:
            device = f"{target_device} (the target)"  # latency figures are always on the report's target
        rows.append(
            tuple(
                "-" if v is None or v == "" else str(v)
                for v in (
                    p.get("id"),
                    p.get("figure"),
                    cell_text(str(p.get("figure") or ""), value) if isinstance(value, (int, float)) else value,
                    p.get("kind"),
                    p.get("source") or "not recorded",
                    _when(p.get("obtained_at")),
                    device,
                )
            )
        )
    return rows


def shared_warnings(document: Mapping[str, Any]) -> list[str]:
    """Warnings every candidate carries (a licence family, an estimate's caveat), said once on
    the page instead of under each row; only when there are two or more candidates."""
    candidates = document.get("candidates") or []
    if len(candidates) < 2:
        return []
    common = set(map(str, candidates[0].get("warnings") or []))
    for candidate in candidates[1:]:
        common &= set(map(str, candidate.get("warnings") or []))
    return [w for w in map(str, candidates[0].get("warnings") or []) if w in common]
