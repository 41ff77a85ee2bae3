"""Browse: full-text search, facet filters, a paged sortable table and a detail pane."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from advisor.tui.data import (
    FIRST_PAGE_SIZE,
    PAGE_SIZE,
    SORTABLE_COLUMNS,
    BrowseFilters,
    BrowsePage,
    browse_page,
    default_device,
    model_detail,
)
from advisor.tui.debounce import Debouncer
from advisor.tui.formatting import (
    accuracy_text,
    count_text,
    detail_renderables,
    downloads_text,
    float_text,
    id_text,
    latency_text,
    right,
    tasks_text,
)
from advisor.tui.messages import DetailLoaded, FacetsLoaded, Failed, PageLoaded
from catalog.errors import CatalogError
from catalog.queries import PageCursor
from catalog.units import parse_count, parse_positive

COLUMNS = (
    ("sel", " "), ("id", "id"), ("task", "task"), ("accuracy", "accuracy"), ("latency", "latency ms"),
    ("params", "params"), ("gmacs", "GMACs"), ("size", "size MB"), ("license", "license"), ("downloads", "downloads"),
)
SORT_CYCLE = ("relevance", "downloads", "params", "gmacs", "size", "name")
SELECTED_MARK = "●"


class ModelTable(DataTable):
    """The catalog table; asks for the next page when scrolled (wheel or keys) near its end."""

    class NearEnd(Message):
        pass

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.row_count and new >= self.max_scroll_y - 5:
            self.post_message(self.NearEnd())


class BrowsePane(Vertical):
    """The first screen: it shows rows as soon as the store is open, then pages on demand."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters = BrowseFilters(device=default_device())
        self.generation = 0
        self.total = 0
        self.next_page: PageCursor | None = None  # where the rows shown so far end (keyset paging)
        self.loading_more = False
        self._search_debounce = Debouncer(self, 0.2)
        # Holding an arrow key should not fire a detail query per row passed.
        self._detail_debounce = Debouncer(self, 0.12)
        self._client_sort: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield Input(placeholder="search  (press / to focus; Esc back to the table)", id="search")
            yield Static("", id="browse-status")
        with Horizontal(id="filters"):
            yield Select([], prompt="task", id="f-task")
            yield Select([], prompt="domain", id="f-domain")
            yield Select([], prompt="license", id="f-license")
            yield Input(placeholder="min params", id="f-min-params", classes="num")
            yield Input(placeholder="max params", id="f-max-params", classes="num")
            yield Input(placeholder="max MB", id="f-max-size", classes="num")
            yield Checkbox("edge-friendly", id="f-edge")
            yield Select([], prompt="latency on: -", id="f-device")
        table = ModelTable(id="models", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        table.loading = True
        yield table
        with Horizontal(id="detail"):
            yield Static("Highlight a model to see every figure with its kind and source.", id="detail-facts")
            with VerticalScroll(id="detail-figures"):
                yield Static("", id="detail-body")

    # ----- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Run the current filters from the first page (stale answers are dropped by generation)."""
        self.generation += 1
        # No "more" until the new first page is in: the rows and cursor on screen belong to the old filters.
        self.loading_more = True
        self.next_page = None
        # The old rows stay until the new page arrives: no flicker while typing.
        self.load_page(self.filters, 0, self.generation, append=False, limit=FIRST_PAGE_SIZE)

    @work(thread=True, group="browse-page")
    def load_page(self, filters: BrowseFilters, offset: int, generation: int, append: bool,
                  limit: int = PAGE_SIZE, after: PageCursor | None = None) -> None:
        try:
            with self.app.store.session() as session:
                page = browse_page(session, filters, offset, limit, after)
        except CatalogError as exc:
            self.post_message(Failed("browse", str(exc)))
            return
        self.post_message(PageLoaded(page, generation, append))

    @work(thread=True, exclusive=True, group="browse-detail")
    def load_detail(self, model_id: str) -> None:
        try:
            with self.app.store.session() as session:
                detail = model_detail(session, model_id)
        except CatalogError as exc:
            self.post_message(Failed("detail", str(exc)))
            return
        self.post_message(DetailLoaded(detail))

    def load_more(self) -> None:
        table = self.query_one(ModelTable)
        if self.loading_more or table.loading or table.row_count >= self.total:
            return
        self.loading_more = True
        self.load_page(self.filters, table.row_count, self.generation, append=True, after=self.next_page)

    @on(PageLoaded)
    def show_page(self, message: PageLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        table = self.query_one(ModelTable)
        if not message.append:
            table.clear()
        if message.page.total is not None:
            self.total = message.page.total
        self.next_page = message.page.next_page
        self.add_rows(table, message.page)
        if table.loading:
            table.loading = False
            if self.app.focused is None:  # a loading table cannot take focus; take it now
                table.focus()
        self.loading_more = False
        if self._client_sort:
            self._sort_loaded(self._client_sort)
        self.update_status()
        self.app.first_rows_shown()
        if not message.append and table.row_count:
            table.move_cursor(row=0)
            self.schedule_detail()
        elif not table.row_count:
            empty = self.filters == BrowseFilters(device=self.filters.device, sort=self.filters.sort)
            self.query_one("#detail-facts", Static).update(
                "The catalog is empty: run `advisor catalog build` (or point --db at a catalog)." if empty
                else "No models match these filters.")
            self.query_one("#detail-body", Static).update("")

    def add_rows(self, table: DataTable, page: BrowsePage) -> None:
        selected = set(self.app.picked)
        for r in page.rows:
            if r.id in table.rows:  # a page boundary shifted under a concurrent catalog write
                continue
            table.add_row(
                SELECTED_MARK if r.id in selected else " ", id_text(r.id), tasks_text(r.tasks),
                right(accuracy_text(r.accuracy)),
                right(latency_text(r.latency.latency_ms, r.latency.kind) if r.latency else "-"),
                right(count_text(r.params)), right(float_text(r.gmacs)), right(float_text(r.size_mb, 1)),
                r.license or "-", right(downloads_text(r.downloads)), key=r.id,
            )

    def update_status(self) -> None:
        table = self.query_one(ModelTable)
        sort = self._client_sort or self.filters.sort
        text = f"{table.row_count:,} of {self.total:,} models · sort {sort}"
        if self.app.picked:
            text += f" · {len(self.app.picked)} picked"
        self.query_one("#browse-status", Static).update(text)

    # ----- controls ------------------------------------------------------------------------

    def fill_filters(self, message: FacetsLoaded) -> None:
        facets = message.facets
        with self.prevent(Select.Changed):
            self.query_one("#f-task", Select).set_options([(f"{t} ({n})", t) for t, n in facets.tasks])
            self.query_one("#f-domain", Select).set_options([(f"{d} ({n})", d) for d, n in facets.domains])
            licenses = [("commercial use", "commercial")] + [(f"{lic} ({n})", lic) for lic, n in facets.licenses]
            self.query_one("#f-license", Select).set_options(licenses)
            self.query_one("#f-device", Select).set_options(message.devices)
            if self.filters.device in {name for _, name in message.devices}:
                self.query_one("#f-device", Select).value = self.filters.device

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        # Wait for a pause in typing so each keystroke does not start a query.
        self._search_debounce.schedule(lambda: self.apply(text=event.value))

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self._search_debounce.cancel()
        if event.value != self.filters.text:
            self.apply(text=event.value)
        self.focus_table()

    @on(Select.Changed)
    def select_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else event.value
        field = {"f-task": "task", "f-domain": "domain", "f-license": "license", "f-device": "device"}.get(event.select.id or "")
        if field == "license":
            value = value or "any"
        if field:
            self.apply(**{field: value})

    @on(Checkbox.Changed, "#f-edge")
    def edge_changed(self, event: Checkbox.Changed) -> None:
        self.apply(edge_friendly=event.value)

    @on(Input.Changed, ".num")
    def number_changed(self, event: Input.Changed) -> None:
        ident = event.input.id or ""
        text = event.value.strip()
        try:
            if not text:
                value = None
            elif ident == "f-max-size":
                value = parse_positive(text, "max size")
            else:
                value = parse_count(text, "params")
        except CatalogError:
            event.input.add_class("-invalid")
            return
        event.input.remove_class("-invalid")
        field = {"f-min-params": "min_params", "f-max-params": "max_params", "f-max-size": "max_size_mb"}[ident]
        self.apply(**{field: value})

    def apply(self, **changes) -> None:
        updated = self.filters.with_(**changes)
        if updated != self.filters:
            self.filters = updated
            self.reload()

    # ----- table ---------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#models")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= event.data_table.row_count - 10:
            self.load_more()
        self.schedule_detail()

    @on(ModelTable.NearEnd)
    def near_end(self) -> None:
        self.load_more()

    def schedule_detail(self) -> None:
        self._detail_debounce.schedule(self._load_highlighted_detail)

    def _load_highlighted_detail(self) -> None:
        model_id = self.highlighted_id()
        if model_id:
            self.load_detail(model_id)

    @on(DetailLoaded)
    def show_detail(self, message: DetailLoaded) -> None:
        message.stop()
        if message.detail.summary.id == self.highlighted_id():
            facts, figures = detail_renderables(message.detail)
            self.query_one("#detail-facts", Static).update(facts)
            self.query_one("#detail-body", Static).update(figures)

    def highlighted_id(self) -> str | None:
        table = self.query_one(ModelTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.HeaderSelected, "#models")
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value or ""
        if key not in SORTABLE_COLUMNS:
            return
        field = SORTABLE_COLUMNS[key]
        if field is None:  # accuracy / latency: figures computed per page, so sort what is loaded
            self._client_sort = key
            self._sort_loaded(key)
            self.update_status()
            self.app.notify(f"Sorted the {self.query_one(ModelTable).row_count} loaded rows by {key}.")
        else:
            self._client_sort = None
            self.apply(sort=field)

    def _sort_loaded(self, key: str) -> None:
        def number(cell: str) -> float:
            try:
                return float(str(cell).split()[0])
            except (ValueError, IndexError):
                return float("inf") if key == "latency" else float("-inf")

        self.query_one(ModelTable).sort(key, key=number, reverse=key == "accuracy")

    def cycle_sort(self) -> None:
        current = self.filters.sort
        nxt = SORT_CYCLE[(SORT_CYCLE.index(current) + 1) % len(SORT_CYCLE)] if current in SORT_CYCLE else SORT_CYCLE[0]
        self._client_sort = None
        self.apply(sort=nxt)

    def picked_changed(self, model_id: str, selected: bool) -> None:
        table = self.query_one(ModelTable)
        if model_id in table.rows:
            table.update_cell(model_id, "sel", SELECTED_MARK if selected else " ")
        self.update_status()

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def focus_table(self) -> None:
        self.query_one(ModelTable).focus()

    def visible_ids(self, limit: int = PAGE_SIZE) -> list[str]:
        table = self.query_one(ModelTable)
        return [str(key.value) for key in list(table.rows)[:limit]]
