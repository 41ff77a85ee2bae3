"""The embedded catalog as a new user gets it: loaded from data/ into an empty store on first use."""

from __future__ import annotations

import pytest

from catalog.queries import catalog_stats, get_model
from catalog.store import open_store
from tests.catalog.test_cards import SEED_DOMAINS, SEED_TASKS


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'catalog.db'}")
    yield store
    store.engine.dispose()


def test_counts_cover_both_libraries_and_every_seed_task(embedded):
    with embedded.session() as s:
        stats = catalog_stats(s)
    assert stats["models_by_source"]["timm"] >= 1800
    assert stats["models_by_source"]["torchvision"] >= 160
    for task in SEED_TASKS + ["audio-classification", "keypoint-detection", "video-classification", "optical-flow"]:
        assert stats["models_by_task"].get(task, 0) >= 3, task
    for domain in SEED_DOMAINS:
        assert stats["models_by_domain"].get(domain, 0) >= 3, domain


def test_resnet50_figures_are_computed(embedded):
    with embedded.session() as s:
        m = get_model(s, "timm:resnet50.a1_in1k")
    assert m.summary.params == 25_557_032
    assert m.summary.gmacs == pytest.approx(4.11, rel=0.03)
    assert m.provenance["gmacs"]["kind"] == "computed"
    assert m.summary.license and m.input_size == [3, 224, 224]


def test_torchvision_detection_metric_is_reported_with_source(embedded):
    with embedded.session() as s:
        m = get_model(s, "torchvision:fasterrcnn_mobilenet_v3_large_fpn.COCO_V1")
    (box,) = [x for x in m.metrics if x.metric == "box_map"]
    assert box.value == 32.8 and box.kind == "reported" and box.source.startswith("https://")
