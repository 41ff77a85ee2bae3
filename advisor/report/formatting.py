"""Display text shared by the Markdown and HTML reports, so both show a figure the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    if key in ("size_mb", "probe_duration_s"):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"


def latency_text(row: Mapping[str, Any]) -> str:
    """'12.3 ms (estimated, 9.1-15.0)' or '-'."""
    if row.get("latency_ms") is None:
        return "-"
    text = f"{cell_text('latency_ms', row['latency_ms'])} ms"
    details = [str(row["latency_kind"])] if row.get("latency_kind") else []
    if row.get("latency_low_ms") is not None and row.get("latency_high_ms") is not None:
        details.append(f"{cell_text('latency_ms', row['latency_low_ms'])}-{cell_text('latency_ms', row['latency_high_ms'])}")
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
        front = sum(1 for r in candidates if r.get("pareto"))
        lines.append(f"{front} of {len(candidates)} candidates are on the Pareto front (no other candidate is better on every axis).")
    for key in ("warnings", "notes"):
        for item in document.get(key) or []:
            lines.append(f"Note: {item}")
    return lines


def provenance_rows(document: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """(model, figure, value, kind, source, obtained, device) per provenance record, in engine order."""
    rows: list[tuple[str, ...]] = []
    for p in document.get("provenance") or []:
        value = p.get("value")
        rows.append(tuple("-" if v is None or v == "" else str(v) for v in (
            p.get("id"), p.get("figure"), cell_text(str(p.get("figure") or ""), value) if isinstance(value, (int, float)) else value,
            p.get("kind"), p.get("source"), p.get("obtained_at"), p.get("device"),
        )))
    return rows
