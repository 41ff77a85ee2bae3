"""Helpers for driving the TUI with Textual's Pilot."""

from __future__ import annotations

import io
import time

from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable, Static

SIZE = (160, 45)  # the terminal the issue asks for


async def settle(pilot, rounds: int = 2, timeout: float = 60.0) -> None:
    """Wait until the app is quiet: debounced actions fired, workers finished, their messages handled.

    Quiet must hold for `rounds` checks in a row, since handling one result can start the next
    piece of work (rows shown -> facets load -> controls filled -> ranking debounced -> worker).
    No fixed sleep decides it, so a slow or loaded machine only makes it take longer.
    """
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < rounds:
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        quiet = 0 if pilot.app.busy else quiet + 1
        if time.monotonic() > deadline:
            raise AssertionError(f"the TUI was still busy after {timeout:.0f} s")


def static_text(widget: Static, width: int = 200) -> str:
    """What a Static shows, as plain text (its content rendered without styles)."""
    console = Console(width=width, no_color=True, file=io.StringIO())
    content = widget.content
    console.print(content if not isinstance(content, str) else Text.from_markup(content))
    return console.file.getvalue()


def row_ids(table: DataTable) -> list[str]:
    return [str(key.value) for key in table.rows]
