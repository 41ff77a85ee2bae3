"""The Pareto front: candidates no other candidate beats on every axis at once.

Axes are given as "higher is better" values (the caller negates latency and size), so a point
dominates another when it is >= on every axis and > on at least one. The sweep sorts by the
first axis and checks each point only against the current front, which stays small in practice,
so thousands of candidates cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """True when `a` is at least as good as `b` on every axis and strictly better on one."""
    better = False
    for x, y in zip(a, b, strict=True):
        if x < y:
            return False
        if x > y:
            better = True
    return better


def pareto_front(points: Sequence[Sequence[float]]) -> set[int]:
    """Indices of the non-dominated points (all axes higher-is-better; duplicates all stay)."""
    order = sorted(range(len(points)), key=lambda i: tuple(-v for v in points[i]))
    front: list[int] = []
    for i in order:
        # Sorted lexicographically descending, nothing later can dominate an earlier point,
        # so checking against the front found so far is enough.
        if not any(dominates(points[j], points[i]) for j in front):
            front.append(i)
    return set(front)
