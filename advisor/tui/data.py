"""The TUI's data side: plain functions over the store that return plain values.

Nothing here imports textual; the widgets call these from thread workers, one session per user
action, and render what comes back. Keeping the two apart is what lets the tests drive the data
side without a terminal and the UI side against a fixture catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from advisor.accuracy import headline
from catalog.queries import (
    ModelDetail,
    PageCursor,
    SearchQuery,
    get_model,
    metrics_for,
    search_models,
)
from catalog.schema import Model, ModelFacet

PAGE_SIZE = 100
# The first page only needs to fill the screen (about 20 rows at 160x45) and a little more:
# fewer rows to estimate latency for and to lay out means rows on screen sooner.
FIRST_PAGE_SIZE = 40
# "Edge-friendly" in the browse filters: small enough for a Jetson-class board or a phone.
# A coarse cut on stored figures only; the recommend view applies the chosen device's real budget.
EDGE_MAX_PARAMS = 25e6
EDGE_MAX_SIZE_MB = 100.0

# Table column key -> the catalog sort field it maps to (None: sorted among the loaded rows only).
SORTABLE_COLUMNS: dict[str, str | None] = {
    "id": "name", "params": "params", "gmacs": "gmacs", "size": "size", "downloads": "downloads",
    "accuracy": None, "latency": None,
}


@dataclass(frozen=True)
class BrowseFilters:
    """What the browse controls say; every change makes a new value and a new query."""

    text: str = ""
    task: str | None = None
    domain: str | None = None
    license: str = "any"
    min_params: float | None = None
    max_params: float | None = None
    max_size_mb: float | None = None
    edge_friendly: bool = False
    sort: str = "relevance"
    device: str | None = None  # latency column target (a device profile name)

    def query(self, offset: int, limit: int = PAGE_SIZE, after: PageCursor | None = None) -> SearchQuery:
        max_params, max_size = self.max_params, self.max_size_mb
        if self.edge_friendly:
            max_params = min(max_params or EDGE_MAX_PARAMS, EDGE_MAX_PARAMS)
            max_size = min(max_size or EDGE_MAX_SIZE_MB, EDGE_MAX_SIZE_MB)
        return SearchQuery(
            text=self.text.strip() or None, tasks=(self.task,) if self.task else (), domain=self.domain,
            license=self.license, min_params=self.min_params, max_params=max_params, max_size_mb=max_size,
            sort=self.sort, limit=limit, offset=offset, after=after,
        )

    def with_(self, **changes) -> BrowseFilters:
        return replace(self, **changes)


@dataclass(frozen=True)
class LatencyCell:
    latency_ms: float
    kind: str  # measured | estimated | reported
    source: str


@dataclass(frozen=True)
class BrowseRow:
    id: str
    tasks: list[str]
    accuracy: dict | None  # advisor.accuracy.headline(): task, metric, dataset, value, kind, source
    latency: LatencyCell | None
    params: int | None
    gmacs: float | None
    size_mb: float | None
    license: str | None
    downloads: int | None


@dataclass(frozen=True)
class BrowsePage:
    filters: BrowseFilters
    offset: int
    total: int | None  # None for a page continued from a cursor: the first page's total stands
    rows: list[BrowseRow]
    next_page: PageCursor | None = None


@dataclass(frozen=True)
class FacetOptions:
    """Choices for the filter controls, most common first, with counts."""

    tasks: list[tuple[str, int]] = field(default_factory=list)
    domains: list[tuple[str, int]] = field(default_factory=list)
    licenses: list[tuple[str, int]] = field(default_factory=list)
    models: int = 0


def latency_figures(session: Session, ids: Sequence[str], device: str | None) -> dict[str, LatencyCell]:
    """Latency on `device` for each model that has a figure (measured beats estimated)."""
    if not device or not ids:
        return {}
    from advisor.latency import latency_table  # numpy only; never torch

    table = latency_table(session, list(ids), device)
    return {mid: LatencyCell(f.latency_ms, f.kind, f.source) for mid, f in table.items()}


def browse_page(session: Session, filters: BrowseFilters, offset: int = 0, limit: int = PAGE_SIZE,
                after: PageCursor | None = None) -> BrowsePage:
    """One page of the browse table: the search, each row's headline accuracy and latency.
    `after` (the previous page's `next_page`) continues by keyset, which keeps deep pages fast."""
    result = search_models(session, filters.query(offset, limit, after))
    ids = [r.id for r in result.results]
    metrics = metrics_for(session, ids)
    latency = latency_figures(session, ids, filters.device)
    rows = [
        BrowseRow(
            id=r.id, tasks=r.tasks, accuracy=headline(r.tasks, metrics[r.id]), latency=latency.get(r.id),
            params=r.params, gmacs=r.gmacs, size_mb=r.size_mb, license=r.license, downloads=r.downloads,
        )
        for r in result.results
    ]
    return BrowsePage(filters=filters, offset=offset, total=result.total, rows=rows, next_page=result.next_page)


def facet_options(session: Session) -> FacetOptions:
    """Tasks, domains and licences present in the catalog, with how many models each."""

    def facet(name: str) -> list[tuple[str, int]]:
        rows = session.execute(
            select(ModelFacet.value, func.count()).where(ModelFacet.facet == name).group_by(ModelFacet.value)
        ).all()
        return sorted(((str(v), int(n)) for v, n in rows), key=lambda r: (-r[1], r[0]))

    licenses = session.execute(
        select(func.lower(Model.license), func.count()).where(Model.license.is_not(None)).group_by(func.lower(Model.license))
    ).all()
    return FacetOptions(
        tasks=facet("task"), domains=facet("domain"),
        licenses=sorted(((str(v), int(n)) for v, n in licenses), key=lambda r: (-r[1], r[0])),
        models=session.scalar(select(func.count()).select_from(Model)) or 0,
    )


def model_detail(session: Session, model_id: str) -> ModelDetail:
    return get_model(session, model_id)


def default_device() -> str:
    """The browse table's latency column starts on the default edge device."""
    from advisor.devices import EDGE_DEFAULT

    return EDGE_DEFAULT


def device_choices() -> list[tuple[str, str]]:
    """(label, profile name) for every device profile; the edge and server defaults first."""
    from advisor.devices import EDGE_DEFAULT, SERVER_DEFAULT, list_profiles

    profiles = list_profiles()
    first = [p for name in (EDGE_DEFAULT, SERVER_DEFAULT) for p in profiles if p.name == name]
    rest = [p for p in profiles if p not in first]
    return [(p.name, p.name) for p in first + rest]


@dataclass(frozen=True)
class RecommendControls:
    """What the recommend controls say; one RecommendRequest per distinct value."""

    task: str | None = None
    target: str | None = "edge"  # "edge" | "server", or None when a named device is chosen
    device: str | None = None
    prefer: str = "balanced"
    license: str = "any"
    max_latency_ms: float | None = None
    max_size_mb: float | None = None
    max_params: float | None = None
    min_accuracy: float | None = None
    top: int = 15  # enough points for the chart to show a front

    def with_(self, **changes) -> RecommendControls:
        return replace(self, **changes)


def run_recommend(session: Session, controls: RecommendControls) -> dict:
    """The ranking engine's answer as its JSON document (the same one the CLI prints)."""
    from advisor.ranking import RecommendRequest, recommend

    request = RecommendRequest(
        task=controls.task or "", device=controls.device, target=controls.target if not controls.device else None,
        max_latency_ms=controls.max_latency_ms, max_size_mb=controls.max_size_mb, max_params=controls.max_params,
        min_accuracy=controls.min_accuracy, license=controls.license, prefer=controls.prefer, top=controls.top,
    )
    return {"kind": "recommend", **recommend(session, request).to_dict()}


def compare_document(session: Session, model_ids: Sequence[str], device: str | None = None) -> dict:
    """The ranking engine's side-by-side document for `model_ids` on `device`."""
    from advisor.ranking import compare

    return {"kind": "compare", **compare(session, list(model_ids), device=device).to_dict()}


def probe_run_document(session: Session, run_id: str, device: str | None = None) -> dict:
    """A finished probe run as a report document: the `advisor report --run` document."""
    from advisor.cli.report_cmd import _run_document  # the one definition of that document

    return _run_document(session, run_id, device)
