"""Probe: run quick probes of the picked models on a dataset folder and watch results arrive.

The probe runs in a thread worker through advisor.tui.probe_runner; torch, timm and the probe
engine are imported there, only when a probe starts.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, RichLog, Select, Static

from advisor.tui.formatting import float_text
from advisor.tui.messages import ProbeEvent, ProbeUpdate

MODES = ("auto", "knn", "logme", "linear", "finetune")
DEVICES = ("auto", "cpu", "cuda")


class ProbePane(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.results: list[dict] = []
        self.run_document: dict | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static("Pick models with space in Browse or Recommend (none picked: the current top 5).", id="p-models")
        with Horizontal(id="p-form"):
            yield Input(placeholder="dataset folder (class sub-folders) or CSV/JSONL text file", id="p-path")
            yield Select([(m, m) for m in MODES], value="auto", allow_blank=False, id="p-mode")
            yield Select([(d, d) for d in DEVICES], value="auto", allow_blank=False, id="p-device")
            yield Input(value="5m", placeholder="budget", id="p-budget")
            yield Button("Start probe", id="p-start", variant="primary")
        with Horizontal(id="p-progress-row"):
            yield Label("idle", id="p-state")
            yield ProgressBar(total=1.0, show_eta=False, id="p-progress")
        table = DataTable(id="p-results", cursor_type="row", zebra_stripes=True)
        for key, label in (("id", "id"), ("mode", "mode"), ("accuracy", "accuracy"), ("top5", "top5"),
                           ("macro_f1", "macro F1"), ("score", "score"), ("duration", "s"), ("status", "status")):
            table.add_column(label, key=key)
        yield table
        yield RichLog(id="p-log", max_lines=500, wrap=True, markup=False)

    def on_mount(self) -> None:
        self.selection_changed(self.app.picked)

    def fill_controls(self, message) -> None:
        pass  # nothing here depends on the catalog's facets

    def shown(self) -> None:
        pass

    def picked_changed(self, model_id: str, chosen: bool) -> None:
        self.selection_changed(self.app.picked)

    def selection_changed(self, selected: list[str]) -> None:
        text = f"Models to probe ({len(selected)}): " + ", ".join(selected) if selected else (
            "Pick models with space in Browse or Recommend (none picked: the current top 5).")
        self.query_one("#p-models", Static).update(text)

    def model_ids(self) -> list[str]:
        if self.app.picked:
            return list(self.app.picked)
        recommend = self.app.pane("recommend")
        document = (recommend.document if recommend is not None else None) or {}
        return [c["id"] for c in document.get("candidates", [])[:5]]

    def task(self) -> str | None:
        recommend = self.app.pane("recommend")
        return recommend.controls.task if recommend is not None else None

    @on(Input.Submitted, "#p-path")
    @on(Button.Pressed, "#p-start")
    def start(self) -> None:
        if self.running:
            self.app.notify("A probe is already running.", severity="warning")
            return
        path = self.query_one("#p-path", Input).value.strip()
        ids = self.model_ids()
        if not path:
            self.app.notify("Type the dataset path first.", severity="warning")
            self.query_one("#p-path", Input).focus()
            return
        if not ids:
            self.app.notify("No models to probe: pick some with space, or run a recommendation.", severity="warning")
            return
        from advisor.tui.probe_runner import ProbeRequest

        request = ProbeRequest(
            dataset=path, model_ids=tuple(ids), task=self.task(), mode=str(self.query_one("#p-mode", Select).value),
            device=str(self.query_one("#p-device", Select).value), budget=self.query_one("#p-budget", Input).value.strip(),
        )
        self.results = []
        self.run_document = None
        self.query_one("#p-results", DataTable).clear()
        self.query_one("#p-log", RichLog).clear()
        self.query_one("#p-progress", ProgressBar).update(progress=0.0)
        self.running = True
        self.query_one("#p-state", Label).update(f"probing {len(ids)} models…")
        self.query_one("#p-results", DataTable).focus()
        self.run_probe(request)

    @work(thread=True, exclusive=True, group="probe")
    def run_probe(self, request) -> None:
        from advisor.tui.probe_runner import run_probe

        run_probe(self.app.store, request, lambda event: self.post_message(ProbeUpdate(event)))

    @on(ProbeUpdate)
    def probe_update(self, message: ProbeUpdate) -> None:
        message.stop()
        event: ProbeEvent = message.event
        log = self.query_one("#p-log", RichLog)
        if event.fraction is not None:
            self.query_one("#p-progress", ProgressBar).update(progress=max(0.0, min(1.0, event.fraction)))
        if event.text:
            log.write(Text(event.text, style="red" if event.kind == "error" else ""))
        if event.kind == "result" and event.result:
            self.add_result(event.result)
        elif event.kind in ("done", "error"):
            self.running = False
            if event.result:
                self.run_document = event.result
            self.query_one("#p-state", Label).update("done" if event.kind == "done" else "failed")

    def add_result(self, result: dict) -> None:
        self.results.append(result)
        metrics = result.get("metrics") or {}
        self.query_one("#p-results", DataTable).add_row(
            result.get("id", "?"), result.get("mode") or "-", float_text(metrics.get("accuracy"), 3),
            float_text(metrics.get("top5"), 3), float_text(metrics.get("macro_f1"), 3), float_text(result.get("score"), 3),
            float_text(result.get("duration_s"), 1), result.get("status") or "-",
        )

    def report_document(self):
        """The finished run as a report document (the `advisor probe --json` shape), if any."""
        if self.run_document is None:
            return None
        run_id, store = self.run_document["run_id"], self.app.store

        def build() -> dict:
            from advisor.tui.data import probe_run_document

            with store.session() as session:
                return probe_run_document(session, run_id)

        return build

    def focus_table(self) -> None:
        self.query_one("#p-results", DataTable).focus()
