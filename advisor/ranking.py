"""The ranking engine: hard constraints, then the Pareto front, then a ranking by preference.

`recommend(db, request)` answers `advisor recommend`; `compare(db, ids)` answers
`advisor compare`. Both return a Recommendation whose `to_dict()` is the DESIGN.md JSON shape, so
the CLI, the TUI and reports are thin views over one call. The engine works on plain dataclasses
(catalog.candidates) and a latency function with the advisor.latency contract, injectable for tests.

Order of a recommendation: candidates with probe results on the user's dataset first (by probe
score), then in-domain models when `--domain` names a specialised domain, then models about what
a narrowing alias names (sentiment, plant disease, license plates); within each group rated
models by preference, then unrated models (no canonical figure), never ranked among the rated ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.constraints import apply_constraints, build_constraints
from advisor.domains import parse_domain
from advisor.explain import explanation, references, warnings_for
from advisor.facts import Facts, LatencyLike, accuracy_facts, comparison_benchmark, size_facts
from advisor.pareto import pareto_front
from advisor.probes import probe_figures, probe_outcomes, resolve_probe_dataset
from advisor.recommendation import RankedCandidate, Recommendation, provenance_rows
from advisor.targets import Target, resolve_target
from advisor.tasks import TASKS, Task, resolve_task
from catalog.candidates import Candidate, fetch_candidates, load_candidates
from catalog.errors import UsageError
from catalog.reader import Reader, session_of

PREFERENCES = ("balanced", "accuracy", "speed", "size")
# Weights of (accuracy, speed, size) in the balanced score; the others sort on one axis.
BALANCED = (0.6, 0.25, 0.15)
BALANCED_IN_BUDGET = (0.75, 0.1, 0.15)
CATALOG_CONSTRAINTS = frozenset({"license", "params", "size"})  # decidable without latency figures
PERCENT_METRICS = frozenset({"top1", "top5", "box_map", "box_map50", "miou", "mask_map", "kp_map", "accuracy", "wer",
                             "cer", "f1", "image_auroc"})

LatencyFn = Callable[..., Mapping[str, LatencyLike]]


@dataclass(frozen=True)
class RecommendRequest:
    task: str
    device: str | None = None
    target: str | None = None  # "edge" | "server"
    domain: str | None = None
    max_latency_ms: float | None = None
    max_size_mb: float | None = None
    max_params: float | None = None
    max_memory_mb: float | None = None
    min_accuracy: float | None = None
    license: str = "any"
    prefer: str = "balanced"
    top: int = 10
    dataset: str | None = None
    batch_size: int = 1
    precision: str = "fp32"

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def default_latency_fn() -> LatencyFn:
    """advisor.latency.latency_table (imported on first use: pure Python, no torch)."""
    from advisor.latency import latency_table

    return latency_table


def _latencies(db: Reader | Any, ids: list[str], target: Target, latency_fn: LatencyFn | None) -> Mapping[str, LatencyLike]:
    if target.device is None or not ids:
        return {}
    fn = latency_fn or default_latency_fn()
    return fn(db, ids, target.device, batch_size=target.batch_size, precision=target.precision)


def _validate(request: RecommendRequest, task: Task) -> None:
    if request.prefer not in PREFERENCES:
        raise UsageError(f"--prefer takes {', '.join(PREFERENCES)}, not '{request.prefer}'.")
    if request.top < 1:
        raise UsageError("--top must be at least 1.")
    bench = task.benchmarks[0] if task.benchmarks else None
    if request.min_accuracy is not None and bench is not None and bench.metric in PERCENT_METRICS:
        if not 0 <= request.min_accuracy <= 100:
            raise UsageError(f"--min-accuracy {request.min_accuracy:g} cannot be met: {bench.label} is a "
                             "percentage between 0 and 100.")


def _log_norm(value: float | None, lo: float, hi: float) -> float:
    """1 for the best (smallest) value, 0 for the worst, on a log scale; 0 when unknown."""
    if value is None or value <= 0:
        return 0.0
    if hi <= lo:
        return 1.0
    return max(0.0, min(1.0, (math.log(hi) - math.log(value)) / (math.log(hi) - math.log(lo))))


def _speed(f: Facts, use_latency: bool) -> float | None:
    # Without a target device compute (GMACs) stands in for latency, and is labelled so.
    return f.latency_ms if use_latency else f.candidate.gmacs


def score_rated(rated: list[Facts], prefer: str, higher_is_better: bool, use_latency: bool,
                budget_ms: float | None = None) -> dict[str, float]:
    """Scores in [0, 1]: balanced weighs the normalised axes; the other preferences score one axis.

    Under a latency budget every survivor is fast enough, so headroom counts for less
    (BALANCED_IN_BUDGET) and speed is measured from the budget down to the fastest candidate.
    """
    if not rated:
        return {}
    values = [f.accuracy.value for f in rated]
    lo, hi = min(values), max(values)
    speeds = [s for f in rated if (s := _speed(f, use_latency)) is not None and s > 0]
    sizes = [f.size_mb for f in rated if f.size_mb]
    slowest = budget_ms if (budget_ms and use_latency) else (max(speeds) if speeds else None)
    weights = BALANCED_IN_BUDGET if (budget_ms and use_latency) else BALANCED
    fastest = min(speeds) if speeds else None
    size_lo, size_hi = (min(sizes), max(sizes)) if sizes else (None, None)
    scores = {}
    for f in rated:
        acc = 1.0 if hi == lo else (f.accuracy.value - lo) / (hi - lo)
        if not higher_is_better:
            acc = 1.0 - acc if hi != lo else 1.0
        spd = _log_norm(_speed(f, use_latency), fastest, slowest) if speeds else 0.0
        siz = _log_norm(f.size_mb, size_lo, size_hi) if sizes else 0.0
        if prefer == "accuracy":
            scores[f.id] = acc
        elif prefer == "speed":
            scores[f.id] = spd
        elif prefer == "size":
            scores[f.id] = siz
        else:
            scores[f.id] = weights[0] * acc + weights[1] * spd + weights[2] * siz
    return {k: round(v, 4) for k, v in scores.items()}


def pareto_ids(rated: list[Facts], higher_is_better: bool, use_latency: bool) -> set[str]:
    """Rated candidates no other rated candidate beats on accuracy, speed and size together.

    An axis nobody has a figure for (no latency without a device, no GMACs for text models) is
    left out; a candidate missing a figure on an axis others have cannot be placed and is never flagged.
    """
    sign = 1.0 if higher_is_better else -1.0
    axes = [lambda f: sign * f.accuracy.value]
    if any(_speed(f, use_latency) is not None for f in rated):
        axes.append(lambda f: None if _speed(f, use_latency) is None else -_speed(f, use_latency))
    if any(f.size_mb is not None for f in rated):
        axes.append(lambda f: None if f.size_mb is None else -f.size_mb)
    points = [(f, tuple(axis(f) for axis in axes)) for f in rated]
    complete = [(f, p) for f, p in points if None not in p]
    return {complete[i][0].id for i in pareto_front([p for _, p in complete])}


def _sort_key(f: Facts, prefer: str, scores: Mapping[str, float], higher_is_better: bool, use_latency: bool,
              domain_active: bool, terms_active: bool) -> tuple:
    inf = float("inf")
    probe = (0, -f.probe.value if f.probe.higher_is_better else f.probe.value) if f.probe else (1, 0.0)
    # In-domain first; among them, models whose card names what the user typed ("chest") first.
    domain = (0, 0 if f.domain.specific else 1) if (domain_active and f.domain and f.domain.in_domain) else (1, 1)
    terms = 0 if (not terms_active or f.term_match) else 1
    if not f.rated:
        return (probe, domain, terms, 1, 0.0, -(f.candidate.downloads or 0), f.id)
    acc = -f.accuracy.value if higher_is_better else f.accuracy.value
    speed = _speed(f, use_latency)
    speed = inf if speed is None else speed
    size = inf if f.size_mb is None else f.size_mb
    by = {"accuracy": (acc, speed, size), "speed": (speed, acc, size), "size": (size, acc, speed)}
    tail = by.get(prefer) or (-scores[f.id], acc, speed)
    return (probe, domain, terms, 0, *tail, f.id)


def _term_match(c: Candidate, terms: Sequence[str]) -> str | None:
    """Whether a model is about what an alias narrows to (sentiment, emotion, plates, hands, ...),
    by name, card text, datasets, domain tags or the datasets it reports figures on."""
    text = " ".join([c.name, c.summary or "", *c.pretrain_datasets, *c.domains, *(m.dataset for m in c.metrics)]).lower()
    return next((t for t in terms if t in text), None)


def _facts(candidates: Sequence[Candidate], task: Task, bench, latencies, domain_query, terms, probes) -> list[Facts]:
    from advisor.domains import match_model

    out = []
    for c in candidates:
        acc, other = accuracy_facts(task.name, c, bench)
        size, size_kind = size_facts(c)
        f = Facts(c, acc, other, probes.get(c.id), latencies.get(c.id), size, size_kind)
        if domain_query is not None:
            f.domain = match_model(domain_query, c.domains, c.pretrain_datasets, f"{c.name} {c.summary or ''}")
        if terms:
            f.term_match = _term_match(c, terms)
        out.append(f)
    return out


def _rank(facts: list[Facts], *, task: Task, bench, target: Target, prefer: str, domain_query, terms: Sequence[str],
          license_filter: str, top: int | None = None) -> list[RankedCandidate]:
    """The first `top` candidates in order, explained (scores and the Pareto front use all of them)."""
    higher = bench.higher_is_better if bench else True
    use_latency = target.device is not None
    rated = [f for f in facts if f.rated]
    scores = score_rated(rated, prefer, higher, use_latency, target.budget.max_latency_ms)
    front = pareto_ids(rated, higher, use_latency)
    terms_active = bool(terms) and any(f.term_match for f in facts)
    if terms_active and all(f.term_match for f in facts):
        for f in facts:  # everyone matches: nothing to tell apart, nothing to explain
            f.term_match = None
    domain_active = bool(domain_query and domain_query.specialised)
    ordered = sorted(facts, key=lambda f: _sort_key(f, prefer, scores, higher, use_latency, domain_active, terms_active))
    refs = references(rated, bench)
    ranked = []
    for rank, f in enumerate(ordered[:top] if top else ordered, start=1):
        ranked.append(RankedCandidate.build(
            rank=rank, facts=f, score=scores.get(f.id), pareto=f.id in front, bench=bench,
            explanation=explanation(f, refs, target, task),
            warnings=warnings_for(f, task, refs, domain_query, license_filter, target),
        ))
    return ranked


def recommend(db: Reader | Any, request: RecommendRequest, *, latency_fn: LatencyFn | None = None,
              devices: Any = None) -> Recommendation:
    """Rank the catalog's models for `request` (see the module docstring for the order)."""
    resolved = resolve_task(request.task)
    task = resolved.task
    _validate(request, task)
    notes = [f"task: {resolved.note}"] if resolved.note else []
    target = resolve_target(
        device=request.device, target=request.target, modality=task.modality, batch_size=request.batch_size,
        precision=request.precision, max_latency_ms=request.max_latency_ms, max_size_mb=request.max_size_mb,
        max_params=request.max_params, max_memory_mb=request.max_memory_mb, devices=devices)
    domain_query = parse_domain(request.domain)
    if domain_query is not None and not domain_query.domains:
        notes.append(f"domain '{request.domain}' is not in the domain vocabulary; matched by its words in card text")
    tags, datasets = domain_query.facet_values() if domain_query else ((), ())
    probe_ds = resolve_probe_dataset(session_of(db), request.dataset, notes) if request.dataset else None
    outcomes = probe_outcomes(session_of(db), probe_ds) if probe_ds else {}
    pool = fetch_candidates(
        db, [task.name], [(b.dataset, b.metric) for b in task.benchmarks], domain_tags=tags,
        domain_datasets=datasets, probe_dataset=probe_ds, extra_ids=list(outcomes),
        with_text=bool(domain_query or resolved.terms))
    if not pool.candidates:
        raise UsageError(f"The catalog has no {task.name} models; `advisor catalog stats` shows what it holds.")
    bench = comparison_benchmark(task.name, pool.candidates)
    probes = probe_figures(probe_ds, pool.candidates, outcomes) if probe_ds else {}
    facts = _facts(pool.candidates, task, bench, {}, domain_query, resolved.terms, probes)
    constraints = build_constraints(target, request.license, request.min_accuracy,
                                    bench.label if bench else None, bench.higher_is_better if bench else True)
    # Catalog-only constraints first, so latency is estimated only for models that can still fit.
    first = [c for c in constraints if c.name in CATALOG_CONSTRAINTS]
    early = apply_constraints(facts, first, task.title.lower())
    latencies = _latencies(db, [f.id for f in early.kept], target, latency_fn)
    for f in early.kept:
        f.latency = latencies.get(f.id)
    report = apply_constraints(early.kept, [c for c in constraints if c.name not in CATALOG_CONSTRAINTS],
                               task.title.lower())
    report.excluded = {**early.excluded, **report.excluded}
    report.unknown = {**early.unknown, **report.unknown}
    notes += early.notes + report.notes
    if report.unknown.get("latency") and "latency" in report.excluded:
        notes.append(f"{report.unknown['latency']} candidates without a latency figure for {target.short_title} "
                     "were left out (they cannot be shown to fit the budget)")
    if target.device is None:
        notes.append("no target device: speed is compared by compute (GMACs), not latency; add --edge, --server or --device NAME")
    if request.min_accuracy is not None and bench is not None and not bench.higher_is_better:
        notes.append(f"--min-accuracy on {bench.label} (lower is better) keeps models at or below {request.min_accuracy:g}")
    ranked = _rank(report.kept, task=task, bench=bench, target=target, prefer=request.prefer,
                   domain_query=domain_query, terms=resolved.terms, license_filter=request.license, top=request.top)
    query = {**request.to_dict(), "task": task.name, "task_typed": request.task, "domain_matched":
             [d.name for d in domain_query.domains] if domain_query else [], "probe_dataset": probe_ds}
    return Recommendation(
        query=query, target=target, candidates=ranked, total=len(report.kept), bench=bench,
        excluded=report.excluded, unknown=report.unknown, notes=notes, task=task)


