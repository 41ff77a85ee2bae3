"""The HTML report: one self-contained page (inline CSS, inline SVG, no script, no fetches).

Jinja2 autoescaping is on for every value, and a Content-Security-Policy meta tag forbids scripts
and any network access, so hostile catalog text (a model named `<script>...`) shows as text and
could not run or phone home even if an escape were missed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
    report_kind,
    title_of,
    unplotted,
)
from advisor.report.environment import tool_version
from advisor.report.formatting import cell_text, column_label, provenance_rows, shared_warnings, summary_lines

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report.html.j2"
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$")
KNOWN_KINDS = ("measured", "estimated", "reported", "probe", "computed")


def kind_class(kind: Any) -> str:
    """A CSS class for a figure kind; unknown (possibly hostile) kinds get the neutral style."""
    return f"kind-{kind}" if kind in KNOWN_KINDS else "kind-other"


def safe_url(value: Any) -> str | None:
    """The value when it is a plain http(s) URL (so never javascript: or data:), else None."""
    text = str(value or "")
    return text if _SAFE_URL.match(text) else None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,  # catalog text is untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(cell=lambda value, key="": cell_text(key, value), kind_class=kind_class, safe_url=safe_url)
    env.filters.update(column_label=column_label)
    env.globals.update(zip=zip)
    return env


def _grouped(rows: list[tuple[str, ...]]) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Provenance rows grouped by model, in first-seen order, so the page names each model once."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row[1:])
    return list(groups.items())


def render_html(document: Mapping[str, Any]) -> str:
    """The page as a string."""
    rows = candidate_rows(document)
    shared = shared_warnings(document)
    probe = document.get("probe") or {}
    per_class = []
    for result in probe.get("results") or []:
        columns, table = per_class_table(result.get("metrics"))
        if table:
            per_class.append({"result": result, "columns": columns, "rows": table})
    return (
        _environment()
        .get_template(TEMPLATE_NAME)
        .render(
            title=title_of(document),
            kind=report_kind(document),
            generated_at=generated_at(document),
            version=tool_version(),
            question=question_items(document),
            # The card shows the top pick, its reason and warnings; the rest of the summary follows it.
            summary=[
                line
                for line in summary_lines(document, rows)
                if not (rows and line.startswith(("Top pick: ", "Why: ", "Warnings: ")))
            ],
            shared_warnings=shared,
            warnings_by_id={
                c.get("id"): [str(w) for w in c.get("warnings") or [] if str(w) not in shared]
                for c in document.get("candidates") or []
            },
            top=next((r for r in rows if r.get("rank") is not None), None),
            rows=rows,
            probe_columns=extra_columns(rows),
            scatter=charts.accuracy_latency_svg(
                rows, accuracy_label(document), accuracy_direction(document), latency_budget(document)
            ),
            sizes=charts.size_params_svg(rows),
            unplotted=unplotted(rows),
            accuracy_label=accuracy_label(document),
            probe_run=probe.get("run") or {},
            probe_results=probe.get("results") or [],
            per_class=per_class,
            provenance=_grouped(provenance_rows(document)),
            environment=document.get("environment") or {},
        )
    )


def write_html(document: Mapping[str, Any], path: Path) -> list[Path]:
    path.write_text(render_html(document), encoding="utf-8")
    return [path]
