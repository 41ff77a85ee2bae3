"""Read access to the store as SQL text with :named parameters, for commands that only read.

The read queries (catalog.queries, catalog.candidates, advisor.latency) are written once, as
portable SQL, and run through a `Reader`:

- `SqliteReader`: the stdlib sqlite3 module on the default SQLite catalog, opened read-only. It
  is what `advisor search`, `show` and `recommend` use once the catalog exists and its schema is
  current, because importing SQLAlchemy alone costs about 0.2 s of a 0.5 s start-up budget.
- `SessionReader`: a SQLAlchemy session, for PostgreSQL and any other URL, for a store that
  first needs creating, migrating or its snapshot loaded, and for callers that hold a session.

Values come back as the database gives them; `json_value`, `timestamp` and `boolean` normalise
the differences (SQLite returns JSON and timestamps as text and booleans as 0/1).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from catalog.location import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, resolve_db_url, sqlite_file
from catalog.migrations import HEAD_REVISION
from catalog.snapshot import STATE_KEY, read_meta, snapshot_is_current

Params = Mapping[str, Any]


class Reader:
    """Runs read-only SQL text; `dialect` is "sqlite", "postgresql", ..."""

    dialect: str

    def rows(self, sql: str, params: Params | None = None) -> list[tuple]:
        raise NotImplementedError

    def first(self, sql: str, params: Params | None = None) -> tuple | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        row = self.first(sql, params)
        return row[0] if row else None

    def column(self, sql: str, params: Params | None = None) -> list:
        return [r[0] for r in self.rows(sql, params)]


class SqliteReader(Reader):
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection, url: str) -> None:
        self.connection = connection
        self.url = url

    def rows(self, sql: str, params: Params | None = None) -> list[tuple]:
        try:
            return self.connection.execute(sql, dict(params or {})).fetchall()
        except sqlite3.Error as exc:
            from catalog.errors import StoreError

            raise StoreError(f"Reading the catalog {self.url} failed ({exc}).") from None

    def close(self) -> None:
        self.connection.close()


class SessionReader(Reader):
    """A SQLAlchemy session seen as a Reader (the caller owns the session)."""

    def __init__(self, session) -> None:
        from sqlalchemy import text

        self._text = text
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.url = str(session.get_bind().url)

    def rows(self, sql: str, params: Params | None = None) -> list[tuple]:
        return [tuple(r) for r in self.session.execute(self._text(sql), dict(params or {}))]


def as_reader(db: Reader | Any) -> Reader:
    """A Reader as is; a SQLAlchemy Session wrapped in a SessionReader."""
    return db if isinstance(db, Reader) else SessionReader(db)


def in_list(params: dict[str, Any], name: str, values: Iterable[Any]) -> str:
    """Placeholders `:name_0, :name_1, ...` for an IN list, adding the values to `params`."""
    names = []
    for i, value in enumerate(values):
        params[f"{name}_{i}"] = value
        names.append(f":{name}_{i}")
    return ", ".join(names) if names else "NULL"


def json_value(value: Any) -> Any:
    """A JSON column's value: decoded from text on SQLite, already decoded elsewhere."""
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


def timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """Slices small enough for a bound-parameter IN list on every backend."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def open_fast_reader(url: str | None = None) -> SqliteReader | None:
    """A stdlib sqlite3 reader on an existing SQLite catalog that needs nothing done first.

    None whenever the full store must open instead: another database, a missing or empty file,
    a schema that is not the current one, a snapshot not yet loaded, or anything unreadable. The
    full path then creates, migrates, loads or reports the problem in one sentence.
    """
    resolved = resolve_db_url(url)
    path = sqlite_file(resolved)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    try:
        connection.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if not revision or revision[0] != HEAD_REVISION:
            connection.close()
            return None
        state = connection.execute("SELECT value FROM sync_state WHERE key = ?", (STATE_KEY,)).fetchone()
    except sqlite3.Error:
        connection.close()
        return None

    if not snapshot_is_current(json_value(state[0]) if state else None, read_meta()):
        connection.close()
        return None
    return SqliteReader(connection, resolved)


def session_of(db: Reader | Any):
    """The SQLAlchemy session behind `db`, for the few reads that still go through the ORM
    (probe bookkeeping). A fast sqlite3 reader has none: callers open the full store instead."""
    if isinstance(db, SessionReader):
        return db.session
    if isinstance(db, Reader):
        raise TypeError("this read needs a SQLAlchemy session; open the store with the full path")
    return db
