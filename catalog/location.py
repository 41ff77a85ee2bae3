"""Where the catalog lives: the user-data directory and the database URL (no SQLAlchemy import)."""

from __future__ import annotations

import os
from pathlib import Path

DB_URL_ENV = "ADVISOR_DB_URL"
DATA_DIR_ENV = "ADVISOR_DATA_DIR"
# Read settings for SQLite connections. A faceted text search at a million models looks up tens of
# thousands of rows by rowid: memory-mapped pages halve its CPU time against copying each page
# through SQLite's small default cache, and a larger cache keeps a long-lived session (the TUI) warm.
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 64 * 1024


def data_dir() -> Path:
    """The user-data directory (ADVISOR_DATA_DIR overrides the platform default)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("model-advisor", appauthor=False))


def resolve_db_url(explicit: str | None = None) -> str:
    """--db beats ADVISOR_DB_URL beats the SQLite file in the user-data directory."""
    url = explicit or os.environ.get(DB_URL_ENV)
    if url:
        return url
    return f"sqlite:///{data_dir() / 'catalog.db'}"


def sqlite_file(url: str) -> Path | None:
    """The file behind a plain `sqlite:///path` URL; None for any other URL (memory, query options, other drivers)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix):]
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser()
