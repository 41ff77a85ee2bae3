"""`advisor catalog export`: the whole catalog as JSON Lines (full detail) or CSV (one row a model)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import UsageError
from catalog.queries import get_model
from catalog.schema import Model

CSV_COLUMNS = ["id", "source", "name", "tasks", "domains", "family", "params", "gmacs", "size_mb",
               "license", "origin", "downloads", "pretrain_datasets"]


def _details(session: Session) -> Iterator[dict]:
    ids = session.scalars(select(Model.id).order_by(Model.id)).all()
    for model_id in ids:
        detail = asdict(get_model(session, model_id))
        detail.update(detail.pop("summary"))
        yield detail


def export_catalog(session: Session, path: Path) -> int:
    """Write the catalog to `path` atomically; the suffix picks the format."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", ".json"):
        raise UsageError(f"Export to .jsonl, .json or .csv, not '{path.suffix or path.name}'.")
    if not path.parent.exists():
        raise UsageError(f"The folder {path.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    count = 0
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        if suffix == ".csv":
            import pandas as pd

            rows = []
            for d in _details(session):
                rows.append({c: ";".join(d[c]) if isinstance(d[c], list) else d[c] for c in CSV_COLUMNS})
            pd.DataFrame(rows, columns=CSV_COLUMNS).to_csv(fh, index=False)
            count = len(rows)
        else:
            for d in _details(session):
                fh.write(json.dumps(d, default=str, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
    os.replace(tmp, path)
    return count
