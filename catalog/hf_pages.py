"""Where a Hub sync's pages come from and how they reach the writer.

`HubPages` fetches `/api/models` pages over HTTP (huggingface_hub's retrying client), `LocalPages`
reads a saved mirror (the 1M-model benchmark); `PageProducer` fetches and maps them in a child
process ahead of the writer, so mapping and building SQLite rows get one core and writing the
other. The writer (catalog.hf_sync) owns the resume cursor: reading ahead never moves it.
"""

from __future__ import annotations

import json
import os
import queue
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.errors import CatalogError, SourceError, UsageError
from catalog.records import ModelRecord, SourceReport
from catalog.sources.hf import map_hub_model
from catalog.sqlite_bulk import PreparedRows, prepare_rows

if TYPE_CHECKING:
    from catalog.hf_sync import SyncOptions

RETRY_STATUS = (408, 429, 500, 502, 503, 504)


def hub_token() -> str | None:
    """HF_TOKEN or the `hf auth login` token, via huggingface_hub's own lookup."""
    from huggingface_hub import get_token

    return get_token()


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
