"""A small, fixed catalog for the TUI tests: image classifiers (MobileNets, ResNets, ViTs ...),
detectors and text classifiers, with reported accuracy figures and a few reported latencies.

Figures are typed in from the publishers' model cards and tables (the source URL is on each
row); they are fixture data for exercising the UI, not a measurement of anything.
"""

from __future__ import annotations

from datetime import datetime

from catalog.records import (
    BenchmarkRecord,
    FigureKind,
    MetricRecord,
    ModelRecord,
    Provenance,
)
from catalog.store import open_store
from catalog.writer import write_records

TIMM_RESULTS = "https://github.com/huggingface/pytorch-image-models/blob/main/results/results-imagenet.csv"
TV_DOCS = "https://pytorch.org/vision/stable/models.html"
ULTRA = "https://docs.ultralytics.com/models/yolov8/"
OBTAINED = datetime(2026, 1, 15)

# (name, params, gmacs, top1, license, downloads)
_CLASSIFIERS = [
    ("mobilenetv3_small_100.lamb_in1k", 2_540_000, 0.06, 67.66, "apache-2.0", 410_000),
    ("mobilenetv3_large_100.ra_in1k", 5_480_000, 0.22, 75.77, "apache-2.0", 1_900_000),
    ("mobilenetv2_100.ra_in1k", 3_500_000, 0.31, 72.97, "apache-2.0", 520_000),
    ("mobilenetv4_conv_small.e2400_r224_in1k", 3_770_000, 0.19, 74.62, "apache-2.0", 90_000),
    ("efficientnet_b0.ra_in1k", 5_290_000, 0.40, 77.69, "apache-2.0", 1_200_000),
    ("efficientnet_b3.ra2_in1k", 12_230_000, 1.63, 82.24, "apache-2.0", 300_000),
    ("resnet18.a1_in1k", 11_690_000, 1.82, 71.49, "apache-2.0", 2_600_000),
    ("resnet50.a1_in1k", 25_560_000, 4.11, 81.22, "apache-2.0", 3_100_000),
    ("resnet101.a1h_in1k", 44_550_000, 7.83, 82.78, "apache-2.0", 210_000),
    ("convnext_tiny.fb_in1k", 28_590_000, 4.47, 82.07, "apache-2.0", 800_000),
    ("convnext_base.fb_in22k_ft_in1k", 88_590_000, 15.38, 85.82, "apache-2.0", 450_000),
    ("vit_small_patch16_224.augreg_in21k_ft_in1k", 22_050_000, 4.61, 81.40, "apache-2.0", 700_000),
    ("vit_base_patch16_224.augreg2_in21k_ft_in1k", 86_570_000, 16.87, 85.09, "apache-2.0", 2_000_000),
    ("vit_large_patch16_224.augreg_in21k_ft_in1k", 304_330_000, 59.70, 85.84, "apache-2.0", 150_000),
    ("regnety_016.tv2_in1k", 11_200_000, 1.63, 80.66, "bsd-3-clause", 40_000),
    ("ghostnet_100.in1k", 5_180_000, 0.15, 73.97, "apache-2.0", 60_000),
    ("lcnet_050.ra2_in1k", 1_880_000, 0.05, 63.10, "apache-2.0", 30_000),
    ("deit_tiny_patch16_224.fb_in1k", 5_720_000, 1.26, 72.17, "apache-2.0", 120_000),
    ("levit_128s.fb_dist_in1k", 7_780_000, 0.31, 76.53, "apache-2.0", 25_000),
    ("swin_tiny_patch4_window7_224.ms_in1k", 28_290_000, 4.51, 81.38, "mit", 330_000),
]

# (name, params, gmacs, top1, license)
_TORCHVISION = [
    ("mobilenet_v3_small.IMAGENET1K_V1", 2_542_856, 0.06, 67.668, "bsd-3-clause"),
    ("mobilenet_v3_large.IMAGENET1K_V2", 5_483_032, 0.22, 75.274, "bsd-3-clause"),
    ("resnet50.IMAGENET1K_V2", 25_557_032, 4.09, 80.858, "bsd-3-clause"),
    ("efficientnet_v2_s.IMAGENET1K_V1", 21_458_488, 8.37, 84.228, "bsd-3-clause"),
]

# (name, params, gmacs, box mAP, license, reported CPU ONNX latency ms)
_DETECTORS = [
    ("yolov8n", 3_200_000, 4.35, 37.3, "agpl-3.0", 80.4),
    ("yolov8s", 11_200_000, 14.3, 44.9, "agpl-3.0", 128.4),
    ("yolov8m", 25_900_000, 39.35, 50.2, "agpl-3.0", 234.7),
    ("yolov8l", 43_700_000, 82.6, 52.9, "agpl-3.0", 375.2),
]

