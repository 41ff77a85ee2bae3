"""The accuracy-versus-latency chart of a recommendation, drawn with plotext in the terminal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPoint:
    id: str
    latency_ms: float
    accuracy: float
    pareto: bool


def chart_points(candidates: list[dict]) -> list[ChartPoint]:
    """Candidates that have both a latency and an accuracy figure (the others cannot be placed)."""
    points = []
    for c in candidates:
        acc = (c.get("accuracy") or {}).get("value")
        lat = c.get("latency_ms")
        if acc is None or lat is None or lat <= 0:
            continue
        points.append(ChartPoint(c["id"], float(lat), float(acc), bool(c.get("pareto"))))
    return points


def short_name(model_id: str, width: int = 24) -> str:
    name = model_id.split(":", 1)[-1]
    return name if len(name) <= width else name[: width - 1] + "…"


def draw_tradeoff(plt, document: dict | None, selected_id: str | None) -> str:
    """Draw on plotext's `plt`; returns a one-line caption (what is plotted, what is left out)."""
    plt.clear_data()
    plt.clear_figure()
    if not document or not document.get("candidates"):
        plt.title("No candidates to plot")
        return "No candidates."
    candidates = document["candidates"]
    points = chart_points(candidates)
    device = (document.get("target") or {}).get("device") or "target"
    metric = next(((c.get("accuracy") or {}).get("metric") for c in candidates if c.get("accuracy")), None) or "accuracy"
    if not points:
        plt.title(f"No candidate has both accuracy and latency on {device}")
        return f"{len(candidates)} candidates; none has both figures."
    others = [p for p in points if not p.pareto]
    front = sorted((p for p in points if p.pareto), key=lambda p: p.latency_ms)
    if others:
        plt.scatter([p.latency_ms for p in others], [p.accuracy for p in others], marker="•", color="gray", label="dominated")
    if front:
        # Diamonds only, no line: the engine's front is over accuracy, latency and size together,
        # so in this 2-D view its members need not form a monotone curve.
        plt.scatter([p.latency_ms for p in front], [p.accuracy for p in front], marker="◆", color="green",
                    label="Pareto front")
    chosen = next((p for p in points if p.id == selected_id), None)
    if chosen is not None:
        plt.scatter([chosen.latency_ms], [chosen.accuracy], marker="●", color="red", label=short_name(chosen.id))
    latencies = [p.latency_ms for p in points]
    if max(latencies) / min(latencies) > 20:  # spans orders of magnitude: a log axis keeps the fast ones apart
        plt.xscale("log")
    plt.xlabel(f"latency ms on {device} (lower is better)")
    plt.ylabel(metric)
    plt.title(f"{metric} vs latency, {len(front)} on the Pareto front")
    left_out = len(candidates) - len(points)
    return f"{len(points)} plotted" + (f", {left_out} without accuracy or latency not plotted" if left_out else "")
