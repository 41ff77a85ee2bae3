"""Writing ModelRecords into the store: upsert rows, facets, full-text index, owned figure rows.

A writer (`origin`) owns the metric and benchmark rows it wrote; rewriting a model replaces its
own rows and leaves everyone else's (a user's measurements, probe results, a Hub enrichment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from catalog.records import BenchmarkRecord, MetricRecord, ModelRecord
from catalog.schema import Benchmark, Metric, Model, ModelFacet
from catalog.sqlite_bulk import prepare_rows, write_prepared

CHUNK = 1000  # one Hub page


@dataclass
class WriteSummary:
    added: int = 0
    updated: int = 0

    def __iadd__(self, other: WriteSummary) -> WriteSummary:
        self.added += other.added
        self.updated += other.updated
        return self


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def search_text(record: ModelRecord) -> str:
    """The lower-cased text the portable search path and FTS body are made of."""
    parts = [
        record.name.replace("/", " ").replace(".", " ").replace("_", " ").replace("-", " "),
        record.family or "",
        record.architecture or "",
        " ".join(record.tasks),
        " ".join(record.domains),
        " ".join(record.pretrain_datasets),
        record.origin or "",
        record.library or "",
        record.hub_repo or "",
        record.summary or "",
    ]
    return " ".join(p for p in parts if p).lower()


def model_row(record: ModelRecord, now: datetime) -> dict:
    return {
        "id": record.id,
        "source": record.source,
        "name": record.name,
        "tasks": list(record.tasks),
        "primary_task": record.tasks[0] if record.tasks else None,
        "domains": list(record.domains),
        "modality": record.modality,
        "family": record.family,
        "architecture": record.architecture,
        "params": record.params,
        "gmacs": record.gmacs,
        "activations_m": record.activations_m,
        "input_size": list(record.input_size) if record.input_size else None,
        "test_input_size": list(record.test_input_size) if record.test_input_size else None,
        "size_mb": record.size_mb,
        "license": record.license,
        "pretrain_datasets": list(record.pretrain_datasets),
        "papers": list(record.papers),
        "hub_repo": record.hub_repo,
        "homepage": record.homepage,
        "origin": record.origin,
        "library": record.library,
        "summary": record.summary,
        "num_classes": record.num_classes,
        "downloads": record.downloads,
        "likes": record.likes,
        "updated_at": record.updated_at,
        "created_at": record.created_at,
        "provenance": {
            # obtained_at only when known: a million `"obtained_at": null`s are 40 MB of nothing
            key: {"kind": p.kind.value, "source": p.source, **({"obtained_at": _iso(p.obtained_at)} if p.obtained_at else {})}
            for key, p in record.provenance.items()
        },
        "extra": record.extra,
        "search_text": search_text(record),
        "indexed_at": now,
    }


def metric_row(model_id: str, m: MetricRecord, origin: str, now: datetime) -> dict:
    return {
        "model_id": model_id,
        "task": m.task,
        "dataset": m.dataset,
        "split": m.split,
        "metric": m.metric,
        "value": m.value,
        "higher_is_better": m.higher_is_better,
        "kind": m.kind.value,
        "origin": origin,
        "source": m.source,
        "device": m.device,
        "obtained_at": m.obtained_at or now,
        "notes": m.notes,
        "extra": m.extra,
    }


def benchmark_row(model_id: str, b: BenchmarkRecord, origin: str, now: datetime) -> dict:
    return {
        "model_id": model_id,
        "device": b.device,
        "batch_size": b.batch_size,
        "precision": b.precision,
        "layout": b.layout,
        "img_size": b.img_size,
        "latency_ms": b.latency_ms,
        "latency_p90_ms": b.latency_p90_ms,
        "throughput_per_s": b.throughput_per_s,
        "peak_memory_mb": b.peak_memory_mb,
        "kind": b.kind.value,
        "origin": origin,
        "source": b.source,
        "status": b.status,
        "error": b.error,
        "device_fingerprint": b.device_fingerprint,
        "obtained_at": b.obtained_at or now,
        "extra": b.extra,
    }


def facet_rows(record: ModelRecord) -> Iterable[dict]:
    seen: set[tuple[str, str]] = set()
    for facet, values in (
        ("task", record.tasks),
        ("domain", record.domains),
        ("dataset", record.pretrain_datasets),
    ):
        for value in values:
            key = (facet, value[:160])
            if key not in seen:
                seen.add(key)
                yield {"facet": facet, "value": key[1], "model_id": record.id}


def _upsert_models(session: Session, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:  # pragma: no cover - other backends: delete + insert is portable
        session.execute(delete(Model).where(Model.id.in_([r["id"] for r in rows])))
        session.execute(insert(Model), rows)
        return
    stmt = dialect_insert(Model)
    columns = {c: stmt.excluded[c] for c in rows[0] if c != "id"}
    session.execute(stmt.on_conflict_do_update(index_elements=[Model.id], set_=columns), rows)


def fts_name(record: ModelRecord) -> str:
    """The FTS5 `name` column: the bare name, the canonical id and the family, '/' split into words."""
    return f"{record.name} {record.source}:{record.name} {record.family or ''}".replace("/", " ")


def write_records(session: Session, records: Sequence[ModelRecord], origin: str) -> WriteSummary:
    """Upsert `records` and replace the figure rows that `origin` owns on them."""
    summary = WriteSummary()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if session.get_bind().dialect.name == "sqlite":
        for start in range(0, len(records), CHUNK):
            added, updated = write_prepared(session.connection(), prepare_rows(records[start : start + CHUNK], origin, now))
            summary.added += added
            summary.updated += updated
        return summary
    for start in range(0, len(records), CHUNK):
        chunk = list({r.id: r for r in records[start : start + CHUNK]}.values())
        ids = [r.id for r in chunk]
        existing = set(session.scalars(select(Model.id).where(Model.id.in_(ids))))
        summary.added += len(ids) - len(existing)
        summary.updated += len(existing)
        old = [i for i in ids if i in existing]
        _upsert_models(session, [model_row(r, now) for r in chunk])
        if old:  # rows of models seen for the first time have nothing to replace
            session.execute(delete(ModelFacet).where(ModelFacet.model_id.in_(old)))
            session.execute(delete(Metric).where(Metric.model_id.in_(old), Metric.origin == origin))
            session.execute(delete(Benchmark).where(Benchmark.model_id.in_(old), Benchmark.origin == origin))
        for table, rows in ((ModelFacet.__table__, [row for r in chunk for row in facet_rows(r)]),
                            (Metric.__table__, [metric_row(r.id, m, origin, now) for r in chunk for m in r.metrics]),
                            (Benchmark.__table__, [benchmark_row(r.id, b, origin, now) for r in chunk for b in r.benchmarks])):
            if rows:
                session.execute(insert(table), rows)
    return summary


def remove_stale(session: Session, source: str, keep_ids: set[str]) -> int:
    """Delete models of `source` that a full rebuild no longer produced."""
    stale = [i for i in session.scalars(select(Model.id).where(Model.source == source)) if i not in keep_ids]
    for start in range(0, len(stale), CHUNK):
        chunk = stale[start : start + CHUNK]
        if session.get_bind().dialect.name == "sqlite":
            placeholders = ",".join("?" * len(chunk))
            session.connection().exec_driver_sql(
                f"DELETE FROM models_fts WHERE rowid IN (SELECT rowid FROM models WHERE id IN ({placeholders}))", tuple(chunk)
            )
        session.execute(delete(Model).where(Model.id.in_(chunk)))
    return len(stale)
