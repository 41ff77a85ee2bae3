"""The SQLite bulk path (catalog.sqlite_bulk): rows bind exactly what SQLAlchemy's column types
would, FTS rows follow their model's rowid through inserts, updates and deletes, and figure rows
stay owned per writer."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from catalog.queries import SearchQuery, get_model, search_models
from catalog.records import BenchmarkRecord, FigureKind, MetricRecord, Provenance
from catalog.schema import Model
from catalog.sqlite_bulk import MODEL_COLUMNS, prepare_rows, sqlite_datetime, write_prepared
from catalog.store import open_store
from catalog.writer import model_row, write_records
from tests.conftest import make_record

NOW = datetime(2026, 11, 2, 3, 4, 5, 678)


def _varied_records():
    """Records covering every column shape: tuples, None, nested JSON, dates with and without
    microseconds or a timezone, non-ASCII text, provenance with and without a date."""
    return [
        make_record("hf", "org/plain"),
        make_record(
            "timm", "résnet50.a1_in1k", tasks=("image-classification", "feature-extraction"), domains=("vision",),
            family="resnet", architecture="resnet50", params=25_557_032, gmacs=4.1, activations_m=11.1,
            input_size=(3, 224, 224), test_input_size=(3, 288, 288), size_mb=102.2, license="apache-2.0",
            pretrain_datasets=("imagenet-1k",), papers=("arxiv:2110.00476",), hub_repo="timm/resnet50.a1_in1k",
            homepage="https://example.org/r50", origin="timm", library="timm", summary="A \"quoted\" ResNet — ünïcode",
            num_classes=1000, downloads=123456, likes=7, updated_at=datetime(2024, 4, 10, 13, 53, 46),
            created_at=datetime(2023, 1, 1, 0, 0, 0, 5, tzinfo=timezone.utc),
            provenance={"params": Provenance(FigureKind.COMPUTED, "timm"),
                        "gmacs": Provenance(FigureKind.REPORTED, "https://x/é", datetime(2025, 5, 5, 5, 5, 5))},
            extra={"crop_pct": 0.95, "mean": [0.485, 0.456, 0.406], "nested": {"a": None, "b": "ü"}},
        ),
        make_record("hf", "org/empty-extra", extra={}, tasks=("object-detection",), license=None, downloads=0),
    ]


def test_model_columns_follow_the_writer_and_the_schema():
    assert MODEL_COLUMNS == tuple(model_row(_varied_records()[0], NOW))
    assert set(MODEL_COLUMNS) == {c.name for c in Model.__table__.columns}


@pytest.mark.parametrize("record", _varied_records(), ids=lambda r: r.name)
def test_prepared_model_rows_bind_what_sqlalchemy_binds(record):
    dialect = sqlite.dialect()
    expected = model_row(record, NOW)
    expected["search_text"] = ""  # the SQLite path keeps the search text in FTS5 only
    processors = [Model.__table__.c[c].type._cached_bind_processor(dialect) for c in MODEL_COLUMNS]
    want = tuple(v if p is None else p(v) for p, v in zip(processors, expected.values()))
    assert prepare_rows([record], "test", NOW).models == [want]


def test_sqlite_datetime_matches_sqlalchemy():
    process = Model.__table__.c["updated_at"].type._cached_bind_processor(sqlite.dialect())
    for value in (datetime(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5, 6), datetime(999, 12, 31, 23, 59, 59, 999999),
                  datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))):
        assert sqlite_datetime(value) == process(value)


def _fts(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT f.rowid, f.id, m.id FROM models_fts f LEFT JOIN models m ON m.rowid = f.rowid ORDER BY f.rowid").fetchall()


def test_fts_rows_follow_inserts_updates_and_reused_rowids(tmp_path):
    db = tmp_path / "c.db"
    store = open_store(f"sqlite:///{db}", load_snapshot=False)
    with store.session() as s:
        write_records(s, [make_record("hf", f"org/m{i}", summary=f"word{i}") for i in range(5)], origin="hf")
    with store.session() as s:  # rewrite two with new text and add one
        summary = write_records(s, [make_record("hf", "org/m1", summary="zebra"), make_record("hf", "org/m4", summary="yak"),
                                    make_record("hf", "org/m5", summary="word5")], origin="hf")
    assert (summary.added, summary.updated) == (1, 2)
    with store.session() as s:
        assert [r.id for r in search_models(s, SearchQuery(text="zebra")).results] == ["hf:org/m1"]
        assert search_models(s, SearchQuery(text="word1")).total == 0
        assert search_models(s, SearchQuery(text="yak")).total == 1
    rows = _fts(db)
    assert len(rows) == 6 and all(fts_id == model_id for _, fts_id, model_id in rows)
    # The model holding the highest rowid disappears without its FTS row (a writer that forgot the
    # index): the next model must not reuse that rowid and collide with the stale FTS row.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM models WHERE id = 'hf:org/m5'")
    with store.session() as s:
        write_records(s, [make_record("hf", "org/m6", summary="ibex")], origin="hf")
        assert [r.id for r in search_models(s, SearchQuery(text="ibex")).results] == ["hf:org/m6"]
    store.engine.dispose()


def test_rewrite_keeps_other_writers_rows_and_replaces_own(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}", load_snapshot=False)
    metric = MetricRecord("object-detection", "coco-val2017", "box_map", 40.0, source="https://hub/card")
    bench = BenchmarkRecord("cpu", 1, "fp32", 12.5, kind=FigureKind.MEASURED, source="fp")
    with store.session() as s:
        write_records(s, [make_record("hf", "org/det", metrics=(metric,))], origin="hf")
        write_records(s, [make_record("hf", "org/det", metrics=(metric,), benchmarks=(bench,))], origin="bench")
    with store.session() as s:
        write_records(s, [make_record("hf", "org/det", metrics=(MetricRecord("object-detection", "coco-val2017", "box_map", 41.0),))],
                      origin="hf")
    with store.session() as s:
        model = get_model(s, "hf:org/det")
    assert sorted(m.value for m in model.metrics) == [40.0, 41.0]  # bench's copy stays, hf's is replaced
    assert [b.latency_ms for b in model.benchmarks] == [12.5]
    store.engine.dispose()


def test_subset_keeps_only_the_named_models():
    records = [make_record("hf", f"org/m{i}", tasks=("text-classification",),
                           metrics=(MetricRecord("text-classification", "sst2", "accuracy", 90.0 + i),)) for i in range(4)]
    rows = prepare_rows(records, "hf", NOW).subset({"hf:org/m1", "hf:org/m3"})
    assert rows.ids == ["hf:org/m1", "hf:org/m3"]
    assert [m[0] for m in rows.models] == rows.ids == [f[0] for f in rows.fts]
    assert {f[2] for f in rows.facets} == set(rows.ids)
    assert sorted(m[0] for m in rows.metrics) == rows.ids


def test_duplicate_ids_in_one_batch_keep_the_last(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}", load_snapshot=False)
    with store.session() as s:
        added, updated = write_prepared(s.connection(), prepare_rows(
            [make_record("hf", "org/x", likes=1), make_record("hf", "org/x", likes=2)], "hf", NOW))
    assert (added, updated) == (1, 0)
    with store.session() as s:
        assert get_model(s, "hf:org/x").likes == 2
    store.engine.dispose()
