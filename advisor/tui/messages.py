"""Typed messages that workers post back to the UI thread (Textual's post_message is thread-safe)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from advisor.tui.data import BrowsePage, FacetOptions


class StoreReady(Message):
    """The catalog store is open (migrated, embedded snapshot loaded on first use)."""

    def __init__(self, store) -> None:
        super().__init__()
        self.store = store


class FacetsLoaded(Message):
    """Choices for the filter and target controls: catalog facets and device profiles."""

    def __init__(self, facets: FacetOptions, devices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.facets = facets
        self.devices = devices


class PageLoaded(Message):
    """A page of browse rows; `generation` says which query it answers, so stale pages are dropped."""

    def __init__(self, page: BrowsePage, generation: int, append: bool) -> None:
        super().__init__()
        self.page = page
        self.generation = generation
        self.append = append


class DetailLoaded(Message):
    def __init__(self, detail) -> None:  # catalog.queries.ModelDetail
        super().__init__()
        self.detail = detail


class RecommendationReady(Message):
    """The ranking engine's answer (Recommendation.to_dict()) for one set of controls."""

    def __init__(self, document: dict | None, generation: int, error: str | None = None) -> None:
        super().__init__()
        self.document = document
        self.generation = generation
        self.error = error  # a user-facing sentence (nothing fits, unknown task ...) instead of a document


class CompareReady(Message):
    def __init__(self, document: dict) -> None:
        super().__init__()
        self.document = document


@dataclass
class ProbeEvent:
    """One thing a running probe reported: progress text, a finished model, or the end."""

    kind: str  # "progress" | "result" | "done" | "error"
    text: str = ""
    fraction: float | None = None
    result: dict | None = None


class ProbeUpdate(Message):
    def __init__(self, event: ProbeEvent) -> None:
        super().__init__()
        self.event = event


class ExportWritten(Message):
    def __init__(self, paths: list) -> None:
        super().__init__()
        self.paths = paths


class Failed(Message):
    """A user-caused problem (a CatalogError) in a worker: shown as one sentence, never a traceback."""

    def __init__(self, where: str, text: str) -> None:
        super().__init__()
        self.where = where
        self.text = text
