"""The source registry: each source is a small module that registers one loader by name.

In the spirit of timm's `register_model`: a module-level dict and one decorator. Loaders are
imported lazily (`load_source_modules`) so that reading the catalog never imports a source's
heavy dependencies.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from catalog.errors import UsageError
from catalog.records import SourceReport

# name -> "module:function"; kept as strings so the registry itself imports nothing heavy.
_SOURCE_MODULES: dict[str, str] = {
    "timm": "catalog.sources.timm_source",
    "torchvision": "catalog.sources.torchvision_source",
    "cards": "catalog.sources.cards",
}

OFFLINE_SOURCES: tuple[str, ...] = ("timm", "torchvision", "cards")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    loader: Callable[..., SourceReport]
    description: str


_REGISTRY: dict[str, SourceSpec] = {}


def register_source(name: str, description: str = "") -> Callable:
    """Decorator: record `fn` as the loader of source `name`. The loader returns a SourceReport."""

    def wrap(fn: Callable[..., SourceReport]) -> Callable[..., SourceReport]:
        _REGISTRY[name] = SourceSpec(name=name, loader=fn, description=description or (fn.__doc__ or "").strip())
        return fn

    return wrap


def get_source(name: str) -> SourceSpec:
    if name not in _REGISTRY:
        module = _SOURCE_MODULES.get(name)
        if module is None:
            raise UsageError(
                f"Unknown source '{name}'; choose from {', '.join(sorted(_SOURCE_MODULES))}."
            )
        importlib.import_module(module)
    return _REGISTRY[name]


def source_names() -> list[str]:
    return sorted(_SOURCE_MODULES)
