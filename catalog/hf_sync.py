"""Hugging Face Hub sync: page through `/api/models`, map each record, commit page by page.

- The request is exactly what `HfApi.list_models(expand=[...], sort="last_modified")` sends (newest
  change first), but pages are walked here, because `list_models` hides page boundaries and the
  next-page cursor, and resuming after a kill needs both. HTTP goes through huggingface_hub's own
  `http_backoff`, which retries 408/429/5xx with exponential back-off and honours Retry-After and
  the Hub's RateLimit headers; `hf_raise_for_status` turns what is left into typed errors.
- Each page is committed in one transaction together with a progress record (the next-page URL
  and running counts) in SyncState, so a sync killed at any moment and run again continues at the
  first uncommitted page and ends with the same catalog as an uninterrupted run.
- Incremental by default: the watermark is the newest `lastModified` a completed listing saw; the
  next sync stops at the first record not newer than it. `--full` ignores the watermark.
- `timm/<name>` repos enrich the existing `timm:<name>` entry (downloads, likes, dates, Hub
  metadata) instead of creating a duplicate `hf:` entry.
- The token (HF_TOKEN or the `hf` login) goes into request headers only: never into the store,
  the progress record, logs or the summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import CatalogError, SourceError, UsageError
from catalog.records import ModelRecord, SourceReport
from catalog.schema import SyncState
from catalog.sources.hf import EXPAND_FIELDS, map_hub_model, parse_hub_datetime
from catalog.sqlite_bulk import PreparedRows, prepare_rows, write_prepared
from catalog.writer import write_records

PAGE_SIZE = 1000  # the Hub's largest page
RETRY_STATUS = (408, 429, 500, 502, 503, 504)
STATE_PREFIX = "hf-sync"
SYNC_AUTOCHECKPOINT = 262144  # WAL pages (1 GB at 4 KiB) between checkpoints during a sync
SQLITE_DEFAULT_AUTOCHECKPOINT = 1000


@dataclass(frozen=True)
class SyncOptions:
    tasks: tuple[str, ...] = ()
    author: str | None = None
    limit: int | None = None
    full: bool = False
    endpoint: str | None = None
    page_size: int = PAGE_SIZE
    max_retries: int = 5
    base_wait_s: float = 1.0


@dataclass
class SyncSummary:
    """What a sync did; JSON-ready. Counts cover the whole sync, across resumed runs."""

    endpoint: str
    mode: str  # "full" | "incremental"
    added: int = 0
    updated: int = 0
    enriched: int = 0  # timm:<name> entries refreshed from timm/<name> repos
    skipped: dict[str, int] = field(default_factory=dict)
    dropped_fields: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    seen: int = 0
    resumed: bool = False
    stopped_at_watermark: bool = False
    watermark: str | None = None
    listings: list[str] = field(default_factory=list)

    def merge_report(self, report: SourceReport) -> None:
        for target, counts in ((self.skipped, report.skipped), (self.dropped_fields, report.dropped_fields)):
            for key, count in counts.items():
                target[key] = target.get(key, 0) + count

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_endpoint(explicit: str | None) -> str:
    """--endpoint beats HF_ENDPOINT beats huggingface.co."""
    endpoint = explicit or os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint takes an http(s) URL, not '{endpoint}'.")
    return endpoint.rstrip("/")


def hub_token() -> str | None:
    """HF_TOKEN or the `hf auth login` token, via huggingface_hub's own lookup."""
    from huggingface_hub import get_token

    return get_token()


def listing_params(task: str | None, author: str | None, page_size: int) -> list[tuple[str, str]]:
    """Query parameters of `HfApi.list_models(pipeline_tag=, author=, sort="last_modified", expand=...)`."""
    params: list[tuple[str, str]] = []
    if author:
        params.append(("author", author))
    if task:
        params.append(("pipeline_tag", task))
    params += [("sort", "lastModified"), ("direction", "-1"), ("limit", str(page_size))]
    params += [("expand", name) for name in EXPAND_FIELDS]
    return params


