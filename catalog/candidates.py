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

from typing import Any

from catalog.queries import catalog_size, order_by
from catalog.reader import Reader, as_reader, chunks, in_list, json_value, timestamp

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


_COLUMNS = ("m.id, m.name, m.source, m.tasks, m.domains, m.pretrain_datasets, m.family, m.modality, m.params, "
            "m.gmacs, m.size_mb, m.license, m.downloads, m.provenance")
_METRIC_COLUMNS = ("x.model_id, x.task, x.dataset, x.metric, x.value, x.kind, x.source, x.higher_is_better, "
                   "x.obtained_at, x.device, x.extra")


def _columns(with_text: bool) -> str:
    return _COLUMNS + (", m.summary" if with_text else "")


def _metric(row: Sequence) -> CandidateMetric:
    """A CandidateMetric from the tail of a _METRIC_COLUMNS row (model_id dropped)."""
    task, dataset, metric, value, kind, source, higher, obtained, device, extra = row
    return CandidateMetric(task, dataset, metric, value, kind, source, True if higher is None else bool(higher),
                           timestamp(obtained), device, json_value(extra))


def _task_ids(params: dict[str, Any], tasks: Sequence[str]) -> str:
    return f"SELECT model_id FROM model_facets WHERE facet = 'task' AND value IN ({in_list(params, 'task', tasks)})"


def _domain_matches(params: dict[str, Any], tags: Sequence[str], prefixes: Sequence[str]) -> str:
    """Model ids with one of the domain tags or a pretraining dataset starting with one of the
    prefixes: one indexed lookup per branch (a range instead of LIKE, so the facet primary key
    serves it on every backend), united; one OR over all of them made SQLite scan every dataset row."""
    branches = [f"SELECT model_id FROM model_facets WHERE facet = 'domain' AND value IN ({in_list(params, 'tag', tags)})"]
    for i, p in enumerate(p for p in prefixes if p):
        params[f"lo_{i}"], params[f"hi_{i}"] = p, p[:-1] + chr(ord(p[-1]) + 1)
        branches.append(f"SELECT model_id FROM model_facets WHERE facet = 'dataset' AND value >= :lo_{i} AND value < :hi_{i}")
    return " UNION ".join(branches)


def _top_unrated(db: Reader, tasks: Sequence[str], rated: set[str], limit: int) -> list[str]:
    """The most downloaded models of `tasks` without a canonical figure.

    Two plans, whichever reads fewer rows: sort the task's own models (cost ~ the task's size),
    or walk the downloads index checking task membership per row (cost ~ limit x catalog / task
    size: cheap for the big tasks, text generation is a fifth of the Hub).
    """
    params: dict[str, Any] = {}
    members = in_list(params, "task", tasks)
    size = db.scalar(f"SELECT count(*) FROM model_facets WHERE facet = 'task' AND value IN ({members})", params) or 0
    if not size:
        return []
    page = limit + 20
    by_downloads = order_by("downloads", db.dialect)  # on SQLite the downloads index alone serves it
    if size <= page * catalog_size(db) / size:
        where = f"m.id IN ({_task_ids(params, tasks)})"
    else:
        where = (f"EXISTS (SELECT 1 FROM model_facets f WHERE f.facet = 'task' AND f.value IN ({members}) "
                 "AND f.model_id = m.id)")
    params["limit"] = page
    found: list[str] = []
    offset = 0
    while len(found) < limit:
        params["offset"] = offset
        rows = db.column(f"SELECT m.id FROM models m WHERE {where} ORDER BY {by_downloads} "
                         "LIMIT :limit OFFSET :offset", params)
        found += [r for r in rows if r not in rated]
        if len(rows) < page:
            break
        offset += page
    return found[:limit]