# (repo, params, sst2 accuracy, license, downloads)
_TEXT = [
    ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", 66_955_010, 91.3, "apache-2.0", 5_000_000),
    ("cardiffnlp/twitter-roberta-base-sentiment-latest", 124_647_939, None, "cc-by-4.0", 2_100_000),
    ("j-hartmann/emotion-english-distilroberta-base", 82_123_783, None, "other", 900_000),
]


def _timm(name: str, params: int, gmacs: float, top1: float, lic: str, downloads: int) -> ModelRecord:
    family = name.split("_")[0].rstrip("0123456789") or name
    return ModelRecord(
        source="timm", name=name, tasks=("image-classification", "image-feature-extraction"), domains=("vision",),
        modality="image", family=family, architecture=name.split(".")[0], params=params, gmacs=gmacs,
        input_size=(3, 224, 224), size_mb=round(params * 4 / 1e6, 1), license=lic,
        pretrain_datasets=("imagenet-1k",), hub_repo=f"timm/{name}", origin="timm", library="timm",
        downloads=downloads,
        provenance={"params": Provenance(FigureKind.REPORTED, TIMM_RESULTS, OBTAINED),
                    "gmacs": Provenance(FigureKind.REPORTED, TIMM_RESULTS, OBTAINED)},
        metrics=(
            MetricRecord("image-classification", "imagenet-1k", "top1", top1, source=TIMM_RESULTS, obtained_at=OBTAINED),
            MetricRecord("image-classification", "imagenet-1k", "top5", round(min(99.0, top1 + 15.5), 2),
                         source=TIMM_RESULTS, obtained_at=OBTAINED),
        ),
    )


def _torchvision(name: str, params: int, gmacs: float, top1: float, lic: str) -> ModelRecord:
    return ModelRecord(
        source="torchvision", name=name, tasks=("image-classification",), domains=("vision",), modality="image",
        family=name.split(".")[0].split("_")[0], architecture=name.split(".")[0], params=params, gmacs=gmacs,
        input_size=(3, 224, 224), size_mb=round(params * 4 / 1e6, 1), license=lic, pretrain_datasets=("imagenet-1k",),
        origin="torchvision", library="torchvision", homepage=TV_DOCS,
        metrics=(MetricRecord("image-classification", "imagenet-1k", "top1", top1, source=TV_DOCS, obtained_at=OBTAINED),),
    )


def _yolo(name: str, params: int, gmacs: float, box_map: float, lic: str, cpu_ms: float) -> ModelRecord:
    return ModelRecord(
        source="cards", name=name, tasks=("object-detection",), domains=("vision",), modality="image", family="yolov8",
        architecture=name, params=params, gmacs=gmacs, input_size=(3, 640, 640), size_mb=round(params * 4 / 1e6, 1),
        license=lic, pretrain_datasets=("coco",), origin="ultralytics", library="ultralytics", homepage=ULTRA,
        summary=f"Ultralytics {name.upper()} real-time object detector.",
        metrics=(MetricRecord("object-detection", "coco-val2017", "box_map", box_map, source=ULTRA, obtained_at=OBTAINED),),
        benchmarks=(BenchmarkRecord("cpu-onnx", 1, "fp32", cpu_ms, source=ULTRA, img_size=640, obtained_at=OBTAINED),),
    )


def _hf(repo: str, params: int, sst2: float | None, lic: str, downloads: int) -> ModelRecord:
    metrics = ()
    if sst2 is not None:
        metrics = (MetricRecord("text-classification", "sst2", "accuracy", sst2,
                                source=f"https://huggingface.co/{repo}", obtained_at=OBTAINED),)
    return ModelRecord(
        source="hf", name=repo, tasks=("text-classification",), domains=("nlp",), modality="text",
        family=repo.split("/")[1].split("-")[0], params=params, size_mb=round(params * 4 / 1e6, 1), license=lic,
        hub_repo=repo, origin="huggingface-hub", library="transformers", downloads=downloads,
        summary="Sentiment and emotion classification of English text.", metrics=metrics,
    )


def fixture_records() -> list[ModelRecord]:
    """Every record of the fixture catalog (31 models)."""
    return (
        [_timm(*row) for row in _CLASSIFIERS]
        + [_torchvision(*row) for row in _TORCHVISION]
        + [_yolo(*row) for row in _DETECTORS]
        + [_hf(*row) for row in _TEXT]
    )


def build_fixture_store(url: str):
    """Create the store at `url` (no embedded snapshot) and fill it with the fixture catalog."""
    store = open_store(url, load_snapshot=False)
    records = fixture_records()
    with store.session() as session:
        for source in sorted({r.source for r in records}):
            write_records(session, [r for r in records if r.source == source], origin=source)
    return store


if __name__ == "__main__":  # python tests/advisor/tui/tui_fixture_catalog.py sqlite:////tmp/x.db
    import sys

    build_fixture_store(sys.argv[1])
    print(f"wrote {len(fixture_records())} models to {sys.argv[1]}")
