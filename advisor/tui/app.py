"""`advisor tui`: the Textual app. Tabs for browse, recommend, compare and probe; export from any.

Layout and data are apart (Harlequin's style): panes compose widgets and react to typed messages;
every query, ranking and probe runs in a thread worker through advisor.tui.data or the engines,
one store session per user action. torch is imported only inside a probe worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, TabbedContent, TabPane

from advisor.tui.browse import BrowsePane
from advisor.tui.debounce import has_pending
from advisor.tui.data import compare_document, device_choices, facet_options
from advisor.tui.messages import ExportWritten, FacetsLoaded, Failed, StoreReady
from catalog.errors import CatalogError

# Tabs other than browse are built the first time they are shown (module, class), so start-up
# pays for neither their widgets nor their imports (plotext, the ranking engine).
LATER_PANES = {
    "recommend": ("advisor.tui.recommend", "RecommendPane"),
    "compare": ("advisor.tui.compare", "ComparePane"),
    "probe": ("advisor.tui.probe", "ProbePane"),
}


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
        self.picked: list[str] = []  # ids picked for compare and probe, in the order picked
        self.facets: FacetsLoaded | None = None
        self._facets_requested = False

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="browse", id="tabs"):
            with TabPane("Browse", id="browse"):
                yield BrowsePane(id="browse-pane")
            yield TabPane("Recommend", id="recommend")
            yield TabPane("Compare", id="compare")
            yield TabPane("Probe", id="probe")
        yield Footer()

    @property
    def busy(self) -> bool:
        """Work is under way or about to start: a worker running, or a debounced action waiting."""
        return has_pending(self) or any(not worker.is_finished for worker in self.workers)

    def pane(self, tab: str) -> Widget | None:
        """The tab's pane widget, or None when the tab has not been shown yet."""
        found = self.query(f"#{tab}-pane")
        return found.first() if found else None

    async def ensure_pane(self, tab: str) -> Widget:
        existing = self.pane(tab)
        if existing is not None:
            return existing
        module, name = LATER_PANES[tab]
        widget = getattr(import_module(module), name)(id=f"{tab}-pane")
        await self.query_one(f"TabPane#{tab}", TabPane).mount(widget)
        if self.facets is not None:
            widget.fill_controls(self.facets)
        return widget

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

    def first_rows_shown(self) -> None:
        """Facets (filter choices, device list) load once the first rows are up, not competing with them."""
        if not self._facets_requested:
            self._facets_requested = True
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
        self.facets = message
        self.sub_title = f"{message.facets.models:,} models"
        self.query_one(BrowsePane).fill_filters(message)
        for tab in LATER_PANES:
            pane = self.pane(tab)
            if pane is not None:
                pane.fill_controls(message)

    @on(TabbedContent.TabActivated)
    async def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or "browse"
        if tab in LATER_PANES:  # a click on the tab: build it now
            pane = await self.ensure_pane(tab)
            pane.shown()

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

    async def action_show_tab(self, tab: str) -> None:
        if tab in LATER_PANES:
            await self.ensure_pane(tab)
        self.query_one(TabbedContent).active = tab
        self.action_focus_table()

    async def action_focus_search(self) -> None:
        await self.action_show_tab("browse")
        self.query_one(BrowsePane).focus_search()

    def action_focus_table(self) -> None:
        pane = self.pane(self.current_tab)
        if pane is not None:
            pane.focus_table()

    def action_cycle_sort(self) -> None:
        if self.current_tab == "browse":
            self.query_one(BrowsePane).cycle_sort()

    def action_toggle_select(self) -> None:
        pane = self.pane(self.current_tab)
        model_id = pane.highlighted_id() if pane is not None and hasattr(pane, "highlighted_id") else None
        if model_id:
            self.toggle_picked(model_id)

    def toggle_picked(self, model_id: str) -> None:
        chosen = model_id not in self.picked
        if chosen:
            self.picked.append(model_id)
        else:
            self.picked.remove(model_id)
        for tab in ("browse", "recommend", "probe"):
            pane = self.pane(tab)
            if pane is not None:
                pane.picked_changed(model_id, chosen)

    def clear_picked(self) -> None:
        for model_id in list(self.picked):
            self.toggle_picked(model_id)

    async def action_compare(self) -> None:
        """Compare the picked models (or, with fewer than two picked, the top rows shown)."""
        ids = list(self.picked)
        if len(ids) < 2:
            ids = ids or self.query_one(BrowsePane).visible_ids(limit=5)
        pane = await self.ensure_pane("compare")
        await self.action_show_tab("compare")
        pane.compare(ids)

    def action_export(self) -> None:
        from advisor.tui.export import ExportScreen

        build_document = self.current_document()
        if build_document is None:
            self.notify("Nothing to export yet: run a recommendation or a comparison first.", severity="warning")
            return
        self.push_screen(ExportScreen(build_document, self.current_tab))

    def current_document(self) -> Callable[[], dict] | None:
        """A callable giving the current view as a report document (run in the export worker)."""
        pane = self.pane(self.current_tab)
        if self.current_tab in LATER_PANES:
            return None if pane is None else pane.report_document()
        # Browse exports a comparison of the picked models, or of the top rows shown, on its latency target.
        ids = list(self.picked) or self.query_one(BrowsePane).visible_ids(20)
        device, store = self.query_one(BrowsePane).filters.device, self.store
        if not ids or store is None:
            return None

        def build() -> dict:
            with store.session() as session:
                return compare_document(session, ids, device)

        return build

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Browse the catalog", "Search and filter every model", lambda: self.run_action("show_tab('browse')"))
        yield SystemCommand("Recommend", "Rank models for a task and a target device", lambda: self.run_action("show_tab('recommend')"))
        yield SystemCommand("Compare the picked models", "Side by side, on the chosen target", lambda: self.run_action("compare"))
        yield SystemCommand("Probe on my dataset", "Quick probes of the picked models on a folder", lambda: self.run_action("show_tab('probe')"))
        yield SystemCommand("Export a report", "Write the current view as HTML, Markdown, CSV or JSON", self.action_export)
        yield SystemCommand("Clear the picked models", "Unpick every model picked with space", self.clear_picked)
        yield SystemCommand("Cycle the sort order", "relevance, downloads, params, GMACs, size, name", self.action_cycle_sort)


def run(db_url: str | None = None) -> None:
    """Run the TUI in this terminal."""
    AdvisorApp(db_url).run()
