"""Domain exceptions. They carry a user-readable sentence; the CLI/TUI turn them into messages."""

from __future__ import annotations


class CatalogError(Exception):
    """Base class for every error a user can cause or fix."""

    exit_code = 1


class UsageError(CatalogError):
    """Bad input: an option value, a path or a name that cannot be used."""

    exit_code = 2


class UnknownModelError(UsageError):
    def __init__(self, query: str, suggestions: list[str] | None = None) -> None:
        self.query = query
        self.suggestions = suggestions or []
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"No model matches '{query}'.{hint}")


class AmbiguousModelError(UsageError):
    def __init__(self, query: str, candidates: list[str], total: int) -> None:
        self.query = query
        self.candidates = candidates
        more = f" (and {total - len(candidates)} more)" if total > len(candidates) else ""
        super().__init__(
            f"'{query}' matches {total} models: {', '.join(candidates)}{more}; give the full id."
        )


class StoreError(CatalogError):
    """The database cannot be opened, read or written."""


class SchemaTooNewError(StoreError):
    def __init__(self, found: str, known: str) -> None:
        super().__init__(
            f"The catalog database was written by a newer model-advisor (schema {found}, this "
            f"version knows up to {known}); upgrade model-advisor or point --db at another database."
        )


class SourceError(CatalogError):
    """A source could not produce records at all (missing library, unreachable server)."""
