"""Per-invocation state shared by commands: the database URL and the store, opened lazily."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class CliState:
    db_url: str | None = None
    _store: object | None = None

    def store(self, load_snapshot: bool = True):
        if self._store is None:
            from catalog.store import open_store

            self._store = open_store(self.db_url, load_snapshot=load_snapshot)
        return self._store

    @contextmanager
    def reader(self, *, orm: bool = False) -> Iterator:
        """A catalog.reader.Reader for a command that only reads.

        The default SQLite catalog, once it exists with the current schema and snapshot, is read
        with the stdlib sqlite3 module (no SQLAlchemy import: start-up is the budget). Anything
        else, or `orm=True` for reads that go through the ORM, opens the full store.
        """
        from catalog.reader import SessionReader, open_fast_reader

        fast = None if orm or self._store is not None else open_fast_reader(self.db_url)
        if fast is not None:
            try:
                yield fast
            finally:
                fast.close()
            return
        with self.store().session() as session:
            yield SessionReader(session)


state = CliState()
