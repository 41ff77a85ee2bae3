"""torchvision source: every weight enum member, its published figures as REPORTED rows with sources."""

from __future__ import annotations

import pytest

from catalog.records import FigureKind
from catalog.sources.torchvision_source import load_torchvision

DOCS = "https://pytorch.org/vision/stable/models/generated"


@pytest.fixture(scope="module")
def report():
    return load_torchvision()


@pytest.fixture(scope="module")
def by_name(report):
    return {r.name: r for r in report.records}


def test_every_weight_enum_is_a_record(report, by_name):
    assert len(report.records) >= 160
    assert len(by_name) == len(report.records)  # names are unique
    assert not report.skipped and not report.dropped_fields
    tasks = {t for r in report.records for t in r.tasks}
    assert tasks >= {"image-classification", "object-detection", "image-segmentation", "keypoint-detection",
                     "video-classification", "optical-flow"}
    assert all(r.origin == "torchvision" and r.library == "torchvision" for r in report.records)
    assert all(r.params and r.provenance["params"].kind is FigureKind.REPORTED for r in report.records)


def test_detection_box_map_with_its_recipe_url(by_name):
    det = by_name["fasterrcnn_mobilenet_v3_large_fpn.COCO_V1"]
    assert det.tasks == ("object-detection",) and det.pretrain_datasets == ("coco",)
    assert [(m.task, m.dataset, m.metric, m.value) for m in det.metrics] == [
        ("object-detection", "coco-val2017", "box_map", 32.8)
    ]
    assert det.metrics[0].kind is FigureKind.REPORTED
    assert det.metrics[0].source == (
        "https://github.com/pytorch/vision/tree/main/references/detection#faster-r-cnn-mobilenetv3-large-fpn"
    )
    assert det.gmacs == pytest.approx(4.494) and det.params == 19_386_354
    assert det.homepage == f"{DOCS}/torchvision.models.detection.fasterrcnn_mobilenet_v3_large_fpn.html"
    assert det.num_classes == 91 and det.input_size is None  # detection presets resize inside the model


def test_resnet50_v2_classification_figures(by_name):
    r50 = by_name["resnet50.IMAGENET1K_V2"]
    assert {m.metric: m.value for m in r50.metrics} == {"top1": 80.858, "top5": 95.434}
    assert {m.dataset for m in r50.metrics} == {"imagenet-1k"}
    assert {m.task for m in r50.metrics} == {"image-classification"}
    assert r50.params == 25_557_032 and r50.gmacs == pytest.approx(4.089)
    assert r50.size_mb == pytest.approx(97.79 * 1.048576, abs=0.01)  # published MiB, stored MB
    assert r50.input_size == (3, 224, 224) and r50.num_classes == 1000
    assert r50.homepage == f"{DOCS}/torchvision.models.resnet50.html"
    assert r50.license == "BSD-3-Clause" and "own terms" in r50.extra["license_note"]
    assert r50.extra["recipe"].startswith("https://github.com/pytorch/vision/issues/3995")


def test_quantized_weights_are_present(by_name):
    q = by_name["quantized_resnet50.IMAGENET1K_FBGEMM_V1"]
    assert q.tasks == ("image-classification",) and q.architecture == "resnet50"
    assert q.homepage == f"{DOCS}/torchvision.models.quantization.resnet50.html"
    assert q.extra["backend"] == "fbgemm" and q.extra["unquantized"] == "ResNet50_Weights.IMAGENET1K_V1"
    assert {m.metric for m in q.metrics} == {"top1", "top5"}


def test_task_specific_metrics(by_name):
    kp = by_name["keypointrcnn_resnet50_fpn.COCO_V1"]
    assert kp.tasks == ("object-detection", "keypoint-detection")
    assert {m.metric: m.task for m in kp.metrics} == {"box_map": "object-detection", "kp_map": "keypoint-detection"}
    mask = by_name["maskrcnn_resnet50_fpn.COCO_V1"]
    assert "image-segmentation" in mask.tasks
    assert {m.metric: m.task for m in mask.metrics}["mask_map"] == "image-segmentation"
    seg = by_name["deeplabv3_resnet50.COCO_WITH_VOC_LABELS_V1"]
    assert {(m.dataset, m.metric) for m in seg.metrics} == {("coco-val2017-voc-labels", "miou"),
                                                          ("coco-val2017-voc-labels", "pixel_acc")}
    video = by_name["r3d_18.KINETICS400_V1"]
    assert video.modality == "video" and video.tasks == ("video-classification",)
    assert video.input_size == (3, 112, 112) and video.pretrain_datasets == ("kinetics-400",)
    top1 = next(m for m in video.metrics if m.metric == "top1")
    assert top1.dataset == "kinetics-400" and top1.task == "video-classification" and "video-level" in top1.notes
    flow = by_name["raft_large.C_T_V2"]
    assert flow.tasks == ("optical-flow",) and flow.pretrain_datasets == ("flyingchairs", "flyingthings3d")
    lower = {m.metric for m in flow.metrics if not m.higher_is_better}
    assert lower == {"epe", "per_image_epe", "fl_all"}


def test_weights_with_their_own_license(by_name):
    swag = by_name["vit_b_16.IMAGENET1K_SWAG_E2E_V1"]
    assert swag.license == "CC-BY-NC-4.0" and swag.extra["weights_license"].endswith("SWAG/blob/main/LICENSE")
    assert swag.pretrain_datasets == ("instagram-3.6b", "imagenet-1k")


def test_malformed_meta_drops_the_field_and_keeps_the_record(monkeypatch):
    from torchvision.models import ResNet18_Weights

    meta = ResNet18_Weights.IMAGENET1K_V1.meta
    monkeypatch.setitem(meta, "num_params", "many")
    monkeypatch.setitem(meta, "_metrics", {"ImageNet-1K": {"acc@1": "n/a", "acc@5": 89.078}})
    report = load_torchvision()
    record = next(r for r in report.records if r.name == "resnet18.IMAGENET1K_V1")
    assert record.params is None and "params" not in record.provenance
    assert record.gmacs == pytest.approx(1.814)  # the good fields survive
    assert [(m.metric, m.value) for m in record.metrics] == [("top5", 89.078)]
    assert report.dropped_fields == {"params": 1, "metrics": 1}
    assert not report.skipped and len(report.records) >= 160
