"""Curated cards: validation rules, and coverage of every task and domain the seeds name."""

from __future__ import annotations

from collections import defaultdict

import pytest

from catalog.sources.cards import load_cards

CARD = """
family: Demo
origin: ultralytics
license: AGPL-3.0
figures_source: https://docs.example.org/demo
defaults: {tasks: [object-detection], input_size: [3, 640, 640]}
models:
  - name: demo-n
    params: 3.2e6
    gflops: 8.7
    metrics:
      - {dataset: coco-val2017, metric: box_map, value: 37.3, source: https://docs.example.org/demo}
      - {dataset: coco-val2017, metric: box_map50, value: 52.0}
      - {dataset: coco-val2017, metric: box_map, value: high, source: https://docs.example.org/demo}
  - name: "bad name with spaces"
  - name: demo-s
    tasks: []
"""


def test_card_rules(tmp_path):
    (tmp_path / "demo.yaml").write_text(CARD)
    (tmp_path / "broken.yaml").write_text("family: [unclosed")
    report = load_cards(tmp_path)
    (demo,) = report.records
    assert demo.id == "cards:demo-n"
    assert demo.params == 3_200_000
    assert demo.gmacs == pytest.approx(4.35)  # Ultralytics-style FLOPs are 2x MACs
    assert "GFLOPs / 2" in demo.provenance["gmacs"].source
    assert [(m.metric, m.value) for m in demo.metrics] == [("box_map", 37.3)]
    assert all(m.source.startswith("https://") for m in demo.metrics)
    assert report.dropped_fields == {"metrics (no source URL)": 1, "metrics": 1}
    assert sum(report.skipped.values()) == 3  # bad name, no tasks, broken file


def test_shipped_cards_are_clean():
    report = load_cards()
    assert report.records, "data/cards has no cards"
    assert report.skipped == {}, report.skipped
    assert report.dropped_fields == {}, report.dropped_fields
    for record in report.records:
        for m in record.metrics:
            assert m.source.startswith(("http://", "https://")), (record.id, m)


# Every task section of the seeds, as the catalog's canonical task, with at least three sourced entries.
SEED_TASKS = [
    "object-detection", "image-classification", "text-classification", "face-recognition", "image-segmentation",
    "ocr", "keypoint-detection", "automatic-speech-recognition", "translation", "image-to-text",
    "zero-shot-image-classification", "anomaly-detection", "text-to-image", "protein-structure-prediction",
    "document-question-answering", "audio-classification", "text-generation", "question-answering",
    "visual-question-answering", "feature-extraction",
]
SEED_DOMAINS = ["vision", "nlp", "speech", "audio", "health", "documents", "multimodal"]
SEED_ORIGINS = [
    "huggingface-hub", "tensorflow-hub", "pytorch-hub", "ultralytics", "opencv", "mediapipe", "detectron2",
    "mmdetection", "segmentation-models-pytorch", "nvidia-ngc", "keras-applications",
]


@pytest.fixture(scope="module")
def cards():
    return load_cards().records


@pytest.mark.parametrize("task", SEED_TASKS)
def test_every_seed_task_has_three_sourced_entries(cards, task):
    rated = [r.id for r in cards if task in r.tasks and any(m.task == task or task in r.tasks for m in r.metrics)]
    assert len(rated) >= 3, f"{task}: {rated}"


@pytest.mark.parametrize("domain", SEED_DOMAINS)
def test_every_seed_domain_has_three_sourced_entries(cards, domain):
    rated = [r.id for r in cards if domain in r.domains and r.metrics]
    assert len(rated) >= 3, f"{domain}: {rated}"


def test_every_seed_model_source_is_an_origin(cards):
    origins = defaultdict(int)
    for r in cards:
        origins[r.origin] += 1
    missing = [o for o in SEED_ORIGINS if not origins[o]]
    assert not missing, f"no card records these origins: {missing}"
