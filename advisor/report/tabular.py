"""CSV and JSON reports: the same candidate rows, in the same order, through one pandas frame."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from advisor.report.document import candidate_rows, generated_at, report_kind, row_columns, title_of


def rows_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """The candidate rows as a frame; object dtype keeps ints as ints and missing values as None."""
    rows = candidate_rows(document)
    return pd.DataFrame(rows, columns=row_columns(rows), dtype=object)


def write_csv(document: Mapping[str, Any], path: Path) -> list[Path]:
    """One header line and one line per candidate; no timestamp, so the bytes are reproducible."""
    frame = rows_frame(document)
    path.write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return [path]


def write_json(document: Mapping[str, Any], path: Path) -> list[Path]:
    """The rows (as in the CSV) with everything needed to read them: question, target, provenance,
    probe run and environment. The timestamp is the single `generated_at` line."""
    frame = rows_frame(document)
    # to_dict keeps the exact Python values (to_json would round floats to 15 digits).
    rows = frame.to_dict(orient="records")
    report = {
        "generated_at": generated_at(document),
        "title": title_of(document),
        "kind": report_kind(document),
        "query": document.get("query") or {},
        "target": document.get("target") or {},
        "columns": list(frame.columns),
        "rows": rows,
        "provenance": document.get("provenance") or [],
        "probe": document.get("probe"),
        "environment": document.get("environment") or {},
    }
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return [path]
