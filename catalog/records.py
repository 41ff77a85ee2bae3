"""Plain values that cross layers: sources produce them, the store persists them, the advisor ranks them.

Units are fixed here once: params in units, compute in GMACs, sizes in MB (10^6 bytes), latency
in ms. Every figure that is not a plain fact of identity carries its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class FigureKind(str, Enum):
    """Where a figure comes from; ordering of trust is measured > estimated for latency and
    probe > reported for accuracy on the user's own data."""

    REPORTED = "reported"  # published by the model's publisher
    COMPUTED = "computed"  # counted by this tool from the architecture (params, GMACs)
    MEASURED = "measured"  # timed by this tool on a named device
    ESTIMATED = "estimated"  # predicted by this tool's latency/memory model
    PROBE = "probe"  # measured on a user's dataset


@dataclass(frozen=True, slots=True)
class Provenance:
    kind: FigureKind
    source: str  # URL, device fingerprint, dataset fingerprint or tool name
    obtained_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MetricRecord:
    task: str
    dataset: str
    metric: str
    value: float
    kind: FigureKind = FigureKind.REPORTED
    source: str = ""
    split: str | None = None
    higher_is_better: bool = True
    obtained_at: datetime | None = None
    device: str | None = None
    notes: str | None = None
    extra: dict | None = None


@dataclass(frozen=True, slots=True)
class BenchmarkRecord:
    device: str
    batch_size: int
    precision: str
    latency_ms: float | None
    kind: FigureKind = FigureKind.REPORTED
    source: str = ""
    latency_p90_ms: float | None = None
    throughput_per_s: float | None = None
    peak_memory_mb: float | None = None
    img_size: int | None = None
    layout: str | None = None  # "nchw" | "nhwc" (channels_last)
    status: str = "ok"
    error: str | None = None
    device_fingerprint: dict | None = None
    obtained_at: datetime | None = None
    extra: dict | None = None


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """One pretrained model as a source sees it. `id` is the canonical `source:name`."""

    source: str
    name: str
    tasks: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    modality: str | None = None
    family: str | None = None
    architecture: str | None = None
    params: int | None = None
    gmacs: float | None = None
    activations_m: float | None = None  # activation count in millions (timm's "macts")
    input_size: tuple[int, ...] | None = None  # (C, H, W) for images
    test_input_size: tuple[int, ...] | None = None
    size_mb: float | None = None
    license: str | None = None
    pretrain_datasets: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()
    hub_repo: str | None = None
    homepage: str | None = None
    origin: str | None = None  # where to get it: timm, torchvision, ultralytics, huggingface-hub, ...
    library: str | None = None
    summary: str | None = None
    downloads: int | None = None
    likes: int | None = None
    updated_at: datetime | None = None
    created_at: datetime | None = None
    num_classes: int | None = None
    # field name -> provenance for model-level figures (params, gmacs, size_mb, ...)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    metrics: tuple[MetricRecord, ...] = ()
    benchmarks: tuple[BenchmarkRecord, ...] = ()
    extra: dict = field(default_factory=dict)  # source-specific metadata (crop, mean/std, recipe, ...)

    @property
    def id(self) -> str:
        return f"{self.source}:{self.name}"


@dataclass(slots=True)
class SourceReport:
    """What a source run produced and dropped, so a sync or build can say why."""

    name: str
    records: list[ModelRecord] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count of skipped records
    dropped_fields: dict[str, int] = field(default_factory=dict)  # field -> count dropped

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def drop(self, field_name: str) -> None:
        self.dropped_fields[field_name] = self.dropped_fields.get(field_name, 0) + 1
