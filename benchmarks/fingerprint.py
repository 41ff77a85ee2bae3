"""Device fingerprints: what a latency figure was measured on, and a stable key to file it under.

The CPU part reads /proc and the standard library only, so `advisor devices` can fingerprint the
current machine without importing torch. The runtime part (torch version, GPU name, memory,
driver) imports torch lazily and is taken by the harness, which has torch loaded anyway.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CpuInfo:
    model: str
    vendor: str | None
    cores: int  # CPUs this process may run on (affinity), which is what the runtime can use
    logical_cpus: int
    mhz: float | None
    simd: str  # widest vector ISA found: avx512 | avx2 | neon | sse | unknown
    memory_gb: float | None
    machine: str


def _cpuinfo_fields() -> dict[str, str]:
    path = Path("/proc/cpuinfo")
    fields: dict[str, str] = {}
    if not path.exists():
        return fields
    for line in path.read_text(errors="replace").splitlines():
        if ":" not in line:
            if fields:  # the first processor block is enough
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    return fields


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except (OSError, ValueError):
        return None
    return None


def cpu_info() -> CpuInfo:
    """The current machine's CPU, from /proc/cpuinfo (platform module elsewhere)."""
    fields = _cpuinfo_fields()
    model = fields.get("model name") or fields.get("hardware") or platform.processor() or platform.machine() or "unknown CPU"
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    if "avx512f" in flags:
        simd = "avx512"
    elif "avx2" in flags:
        simd = "avx2"
    elif "asimd" in flags or platform.machine() in ("aarch64", "arm64"):
        simd = "neon"
    elif "sse2" in flags:
        simd = "sse"
    else:
        simd = "unknown"
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        mhz = float(fields["cpu mhz"]) if "cpu mhz" in fields else None
    except ValueError:
        mhz = None
    return CpuInfo(
        model=" ".join(model.split()), vendor=fields.get("vendor_id"), cores=cores,
        logical_cpus=os.cpu_count() or cores, mhz=mhz, simd=simd, memory_gb=_memory_gb(),
        machine=platform.machine(),
    )


def slug(text: str) -> str:
    """'AMD EPYC 7B13 64-Core Processor' -> 'amd-epyc-7b13-64-core-processor'."""
    text = re.sub(r"\((r|tm|c)\)", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80] or "unknown"


def cpu_device_key(info: CpuInfo | None = None) -> str:
    """Stable key of this machine's CPU: model and usable cores (threads live in the row's extra)."""
    info = info or cpu_info()
    return f"cpu:{slug(info.model)}:{info.cores}c"


def cuda_device_key(gpu_name: str) -> str:
    return f"cuda:{slug(gpu_name)}"


def cpu_fingerprint() -> dict:
    """The torch-free part of a fingerprint (enough for `advisor devices`)."""
    info = cpu_info()
    return {
        "cpu_model": info.model, "cpu_vendor": info.vendor, "cores": info.cores,
        "logical_cpus": info.logical_cpus, "cpu_mhz": info.mhz, "simd": info.simd,
        "memory_gb": info.memory_gb, "machine": info.machine, "os": platform.platform(terse=True),
        "python": platform.python_version(),
    }


def runtime_fingerprint(device: str, threads: int, precision: str, layout: str, compiled: bool = False) -> dict:
    """The full fingerprint stored with every measured row. Imports torch (the harness has it)."""
    import torch

    fp = cpu_fingerprint()
    fp.update({
        "device_type": device, "threads": threads, "precision": precision, "layout": layout,
        "compiled": compiled, "torch": torch.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    })
    try:
        import timm

        fp["timm"] = timm.__version__
    except Exception:  # noqa: BLE001 - timm is optional for torchvision-only runs
        pass
    if device == "cuda" and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        fp.update({
            "gpu_name": props.name, "gpu_memory_gb": round(props.total_memory / 1e9, 1),
            "gpu_capability": f"{props.major}.{props.minor}", "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(), "gpu_driver": _nvidia_driver(),
        })
    return fp


def _nvidia_driver() -> str | None:
    path = Path("/proc/driver/nvidia/version")
    if path.exists():
        match = re.search(r"Kernel Module\s+([0-9.]+)", path.read_text(errors="replace"))
        if match:
            return match.group(1)
    return None


def device_key(device: str) -> str:
    """The key a measured row is filed under: cpu:<model>:<N>c or cuda:<gpu name>."""
    if device == "cuda":
        import torch

        return cuda_device_key(torch.cuda.get_device_name(torch.cuda.current_device()))
    return cpu_device_key()
