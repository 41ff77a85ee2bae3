"""Which device a recommendation is for, and the budget `--edge` / `--server` stand for.

`--edge` means "real-time on the default edge device at batch 1"; `--server` means "an interactive
service on the default server GPU at batch 1". The budget depends on what the model consumes
(a video frame, a sentence, an utterance) and is always printed with the reason, so nobody has
to guess what "fits" meant. Explicit `--max-*` options override the picked budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from catalog.errors import UsageError

PRECISIONS = ("fp32", "fp16", "bf16", "int8")

# modality -> (max latency ms, why) for --edge and --server at batch 1.
EDGE_BUDGETS: dict[str, tuple[float, str]] = {
    "vision": (1000.0 / 30.0, "real-time video: 30 FPS"),
    "text": (50.0, "interactive text: one request in 50 ms"),
    "audio": (1000.0, "live speech: one utterance in 1 s"),
    "multimodal": (200.0, "interactive: one request in 200 ms"),
}
SERVER_BUDGETS: dict[str, tuple[float, str]] = {
    "vision": (100.0, "interactive service: one request in 100 ms"),
    "text": (100.0, "interactive service: one request in 100 ms"),
    "audio": (500.0, "interactive service: one utterance in 500 ms"),
    "multimodal": (500.0, "interactive service: one request in 500 ms"),
}


@dataclass(frozen=True)
class Budget:
    max_latency_ms: float | None = None
    max_size_mb: float | None = None
    max_params: float | None = None
    max_memory_mb: float | None = None

    def to_dict(self) -> dict:
        return {"max_latency_ms": self.max_latency_ms, "max_size_mb": self.max_size_mb,
                "max_params": self.max_params, "max_memory_mb": self.max_memory_mb}


@dataclass(frozen=True)
class Target:
    device: str | None  # profile name, None when no device was asked for
    title: str | None
    kind: str | None  # "this" | "edge" | "server"
    batch_size: int
    precision: str
    budget: Budget
    picked_by: str | None = None  # "--edge" | "--server" | "--device" | "--max-latency-ms"
    budget_reason: str | None = None  # why the latency budget is what it is

    @property
    def short_title(self) -> str:
        """"NVIDIA Jetson Orin Nano 8GB" rather than the datasheet-long title."""
        if not self.title:
            return "no device"
        if self.kind == "this":
            return "this machine"
        return self.title.split(" (")[0]

    def fps_label(self) -> str | None:
        """"30 FPS" when the budget is a frame rate, else None."""
        match = re.search(r"\d+ FPS", self.budget_reason or "")
        return match.group(0) if match else None

    def describe(self) -> str:
        """One line for people: which target, how it was picked, and the budget."""
        return describe_target(self.to_dict())

    def to_dict(self) -> dict:
        return {"device": self.device, "title": self.title, "kind": self.kind, "batch_size": self.batch_size,
                "precision": self.precision, "budget": self.budget.to_dict(), "picked_by": self.picked_by,
                "budget_reason": self.budget_reason}


def describe_target(t: dict) -> str:
    """The target line of a recommend/compare document ("Target: ... [picked by --edge] ...; budget: ...")."""
    if t["device"] is None:
        head = "Target: none (latency not considered; add --edge, --server or --device NAME)"
    else:
        how = f", picked by {t['picked_by']}" if t.get("picked_by") else ""
        head = f"Target: {t['title']} [{t['device']}{how}], batch {t['batch_size']}, {t['precision']}"
    b = t["budget"]
    limits = []
    if b["max_latency_ms"] is not None:
        reason = t.get("budget_reason")
        why = f" ({reason})" if reason and reason != "--max-latency-ms" else ""
        limits.append(f"latency <= {b['max_latency_ms']:.1f} ms{why}")
    if b["max_size_mb"] is not None:
        limits.append(f"size <= {b['max_size_mb']:g} MB")
    if b["max_params"] is not None:
        limits.append(f"params <= {b['max_params'] / 1e6:g}M")
    if b["max_memory_mb"] is not None:
        limits.append(f"memory <= {b['max_memory_mb']:g} MB")
    return head + ("; budget: " + ", ".join(limits) if limits else "; no budget")


def _devices_module() -> ModuleType:
    from advisor import devices

    return devices


def resolve_target(
    *, device: str | None, target: str | None, modality: str | None, batch_size: int, precision: str,
    max_latency_ms: float | None, max_size_mb: float | None, max_params: float | None,
    max_memory_mb: float | None, devices: Any = None,
) -> Target:
    """The device and budget a request means; UsageError for contradictions or unknown devices."""
    if target not in (None, "edge", "server"):
        raise UsageError(f"The target must be edge or server, not '{target}'.")
    if target and device:
        raise UsageError(f"Choose one target: --{target} picks a device already, so drop it or --device {device}.")
    if precision not in PRECISIONS:
        raise UsageError(f"Precision must be one of {', '.join(PRECISIONS)}, not '{precision}'.")
    if batch_size < 1:
        raise UsageError("The batch size must be at least 1.")
    for option, value in (("--max-latency-ms", max_latency_ms), ("--max-size-mb", max_size_mb),
                          ("--max-params", max_params), ("--max-memory-mb", max_memory_mb)):
        if value is not None and value <= 0:
            raise UsageError(f"{option} must be positive, not {value:g}.")
    if max_memory_mb is not None and max_size_mb is not None and max_memory_mb < max_size_mb:
        # Not contradictory on its own, but the weights must fit in memory: the smaller wins.
        max_size_mb = max_memory_mb
    devices = devices or _devices_module()
    picked_by = None
    name = device
    if target == "edge":
        name, picked_by = devices.EDGE_DEFAULT, "--edge"
    elif target == "server":
        name, picked_by = devices.SERVER_DEFAULT, "--server"
    elif device:
        picked_by = "--device"
    elif max_latency_ms is not None:
        # A latency budget needs a device; the user's own machine is the honest default.
        name, picked_by = "this", "--max-latency-ms (no device given: this machine)"
    if name is None:
        return Target(None, None, None, batch_size, precision,
                      Budget(None, max_size_mb, max_params, max_memory_mb))
    profile = devices.get_profile(name)
    check = getattr(profile, "check_precision", None)
    if check is not None:
        check(precision)
    reason = None
    if max_latency_ms is None and target:
        table = EDGE_BUDGETS if target == "edge" else SERVER_BUDGETS
        max_latency_ms, why = table.get(modality or "vision", table["vision"])
        reason = f"{why} at batch {batch_size}"
    elif max_latency_ms is not None:
        reason = "--max-latency-ms"
    return Target(profile.name, profile.title, profile.kind, batch_size, precision,
                  Budget(max_latency_ms, max_size_mb, max_params, max_memory_mb), picked_by, reason)