def fetch_candidates(
    db: Reader | Any,
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
    db = as_reader(db)
    columns = _columns(with_text)
    width = columns.count(",") + 1
    rated_rows: dict[str, tuple] = {}
    metrics: dict[str, list[CandidateMetric]] = {}
    if benchmarks:
        params: dict[str, Any] = {}
        pairs = []
        for i, (dataset, metric) in enumerate(benchmarks):
            params[f"ds_{i}"], params[f"mt_{i}"] = dataset, metric
            pairs.append(f"(x.dataset = :ds_{i} AND x.metric = :mt_{i})")
        sql = (f"SELECT {columns}, {_METRIC_COLUMNS} FROM metrics x JOIN models m ON x.model_id = m.id "
               f"WHERE x.task IN ({in_list(params, 'task', tasks)}) AND ({' OR '.join(pairs)}) AND x.kind != 'probe' "
               "ORDER BY x.id")
        for row in db.rows(sql, params):
            rated_rows.setdefault(row[0], row[:width])
            metrics.setdefault(row[0], []).append(_metric(row[width + 1 :]))
    rated = set(rated_rows)
    ids: dict[str, None] = {}
    if unrated_limit:
        ids.update(dict.fromkeys(_top_unrated(db, tasks, rated, unrated_limit)))
    if domain_tags or domain_datasets:
        params = {"limit": domain_limit}
        matches = _domain_matches(params, domain_tags, domain_datasets)
        in_task = (f"EXISTS (SELECT 1 FROM model_facets t WHERE t.facet = 'task' AND t.value IN "
                   f"({in_list(params, 'task', tasks)}) AND t.model_id = d.model_id)")
        ids.update(dict.fromkeys(db.column(
            f"SELECT d.model_id FROM ({matches}) d WHERE {in_task} ORDER BY d.model_id LIMIT :limit", params)))
    if probe_dataset:
        params = {"dataset": probe_dataset}
        sql = (f"SELECT {_METRIC_COLUMNS} FROM metrics x WHERE x.task IN ({in_list(params, 'task', tasks)}) "
               "AND x.dataset = :dataset ORDER BY x.id")
        for row in db.rows(sql, params):
            if row[0] in rated:
                metrics[row[0]].append(_metric(row[1:]))
            else:
                ids[row[0]] = None
    ids.update(dict.fromkeys(extra_ids))
    others = load_candidates(db, [i for i in ids if i not in rated], tasks, with_text=with_text)
    candidates = [_candidate(row, metrics[mid]) for mid, row in sorted(rated_rows.items())] + others
    return CandidatePool(candidates=candidates, rated_ids=frozenset(rated), unrated_total=None)


def _candidate(row: Sequence, metrics: Sequence[CandidateMetric]) -> Candidate:
    (mid, name, source, tasks_, domains, datasets, family, modality, params, gmacs, size_mb, license_, downloads,
     provenance, *text) = row
    return Candidate(
        id=mid, name=name, source=source, family=family, modality=modality, params=params, gmacs=gmacs,
        size_mb=size_mb, license=license_, downloads=downloads, summary=text[0] if text else None,
        metrics=tuple(metrics), raw=(tasks_, domains, datasets, provenance),
    )


def load_candidates(db: Reader | Any, ids: Sequence[str], tasks: Sequence[str] | None = None,
                    *, with_text: bool = False) -> list[Candidate]:
    """Candidates for explicit ids (in the given order), with their metric rows (on `tasks` if given)."""
    db = as_reader(db)
    columns = _columns(with_text)
    rows: dict[str, tuple] = {}
    metrics: dict[str, list[CandidateMetric]] = {i: [] for i in ids}
    for chunk in chunks(list(ids), CHUNK):
        params: dict[str, Any] = {}
        members = in_list(params, "id", chunk)
        for row in db.rows(f"SELECT {columns} FROM models m WHERE m.id IN ({members})", params):
            rows[row[0]] = row
        sql = f"SELECT {_METRIC_COLUMNS} FROM metrics x WHERE x.model_id IN ({members})"
        if tasks:
            sql += f" AND x.task IN ({in_list(params, 'task', tasks)})"
        for m in db.rows(sql + " ORDER BY x.id", params):
            metrics[m[0]].append(_metric(m[1:]))
    return [_candidate(rows[i], metrics[i]) for i in ids if i in rows]
