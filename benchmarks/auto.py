"""`--mode auto`: successive halving under a wall-clock budget.

Stage 1 scores every candidate cheaply (LogME and k-NN on cached features), stage 2 runs the
linear probe on the better half, stage 3 a short fine-tune on the best two or three. A stage
starts only while budget is left; fine-tunes get a deadline and stop training in time. Every
outcome is handed to `on_outcome` (which stores it) as it arrives, so Ctrl-C keeps all of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from benchmarks.datasets import ProbeDataset
from benchmarks.executors import ProbeJob
from benchmarks.probes import MODE_RANK, ProbeOptions, ProbeOutcome

CHEAP_MODES = ("logme", "knn")
FINETUNE_CANDIDATES = 3
EVAL_RESERVE = 0.15  # share of a fine-tune's time slot kept for scoring the validation split


@dataclass
class AutoResult:
    outcomes: dict[tuple[str, str], ProbeOutcome] = field(default_factory=dict)
    reached: dict[str, str | None] = field(default_factory=dict)  # model -> most thorough finished mode
    stopped: dict[str, str] = field(default_factory=dict)  # model -> why it went no further
    interrupted: bool = False
    seconds: float = 0.0


def _ok(result: AutoResult, model: str, mode: str) -> ProbeOutcome | None:
    outcome = result.outcomes.get((model, mode))
    return outcome if outcome is not None and outcome.status == "ok" else None


def cheap_ranking(result: AutoResult, models: Sequence[str]) -> list[str]:
    """Order by the mean of the LogME rank and the k-NN rank: LogME alone is noisy on tiny sets."""
    scored = [m for m in models if any(_ok(result, m, mode) for mode in CHEAP_MODES)]
    ranks: dict[str, float] = {m: 0.0 for m in scored}
    for mode in CHEAP_MODES:
        ordered = sorted(scored, key=lambda m: -(_ok(result, m, mode).score if _ok(result, m, mode) else -math.inf))
        for position, m in enumerate(ordered):
            ranks[m] += position
    return sorted(scored, key=lambda m: (ranks[m], m))


def run_auto(models: Sequence[str], dataset: ProbeDataset, executor, *, device: str, budget_s: float,
             options: ProbeOptions, done: dict[tuple[str, str], ProbeOutcome],
             on_outcome: Callable[[ProbeOutcome], None], on_stage: Callable[[str, int], None] | None = None,
             started_at: float | None = None) -> AutoResult:
    """Successive halving over `models`; `done` holds outcomes a previous run finished (not rerun).
    The budget runs from `started_at` (time.time(); default now), e.g. when the command started."""
    start = started_at or time.time()
    deadline = start + budget_s
    result = AutoResult(outcomes=dict(done))

    def run_stage(name: str, stage_models: Sequence[str], modes: tuple[str, ...]) -> None:
        todo = [m for m in stage_models if any((m, mode) not in result.outcomes for mode in modes)]
        if on_stage:
            on_stage(name, sum(1 for m in todo for mode in modes if (m, mode) not in result.outcomes))

        def make_job(model: str, position: int) -> ProbeJob:
            job_options = options
            if "finetune" in modes:
                # A sequential executor shares what is left between the fine-tunes still to run, measured
                # when each one starts; a parallel one gives each the whole remainder.
                left = 1 if executor.parallel else len(todo) - position
                share = (deadline - time.time()) / left
                job_options = replace(options, deadline=time.time() + share * (1 - EVAL_RESERVE))
            pending = tuple(mode for mode in modes if (model, mode) not in result.outcomes)
            return ProbeJob(model, pending, device, job_options)

        if executor.parallel:
            batches = executor.run([make_job(m, 0) for m in todo], dataset)
        else:
            batches = (out for position, m in enumerate(todo) for out in executor.run([make_job(m, position)], dataset))
        for outcomes in batches:
            for outcome in outcomes:
                result.outcomes[(outcome.model_id, outcome.mode)] = outcome
                on_outcome(outcome)
            if time.time() > deadline and name == "cheap":
                break

    try:
        run_stage("cheap", models, CHEAP_MODES)
        ranked = cheap_ranking(result, models)
        for m in models:
            if m not in ranked:
                result.stopped[m] = "cheap scores failed"
        half = ranked[: max(1, math.ceil(len(ranked) / 2))] if len(ranked) > 1 else ranked
        for m in ranked[len(half):]:
            result.stopped[m] = "lower half after cheap scores"
        if time.time() < deadline and half:
            run_stage("linear", half, ("linear",))
        else:
            for m in half:
                result.stopped[m] = "budget"
        linear = sorted((m for m in half if _ok(result, m, "linear")), key=lambda m: -_ok(result, m, "linear").score)
        best = linear[:FINETUNE_CANDIDATES]
        for m in linear[len(best):]:
            result.stopped.setdefault(m, "not in the best three after the linear probe")
        # A fine-tune needs at least a few epochs' worth of time to say anything.
        if best and deadline - time.time() > max(10.0, 0.1 * budget_s):
            run_stage("finetune", best, ("finetune",))
        else:
            for m in best:
                result.stopped.setdefault(m, "budget")
    except KeyboardInterrupt:
        result.interrupted = True
    for m in models:
        finished = [mode for (model, mode), o in result.outcomes.items() if model == m and o.status == "ok"]
        result.reached[m] = max(finished, key=lambda mode: MODE_RANK[mode]) if finished else None
    result.seconds = round(time.time() - start, 2)
    return result
