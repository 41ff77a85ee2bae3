"""The store on SQLite and (in CI) PostgreSQL: migrations, writes, search, resolution, bad databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from catalog.errors import (
    AmbiguousModelError,
    SchemaTooNewError,
    StoreError,
    UnknownModelError,
    UsageError,
)
from catalog.migrations import HEAD_REVISION
from catalog.queries import (
    SearchQuery,
    catalog_stats,
    get_model,
    resolve_model_id,
    search_models,
)
from catalog.records import FigureKind, MetricRecord
from catalog.schema import Metric, Model
from catalog.store import current_revision, open_store
from catalog.writer import write_records
from tests.conftest import make_record


def test_head_revision_constant_matches_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__import__("catalog").__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_new_store_is_migrated_to_head(empty_store):
    assert current_revision(empty_store.engine) == HEAD_REVISION
    with empty_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 0


def test_rewrite_replaces_own_rows_and_keeps_others(empty_store):
    first = make_record("timm", "a.x", metrics=(MetricRecord("image-classification", "imagenet-1k", "top1", 70.0, source="u1"),))
    with empty_store.session() as s:
        summary = write_records(s, [first], origin="timm")
        write_records(s, [first], origin="other-writer")  # someone else's copy of the same figure
    assert (summary.added, summary.updated) == (1, 0)
    second = make_record("timm", "a.x", params=123, metrics=(MetricRecord("image-classification", "imagenet-1k", "top1", 71.0, source="u2"),))
    with empty_store.session() as s:
        summary = write_records(s, [second], origin="timm")
    assert (summary.added, summary.updated) == (0, 1)
    with empty_store.session() as s:
        rows = s.execute(select(Metric.origin, Metric.value).order_by(Metric.origin)).all()
        assert rows == [("other-writer", 70.0), ("timm", 71.0)]
        assert s.get(Model, "timm:a.x").params == 123
        assert s.scalar(select(func.count()).select_from(Model)) == 1


def test_search_ranks_name_hits_and_applies_facets(fixture_catalog):
    with fixture_catalog.session() as s:
        hits = search_models(s, SearchQuery(text="resnet", limit=50))
        assert hits.total == 21 and all("resnet" in r.name for r in hits.results)  # 20 resnets + detr-resnet-50
        assert hits.results[0].name.startswith("resnet")
        det = search_models(s, SearchQuery(tasks=("object-detection",), limit=100))
        assert {r.id for r in det.results} >= {"cards:yolov8n", "cards:detr-resnet-50", "hf:someone/unrated-detector"}
        small = search_models(s, SearchQuery(tasks=("object-detection",), max_params=5e6, limit=100))
        assert small.results and all(r.params <= 5e6 for r in small.results)
        commercial = search_models(s, SearchQuery(tasks=("object-detection",), license="commercial", limit=100))
        assert not any(r.license == "agpl-3.0" for r in commercial.results)
        by_params = search_models(s, SearchQuery(tasks=("image-classification",), sort="params", limit=200))
        params = [r.params for r in by_params.results]
        assert params == sorted(params)
        assert search_models(s, SearchQuery(text="zzzznotthere")).total == 0


def test_search_rejects_unknown_sort(fixture_catalog):
    with fixture_catalog.session() as s, pytest.raises(UsageError, match="Cannot sort"):
        search_models(s, SearchQuery(sort="speed"))


def test_resolve_model_id(fixture_catalog):
    with fixture_catalog.session() as s:
        assert resolve_model_id(s, "cards:yolov8n") == "cards:yolov8n"
        assert resolve_model_id(s, "yolov8n") == "cards:yolov8n"
        assert resolve_model_id(s, "yolov8m") == "cards:yolov8m"
        assert resolve_model_id(s, "resnet3.fix") == "timm:resnet3.fixture_in1k"
        with pytest.raises(AmbiguousModelError) as ambiguous:
            resolve_model_id(s, "yolov8")
        assert "cards:yolov8n" in str(ambiguous.value)
        with pytest.raises(UnknownModelError):
            resolve_model_id(s, "no-such-model-anywhere")


def test_stats_counts(fixture_catalog):
    with fixture_catalog.session() as s:
        stats = catalog_stats(s)
    assert stats["models"] == stats["models_by_source"]["timm"] + stats["models_by_source"]["cards"] + 1
    assert stats["models_by_task"]["object-detection"] == 11
    assert stats["metrics"] > stats["models"]
    detail = None
    with fixture_catalog.session() as s:
        detail = get_model(s, "cards:yolov8n")
    assert detail.metrics[0].kind == FigureKind.REPORTED.value and detail.metrics[0].source


def test_corrupt_database_is_one_sentence(tmp_path):
    path = tmp_path / "catalog.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a model-advisor catalog or is damaged"):
        open_store(f"sqlite:///{path}", load_snapshot=False)
    assert path.read_bytes().startswith(b"this is not")  # nothing lost


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match="not a model-advisor catalog"):
        open_store(f"sqlite:///{path}", load_snapshot=False)


def test_newer_schema_is_refused(empty_store, store_url):
    with empty_store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNewError, match="newer model-advisor"):
        open_store(store_url, load_snapshot=False)


def test_unwritable_data_directory(tmp_path):
    # A data directory under a regular file cannot be created, even by root (chmod would not stop root).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot create the data directory"):
        open_store(f"sqlite:///{blocker / 'sub' / 'catalog.db'}", load_snapshot=False)
    assert blocker.read_text() == "x"


def test_unknown_url_is_usage_error():
    with pytest.raises(UsageError):
        open_store("not a url at all", load_snapshot=False)
