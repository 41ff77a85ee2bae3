"""Compare: the picked models side by side on one target, every figure with its kind."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Select, Static

from advisor.tui.data import compare_document
from advisor.tui.formatting import count_text, float_text, latency_text
from advisor.tui.messages import CompareReady, FacetsLoaded, Failed
from catalog.errors import CatalogError

ROWS = (  # (row label, how to read it from a candidate)
    ("rank", lambda c: str(c.get("rank", "-"))),
    ("score", lambda c: float_text(c.get("score"), 3)),
    ("Pareto front", lambda c: "yes" if c.get("pareto") else "no"),
    ("accuracy", lambda c: _accuracy(c.get("accuracy"))),
    ("latency ms", lambda c: latency_text(c.get("latency_ms"), c.get("latency_kind"))),
    ("latency range", lambda c: "-".join(f"{v:.1f}" for v in c.get("latency_range_ms") or []) or "-"),
    ("size MB", lambda c: float_text(c.get("size_mb"), 1)),
    ("params", lambda c: count_text(c.get("params"))),
    ("GMACs", lambda c: float_text(c.get("gmacs"))),
    ("license", lambda c: c.get("license") or "-"),
    ("warnings", lambda c: str(len(c.get("warnings") or []))),
)


def _accuracy(acc: dict | None) -> str:
    if not acc or acc.get("value") is None:
        return "-"
    return f"{acc['value']:.2f} {acc.get('metric', '')} ({acc.get('kind', '?')})"


class ComparePane(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.document: dict | None = None
        self.model_ids: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="c-top"):
            yield Static("Pick models with space in Browse or Recommend, then press c.", id="c-summary")
            yield Select([], prompt="device: edge default", id="c-device")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="c-notes"):
            yield Static("", id="c-notes-body")

    def fill_controls(self, message: FacetsLoaded) -> None:
        with self.prevent(Select.Changed):
            self.query_one("#c-device", Select).set_options(message.devices)

    @on(Select.Changed, "#c-device")
    def device_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self.model_ids:
            self.compare(self.model_ids)

    def device(self) -> str | None:
        value = self.query_one("#c-device", Select).value
        return None if value is Select.NULL else str(value)

    def compare(self, model_ids: Sequence[str]) -> None:
        self.model_ids = list(model_ids)
        if not self.model_ids:
            self.query_one("#c-summary", Static).update("Nothing picked: press space on rows in Browse first.")
            return
        self.query_one("#c-summary", Static).update(f"Comparing {len(self.model_ids)} models…")
        self.run_compare(self.model_ids, self.device())

    @work(thread=True, exclusive=True, group="compare")
    def run_compare(self, model_ids: list[str], device: str | None) -> None:
        try:
            with self.app.store.session() as session:
                document = compare_document(session, model_ids, device)
        except CatalogError as exc:
            self.post_message(Failed("compare", str(exc)))
            return
        self.post_message(CompareReady(document))

    def shown(self) -> None:
        pass

    def report_document(self):
        document = self.document
        return None if document is None else (lambda: document)

    @on(CompareReady)
    def show(self, message: CompareReady) -> None:
        message.stop()
        self.document = message.document
        candidates = message.document.get("candidates", [])
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        table.add_column("", key="field")
        for c in candidates:
            table.add_column(c["id"].split(":", 1)[-1][:28], key=c["id"])
        for label, read in ROWS:
            table.add_row(label, *[read(c) for c in candidates], key=label)
        target = message.document.get("target") or {}
        self.query_one("#c-summary", Static).update(
            f"{len(candidates)} models on {target.get('device') or '-'} (batch {target.get('batch_size', 1)}, "
            f"{target.get('precision', 'fp32')}) · e exports this comparison"
        )
        notes = Text()
        for c in candidates:
            notes.append(f"{c['id']}: ", style="bold")
            notes.append(f"{c.get('explanation') or ''}\n")
            for warning in c.get("warnings") or []:
                notes.append(f"  ⚠ {warning}\n", style="yellow")
        self.query_one("#c-notes-body", Static).update(notes)

    def focus_table(self) -> None:
        self.query_one("#compare-table", DataTable).focus()
