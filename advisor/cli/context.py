"""Per-invocation state shared by commands: the database URL and the store, opened lazily."""

from __future__ import annotations

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


state = CliState()
