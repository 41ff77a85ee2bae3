"""The documents a report can be made of, built from the same engine calls as the CLI and TUI:
a recommendation, a comparison, or a probe run (its models compared, plus the run's results).

Each returns the engine's JSON document with `kind` set; `with_environment` adds the section that
says where the report was produced. The CLI (`advisor report`) and the TUI's export both call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from advisor.report.environment import collect_environment


def recommend_document(session: Session, request: Any) -> dict:
    """`advisor recommend`'s answer to `request` (an advisor.ranking.RecommendRequest)."""
    from advisor.ranking import recommend

    return {"kind": "recommend", **recommend(session, request).to_dict()}


def compare_document(session: Session, model_ids: Sequence[str], device: str | None = None) -> dict:
    """`advisor compare`'s side-by-side document for `model_ids` on `device`."""
    from advisor.ranking import compare

    return {"kind": "compare", **compare(session, list(model_ids), device=device).to_dict()}


def probe_run_document(session: Session, run_id: str, device: str | None = None, *, on_missing=None) -> dict:
    """The run's models compared side by side (catalog figures, latency on `device`) plus the run
    and its results; a run whose models the catalog cannot place is reported on its own, and
    `on_missing(message)` hears why."""
    from benchmarks.runs import get_run
    from catalog.errors import CatalogError

    view = get_run(session, run_id).to_dict()
    results = view.get("results") or []
    ids = list(dict.fromkeys(r["id"] for r in results))
    document: dict[str, Any] = {"candidates": []}
    if ids:
        try:
            document = compare_document(session, ids, device)
        except CatalogError as exc:
            if on_missing is not None:
                on_missing(f"The run's models could not be compared from the catalog ({exc}); reporting the run alone.")
    dataset = view.get("dataset") or {}
    document["kind"] = "probe-run"
    document.setdefault("query", {})["run_id"] = view["run_id"]
    document["probe"] = {
        "run": {
            "id": view["run_id"],
            "task": view.get("task"),
            "dataset": dataset.get("path"),
            "dataset_fingerprint": dataset.get("fingerprint"),
            "mode": view.get("mode"),
            "device": view.get("device"),
            "status": view.get("status"),
            "started_at": view.get("started_at"),
            "finished_at": view.get("finished_at"),
        },
        "results": results,
    }
    return document


def with_environment(session: Session, document: dict) -> dict:
    """The document with its environment section (tool, Python, platform, catalog digest, device)."""
    document["environment"] = collect_environment(session, (document.get("target") or {}).get("device"))
    return document
