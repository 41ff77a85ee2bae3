"""Recommend: task, target, constraints and preference as controls; a ranked list, the trade-off
chart with the Pareto front, and the highlighted candidate's explanation and warnings."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Label, Select, Static
from textual_plotext import PlotextPlot

from advisor.tui.chart import draw_tradeoff
from advisor.tui.data import RecommendControls, run_recommend
from advisor.tui.debounce import Debouncer
from advisor.tui.formatting import count_text, float_text, latency_text
from advisor.tui.messages import FacetsLoaded, Failed, RecommendationReady
from catalog.errors import CatalogError
from catalog.units import parse_count, parse_positive

PREFERENCES = ("balanced", "accuracy", "speed", "size")
SELECTED_MARK = "●"
NUMBER_FIELDS = {  # input id -> (control field, parser)
    "r-max-latency": ("max_latency_ms", lambda t: parse_positive(t, "max latency")),
    "r-max-size": ("max_size_mb", lambda t: parse_positive(t, "max size")),
    "r-max-params": ("max_params", lambda t: parse_count(t, "max params")),
    "r-min-accuracy": ("min_accuracy", lambda t: parse_positive(t, "min accuracy")),
}


class RecommendPane(Horizontal):
    BINDINGS = [Binding("t", "focus_task", "Task"), Binding("d", "focus_target", "Device")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.controls = RecommendControls()
        self.generation = 0
        self.document: dict | None = None
        self.stale = False  # controls changed while the tab was hidden
        # Typing "30" in max latency should rank once, not for "3" and then "30".
        self._rank_debounce = Debouncer(self, 0.2)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="r-controls"):
            yield Label("task")
            yield Select([], prompt="choose a task", id="r-task")
            yield Label("target device")
            yield Select([], prompt="edge (default)", id="r-target")
            yield Label("prefer")
            yield Select([(p, p) for p in PREFERENCES], value="balanced", allow_blank=False, id="r-prefer")
            yield Label("license")
            yield Select([("any", "any"), ("commercial use", "commercial")], value="any", allow_blank=False, id="r-license")
            yield Label("max latency (ms)")
            yield Input(placeholder="e.g. 30", id="r-max-latency", classes="rnum")
            yield Label("max size (MB)")
            yield Input(placeholder="e.g. 50", id="r-max-size", classes="rnum")
            yield Label("max params")
            yield Input(placeholder="e.g. 25M", id="r-max-params", classes="rnum")
            yield Label("min accuracy")
            yield Input(placeholder="e.g. 75", id="r-min-accuracy", classes="rnum")
        with Vertical(id="r-results"):
            yield Static("Choose a task to get a ranked list.", id="r-summary")
            table = DataTable(id="ranked", cursor_type="row", zebra_stripes=True)
            for key, label in (("sel", " "), ("rank", "#"), ("pareto", "P"), ("id", "id"), ("score", "score"),
                               ("accuracy", "accuracy"), ("latency", "latency ms"), ("size", "size MB"),
                               ("params", "params"), ("license", "license")):
                table.add_column(label, key=key)
            yield table
            with Horizontal(id="r-lower"):
                yield PlotextPlot(id="chart")
                with VerticalScroll(id="r-explain"):
                    yield Static("", id="r-explain-body")

    # ----- controls ------------------------------------------------------------------------

    def fill_controls(self, message: FacetsLoaded) -> None:
        tasks = [t for t, _ in message.facets.tasks]
        from advisor.devices import EDGE_DEFAULT, SERVER_DEFAULT

        targets = [(f"edge: {EDGE_DEFAULT}", "edge"), (f"server: {SERVER_DEFAULT}", "server")]
        targets += [(label, f"device:{name}") for label, name in message.devices]
        with self.prevent(Select.Changed):
            self.query_one("#r-task", Select).set_options([(t, t) for t in sorted(tasks)])
            self.query_one("#r-target", Select).set_options(targets)
            self.query_one("#r-target", Select).value = "edge"
        if tasks:
            # The most common task is where most people start; changing it re-ranks at once.
            self.query_one("#r-task", Select).value = "image-classification" if "image-classification" in tasks else tasks[0]

    @on(Select.Changed)
    def select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = None if event.value is Select.NULL else event.value
        ident = event.select.id
        if ident == "r-task":
            self.apply(task=value)
        elif ident == "r-target":
            target = value or "edge"
            if target.startswith("device:"):
                self.apply(device=target.split(":", 1)[1], target=None)
            else:
                self.apply(device=None, target=target)
        elif ident == "r-prefer":
            self.apply(prefer=value or "balanced")
        elif ident == "r-license":
            self.apply(license=value or "any")

    @on(Input.Changed, ".rnum")
    def number_changed(self, event: Input.Changed) -> None:
        event.stop()
        field, parse = NUMBER_FIELDS[event.input.id or ""]
        text = event.value.strip()
        try:
            value = parse(text) if text else None
        except CatalogError:
            event.input.add_class("-invalid")
            return
        event.input.remove_class("-invalid")
        self.apply(**{field: value})

    def apply(self, **changes) -> None:
        updated = self.controls.with_(**changes)
        if updated == self.controls:
            return
        self.controls = updated
        self._rank_debounce.schedule(self.refresh_ranking)

    def refresh_ranking(self) -> None:
        if not self.controls.task or self.app.store is None:
            return
        if getattr(self.app, "current_tab", "recommend") != "recommend":
            # Rank when the tab is first shown, not while the user is still browsing.
            self.stale = True
            return
        self.stale = False
        self.generation += 1
        self.query_one("#r-summary", Static).update(f"Ranking {self.controls.task} candidates…")
        self.rank(self.controls, self.generation)

    @work(thread=True, group="recommend")
    def rank(self, controls: RecommendControls, generation: int) -> None:
        try:
            with self.app.store.session() as session:
                document = run_recommend(session, controls)
        except CatalogError as exc:  # nothing fits, an unknown task ...: said in the view, not as a crash
            self.post_message(RecommendationReady(None, generation, error=str(exc)))
            return
        except ModuleNotFoundError as exc:  # a partial install without the ranking engine
            self.post_message(Failed("recommend", f"The ranking engine is not available ({exc.name})."))
            return
        self.post_message(RecommendationReady(document, generation))

    def shown(self) -> None:
        """The tab became visible: rank now if the controls changed while it was hidden."""
        if self.stale:
            self.refresh_ranking()

    # ----- results -------------------------------------------------------------------------

    @on(RecommendationReady)
    def show_recommendation(self, message: RecommendationReady) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        self.document = message.document
        table = self.query_one("#ranked", DataTable)
        table.clear()
        if message.document is None:
            self.query_one("#r-summary", Static).update(Text(message.error or "No answer.", style="bold yellow"))
            self.redraw()
            return
        candidates = message.document.get("candidates", [])
        selected = set(self.app.picked)
        for c in candidates:
            acc = c.get("accuracy") or {}
            table.add_row(
                SELECTED_MARK if c["id"] in selected else " ", str(c.get("rank", "")), "★" if c.get("pareto") else "",
                c["id"], float_text(c.get("score"), 3),
                f"{acc['value']:.2f} {acc.get('metric', '')}" if acc.get("value") is not None else "-",
                latency_text(c.get("latency_ms"), c.get("latency_kind")), float_text(c.get("size_mb"), 1),
                count_text(c.get("params")), c.get("license") or "-", key=c["id"],
            )
        target = message.document.get("target") or {}
        self.query_one("#r-summary", Static).update(
            f"{len(candidates)} candidates for {self.controls.task} on {target.get('device') or '-'} · "
            f"prefer {self.controls.prefer} · ★ Pareto front · space picks"
        )
        if candidates:
            table.move_cursor(row=0)
        self.redraw()

    @on(DataTable.RowHighlighted, "#ranked")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Chart with the highlighted model marked, and its explanation and warnings."""
        selected = self.highlighted_id()
        plot = self.query_one("#chart", PlotextPlot)
        caption = draw_tradeoff(plot.plt, self.document, selected)
        plot.refresh()
        self.query_one("#r-explain-body", Static).update(self.explanation(selected, caption))

    def explanation(self, model_id: str | None, caption: str) -> Text:
        out = Text()
        if self.document is None:
            return out
        document = self.document or {}
        for note in document.get("notes", []) or []:
            out.append(f"note: {note}\n", style="cyan")
        candidate = next((c for c in document.get("candidates", []) if c["id"] == model_id), None)
        if candidate is not None:
            out.append(f"{candidate['id']}\n", style="bold")
            out.append(f"{candidate.get('explanation') or 'No explanation given.'}\n")
            acc = candidate.get("accuracy") or {}
            if acc:
                out.append(f"accuracy: {acc.get('value')} {acc.get('metric')} on {acc.get('dataset')} ({acc.get('kind')})\n", style="dim")
            if candidate.get("latency_ms") is not None:
                lo, hi = (candidate.get("latency_range_ms") or [None, None])[:2]
                span = f", range {lo:.1f}-{hi:.1f}" if lo is not None and hi is not None else ""
                out.append(f"latency: {candidate['latency_ms']:.1f} ms {candidate.get('latency_kind')}{span}\n", style="dim")
            for warning in candidate.get("warnings", []) or []:
                out.append(f"⚠ {warning}\n", style="yellow")
        out.append(f"chart: {caption}", style="dim")
        return out

    def highlighted_id(self) -> str | None:
        table = self.query_one("#ranked", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def picked_changed(self, model_id: str, selected: bool) -> None:
        table = self.query_one("#ranked", DataTable)
        if model_id in table.rows:
            table.update_cell(model_id, "sel", SELECTED_MARK if selected else " ")

    def report_document(self):
        document = self.document
        return None if document is None else (lambda: document)

    def focus_table(self) -> None:
        self.query_one("#ranked", DataTable).focus()

    def action_focus_task(self) -> None:
        self.query_one("#r-task", Select).focus()

    def action_focus_target(self) -> None:
        self.query_one("#r-target", Select).focus()
