"""The embedded catalog: a reviewable JSON Lines snapshot in data/, loaded into an empty store.

`catalog.jsonl` holds one model per line, sorted by id, keys sorted, so a rebuild shows up as a
readable diff; `catalog-meta.json` records what built it and a digest the store remembers, so a
newer snapshot (after an upgrade) is loaded once and an unchanged one is never re-read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import datetime, timezone
from importlib.util import find_spec
from pathlib import Path

from catalog.errors import StoreError
from catalog.records import (
    BenchmarkRecord,
    FigureKind,
    MetricRecord,
    ModelRecord,
    Provenance,
)

SNAPSHOT_FILE = "catalog.jsonl"
META_FILE = "catalog-meta.json"
STATE_KEY = "snapshot"


def embedded_data_dir() -> Path:
    """data/ of the source tree (editable install) or the installed `model_advisor_data` package."""
    spec = find_spec("model_advisor_data")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "data"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def record_to_dict(record: ModelRecord) -> dict:
    data = asdict(record)
    data["provenance"] = {
        k: {"kind": p.kind.value, "source": p.source, "obtained_at": p.obtained_at}
        for k, p in record.provenance.items()
    }
    for row in data["metrics"] + data["benchmarks"]:
        row["kind"] = row["kind"].value
    data["metrics"] = [{k: v for k, v in m.items() if v is not None} for m in data["metrics"]]
    data["benchmarks"] = [{k: v for k, v in b.items() if v is not None} for b in data["benchmarks"]]
    return {k: v for k, v in data.items() if v not in (None, (), [], {})}


def record_from_dict(data: dict) -> ModelRecord:
    fields = dict(data)
    for key in ("tasks", "domains", "pretrain_datasets", "papers"):
        fields[key] = tuple(fields.get(key, ()))
    for key in ("input_size", "test_input_size"):
        if fields.get(key) is not None:
            fields[key] = tuple(fields[key])
    for key in ("updated_at", "created_at"):
        fields[key] = _dt(fields.get(key))
    fields["provenance"] = {
        k: Provenance(FigureKind(p["kind"]), p["source"], _dt(p.get("obtained_at")))
        for k, p in fields.get("provenance", {}).items()
    }
    fields["metrics"] = tuple(
        MetricRecord(**{**m, "kind": FigureKind(m["kind"]), "obtained_at": _dt(m.get("obtained_at"))})
        for m in fields.get("metrics", ())
    )
    fields["benchmarks"] = tuple(
        BenchmarkRecord(**{**b, "kind": FigureKind(b["kind"]), "obtained_at": _dt(b.get("obtained_at"))})
        for b in fields.get("benchmarks", ())
    )
    return ModelRecord(**fields)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_snapshot(records: Iterable[ModelRecord], directory: Path, meta: dict) -> Path:
    """Write catalog.jsonl and catalog-meta.json atomically (temp file + rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = sorted(
        json.dumps(record_to_dict(r), sort_keys=True, default=_json_default, ensure_ascii=False)
        for r in records
    )
    body = ("\n".join(lines) + "\n").encode()
    meta = {**meta, "sha256": hashlib.sha256(body).hexdigest(), "models": len(lines)}
    for name, payload in ((SNAPSHOT_FILE, body), (META_FILE, (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the snapshot is shipped and read by everyone
        os.replace(tmp, directory / name)
    return directory / SNAPSHOT_FILE


def read_meta(directory: Path | None = None) -> dict | None:
    path = (directory or embedded_data_dir()) / META_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())


def read_snapshot(directory: Path | None = None) -> Iterator[ModelRecord]:
    path = (directory or embedded_data_dir()) / SNAPSHOT_FILE
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield record_from_dict(json.loads(line))


def load_snapshot_into(store, directory: Path | None = None) -> int:
    """Replace the offline sources' entries with the snapshot's, in one transaction."""
    from catalog.schema import SyncState
    from catalog.writer import remove_stale, write_records

    meta = read_meta(directory)
    if meta is None:
        raise StoreError("No embedded catalog snapshot was found; run `advisor catalog build`.")
    records = list(read_snapshot(directory))
    by_source: dict[str, list[ModelRecord]] = {}
    for record in records:
        by_source.setdefault(record.source, []).append(record)
    with store.session() as session:
        hub = _hub_enrichment(session)
        for source, group in sorted(by_source.items()):
            write_records(session, group, origin=source)
            # Entries a Hub sync created (timm repos the installed timm does not know) are the sync's.
            remove_stale(session, source, {r.id for r in group} | set(hub))
        _restore_hub_enrichment(session, hub)
        if "timm" in by_source:
            _import_shipped_timm_results(session)
        state = session.get(SyncState, STATE_KEY) or SyncState(key=STATE_KEY)
        state.value = {
            "sha256": meta["sha256"],
            "models": len(records),
            "built_at": meta.get("built_at"),
            "path": str((directory or embedded_data_dir()).resolve()),
        }
        state.updated_at = datetime.now(timezone.utc).replace(tzinfo=None)
        session.merge(state)
    return len(records)


HUB_FIELDS = ("downloads", "likes", "updated_at", "created_at")


def _hub_enrichment(session) -> dict[str, dict]:
    """What a Hub sync wrote onto offline-source entries (popularity, dates, extra["hub"]), by id.

    A snapshot reload rewrites those entries from the snapshot, which knows nothing of the Hub; an
    incremental sync would not bring the figures back for repos that did not change since."""
    from sqlalchemy import select

    from catalog.schema import Model

    rows = session.execute(select(Model.id, *(getattr(Model, f) for f in HUB_FIELDS), Model.extra)
                           .where(Model.source.in_(("timm", "torchvision", "cards"))))
    return {row[0]: {**dict(zip(HUB_FIELDS, row[1:-1])), "hub": row[-1]["hub"]}
            for row in rows if isinstance(row[-1], dict) and row[-1].get("hub")}


def _restore_hub_enrichment(session, saved: dict[str, dict]) -> None:
    from sqlalchemy import select, update

    from catalog.schema import Model

    if not saved:
        return
    extras = dict(session.execute(select(Model.id, Model.extra).where(Model.id.in_(list(saved)))).all())
    session.execute(update(Model), [
        {"id": i, **{f: v for f, v in fields.items() if f != "hub" and v is not None},
         "extra": {**(extras[i] or {}), "hub": fields["hub"]}}
        for i, fields in saved.items() if i in extras
    ])


def _import_shipped_timm_results(session) -> None:
    """timm's published accuracy/benchmark tables shipped in data/reference become the same
    `timm-results` rows a user's `advisor catalog import timm-results` writes (so a later import
    replaces them instead of duplicating them)."""
    from catalog.sources.timm_results import import_timm_results, reference_dir

    tables = sorted(str(p) for p in reference_dir().glob("*.csv"))
    if tables:
        import_timm_results(session, tables)


def snapshot_is_current(state: dict | None, meta: dict | None) -> bool:
    """Whether a store whose snapshot state is `state` needs nothing loaded from the embedded one."""
    if meta is None:
        return True
    if state and state.get("sha256") == meta["sha256"]:
        return True
    # The user built and loaded a snapshot of their own: never overwrite it.
    return bool(state and state.get("path") not in (None, str(embedded_data_dir().resolve())))


def ensure_snapshot_loaded(store) -> None:
    """Load the embedded snapshot when the store has never seen this version of it."""
    from sqlalchemy import select

    from catalog.schema import SyncState

    meta = read_meta()
    if meta is None:
        return
    with store.session() as session:
        state = session.scalar(select(SyncState.value).where(SyncState.key == STATE_KEY))
    if not snapshot_is_current(state, meta):
        load_snapshot_into(store)
