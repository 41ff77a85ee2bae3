"""Exported comparison reports: HTML, Markdown, CSV, JSON.

`write_report(document, fmt, path)` renders one engine document (the recommend/compare JSON shape
plus provenance, environment and optionally a probe run) in one format. All four formats read the
candidates through `document.candidate_rows`, so they list the same models in the same order, and
apart from the one timestamp line the same document always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from catalog.errors import UsageError

FORMATS: tuple[str, ...] = ("html", "md", "csv", "json")
SUFFIXES: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".csv": "csv",
    ".json": "json",
}


def format_for_path(path: Path) -> str | None:
    """The format a file name implies (report.html -> html), or None."""
    return SUFFIXES.get(path.suffix.lower())


def _writer(fmt: str) -> Callable[[Mapping[str, Any], Path], list[Path]]:
    # Imported per format so an HTML report does not pay for pandas, nor a CSV for jinja2.
    if fmt == "html":
        from advisor.report.html import write_html

        return write_html
    if fmt == "md":
        from advisor.report.markdown import write_markdown

        return write_markdown
    from advisor.report.tabular import write_csv, write_json

    return write_csv if fmt == "csv" else write_json


def write_report(document: Mapping[str, Any], fmt: str, path: Path) -> list[Path]:
    """Write `document` as `fmt` (html | md | csv | json) to `path`; returns every file written
    (Markdown adds its chart SVGs beside the .md file)."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'.")
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name such as {path / ('report.' + fmt)}.")
    if not path.parent.exists():
        raise UsageError(f"The folder {path.parent} does not exist.")
    if not document.get("environment"):
        # A caller without a session (or that forgot) still gets tool, Python, platform and device.
        from advisor.report.environment import basic_environment

        document = {**document, "environment": basic_environment((document.get("target") or {}).get("device"))}
    return _writer(fmt)(document, path)