def first_page_url(endpoint: str, task: str | None, author: str | None, page_size: int) -> str:
    return f"{endpoint}/api/models?{urlencode(listing_params(task, author, page_size))}"


def _state_key(endpoint: str, task: str | None, author: str | None) -> str:
    digest = hashlib.sha1(json.dumps([endpoint, task, author]).encode()).hexdigest()[:16]
    return f"{STATE_PREFIX}:{digest}"


def _get_state(session: Session, key: str) -> dict | None:
    row = session.get(SyncState, key)
    return dict(row.value) if row is not None else None


def _put_state(session: Session, key: str, value: dict | None) -> None:
    row = session.get(SyncState, key)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SyncState(key=key, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now


class HubPages:
    """Pages of `/api/models` over HTTP: (records, next_url) per request, retried by huggingface_hub."""

    def __init__(self, endpoint: str, options: SyncOptions) -> None:
        from huggingface_hub import HfApi
        from huggingface_hub.utils import build_hf_headers

        self.api = HfApi(endpoint=endpoint, token=hub_token())
        # headers are built once; the token lives only in this in-memory dict.
        self.headers = build_hf_headers(token=self.api.token, library_name="model-advisor")
        self.options = options

    def fetch(self, url: str) -> tuple[list, str | None]:
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import hf_raise_for_status, http_backoff

        try:
            response = http_backoff(
                "GET", url, headers=self.headers, timeout=60, max_retries=self.options.max_retries,
                base_wait_time=self.options.base_wait_s, retry_on_status_codes=RETRY_STATUS,
            )
            hf_raise_for_status(response)
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            hint = " (check HF_TOKEN or `hf auth login`)" if status in (401, 403) else ""
            raise SourceError(f"The Hub at {self.api.endpoint} answered HTTP {status} for a model listing{hint}.") from None
        except OSError as exc:  # httpx network errors after the retries
            raise SourceError(f"Cannot reach the Hub at {self.api.endpoint} ({type(exc).__name__}); check the network or --endpoint.") from None
        except Exception as exc:  # httpx2 errors are not OSError subclasses
            if type(exc).__module__.startswith(("httpx", "httpcore")):
                raise SourceError(f"Cannot reach the Hub at {self.api.endpoint} ({type(exc).__name__}); check the network or --endpoint.") from None
            raise
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"The Hub at {self.api.endpoint} sent a page that is not JSON.") from None
        if not isinstance(body, list):
            raise SourceError(f"The Hub at {self.api.endpoint} sent a page that is not a list of models.")
        return body, response.links.get("next", {}).get("url")


