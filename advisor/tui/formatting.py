"""Turning plain values into cell text and Rich renderables (no textual import, no I/O)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from catalog.units import format_count, format_float

# One letter after a latency says what kind of figure it is; the detail pane spells it out.
KIND_MARK = {"measured": "m", "estimated": "e", "reported": "r", "probe": "p"}


def right(text: str) -> Text:
    """A right-aligned table cell (numbers line up by their last digit)."""
    return Text(text, justify="right")


def accuracy_text(accuracy: dict | None) -> str:
    if not accuracy:
        return "-"
    return f"{accuracy['value']:.2f} {accuracy['metric']}"


def latency_text(latency_ms: float | None, kind: str | None) -> str:
    if latency_ms is None:
        return "-"
    digits = 1 if latency_ms < 100 else 0
    return f"{latency_ms:.{digits}f} {KIND_MARK.get(kind or '', '?')}"


def count_text(value: float | None) -> str:
    return format_count(value)


def float_text(value: float | None, digits: int = 2) -> str:
    return format_float(value, digits)


def downloads_text(value: int | None) -> str:
    return format_count(value)


def tasks_text(tasks: list[str]) -> str:
    return tasks[0] if tasks else "-"


def id_text(model_id: str, width: int = 52) -> str:
    """Long Hub ids are cut in the middle so both the owner and the model name stay readable."""
    if len(model_id) <= width:
        return model_id
    keep = (width - 1) // 2
    return f"{model_id[:keep]}…{model_id[-(width - 1 - keep):]}"


def detail_renderables(detail) -> tuple[RenderableType, RenderableType]:
    """Everything about one model: (facts, every metric and benchmark with kind and source)."""
    s = detail.summary
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    prov = detail.provenance or {}

    def with_kind(field: str, text: str) -> Text:
        p = prov.get(field)
        out = Text(text)
        if p and text != "-":
            out.append(f" ({p.get('kind')})", style="dim")
        return out

    for label, value in (
        ("tasks", Text(", ".join(s.tasks) or "-")),
        ("domains", Text(", ".join(s.domains) or "-")),
        ("params", with_kind("params", format_count(s.params))),
        ("GMACs", with_kind("gmacs", format_float(s.gmacs))),
        ("size (MB)", with_kind("size_mb", format_float(s.size_mb, 1))),
        ("input", Text("x".join(map(str, detail.input_size)) if detail.input_size else "-")),
        ("license", Text(s.license or "-")),
        ("pretrained on", Text(", ".join(s.pretrain_datasets) or "-")),
        ("get it from", Text(f"{s.origin or '-'} ({detail.library or '-'})")),
        ("hub / home", Text(detail.hub_repo or detail.homepage or "-")),
    ):
        facts.add_row(label, value)
    head: list[RenderableType] = [Text(s.id, style="bold"), facts]
    if detail.summary_text:
        head.append(Text(detail.summary_text, style="italic"))
    parts: list[RenderableType] = []
    metrics = Table(title="Metrics", title_justify="left", expand=True, show_edge=False, padding=(0, 1))
    for col in ("dataset", "metric", "value", "kind", "source"):
        metrics.add_column(col, overflow="fold", justify="right" if col == "value" else "left")
    for m in detail.metrics:
        metrics.add_row(m.dataset, m.metric, f"{m.value:g}", m.kind, m.source or "-")
    parts.append(metrics if detail.metrics else Text("No metrics recorded.", style="dim"))
    if detail.benchmarks:
        bench = Table(title="Latency", title_justify="left", expand=True, show_edge=False, padding=(0, 1))
        for col in ("device", "batch", "prec", "ms", "kind", "source"):
            bench.add_column(col, overflow="fold", justify="right" if col in ("batch", "ms") else "left")
        for b in detail.benchmarks:
            bench.add_row(b.device, str(b.batch_size), b.precision, format_float(b.latency_ms), b.kind, b.source or "-")
        parts.append(bench)
    else:
        parts.append(Text("No latency recorded; the recommend view estimates it for a device.", style="dim"))
    return Group(*head), Group(*parts)
