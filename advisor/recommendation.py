"""The result of a recommendation or comparison: ranked candidates with every figure's provenance.

`Recommendation.to_dict()` is the DESIGN.md `recommend` / `compare` JSON shape plus extra fields
(provenance rows for reports, which figures are estimated, what each constraint excluded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.facts import Facts
from advisor.targets import Target
from advisor.tasks import Benchmark, Task


def provenance_rows(model_id: str, m: Any) -> dict:
    """A metric row (MetricView or CandidateMetric) as a provenance entry."""
    return {"id": model_id, "figure": f"{m.task}/{m.dataset}/{m.metric}", "value": m.value, "kind": m.kind,
            "source": m.source, "obtained_at": getattr(m, "obtained_at", None), "device": getattr(m, "device", None)}


@dataclass(frozen=True)
class RankedCandidate:
    rank: int
    id: str
    score: float | None
    pareto: bool
    rated: bool
    accuracy: dict | None  # {"metric", "dataset", "value", "kind", "source", "label", "higher_is_better"}
    latency_ms: float | None
    latency_kind: str | None
    latency_range_ms: tuple[float, float] | None
    memory_mb: float | None
    size_mb: float | None
    size_kind: str | None
    params: int | None
    gmacs: float | None
    license: str | None
    explanation: str
    warnings: tuple[str, ...]
    estimated: tuple[str, ...]  # names of the figures that are this tool's estimates
    probe: dict | None
    domain_match: dict | None
    other_accuracy: dict | None
    provenance: tuple[dict, ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, *, rank: int, facts: Facts, score: float | None, pareto: bool, bench: Benchmark | None,
              explanation: str, warnings: list[str]) -> RankedCandidate:
        f, c = facts, facts.candidate
        acc = None
        if f.accuracy is not None and bench is not None:
            acc = {"metric": f.accuracy.metric, "dataset": f.accuracy.dataset, "value": f.accuracy.value,
                   "kind": f.accuracy.kind, "source": f.accuracy.source, "label": bench.label,
                   "higher_is_better": bench.higher_is_better}
        other = None
        if f.other_accuracy is not None:
            o = f.other_accuracy
            other = {"metric": o.metric, "dataset": o.dataset, "value": o.value, "kind": o.kind, "source": o.source}
        lat = f.latency
        estimated = []
        if lat is not None and lat.kind == "estimated":
            estimated.append("latency_ms")
            if getattr(lat, "memory_mb", None) is not None:
                estimated.append("memory_mb")
        if f.size_kind == "estimated":
            estimated.append("size_mb")
        prov = []
        if f.accuracy is not None:
            prov.append(provenance_rows(c.id, f.accuracy))
        if lat is not None:
            prov.append({"id": c.id, "figure": "latency_ms", "value": lat.latency_ms, "kind": lat.kind,
                         "source": lat.source, "obtained_at": getattr(lat, "obtained_at", None),
                         "device": getattr(lat, "device", None)})
        for name, value in (("params", c.params), ("gmacs", c.gmacs), ("size_mb", f.size_mb)):
            if value is None:
                continue
            p = c.provenance.get(name) or {}
            kind = "estimated" if name == "size_mb" and f.size_kind == "estimated" else p.get("kind", "reported")
            source = "params x 4 bytes (fp32)" if kind == "estimated" and name == "size_mb" else p.get("source", "")
            prov.append({"id": c.id, "figure": name, "value": value, "kind": kind, "source": source,
                         "obtained_at": p.get("obtained_at"), "device": None})
        probe = None
        if f.probe is not None:
            probe = {"metric": f.probe.metric, "value": f.probe.value, "mode": f.probe.mode, "kind": "probe",
                     "source": f.probe.source}
            prov.append({"id": c.id, "figure": f"probe/{f.probe.metric}", "value": f.probe.value, "kind": "probe",
                         "source": f.probe.source, "obtained_at": None, "device": None})
        domain = None
        if f.domain is not None:
            domain = {"score": f.domain.score, "in_domain": f.domain.in_domain, "evidence": f.domain.evidence,
                      "general": f.domain.general}
        return cls(
            rank=rank, id=c.id, score=score if f.rated else None, pareto=pareto, rated=f.rated, accuracy=acc,
            latency_ms=lat.latency_ms if lat else None, latency_kind=lat.kind if lat else None,
            latency_range_ms=tuple(lat.range_ms) if lat and lat.range_ms else None,
            memory_mb=getattr(lat, "memory_mb", None) if lat else None, size_mb=f.size_mb, size_kind=f.size_kind,
            params=c.params, gmacs=c.gmacs, license=c.license, explanation=explanation, warnings=tuple(warnings),
            estimated=tuple(estimated), probe=probe, domain_match=domain, other_accuracy=other, provenance=tuple(prov),
        )

    def to_dict(self) -> dict:
        return {
            "rank": self.rank, "id": self.id, "score": self.score, "pareto": self.pareto, "rated": self.rated,
            "accuracy": self.accuracy, "latency_ms": self.latency_ms, "latency_kind": self.latency_kind,
            "latency_range_ms": list(self.latency_range_ms) if self.latency_range_ms else None,
            "memory_mb": self.memory_mb, "size_mb": self.size_mb, "size_kind": self.size_kind, "params": self.params,
            "gmacs": self.gmacs, "license": self.license, "explanation": self.explanation,
            "warnings": list(self.warnings), "estimated": list(self.estimated), "probe": self.probe,
            "domain_match": self.domain_match, "other_accuracy": self.other_accuracy,
        }


@dataclass(frozen=True)
class Recommendation:
    query: dict
    target: Target
    candidates: list[RankedCandidate]
    total: int  # candidates that passed the constraints (before --top)
    bench: Benchmark | None
    excluded: dict[str, int]
    unknown: dict[str, int]
    notes: list[str]
    task: Task
    all_metrics: dict[str, list[dict]] | None = None  # compare: every metric row per model

    def to_dict(self) -> dict:
        bench = None
        if self.bench is not None:
            bench = {"dataset": self.bench.dataset, "metric": self.bench.metric, "label": self.bench.label,
                     "higher_is_better": self.bench.higher_is_better}
        doc = {
            "query": self.query,
            "target": self.target.to_dict(),
            "candidates": [c.to_dict() for c in self.candidates],
            "task": {"name": self.task.name, "title": self.task.title, "note": self.task.note},
            "comparison": bench,
            "total": self.total,
            "excluded": self.excluded,
            "unknown_figures": self.unknown,
            "notes": self.notes,
            "provenance": [row for c in self.candidates for row in c.provenance],
        }
        if self.all_metrics is not None:
            doc["metrics"] = self.all_metrics
        return doc