class LocalPages:
    """Pages saved as files (`page-000000.json` holding {"models": [...], "next": name|null}):
    the same engine ingesting a local mirror, used by the 1M-model benchmark."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def first(self) -> str:
        return "page-000000.json"

    def fetch(self, url: str) -> tuple[list, str | None]:
        data = json.loads((self.directory / url).read_bytes())
        return data["models"], data.get("next")


@dataclass
class MappedPage:
    """One page as the reader process hands it to the writer.

    `entries` has (model id or None, lastModified, skip reasons, dropped fields) per item in page
    order, so the writer can cut the page anywhere (watermark, --limit) and still count exactly
    what it kept; `hub` holds the `hf:` models as SQLite row tuples (built here, on the reader's
    core) or as records for other stores; `timm` the `timm/<name>` repos that enrich timm entries.
    """

    entries: list[tuple[str | None, datetime | None, tuple[str, ...], tuple[str, ...]]]
    hub: PreparedRows | list[ModelRecord]
    timm: list[ModelRecord]

    def kept(self, ids: set[str]) -> tuple[PreparedRows | list[ModelRecord], list[ModelRecord]]:
        """The hub rows and timm records of the models in `ids` only."""
        hub = self.hub.subset(ids) if isinstance(self.hub, PreparedRows) else [r for r in self.hub if r.id in ids]
        return hub, [r for r in self.timm if r.id in ids]


def _is_timm_repo(record: ModelRecord) -> bool:
    return record.name.startswith("timm/") and record.name.count("/") == 1


def map_page(items: list, site: str, prepare: bool = False) -> MappedPage:
    """Map one page of `/api/models` items; with `prepare`, build the SQLite rows of its models too."""
    entries = []
    hub: list[ModelRecord] = []
    timm: list[ModelRecord] = []
    for item in items:
        report = SourceReport(name="hf")
        record = map_hub_model(item, report, site)
        dropped = tuple(k for k, n in report.dropped_fields.items() for _ in range(n))
        if record is None:
            entries.append((None, None, tuple(report.skipped), dropped))
            continue
        entries.append((record.id, record.updated_at, tuple(report.skipped), dropped))
        (timm if _is_timm_repo(record) else hub).append(record)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return MappedPage(entries, prepare_rows(hub, "hf", now) if prepare else hub, timm)


def _abandon(out) -> None:
    """Leave without flushing: a multiprocessing queue's feeder would otherwise wait forever at
    exit to push buffered pages into a pipe that no writer reads any more (an orphan process)."""
    cancel = getattr(out, "cancel_join_thread", None)
    if cancel is not None:
        cancel()


def _produce(pages, url: str, site: str, out, parent: int, stop_before: datetime | None, limit: int | None,
             prepare: bool) -> None:
    """Child process: fetch and map pages ahead of the writer, in order, until the listing ends,
    the watermark or the limit (so reading ahead never costs the Hub extra requests)."""
    try:
        while url is not None:
            if os.getppid() != parent:  # the writer was killed: never read on alone
                return _abandon(out)
            items, next_url = pages.fetch(url)
            page = map_page(items, site, prepare)
            if limit is not None:
                limit -= len(page.entries)
            message = ("page", page, next_url)
            if (limit is not None and limit <= 0) or (stop_before is not None and any(
                    updated is not None and updated <= stop_before for _, updated, _, _ in page.entries)):
                next_url = None
            while True:
                try:
                    out.put(message, timeout=0.5)
                    break
                except queue.Full:
                    if os.getppid() != parent:  # the writer was killed: stop, never run on alone
                        return _abandon(out)
            url = next_url
    except CatalogError as exc:
        out.put(("error", str(exc), type(exc).__name__))
    except Exception as exc:  # noqa: BLE001 - reported to the writer as one sentence
        out.put(("error", f"Reading Hub pages failed: {type(exc).__name__}: {exc}", "SourceError"))


class PageProducer:
    """Pages fetched and mapped in a child process (a thread where fork is unavailable) while the
    parent writes the previous one: mapping and SQLite writing each get a core. A bounded queue
    keeps memory flat; only the writer's commits move the resume cursor."""

    AHEAD = 3

    def __init__(self, pages, url: str, site: str, stop_before: datetime | None = None, limit: int | None = None,
                 prepare: bool = False) -> None:
        import multiprocessing
        import threading

        if "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            self.queue = ctx.Queue(self.AHEAD)
            self.worker = ctx.Process(target=_produce, args=(pages, url, site, self.queue, os.getpid(), stop_before, limit, prepare), daemon=True)
        else:  # pragma: no cover - platforms without fork
            self.queue = queue.Queue(self.AHEAD)
            self.worker = threading.Thread(target=_produce, args=(pages, url, site, self.queue, os.getppid(), stop_before, limit, prepare), daemon=True)
        self.worker.start()

    def next_page(self) -> tuple[MappedPage, str | None]:
        while True:
            try:
                message = self.queue.get(timeout=1.0)
                break
            except queue.Empty:
                if not self.worker.is_alive():
                    raise SourceError("The Hub page reader stopped unexpectedly; run the sync again to resume.") from None
        if message[0] == "error":
            self.close()
            raise (UsageError if message[2] == "UsageError" else SourceError)(message[1])
        return message[1], message[2]

    def close(self) -> None:
        if hasattr(self.worker, "terminate") and self.worker.is_alive():
            self.worker.terminate()
        self.worker.join(timeout=5)


