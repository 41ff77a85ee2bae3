"""Imports point down only (catalog <- benchmarks <- advisor), textual only in advisor/tui, and heavy
libraries only inside functions. Checked mechanically on the source, not by convention."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"torch", "timm", "torchvision", "transformers", "ray", "onnxruntime"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at_module_level) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top_level))
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package,forbidden", [("catalog", {"benchmarks", "advisor"}), ("benchmarks", {"advisor"})])
def test_imports_point_down(package, forbidden):
    bad = [(p.relative_to(ROOT), m) for p in _files(package) for m, _ in _imports(p) if m.split(".")[0] in forbidden]
    assert not bad, bad


def test_only_the_tui_imports_textual():
    bad = [
        (p.relative_to(ROOT), m)
        for pkg in ("catalog", "benchmarks", "advisor")
        for p in _files(pkg)
        if "tui" not in p.relative_to(ROOT).parts
        for m, _ in _imports(p)
        if m.split(".")[0] in {"textual", "textual_plotext"}
    ]
    assert not bad, bad


def test_heavy_libraries_are_imported_lazily():
    bad = [
        (p.relative_to(ROOT), m)
        for pkg in ("catalog", "benchmarks", "advisor")
        for p in _files(pkg)
        for m, top in _imports(p)
        if top and m.split(".")[0] in HEAVY
    ]
    assert not bad, bad
