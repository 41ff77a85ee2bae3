"""The SQLite bulk path of the writer: records -> ready-to-bind row tuples -> executemany.

Splitting the two halves lets a Hub sync build rows in its page-reader process (a second core)
while the writer process only binds them, and keeps the writer's work per model to what SQLite
itself costs. Rows hold exactly the values SQLAlchemy's own column types would bind (JSON text,
`YYYY-MM-DD HH:MM:SS.ffffff` timestamps, 0/1 booleans), so everything reads back as through the
ORM; tests/catalog/test_writer_bulk.py checks that equivalence column by column.

FTS5 rows share the rowid of their `models` row (migration 0002). New models get their rowids
here, above every rowid in use by `models` or `models_fts`, so the FTS row is written directly
instead of being looked up through the id index once per model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring_ascii as _json_str  # what json.dumps uses for str

from catalog.records import ModelRecord

# `models` columns in the order of the tuples below (the id first, the rowid bound separately).
MODEL_COLUMNS: tuple[str, ...] = (
    "id", "source", "name", "tasks", "primary_task", "domains", "modality", "family", "architecture",
    "params", "gmacs", "activations_m", "input_size", "test_input_size", "size_mb", "license",
    "pretrain_datasets", "papers", "hub_repo", "homepage", "origin", "library", "summary", "num_classes",
    "downloads", "likes", "updated_at", "created_at", "provenance", "extra", "search_text", "indexed_at",
)
_UPSERT_MODELS = (
    f"INSERT INTO models (rowid, {', '.join(MODEL_COLUMNS)}) VALUES (?, {', '.join('?' * len(MODEL_COLUMNS))}) "
    "ON CONFLICT(id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in MODEL_COLUMNS if c != "id")
)
_LIST_MEMO: dict[tuple, str] = {}  # JSON text of the few distinct task/domain/dataset tuples


def sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime binds (always six fraction digits; tz dropped, as it does)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    text = value.isoformat(" ")
    return text if value.microsecond else text + ".000000"


def json_list(values: Sequence | None) -> str:
    """JSON text of a short tuple of strings or numbers (memoised: most are one of a few values)."""
    if values is None:
        return "null"
    key = tuple(values)
    text = _LIST_MEMO.get(key)
    if text is None:
        text = json.dumps(list(key))
        if len(_LIST_MEMO) > 20000:  # unbounded variety (dataset lists): keep memory flat
            _LIST_MEMO.clear()
        _LIST_MEMO[key] = text
    return text


def provenance_json(record: ModelRecord) -> str:
    """json.dumps of the writer's provenance dict, without building the dict per model."""
    parts = []
    for key, p in record.provenance.items():
        if not isinstance(key, str) or not isinstance(p.source, str):
            return json.dumps({k: _provenance_value(v) for k, v in record.provenance.items()})
        inner = f'"kind": {_json_str(p.kind.value)}, "source": {_json_str(p.source)}'
        if p.obtained_at:
            inner += f', "obtained_at": {_json_str(p.obtained_at.isoformat())}'
        parts.append(f"{_json_str(key)}: {{{inner}}}")
    return "{" + ", ".join(parts) + "}"


def _provenance_value(p) -> dict:
    return {"kind": p.kind.value, "source": p.source, **({"obtained_at": p.obtained_at.isoformat()} if p.obtained_at else {})}


@dataclass
class PreparedRows:
    """One batch of records as row tuples for the SQLite bulk path (picklable: it crosses processes).

    `models` tuples follow MODEL_COLUMNS; `fts` is (id, name, body) per model in the same order;
    `facets` (facet, value, model_id); metric and benchmark rows are tuples of their bound columns.
    """

    origin: str
    ids: list[str] = field(default_factory=list)
    models: list[tuple] = field(default_factory=list)
    fts: list[tuple] = field(default_factory=list)
    facets: list[tuple] = field(default_factory=list)
    metric_columns: tuple[str, ...] = ()
    metrics: list[tuple] = field(default_factory=list)
    benchmark_columns: tuple[str, ...] = ()
    benchmarks: list[tuple] = field(default_factory=list)

    def subset(self, keep: set[str]) -> PreparedRows:
        """Only the rows of models in `keep` (a page cut short by a watermark or --limit)."""
        index = [i for i, model_id in enumerate(self.ids) if model_id in keep]
        return PreparedRows(
            origin=self.origin, ids=[self.ids[i] for i in index], models=[self.models[i] for i in index],
            fts=[self.fts[i] for i in index], facets=[f for f in self.facets if f[2] in keep],
            metric_columns=self.metric_columns, metrics=[m for m in self.metrics if m[0] in keep],
            benchmark_columns=self.benchmark_columns, benchmarks=[b for b in self.benchmarks if b[0] in keep],
        )


