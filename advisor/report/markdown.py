"""Markdown reports for pull requests and wikis: tables, with the charts as SVG files beside it.

Catalog text is untrusted and Markdown renderers pass inline HTML through, so every cell writes
&, < and > as entities (inert in every renderer) and Markdown punctuation with backslashes; both
are reversible, which the round-trip test relies on. Newlines, which would end a table row, are
flattened to spaces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor.report import charts
from advisor.report.document import (
    accuracy_direction,
    accuracy_label,
    candidate_rows,
    extra_columns,
    generated_at,
    latency_budget,
    per_class_table,
    question_items,
    title_of,
    unplotted,
)
from advisor.report.formatting import cell_text, column_label, provenance_rows, shared_warnings, summary_lines

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#!~])")
SAFE_URL = re.compile(r"^https?://[^\s<>()\[\]\\`]+$")

TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "Rank"),
    ("id", "Model"),
    ("accuracy", "Accuracy"),
    ("accuracy_kind", "Accuracy kind"),
    ("latency_ms", "Latency (ms)"),
    ("latency_kind", "Latency kind"),
    ("size_mb", "Size (MB)"),
    ("size_kind", "Size kind"),
    ("memory_mb", "Memory (MB)"),
    ("params", "Params"),
    ("gmacs", "GMACs"),
    ("license", "Licence"),
    ("pareto", "Pareto"),
    ("score", "Score"),
)


def md_escape(value: Any) -> str:
    """One table cell: backslash-escaped, on one line."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(md_escape(v) for v in row) + " |" for row in rows]
    return lines


def _link(source: str) -> str:
    return f"[{md_escape(source)}]({source})" if SAFE_URL.match(source) else md_escape(source)


def write_markdown(document: Mapping[str, Any], path: Path) -> list[Path]:
    """report.md plus report-accuracy-latency.svg and report-size-params.svg beside it (when drawable)."""
    rows = candidate_rows(document)
    written: list[Path] = []
    lines = [f"# {md_escape(title_of(document))}", "", f"Generated {generated_at(document)} by model-advisor.", ""]
    lines += ["## The question", ""] + md_table(("Asked", "Value"), question_items(document)) + [""]
    lines += ["## Recommendation", ""] + [f"- {md_escape(line)}" for line in summary_lines(document, rows)] + [""]

    lines += ["## Comparison", ""]
    probe_columns = extra_columns(rows)
    headers = [accuracy_label(document) if key == "accuracy" else label for key, label in TABLE_COLUMNS]
    headers += [column_label(c) for c in probe_columns]
    keys = [key for key, _ in TABLE_COLUMNS] + probe_columns
    lines += md_table(headers, [[cell_text(key, row.get(key)) for key in keys] for row in rows]) + [""]
    lines += _why_section(document)

    scatter = charts.accuracy_latency_svg(
        rows, accuracy_label(document), accuracy_direction(document), latency_budget(document)
    )
    sizes = charts.size_params_svg(rows)
    lines += ["## Charts", ""]
    for chart, suffix, alt in (
        (scatter, "accuracy-latency", "Accuracy versus latency with the Pareto front"),
        (sizes, "size-params", "Parameters and weights size"),
    ):
        if chart is None:
            lines += [f"_{alt}: no candidate has the figures to draw it._", ""]
            continue
        chart_path = path.with_name(f"{path.stem}-{suffix}.svg")
        chart_path.write_text(str(chart) + "\n", encoding="utf-8")
        written.append(chart_path)
        lines += [f"![{alt}]({chart_path.name})", ""]
        if suffix == "accuracy-latency" and unplotted(rows):
            missing = ", ".join(md_escape(i) for i in unplotted(rows))
            lines += [f"Not plotted, for want of an accuracy or a latency figure: {missing}.", ""]

    probe = document.get("probe") or {}
    if probe.get("results"):
        lines += _probe_section(probe)
    lines += ["## Provenance", "", "Every figure above with its kind, source, date and device.", ""]
    lines += _provenance_table(document) + [""]
    lines += ["## Environment", ""] + md_table(
        ("Item", "Value"), [(k, "-" if v is None else v) for k, v in (document.get("environment") or {}).items()]
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path, *written]


def _why_section(document: Mapping[str, Any]) -> list[str]:
    """Each candidate's explanation and its own warnings as a list (a table cell is no place for
    a paragraph); warnings every candidate shares are said once, first."""
    shared = shared_warnings(document)
    lines = ["### Why each candidate", ""]
    if shared:
        lines += ["Warnings for every candidate:", ""] + [f"- {md_escape(w)}" for w in shared] + [""]
    for candidate in document.get("candidates") or []:
        explanation = candidate.get("explanation") or "no explanation given"
        lines.append(f"{candidate.get('rank')}. {md_escape(candidate.get('id'))}: {md_escape(explanation)}")
        lines += [
            f"    - Warning: {md_escape(w)}" for w in map(str, candidate.get("warnings") or []) if w not in shared
        ]
    return lines + [""]


def _provenance_table(document: Mapping[str, Any]) -> list[str]:
    headers = ("Model", "Figure", "Value", "Kind", "Source", "Obtained", "Device")
    rows = provenance_rows(document)
    if not rows:
        return ["_The engine gave no provenance records._"]
    lines = md_table(headers, [])
    for row in rows:
        cells = [
            md_escape(row[0]),
            md_escape(row[1]),
            md_escape(row[2]),
            md_escape(row[3]),
            _link(str(row[4])),
            md_escape(row[5]),
            md_escape(row[6]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _probe_section(probe: Mapping[str, Any]) -> list[str]:
    run = probe.get("run") or {}
    lines = ["## Probe results on your dataset", ""]
    lines += md_table(
        ("Run", "Value"), [(k, "-" if v is None else v) for k, v in run.items() if not isinstance(v, (dict, list))]
    ) + [""]
    for result in probe.get("results") or []:
        columns, table = per_class_table(result.get("metrics"))
        if not table:
            continue
        lines += [f"### Per-class metrics: {md_escape(result.get('id'))} ({md_escape(result.get('mode') or '-')})", ""]
        lines += md_table(
            ["class", *columns], [[cls, *(cell_text(c, v) for c, v in zip(columns, values))] for cls, values in table]
        ) + [""]
    return lines