def _enrich_timm(session: Session, records: list[ModelRecord], summary: SyncSummary) -> list[ModelRecord]:
    """Refresh `timm:<name>` entries from their `timm/<name>` repos; return the repos with no entry
    yet, to be created as `timm:<name>` (so a later timm build merges with them)."""
    from catalog.schema import Model

    by_id = {f"timm:{r.name.split('/', 1)[1]}": r for r in records}
    rows = session.scalars(select(Model).where(Model.id.in_(list(by_id)))).all()
    for row in rows:
        r = by_id.pop(row.id)
        row.downloads, row.likes = r.downloads, r.likes
        row.updated_at = r.updated_at or row.updated_at
        row.created_at = row.created_at or r.created_at
        row.license = row.license or r.license
        row.extra = {**(row.extra or {}), "hub": _hub_metadata(r)}
        summary.enriched += 1
    return [
        ModelRecord(**{**{f: getattr(r, f) for f in r.__dataclass_fields__}, "source": "timm", "name": i.split(":", 1)[1],
                       "origin": "timm", "extra": {**r.extra, "hub": _hub_metadata(r)}})
        for i, r in by_id.items()
    ]


def _hub_metadata(r: ModelRecord) -> dict:
    return {"repo": r.hub_repo, "downloads": r.downloads, "likes": r.likes, "library": r.library,
            "last_modified": r.updated_at.isoformat() if r.updated_at else None}


_COUNTERS = ("added", "updated", "enriched", "pages", "seen")


def _counts_since(summary: SyncSummary, base: dict) -> dict:
    counts = {k: getattr(summary, k) - base[k] for k in _COUNTERS}
    for name in ("skipped", "dropped_fields"):
        now, before = getattr(summary, name), base[name]
        counts[name] = {r: c - before.get(r, 0) for r, c in now.items() if c - before.get(r, 0)}
    return counts


def _add_counts(summary: SyncSummary, counts: dict) -> None:
    for k in _COUNTERS:
        setattr(summary, k, getattr(summary, k) + counts.get(k, 0))
    for name in ("skipped", "dropped_fields"):
        target = getattr(summary, name)
        for reason, count in counts.get(name, {}).items():
            target[reason] = target.get(reason, 0) + count


def _listing(session_factory: Callable, pages, key: str, start_url: str, options: SyncOptions,
             site: str, summary: SyncSummary, on_page: Callable[[SyncSummary], None] | None, prepare: bool) -> None:
    """Walk one listing (one task/author query) to its end, the watermark or the limit."""
    with session_factory() as session:
        state = _get_state(session, key) or {}
    progress = state.get("progress")
    mode = "full" if options.full else "incremental"
    base = {**{k: getattr(summary, k) for k in _COUNTERS},
            "skipped": dict(summary.skipped), "dropped_fields": dict(summary.dropped_fields)}
    if progress and progress.get("mode") == mode:
        summary.resumed = True
        url, newest, old_watermark = progress["next_url"], progress.get("newest"), progress.get("old_watermark")
        _add_counts(summary, progress["counts"])
    else:
        url, newest = start_url, None
        old_watermark = None if options.full else state.get("watermark")
    stop_before = parse_hub_datetime(old_watermark) if old_watermark else None
    seen_here = summary.seen - base["seen"]
    remaining = None if options.limit is None else options.limit - seen_here
    producer = PageProducer(pages, url, site, stop_before, remaining, prepare) if url is not None else None
    newest_at = datetime.fromisoformat(newest) if newest else None
    while url is not None:
        page, next_url = producer.next_page()
        report = SourceReport(name="hf")
        kept: set[str] = set()
        cut = False
        for model_id, updated_at, skipped, dropped in page.entries:
            if options.limit is not None and seen_here >= options.limit:
                cut = True
                break
            if model_id is not None and stop_before is not None and updated_at is not None and updated_at <= stop_before:
                summary.stopped_at_watermark = cut = True
                break
            seen_here += 1
            summary.seen += 1
            for reason in skipped:
                report.skip(reason)
            for name in dropped:
                report.drop(name)
            if model_id is None:
                continue
            if updated_at and (newest_at is None or updated_at > newest_at):
                newest_at = updated_at
            kept.add(model_id)
        newest = newest_at.isoformat() if newest_at else None
        hub, timm = page.kept(kept) if cut else (page.hub, page.timm)
        limit_reached = options.limit is not None and seen_here >= options.limit
        if summary.stopped_at_watermark or limit_reached:
            next_url = None
        summary.merge_report(report)
        summary.pages += 1
        with session_factory() as session:
            if prepare:
                _sqlite_sync_pragmas(session)
            created = _enrich_timm(session, timm, summary) if timm else []
            if created:
                summary.added += write_records(session, created, origin="hf").added
            if isinstance(hub, PreparedRows):
                added, updated = write_prepared(session.connection(), hub)
                summary.added += added
                summary.updated += updated
            elif hub:
                written = write_records(session, hub, origin="hf")
                summary.added += written.added
                summary.updated += written.updated
            if next_url is None:
                # A listing cut short by --limit has not seen everything newer than its first
                # record, so it keeps the previous watermark.
                watermark = state.get("watermark") if limit_reached and not summary.stopped_at_watermark \
                    else newest or state.get("watermark")
                _put_state(session, key, {"watermark": watermark, "synced_at": _now_iso()} if watermark else None)
            else:
                _put_state(session, key, {
                    **({"watermark": state["watermark"]} if state.get("watermark") else {}),
                    "progress": {"mode": mode, "next_url": next_url, "old_watermark": old_watermark,
                                 "newest": newest, "counts": _counts_since(summary, base)},
                })
        if on_page:
            on_page(summary)
        url = next_url
    if producer is not None:
        producer.close()
    summary.watermark = newest or old_watermark


