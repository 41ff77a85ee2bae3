"""Task vocabulary: every seed task resolves, ambiguity and typos get one clear sentence, every
task with a benchmark says which way is better; and the domain vocabulary behind --domain."""

from __future__ import annotations

import pytest

from advisor.domains import is_general, match_model, parse_domain
from advisor.tasks import ALIASES, FACE_NOTE, TASKS, resolve_task
from catalog.errors import UsageError

SEED_TASKS = {
    "detection": "object-detection",
    "image classification": "image-classification",
    "segmentation": "image-segmentation",
    "sentiment": "text-classification",
    "emotion": "text-classification",
    "face recognition": "face-recognition",
    "ocr": "ocr",
    "license-plate": "object-detection",
    "gesture": "keypoint-detection",
    "pose": "keypoint-detection",
    "speech recognition": "automatic-speech-recognition",
    "asr": "automatic-speech-recognition",
    "translation": "translation",
    "captioning": "image-to-text",
    "vqa": "visual-question-answering",
    "text-embeddings": "feature-extraction",
    "anomaly detection": "anomaly-detection",
    "document understanding": "document-question-answering",
    "image-generation": "text-to-image",
    "protein structure": "protein-structure-prediction",
    "plant disease": "image-classification",
    "Object_Detection": "object-detection",
}


@pytest.mark.parametrize("typed,expected", sorted(SEED_TASKS.items()))
def test_every_seed_task_resolves(typed, expected):
    assert resolve_task(typed).task.name == expected


def test_aliases_point_at_known_tasks():
    for alias in ALIASES.values():
        assert all(t in TASKS for t in alias.tasks)


@pytest.mark.parametrize("typed", ["classification", "embeddings", "generation"])
def test_ambiguous_alias_lists_the_choices(typed):
    with pytest.raises(UsageError) as err:
        resolve_task(typed)
    message = str(err.value)
    assert "ambiguous" in message and message.count("--task") >= 2


def test_license_plate_resolves_with_a_visible_note():
    resolved = resolve_task("license plate")
    assert resolved.also == ("ocr",) and "ocr" in resolved.note


@pytest.mark.parametrize("typed,nearest", [("detecton", "detection"), ("segmentaton", "segmentation"),
                                           ("sentimnt", "sentiment")])
def test_unknown_task_suggests_the_nearest(typed, nearest):
    with pytest.raises(UsageError, match=f"Unknown task '{typed}'. Did you mean {nearest}"):
        resolve_task(typed)


def test_canonical_benchmarks_say_which_way_is_better():
    assert TASKS["automatic-speech-recognition"].benchmarks[0].higher_is_better is False
    assert TASKS["image-classification"].benchmarks[0].dataset == "imagenet-1k"
    assert TASKS["object-detection"].benchmarks[0].metric == "box_map"
    assert TASKS["face-recognition"].note == FACE_NOTE
    for task in TASKS.values():
        assert all(b.label for b in task.benchmarks), task.name


@pytest.mark.parametrize("text,domain", [
    ("chest x-ray", "medical-imaging"), ("satellite imagery", "remote-sensing"), ("plant leaves", "agriculture"),
    ("legal contracts", "legal"), ("tweets", "social-media"), ("scanned invoices", "documents"),
])
def test_domain_phrases_name_known_domains(text, domain):
    query = parse_domain(text)
    assert [d.name for d in query.domains] == [domain]
    assert query.specialised


def test_domain_matching_uses_datasets_tags_then_card_text():
    query = parse_domain("chest x-ray")
    assert match_model(query, ["vision"], ["chexpert", "nih-chest-x-ray14"], "").evidence == "pretrained on chexpert"
    assert match_model(query, ["vision", "medical-imaging"], ["imagenet-1k"], "").evidence == "tagged medical-imaging"
    assert match_model(query, ["vision"], ["imagenet-1k"], "A chest radiograph model").score == 0.6
    general = match_model(query, ["vision"], ["imagenet-1k"], "ResNet-50 trained on ImageNet")
    assert general.score == 0 and general.general and not general.in_domain


def test_general_domain_and_unknown_phrases():
    assert not parse_domain("photos of everyday objects").specialised
    unknown = parse_domain("bird songs at dawn")
    assert unknown.domains == () and unknown.specialised and "bird" in unknown.words
    assert is_general(["imagenet-1k", "coco"], ["vision"])
    assert not is_general(["eurosat"], ["vision"])
    assert parse_domain("  ") is None
