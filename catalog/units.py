"""Parsing and formatting of the units the catalog stores (params in units, GMACs, MB, ms)."""

from __future__ import annotations

import math
import re

from catalog.errors import UsageError

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_COUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*$", re.IGNORECASE)


def parse_count(value: str, option: str = "--max-params") -> float:
    """'25M' -> 25e6, '1.5B' -> 1.5e9, '300k' -> 3e5, '4000000' -> 4e6."""
    match = _COUNT.match(str(value))
    if not match:
        raise UsageError(f"{option} takes a count such as 25M, 1.5B or 300k, not '{value}'.")
    number = float(match.group(1)) * _SUFFIX[match.group(2).lower()]
    if not math.isfinite(number) or number <= 0:
        raise UsageError(f"{option} must be a positive count, not '{value}'.")
    return number


def parse_positive(value: str | float, option: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{option} takes a number, not '{value}'.") from None
    if not math.isfinite(number) or number <= 0:
        raise UsageError(f"{option} must be a positive number, not '{value}'.")
    return number


def format_count(value: float | None) -> str:
    if value is None:
        return "-"
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}{suffix}"
    return f"{value:.0f}"


def format_float(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
