"""The embedded snapshot: round trip, first-use load, and builds that fail halfway."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from catalog.build import build_catalog
from catalog.records import (
    BenchmarkRecord,
    FigureKind,
    MetricRecord,
    Provenance,
    SourceReport,
)
from catalog.schema import Benchmark, Model
from catalog.snapshot import (
    ensure_snapshot_loaded,
    read_meta,
    read_snapshot,
    write_snapshot,
)
from catalog.sources import _REGISTRY, register_source
from catalog.store import open_store
from catalog.writer import benchmark_row
from tests.conftest import fixture_records, make_record


def test_round_trip_is_lossless(tmp_path):
    records = fixture_records()[:40] + [
        make_record(
            "cards", "rich", input_size=(3, 640, 640), papers=("2304.00501",),
            provenance={"params": Provenance(FigureKind.REPORTED, "https://x.org")},
            benchmarks=(BenchmarkRecord("Jetson", 1, "fp16", 3.5, source="https://y.org", img_size=640),),
            metrics=(MetricRecord("object-detection", "coco-val2017", "box_map", 37.3, source="https://z.org"),),
        )
    ]
    write_snapshot(records, tmp_path, {"built_at": "now"})
    back = sorted(read_snapshot(tmp_path), key=lambda r: r.id)
    assert back == sorted(records, key=lambda r: r.id)
    assert read_meta(tmp_path)["models"] == len(records)


def test_snapshot_is_sorted_and_stable(tmp_path):
    records = fixture_records()
    write_snapshot(records, tmp_path / "a", {})
    write_snapshot(list(reversed(records)), tmp_path / "b", {})
    assert (tmp_path / "a" / "catalog.jsonl").read_bytes() == (tmp_path / "b" / "catalog.jsonl").read_bytes()


def test_first_use_loads_snapshot_once(tmp_path, monkeypatch):
    snap = tmp_path / "snap"
    write_snapshot(fixture_records(), snap, {})
    monkeypatch.setattr("catalog.snapshot.embedded_data_dir", lambda: snap)
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with store.session() as s:
        count = s.scalar(select(func.count()).select_from(Model))
        s.execute(Model.__table__.update().where(Model.id == "cards:yolov8n").values(downloads=7))
    assert count == len(fixture_records())
    ensure_snapshot_loaded(store)  # same digest: nothing re-read, the local edit survives
    with store.session() as s:
        assert s.get(Model, "cards:yolov8n").downloads == 7


def test_user_measurements_survive_snapshot_reload(tmp_path, monkeypatch):
    snap = tmp_path / "snap"
    write_snapshot(fixture_records(), snap, {})
    monkeypatch.setattr("catalog.snapshot.embedded_data_dir", lambda: snap)
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    mine = BenchmarkRecord("this", 1, "fp32", 12.0, kind=FigureKind.MEASURED, source="fingerprint")
    with store.session() as s:
        s.execute(Benchmark.__table__.insert(), [benchmark_row("cards:yolov8n", mine, "bench", datetime(2026, 1, 1))])
    newer = [r for r in fixture_records() if r.name != "facenet"]
    write_snapshot(newer, snap, {"built_at": "later"})
    ensure_snapshot_loaded(store)
    with store.session() as s:
        origins = set(s.scalars(select(Benchmark.origin).where(Benchmark.model_id == "cards:yolov8n")))
        assert origins == {"cards", "bench"}  # the user's measurement is kept beside the card's figure
        assert s.get(Model, "cards:facenet") is None  # dropped from the newer snapshot


def test_interrupted_build_leaves_previous_catalog(tmp_path, monkeypatch):
    snap = tmp_path / "snap"
    write_snapshot(fixture_records(), snap, {})
    before = (snap / "catalog.jsonl").read_bytes()
    monkeypatch.setattr("catalog.snapshot.embedded_data_dir", lambda: snap)
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")

    @register_source("exploding", "fails halfway")
    def _explode(**_kw) -> SourceReport:
        raise KeyboardInterrupt  # the user pressed Ctrl-C in the middle of the build

    try:
        with pytest.raises(KeyboardInterrupt):
            build_catalog(store, ["cards", "exploding"], output=snap)
    finally:
        _REGISTRY.pop("exploding", None)
    assert (snap / "catalog.jsonl").read_bytes() == before
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Model)) == len(fixture_records())


def test_hub_sync_enrichment_survives_snapshot_reload(tmp_path, monkeypatch):
    """A newer embedded snapshot rewrites timm entries; what a Hub sync added to them (downloads,
    likes, dates, extra["hub"]) and the timm entries the sync created itself must survive it."""
    from catalog.writer import write_records

    snap = tmp_path / "snap"
    write_snapshot(fixture_records(), snap, {})
    monkeypatch.setattr("catalog.snapshot.embedded_data_dir", lambda: snap)
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    hub = {"repo": "timm/resnet0.fixture_in1k", "downloads": 1234, "likes": 5, "library": "timm", "last_modified": None}
    with store.session() as s:
        row = s.get(Model, "timm:resnet0.fixture_in1k")
        row.downloads, row.likes, row.extra = 1234, 5, {**(row.extra or {}), "hub": hub}
        created = make_record("timm", "newnet.hub_only", downloads=9, extra={"hub": {**hub, "repo": "timm/newnet.hub_only"}})
        write_records(s, [created], origin="timm")
    before = read_meta(snap)["sha256"]
    write_snapshot([r for r in fixture_records() if r.name != "facenet"], snap, {"built_at": "later"})
    assert read_meta(snap)["sha256"] != before
    ensure_snapshot_loaded(store)
    with store.session() as s:
        row = s.get(Model, "timm:resnet0.fixture_in1k")
        assert (row.downloads, row.likes, row.extra["hub"]) == (1234, 5, hub)
        assert s.get(Model, "timm:newnet.hub_only") is not None
        assert s.get(Model, "timm:resnet1.fixture_in1k").extra.get("hub") is None