def _model_tuple(r: ModelRecord, model_id: str, now_text: str) -> tuple:
    return (
        model_id, r.source, r.name, json_list(r.tasks), r.tasks[0] if r.tasks else None, json_list(r.domains),
        r.modality, r.family, r.architecture, r.params, r.gmacs, r.activations_m, json_list(r.input_size),
        json_list(r.test_input_size), r.size_mb, r.license, json_list(r.pretrain_datasets), json_list(r.papers),
        r.hub_repo, r.homepage, r.origin, r.library, r.summary, r.num_classes, r.downloads, r.likes,
        sqlite_datetime(r.updated_at), sqlite_datetime(r.created_at), provenance_json(r),
        json.dumps(r.extra) if r.extra else ("{}" if r.extra == {} else "null"),
        # On SQLite the FTS5 index holds the search text; `search_text` is the portable path's
        # column (PostgreSQL), so storing it twice would cost ~120 MB at 1M models.
        "", now_text,
    )


def _bound(table, rows: list[dict]) -> tuple[tuple[str, ...], list[tuple]]:
    """Rows as tuples converted by each column type's own SQLite bind processor (metrics, benchmarks:
    few per model, so the generic path is cheap enough)."""
    from sqlalchemy.dialects import sqlite

    if not rows:
        return (), []
    columns = tuple(rows[0])
    dialect = sqlite.dialect()
    processors = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
    return columns, [tuple(v if p is None else p(v) for p, v in zip(processors, row.values())) for row in rows]


def prepare_rows(records: Sequence[ModelRecord], origin: str, now: datetime) -> PreparedRows:
    """Row tuples for `records` (the last of duplicate ids wins, as in write_records)."""
    from catalog.schema import Benchmark, Metric
    from catalog.writer import benchmark_row, facet_rows, fts_name, metric_row, search_text

    unique = list({r.id: r for r in records}.values())
    now_text = sqlite_datetime(now)
    rows = PreparedRows(origin=origin)
    for r in unique:
        # One id string per model, shared by all its rows: pickling them to the writer then
        # sends it once (`r.id` builds a new string on every call).
        model_id = r.id
        rows.ids.append(model_id)
        rows.models.append(_model_tuple(r, model_id, now_text))
        rows.fts.append((model_id, fts_name(r), search_text(r)))
        rows.facets.extend((f["facet"], f["value"], model_id) for f in facet_rows(r))
    metrics = [metric_row(r.id, m, origin, now) for r in unique for m in r.metrics]
    benchmarks = [benchmark_row(r.id, b, origin, now) for r in unique for b in r.benchmarks]
    rows.metric_columns, rows.metrics = _bound(Metric.__table__, metrics)
    rows.benchmark_columns, rows.benchmarks = _bound(Benchmark.__table__, benchmarks)
    return rows


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


def write_prepared(connection, rows: PreparedRows) -> tuple[int, int]:
    """Upsert prepared rows through a SQLAlchemy Connection on SQLite; (added, updated).

    A model seen before keeps its rowid; its facets, its FTS row and the figure rows `rows.origin`
    owns are replaced; everyone else's figure rows stay.
    """
    if not rows.ids:
        return 0, 0
    run = connection.exec_driver_sql
    existing: dict[str, int] = {}
    for start in range(0, len(rows.ids), 900):  # well under SQLite's bound-variable limit
        chunk = rows.ids[start : start + 900]
        existing.update(run(f"SELECT id, rowid FROM models WHERE id IN ({_placeholders(len(chunk))})", tuple(chunk)).all())
    next_rowid = 1 + max(run("SELECT coalesce(max(rowid), 0) FROM models").scalar(),
                         run("SELECT coalesce(max(rowid), 0) FROM models_fts").scalar())
    rowids: list[int] = []
    for model_id in rows.ids:
        rowid = existing.get(model_id)
        if rowid is None:
            rowid, next_rowid = next_rowid, next_rowid + 1
        rowids.append(rowid)
    if existing:  # rows of models seen for the first time have nothing to replace
        old = list(existing)
        for start in range(0, len(old), 900):
            chunk = tuple(old[start : start + 900])
            marks = _placeholders(len(chunk))
            run(f"DELETE FROM model_facets WHERE model_id IN ({marks})", chunk)
            run(f"DELETE FROM metrics WHERE model_id IN ({marks}) AND origin = ?", (*chunk, rows.origin))
            run(f"DELETE FROM benchmarks WHERE model_id IN ({marks}) AND origin = ?", (*chunk, rows.origin))
            run(f"DELETE FROM models_fts WHERE rowid IN ({marks})", tuple(existing[i] for i in chunk))
    # An existing model binds NULL as its rowid: the upsert then updates it in place.
    run(_UPSERT_MODELS, [(None if m[0] in existing else rowid, *m) for rowid, m in zip(rowids, rows.models)])
    if rows.facets:
        run("INSERT INTO model_facets (facet, value, model_id) VALUES (?, ?, ?)", rows.facets)
    for table, columns, values in (("metrics", rows.metric_columns, rows.metrics),
                                   ("benchmarks", rows.benchmark_columns, rows.benchmarks)):
        if values:
            run(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_placeholders(len(columns))})", values)
    run("INSERT INTO models_fts (rowid, id, name, body) VALUES (?, ?, ?, ?)",
        [(rowid, *fts) for rowid, fts in zip(rowids, rows.fts)])
    return len(rows.ids) - len(existing), len(existing)
