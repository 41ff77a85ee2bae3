"""One output helper for every command: a JSON document on stdout, or Rich tables for people.

Progress and logs go to stderr so `--json` output can be piped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def table(title: str | None, columns: Sequence[str | tuple[str, dict]], rows: Sequence[Sequence[Any]]) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for col in columns:
        name, kwargs = (col, {}) if isinstance(col, str) else col
        t.add_column(name, **{"overflow": "fold", **kwargs})
    for row in rows:
        t.add_row(*["-" if v is None else str(v) for v in row])
    return t


def note(message: str) -> None:
    stderr.print(f"[dim]{message}[/dim]", highlight=False)


def warn(message: str) -> None:
    stderr.print(f"[yellow]{message}[/yellow]", highlight=False)
