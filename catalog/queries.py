"""Read queries over the store, as SQL text run through a catalog.reader.Reader.

Each takes a Reader (or a SQLAlchemy Session, wrapped on the way in) and returns plain
dataclasses. They never import SQLAlchemy themselves, so the read-only commands can run them on
the stdlib sqlite3 module and start fast (see catalog/reader.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from typing import Any

from catalog.errors import AmbiguousModelError, UnknownModelError, UsageError
from catalog.reader import Reader, as_reader, boolean, chunks, in_list, json_value, timestamp

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
    # Continue after the previous page (its SearchResult.next_page) instead of skipping `offset`
    # rows: a deep page of a filtered million-model listing then costs what the first one does.
    after: PageCursor | None = None


@dataclass(frozen=True)
class PageCursor:
    """Where a page of a text-less search ended: the last row's sort value and tie-breaker."""

    sort: str
    value: Any
    tie: Any
    correlated: bool  # the plan the first page chose, kept for every page after it


@dataclass(frozen=True)
class SearchResult:
    total: int | None  # None on a page that continued from a cursor (the first page counted)
    results: list[ModelSummary]
    next_page: PageCursor | None = None


SUMMARY_COLUMNS = ("m.id, m.name, m.source, m.tasks, m.domains, m.family, m.params, m.gmacs, m.size_mb, m.license, "
                   "m.downloads, m.origin, m.pretrain_datasets")
METRIC_COLUMNS = ("model_id, task, dataset, metric, value, kind, source, split, higher_is_better, device, obtained_at, "
                  "notes, extra")
BENCHMARK_COLUMNS = ("device, batch_size, precision, latency_ms, kind, source, layout, img_size, latency_p90_ms, "
                     "throughput_per_s, peak_memory_mb, status, error, device_fingerprint, obtained_at")
DETAIL_COLUMNS = (SUMMARY_COLUMNS + ", m.modality, m.architecture, m.activations_m, m.input_size, m.test_input_size, "
                  "m.papers, m.hub_repo, m.homepage, m.library, m.summary, m.num_classes, m.likes, m.updated_at, "
                  "m.provenance, m.extra")


def summary_from_row(row: tuple) -> ModelSummary:
    """A ModelSummary from a row that starts with SUMMARY_COLUMNS."""
    mid, name, source, tasks, domains, family, params, gmacs, size_mb, license_, downloads, origin, datasets = row[:13]
    return ModelSummary(
        id=mid, name=name, source=source, tasks=list(json_value(tasks) or []), domains=list(json_value(domains) or []),
        family=family, params=params, gmacs=gmacs, size_mb=size_mb, license=license_, downloads=downloads,
        origin=origin, pretrain_datasets=list(json_value(datasets) or []),
    )


def _metric_view(row: tuple) -> MetricView:
    """A MetricView from a METRIC_COLUMNS row (model_id first, dropped)."""
    _, task, dataset, metric, value, kind, source, split, higher, device, obtained, notes, extra = row
    return MetricView(
        task=task, dataset=dataset, metric=metric, value=value, kind=kind, source=source, split=split,
        higher_is_better=bool(boolean(higher) if higher is not None else True), device=device,
        obtained_at=timestamp(obtained), notes=notes, extra=json_value(extra),
    )


def _benchmark_view(row: tuple) -> BenchmarkView:
    (device, batch, precision, latency, kind, source, layout, img_size, p90, throughput, memory, status, error,
     fingerprint, obtained) = row
    return BenchmarkView(
        device=device, batch_size=batch, precision=precision, latency_ms=latency, kind=kind, source=source,
        layout=layout, img_size=img_size, latency_p90_ms=p90, throughput_per_s=throughput, peak_memory_mb=memory,
        status=status, error=error, device_fingerprint=json_value(fingerprint), obtained_at=timestamp(obtained),
    )


_TOKEN = re.compile(r"[\w]+", re.UNICODE)


def fts_expression(query: str) -> str | None:
    """User text -> an FTS5 query: every word must match, as a prefix ("resnet" finds resnet50)."""
    tokens = [t for t in _TOKEN.findall(query.lower()) if t]
    if not tokens:
        return None
    return " AND ".join(f'"{t}"*' for t in tokens)


