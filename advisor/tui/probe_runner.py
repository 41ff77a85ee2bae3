"""Running a probe for the TUI: the probe engine's ProbeSession, called from a thread worker.

Everything heavy (torch, timm, the probe engine) is imported inside run_probe, so the TUI starts
without it. Progress and results go back as ProbeEvents through `emit`; the finished run is the
same `probe` JSON document `advisor probe --json` prints, and it is stored like a CLI run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from advisor.tui.messages import ProbeEvent
from catalog.errors import CatalogError, UsageError

# What each probe-able task reads, and the sources whose loaders the probe engine knows.
PROBE_TASKS = {"image-classification": "image", "text-classification": "text"}
TASK_FOR_KIND = {kind: task for task, kind in PROBE_TASKS.items()}
LOADABLE = ("timm:", "torchvision:", "hf:")


@dataclass(frozen=True)
class ProbeRequest:
    dataset: str
    model_ids: tuple[str, ...]
    task: str | None = None  # None: from the dataset (an image folder or a text file)
    mode: str = "auto"
    device: str = "auto"
    budget: str = "5m"


class _Stages:
    """Turns the engine's stage/outcome callbacks into progress events with a fraction done."""

    def __init__(self, emit: Callable[[ProbeEvent], None]) -> None:
        self.emit = emit
        self.total = 1
        self.done = 0

    def stage(self, name: str, total: int) -> None:
        self.total, self.done = max(total, 1), 0
        self.emit(ProbeEvent("progress", f"{name}: {total} probes", fraction=0.0))

    def outcome(self, outcome) -> None:
        self.done += 1
        result = outcome.to_dict()
        if outcome.status == "ok":
            text = f"ok {outcome.model_id} {outcome.mode}: {outcome.score:.4g} ({outcome.duration_s:.1f}s)"
        else:
            text = f"failed {outcome.model_id} {outcome.mode}: {outcome.error}"
        self.emit(ProbeEvent("result", text, fraction=self.done / self.total, result=result))


def _task_for(request: ProbeRequest, kind: str) -> str:
    if request.task in PROBE_TASKS:
        if PROBE_TASKS[request.task] != kind:
            raise UsageError(f"{request.dataset} is a {kind} dataset but the task is {request.task}.")
        return request.task
    if kind not in TASK_FOR_KIND:
        raise UsageError(f"Probes cover image and text classification; {request.dataset} is {kind} data.")
    return TASK_FOR_KIND[kind]


def run_probe(store, request: ProbeRequest, emit: Callable[[ProbeEvent], None]) -> None:
    """Run the probe; every outcome, failure included, arrives as an event (never an exception)."""
    try:
        from advisor.cli.probe_cmd import parse_budget
        from benchmarks.datasets import load_dataset

        budget_s = parse_budget(request.budget or "5m")
        ids = [i for i in request.model_ids if i.startswith(LOADABLE)]
        skipped = [i for i in request.model_ids if not i.startswith(LOADABLE)]
        if skipped:
            emit(ProbeEvent("progress", f"skipped (no timm/torchvision/transformers loader): {', '.join(skipped)}"))
        if not ids:
            raise UsageError("None of these models can be loaded by timm, torchvision or transformers for a probe.")
        emit(ProbeEvent("progress", f"reading {request.dataset}", fraction=0.0))
        data = load_dataset(request.dataset)
        task = _task_for(request, data.kind)
        for line in data.report.warnings():
            emit(ProbeEvent("progress", f"warning: {line}"))
        emit(ProbeEvent("progress", f"dataset {data.fingerprint}: {len(data.classes)} classes, "
                                    f"{len(data.train)} train / {len(data.val)} val; task {task}"))
        from benchmarks.probe_session import ProbeSession  # torch is imported from here on

        stages = _Stages(emit)
        session = ProbeSession(store, data, task, ids, mode=request.mode, device=request.device, budget_s=budget_s)
        document = session.run(on_stage=stages.stage, on_outcome=stages.outcome)
    except CatalogError as exc:
        emit(ProbeEvent("error", str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - a probe failing (weights, memory, drivers) must not take the TUI down
        emit(ProbeEvent("error", f"The probe stopped: {type(exc).__name__}: {exc}"))
        return
    emit(ProbeEvent("done", f"run {document['run_id']} {document['status']} in {document['seconds']:.1f}s",
                    fraction=1.0, result=document))
