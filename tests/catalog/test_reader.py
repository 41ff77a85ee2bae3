"""The stdlib sqlite3 read path: same answers as through SQLAlchemy, and used only when safe."""

from __future__ import annotations

import sqlite3

import pytest

from catalog.candidates import fetch_candidates, load_candidates
from catalog.queries import SearchQuery, catalog_stats, get_model, metrics_for, resolve_model_id, search_models
from catalog.reader import SessionReader, SqliteReader, open_fast_reader
from catalog.store import open_store


ON_SQLITE = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # the fast reader is the SQLite path


@pytest.fixture
def sqlite_catalog(fixture_catalog, monkeypatch):
    # The fixture store never loaded an embedded snapshot: make "no snapshot shipped" the case.
    monkeypatch.setattr("catalog.reader.read_meta", lambda: None)
    return fixture_catalog


def fast_reader(store):
    fast = open_fast_reader(store.url)
    assert isinstance(fast, SqliteReader)
    return fast


QUERIES = [
    SearchQuery(text="yolov8"),
    SearchQuery(text="resnet", sort="params", limit=5),
    SearchQuery(tasks=("image-classification",), license="commercial", max_params=30e6, limit=50),
    SearchQuery(domain="health", sort="downloads"),
    SearchQuery(text="resnet", tasks=("image-classification",), offset=1, limit=2),
]


@ON_SQLITE
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.text}-{q.tasks}-{q.sort}")
def test_search_answers_match_the_sqlalchemy_path(sqlite_catalog, query):
    fast = fast_reader(sqlite_catalog)
    with sqlite_catalog.session() as session:
        expected = search_models(session, query)
        assert search_models(fast, query) == expected
        ids = [r.id for r in expected.results]
        assert metrics_for(fast, ids) == metrics_for(session, ids)
    assert expected.total > 0


@ON_SQLITE
def test_detail_candidates_and_stats_match(sqlite_catalog):
    fast = fast_reader(sqlite_catalog)
    with sqlite_catalog.session() as session:
        model_id = resolve_model_id(session, "yolov8n")
        assert resolve_model_id(fast, "yolov8n") == model_id
        detail = get_model(fast, model_id)
        assert detail == get_model(session, model_id)
        assert detail.metrics and detail.benchmarks and detail.benchmarks[0].obtained_at is not None
        assert catalog_stats(fast) == catalog_stats(SessionReader(session))
        pool = fetch_candidates(fast, ["object-detection"], [("coco-val2017", "box_map")], domain_tags=["vision"])
        assert pool == fetch_candidates(session, ["object-detection"], [("coco-val2017", "box_map")], domain_tags=["vision"])
        assert pool.rated_ids and all(m.higher_is_better in (True, False) for c in pool.candidates for m in c.metrics)
        assert load_candidates(fast, [model_id])[0].tasks == load_candidates(session, [model_id])[0].tasks


def test_not_used_when_the_store_needs_work(tmp_path, monkeypatch):
    monkeypatch.setattr("catalog.reader.read_meta", lambda: None)
    assert open_fast_reader(f"sqlite:///{tmp_path / 'missing.db'}") is None
    assert open_fast_reader("postgresql+psycopg://nobody@127.0.0.1:1/none") is None
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"\x00garbage" * 512)
    assert open_fast_reader(f"sqlite:///{damaged}") is None

    url = f"sqlite:///{tmp_path / 'old.db'}"
    open_store(url, load_snapshot=False).engine.dispose()
    assert isinstance(open_fast_reader(url), SqliteReader)
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert open_fast_reader(url) is None  # an older schema: the full path migrates it first


def test_not_used_before_the_embedded_snapshot_is_loaded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    open_store(url, load_snapshot=False).engine.dispose()
    monkeypatch.setattr("catalog.reader.read_meta", lambda: {"sha256": "a-newer-snapshot"})
    assert open_fast_reader(url) is None


@ON_SQLITE
def test_the_fast_reader_cannot_write(sqlite_catalog):
    fast = fast_reader(sqlite_catalog)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        fast.connection.execute("DELETE FROM models")


@ON_SQLITE
@pytest.mark.parametrize("sort", ["relevance", "params", "name"])
def test_both_facet_plans_give_the_same_page(sqlite_catalog, monkeypatch, sort):
    """A big task walks the sort index testing each row's facet; a small one sorts its matches."""
    import catalog.queries as queries

    fast = fast_reader(sqlite_catalog)
    q = SearchQuery(tasks=("image-classification",), sort=sort, limit=7, offset=3)
    monkeypatch.setattr(queries, "catalog_size", lambda db: 0)  # walk the index
    walked = search_models(fast, q)
    monkeypatch.setattr(queries, "catalog_size", lambda db: 10**9)  # sort the matches
    sorted_matches = search_models(fast, q)
    assert walked.results == sorted_matches.results and walked.total == sorted_matches.total
    assert len(walked.results) == 7
    assert all("image-classification" in r.tasks for r in walked.results)
    with_license = search_models(fast, SearchQuery(tasks=("image-classification",), license="commercial"))
    assert 0 < with_license.total <= walked.total


@pytest.mark.parametrize("sort", ["relevance", "params", "gmacs", "name", "likes"])
@pytest.mark.parametrize("tasks", [(), ("image-classification",)])
def test_pages_by_cursor_list_what_one_big_page_lists(fixture_catalog, sort, tasks):
    """Keyset pages (the TUI's scrolling) in the same order as offsets, missing values last, on
    SQLite (ties by rowid) and PostgreSQL (ties by id)."""
    with fixture_catalog.session() as session:
        whole = search_models(session, SearchQuery(tasks=tasks, sort=sort, limit=1000))
        paged, after, page = [], None, None
        while page is None or page.next_page is not None:
            page = search_models(session, SearchQuery(tasks=tasks, sort=sort, limit=9, after=after))
            assert page.total is None if after else page.total == whole.total
            paged += page.results
            after = page.next_page
    assert [r.id for r in paged] == [r.id for r in whole.results]
    assert len(paged) == whole.total > 9
