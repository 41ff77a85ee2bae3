"""SQLAlchemy 2.0 models of the catalog store.

Model-level figures that are queried and sorted on (params, GMACs, size) are columns, with their
provenance in `provenance`; every accuracy figure and every latency figure is a row of its own
with kind, source and date. List-valued fields are JSON for display plus a narrow facet table
(task, domain, dataset) so filters stay indexed at a million models.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict: JSON, list: JSON}


class Model(Base):
    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # "source:name"
    source: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(260))
    tasks: Mapped[list] = mapped_column(default=list)
    primary_task: Mapped[str | None] = mapped_column(String(60), index=True)
    domains: Mapped[list] = mapped_column(default=list)
    modality: Mapped[str | None] = mapped_column(String(30))
    family: Mapped[str | None] = mapped_column(String(120), index=True)
    architecture: Mapped[str | None] = mapped_column(String(160))
    params: Mapped[int | None] = mapped_column(BigInteger, index=True)
    gmacs: Mapped[float | None] = mapped_column(Float)
    activations_m: Mapped[float | None] = mapped_column(Float)
    input_size: Mapped[list | None] = mapped_column()
    test_input_size: Mapped[list | None] = mapped_column()
    size_mb: Mapped[float | None] = mapped_column(Float)
    license: Mapped[str | None] = mapped_column(String(80), index=True)
    pretrain_datasets: Mapped[list] = mapped_column(default=list)
    papers: Mapped[list] = mapped_column(default=list)
    hub_repo: Mapped[str | None] = mapped_column(String(260), index=True)
    homepage: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(60))
    library: Mapped[str | None] = mapped_column(String(60))
    summary: Mapped[str | None] = mapped_column(Text)
    num_classes: Mapped[int | None] = mapped_column(Integer)
    downloads: Mapped[int | None] = mapped_column(BigInteger, index=True)
    likes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    provenance: Mapped[dict] = mapped_column(default=dict)  # field -> {kind, source, obtained_at}
    extra: Mapped[dict] = mapped_column(default=dict)
    # Lower-cased name, family, tasks, domains, datasets and summary: the portable search path.
    search_text: Mapped[str] = mapped_column(Text, default="")
    indexed_at: Mapped[datetime | None] = mapped_column(DateTime)  # when a source last wrote it

    metrics: Mapped[list[Metric]] = relationship(
        back_populates="model", cascade="all, delete-orphan", passive_deletes=True
    )
    benchmarks: Mapped[list[Benchmark]] = relationship(
        back_populates="model", cascade="all, delete-orphan", passive_deletes=True
    )


class ModelFacet(Base):
    """(facet, value, model) triples for the indexed filters behind --task, --domain and domain
    matching on pretraining datasets; JSON columns on `models` stay the display copy."""

    __tablename__ = "model_facets"

    facet: Mapped[str] = mapped_column(String(20), primary_key=True)  # task | domain | dataset
    value: Mapped[str] = mapped_column(String(160), primary_key=True)
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    __table_args__ = (Index("ix_model_facets_model_id", "model_id"),)


class Metric(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    task: Mapped[str] = mapped_column(String(60))
    dataset: Mapped[str] = mapped_column(String(160))
    split: Mapped[str | None] = mapped_column(String(60))
    metric: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(20))  # reported | measured | estimated | probe
    # Which writer owns the row (a catalog source, "bench", "probe"): a re-sync of one source
    # replaces its own rows and never another's.
    origin: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    device: Mapped[str | None] = mapped_column(String(200))
    obtained_at: Mapped[datetime | None] = mapped_column(DateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict | None] = mapped_column()

    model: Mapped[Model] = relationship(back_populates="metrics")

    __table_args__ = (
        Index("ix_metrics_task_dataset_metric", "task", "dataset", "metric"),
    )


class Benchmark(Base):
    """A latency figure: reported by a publisher, measured here, or a probe of the device."""

    __tablename__ = "benchmarks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(200))
    batch_size: Mapped[int] = mapped_column(Integer)
    precision: Mapped[str] = mapped_column(String(10))
    layout: Mapped[str | None] = mapped_column(String(10))
    img_size: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)  # median
    latency_p90_ms: Mapped[float | None] = mapped_column(Float)
    throughput_per_s: Mapped[float | None] = mapped_column(Float)
    peak_memory_mb: Mapped[float | None] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
    device_fingerprint: Mapped[dict | None] = mapped_column()
    obtained_at: Mapped[datetime | None] = mapped_column(DateTime)
    extra: Mapped[dict | None] = mapped_column()

    model: Mapped[Model] = relationship(back_populates="benchmarks")

    __table_args__ = (Index("ix_benchmarks_device_batch_precision", "device", "batch_size", "precision"),)


class ProbeRun(Base):
    """One `advisor probe` invocation; its per-model results are probe-kind Metric rows."""

    __tablename__ = "probe_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    task: Mapped[str] = mapped_column(String(60))
    dataset_path: Mapped[str] = mapped_column(Text)
    dataset_fingerprint: Mapped[str] = mapped_column(String(80), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    device: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    config: Mapped[dict | None] = mapped_column()
    summary: Mapped[dict | None] = mapped_column()


class ProbeResult(Base):
    """One (model, dataset, mode) outcome, finished or failed; the unit a rerun skips."""

    __tablename__ = "probe_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("probe_runs.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[str] = mapped_column(String(300), index=True)
    dataset_fingerprint: Mapped[str] = mapped_column(String(80))
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    metrics: Mapped[dict | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    device: Mapped[str | None] = mapped_column(String(200))
    hyperparameters: Mapped[dict | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("model_id", "dataset_fingerprint", "mode", name="uq_probe_results_triple"),
    )


class SyncState(Base):
    """Key/value state of incremental syncs (watermarks, cursors) and catalog metadata."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[dict] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
