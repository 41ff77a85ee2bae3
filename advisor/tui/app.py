"""`advisor tui`: the Textual app. Tabs for browse, recommend, compare and probe; export from any.

Layout and data are apart (Harlequin's style): panes compose widgets and react to typed messages;
every query, ranking and probe runs in a thread worker through advisor.tui.data or the engines,
one store session per user action. torch is imported only inside a probe worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from advisor.tui.browse import BrowsePane
from advisor.tui.compare import ComparePane
from advisor.tui.data import device_choices, facet_options
from advisor.tui.messages import ExportWritten, Failed, FacetsLoaded, StoreReady
from advisor.tui.probe import ProbePane
from advisor.tui.recommend import RecommendPane
from catalog.errors import CatalogError

TABS = ("browse", "recommend", "compare", "probe")


class AdvisorApp(App):
    """Browse the catalog, tune a recommendation, compare, probe on your data, export a report."""

    CSS_PATH = "advisor.tcss"
    TITLE = "model-advisor"
    AUTO_FOCUS = "#models"  # keyboard first: arrows move through the catalog straight away
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("escape", "focus_table", "Table", show=False),
        Binding("b", "show_tab('browse')", "Browse"),
        Binding("r", "show_tab('recommend')", "Recommend"),
        Binding("c", "compare", "Compare"),
        Binding("p", "show_tab('probe')", "Probe"),
        Binding("space", "toggle_select", "Select"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("e", "export", "Export"),
    ]

    def __init__(self, db_url: str | None = None, *, store=None) -> None:
        super().__init__()
        self.db_url = db_url
        self.store = store
        self.selected: list[str] = []  # ids picked for compare and probe, in the order picked

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="browse", id="tabs"):
            with TabPane("Browse", id="browse"):
                yield BrowsePane(id="browse-pane")
            with TabPane("Recommend", id="recommend"):
                yield RecommendPane(id="recommend-pane")
            with TabPane("Compare", id="compare"):
                yield ComparePane(id="compare-pane")
            with TabPane("Probe", id="probe"):
                yield ProbePane(id="probe-pane")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(BrowsePane).focus_table()
        if self.store is not None:
            self.post_message(StoreReady(self.store))
        else:
            self.open_catalog()

    # ----- store and facets (workers) -----------------------------------------------------

    @work(thread=True, group="store")
    def open_catalog(self) -> None:
        from catalog.store import open_store

        try:
            store = open_store(self.db_url)
        except CatalogError as exc:
            self.post_message(Failed("store", str(exc)))
            return
        self.post_message(StoreReady(store))

    @on(StoreReady)
    def store_ready(self, message: StoreReady) -> None:
        self.store = message.store
        self.query_one(BrowsePane).reload()
        self.load_facets()

    @work(thread=True, group="facets")
    def load_facets(self) -> None:
        try:
            with self.store.session() as session:
                facets = facet_options(session)
            devices = device_choices()
        except CatalogError as exc:
            self.post_message(Failed("facets", str(exc)))
            return
        self.post_message(FacetsLoaded(facets, devices))

    @on(FacetsLoaded)
    def facets_loaded(self, message: FacetsLoaded) -> None:
        self.sub_title = f"{message.facets.models:,} models"
        self.query_one(BrowsePane).fill_filters(message)
        self.query_one(RecommendPane).fill_controls(message)
        self.query_one(ComparePane).fill_devices(message)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "recommend":
            self.query_one(RecommendPane).shown()

    @on(Failed)
    def failed(self, message: Failed) -> None:
        self.notify(message.text, title=message.where, severity="error", timeout=8)

    @on(ExportWritten)
    def export_written(self, message: ExportWritten) -> None:
        self.notify("Wrote " + ", ".join(str(p) for p in message.paths), title="export")

    # ----- actions ------------------------------------------------------------------------

    @property
    def current_tab(self) -> str:
        return self.query_one(TabbedContent).active or "browse"

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.action_focus_table()

    def action_focus_search(self) -> None:
        self.query_one(TabbedContent).active = "browse"
        self.query_one(BrowsePane).focus_search()

    def action_focus_table(self) -> None:
        pane = {"browse": BrowsePane, "recommend": RecommendPane, "compare": ComparePane, "probe": ProbePane}
        self.query_one(pane[self.current_tab]).focus_table()

    def action_cycle_sort(self) -> None:
        if self.current_tab == "browse":
            self.query_one(BrowsePane).cycle_sort()

    def action_toggle_select(self) -> None:
        model_id = None
        if self.current_tab == "browse":
            model_id = self.query_one(BrowsePane).highlighted_id()
        elif self.current_tab == "recommend":
            model_id = self.query_one(RecommendPane).highlighted_id()
        if model_id:
            self.toggle_selected(model_id)

    def toggle_selected(self, model_id: str) -> None:
        chosen = model_id not in self.selected
        if chosen:
            self.selected.append(model_id)
        else:
            self.selected.remove(model_id)
        self.query_one(BrowsePane).mark_selected(model_id, chosen)
        self.query_one(RecommendPane).mark_selected(model_id, chosen)
        self.query_one(ProbePane).selection_changed(self.selected)

    def clear_selection(self) -> None:
        for model_id in list(self.selected):
            self.toggle_selected(model_id)

    def action_compare(self) -> None:
        ids = list(self.selected)
        if len(ids) < 2:
            ids = self.query_one(BrowsePane).visible_ids(limit=5) if not ids else ids
        self.query_one(TabbedContent).active = "compare"
        self.query_one(ComparePane).compare(ids)

    def action_export(self) -> None:
        from advisor.tui.export import ExportScreen

        build_document = self.current_document()
        if build_document is None:
            self.notify("Nothing to export yet: run a recommendation or a comparison first.", severity="warning")
            return
        self.push_screen(ExportScreen(build_document, self.current_tab))

    def current_document(self) -> Callable[[], dict] | None:
        """A callable giving the current view as a report document (run in the export worker)."""
        if self.current_tab in ("recommend", "compare"):
            pane = self.query_one(RecommendPane) if self.current_tab == "recommend" else self.query_one(ComparePane)
            document = pane.document
            return None if document is None else (lambda: document)
        if self.current_tab == "probe":
            return self.query_one(ProbePane).document()
        # Browse exports a comparison of the picked models, or of the top rows shown.
        ids = self.selected or self.query_one(BrowsePane).visible_ids(20)
        return self.query_one(ComparePane).document_for(ids) if ids else None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Browse the catalog", "Search and filter every model", lambda: self.action_show_tab("browse"))
        yield SystemCommand("Recommend", "Rank models for a task and a target device", lambda: self.action_show_tab("recommend"))
        yield SystemCommand("Compare selected models", "Side by side, on the chosen target", self.action_compare)
        yield SystemCommand("Probe on my dataset", "Quick probes of the selected models on a folder", lambda: self.action_show_tab("probe"))
        yield SystemCommand("Export a report", "Write the current view as HTML, Markdown, CSV or JSON", self.action_export)
        yield SystemCommand("Clear the selection", "Unpick every selected model", self.clear_selection)
        yield SystemCommand("Cycle the sort order", "relevance, downloads, params, GMACs, size, name", self.action_cycle_sort)


def run(db_url: str | None = None) -> None:
    """Run the TUI in this terminal."""
    AdvisorApp(db_url).run()
