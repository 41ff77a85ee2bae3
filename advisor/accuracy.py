"""Picking the figure a model is compared on: the task's canonical benchmark, probe results first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from advisor.tasks import TASKS, Benchmark


class MetricLike(Protocol):
    task: str
    dataset: str
    metric: str
    value: float
    kind: str
    source: str


def canonical_metric(task: str, metrics: Sequence[MetricLike], benchmark: Benchmark | None = None) -> MetricLike | None:
    """The model's figure on `benchmark` (default: the first of the task's benchmarks it has).

    Reported and computed figures only; probe results on a user's data are handled by the
    ranking engine, which prefers them explicitly.
    """
    spec = TASKS.get(task)
    if spec is None:
        return None
    wanted = (benchmark,) if benchmark else spec.benchmarks
    for bench in wanted:
        for m in metrics:
            # The row's own task counts: DINOv2's linear-probe top-1 is a feature-extraction figure.
            if m.task == task and m.dataset == bench.dataset and m.metric == bench.metric and m.kind != "probe":
                return m
    return None


def headline(tasks: Sequence[str], metrics: Sequence[MetricLike]) -> dict | None:
    """The canonical figure for the model's first task that has one, as a JSON-ready dict."""
    for task in tasks:
        m = canonical_metric(task, metrics)
        if m is not None:
            return {"task": task, "metric": m.metric, "dataset": m.dataset, "value": m.value,
                    "kind": m.kind, "source": m.source}
    return None
