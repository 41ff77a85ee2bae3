"""torchvision source: one ModelRecord per weight enum member of every torchvision model.

Everything comes from the weights' `meta` dicts and transforms, which torchvision publishes with
the weights (classification, detection, segmentation, video, optical flow and quantized
builders). All figures are REPORTED. torchvision is imported inside functions only.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from catalog.records import FigureKind, MetricRecord, ModelRecord, Provenance, SourceReport
from catalog.sources import register_source

DOCS_ROOT = "https://pytorch.org/vision/stable/models/generated"
MIB_TO_MB = 1024 * 1024 / 1e6  # torchvision's _file_size is os.path.getsize / 1024 / 1024
CODE_LICENSE = "BSD-3-Clause"
# Weights whose meta names their own license (a URL); mapped to SPDX so license filters work.
WEIGHT_LICENSES = {"https://github.com/facebookresearch/SWAG/blob/main/LICENSE": "CC-BY-NC-4.0"}

# Builder sub-package -> (modality, tasks).
MODULE_TASKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("vision", ("image-classification",)),
    "quantization": ("vision", ("image-classification",)),
    "detection": ("vision", ("object-detection",)),
    "segmentation": ("vision", ("image-segmentation",)),
    "video": ("video", ("video-classification",)),
    "optical_flow": ("vision", ("optical-flow",)),
}
# Metric dataset keys -> (evaluation dataset slug, training dataset slug or None).
DATASETS: dict[str, tuple[str, str | None]] = {
    "ImageNet-1K": ("imagenet-1k", "imagenet-1k"),
    "COCO-val2017": ("coco-val2017", "coco"),
    "COCO-val2017-VOC-labels": ("coco-val2017-voc-labels", "coco"),
    "Kinetics-400": ("kinetics-400", "kinetics-400"),
}
METRIC_NAMES = {"acc@1": "top1", "acc@5": "top5"}
LOWER_IS_BETTER = {"epe", "per_image_epe", "fl_all"}
# RAFT weight names spell their training schedule: C_T_SKHT_K = Chairs, Things, Sintel+KITTI+HD1K+Things, KITTI.
RAFT_STAGES = {
    "C": ("flyingchairs",),
    "T": ("flyingthings3d",),
    "SKHT": ("sintel", "kitti-2015", "hd1k", "flyingthings3d"),
    "K": ("kitti-2015",),
}
_URL = re.compile(r"^https?://\S+$")
_LEVEL = re.compile(r"estimated on ([\w-]+-level) with parameters (.+?)\.?$")


def docs_url(builder: Any) -> str:
    """The builder's page in torchvision's docs, e.g. .../torchvision.models.quantization.resnet50.html."""
    parts = builder.__module__.split(".")  # torchvision.models[.detection].<file>
    namespace = ".".join(parts[:3]) if len(parts) > 3 else "torchvision.models"
    return f"{DOCS_ROOT}/{namespace}.{builder.__name__}.html"


def _subpackage(builder: Any) -> str:
    parts = builder.__module__.split(".")
    return parts[2] if len(parts) > 3 else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _metric_task(metric: str, default: str) -> str:
    if metric.startswith("box_"):
        return "object-detection"
    if metric.startswith("mask_"):
        return "image-segmentation"
    if metric.startswith("kp_"):
        return "keypoint-detection"
    return default


def _input_size(weight: Any) -> tuple[int, int, int] | None:
    """(3, H, W) from the preset's crop size; detection/segmentation/flow presets have none."""
    crop = getattr(weight.transforms(), "crop_size", None)
    if isinstance(crop, (list, tuple)) and crop and all(isinstance(c, int) and c > 0 for c in crop):
        return (3, crop[0], crop[-1])
    return None


