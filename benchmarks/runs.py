"""Probe runs in the store: ProbeRun / ProbeResult rows and probe-kind Metric rows.

Each outcome is committed on its own as soon as it exists, so a run killed with SIGKILL loses at
most the model in flight, and a rerun skips every (model, dataset, mode) triple that finished.
Metric rows follow the cross-team contract: origin "probe", kind "probe", dataset
"probe:<fingerprint>", extra = {"run_id", "mode", "hyperparameters", "duration_s"}.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from benchmarks.datasets import ProbeDataset
from benchmarks.metrics import STORED_METRICS
from benchmarks.probes import MODE_RANK, ProbeOutcome
from catalog.errors import UsageError
from catalog.records import FigureKind, ModelRecord
from catalog.schema import Metric, Model, ProbeResult, ProbeRun

ORIGIN = "probe"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def probe_dataset_name(fingerprint: str) -> str:
    return f"probe:{fingerprint}"


def start_run(session: Session, *, task: str, dataset: ProbeDataset, mode: str, device: str, config: dict) -> str:
    """Create a ProbeRun row and return its id."""
    run_id = f"probe-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    session.add(ProbeRun(id=run_id, task=task, dataset_path=dataset.path, dataset_fingerprint=dataset.fingerprint,
                         mode=mode, device=device, status="running", started_at=_now(),
                         config={**config, "dataset": dataset.summary()}))
    return run_id


def finish_run(session: Session, run_id: str, status: str, summary: dict) -> None:
    run = session.get(ProbeRun, run_id)
    if run is not None:
        run.status, run.finished_at, run.summary = status, _now(), summary


def finished_outcomes(session: Session, fingerprint: str, model_ids: list[str], modes: list[str]) -> dict[tuple[str, str], ProbeOutcome]:
    """Outcomes that finished before for these (model, mode) pairs on this dataset: a rerun skips them."""
    rows = session.scalars(select(ProbeResult).where(
        ProbeResult.dataset_fingerprint == fingerprint, ProbeResult.model_id.in_(model_ids),
        ProbeResult.mode.in_(modes), ProbeResult.status == "ok"))
    return {(r.model_id, r.mode): _outcome(r, reused=True) for r in rows}


def _outcome(row: ProbeResult, reused: bool = False) -> ProbeOutcome:
    return ProbeOutcome(row.model_id, row.mode, row.status, score=row.score, metrics=row.metrics or {},
                        hyperparameters=row.hyperparameters or {}, duration_s=row.duration_s or 0.0,
                        device=row.device, error=row.error, run_id=row.run_id, finished_at=row.finished_at,
                        reused=reused)


def _ensure_model(session: Session, model_id: str, task: str) -> None:
    """Metric rows need a catalog entry; a model probed before it was catalogued gets a bare one
    carrying the probed task, so `recommend --task T --dataset D` can find it."""
    if session.get(Model, model_id) is not None:
        return
    from catalog.writer import write_records

    source, _, name = model_id.partition(":")
    write_records(session, [ModelRecord(source=source, name=name, origin=source, tasks=(task,),
                                        summary="Added by `advisor probe`; not yet in the catalog.")], origin=ORIGIN)


def record_outcome(session: Session, run_id: str, task: str, dataset: ProbeDataset, outcome: ProbeOutcome) -> None:
    """Store one outcome: replace the triple's ProbeResult and, when it finished, its probe Metric rows."""
    session.execute(delete(ProbeResult).where(ProbeResult.model_id == outcome.model_id,
                                              ProbeResult.dataset_fingerprint == dataset.fingerprint,
                                              ProbeResult.mode == outcome.mode))
    session.add(ProbeResult(run_id=run_id, model_id=outcome.model_id, dataset_fingerprint=dataset.fingerprint,
                            mode=outcome.mode, status=outcome.status, score=outcome.score, metrics=outcome.metrics,
                            error=outcome.error, duration_s=outcome.duration_s, device=outcome.device,
                            hyperparameters=outcome.hyperparameters, finished_at=outcome.finished_at or _now()))
    name = probe_dataset_name(dataset.fingerprint)
    old = session.scalars(select(Metric).where(Metric.model_id == outcome.model_id, Metric.dataset == name,
                                                Metric.origin == ORIGIN))
    for row in old:  # the mode lives in the JSON extra, filtered here to stay portable across databases
        if (row.extra or {}).get("mode") == outcome.mode:
            session.delete(row)
    if outcome.status != "ok":
        return
    _ensure_model(session, outcome.model_id, task)
    extra = {"run_id": run_id, "mode": outcome.mode, "hyperparameters": outcome.hyperparameters,
             "duration_s": outcome.duration_s, "dataset_path": dataset.path}
    for metric in STORED_METRICS:
        value = outcome.metrics.get(metric)
        if isinstance(value, (int, float)):
            session.add(Metric(model_id=outcome.model_id, task=task, dataset=name, split="val", metric=metric,
                               value=float(value), higher_is_better=True, kind=FigureKind.PROBE.value, origin=ORIGIN,
                               source=f"dataset fingerprint {dataset.fingerprint} ({dataset.path})",
                               device=outcome.device, obtained_at=outcome.finished_at or _now(),
                               notes=f"{outcome.mode} probe", extra=extra))


