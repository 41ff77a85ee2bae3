"""The candidate query behind `advisor recommend`: the models of a task, as plain dataclasses.

Kept deliberately simple so it stays fast at a million models: every lookup goes through an
index (the task/domain/dataset facet primary key, the metrics (task, dataset, metric) index,
the models primary key) and only the columns the ranking needs are read.

The pool is: every model with a figure on one of the task's canonical benchmarks (they can be
ranked), the most downloaded models of the task without one (shown as unrated), the task's
models that carry the requested domain tags or pretraining datasets, and any explicit ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime

from sqlalchemy import Text, and_, exists, func, or_, select, text, type_coerce
from sqlalchemy.orm import Session

from catalog.schema import Metric, Model, ModelFacet

CHUNK = 500


@dataclass(frozen=True)
class CandidateMetric:
    task: str
    dataset: str
    metric: str
    value: float
    kind: str
    source: str
    higher_is_better: bool = True
    obtained_at: datetime | None = None
    device: str | None = None
    extra: dict | None = None


def _json(value):
    """A JSON column read raw: text on SQLite (parsed here, only when used), already parsed elsewhere."""
    if value is None or not isinstance(value, str):
        return value
    return json.loads(value) if value not in ("[]", "{}", "null", "") else None


@dataclass(frozen=True)
class Candidate:
    """One model as the ranking engine sees it (no ORM state, safe after the session closes).

    List and dict fields are kept as the stored JSON and parsed on first use: at a million
    models a ranking reads thousands of rows and looks at most of these fields for a few.
    """

    id: str
    name: str
    source: str
    family: str | None
    modality: str | None
    params: int | None
    gmacs: float | None
    size_mb: float | None
    license: str | None
    downloads: int | None
    summary: str | None = None
    metrics: tuple[CandidateMetric, ...] = field(default_factory=tuple)
    raw: tuple = (None, None, None, None)  # stored tasks, domains, pretrain_datasets, provenance

    @cached_property
    def tasks(self) -> tuple[str, ...]:
        return tuple(_json(self.raw[0]) or ())

    @cached_property
    def domains(self) -> tuple[str, ...]:
        return tuple(_json(self.raw[1]) or ())

    @cached_property
    def pretrain_datasets(self) -> tuple[str, ...]:
        return tuple(_json(self.raw[2]) or ())

    @cached_property
    def provenance(self) -> dict:
        return dict(_json(self.raw[3]) or {})


@dataclass(frozen=True)
class CandidatePool:
    candidates: list[Candidate]
    rated_ids: frozenset[str]  # models with a row on one of the requested benchmarks
    unrated_total: int | None  # how many unrated models of the task exist (None: not counted)


_COLUMNS = (Model.id, Model.name, Model.source, type_coerce(Model.tasks, Text), type_coerce(Model.domains, Text),
            type_coerce(Model.pretrain_datasets, Text), Model.family, Model.modality, Model.params, Model.gmacs,
            Model.size_mb, Model.license, Model.downloads, type_coerce(Model.provenance, Text))


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _benchmark_clause(tasks: Sequence[str], benchmarks: Sequence[tuple[str, str]]):
    return and_(
        Metric.task.in_(tasks),
        or_(*[and_(Metric.dataset == d, Metric.metric == m) for d, m in benchmarks]),
        Metric.kind != "probe",
    )


def _task_ids(tasks: Sequence[str]):
    return select(ModelFacet.model_id).where(ModelFacet.facet == "task", ModelFacet.value.in_(tasks))


def _prefix_clause(column, prefixes: Sequence[str]):
    # A range instead of LIKE so the facet primary key index is used on every backend.
    return or_(*[and_(column >= p, column < p[:-1] + chr(ord(p[-1]) + 1)) for p in prefixes if p])


def _catalog_size(session: Session) -> int:
    """About how many models the store holds (SQLite: the largest rowid, O(1))."""
    if session.get_bind().dialect.name == "sqlite":
        return session.scalar(text("SELECT max(rowid) FROM models")) or 0
    return session.scalar(select(func.count()).select_from(Model)) or 0


def _top_unrated(session: Session, tasks: Sequence[str], rated: set[str], limit: int) -> list[str]:
    """The most downloaded models of `tasks` without a canonical figure.

    Two plans, whichever reads fewer rows: sort the task's own models (cost ~ the task's size),
    or walk the downloads index checking task membership per row (cost ~ limit x catalog / task
    size: cheap for the big tasks, text generation is a fifth of the Hub).
    """
    size = session.scalar(select(func.count()).select_from(ModelFacet).where(
        ModelFacet.facet == "task", ModelFacet.value.in_(list(tasks)))) or 0
    if not size:
        return []
    page = limit + 20
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite sorts NULLs last in DESC order by itself, and then the plain index serves the order.
    by_downloads = Model.downloads.desc() if sqlite else Model.downloads.desc().nulls_last()
    if size <= page * _catalog_size(session) / size:
        stmt = select(Model.id).where(Model.id.in_(_task_ids(tasks)))
    else:
        has_task = exists().where(ModelFacet.facet == "task", ModelFacet.value.in_(list(tasks)),
                                  ModelFacet.model_id == Model.id)
        stmt = select(Model.id).where(has_task)
    found: list[str] = []
    offset = 0
    while len(found) < limit:
        rows = session.scalars(stmt.order_by(by_downloads, Model.id).limit(page).offset(offset)).all()
        found += [r for r in rows if r not in rated]
        if len(rows) < page:
            break
        offset += page
    return found[:limit]


_METRIC_COLUMNS = (Metric.model_id, Metric.task, Metric.dataset, Metric.metric, Metric.value, Metric.kind, Metric.source,
                   Metric.higher_is_better, Metric.obtained_at, Metric.device, Metric.extra)


def fetch_candidates(
    session: Session,
    tasks: Sequence[str],
    benchmarks: Sequence[tuple[str, str]],
    *,
    unrated_limit: int = 40,
    domain_tags: Sequence[str] = (),
    domain_datasets: Sequence[str] = (),
    domain_limit: int = 200,
    probe_dataset: str | None = None,
    extra_ids: Sequence[str] = (),
    with_text: bool = False,
) -> CandidatePool:
    """The candidate pool for `tasks` with their metric rows on those tasks (see module docstring).

    Rated models come from one indexed join (canonical metric rows -> their models), so the cost
    is one pass however many there are; the few others are loaded by id with all their task rows.
    """
    conn = session.connection()
    columns = _COLUMNS + ((Model.summary,) if with_text else ())
    rated_rows: dict[str, tuple] = {}
    metrics: dict[str, list[CandidateMetric]] = {}
    if benchmarks:
        stmt = (select(*columns, *_METRIC_COLUMNS).join_from(Metric, Model, Metric.model_id == Model.id)
                .where(_benchmark_clause(tasks, benchmarks)).order_by(Metric.id))
        width = len(columns)
        for row in conn.execute(stmt):
            rated_rows.setdefault(row[0], tuple(row[:width]))
            metrics.setdefault(row[0], []).append(CandidateMetric(*row[width + 1 :]))
    rated = set(rated_rows)
    ids: dict[str, None] = {}
    if unrated_limit:
        ids.update(dict.fromkeys(_top_unrated(session, tasks, rated, unrated_limit)))
    if domain_tags or domain_datasets:
        facet_match = or_(
            and_(ModelFacet.facet == "domain", ModelFacet.value.in_(list(domain_tags))),
            and_(ModelFacet.facet == "dataset", _prefix_clause(ModelFacet.value, list(domain_datasets))),
        )
        in_domain = select(ModelFacet.model_id).where(facet_match).where(ModelFacet.model_id.in_(_task_ids(tasks)))
        ids.update(dict.fromkeys(session.scalars(in_domain.distinct().limit(domain_limit))))
    if probe_dataset:
        probed = select(*_METRIC_COLUMNS).where(Metric.task.in_(list(tasks)), Metric.dataset == probe_dataset)
        for row in conn.execute(probed.order_by(Metric.id)):
            if row[0] in rated:
                metrics[row[0]].append(CandidateMetric(*row[1:]))
            else:
                ids[row[0]] = None
    ids.update(dict.fromkeys(extra_ids))
    others = load_candidates(session, [i for i in ids if i not in rated], tasks, with_text=with_text)
    candidates = [_candidate(row, metrics[mid]) for mid, row in sorted(rated_rows.items())] + others
    return CandidatePool(candidates=candidates, rated_ids=frozenset(rated), unrated_total=None)


def _candidate(row: tuple, metrics: Sequence[CandidateMetric]) -> Candidate:
    (mid, name, source, tasks_, domains, datasets, family, modality, params, gmacs, size_mb, license_,
     downloads, provenance, *text) = row
    return Candidate(
        id=mid, name=name, source=source, family=family, modality=modality, params=params, gmacs=gmacs,
        size_mb=size_mb, license=license_, downloads=downloads, summary=text[0] if text else None,
        metrics=tuple(metrics), raw=(tasks_, domains, datasets, provenance),
    )


def load_candidates(session: Session, ids: Sequence[str], tasks: Sequence[str] | None = None,
                    *, with_text: bool = False) -> list[Candidate]:
    """Candidates for explicit ids (in the given order), with their metric rows (on `tasks` if given)."""
    conn = session.connection()
    columns = _COLUMNS + ((Model.summary,) if with_text else ())
    rows: dict[str, tuple] = {}
    metrics: dict[str, list[CandidateMetric]] = {i: [] for i in ids}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(*columns).where(Model.id.in_(chunk))):
            rows[row[0]] = tuple(row)
        stmt = select(*_METRIC_COLUMNS).where(Metric.model_id.in_(chunk))
        if tasks:
            stmt = stmt.where(Metric.task.in_(list(tasks)))
        for m in conn.execute(stmt.order_by(Metric.id)):
            metrics[m[0]].append(CandidateMetric(*m[1:]))
    return [_candidate(rows[i], metrics[i]) for i in ids if i in rows]
