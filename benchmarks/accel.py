"""Device plumbing shared by feature extraction and fine-tuning: device choice, AMP, OOM back-off."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any, TypeVar

from catalog.errors import UsageError

T = TypeVar("T")
DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(choice: str = "auto") -> str:
    """'auto' is CUDA when present, else CPU; asking for CUDA without one is a usage error."""
    import torch

    if choice not in DEVICE_CHOICES and not choice.startswith("cuda:"):
        raise UsageError(f"--device must be one of {', '.join(DEVICE_CHOICES)}, not {choice}.")
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but this machine has no usable CUDA GPU.")
    return choice


def describe_device(device: str) -> str:
    """A short name for the device results were obtained on, stored with every probe figure."""
    import torch

    if device.startswith("cuda"):
        return f"cuda:{torch.cuda.get_device_name(torch.device(device))}"
    import platform

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    return f"cpu:{model} x{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}"


def autocast(device: str) -> contextlib.AbstractContextManager:
    """bf16 autocast on GPUs that have it, fp16 otherwise; nothing on CPU (fp32 keeps figures comparable)."""
    import torch

    if not device.startswith("cuda"):
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


def with_oom_retry(fn: Callable[[int], T], batch_size: int, *, minimum: int = 1,
                   on_retry: Callable[[int], Any] | None = None) -> tuple[T, int]:
    """Call fn(batch_size), halving the batch after each CUDA out-of-memory error; returns the
    result and the batch size that worked. The last error is re-raised below `minimum`."""
    import gc

    import torch

    while True:
        try:
            return fn(batch_size), batch_size
        except (RuntimeError, torch.cuda.OutOfMemoryError) as exc:
            if not is_oom(exc) or batch_size <= minimum:
                raise
        # Outside the except block so the traceback (and the tensors it holds) is released first.
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        batch_size = max(minimum, batch_size // 2)
        if on_retry:
            on_retry(batch_size)


def default_workers(device: str) -> int:
    """DataLoader workers: enough to keep a GPU fed; on CPU one or two, since decoding competes
    with the model for the same cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if device.startswith("cuda"):
        return max(1, min(8, cores - 1))
    return max(0, min(2, cores // 2))
