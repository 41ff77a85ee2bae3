"""`advisor catalog build`: run the offline sources, write the snapshot, load it into the store.

Everything is computed in memory first; the snapshot files are replaced atomically and the store
is written in one transaction, so a build interrupted at any point leaves the previous catalog.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from catalog.errors import StoreError
from catalog.records import ModelRecord, SourceReport
from catalog.sources import OFFLINE_SOURCES, get_source


@dataclass
class BuildResult:
    reports: list[SourceReport]
    seconds: dict[str, float] = field(default_factory=dict)
    snapshot: Path | None = None
    models: int = 0


def _versions() -> dict[str, str]:
    found = {}
    for package in ("timm", "torch", "torchvision", "model-advisor"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def run_sources(
    names: Sequence[str] = OFFLINE_SOURCES,
    workers: int = 2,
    on_done: Callable[[SourceReport, float], None] | None = None,
) -> BuildResult:
    result = BuildResult(reports=[])
    for name in names:
        spec = get_source(name)
        started = time.perf_counter()
        report = spec.loader(workers=workers) if name == "timm" else spec.loader()
        result.seconds[name] = time.perf_counter() - started
        result.reports.append(report)
        if on_done:
            on_done(report, result.seconds[name])
    return result


def merge_with_previous(result: BuildResult, directory: Path) -> list[ModelRecord]:
    """Records of this build plus, for sources not rebuilt, the previous snapshot's."""
    from catalog.snapshot import read_meta, read_snapshot

    built = {r.name for r in result.reports}
    records = [rec for rep in result.reports for rec in rep.records]
    if read_meta(directory) is not None and set(OFFLINE_SOURCES) - built:
        records += [r for r in read_snapshot(directory) if r.source not in built]
    return records


def build_catalog(
    store,
    names: Sequence[str] = OFFLINE_SOURCES,
    workers: int = 2,
    output: Path | None = None,
    on_done: Callable[[SourceReport, float], None] | None = None,
) -> BuildResult:
    """Build the offline catalog, write the reviewable snapshot and load it into `store`."""
    from catalog.snapshot import embedded_data_dir, load_snapshot_into, write_snapshot

    directory = output or embedded_data_dir()
    result = run_sources(names, workers=workers, on_done=on_done)
    records = merge_with_previous(result, directory)
    meta = {
        "built_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "versions": _versions(),
        "python": platform.python_version(),
        "sources": sorted({r.source for r in records}),
        "skipped": {r.name: r.skipped for r in result.reports if r.skipped},
        "dropped_fields": {r.name: r.dropped_fields for r in result.reports if r.dropped_fields},
    }
    try:
        result.snapshot = write_snapshot(records, directory, meta)
    except OSError as exc:
        raise StoreError(
            f"Cannot write the snapshot to {directory} ({exc.strerror}); pass --output DIR."
        ) from None
    result.models = load_snapshot_into(store, directory)
    return result
