"""Curated cards: one human-readable YAML file per family in data/cards/ (format in its README).

Every figure in a card must carry the URL it comes from; a figure without one is dropped and
counted, never stored. A malformed field is dropped, a malformed model skipped, a malformed file
skipped: the build never aborts on one card.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from catalog.records import (
    BenchmarkRecord,
    FigureKind,
    MetricRecord,
    ModelRecord,
    Provenance,
    SourceReport,
)
from catalog.sources import register_source

# Metrics where a smaller value is better; everything else is higher-is-better.
LOWER_IS_BETTER = {"wer", "cer", "fid", "perplexity", "eer", "epe", "fl_all", "rmse", "mae", "latency_ms", "nme"}
ORIGINS = {
    "huggingface-hub", "tensorflow-hub", "pytorch-hub", "torchvision", "timm", "ultralytics",
    "opencv", "mediapipe", "detectron2", "mmdetection", "segmentation-models-pytorch",
    "nvidia-ngc", "keras-applications", "github",
}
_URL = re.compile(r"^https?://\S+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")


def cards_dir() -> Path:
    from catalog.snapshot import embedded_data_dir

    return embedded_data_dir() / "cards"


def _number(value: Any) -> float | None:
    if isinstance(value, str):
        # PyYAML (YAML 1.1) reads 3.2e6 as a string; accept plain numeric text, nothing else.
        try:
            value = float(value.replace("_", ""))
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _str_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    return None


def _metric(raw: Any, default_task: str | None, report: SourceReport) -> MetricRecord | None:
    if not isinstance(raw, dict):
        report.drop("metrics")
        return None
    value = _number(raw.get("value"))
    source = raw.get("source")
    task = raw.get("task") or default_task
    if value is None or not all(isinstance(raw.get(k), str) for k in ("dataset", "metric")) or not task:
        report.drop("metrics")
        return None
    if not isinstance(source, str) or not _URL.match(source):
        report.drop("metrics (no source URL)")
        return None
    metric = raw["metric"].lower()
    return MetricRecord(
        task=task,
        dataset=raw["dataset"].lower(),
        metric=metric,
        value=value,
        kind=FigureKind.REPORTED,
        source=source,
        split=raw.get("split"),
        higher_is_better=bool(raw.get("higher_is_better", metric not in LOWER_IS_BETTER)),
        notes=raw.get("note") or raw.get("notes"),
    )


def _benchmark(raw: Any, report: SourceReport) -> BenchmarkRecord | None:
    if not isinstance(raw, dict):
        report.drop("benchmarks")
        return None
    latency = _number(raw.get("latency_ms"))
    source = raw.get("source")
    if latency is None or not isinstance(raw.get("device"), str):
        report.drop("benchmarks")
        return None
    if not isinstance(source, str) or not _URL.match(source):
        report.drop("benchmarks (no source URL)")
        return None
    batch = raw.get("batch_size", 1)
    return BenchmarkRecord(
        device=raw["device"],
        batch_size=int(batch) if isinstance(batch, int) and batch > 0 else 1,
        precision=str(raw.get("precision", "fp32")),
        latency_ms=latency,
        kind=FigureKind.REPORTED,
        source=source,
        img_size=raw.get("img_size") if isinstance(raw.get("img_size"), int) else None,
        extra={"note": raw["note"]} if raw.get("note") else None,
    )


def card_to_records(card: dict, path: Path, report: SourceReport) -> list[ModelRecord]:
    """Turn one parsed card file into ModelRecords (the only place card fields are interpreted)."""
    family_source = card.get("figures_source")
    defaults = card.get("defaults") if isinstance(card.get("defaults"), dict) else {}
    origin = card.get("origin")
    if origin not in ORIGINS:
        report.drop("origin")
        origin = None
    records = []
    for raw in card.get("models") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not _NAME.match(raw["name"]):
            report.skip(f"{path.name}: model without a valid name")
            continue
        merged = {**defaults, **raw}
        tasks = _str_list(merged.get("tasks")) or ()
        if not tasks:
            report.skip(f"{path.name}: {raw['name']} has no tasks")
            continue
        figure_source = raw.get("figures_source") or family_source
        sourced = isinstance(figure_source, str) and bool(_URL.match(figure_source))
        fields: dict[str, Any] = {}
        provenance: dict[str, Provenance] = {}
        params = _number(merged.get("params"))
        gmacs = _number(merged.get("gmacs"))
        gflops = _number(merged.get("gflops"))
        size_mb = _number(merged.get("size_mb"))
        if gmacs is None and gflops is not None:
            gmacs = gflops / 2  # published FLOPs count a MAC as two operations
        for key, value, note in (
            ("params", params, ""),
            ("gmacs", gmacs, " (published GFLOPs / 2)" if merged.get("gmacs") is None and gflops is not None else ""),
            ("size_mb", size_mb, ""),
        ):
            if value is None:
                if merged.get(key if key != "gmacs" else "gflops") is not None:
                    report.drop(key)
                continue
            if not sourced:
                report.drop(f"{key} (no source URL)")
                continue
            fields[key] = value
            provenance[key] = Provenance(FigureKind.REPORTED, figure_source + note)
        input_size = merged.get("input_size")
        if input_size is not None and not (isinstance(input_size, list) and all(isinstance(v, int) for v in input_size)):
            report.drop("input_size")
            input_size = None
        metrics = tuple(m for m in (_metric(x, tasks[0], report) for x in merged.get("metrics") or []) if m)
        benchmarks = tuple(b for b in (_benchmark(x, report) for x in merged.get("benchmarks") or []) if b)
        records.append(
            ModelRecord(
                source="cards",
                name=raw["name"],
                tasks=tasks,
                domains=_str_list(merged.get("domains") or card.get("domains")) or (),
                modality=merged.get("modality") or card.get("modality"),
                family=card.get("family"),
                architecture=merged.get("architecture"),
                params=int(fields["params"]) if "params" in fields else None,
                gmacs=fields.get("gmacs"),
                input_size=tuple(input_size) if input_size else None,
                size_mb=fields.get("size_mb"),
                license=str(merged.get("license") or card.get("license") or "") or None,
                pretrain_datasets=_str_list(merged.get("pretrain_datasets")) or (),
                papers=_str_list(merged.get("papers") or card.get("papers")) or (),
                hub_repo=merged.get("hub_repo") if isinstance(merged.get("hub_repo"), str) else None,
                homepage=merged.get("homepage") or card.get("homepage"),
                origin=origin,
                library=merged.get("library") or card.get("library"),
                summary=" ".join(str(merged.get("summary") or card.get("summary") or "").split()) or None,
                provenance=provenance,
                metrics=metrics,
                benchmarks=benchmarks,
                extra={"card": path.name},
            )
        )
    return records


@register_source("cards", "curated YAML cards in data/cards for families neither library ships")
def load_cards(directory: Path | None = None) -> SourceReport:
    report = SourceReport(name="cards")
    seen: dict[str, str] = {}
    for path in sorted((directory or cards_dir()).glob("*.yaml")):
        try:
            card = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            report.skip(f"{path.name}: not valid YAML ({type(exc).__name__})")
            continue
        if not isinstance(card, dict):
            report.skip(f"{path.name}: not a card mapping")
            continue
        for record in card_to_records(card, path, report):
            if record.name in seen:
                report.skip(f"{path.name}: duplicate name {record.name} (first in {seen[record.name]})")
                continue
            seen[record.name] = path.name
            report.records.append(record)
    return report
