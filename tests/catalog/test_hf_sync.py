"""Hub sync against a fake Hub on loopback that speaks the real `/api/models` protocol:
Link-header pagination with a cursor, `expand` parameters, lastModified ordering, card
`model-index` data, a 429 with Retry-After, a 500, and malformed records mid-listing."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from werkzeug import Request, Response

from catalog.hf_sync import SyncOptions, sync_hf
from catalog.records import SourceReport
from catalog.sources.hf import EXPAND_FIELDS, map_hub_model, parse_hub_datetime

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hub"
TASKS = ["image-classification", "object-detection", "text-classification", "automatic-speech-recognition",
         "image-segmentation", "text-generation"]
LICENSES = ["apache-2.0", "mit", "cc-by-nc-4.0", "other", None]


def _load(name: str):
    return json.loads((FIXTURES / name).read_text())


def hub_models(count: int, start: datetime = datetime(2025, 6, 1)) -> list[dict]:
    """`count` Hub-shaped records, newest first, plus the fixture repos and malformed records."""
    models = []
    for i in range(count):
        task = TASKS[i % len(TASKS)]
        lic = LICENSES[i % len(LICENSES)]
        tags = ["transformers", "safetensors", task, f"dataset:set{i % 7}", "region:us"]
        if lic:
            tags.append(f"license:{lic}")
        models.append({
            "_id": f"{i:024x}", "id": f"org{i % 50}/model-{i:05d}", "author": f"org{i % 50}",
            "pipeline_tag": task, "library_name": "transformers", "tags": tags,
            "downloads": (i * 7919) % 100000, "likes": i % 300,
            "lastModified": (start - timedelta(minutes=i)).isoformat() + ".000Z",
            "createdAt": "2023-01-01T00:00:00.000Z",
            "safetensors": {"parameters": {"F32": 1000 + i}, "total": 1000 + i},
        })
    middle = len(models) // 2
    detr = _load("detr-resnet-50.json")
    detr["lastModified"] = models[10]["lastModified"]
    timm = _load("timm-resnet50.json")
    timm["lastModified"] = models[20]["lastModified"]
    malformed = _load("malformed.json")
    for record in malformed:
        if isinstance(record, dict) and "lastModified" not in record:
            record["lastModified"] = models[middle]["lastModified"]
    return models[:10] + [detr] + models[10:20] + [timm] + models[20:middle] + malformed + models[middle:]


class FakeHub:
    """Serves `/api/models` like the Hub: pages of `limit` records with a `Link: rel="next"` cursor,
    only the `expand`ed properties, one 429 (Retry-After) and one 500 on chosen pages."""

    def __init__(self, server, models: list[dict], fail_pages: dict[int, list[int]] | None = None,
                 delay_s: float = 0.0) -> None:
        self.server, self.models, self.delay_s = server, models, delay_s
        self.fail_pages = copy.deepcopy(fail_pages or {})  # page number -> statuses to answer first
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        server.expect_request("/api/models").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        args = request.args
        cursor = int(args.get("cursor", 0))
        limit = int(args.get("limit", 1000))
        page = cursor // limit
        with self.lock:
            self.requests.append({"page": page, "args": args.to_dict(flat=False)})
            failures = self.fail_pages.get(page)
            status = failures.pop(0) if failures else None
        if self.delay_s:
            time.sleep(self.delay_s)
        if status == 429:
            return Response("rate limited", status=429, headers={"Retry-After": "1"})
        if status:
            return Response("internal error", status=status)
        assert args.get("sort") == "lastModified" and args.get("direction") == "-1"
        expand = args.getlist("expand")
        selected = [m for m in self.models if not isinstance(m, dict) or (
            (not args.get("pipeline_tag") or m.get("pipeline_tag") == args["pipeline_tag"])
            and (not args.get("author") or m.get("author") == args["author"]))]
        chunk = selected[cursor : cursor + limit]
        body = [m if not isinstance(m, dict) or not expand else
                {k: v for k, v in m.items() if k in expand or k in ("id", "_id")} for m in chunk]
        headers = {}
        if cursor + limit < len(selected):
            query = [(k, v) for k, vs in args.to_dict(flat=False).items() if k != "cursor" for v in vs]
            next_url = self.server.url_for("/api/models") + "?" + urlencode(query + [("cursor", cursor + limit)])
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(json.dumps(body), status=200, headers=headers, content_type="application/json")

    def bump(self, count: int, now: datetime) -> None:
        """Modify `count` models now: they move to the front, as on the Hub."""
        moved = [m for m in self.models if isinstance(m, dict) and str(m.get("id", "")).startswith("org")][-count:]
        for i, m in enumerate(moved):
            m["lastModified"] = (now + timedelta(seconds=i)).isoformat() + ".000Z"
            m["likes"] = 10_000 + i
        rest = [m for m in self.models if not any(m is x for x in moved)]
        self.models[:] = list(reversed(moved)) + rest


@pytest.fixture
def store(tmp_path):
    from catalog.store import open_store

    s = open_store(f"sqlite:///{tmp_path / 'hub.db'}", load_snapshot=False)
    yield s
    s.engine.dispose()


def _options(server, **kw) -> SyncOptions:
    return SyncOptions(endpoint=server.url_for("").rstrip("/"), page_size=200, base_wait_s=0.05, **kw)


def catalog_snapshot(store) -> dict:
    """Everything a sync writes, minus write timestamps (a resumed run writes later)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        models = conn.execute(text(
            "SELECT id, source, name, tasks, domains, params, size_mb, license, pretrain_datasets, papers, hub_repo,"
            " library, downloads, likes, updated_at, created_at, extra FROM models ORDER BY id")).all()
        metrics = conn.execute(text(
            "SELECT model_id, task, dataset, metric, value, source FROM metrics ORDER BY model_id, task, dataset, metric")).all()
        facets = conn.execute(text("SELECT facet, value, model_id FROM model_facets ORDER BY 1, 2, 3")).all()
        fts = conn.execute(text("SELECT count(*) FROM models_fts")).scalar()
    return {"models": [tuple(r) for r in models], "metrics": [tuple(r) for r in metrics],
            "facets": [tuple(r) for r in facets], "fts": fts}