def like_escape(text: str) -> str:
    """`text` matched literally inside LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def license_clause(license_filter: str | None, params: dict[str, Any]) -> str | None:
    if not license_filter or license_filter.lower() == "any":
        return None
    if license_filter.lower() == "commercial":
        return f"lower(m.license) IN ({in_list(params, 'lic', sorted(PERMISSIVE_LICENSES))})"
    params["license"] = license_filter.lower()
    return "lower(m.license) = :license"


def _filters(q: SearchQuery, params: dict[str, Any], correlated: bool = False) -> list[str]:
    """WHERE clauses (over `models m`) for the facets. `correlated`: probe the facet primary key
    once per candidate row (EXISTS) instead of materialising every model of the task, which is
    what a text search over a few thousand FTS matches wants at a million models."""
    clauses = []
    for facet, values in (("task", list(q.tasks)), ("domain", [q.domain.lower()] if q.domain else [])):
        if not values:
            continue
        members = in_list(params, f"facet_{facet}", values)
        if correlated:
            clauses.append(f"EXISTS (SELECT 1 FROM model_facets f WHERE f.facet = '{facet}' AND f.value IN ({members}) "
                           "AND f.model_id = m.id)")
        else:
            clauses.append(f"m.id IN (SELECT model_id FROM model_facets WHERE facet = '{facet}' AND value IN ({members}))")
    lic = license_clause(q.license, params)
    if lic is not None:
        clauses.append(lic)
    for name, clause in (("max_params", "m.params <= :max_params"), ("min_params", "m.params >= :min_params"),
                         ("max_size_mb", "m.size_mb <= :max_size_mb"), ("source", "m.source = :source")):
        value = getattr(q, name)
        if value is not None and value != "":
            params[name] = value
            clauses.append(clause)
    return clauses


def _where(clauses: list[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


_SORT_COLUMNS = {
    "downloads": ("m.downloads", "DESC"), "likes": ("m.likes", "DESC"), "params": ("m.params", "ASC"),
    "gmacs": ("m.gmacs", "ASC"), "size": ("m.size_mb", "ASC"), "name": ("m.name", "ASC"),
    "updated": ("m.updated_at", "DESC"),
}


def order_by(sort: str, dialect: str) -> str:
    """ORDER BY for a sort field, missing values last. Ties go by id, except on SQLite, where they
    go by rowid in the sort's direction: every sort index ends with the rowid, so the index alone
    serves the order (a million-model table has hundreds of thousands of 0-download ties, and
    sorting those by id made the browse table's deep pages take seconds)."""
    column, direction = _SORT_COLUMNS["downloads" if sort == "relevance" else sort]
    ties = f"m.rowid {direction}" if dialect == "sqlite" else "m.id"
    nulls = "" if column == "m.name" else " NULLS LAST"
    return f"{column} {direction}{nulls}, {ties}"


def search_models(db: Reader | Any, q: SearchQuery) -> SearchResult:
    """Faceted full-text search: FTS5 with BM25 on SQLite, token matching elsewhere."""
    if q.sort not in SORT_FIELDS:
        raise UsageError(f"Cannot sort by '{q.sort}'; choose from {', '.join(SORT_FIELDS)}.")
    db = as_reader(db)
    if not (q.text and q.text.strip()):
        return _facet_search(db, q)
    expression = fts_expression(q.text)
    if expression is None:
        return SearchResult(0, [])
    if db.dialect == "sqlite":
        return _sqlite_text_search(db, q, expression)
    params: dict[str, Any] = {"limit": q.limit, "offset": q.offset}
    tokens = _TOKEN.findall(q.text.lower())
    clauses = _filters(q, params)
    for i, token in enumerate(tokens):
        params[f"tok_{i}"] = f"%{like_escape(token)}%"
        clauses.append(f"m.search_text LIKE :tok_{i} ESCAPE '\\'")
    params["rank_prefix"] = f"{like_escape(tokens[0])}%"
    rank = "(CASE WHEN lower(m.name) LIKE :rank_prefix ESCAPE '\\' THEN 0 ELSE 1 END)"
    where = _where(clauses)
    total = db.scalar(f"SELECT count(*) FROM models m{where}", params) or 0
    order = f"{rank}, {order_by('downloads', db.dialect)}" if q.sort == "relevance" else order_by(q.sort, db.dialect)
    rows = db.rows(f"SELECT {SUMMARY_COLUMNS} FROM models m{where} ORDER BY {order} LIMIT :limit OFFSET :offset", params)
    return SearchResult(total=total, results=[summary_from_row(r) for r in rows])


def _facet_search(db: Reader, q: SearchQuery) -> SearchResult:
    """Filters without text (the TUI's browse table, `advisor search --task T`).

    The total comes from the facet index alone when one facet is the only filter. The page then
    takes whichever plan reads fewer rows: walk the sort column's index testing each row's facet
    (about (offset + limit) x catalog / matches rows: a big task) or sort the matches (a small one).
    Every page returns a cursor; passing it back as `after` continues by keyset, not by offset.
    """
    params: dict[str, Any] = {"limit": q.limit, "offset": q.offset}
    clauses = _filters(q, params)
    facets = [(f, v) for f, v in (("task", list(q.tasks)), ("domain", [q.domain.lower()] if q.domain else [])) if v]
    total: int | None = None
    if q.after is not None:
        correlated = q.after.correlated
    else:
        total = _count(db, clauses, facets, params)
        correlated = bool(facets and total and total * total > (q.offset + q.limit) * catalog_size(db))
    if correlated:
        clauses = _filters(q, params, correlated=True)
    column, direction = _SORT_COLUMNS["downloads" if q.sort == "relevance" else q.sort]
    tie = "m.rowid" if db.dialect == "sqlite" else "m.id"
    select = f"SELECT {SUMMARY_COLUMNS}, {column}, {tie} FROM models m"
    order = f" ORDER BY {order_by(q.sort, db.dialect)}"
    if q.after is not None:
        rows = _rows_after(db, q, select, order, clauses, params, column, direction)
    elif total and q.offset < total:
        rows = db.rows(select + _where(clauses) + order + " LIMIT :limit OFFSET :offset", params)
    else:
        rows = []
    cursor = PageCursor(q.sort, rows[-1][-2], rows[-1][-1], correlated) if len(rows) == q.limit else None
    return SearchResult(total=total, results=[summary_from_row(r) for r in rows], next_page=cursor)


def _count(db: Reader, clauses: list[str], facets: list, params: dict[str, Any]) -> int:
    if len(facets) == 1 and len(clauses) == 1:
        facet, values = facets[0]
        counted: dict[str, Any] = {"facet": facet}
        members = in_list(counted, "value", values)
        what = "count(*)" if len(values) == 1 else "count(DISTINCT model_id)"
        return db.scalar(f"SELECT {what} FROM model_facets WHERE facet = :facet AND value IN ({members})", counted) or 0
    return db.scalar(f"SELECT count(*) FROM models m{_where(clauses)}", params) or 0


def _rows_after(db: Reader, q: SearchQuery, select: str, order: str, clauses: list[str], params: dict[str, Any],
                column: str, direction: str) -> list[tuple]:
    """The page after `q.after`: rows past the cursor among those with a sort value, then (the
    sort puts them last) those without one. Two queries, because `... OR value IS NULL` would
    stop SQLite from starting the index walk at the cursor."""
    after = q.after
    if after.sort != q.sort:
        raise ValueError(f"a cursor of a '{after.sort}' listing cannot continue a '{q.sort}' one")
    sqlite = db.dialect == "sqlite"
    past = "<" if direction == "DESC" else ">"
    tie_past = past if sqlite else ">"  # ties: rowid in the sort's direction on SQLite, id ascending elsewhere
    params.update(after_value=after.value, after_tie=after.tie)
    if after.value is None:
        keyset = f"({column} IS NULL AND {'m.rowid' if sqlite else 'm.id'} {tie_past} :after_tie)"
        return db.rows(select + _where([*clauses, keyset]) + order + " LIMIT :limit", params)
    if sqlite:
        keyset = f"({column}, m.rowid) {past} (:after_value, :after_tie)"
    else:
        keyset = f"({column} {past} :after_value OR ({column} = :after_value AND m.id > :after_tie))"
    rows = db.rows(select + _where([*clauses, keyset]) + order + " LIMIT :limit", params)
    if len(rows) < q.limit and column != "m.name":
        params["rest"] = q.limit - len(rows)
        rows += db.rows(select + _where([*clauses, f"{column} IS NULL"]) + order + " LIMIT :rest", params)
    return rows


def catalog_size(db: Reader) -> int:
    """About how many models the store holds (SQLite: the largest rowid, O(1))."""
    if db.dialect == "sqlite":
        return db.scalar("SELECT max(rowid) FROM models") or 0
    return db.scalar("SELECT count(*) FROM models") or 0


# Up to this many text matches are ranked by BM25 (name hits 8x card text); beyond it, name hits
# first and then downloads, because BM25 over a very common word's matches costs more than the
# whole 100 ms budget at a million models while a person reads the top twenty.
BM25_RANK_LIMIT = 20000
_FTS_MATCH = "SELECT rowid FROM models_fts WHERE models_fts MATCH :expr"


def _sqlite_text_search(db: Reader, q: SearchQuery, expression: str) -> SearchResult:
    """Text + facets on SQLite: FTS5 finds the matches, the facet filters prune them by rowid, and
    only the survivors are ranked."""
    params: dict[str, Any] = {"expr": expression, "limit": q.limit, "offset": q.offset}
    matched = f"FROM models m JOIN ({_FTS_MATCH}) fts ON fts.rowid = m.rowid{_where(_filters(q, params, correlated=True))}"
    if q.sort != "relevance":
        total = db.scalar(f"SELECT count(*) {matched}", params) or 0
        rows = db.rows(f"SELECT {SUMMARY_COLUMNS} {matched} ORDER BY {order_by(q.sort, db.dialect)} "
                       "LIMIT :limit OFFSET :offset", params)
        return SearchResult(total=total, results=[summary_from_row(r) for r in rows])
    survivors = db.rows(f"SELECT m.rowid, m.id, m.downloads {matched}", params)
    if not survivors:
        return SearchResult(0, [])
    matches = db.scalar("SELECT count(*) FROM models_fts WHERE models_fts MATCH :expr", {"expr": expression}) or 0
    if matches <= BM25_RANK_LIMIT:
        # One pass over every match is far cheaper than a BM25 lookup per surviving rowid.
        ranks = dict(db.rows("SELECT rowid, bm25(models_fts, 0.0, 8.0, 1.0) FROM models_fts WHERE models_fts MATCH :expr",
                             {"expr": expression}))
    else:
        name_hits = set(db.column(_FTS_MATCH, {"expr": f"name : ({expression})"}))
        ranks = {r[0]: 0.0 if r[0] in name_hits else 1.0 for r in survivors}
    ordered = sorted(survivors, key=lambda r: (ranks.get(r[0], 0.0), r[2] is None, -(r[2] or 0), r[1]))
    page = [r[1] for r in ordered[q.offset : q.offset + q.limit]]
    found: dict[str, ModelSummary] = {}
    if page:
        ids: dict[str, Any] = {}
        rows = db.rows(f"SELECT {SUMMARY_COLUMNS} FROM models m WHERE m.id IN ({in_list(ids, 'id', page)})", ids)
        found = {r[0]: summary_from_row(r) for r in rows}
    return SearchResult(total=len(survivors), results=[found[i] for i in page if i in found])


def metrics_for(db: Reader | Any, ids: list[str]) -> dict[str, list[MetricView]]:
    db = as_reader(db)
    found: dict[str, list[MetricView]] = {i: [] for i in ids}
    for chunk in chunks(list(ids)):
        params: dict[str, Any] = {}
        sql = f"SELECT {METRIC_COLUMNS} FROM metrics WHERE model_id IN ({in_list(params, 'id', chunk)}) ORDER BY id"
        for row in db.rows(sql, params):
            found[row[0]].append(_metric_view(row))
    return found


def resolve_model_id(db: Reader | Any, query: str) -> str:
    """An exact id, or an unprefixed / partial name that matches exactly one model."""
    query = query.strip()
    if not query:
        raise UsageError("Give a model id, e.g. timm:resnet50.a1_in1k.")
    db = as_reader(db)
    if db.scalar("SELECT id FROM models WHERE id = :q", {"q": query}) is not None:
        return query
    exact = db.column("SELECT id FROM models WHERE name = :q ORDER BY id LIMIT 11", {"q": query})
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise AmbiguousModelError(query, exact[:10], len(exact))
    name = query.split(":", 1)[1] if ":" in query else query
    params: dict[str, Any] = {"like": f"{like_escape(name)}%"}
    where = "(name LIKE :like ESCAPE '\\' OR id LIKE :like ESCAPE '\\')"
    if ":" in query:
        params["source"] = query.split(":", 1)[0]
        where += " AND source = :source"
    candidates = db.column(f"SELECT id FROM models WHERE {where} ORDER BY length(id), id LIMIT 11", params)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        total = db.scalar(f"SELECT count(*) FROM models WHERE {where}", params) or len(candidates)
        raise AmbiguousModelError(query, candidates[:10], total)
    suggestions = []
    tokens = _TOKEN.findall(name.lower())
    if tokens:
        suggestions = [s.id for s in search_models(db, SearchQuery(text=tokens[0][:6], limit=3)).results]
    raise UnknownModelError(query, suggestions)


def get_model(db: Reader | Any, model_id: str) -> ModelDetail:
    db = as_reader(db)
    row = db.first(f"SELECT {DETAIL_COLUMNS} FROM models m WHERE m.id = :id", {"id": model_id})
    if row is None:
        raise UnknownModelError(model_id)
    (modality, architecture, activations, input_size, test_input_size, papers, hub_repo, homepage, library,
     summary_text, num_classes, likes, updated_at, provenance, extra) = row[13:]
    metrics = [_metric_view(r) for r in db.rows(f"SELECT {METRIC_COLUMNS} FROM metrics WHERE model_id = :id ORDER BY id",
                                                 {"id": model_id})]
    benchmarks = [_benchmark_view(r) for r in db.rows(
        f"SELECT {BENCHMARK_COLUMNS} FROM benchmarks WHERE model_id = :id ORDER BY id", {"id": model_id})]
    return ModelDetail(
        summary=summary_from_row(row), modality=modality, architecture=architecture, activations_m=activations,
        input_size=json_value(input_size), test_input_size=json_value(test_input_size),
        papers=list(json_value(papers) or []), hub_repo=hub_repo, homepage=homepage, library=library,
        summary_text=summary_text, num_classes=num_classes, likes=likes, updated_at=timestamp(updated_at),
        provenance=dict(json_value(provenance) or {}), extra=dict(json_value(extra) or {}), metrics=metrics,
        benchmarks=benchmarks,
    )


def catalog_stats(db: Reader | Any) -> dict:
    db = as_reader(db)

    def facet_counts(facet: str) -> dict[str, int]:
        rows = db.rows("SELECT value, count(*) FROM model_facets WHERE facet = :facet GROUP BY value", {"facet": facet})
        return dict(sorted(rows, key=lambda r: (-r[1], r[0])))

    def count(table: str) -> int:
        return db.scalar(f"SELECT count(*) FROM {table}") or 0

    by_source = dict(db.rows("SELECT source, count(*) FROM models GROUP BY source"))
    by_origin = dict(db.rows("SELECT origin, count(*) FROM models WHERE origin IS NOT NULL GROUP BY origin"))
    return {
        "models": count("models"),
        "models_by_source": dict(sorted(by_source.items())),
        "models_by_task": facet_counts("task"),
        "models_by_domain": facet_counts("domain"),
        "models_by_origin": dict(sorted(by_origin.items())),
        "metrics": count("metrics"),
        "benchmarks": count("benchmarks"),
        "probe_results": count("probe_results"),
    }