def compare(db: Reader | Any, model_ids: Sequence[str], device: str | None = None, *,
            latency_fn: LatencyFn | None = None, devices: Any = None, batch_size: int = 1,
            precision: str = "fp32") -> Recommendation:
    """Side by side: every figure with its kind and source, on the task most of the models share."""
    from catalog.queries import metrics_for, resolve_model_id

    if len(model_ids) < 1:
        raise UsageError("Give at least one model id to compare.")
    ids = list(dict.fromkeys(resolve_model_id(db, m) for m in model_ids))
    candidates = load_candidates(db, ids)
    counts: dict[str, int] = {}
    for c in candidates:
        for t in c.tasks:
            counts[t] = counts.get(t, 0) + 1
    known = [t for t in counts if t in TASKS] or list(counts)
    task_name = max(known, key=lambda t: (counts[t], -len(t))) if known else None
    task = TASKS.get(task_name) or Task(task_name or "unknown", task_name or "unknown task", "vision")
    target = resolve_target(device=device, target=None, modality=task.modality, batch_size=batch_size,
                            precision=precision, max_latency_ms=None, max_size_mb=None, max_params=None,
                            max_memory_mb=None, devices=devices)
    bench = comparison_benchmark(task.name, candidates)
    latencies = _latencies(db, ids, target, latency_fn)
    facts = _facts(candidates, task, bench, latencies, None, (), {})
    ranked = _rank(facts, task=task, bench=bench, target=target, prefer="balanced", domain_query=None, terms=(),
                   license_filter="any")
    notes = [] if all(task.name in c.tasks for c in candidates) else [
        f"compared on {task.name}; models without that task show as unrated"]
    all_metrics = metrics_for(db, ids)
    return Recommendation(
        query={"models": ids, "device": device, "task": task.name}, target=target, candidates=ranked,
        total=len(ranked), bench=bench, excluded={}, unknown={}, notes=notes, task=task,
        all_metrics={i: [provenance_rows(i, m) for m in ms] for i, ms in all_metrics.items()})


__all__ = ["PREFERENCES", "RankedCandidate", "RecommendRequest", "Recommendation", "compare", "recommend"]
