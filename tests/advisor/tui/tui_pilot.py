"""Helpers for driving the TUI with Textual's Pilot."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable, Static

SIZE = (160, 45)  # the terminal the issue asks for


async def settle(pilot, rounds: int = 2) -> None:
    """Let debounce timers fire and every worker finish, and the UI process what they posted."""
    for _ in range(rounds):
        await pilot.pause(0.25)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def static_text(widget: Static, width: int = 200) -> str:
    """What a Static shows, as plain text (its content rendered without styles)."""
    console = Console(width=width, no_color=True, file=io.StringIO())
    content = widget.content
    console.print(content if not isinstance(content, str) else Text.from_markup(content))
    return console.file.getvalue()


def row_ids(table: DataTable) -> list[str]:
    return [str(key.value) for key in table.rows]
