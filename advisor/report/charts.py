"""Small SVG chart builders: accuracy versus latency with the Pareto front, and size / params bars.

Written by hand rather than with a plotting library on purpose: the output must be byte-for-byte
deterministic (matplotlib's SVG backend embeds dates and random clip-path ids unless tamed), must
open offline with no fonts or scripts fetched, must escape untrusted model names itself, and
`advisor report` must not pay a plotting library's import time. Two charts do not need more than
the ~250 lines below. Every text node goes through `markupsafe.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from advisor.pareto import pareto_front
from catalog.units import format_count

FRONT_COLOUR = "#1f6feb"
OTHER_COLOUR = "#6e7781"
RANGE_COLOUR = "#b6bfc8"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _num(value: float) -> str:
    """Coordinates with one decimal: stable bytes across platforms, precise enough for pixels."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _label(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.3g}"
    return f"{value:.2g}"


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks per decade covering [lo, hi] (lo > 0)."""
    ticks: list[float] = []
    for exponent in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**exponent
            if lo / 1.0001 <= value <= hi * 1.0001:
                ticks.append(value)
    return ticks


class _Axis:
    """Maps data values to pixels, linear or log10."""

    def __init__(self, lo: float, hi: float, pixel_lo: float, pixel_hi: float, log: bool) -> None:
        self.log = log
        self.pixel_lo, self.pixel_hi = pixel_lo, pixel_hi
        if log:
            self.lo, self.hi = lo / 1.25, hi * 1.25
            self.ticks = log_ticks(self.lo, self.hi) or [lo, hi]
        else:
            pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
            self.ticks = nice_ticks(lo - pad, hi + pad)
            self.lo, self.hi = self.ticks[0], self.ticks[-1]

    def __call__(self, value: float) -> float:
        if self.log:
            fraction = (math.log10(value) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            fraction = (value - self.lo) / ((self.hi - self.lo) or 1.0)
        return self.pixel_lo + fraction * (self.pixel_hi - self.pixel_lo)


def _svg_open(width: int, height: int, chart_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" style="{FONT}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def accuracy_latency_svg(
    rows: Sequence[Mapping[str, Any]],
    accuracy_label: str,
    higher_is_better: bool = True,
    budget_ms: float | None = None,
) -> Markup | None:
    """Scatter of accuracy against latency; filled points are the engine's Pareto set, the step
    line is the accuracy/latency front of the plotted points, whiskers are latency ranges and a
    red line marks the latency budget. None when no candidate has both figures."""
    points = [
        r
        for r in rows
        if isinstance(r.get("accuracy"), (int, float))
        and isinstance(r.get("latency_ms"), (int, float))
        and r["latency_ms"] > 0
    ]
    if not points:
        return None
    width, height = 760, 440
    left, right, top, bottom = 70, 24, 56, 64
    lows = [r.get("latency_low_ms") or r["latency_ms"] for r in points]
    highs = [r.get("latency_high_ms") or r["latency_ms"] for r in points]
    x_lo, x_hi = (
        min(min(lows), min(r["latency_ms"] for r in points)),
        max(max(highs), max(r["latency_ms"] for r in points)),
    )
    if budget_ms is not None and budget_ms > 0:
        x_lo, x_hi = min(x_lo, budget_ms), max(x_hi, budget_ms)
    x_lo = max(x_lo, 1e-3)
    use_log = x_hi / x_lo > 8
    x = _Axis(x_lo, x_hi, left, width - right, use_log)
    accs = [float(r["accuracy"]) for r in points]
    y = _Axis(min(accs), max(accs), height - bottom, top, False)
    if not higher_is_better:  # lower-is-better metrics (WER) plot with the better end up too
        y = _Axis(min(accs), max(accs), top, height - bottom, False)

    direction = "higher is better" if higher_is_better else "lower is better"
    out = _svg_open(
        width,
        height,
        "chart-accuracy-latency",
        f"{accuracy_label} versus latency",
        f"{len(points)} candidates; x: latency in ms ({'log scale' if use_log else 'linear'}), "
        f"y: {accuracy_label} ({direction}). Filled points are on the Pareto front.",
    )
    # Grid and axes.
    for tick in x.ticks:
        px = x(tick)
        if left - 0.5 <= px <= width - right + 0.5:
            out.append(f'<line x1="{_num(px)}" y1="{top}" x2="{_num(px)}" y2="{height - bottom}" stroke="#eaeef2"/>')
            out.append(
                f'<text x="{_num(px)}" y="{height - bottom + 18}" font-size="12" text-anchor="middle" fill="#57606a">{_label(tick)}</text>'
            )
    for tick in y.ticks:
        py = y(tick)
        out.append(f'<line x1="{left}" y1="{_num(py)}" x2="{width - right}" y2="{_num(py)}" stroke="#eaeef2"/>')
        out.append(
            f'<text x="{left - 8}" y="{_num(py + 4)}" font-size="12" text-anchor="end" fill="#57606a">{_label(tick)}</text>'
        )
    out.append(
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="none" stroke="#8c959f"/>'
    )
    out.append(
        f'<text x="{_num((left + width - right) / 2)}" y="{height - 18}" font-size="13" text-anchor="middle" fill="#24292f">'
        f"latency per input, ms{' (log scale)' if use_log else ''}; faster is left</text>"
    )
    out.append(
        f'<text transform="translate(18 {_num((top + height - bottom) / 2)}) rotate(-90)" font-size="13" '
        f'text-anchor="middle" fill="#24292f">{escape(accuracy_label)}, {direction}</text>'
    )

    # The 2-D front of what is plotted, drawn as the staircase of attainable trade-offs.
    sign = 1.0 if higher_is_better else -1.0
    front = sorted(
        pareto_front([(sign * float(r["accuracy"]), -float(r["latency_ms"])) for r in points]),
        key=lambda i: (points[i]["latency_ms"], -sign * float(points[i]["accuracy"])),
    )
    if len(front) > 1:
        steps: list[str] = []
        for n, i in enumerate(front):
            px, py = x(points[i]["latency_ms"]), y(float(points[i]["accuracy"]))
            if n:
                steps.append(f"{_num(px)},{steps[-1].split(',')[1]}")
            steps.append(f"{_num(px)},{_num(py)}")
        out.append(
            f'<polyline class="pareto-front" points="{" ".join(steps)}" fill="none" stroke="{FRONT_COLOUR}" '
            f'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )

    if budget_ms is not None and budget_ms > 0:
        bx = _num(x(budget_ms))
        out.append(
            f'<line class="budget" x1="{bx}" y1="{top}" x2="{bx}" y2="{height - bottom}" stroke="#cf222e" '
            f'stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
        out.append(
            f'<text x="{_num(x(budget_ms) + 4)}" y="{height - bottom - 6}" font-size="12" fill="#cf222e">'
            f"budget {_label(budget_ms)} ms</text>"
        )
    for r, lo, hi in zip(points, lows, highs):
        if hi > lo:
            py = _num(y(float(r["accuracy"])))
            out.append(
                f'<line class="latency-range" x1="{_num(x(lo))}" y1="{py}" x2="{_num(x(hi))}" y2="{py}" '
                f'stroke="{RANGE_COLOUR}" stroke-width="1.5" opacity="0.7"/>'
            )
    # Dominated points first, so the front is drawn on top.
    for r in sorted(points, key=lambda r: bool(r.get("pareto"))):
        px, py = x(r["latency_ms"]), y(float(r["accuracy"]))
        on_front = bool(r.get("pareto"))
        fill = FRONT_COLOUR if on_front else "#ffffff"
        stroke = FRONT_COLOUR if on_front else OTHER_COLOUR
        tip = (
            f"#{r.get('rank') or '-'} {r.get('id')}: {_label(float(r['accuracy']))} {accuracy_label}, "
            f"{_label(float(r['latency_ms']))} ms ({r.get('latency_kind') or 'unknown kind'})"
        )
        out.append(
            f'<g class="point{" pareto" if on_front else ""}"><title>{escape(tip)}</title>'
            f'<circle cx="{_num(px)}" cy="{_num(py)}" r="5.5" fill="{fill}" stroke="{stroke}" stroke-width="1.8"/>'
            f'<text x="{_num(px + 8)}" y="{_num(py - 7)}" font-size="12" fill="#24292f">{escape(r.get("rank") or "?")}</text></g>'
        )

    legend_y = 22
    out.append(
        f'<circle cx="{left + 6}" cy="{legend_y}" r="5" fill="{FRONT_COLOUR}" stroke="{FRONT_COLOUR}"/>'
        f'<text x="{left + 16}" y="{legend_y + 4}" font-size="12" fill="#24292f">Pareto front (accuracy, latency, size)</text>'
    )
    out.append(
        f'<circle cx="{left + 266}" cy="{legend_y}" r="5" fill="#ffffff" stroke="{OTHER_COLOUR}" stroke-width="1.8"/>'
        f'<text x="{left + 276}" y="{legend_y + 4}" font-size="12" fill="#24292f">dominated</text>'
    )
    out.append(
        f'<line x1="{left + 356}" y1="{legend_y}" x2="{left + 386}" y2="{legend_y}" stroke="{FRONT_COLOUR}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        f'<text x="{left + 392}" y="{legend_y + 4}" font-size="12" fill="#24292f">accuracy/latency front</text>'
    )
    out.append(
        f'<line x1="{left + 552}" y1="{legend_y}" x2="{left + 582}" y2="{legend_y}" stroke="{RANGE_COLOUR}" stroke-width="2"/>'
        f'<text x="{left + 588}" y="{legend_y + 4}" font-size="12" fill="#24292f">latency range</text>'
    )
    out.append(
        f'<text x="{left}" y="{legend_y + 24}" font-size="11" fill="#57606a">Numbers are ranks in the table.</text>'
    )
    out.append("</svg>")
    return Markup("\n".join(out))


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def size_params_svg(rows: Sequence[Mapping[str, Any]]) -> Markup | None:
    """Two aligned bar panels per candidate: parameter count and weights size in MB."""
    shown = [r for r in rows if isinstance(r.get("params"), (int, float)) or isinstance(r.get("size_mb"), (int, float))]
    if not shown:
        return None
    row_height, top, label_width, panel_width, gap = 24, 52, 250, 220, 40
    width = label_width + 2 * panel_width + gap + 70
    height = top + row_height * len(shown) + 16
    out = _svg_open(
        width,
        height,
        "chart-size-params",
        "Parameters and weights size",
        f"{len(shown)} candidates in rank order; left bars: parameters, right bars: weights size in MB.",
    )
    panels = (("params", "parameters", label_width), ("size_mb", "weights size, MB", label_width + panel_width + gap))
    for key, heading, x0 in panels:
        values = [float(r[key]) for r in shown if isinstance(r.get(key), (int, float))]
        scale_max = max(values) if values else 1.0
        out.append(f'<text x="{x0}" y="{top - 16}" font-size="13" font-weight="600" fill="#24292f">{heading}</text>')
        out.append(f'<line x1="{x0}" y1="{top - 6}" x2="{x0}" y2="{height - 10}" stroke="#8c959f"/>')
        for n, r in enumerate(shown):
            cy = top + n * row_height
            value = r.get(key)
            if not isinstance(value, (int, float)):
                out.append(f'<text x="{x0 + 6}" y="{cy + 13}" font-size="11" fill="#57606a">not known</text>')
                continue
            bar = max(1.0, (panel_width - 48) * float(value) / (scale_max or 1.0))  # room for the value label
            text = format_count(value) if key == "params" else _label(float(value))
            colour = FRONT_COLOUR if r.get("pareto") else OTHER_COLOUR
            out.append(
                f'<rect class="bar" x="{x0}" y="{cy}" width="{_num(bar)}" height="{row_height - 8}" fill="{colour}" opacity="0.8">'
                f"<title>{escape(r.get('id') or '')}: {escape(text)}</title></rect>"
            )
            out.append(
                f'<text x="{_num(x0 + bar + 5)}" y="{cy + 13}" font-size="11" fill="#24292f">{escape(text)}</text>'
            )
    for n, r in enumerate(shown):
        cy = top + n * row_height
        label = (
            f"#{r.get('rank')} {_short(str(r.get('id') or ''))}"
            if r.get("rank") is not None
            else _short(str(r.get("id") or ""))
        )
        out.append(
            f'<text x="{label_width - 10}" y="{cy + 13}" font-size="12" text-anchor="end" fill="#24292f">{escape(label)}</text>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))