def _sqlite_sync_pragmas(session: Session) -> None:
    """Settings of the sync's connection (SQLite), undone by _end_sqlite_sync.

    - WAL + synchronous=NORMAL: each page's commit survives a killed process (what resuming
      needs) without an fsync per commit.
    - A checkpoint every SYNC_AUTOCHECKPOINT WAL pages instead of SQLite's 1,000: at a million
      models a page of 1,000 models dirties ~6,000 index pages scattered over the file, and each
      checkpoint writes them back and fsyncs; rarer checkpoints write each hot page once for many
      commits (writer CPU at 1M: 177 us/model at 1,000, 136 at 65,536, 120 at 262,144).
    - No memory map: the store maps up to 1 GB for reads, which a sync touching every index page
      turns into ~1.1 GB of resident memory; plain reads through a 256 MB page cache are as fast.
    """
    run = session.connection().exec_driver_sql
    run("PRAGMA synchronous=NORMAL")
    run("PRAGMA cache_size=-262144")
    run(f"PRAGMA wal_autocheckpoint={SYNC_AUTOCHECKPOINT}")
    run("PRAGMA mmap_size=0")


def _end_sqlite_sync(store) -> None:
    """Fold the sync's WAL into the database and give the file back; then close the pooled
    connections, which keep the sync's settings, so the next ones open with the store's own."""
    with store.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SQLITE_DEFAULT_AUTOCHECKPOINT}")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat()


def sync_hf(store, options: SyncOptions, on_page: Callable[[SyncSummary], None] | None = None,
            pages=None) -> SyncSummary:
    """Sync Hub models into `store` (one listing per --task, or one for all tasks); see module doc."""
    if options.limit is not None and options.limit < 1:
        raise UsageError("--limit must be at least 1.")
    endpoint = resolve_endpoint(options.endpoint)
    page_size = max(1, min(options.page_size, options.limit or PAGE_SIZE, PAGE_SIZE))
    summary = SyncSummary(endpoint=endpoint, mode="full" if options.full else "incremental")
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    source = pages or HubPages(endpoint, options)
    try:
        for task in options.tasks or (None,):
            key = _state_key(endpoint, task, options.author)
            start = source.first() if isinstance(source, LocalPages) else first_page_url(endpoint, task, options.author, page_size)
            summary.listings.append(task or "all")
            _listing(store.session, source, key, start, options, endpoint, summary, on_page, prepare=store.dialect == "sqlite")
    finally:
        if store.dialect == "sqlite":
            _end_sqlite_sync(store)
    return summary