def test_mapping_reads_every_catalog_field():
    report = SourceReport("hf")
    record = map_hub_model(_load("detr-resnet-50.json"), report, "https://huggingface.co")
    assert record.id == "hf:facebook/detr-resnet-50"
    assert record.tasks == ("object-detection",) and record.domains == ("vision",)
    assert record.license == "apache-2.0" and record.pretrain_datasets == ("coco",)
    assert record.papers == ("arxiv:2005.12872",) and record.library == "transformers"
    assert record.params == 41631008 and record.size_mb == pytest.approx(166.524, abs=0.001)
    assert record.downloads == 612345 and record.likes == 812
    assert record.updated_at == datetime(2024, 4, 10, 13, 53, 46)
    [metric] = record.metrics
    assert (metric.task, metric.dataset, metric.metric, metric.value) == ("object-detection", "coco-val2017", "box_map", 42.0)
    assert metric.source == "https://huggingface.co/facebook/detr-resnet-50" and metric.split == "validation"
    assert not report.skipped and not report.dropped_fields


def test_malformed_records_and_fields_are_counted_not_fatal():
    report = SourceReport("hf")
    records = [map_hub_model(item, report) for item in _load("malformed.json")]
    assert [r.name if r else None for r in records] == [None, None, None, "badfields/model-a", "badfields/model-b"]
    assert sum(report.skipped.values()) == 3
    a, b = records[3], records[4]
    assert a.tasks == () and a.downloads is None and a.likes is None and a.updated_at is None and a.params is None
    assert [(m.metric, m.value) for m in a.metrics] == [("top1", 81.2)]  # the "n/a" value alone is dropped
    assert b.license == "mit"
    for name in ("pipeline_tag", "downloads", "likes", "lastModified", "safetensors", "model-index.metric",
                 "cardData", "tags[]", "evalResults"):
        assert report.dropped_fields.get(name), name


