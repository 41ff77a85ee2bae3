"""The figures the ranking compares, gathered per candidate with their kind and source.

Accuracy is the task's canonical benchmark (the same pick `advisor search` and `show` make);
size falls back to an fp32 estimate from the parameter count and says so; latency comes from the
latency engine (measured beats estimated); probe results on the user's data sit beside all of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from advisor.accuracy import canonical_metric
from advisor.domains import DomainMatch
from advisor.tasks import TASKS, Benchmark
from catalog.candidates import Candidate, CandidateMetric
from catalog.queries import PERMISSIVE_LICENSES


class LatencyLike(Protocol):
    latency_ms: float
    kind: str
    range_ms: tuple[float, float]
    memory_mb: float | None
    source: str


@dataclass(frozen=True)
class ProbeFigure:
    """A probe result on the user's dataset: what `--dataset` ranks by."""

    value: float
    metric: str
    mode: str | None
    source: str  # "probe:<fingerprint>" or the run id
    higher_is_better: bool = True


@dataclass
class Facts:
    candidate: Candidate
    accuracy: CandidateMetric | None = None  # on the comparison benchmark
    other_accuracy: CandidateMetric | None = None  # a canonical figure on another benchmark
    probe: ProbeFigure | None = None
    latency: LatencyLike | None = None
    size_mb: float | None = None
    size_kind: str | None = None  # reported | computed | estimated
    domain: DomainMatch | None = None
    term_match: str | None = None  # the alias term the card mentions ("sentiment", "plant", "license plate")
    warnings: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.candidate.id

    @property
    def rated(self) -> bool:
        return self.accuracy is not None

    @property
    def latency_ms(self) -> float | None:
        return self.latency.latency_ms if self.latency is not None else None

    @property
    def memory_mb(self) -> float | None:
        return getattr(self.latency, "memory_mb", None) if self.latency is not None else None


def comparison_benchmark(task: str, candidates: Sequence[Candidate]) -> Benchmark | None:
    """The task benchmark most candidates report (ties go to the task's preferred order).

    Comparing on one benchmark keeps the ranking on the same footing; models that only report
    another benchmark of the task show as unrated with that figure beside them.
    """
    spec = TASKS.get(task)
    if spec is None or not spec.benchmarks:
        return None
    counts: Counter[int] = Counter()
    for c in candidates:
        for index, bench in enumerate(spec.benchmarks):
            if any(m.dataset == bench.dataset and m.metric == bench.metric and m.kind != "probe" for m in c.metrics):
                counts[index] += 1
    if not counts:
        return spec.benchmarks[0]
    best = max(counts.items(), key=lambda item: (item[1], -item[0]))[0]
    return spec.benchmarks[best]


def accuracy_facts(task: str, candidate: Candidate, bench: Benchmark | None) -> tuple[CandidateMetric | None, CandidateMetric | None]:
    """(figure on the comparison benchmark, first canonical figure on another benchmark)."""
    on_bench = canonical_metric(task, candidate.metrics, bench) if bench else None
    other = None
    if on_bench is None:
        # Another canonical benchmark of the task, else whatever the publisher reports for the task
        # (a chest X-ray model's Dice on its own validation set): shown, never compared.
        other = canonical_metric(task, candidate.metrics) or next(
            (m for m in candidate.metrics if m.task == task and m.kind != "probe"), None)
    return on_bench, other


def size_facts(candidate: Candidate) -> tuple[float | None, str | None]:
    """Weights size in MB and its kind; an fp32 estimate (4 bytes per parameter) when unknown."""
    if candidate.size_mb is not None:
        kind = (candidate.provenance.get("size_mb") or {}).get("kind", "reported")
        return candidate.size_mb, kind
    if candidate.params:
        return candidate.params * 4 / 1e6, "estimated"
    return None, None


def commercial_ok(license_: str | None) -> bool:
    return bool(license_) and license_.lower() in PERMISSIVE_LICENSES


def license_warning(license_: str | None) -> str | None:
    """A one-line caution for commercial use, or None for a permissive licence."""
    if not license_:
        return "licence unknown: check the terms before any commercial use"
    lowered = license_.lower()
    if lowered in PERMISSIVE_LICENSES:
        return None
    if "agpl" in lowered:
        return f"{license_} is copyleft: shipping it in a product or network service obliges you to release your source, or to buy a commercial licence"
    if "gpl" in lowered:
        return f"{license_} is copyleft: distributing it in a product obliges you to release your source"
    if "nc" in lowered.replace("-", " ").split() or "-nc" in lowered or "noncommercial" in lowered:
        return f"{license_} forbids commercial use"
    if lowered in {"other", "unknown", "custom"}:
        return "custom licence ('other'): read the model's terms before commercial use"
    return f"{license_} is not a recognised permissive licence: check its terms before commercial use"


def probe_from_outcome(outcome: Any, fingerprint: str) -> ProbeFigure | None:
    """A ProbeFigure from benchmarks.runs' ProbeOutcome (read by attribute, tolerant of shape)."""
    if getattr(outcome, "status", "ok") not in ("ok", "done", "finished", "success"):
        return None
    score = getattr(outcome, "score", None)
    metrics = getattr(outcome, "metrics", None) or {}
    mode = getattr(outcome, "mode", None)
    # The probe engine's score is validation accuracy, except LogME's evidence (another scale).
    metric = "LogME evidence" if mode == "logme" else "accuracy"
    if score is None:
        for name in ("accuracy", "macro_f1", "top1"):
            if metrics.get(name) is not None:
                score, metric = metrics[name], name
                break
    if score is None:
        return None
    return ProbeFigure(float(score), metric, mode, f"probe:{fingerprint}")


def probe_from_metrics(metrics: Sequence[CandidateMetric], dataset: str) -> ProbeFigure | None:
    """A ProbeFigure from probe-kind Metric rows (dataset "probe:<fingerprint>")."""
    rows = [m for m in metrics if m.dataset == dataset and m.kind == "probe"]
    if not rows:
        return None
    for name in ("score", "accuracy", "macro_f1", "top1"):
        for m in rows:
            if m.metric == name:
                return ProbeFigure(m.value, m.metric, (m.extra or {}).get("mode"), dataset, m.higher_is_better)
    m = rows[0]
    return ProbeFigure(m.value, m.metric, (m.extra or {}).get("mode"), dataset, m.higher_is_better)
