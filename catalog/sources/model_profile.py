"""Count params, GMACs and activations of a timm architecture without its weights.

The model is built on the meta device (no memory, no init cost) and run once at batch 1 under
`torch.utils.flop_counter.FlopCounterMode`. That counter counts 2 FLOPs per multiply-accumulate,
so GMACs = FLOPs / 2 / 1e9. Activations are counted the way fvcore/timm do: the output elements
of convolution and matrix-multiply ops (conv, linear -> addmm/mm, matmul -> bmm/mm), in millions.

Attention run through `F.scaled_dot_product_attention` is counted (it is real compute, and
torchvision's published `_ops` count it too); its share is kept apart as `attention_gmacs` because
timm's published fvcore figures miss it, so `gmacs - attention_gmacs` is comparable with them.

torch and timm are imported inside functions only: importing this module stays cheap.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Above this many parameters a failed meta forward is not retried on a real CPU model: building
# and initialising it would cost seconds and gigabytes for a figure we can live without.
CPU_FALLBACK_MAX_PARAMS = 30_000_000
DEFAULT_TIMEOUT_S = 8.0


@dataclass(frozen=True, slots=True)
class ProfileJob:
    """One model to count: `model_name` may carry a pretrained tag, whose cfg sets e.g. img_size."""

    key: tuple[Any, ...]
    model_name: str
    input_size: tuple[int, int, int]
    num_classes: int


@dataclass(frozen=True, slots=True)
class Profile:
    params: int | None = None
    gmacs: float | None = None
    activations_m: float | None = None
    attention_gmacs: float | None = None
    method: str = "meta"  # "meta" | "cpu" (meta forward failed, small model) | "params-only" | "failed"
    error: str | None = None
    seconds: float = 0.0


class ProfileTimeout(Exception):
    """Raised inside a profile that ran past its time box."""


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    # SIGALRM only works in the main thread; elsewhere (a TUI worker thread) we run unboxed.
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise ProfileTimeout(f"took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def count_forward(model: Any, inputs: Any) -> tuple[int, int, int]:
    """Run `model(inputs)` once and return (flops, activations, attention flops).

    Works on meta and real tensors alike; the caller chooses the device.
    """
    import torch
    from torch.overrides import TorchFunctionMode
    from torch.utils.flop_counter import FlopCounterMode, flop_registry

    aten = torch.ops.aten
    activations = [0]

    def with_activations(formula: Any) -> Any:
        def counted(*args: Any, out_val: Any = None, **kwargs: Any) -> int:
            if isinstance(out_val, torch.Tensor):
                activations[0] += out_val.numel()
            return formula(*args, out_val=out_val, **kwargs)

        counted._get_raw = True  # type: ignore[attr-defined]  # the registry formula takes raw args
        return counted

    # Wrapping the registered formulas counts activations in the same pass as the FLOPs.
    act_ops = (aten.convolution, aten._convolution, aten.mm, aten.addmm, aten.bmm, aten.baddbmm)
    counter = FlopCounterMode(display=False, custom_mapping={op: with_activations(flop_registry[op]) for op in act_ops})
    attention = [0]

    class AttentionShare(TorchFunctionMode):
        """Measures the FLOPs spent inside each scaled_dot_product_attention call, whatever kernel
        (math on meta, flash on CPU) it dispatches to."""

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            if func is not torch.nn.functional.scaled_dot_product_attention:
                return func(*args, **(kwargs or {}))
            before = counter.get_total_flops()
            out = func(*args, **(kwargs or {}))
            attention[0] += counter.get_total_flops() - before
            return out

    with torch.no_grad(), counter, AttentionShare():
        model(inputs)
    return counter.get_total_flops(), activations[0], attention[0]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def profile_timm(
    model_name: str,
    input_size: tuple[int, int, int],
    num_classes: int,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    cpu_fallback_max_params: int = CPU_FALLBACK_MAX_PARAMS,
) -> Profile:
    """Count params, GMACs and activations of one timm model at batch 1; never raises.

    Meta device first; if the meta forward fails, a real CPU model when it is small, else params
    only. Each stage is time-boxed so one exotic model cannot dominate a full build.
    """
    import timm
    import torch

    start = time.perf_counter()
    params: int | None = None
    try:
        with _time_limit(timeout_s), torch.device("meta"):
            model = timm.create_model(model_name, pretrained=False, num_classes=num_classes)
            params = sum(p.numel() for p in model.parameters())
            model.eval()
            flops, acts, attn = count_forward(model, torch.empty((1, *input_size), device="meta"))
        return Profile(params, flops / 2e9, acts / 1e6, attn / 2e9, "meta", None, time.perf_counter() - start)
    except Exception as exc:  # any model bug must become a note, not a crashed build
        meta_error = _short(exc)
    if params is None:
        return Profile(None, None, None, None, "failed", f"meta: {meta_error}", time.perf_counter() - start)
    if params > cpu_fallback_max_params:
        return Profile(params, None, None, None, "params-only", f"meta: {meta_error}", time.perf_counter() - start)
    try:
        with _time_limit(timeout_s):
            model = timm.create_model(model_name, pretrained=False, num_classes=num_classes).eval()
            flops, acts, attn = count_forward(model, torch.zeros((1, *input_size)))
        return Profile(params, flops / 2e9, acts / 1e6, attn / 2e9, "cpu", f"meta: {meta_error}", time.perf_counter() - start)
    except Exception as exc:
        error = f"meta: {meta_error}; cpu: {_short(exc)}"
        return Profile(params, None, None, None, "params-only", error, time.perf_counter() - start)


def _init_worker() -> None:
    # Import once per worker process, not once per model; one thread each so workers don't fight.
    import logging
    import warnings

    import timm  # noqa: F401
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)


def _profile_chunk(jobs: Sequence[ProfileJob], timeout_s: float | None) -> list[tuple[tuple, Profile]]:
    return [(j.key, profile_timm(j.model_name, j.input_size, j.num_classes, timeout_s)) for j in jobs]


def profile_many(
    jobs: Sequence[ProfileJob], workers: int = 2, timeout_s: float | None = DEFAULT_TIMEOUT_S
) -> dict[tuple, Profile]:
    """Profile every job, in `workers` spawned processes (in this process when workers <= 1).

    A crashed worker (segfault, OOM kill) breaks the pool; its unfinished jobs are retried one by
    one in a fresh pool, and what still fails is reported as failed rather than aborting.
    """
    if workers <= 1 or len(jobs) <= 1:
        return dict(_profile_chunk(jobs, timeout_s))

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: dict[tuple, Profile] = {}
    # Small chunks balance the load (one giant ViT should not hold a long chunk hostage) while
    # still amortising the submit/pickle round trip; timm is imported once per worker anyway.
    size = max(1, min(16, len(jobs) // (workers * 8)))
    pending = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
    for attempt in range(3):
        if not pending:
            break
        retry: list[list[ProfileJob]] = []
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context, initializer=_init_worker) as pool:
            futures = {pool.submit(_profile_chunk, chunk, timeout_s): chunk for chunk in pending}
            for future in as_completed(futures):
                try:
                    results.update(future.result())
                except Exception:  # BrokenProcessPool or an unpicklable result: retry singly
                    retry.extend([job] for job in futures[future] if job.key not in results)
        pending = retry
    for chunk in pending:
        for job in chunk:
            results.setdefault(job.key, Profile(method="failed", error="worker process crashed"))
    return results
