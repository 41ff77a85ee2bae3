"""Count params, GMACs and activations of a timm architecture without its weights.

The model is built on the meta device (no memory, weight init skipped) and run once at batch 1
while `torch.utils.flop_counter`'s formulas (the registry behind FlopCounterMode, which gives the
same totals) count each op. They count 2 FLOPs per multiply-accumulate, so GMACs = FLOPs / 2 / 1e9.
Activations are counted the way fvcore/timm do: output elements of convolution and matrix-multiply
ops (conv, linear -> addmm/mm, matmul -> bmm/mm), in millions.

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
from functools import lru_cache
from typing import Any

# Above this many parameters a failed meta forward is not retried on a real CPU model: building
# and initialising it would cost seconds and gigabytes for a figure we can live without.
CPU_FALLBACK_MAX_PARAMS = 30_000_000
DEFAULT_TIMEOUT_S = 5.0  # CPU seconds per model (the slowest ordinary timm models take ~3)
WALL_TIMEOUT_FACTOR = 6.0  # ... and a wall-clock backstop for a model that hangs without computing
WALL_TIMEOUT_MIN_S = 1.0
# Meta-kernel results shared by every model profiled in this process (see CountFlops).
_META_MEMO: dict = {}
_META_MEMO_MAX = 200_000


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
def _time_limit(cpu_seconds: float | None) -> Iterator[None]:
    """Raise ProfileTimeout after `cpu_seconds` of this process's CPU time, or after a generous
    wall-clock multiple of it (for a model stuck waiting rather than computing).

    CPU time, not wall time, decides: on a loaded machine a wall-clock box would drop figures
    depending on what else runs, and the catalog must not depend on that.
    """
    # Signals only reach the main thread; elsewhere (a TUI worker thread) we run unboxed.
    if not cpu_seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    wall_seconds = max(WALL_TIMEOUT_MIN_S, WALL_TIMEOUT_FACTOR * cpu_seconds)

    def on_timer(signum: int, frame: Any) -> None:
        what = f"{cpu_seconds:g} s of CPU" if signum == signal.SIGVTALRM else f"{wall_seconds:g} s of wall time"
        raise ProfileTimeout(f"took more than {what}")

    previous = {sig: signal.signal(sig, on_timer) for sig in (signal.SIGVTALRM, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_VIRTUAL, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# In-place ops that weight init runs. On meta tensors they have no values to change, and their
# Python meta kernels are most of the build time (clamp_ alone is ~1 ms a call), so they are
# skipped while a model is built. In-place ops never change a tensor's shape, so skipping them is
# exact; metadata-changing ones (resize_, squeeze_, ...) are deliberately not in this set.
_INIT_OPS = frozenset(
    f"aten::{name}"
    for name in (
        "uniform_", "normal_", "trunc_normal_", "erfinv_", "clamp_", "clamp_min_", "clamp_max_",
        "mul_", "add_", "sub_", "div_", "zero_", "fill_", "copy_", "exponential_", "bernoulli_",
        "random_", "log_normal_", "sqrt_", "exp_", "log_", "neg_", "abs_", "addcmul_", "addcdiv_",
        "masked_fill_", "index_fill_", "fill_diagonal_", "eye_",
    )
)
_ACTIVATION_OPS = ("convolution", "_convolution", "mm", "addmm", "bmm", "baddbmm")


@lru_cache(maxsize=1)
def _modes() -> tuple[type, type, type]:
    """Build the dispatch modes on first use, so that importing this module never imports torch."""
    import torch
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    aten = torch.ops.aten
    activation_ops = frozenset(getattr(aten, name) for name in _ACTIVATION_OPS)

    class SkipMetaInit(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            if func._schema.name in _INIT_OPS and args and isinstance(args[0], torch.Tensor) and args[0].is_meta:
                return args[0]
            return func(*args, **(kwargs or {}))

    plain = (int, float, bool, str, type(None), torch.dtype, torch.device, torch.memory_format, torch.layout)
    functional: dict[Any, bool] = {}

    def is_functional(func: Any) -> bool:
        # Only ops that return fresh tensors (no views, no in-place, no out=) may be replayed
        # from their output metadata; views must keep aliasing their input.
        if func not in functional:
            schema = func._schema
            functional[func] = not schema.is_mutable and all(
                r.alias_info is None and str(r.type) == "Tensor" for r in schema.returns
            ) and len(schema.returns) > 0
        return functional[func]

    def normalise(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            if not value.is_meta:
                raise TypeError
            return (tuple(value.shape), value.stride(), value.dtype)
        if isinstance(value, (list, tuple)):
            return tuple(normalise(v) for v in value)
        if isinstance(value, plain):
            return (type(value), value)  # 2 and 2.0 promote differently: keep the type
        raise TypeError  # SymInts and anything unexpected: never cached

    class CountFlops(TorchDispatchMode):
        """torch.utils.flop_counter's formulas (the same `flop_registry` FlopCounterMode uses; 2
        FLOPs per MAC) without FlopCounterMode's per-module tracking: that tracker costs a third
        of the run time and its grad hooks assert on modules fed parameters under no_grad (CaiT,
        PiT, SigLIP attention pooling).

        Most meta kernels are Python reference code (0.1-1 ms a call), and deep networks repeat
        the same op on the same shapes block after block, so the output metadata of functional
        ops is memoised by (op, input shapes/strides/dtypes, other args), which cuts a warm
        worker's forward time by roughly a third (totals verified identical on ~200 timm
        models). `memo` may be shared across models: meta kernels are pure in metadata."""

        def __init__(self, memo: dict | None = None) -> None:
            super().__init__()
            self.flops = 0
            self.activations = 0
            self.memo = memo if memo is not None else {}

        def _run(self, func: Any, args: Any, kwargs: Any) -> Any:
            if not is_functional(func):
                return func(*args, **kwargs)
            try:
                key = (func, normalise(args), normalise(tuple(sorted(kwargs.items()))))
            except TypeError:
                return func(*args, **kwargs)
            spec = self.memo.get(key)
            if spec is None:
                out = func(*args, **kwargs)
                outs = out if isinstance(out, tuple) else (out,)
                # Only meta results may be replayed: an op without tensor inputs (arange, zeros in a
                # forward) can make a real tensor whose values the model then uses.
                if all(isinstance(o, torch.Tensor) and o.is_meta for o in outs):
                    self.memo[key] = (isinstance(out, tuple), [(o.shape, o.stride(), o.dtype) for o in outs])
                return out
            is_tuple, metas = spec
            fresh = [torch.empty_strided(shape, stride, dtype=dtype, device="meta") for shape, stride, dtype in metas]
            return tuple(fresh) if is_tuple else fresh[0]

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            out = self._run(func, args, kwargs)
            packet = func._overloadpacket
            formula = flop_registry.get(packet)
            if formula is not None:
                self.flops += formula(*args, **kwargs, out_val=out)
                if packet in activation_ops and isinstance(out, torch.Tensor):
                    self.activations += out.numel()
            return out

    class AttentionShare(TorchFunctionMode):
        """Measures the FLOPs spent inside each scaled_dot_product_attention call, whatever kernel
        (math ops on meta, a fused kernel on CPU) it dispatches to."""

        def __init__(self, counter: CountFlops) -> None:
            super().__init__()
            self.counter = counter
            self.flops = 0

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            if func is not torch.nn.functional.scaled_dot_product_attention:
                return func(*args, **(kwargs or {}))
            before = self.counter.flops
            out = func(*args, **(kwargs or {}))
            self.flops += self.counter.flops - before
            return out

    return SkipMetaInit, CountFlops, AttentionShare


def count_forward(model: Any, inputs: Any, memoise: bool = True) -> tuple[int, int, int]:
    """Run `model(inputs)` once and return (flops, activations, attention flops).

    Works on meta and real tensors alike (only meta ops are memoised); the caller picks the device.
    """
    import torch

    if len(_META_MEMO) > _META_MEMO_MAX:  # bound a long-lived worker's memory
        _META_MEMO.clear()
    _, count_flops, attention_share = _modes()
    counter = count_flops(_META_MEMO if memoise else {})
    attention = attention_share(counter)
    with torch.no_grad(), counter, attention:
        model(inputs)
    return counter.flops, counter.activations, attention.flops


def build_meta_model(model_name: str, num_classes: int) -> Any:
    """Create a timm model on the meta device, skipping weight init (there are no values)."""
    import timm
    import torch

    skip_init, _, _ = _modes()
    with torch.device("meta"), skip_init():
        return timm.create_model(model_name, pretrained=False, num_classes=num_classes)


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
        with _time_limit(timeout_s):
            model = build_meta_model(model_name, num_classes)
            params = sum(p.numel() for p in model.parameters())
            model.eval()
            # Still under the meta device: some forwards build tensors (grids, masks) on the fly.
            with torch.device("meta"):
                flops, acts, attn = count_forward(model, torch.empty((1, *input_size)))
        return Profile(params, flops / 2e9, acts / 1e6, attn / 2e9, "meta", None, time.perf_counter() - start)
    except Exception as exc:  # any model bug must become a note, not a crashed build
        meta_error = _short(exc)
        timed_out = isinstance(exc, ProfileTimeout)
    if params is None:
        return Profile(None, None, None, None, "failed", f"meta: {meta_error}", time.perf_counter() - start)
    # A slow meta forward (LSTMs unrolled step by step) would be slower still on CPU, where fused
    # kernels without FLOP formulas (mkldnn RNNs) would also undercount: params only.
    if timed_out or params > cpu_fallback_max_params:
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
