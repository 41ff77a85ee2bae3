"""Readers for the written reports, so tests can check what a person or a spreadsheet would see."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")
_HTML_CANDIDATE = re.compile(
    r'<tr class="candidate[^"]*">\s*<td class="num">(.*?)</td>\s*<td class="id">(.*?)</td>', re.S
)


def markdown_table(text: str, heading: str) -> tuple[list[str], list[list[str]]]:
    """The first table under `## heading`, unescaped: (headers, rows)."""
    section = text.split(f"\n## {heading}\n", 1)[1]
    lines = []
    for line in section.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    cells = [
        [html.unescape(_BACKSLASH_ESCAPE.sub(r"\1", c.strip())) for c in _UNESCAPED_PIPE.split(line)[1:-1]]
        for line in lines
    ]
    return cells[0], cells[2:]


def ids_in_markdown(path: Path) -> list[str]:
    headers, rows = markdown_table(path.read_text(encoding="utf-8"), "Comparison")
    column = headers.index("Model")
    return [row[column] for row in rows]


def ids_in_csv(path: Path) -> list[str]:
    return list(pd.read_csv(path, keep_default_na=False)["id"])


def ids_in_json(path: Path) -> list[str]:
    return [row["id"] for row in json.loads(path.read_text(encoding="utf-8"))["rows"]]


def ids_in_html(path: Path) -> list[str]:
    return [html.unescape(m.group(2)) for m in _HTML_CANDIDATE.finditer(path.read_text(encoding="utf-8"))]


_WHY_ITEM = re.compile(r"^(\d+)\. (.*)$")
_WARNING_ITEM = re.compile(r"^ {4}- Warning: (.*)$")


def markdown_why(text: str) -> dict[str, tuple[str, list[str]]]:
    """The "Why each candidate" list: id -> (explanation, its own warnings), unescaped."""
    section = text.split("\n### Why each candidate\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in section.splitlines():
        if match := _WHY_ITEM.match(line):
            model_id, _, explanation = _plain(match.group(2)).partition(": ")
            current = model_id
            found[current] = (explanation, [])
        elif (match := _WARNING_ITEM.match(line)) and current is not None:
            found[current][1].append(_plain(match.group(1)))
    return found


def _plain(text: str) -> str:
    return html.unescape(_BACKSLASH_ESCAPE.sub(r"\1", text))
