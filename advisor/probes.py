"""Reading probe evidence for `recommend --dataset PATH|FINGERPRINT`.

Probe results on the user's own data beat reported benchmark accuracy for that data. They are
read through `benchmarks.runs.probe_results_for` when that module is present, else straight from
the probe-kind Metric rows (dataset "probe:<fingerprint>") the probe engine also writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.facts import ProbeFigure, probe_from_metrics, probe_from_outcome
from catalog.candidates import Candidate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PROBE_PREFIX = "probe:"


def _known_fingerprint(session: Session, fingerprint: str) -> bool:
    from sqlalchemy import select

    from catalog.schema import Metric, ProbeRun

    if session.scalar(select(ProbeRun.id).where(ProbeRun.dataset_fingerprint == fingerprint).limit(1)):
        return True
    return session.scalar(select(Metric.id).where(Metric.dataset == PROBE_PREFIX + fingerprint).limit(1)) is not None


def resolve_probe_dataset(session: Session, dataset: str, notes: list[str]) -> str | None:
    """`--dataset` (a path probed before, or a fingerprint) -> "probe:<fingerprint>", or None with a note."""
    from sqlalchemy import select

    from catalog.schema import ProbeRun

    text = dataset.strip().removeprefix(PROBE_PREFIX)
    path = Path(text).expanduser()
    candidates = [text]
    if path.exists():
        resolved = str(path.resolve())
        fingerprint = session.scalar(
            select(ProbeRun.dataset_fingerprint).where(ProbeRun.dataset_path.in_([resolved, text, str(path)]))
            .order_by(ProbeRun.started_at.desc()).limit(1))
        if fingerprint is None:
            fingerprint = _fingerprint_of(path)
        if fingerprint:
            candidates.insert(0, fingerprint)
    for fingerprint in candidates:
        if _known_fingerprint(session, fingerprint):
            return PROBE_PREFIX + fingerprint
    notes.append(f"no probe results for dataset '{dataset}': ranked on reported figures; "
                 f"run `advisor probe {dataset} --task TASK` to rank by your own data")
    return None


def _fingerprint_of(path: Path) -> str | None:
    """The probe engine's fingerprint of a dataset path (reads file names and sizes, no torch)."""
    try:
        from benchmarks.datasets import load_dataset

        return load_dataset(path, verify_images=False).fingerprint
    except Exception:  # noqa: BLE001 - an unreadable dataset simply has no probe results
        return None


def probe_outcomes(session: Session, probe_dataset: str) -> dict[str, ProbeFigure]:
    """model id -> its best finished probe on `probe_dataset`, from benchmarks.runs (when present)."""
    fingerprint = probe_dataset.removeprefix(PROBE_PREFIX)
    try:
        from benchmarks.runs import probe_results_for
    except ImportError:  # the probe engine is optional at query time; Metric rows still speak
        return {}
    found: dict[str, ProbeFigure] = {}
    for model_id, outcome in (probe_results_for(session, fingerprint) or {}).items():
        figure = probe_from_outcome(outcome, fingerprint)
        if figure is not None:
            found[model_id] = figure
    return found


def probe_figures(probe_dataset: str, candidates: Sequence[Candidate],
                  outcomes: dict[str, ProbeFigure]) -> dict[str, ProbeFigure]:
    """model id -> probe figure: the probe engine's outcome, else the probe-kind Metric rows."""
    found = dict(outcomes)
    for c in candidates:
        if c.id not in found:
            figure = probe_from_metrics(c.metrics, probe_dataset)
            if figure is not None:
                found[c.id] = figure
    return found