def test_hub_dates_and_tags_parse_as_the_hub_writes_them():
    assert parse_hub_datetime("2024-04-10T13:53:46.000Z") == datetime(2024, 4, 10, 13, 53, 46)
    assert parse_hub_datetime("2024-04-10T15:53:46+02:00") == datetime(2024, 4, 10, 13, 53, 46)
    assert parse_hub_datetime("2024-04-10T13:53:46") == datetime(2024, 4, 10, 13, 53, 46)
    for bad in ("2024-04-10T15:53:46+02:00Z", "yesterday", "Z", "", 20240410, None):
        assert parse_hub_datetime(bad) is None, bad
    report = SourceReport("hf")
    record = map_hub_model({"id": "org/m", "tags": ["license:mit", "license:other", "dataset:imdb", " dataset:squad ",
                                                   "arxiv:1810.04805", "en", "fr", "EN", "pytorch", "ab1", "x" * 161]}, report)
    assert record.license == "mit" and record.pretrain_datasets == ("imdb", "squad")
    assert record.papers == ("arxiv:1810.04805",) and record.extra["languages"] == ["en", "fr"]
    assert report.dropped_fields == {"tags[]": 1}  # the over-long tag alone


def test_sync_gets_every_valid_model_through_429_and_500(httpserver, store):
    from catalog.queries import catalog_stats, get_model

    models = hub_models(2000)
    hub = FakeHub(httpserver, models, fail_pages={2: [429], 5: [500]})
    summary = sync_hf(store, _options(httpserver))
    valid = 2000 + 2 + 2  # generated + detr + timm repo + two records with only bad fields
    assert summary.seen == len(models) and summary.added == valid and sum(summary.skipped.values()) == 3
    assert summary.enriched == 0  # no timm entry existed yet: created as timm:<name>, not as hf:timm/...
    with store.session() as session:
        stats = catalog_stats(session)
        detr = get_model(session, "hf:facebook/detr-resnet-50")
    assert stats["models_by_source"] == {"hf": valid - 1, "timm": 1}
    assert any(m.metric == "box_map" and m.value == 42.0 for m in detr.metrics)
    pages = -(-len(models) // 200)
    assert len(hub.requests) == pages + 2  # every page once, plus the 429 and the 500 retried
    assert set(hub.requests[0]["args"]["expand"]) == set(EXPAND_FIELDS)


def test_second_sync_is_incremental(httpserver, store):
    hub = FakeHub(httpserver, hub_models(2000))
    sync_hf(store, _options(httpserver))
    first = len(hub.requests)
    hub.bump(30, datetime(2025, 7, 1))
    summary = sync_hf(store, _options(httpserver))
    second = len(hub.requests) - first
    assert summary.stopped_at_watermark and summary.updated == 30 and summary.added == 0
    assert second <= first // 10, (first, second)
    with store.session() as session:
        from catalog.queries import get_model

        assert get_model(session, "hf:" + hub.models[0]["id"]).likes >= 10_000
    full = sync_hf(store, _options(httpserver, full=True))
    assert full.seen == len(hub.models) and not full.stopped_at_watermark


def test_one_listing_stopping_at_its_watermark_does_not_cut_the_next(httpserver, store):
    hub = FakeHub(httpserver, hub_models(1500))
    tasks = ("image-classification", "text-classification")
    sync_hf(store, _options(httpserver, tasks=tasks))
    # Every text-classification model changes (more than one 200-model page of them); nothing else does.
    changed = [m for m in hub.models if isinstance(m, dict) and m.get("pipeline_tag") == "text-classification"]
    for i, m in enumerate(changed):
        m["lastModified"] = (datetime(2025, 7, 1) - timedelta(seconds=i)).isoformat() + ".000Z"
    hub.models[:] = changed + [m for m in hub.models if not any(m is c for c in changed)]
    summary = sync_hf(store, _options(httpserver, tasks=tasks))
    assert len(changed) > 200 and summary.updated == len(changed) and summary.added == 0


def test_timm_repos_enrich_existing_timm_entries(httpserver, store):
    from catalog.queries import get_model
    from catalog.writer import write_records
    from tests.conftest import make_record

    with store.session() as session:
        write_records(session, [make_record("timm", "resnet50.a1_in1k", params=25557032, hub_repo="timm/resnet50.a1_in1k")], origin="timm")
    FakeHub(httpserver, hub_models(50))
    summary = sync_hf(store, _options(httpserver))
    assert summary.enriched == 1
    with store.session() as session:
        detail = get_model(session, "timm:resnet50.a1_in1k")
        from sqlalchemy import text

        assert session.execute(text("SELECT count(*) FROM models WHERE id LIKE '%timm/resnet50%'")).scalar() == 0
    assert detail.summary.downloads == 1234567 and detail.likes == 42
    assert detail.extra["hub"]["repo"] == "timm/resnet50.a1_in1k"


def test_limit_task_and_token_never_stored(httpserver, store, monkeypatch):
    secret = "hf_abcdefghijklmnopqrstuvwxyz0123456789"
    monkeypatch.setenv("HF_TOKEN", secret)
    hub = FakeHub(httpserver, hub_models(600))
    summary = sync_hf(store, _options(httpserver, tasks=("object-detection",), limit=30))
    assert summary.seen == 30
    assert all(r["args"].get("pipeline_tag") == ["object-detection"] for r in hub.requests)
    headers = [h for h in httpserver.log[0][0].headers.items() if h[0].lower() == "authorization"]
    assert headers == [("Authorization", f"Bearer {secret}")]
    store.engine.dispose()
    assert secret.encode() not in Path(store.engine.url.database).read_bytes()


def _cli(db: str, endpoint: str, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from advisor.cli import main; main()", "--db", db, "catalog", "sync", "hf",
            "--endpoint", endpoint, "--json", *extra]


def _committed_pages(db: Path) -> int:
    """Pages the sync has committed so far, read from its progress record (0 before the first)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            rows = conn.execute("SELECT value FROM sync_state WHERE key LIKE 'hf-sync:%'").fetchall()
    except sqlite3.Error:
        return 0
    return max((json.loads(v).get("progress", {}).get("counts", {}).get("pages", 0) for (v,) in rows), default=0)


@pytest.mark.slow
def test_sigkill_halfway_then_resume_equals_uninterrupted(httpserver, tmp_path):
    from catalog.store import open_store

    models = hub_models(8000)  # 9 pages of 1000; each answered slowly enough to kill mid-sync
    hub = FakeHub(httpserver, models, delay_s=0.3)
    endpoint = httpserver.url_for("").rstrip("/")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    # Reference: one uninterrupted sync.
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    subprocess.run(_cli(reference, endpoint), check=True, env=env, capture_output=True, timeout=120)
    pages = len(hub.requests)
    # Interrupted: SIGKILL once about half the pages are committed, then run again.
    hub.requests.clear()
    resumed = f"sqlite:///{tmp_path / 'resumed.db'}"
    proc = subprocess.Popen(_cli(resumed, endpoint), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while _committed_pages(tmp_path / "resumed.db") < pages // 2 and time.time() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(1.0)  # the page reader notices its writer is gone and stops
    committed = _committed_pages(tmp_path / "resumed.db")
    assert 0 < committed < pages
    hub.requests.clear()
    done = subprocess.run(_cli(resumed, endpoint), check=True, env=env, capture_output=True, timeout=120)
    summary = json.loads(done.stdout)
    assert summary["resumed"] is True and summary["pages"] == pages
    assert len(hub.requests) == pages - committed  # continued at the first uncommitted page
    a, b = open_store(reference, load_snapshot=False), open_store(resumed, load_snapshot=False)
    try:
        assert catalog_snapshot(a) == catalog_snapshot(b)
        # the CLI also loads the embedded snapshot on first use; count what the sync wrote
        assert len([m for m in catalog_snapshot(b)["models"] if m[1] == "hf"]) == 8000 + 3
    finally:
        a.engine.dispose()
        b.engine.dispose()


@pytest.mark.postgres
def test_sync_into_postgresql(httpserver, empty_store, store_url):
    from catalog.queries import catalog_stats

    if not store_url.startswith("postgresql"):
        pytest.skip("the SQLite variant is covered by the other tests")
    FakeHub(httpserver, hub_models(500), fail_pages={1: [429]})
    summary = sync_hf(empty_store, _options(httpserver))
    assert summary.added == 504
    with empty_store.session() as session:
        assert catalog_stats(session)["models_by_source"] == {"hf": 503, "timm": 1}
    again = sync_hf(empty_store, _options(httpserver))
    assert again.stopped_at_watermark and again.pages == 1
