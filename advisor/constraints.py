"""Hard constraints, applied one at a time so an empty answer can say which one emptied it.

Order: licence, parameters, size, latency on the target, memory, minimum accuracy. A candidate
whose figure is unknown cannot be shown to fit a limit, so it is left out of that step and
counted; when a step leaves nothing, the error names the option and what the closest
candidates miss it by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from advisor.facts import Facts, commercial_ok
from advisor.targets import Target
from catalog.errors import UsageError


class NothingFitsError(UsageError):
    """No candidate satisfies the constraints; the message names the one that emptied the list."""


@dataclass(frozen=True)
class Constraint:
    name: str  # "license" | "params" | "size" | "latency" | "memory" | "accuracy"
    option: str  # how the user spelled it, e.g. "--max-latency-ms 20 on this machine"
    value: Callable[[Facts], float | None]  # the figure compared (None: unknown)
    fits: Callable[[Facts], bool | None]  # None when the figure is unknown
    describe: Callable[[Facts], str]  # "cards:yolov8n needs 41.2 ms (estimated)"
    miss: Callable[[Facts], float]  # how far off (ratio or difference) to sort the closest
    # An implied budget (--edge/--server) that no candidate has a figure for is reported, not
    # enforced: an empty answer would hide the models, a silent pass would hide the gap.
    soft_when_unknown: bool = False


@dataclass
class ConstraintReport:
    kept: list[Facts]
    excluded: dict[str, int]  # constraint name -> how many it removed
    unknown: dict[str, int]  # constraint name -> how many had no figure to check
    notes: list[str]


def _ratio(value: float | None, limit: float) -> float:
    return float("inf") if value is None else value / limit


def build_constraints(target: Target, license_filter: str, min_accuracy: float | None,
                      accuracy_label: str | None, higher_is_better: bool) -> list[Constraint]:
    """The active constraints of a request, in the order they are applied."""
    out: list[Constraint] = []
    lic = (license_filter or "any").lower()
    if lic != "any":
        if lic == "commercial":
            ok = lambda f: commercial_ok(f.candidate.license)  # noqa: E731
            option = "--license commercial"
        else:
            ok = lambda f: (f.candidate.license or "").lower() == lic  # noqa: E731
            option = f"--license {license_filter}"
        out.append(Constraint("license", option, lambda f: None, ok,
                              lambda f: f"{f.id} is licensed {f.candidate.license or 'unknown'}", lambda f: 1.0))
    b = target.budget
    if b.max_params is not None:
        limit_p = b.max_params
        out.append(Constraint(
            "params", f"--max-params {limit_p / 1e6:g}M", lambda f: f.candidate.params,
            lambda f: None if f.candidate.params is None else f.candidate.params <= limit_p,
            lambda f: f"{f.id} has {f.candidate.params / 1e6:.1f}M", lambda f: _ratio(f.candidate.params, limit_p)))
    if b.max_size_mb is not None:
        limit_s = b.max_size_mb
        out.append(Constraint(
            "size", f"--max-size-mb {limit_s:g}", lambda f: f.size_mb,
            lambda f: None if f.size_mb is None else f.size_mb <= limit_s,
            lambda f: f"{f.id} takes {f.size_mb:.1f} MB ({f.size_kind})", lambda f: _ratio(f.size_mb, limit_s)))
    if b.max_latency_ms is not None:
        limit_l = b.max_latency_ms
        where = f" on {target.short_title}" if target.device else ""
        out.append(Constraint(
            "latency", f"the {limit_l:.1f} ms latency budget{where}", lambda f: f.latency_ms,
            lambda f: None if f.latency_ms is None else f.latency_ms <= limit_l,
            lambda f: f"{f.id} needs {f.latency_ms:.1f} ms ({f.latency.kind})", lambda f: _ratio(f.latency_ms, limit_l),
            soft_when_unknown=target.budget_reason != "--max-latency-ms"))
    if b.max_memory_mb is not None:
        limit_m = b.max_memory_mb

        def memory(f: Facts) -> float | None:
            # Peak memory when the estimator knows it; else the weights, a lower bound.
            return f.memory_mb if f.memory_mb is not None else f.size_mb

        out.append(Constraint(
            "memory", f"--max-memory-mb {limit_m:g}", memory,
            lambda f: None if memory(f) is None else memory(f) <= limit_m,
            lambda f: f"{f.id} needs {memory(f):.0f} MB", lambda f: _ratio(memory(f), limit_m)))
    if min_accuracy is not None:
        label = accuracy_label or "accuracy"

        def acc_fits(f: Facts) -> bool | None:
            if f.accuracy is None:
                return None
            return f.accuracy.value >= min_accuracy if higher_is_better else f.accuracy.value <= min_accuracy

        out.append(Constraint(
            "accuracy", f"--min-accuracy {min_accuracy:g} ({label}{'' if higher_is_better else ', at most'})",
            lambda f: f.accuracy.value if f.accuracy else None, acc_fits,
            lambda f: f"{f.id} has {f.accuracy.value:g}",
            lambda f: (abs(min_accuracy - f.accuracy.value) if f.accuracy else float("inf"))))
    return out


def apply_constraints(facts: Sequence[Facts], constraints: Sequence[Constraint], task_title: str) -> ConstraintReport:
    """Keep the candidates that fit every constraint; NothingFitsError when one empties the list."""
    kept = list(facts)
    excluded: dict[str, int] = {}
    unknown: dict[str, int] = {}
    notes: list[str] = []
    for c in constraints:
        verdicts = [(f, c.fits(f)) for f in kept]
        passing = [f for f, ok in verdicts if ok]
        failing = [f for f, ok in verdicts if ok is False]
        no_figure = [f for f, ok in verdicts if ok is None]
        if not passing and not failing and c.soft_when_unknown:
            unknown[c.name] = len(no_figure)
            notes.append(f"none of the {len(no_figure)} candidates has a latency figure for this device (no "
                         f"measurement, no GMACs to estimate from): {c.option} could not be checked; "
                         "measure them with `advisor bench latency ID`")
            continue
        if not passing:
            raise NothingFitsError(_empty_message(c, len(kept), failing, no_figure, task_title))
        excluded[c.name] = len(failing) + len(no_figure)
        if no_figure:
            unknown[c.name] = len(no_figure)
        kept = passing
    return ConstraintReport(kept, excluded, unknown, notes)


def _empty_message(c: Constraint, before: int, failing: list[Facts], no_figure: list[Facts], task_title: str) -> str:
    if not failing:
        what = {"latency": "a latency figure for this device (no measurement, and no GMACs or parameter count to "
                "estimate from; `advisor bench latency ID` measures one)", "accuracy": "a canonical accuracy figure",
                "params": "a parameter count", "size": "a size", "memory": "a memory figure"}.get(c.name, "a figure")
        return f"No {task_title} model fits {c.option}: none of the {before} candidates left has {what}."
    closest = sorted(failing, key=lambda f: (c.miss(f), f.id))[:3]
    misses = "; ".join(c.describe(f) for f in closest)
    unknown = f" ({len(no_figure)} more have no figure)" if no_figure else ""
    return (f"No {task_title} model fits {c.option}: all {len(failing)} candidates left miss it{unknown}, "
            f"the closest: {misses}.")
