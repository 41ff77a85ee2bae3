"""Read queries over the store. Each takes a Session and returns plain dataclasses, never ORM rows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Float, Integer, Select, String, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from catalog.errors import AmbiguousModelError, UnknownModelError, UsageError
from catalog.schema import Benchmark, Metric, Model, ModelFacet, ProbeResult

SORT_FIELDS = ("relevance", "downloads", "likes", "params", "gmacs", "size", "name", "updated")
PERMISSIVE_LICENSES = frozenset(
    {"apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "bsd", "cc-by-4.0", "cc0-1.0", "unlicense",
     "isc", "openrail", "creativeml-openrail-m", "openrail++", "bigscience-openrail-m", "llama3",
     "cc-by-sa-4.0", "zlib", "mpl-2.0", "bsd-3-clause-clear", "artistic-2.0", "ecl-2.0", "afl-3.0", "cc-by-3.0"}
)


@dataclass(frozen=True)
class ModelSummary:
    id: str
    name: str
    source: str
    tasks: list[str]
    domains: list[str]
    family: str | None
    params: int | None
    gmacs: float | None
    size_mb: float | None
    license: str | None
    downloads: int | None
    origin: str | None
    pretrain_datasets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MetricView:
    task: str
    dataset: str
    metric: str
    value: float
    kind: str
    source: str
    split: str | None = None
    higher_is_better: bool = True
    device: str | None = None
    obtained_at: datetime | None = None
    notes: str | None = None
    extra: dict | None = None


@dataclass(frozen=True)
class BenchmarkView:
    device: str
    batch_size: int
    precision: str
    latency_ms: float | None
    kind: str
    source: str
    layout: str | None = None
    img_size: int | None = None
    latency_p90_ms: float | None = None
    throughput_per_s: float | None = None
    peak_memory_mb: float | None = None
    status: str = "ok"
    error: str | None = None
    device_fingerprint: dict | None = None
    obtained_at: datetime | None = None


@dataclass(frozen=True)
class ModelDetail:
    summary: ModelSummary
    modality: str | None
    architecture: str | None
    activations_m: float | None
    input_size: list[int] | None
    test_input_size: list[int] | None
    papers: list[str]
    hub_repo: str | None
    homepage: str | None
    library: str | None
    summary_text: str | None
    num_classes: int | None
    likes: int | None
    updated_at: datetime | None
    provenance: dict
    extra: dict
    metrics: list[MetricView]
    benchmarks: list[BenchmarkView]


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None
    tasks: tuple[str, ...] = ()  # any of these (already resolved to canonical tasks)
    domain: str | None = None
    license: str | None = None  # "any" | "commercial" | an SPDX id
    max_params: float | None = None
    min_params: float | None = None
    max_size_mb: float | None = None
    source: str | None = None
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class SearchResult:
    total: int
    results: list[ModelSummary]


def summary_of(m: Model) -> ModelSummary:
    return ModelSummary(
        id=m.id, name=m.name, source=m.source, tasks=list(m.tasks or []), domains=list(m.domains or []),
        family=m.family, params=m.params, gmacs=m.gmacs, size_mb=m.size_mb, license=m.license,
        downloads=m.downloads, origin=m.origin, pretrain_datasets=list(m.pretrain_datasets or []),
    )


_TOKEN = re.compile(r"[\w]+", re.UNICODE)


def fts_expression(query: str) -> str | None:
    """User text -> an FTS5 query: every word must match, as a prefix ("resnet" finds resnet50)."""
    tokens = [t for t in _TOKEN.findall(query.lower()) if t]
    if not tokens:
        return None
    return " AND ".join(f'"{t}"*' for t in tokens)


def license_clause(license_filter: str | None):
    if not license_filter or license_filter.lower() == "any":
        return None
    if license_filter.lower() == "commercial":
        return func.lower(Model.license).in_(sorted(PERMISSIVE_LICENSES))
    return func.lower(Model.license) == license_filter.lower()


def _filters(q: SearchQuery, correlated: bool = False) -> list:
    """WHERE clauses for the facets. `correlated`: probe the facet primary key once per candidate
    row (EXISTS) instead of materialising every model of the task, which is what a text search
    over a few thousand FTS matches wants at a million models."""
    clauses = []
    for facet, values in (("task", list(q.tasks)), ("domain", [q.domain.lower()] if q.domain else [])):
        if not values:
            continue
        if correlated:
            clauses.append(exists().where(ModelFacet.facet == facet, ModelFacet.value.in_(values), ModelFacet.model_id == Model.id))
        else:
            clauses.append(Model.id.in_(select(ModelFacet.model_id).where(ModelFacet.facet == facet, ModelFacet.value.in_(values))))
    lic = license_clause(q.license)
    if lic is not None:
        clauses.append(lic)
    if q.max_params is not None:
        clauses.append(Model.params <= q.max_params)
    if q.min_params is not None:
        clauses.append(Model.params >= q.min_params)
    if q.max_size_mb is not None:
        clauses.append(Model.size_mb <= q.max_size_mb)
    if q.source:
        clauses.append(Model.source == q.source)
    return clauses


_ORDER = {
    "downloads": lambda: (Model.downloads.desc().nulls_last(), Model.id),
    "likes": lambda: (Model.likes.desc().nulls_last(), Model.id),
    "params": lambda: (Model.params.asc().nulls_last(), Model.id),
    "gmacs": lambda: (Model.gmacs.asc().nulls_last(), Model.id),
    "size": lambda: (Model.size_mb.asc().nulls_last(), Model.id),
    "name": lambda: (Model.name, Model.id),
    "updated": lambda: (Model.updated_at.desc().nulls_last(), Model.id),
}


def search_models(session: Session, q: SearchQuery) -> SearchResult:
    """Faceted full-text search: FTS5 with BM25 on SQLite, token matching elsewhere."""
    if q.sort not in SORT_FIELDS:
        raise UsageError(f"Cannot sort by '{q.sort}'; choose from {', '.join(SORT_FIELDS)}.")
    clauses = _filters(q)
    stmt: Select = select(Model)
    rank = None
    if q.text and q.text.strip():
        expression = fts_expression(q.text)
        if expression is None:
            return SearchResult(0, [])
        if session.get_bind().dialect.name == "sqlite":
            return _sqlite_text_search(session, q, expression)
        else:
            tokens = [t for t in _TOKEN.findall(q.text.lower())]
            clauses += [Model.search_text.like(f"%{t}%") for t in tokens]
            rank = func.lower(Model.name).startswith(tokens[0]).desc()
    if clauses:
        stmt = stmt.where(and_(*clauses))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if q.sort == "relevance":
        order = (rank, Model.downloads.desc().nulls_last(), Model.id) if rank is not None else _ORDER["downloads"]()
    else:
        order = _ORDER[q.sort]()
    rows = session.scalars(stmt.order_by(*order).limit(q.limit).offset(q.offset)).all()
    return SearchResult(total=total, results=[summary_of(m) for m in rows])


# Up to this many text matches are ranked by BM25 (name hits 8x card text); beyond it, name hits
# first and then downloads, because BM25 over a very common word's matches costs more than the
# whole 100 ms budget at a million models while a person reads the top twenty.
BM25_RANK_LIMIT = 20000
_ROWID = literal_column("models.rowid")


def _sqlite_text_search(session: Session, q: SearchQuery, expression: str) -> SearchResult:
    """Text + facets on SQLite: FTS5 finds the matches, the facet filters prune them by rowid, and
    only the survivors are ranked."""
    fts = (
        text("SELECT rowid FROM models_fts WHERE models_fts MATCH :expr").bindparams(expr=expression)
        .columns(rowid=Integer).subquery("fts")
    )
    matched = select(Model).join(fts, fts.c.rowid == _ROWID)
    clauses = _filters(q, correlated=True)
    if clauses:
        matched = matched.where(and_(*clauses))
    if q.sort != "relevance":
        total = session.scalar(select(func.count()).select_from(matched.subquery())) or 0
        rows = session.scalars(matched.order_by(*_ORDER[q.sort]()).limit(q.limit).offset(q.offset)).all()
        return SearchResult(total=total, results=[summary_of(m) for m in rows])
    survivors = session.execute(matched.with_only_columns(_ROWID, Model.id, Model.downloads)).all()
    if not survivors:
        return SearchResult(0, [])
    matches = session.scalar(text("SELECT count(*) FROM models_fts WHERE models_fts MATCH :expr").bindparams(expr=expression)) or 0
    if matches <= BM25_RANK_LIMIT:
        # One pass over every match is far cheaper than a BM25 lookup per surviving rowid.
        ranks = dict(session.execute(
            text("SELECT rowid, bm25(models_fts, 0.0, 8.0, 1.0) FROM models_fts WHERE models_fts MATCH :expr").bindparams(expr=expression)
        ).all())
    else:
        name_hits = set(session.scalars(
            text("SELECT rowid FROM models_fts WHERE models_fts MATCH :expr").bindparams(expr=f"name : ({expression})")
        ))
        ranks = {r[0]: 0.0 if r[0] in name_hits else 1.0 for r in survivors}
    ordered = sorted(survivors, key=lambda r: (ranks.get(r[0], 0.0), r[2] is None, -(r[2] or 0), r[1]))
    page = [r[1] for r in ordered[q.offset : q.offset + q.limit]]
    found = {m.id: m for m in session.scalars(select(Model).where(Model.id.in_(page)))} if page else {}
    return SearchResult(total=len(survivors), results=[summary_of(found[i]) for i in page if i in found])


def metrics_for(session: Session, ids: list[str]) -> dict[str, list[MetricView]]:
    found: dict[str, list[MetricView]] = {i: [] for i in ids}
    if not ids:
        return found
    for m in session.scalars(select(Metric).where(Metric.model_id.in_(ids)).order_by(Metric.id)):
        found[m.model_id].append(_metric_view(m))
    return found


def _metric_view(m: Metric) -> MetricView:
    return MetricView(
        task=m.task, dataset=m.dataset, metric=m.metric, value=m.value, kind=m.kind, source=m.source,
        split=m.split, higher_is_better=m.higher_is_better, device=m.device, obtained_at=m.obtained_at,
        notes=m.notes, extra=m.extra,
    )


def _benchmark_view(b: Benchmark) -> BenchmarkView:
    return BenchmarkView(
        device=b.device, batch_size=b.batch_size, precision=b.precision, latency_ms=b.latency_ms,
        kind=b.kind, source=b.source, layout=b.layout, img_size=b.img_size,
        latency_p90_ms=b.latency_p90_ms, throughput_per_s=b.throughput_per_s,
        peak_memory_mb=b.peak_memory_mb, status=b.status, error=b.error,
        device_fingerprint=b.device_fingerprint, obtained_at=b.obtained_at,
    )


def resolve_model_id(session: Session, query: str) -> str:
    """An exact id, or an unprefixed / partial name that matches exactly one model."""
    query = query.strip()
    if not query:
        raise UsageError("Give a model id, e.g. timm:resnet50.a1_in1k.")
    if session.get(Model, query) is not None:
        return query
    exact = session.scalars(select(Model.id).where(Model.name == query).limit(11)).all()
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise AmbiguousModelError(query, exact[:10], len(exact))
    name = query.split(":", 1)[1] if ":" in query else query
    like = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(Model.id).where(or_(Model.name.like(f"{like}%", escape="\\"), Model.id.like(f"{like}%", escape="\\")))
    if ":" in query:
        stmt = stmt.where(Model.source == query.split(":", 1)[0])
    candidates = session.scalars(stmt.order_by(func.length(Model.id), Model.id).limit(11)).all()
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or len(candidates)
        raise AmbiguousModelError(query, candidates[:10], total)
    suggestions = []
    tokens = _TOKEN.findall(name.lower())
    if tokens:
        suggestions = [s.id for s in search_models(session, SearchQuery(text=tokens[0][:6], limit=3)).results]
    raise UnknownModelError(query, suggestions)


def get_model(session: Session, model_id: str) -> ModelDetail:
    m = session.get(Model, model_id)
    if m is None:
        raise UnknownModelError(model_id)
    metrics = [_metric_view(x) for x in session.scalars(select(Metric).where(Metric.model_id == model_id).order_by(Metric.id))]
    benchmarks = [
        _benchmark_view(b)
        for b in session.scalars(select(Benchmark).where(Benchmark.model_id == model_id).order_by(Benchmark.id))
    ]
    return ModelDetail(
        summary=summary_of(m), modality=m.modality, architecture=m.architecture, activations_m=m.activations_m,
        input_size=m.input_size, test_input_size=m.test_input_size, papers=list(m.papers or []),
        hub_repo=m.hub_repo, homepage=m.homepage, library=m.library, summary_text=m.summary,
        num_classes=m.num_classes, likes=m.likes, updated_at=m.updated_at, provenance=dict(m.provenance or {}),
        extra=dict(m.extra or {}), metrics=metrics, benchmarks=benchmarks,
    )


def catalog_stats(session: Session) -> dict:
    def facet_counts(facet: str) -> dict[str, int]:
        rows = session.execute(
            select(ModelFacet.value, func.count()).where(ModelFacet.facet == facet).group_by(ModelFacet.value)
        ).all()
        return dict(sorted(rows, key=lambda r: (-r[1], r[0])))

    by_source = dict(session.execute(select(Model.source, func.count()).group_by(Model.source)).all())
    by_origin = dict(
        session.execute(select(Model.origin, func.count()).where(Model.origin.is_not(None)).group_by(Model.origin)).all()
    )
    return {
        "models": session.scalar(select(func.count()).select_from(Model)) or 0,
        "models_by_source": dict(sorted(by_source.items())),
        "models_by_task": facet_counts("task"),
        "models_by_domain": facet_counts("domain"),
        "models_by_origin": dict(sorted(by_origin.items())),
        "metrics": session.scalar(select(func.count()).select_from(Metric)) or 0,
        "benchmarks": session.scalar(select(func.count()).select_from(Benchmark)) or 0,
        "probe_results": session.scalar(select(func.count()).select_from(ProbeResult)) or 0,
    }
