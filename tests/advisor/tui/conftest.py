"""TUI test fixtures: a copy of the small fixture catalog per test, and helpers to let workers settle."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tui_fixture_catalog import build_fixture_store

from catalog.records import ModelRecord
from catalog.store import open_store
from catalog.writer import write_records


@pytest.fixture(scope="session")
def fixture_catalog_file(tmp_path_factory) -> Path:
    """The fixture catalog built once; tests get their own copy of the file."""
    path = tmp_path_factory.mktemp("tui-catalog") / "catalog.db"
    build_fixture_store(f"sqlite:///{path}").engine.dispose()
    return path


@pytest.fixture
def store(fixture_catalog_file, tmp_path, monkeypatch):
    """An open store over a private copy of the fixture catalog.

    Latency estimates use the device datasheets only (an empty reference folder), so the
    figures on screen do not move when the shipped calibration data is refreshed.
    """
    reference = tmp_path / "no-reference"
    reference.mkdir()
    monkeypatch.setenv("ADVISOR_LATENCY_REFERENCE", str(reference))
    path = tmp_path / "catalog.db"
    shutil.copy(fixture_catalog_file, path)
    opened = open_store(f"sqlite:///{path}", load_snapshot=False)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def big_store(store):
    """The fixture catalog plus 400 placeholder entries (no figures), to exercise paging."""
    records = [
        ModelRecord(source="test", name=f"placeholder_{i:04d}", tasks=("image-classification",), domains=("vision",),
                    params=1_000_000 + i, downloads=10 - i // 100, summary="placeholder entry for the paging test")
        for i in range(400)
    ]
    with store.session() as session:
        write_records(session, records, origin="test")
    return store



@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests are `async`; anyio's pytest plugin runs them on asyncio (what Textual uses)."""
    return "asyncio"