def _weight_record(model_name: str, builder: Any, weight: Any, stamp: datetime, report: SourceReport) -> ModelRecord:
    """Turn one torchvision weight enum member into a ModelRecord.

    The only place torchvision meta fields are interpreted; a malformed field is dropped and
    counted, the record kept.
    """
    meta = weight.meta if isinstance(weight.meta, dict) else {}
    docs = docs_url(builder)
    modality, tasks = MODULE_TASKS.get(_subpackage(builder), ("vision", ()))
    if model_name.startswith("keypointrcnn"):
        tasks = (*tasks, "keypoint-detection")
    elif model_name.startswith("maskrcnn"):
        tasks = (*tasks, "image-segmentation")
    recipe = meta.get("recipe")
    if recipe is not None and not (isinstance(recipe, str) and _URL.match(recipe)):
        report.drop("recipe")
        recipe = None
    figure_source = recipe or docs
    extra: dict[str, Any] = {"weights": f"{type(weight).__name__}.{weight.name}", "docs_url": docs}
    if recipe:
        extra["recipe"] = recipe
    text = meta.get("_docs")
    summary = " ".join(text.split()) if isinstance(text, str) and text.strip() else None
    if summary:
        extra["docs"] = summary

    provenance: dict[str, Provenance] = {}
    params = meta.get("num_params")
    if not (isinstance(params, int) and not isinstance(params, bool) and params > 0):
        if params is not None:
            report.drop("params")
        params = None
    else:
        provenance["params"] = Provenance(FigureKind.REPORTED, figure_source, stamp)
    gmacs = _number(meta.get("_ops"))
    if gmacs is None or gmacs <= 0:
        if meta.get("_ops") is not None:
            report.drop("gmacs")
        gmacs = None
    else:  # torchvision labels them GFLOPS but counts one per multiply-accumulate
        provenance["gmacs"] = Provenance(FigureKind.REPORTED, f"{docs} (_ops, a MAC count)", stamp)
    size_mib = _number(meta.get("_file_size"))
    size_mb = None
    if size_mib is None or size_mib <= 0:
        if meta.get("_file_size") is not None:
            report.drop("size_mb")
    else:
        size_mb = round(size_mib * MIB_TO_MB, 3)
        extra["file_size_mib"] = size_mib
        provenance["size_mb"] = Provenance(FigureKind.REPORTED, f"{docs} (_file_size MiB converted to MB)", stamp)

    categories = meta.get("categories")
    num_classes = None
    if isinstance(categories, (list, tuple)) and categories:
        num_classes = len(categories)
    elif categories is not None:
        report.drop("num_classes")
    elif "categories" in meta and tasks == ("image-classification",):
        # Published with categories=None on purpose (vgg16 IMAGENET1K_FEATURES): a backbone only.
        tasks = ("image-feature-extraction",)
    for key in ("min_size", "min_temporal_size", "backend", "keypoint_names"):
        if meta.get(key) is not None:
            extra[key] = list(meta[key]) if isinstance(meta[key], tuple) else meta[key]
    if meta.get("unquantized") is not None:
        extra["unquantized"] = str(meta["unquantized"])
    try:
        input_size = _input_size(weight)
    except Exception:  # a preset that cannot be built only costs the input size
        report.drop("input_size")
        input_size = None

    license_ = CODE_LICENSE
    extra["license_note"] = "BSD-3-Clause covers torchvision's code; the weights may carry their own terms."
    weight_license = meta.get("license")
    if weight_license is not None:
        extra["weights_license"] = weight_license
        license_ = WEIGHT_LICENSES.get(weight_license, license_)

    metrics: list[MetricRecord] = []
    pretrain: list[str] = []
    level = _LEVEL.search(summary or "")
    raw_metrics = meta.get("_metrics")
    if not isinstance(raw_metrics, dict):
        if raw_metrics is not None:
            report.drop("metrics")
        raw_metrics = {}
    for dataset_key, values in raw_metrics.items():
        if not isinstance(dataset_key, str) or not isinstance(values, dict):
            report.drop("metrics")
            continue
        dataset, trained_on = DATASETS.get(dataset_key, (dataset_key.lower(), None))
        if trained_on:
            pretrain.append(trained_on)
        for metric_key, raw_value in values.items():
            if isinstance(raw_value, float) and math.isnan(raw_value):
                continue  # torchvision's way of saying "not published", not a malformed value
            value = _number(raw_value)
            if value is None or not isinstance(metric_key, str):
                report.drop("metrics")
                continue
            metric = METRIC_NAMES.get(metric_key.lower(), metric_key.lower())
            notes = None
            if modality == "video" and level:
                notes = f"{level.group(1)} accuracy ({level.group(2)})"
            metrics.append(
                MetricRecord(
                    task=_metric_task(metric, tasks[0] if tasks else "image-classification"),
                    dataset=dataset,
                    metric=metric,
                    value=value,
                    kind=FigureKind.REPORTED,
                    source=figure_source,
                    higher_is_better=metric not in LOWER_IS_BETTER,
                    obtained_at=stamp,
                    notes=notes,
                )
            )
    if "SWAG" in weight.name:
        pretrain.insert(0, "instagram-3.6b")
    if _subpackage(builder) == "optical_flow":
        for stage in weight.name.split("_"):
            pretrain.extend(RAFT_STAGES.get(stage, ()))

    return ModelRecord(
        source="torchvision",
        name=f"{model_name}.{weight.name}",
        tasks=tasks,
        domains=("vision", "video") if modality == "video" else ("vision",),
        modality=modality,
        family=builder.__module__.rsplit(".", 1)[-1],
        architecture=builder.__name__,
        params=params,
        gmacs=gmacs,
        input_size=input_size,
        size_mb=size_mb,
        license=license_,
        pretrain_datasets=tuple(dict.fromkeys(pretrain)),
        hub_repo=None,
        homepage=docs,
        origin="torchvision",
        library="torchvision",
        summary=summary,
        num_classes=num_classes,
        provenance=provenance,
        metrics=tuple(metrics),
        extra=extra,
    )


@register_source("torchvision", "every weight enum of every torchvision model")
def load_torchvision() -> SourceReport:
    """One ModelRecord per weight of every builder in `torchvision.models.list_models()`."""
    from torchvision import models

    report = SourceReport(name="torchvision")
    stamp = datetime.now(timezone.utc)
    for model_name in models.list_models():
        try:
            builder = models.get_model_builder(model_name)
            weights = list(models.get_model_weights(model_name))
        except Exception as exc:  # a builder without a weights enum is one skipped model
            report.skip(f"no weights enum ({type(exc).__name__})")
            continue
        for weight in weights:
            try:
                record = _weight_record(model_name, builder, weight, stamp, report)
            except Exception as exc:
                report.skip(f"malformed weight meta ({type(exc).__name__})")
                continue
            report.records.append(record)
    return report
