"""The environment a report was produced on: tool version, Python, platform, catalog, device.

Read from the standard library, /proc and the store only (no torch), so `advisor report` starts
fast; the same inputs on the same machine give the same section, which keeps reports byte-stable.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def tool_version() -> str:
    try:
        return version("model-advisor")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _this_machine() -> str:
    try:
        from benchmarks.fingerprint import cpu_info

        cpu = cpu_info()
        memory = f", {cpu.memory_gb} GB RAM" if cpu.memory_gb else ""
        return f"{cpu.model} ({cpu.cores} cores{memory})"
    except Exception:  # noqa: BLE001 - a report must not fail because /proc looks unusual
        return platform.processor() or platform.machine() or "unknown"


def catalog_state(session: Session) -> dict[str, Any]:
    """Which catalog answered: the loaded snapshot's digest and build date, and the model count."""
    from catalog.schema import Model, SyncState
    from catalog.snapshot import STATE_KEY

    state = session.scalar(select(SyncState.value).where(SyncState.key == STATE_KEY)) or {}
    return {
        "catalog_snapshot_sha256": state.get("sha256") or "none (the store was not loaded from a snapshot)",
        "catalog_snapshot_built_at": state.get("built_at"),
        "catalog_models": session.scalar(select(func.count()).select_from(Model)) or 0,
    }


def basic_environment(target_device: str | None = None) -> dict[str, Any]:
    """Tool, Python, platform, this machine and the target device (no catalog: no session needed)."""
    environment: dict[str, Any] = {
        "model_advisor": tool_version(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "produced_on": _this_machine(),
        "target_device": target_device,
    }
    if sys.flags.optimize:
        environment["python_optimize"] = sys.flags.optimize
    return environment


def collect_environment(session: Session, target_device: str | None = None) -> dict[str, Any]:
    """The report's environment section, as a JSON-ready dict (ordered for display)."""
    return {**basic_environment(target_device), **catalog_state(session)}
