"""The trade-off chart: which points go on the Pareto front series, the highlighted model, the axis."""

from __future__ import annotations

from advisor.tui.chart import chart_points, draw_tradeoff


class RecordingPlt:
    """Stands in for plotext's module-level API and records what was drawn."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))

    def series(self, label: str) -> tuple[list, list]:
        for name, args, kwargs in self.calls:
            if name == "scatter" and kwargs.get("label") == label:
                return list(args[0]), list(args[1])
        raise AssertionError(f"no series {label!r} in {self.calls}")


def candidate(model_id: str, latency: float | None, accuracy: float | None, pareto: bool) -> dict:
    return {"id": model_id, "latency_ms": latency, "pareto": pareto,
            "accuracy": None if accuracy is None else {"value": accuracy, "metric": "top1"}}


DOCUMENT = {
    "target": {"device": "jetson-orin-nano"},
    "candidates": [
        candidate("timm:fast", 1.0, 70.0, True),
        candidate("timm:best", 30.0, 85.0, True),
        candidate("timm:slow_one", 40.0, 80.0, False),
        candidate("timm:unrated", 5.0, None, False),
    ],
}


def test_front_dominated_and_selected_are_separate_series():
    plt = RecordingPlt()
    caption = draw_tradeoff(plt, DOCUMENT, "timm:slow_one")
    assert plt.series("Pareto front") == ([1.0, 30.0], [70.0, 85.0])
    assert plt.series("dominated") == ([40.0], [80.0])
    assert plt.series("slow_one") == ([40.0], [80.0])  # the highlighted model, marked on its own
    assert ("xscale", ("log",), {}) in plt.calls  # 1 ms to 40 ms spans more than 20x
    assert caption == "3 plotted, 1 without accuracy or latency not plotted"


def test_nothing_to_plot_says_so():
    plt = RecordingPlt()
    assert draw_tradeoff(plt, {"candidates": [candidate("a:b", None, 70.0, False)]}, None).endswith("none has both figures.")
    assert chart_points([candidate("a:b", 0.0, 70.0, True)]) == []  # a zero latency cannot sit on a log axis
