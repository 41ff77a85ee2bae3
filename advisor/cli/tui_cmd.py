"""`advisor tui`: the interactive browser, recommender and comparer (Textual)."""

from __future__ import annotations

from advisor.cli.context import state


def tui() -> None:
    """Open the terminal UI: browse and filter the catalog, tune a recommendation, compare, probe, export."""
    from advisor.tui.app import run

    run(state.db_url)
