"""The Hugging Face Hub source: one function maps a `/api/models` record to a ModelRecord.

The Hub's JSON is user-controlled (card metadata is free YAML), so every field is validated on its
own: a field of the wrong shape is dropped and counted, a record without a usable repo id is
skipped and counted, and nothing here raises on bad data. The sync engine (catalog.hf_sync) does
the paging, retrying and writing.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from catalog.records import (
    FigureKind,
    MetricRecord,
    ModelRecord,
    Provenance,
    SourceReport,
)

# The `expand` properties the catalog reads (huggingface_hub's ExpandModelProperty_T names).
EXPAND_FIELDS: tuple[str, ...] = (
    "pipeline_tag", "library_name", "tags", "downloads", "likes", "lastModified", "createdAt",
    "cardData", "safetensors", "model-index", "evalResults", "author", "gated",
)

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}(/[\w.\-]{1,96})?$")
_TAG = re.compile(r"^[\w.\-:/+ ]{1,160}$")

# Pipeline tag -> (domain, modality). Tags outside this table keep their task and get no domain.
_TASK_DOMAIN: dict[str, tuple[str, str]] = {}
for _domain, _modality, _tasks in (
    ("vision", "image", "image-classification object-detection image-segmentation mask-generation "
     "keypoint-detection image-feature-extraction depth-estimation video-classification image-to-image "
     "unconditional-image-generation zero-shot-object-detection image-to-3d image-to-video"),
    ("nlp", "text", "text-classification token-classification question-answering fill-mask translation "
     "summarization text-generation text2text-generation feature-extraction sentence-similarity "
     "zero-shot-classification table-question-answering text-ranking"),
    ("speech", "audio", "automatic-speech-recognition text-to-speech voice-activity-detection"),
    ("audio", "audio", "audio-classification audio-to-audio text-to-audio"),
    ("multimodal", "multimodal", "image-to-text visual-question-answering image-text-to-text "
     "zero-shot-image-classification document-question-answering text-to-image text-to-video "
     "any-to-any visual-document-retrieval"),
):
    for _task in _tasks.split():
        _TASK_DOMAIN[_task] = (_domain, _modality)

# Card dataset / metric spellings -> the catalog's canonical names (tasks.py benchmarks).
_DATASET_ALIASES = {
    "imagenet": "imagenet-1k", "imagenet-1k": "imagenet-1k", "ilsvrc/imagenet-1k": "imagenet-1k",
    "imagenet_1k": "imagenet-1k", "imagenet1k": "imagenet-1k",
    "coco": "coco-val2017", "detection-datasets/coco": "coco-val2017", "coco2017": "coco-val2017",
    "ade20k": "ade20k", "scene_parse_150": "ade20k", "sst2": "sst2", "glue/sst2": "sst2",
    "librispeech_asr": "librispeech-test-clean",
}
_METRIC_ALIASES = {
    "acc": "accuracy", "accuracy": "accuracy", "top-1": "top1", "top1": "top1", "top-1 accuracy": "top1",
    "top-5": "top5", "top5": "top5", "map": "box_map", "box ap": "box_map", "box_map": "box_map",
    "ap": "box_map", "miou": "miou", "mean_iou": "miou", "wer": "wer", "cer": "cer", "f1": "f1",
}
_LOWER_IS_BETTER = frozenset({"wer", "cer", "loss", "perplexity", "top1_err", "top5_err", "eer"})
_BYTES_PER_DTYPE = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "BF16": 2, "F16": 2, "I16": 2, "I8": 1, "U8": 1,
                    "F8_E4M3": 1, "F8_E5M2": 1, "BOOL": 1}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        return None
    return int(value) if value >= 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%"))
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def parse_hub_datetime(value: Any) -> datetime | None:
    """'2024-04-10T13:53:46.000Z' -> a naive UTC datetime (the store keeps naive UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if value[-1] == "Z":  # the Hub's own spelling: already UTC, so no timezone arithmetic
            parsed = datetime.fromisoformat(value[:-1])
            return parsed if parsed.tzinfo is None else None
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _str_list(value: Any, report: SourceReport, field_name: str) -> list[str]:
    """A list of short strings; a bare string counts as a one-item list (cards write both)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        report.drop(field_name)
        return []
    items = []
    for v in value:
        if isinstance(v, str) and len(v) <= 160:
            v = v.strip()
            if v:
                items.append(v)
    if len(items) != len(value):
        report.drop(field_name + "[]")
    return items


def _card_metrics(model_index: Any, task_default: str | None, page: str, report: SourceReport) -> list[MetricRecord]:
    """Metric rows from card `model-index` (list of {name, results: [{task, dataset, metrics}]})."""
    if model_index is None:
        return []
    if not isinstance(model_index, list):
        report.drop("model-index")
        return []
    metrics: list[MetricRecord] = []
    for entry in model_index:
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(results, list):
            report.drop("model-index.results")
            continue
        for result in results:
            if not isinstance(result, dict):
                report.drop("model-index.result")
                continue
            task = result.get("task") if isinstance(result.get("task"), dict) else {}
            dataset = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
            task_name = task.get("type") if isinstance(task.get("type"), str) else task_default
            dataset_raw = dataset.get("type") or dataset.get("name")
            if not task_name or not isinstance(dataset_raw, str) or not isinstance(result.get("metrics"), list):
                report.drop("model-index.result")
                continue
            split = dataset.get("split") if isinstance(dataset.get("split"), str) else None
            dataset_name = _DATASET_ALIASES.get(dataset_raw.strip().lower(), dataset_raw.strip().lower())[:160]
            for metric in result["metrics"]:
                value = _number(metric.get("value")) if isinstance(metric, dict) else None
                metric_raw = metric.get("type") or metric.get("name") if isinstance(metric, dict) else None
                if value is None or not isinstance(metric_raw, str) or not metric_raw.strip():
                    report.drop("model-index.metric")
                    continue
                metric_name = _METRIC_ALIASES.get(metric_raw.strip().lower(), metric_raw.strip().lower())[:80]
                metrics.append(MetricRecord(
                    task=task_name[:60], dataset=dataset_name, metric=metric_name, value=value,
                    kind=FigureKind.REPORTED, source=page, split=split[:60] if split else None,
                    higher_is_better=metric_name not in _LOWER_IS_BETTER,
                    notes=metric.get("name") if isinstance(metric.get("name"), str) else None,
                    extra={"from": "model-index"},
                ))
    return metrics


def _eval_results(value: Any, task_default: str | None, page: str, report: SourceReport) -> list[MetricRecord]:
    """Metric rows from the Hub's `evalResults` (.eval_results/*.yaml entries: dataset id, task id, value)."""
    if value is None:
        return []
    if not isinstance(value, list):
        report.drop("evalResults")
        return []
    metrics = []
    for item in value:
        data = item.get("data", item) if isinstance(item, dict) else None
        dataset = data.get("dataset") if isinstance(data, dict) else None
        number = _number(data.get("value")) if isinstance(data, dict) else None
        if not isinstance(dataset, dict) or not isinstance(dataset.get("id"), str) or number is None:
            report.drop("evalResults[]")
            continue
        source = data.get("source") if isinstance(data.get("source"), dict) else {}
        url = source.get("url") if isinstance(source.get("url"), str) else page
        metric = dataset.get("task_id") if isinstance(dataset.get("task_id"), str) else "score"
        metrics.append(MetricRecord(
            task=(task_default or "unknown")[:60], dataset=dataset["id"].lower()[:160], metric=metric[:80],
            value=number, kind=FigureKind.REPORTED, source=url, extra={"from": "evalResults"},
        ))
    return metrics


def map_hub_model(item: Any, report: SourceReport, site: str = "https://huggingface.co") -> ModelRecord | None:
    """Map one Hub `/api/models` record to a `hf:<repo>` ModelRecord (None: skipped and counted).

    `site` is the Hub the record came from; model pages (the source of every figure) live under it.
    """
    if not isinstance(item, dict):
        report.skip("record is not a JSON object")
        return None
    repo_id = item.get("id") or item.get("modelId")
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id):
        report.skip("missing or malformed repo id")
        return None
    if item.get("private") is True:
        report.skip("private repository")
        return None
    page = f"{site.rstrip('/')}/{repo_id}"
    reported = Provenance(FigureKind.REPORTED, page)

    pipeline_tag = item.get("pipeline_tag")
    if pipeline_tag is not None and (not isinstance(pipeline_tag, str) or not _TAG.match(pipeline_tag)):
        report.drop("pipeline_tag")
        pipeline_tag = None
    tags = _str_list(item.get("tags", []), report, "tags")
    card = item.get("cardData")
    if card is not None and not isinstance(card, dict):
        report.drop("cardData")
        card = None
    card = card or {}

    license_: str | None = None
    datasets: list[str] = []
    papers: list[str] = []
    languages: list[str] = []
    for t in tags:  # one pass: a Hub record carries a dozen tags or more
        if ":" in t:
            if t.startswith("license:"):
                license_ = t[8:] if license_ is None else license_
            elif t.startswith("dataset:"):
                datasets.append(t[8:])
            elif t.startswith("arxiv:"):
                papers.append(t)
        elif 2 <= len(t) <= 3 and t.isalpha() and t.islower():
            languages.append(t)
    if license_ is None and "license" in card:
        card_license = _str_list(card["license"], report, "cardData.license")
        license_ = card_license[0] if card_license else None
    if not datasets and "datasets" in card:
        datasets = _str_list(card["datasets"], report, "cardData.datasets")
    if not languages and "language" in card:
        languages = _str_list(card["language"], report, "cardData.language")

    library = item.get("library_name")
    if library is not None and not isinstance(library, str):
        report.drop("library_name")
        library = None

    counts: dict[str, int | None] = {}
    for key in ("downloads", "likes"):
        counts[key] = _int(item.get(key)) if key in item else None
        if key in item and counts[key] is None:
            report.drop(key)
    dates: dict[str, datetime | None] = {}
    for key in ("lastModified", "createdAt"):
        dates[key] = parse_hub_datetime(item.get(key)) if item.get(key) is not None else None
        if item.get(key) is not None and dates[key] is None:
            report.drop(key)

    params = size_mb = None
    provenance: dict[str, Provenance] = {}
    safetensors = item.get("safetensors")
    if safetensors is not None:
        params = _int(safetensors.get("total")) if isinstance(safetensors, dict) else None
        if not params:
            report.drop("safetensors")
            params = None
        else:
            provenance["params"] = reported
            by_dtype = safetensors.get("parameters")
            if isinstance(by_dtype, dict) and all(k in _BYTES_PER_DTYPE and _int(v) is not None for k, v in by_dtype.items()):
                size_mb = round(sum(_BYTES_PER_DTYPE[k] * v for k, v in by_dtype.items()) / 1e6, 3) or None
                if size_mb:  # bytes per dtype x the reported tensor counts
                    provenance["size_mb"] = Provenance(FigureKind.COMPUTED, "safetensors dtype counts")

    model_index = item.get("model-index", card.get("model-index"))
    metrics = _card_metrics(model_index, pipeline_tag, page, report)
    metrics += _eval_results(item.get("evalResults"), pipeline_tag, page, report)

    domain, modality = _TASK_DOMAIN.get(pipeline_tag or "", (None, None))
    extra: dict[str, Any] = {}
    if languages:
        extra["languages"] = languages[:20]
    if isinstance(item.get("gated"), (bool, str)) and item.get("gated"):
        extra["gated"] = item["gated"]
    base_model = card.get("base_model")
    if isinstance(base_model, str):
        extra["base_model"] = base_model[:200]
    author = item.get("author") if isinstance(item.get("author"), str) else repo_id.split("/")[0] if "/" in repo_id else None
    return ModelRecord(
        source="hf", name=repo_id, tasks=(pipeline_tag,) if pipeline_tag else (),
        domains=(domain,) if domain else (), modality=modality, family=author, params=params, size_mb=size_mb,
        license=license_.lower()[:80] if license_ else None, pretrain_datasets=tuple(d[:160] for d in datasets[:20]),
        papers=tuple(papers[:20]), hub_repo=repo_id, homepage=None, origin="huggingface-hub",
        library=library[:60] if library else None, downloads=counts["downloads"], likes=counts["likes"],
        updated_at=dates["lastModified"], created_at=dates["createdAt"], provenance=provenance,
        metrics=tuple(metrics), extra=extra,
    )