def probe_results_for(session: Session, dataset_fingerprint: str) -> dict[str, ProbeOutcome]:
    """The finished probe outcome that speaks for each model on this dataset: the most thorough mode
    reached (finetune > linear > knn), whose score is validation accuracy. LogME evidence is on
    another scale, so LogME outcomes are returned only when no model has an accuracy on this dataset.
    This is what `recommend --dataset` reads."""
    rows = session.scalars(select(ProbeResult).where(ProbeResult.dataset_fingerprint == dataset_fingerprint,
                                                     ProbeResult.status == "ok"))
    best: dict[str, ProbeOutcome] = {}
    for row in rows:
        current = best.get(row.model_id)
        if current is None or MODE_RANK.get(row.mode, -1) > MODE_RANK.get(current.mode, -1):
            best[row.model_id] = _outcome(row)
    if any(o.mode != "logme" for o in best.values()):
        best = {m: o for m, o in best.items() if o.mode != "logme"}
    return best


@dataclass
class RunView:
    id: str
    task: str
    dataset_path: str
    fingerprint: str
    mode: str
    device: str | None
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    config: dict
    summary: dict
    results: list[ProbeOutcome]

    def to_dict(self, with_results: bool = True) -> dict:
        out = {"run_id": self.id, "task": self.task, "dataset": {"path": self.dataset_path, "fingerprint": self.fingerprint},
               "mode": self.mode, "device": self.device, "status": self.status, "started_at": self.started_at,
               "finished_at": self.finished_at, "summary": self.summary}
        if with_results:
            out["config"] = self.config
            out["results"] = [r.to_dict() for r in self.results]
        return out


def _view(session: Session, run: ProbeRun, with_results: bool) -> RunView:
    results = []
    if with_results:
        rows = session.scalars(select(ProbeResult).where(ProbeResult.run_id == run.id).order_by(ProbeResult.id))
        results = [_outcome(r) for r in rows]
    return RunView(run.id, run.task, run.dataset_path, run.dataset_fingerprint, run.mode, run.device, run.status,
                   run.started_at, run.finished_at, run.config or {}, run.summary or {}, results)


def list_runs(session: Session, limit: int = 50) -> list[RunView]:
    """Most recent runs first."""
    runs = session.scalars(select(ProbeRun).order_by(ProbeRun.started_at.desc()).limit(limit))
    return [_view(session, run, with_results=False) for run in runs]


def get_run(session: Session, run_id: str) -> RunView:
    """One run with its results; UsageError naming close ids when it does not exist."""
    run = session.get(ProbeRun, run_id)
    if run is None:
        matches = list(session.scalars(select(ProbeRun).where(ProbeRun.id.like(f"%{run_id}%")).limit(5)))
        if len(matches) == 1:
            run = matches[0]
        else:
            hint = f" Did you mean: {', '.join(m.id for m in matches)}?" if matches else " See `advisor runs list`."
            raise UsageError(f"No probe run '{run_id}'.{hint}")
    return _view(session, run, with_results=True)
