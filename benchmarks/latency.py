"""The latency harness: build an architecture, warm it up, time it with device synchronisation.

Timing follows timm's benchmark.py (eval mode, inference_mode, warm-up iterations, a
synchronise before reading the clock on CUDA) and torch.utils.benchmark practice (per-iteration
samples, median as the headline, a fixed thread count). Every result, failed or not, is written
to the store as soon as its model finishes, so a killed run keeps what finished.

Peak memory: on CUDA, torch.cuda.max_memory_allocated after a reset (weights, activations and
workspaces the caching allocator handed out). On CPU, the rise of the process's resident set
over the baseline before the model was built, with the kernel's high-water mark reset first
(/proc/self/clear_refs "5"), so the figure is weights + peak activations + runtime buffers of
this model alone. tracemalloc cannot do this: it sees Python allocations, not torch's C++ ones.

torch, timm and torchvision are imported inside functions only.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.model_build import BuildError, _short, build_model, layer_count

__all__ = ["BenchResult", "BenchSettings", "BuildError", "build_model", "layer_count", "measure", "run_latency"]

PRECISIONS = ("fp32", "fp16", "bf16", "int8")
INT8_CAVEAT = (
    "int8 through PyTorch's own quantisation (torch.ao dynamic quantisation of Linear layers, "
    "static FX quantisation of convolutions calibrated on random inputs): latency only; accuracy "
    "was not measured and can drop, check it with `advisor probe` before relying on it"
)


@dataclass(frozen=True)
class BenchSettings:
    device: str = "cpu"
    batch_size: int = 1
    precision: str = "fp32"
    channels_last: bool = False
    compile: bool = False
    threads: int | None = None  # None: torch's default (one per usable core)
    img_size: int | None = None  # None: the model's own input size
    warmup_iters: int = 10
    warmup_s: float = 0.5
    min_iters: int = 30
    min_time_s: float = 2.0
    max_iters: int = 500
    max_time_s: float = 30.0
    block_s: float = 0.25
    max_contention: float = 0.1  # share of the machine other processes may take during a kept block

    @property
    def layout(self) -> str:
        return "nhwc" if self.channels_last else "nchw"


@dataclass
class BenchResult:
    id: str
    batch_size: int
    precision: str
    latency_ms_p50: float | None = None
    latency_ms_p90: float | None = None
    throughput_per_s: float | None = None
    peak_memory_mb: float | None = None
    status: str = "ok"
    error: str | None = None
    requested_batch_size: int | None = None
    img_size: int | None = None
    layout: str = "nchw"
    threads: int | None = None
    iterations: int = 0
    contention: float | None = None  # CPU share of other processes during timing (CPU runs)
    features: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- memory


def _rss_mb(field_name: str = "VmRSS") -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None




def _settle_malloc() -> None:
    """Return freed heap to the OS before a model is built, so its RSS rise is its own; a no-op off glibc.

    Only a trim: glibc's mmap threshold is left dynamic, as in any PyTorch process. Pinning it low
    (an earlier version did, for cleaner RSS figures) made every activation an mmap + page faults +
    munmap per forward pass: resnet18 at 1 thread took 78 ms instead of 45 ms, and at 2 threads the
    TLB shoot-downs of each munmap made runs of the same model differ by 10-30%."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _import_builder(model_id: str) -> None:
    import importlib

    module = {"timm": "timm", "torchvision": "torchvision.models", "hf": "transformers"}.get(model_id.split(":", 1)[0])
    if module:
        try:
            importlib.import_module(module)
        except ImportError:
            pass  # build_model reports it as the model's failure


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _usable_cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _self_jiffies() -> int | None:
    try:
        parts = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        return int(parts[11]) + int(parts[12])  # utime + stime of all threads
    except (OSError, ValueError, IndexError):
        return None


_RUNTIME_WARM = False


def _warm_runtime() -> None:
    """Run a tiny conv + linear once, so one-time runtime set-up (thread pools, kernel caches, lazily
    loaded libraries) is in the baseline and not charged to the first model measured."""
    global _RUNTIME_WARM
    if _RUNTIME_WARM:
        return
    import torch

    with torch.inference_mode():
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Flatten(), torch.nn.LazyLinear(4))
        for dtype in (None, torch.bfloat16):
            with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                net(torch.randn(1, 3, 32, 32))
    _RUNTIME_WARM = True


def _reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------------- timing


def _percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Timing:
    samples: list[float]  # ms, from the blocks kept
    contention: float | None  # other processes' CPU share over the kept blocks
    discarded_blocks: int = 0


def _others_share(before: tuple, after: tuple, free_share: float = 0.0) -> float | None:
    """Share of *our* cores other processes took: what they used beyond the cores we leave idle
    (`free_share` of the machine, e.g. 0.5 for a 1-thread run on 2 cores), over what we use."""
    (m0, s0), (m1, s1) = before, after
    if not m0 or not m1 or s0 is None or s1 is None or m1[1] <= m0[1]:
        return None
    others = max((m1[0] - m0[0]) - (s1 - s0), 0) / (m1[1] - m0[1])
    return min(max(others - free_share, 0.0) / max(1.0 - free_share, 1e-6), 1.0)


def time_forward(forward: Callable[[], Any], sync: Callable[[], None], s: BenchSettings,
                 watch_cpu: bool = True, free_share: float = 0.0) -> Timing:
    """Per-iteration latencies in ms after warm-up; each sample ends with a device synchronise.

    Samples are taken in blocks of about `block_s`; on a shared CPU a block during which other
    processes took more than `max_contention` of the machine is discarded (and counted), so a
    neighbour's burst does not end up in the median. If no block is clean by `max_time_s`, the
    least contended blocks are kept and the contention is reported with the figure.
    """
    start = time.perf_counter()
    done = 0
    while done < s.warmup_iters or time.perf_counter() - start < s.warmup_s:
        forward()
        done += 1
        if time.perf_counter() - start > s.max_time_s:
            break
    sync()
    blocks: list[tuple[float | None, list[float]]] = []
    kept: list[float] = []
    kept_time = 0.0
    begin = time.perf_counter()
    while True:
        before = (_cpu_jiffies(), _self_jiffies()) if watch_cpu else None
        block: list[float] = []
        block_start = time.perf_counter()
        while time.perf_counter() - block_start < s.block_s or not block:
            t0 = time.perf_counter()
            forward()
            sync()
            block.append((time.perf_counter() - t0) * 1e3)
        share = _others_share(before, (_cpu_jiffies(), _self_jiffies()), free_share) if watch_cpu else None
        blocks.append((share, block))
        if share is None or share <= s.max_contention:
            kept += block
            kept_time += sum(block) / 1e3
        elapsed = time.perf_counter() - begin
        enough = len(kept) >= s.min_iters and kept_time >= s.min_time_s
        if enough or elapsed >= s.max_time_s or len(kept) >= s.max_iters:
            break
    clean = [b for b in blocks if b[0] is None or b[0] <= s.max_contention]
    if not clean:  # never quiet: keep the quietest third and say so through the contention figure
        clean = sorted(blocks, key=lambda b: b[0] or 0.0)[: max(1, len(blocks) // 3)]
    shares = [b[0] for b in clean if b[0] is not None]
    return Timing([x for b in clean for x in b[1]], round(sum(shares) / len(shares), 3) if shares else None,
                  len(blocks) - len(clean))


def _make_inputs(kind: str, shape: tuple[int, ...], batch: int, device: str, channels_last: bool) -> Any:
    import torch

    if kind == "list":
        return [torch.randn(*shape, device=device) for _ in range(batch)]
    x = torch.randn(batch, *shape, device=device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def _quantise_int8(model: Any, example: Any) -> Any:
    """Static FX quantisation of convs/linears (x86/fbgemm engine) with dynamic Linear as the fallback."""
    import torch
    from torch.ao.quantization import get_default_qconfig_mapping, quantize_dynamic

    try:
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

        engine = "x86" if "x86" in torch.backends.quantized.supported_engines else "qnnpack"
        torch.backends.quantized.engine = engine
        prepared = prepare_fx(model, get_default_qconfig_mapping(engine), (example,))
        with torch.inference_mode():
            for _ in range(4):
                prepared(torch.randn_like(example))
        return convert_fx(prepared), f"static FX int8 ({engine})"
    except Exception as exc:  # noqa: BLE001 - untraceable models get dynamic quantisation of Linear layers
        quantised = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return quantised, f"dynamic int8 of Linear layers only (FX tracing failed: {_short(exc)[:80]})"


def measure(model_id: str, settings: BenchSettings) -> BenchResult:
    """Measure one model; never raises for a model's own failure (it is returned as failed)."""
    import torch

    from catalog.sources.model_profile import count_forward

    s = settings
    result = BenchResult(id=model_id, batch_size=s.batch_size, precision=s.precision, requested_batch_size=s.batch_size,
                         layout=s.layout, threads=s.threads or torch.get_num_threads())
    if s.precision not in PRECISIONS:
        return _failed(result, f"precision '{s.precision}' is not one of {', '.join(PRECISIONS)}.")
    if s.device == "cuda" and not torch.cuda.is_available():
        return _failed(result, "--device cuda was asked for but torch sees no CUDA device.")
    if s.precision == "int8" and s.device != "cpu":
        return _failed(result, "int8 runs through PyTorch's CPU quantisation here; use --device cpu.")
    previous_threads = torch.get_num_threads()
    if s.threads:
        torch.set_num_threads(s.threads)
    try:
        if s.device == "cpu":
            _warm_runtime()
        _import_builder(model_id)  # a library's first import is not the model's memory
        gc.collect()
        _settle_malloc()
        baseline = _rss_mb()
        try:
            model, kind, shape, weights = build_model(model_id)
        except BuildError as exc:
            return _failed(result, str(exc))
        if s.img_size:
            shape = (shape[0], s.img_size, s.img_size)
        result.img_size = shape[-1]
        result.notes.append(weights)
        model.eval()
        params = sum(p.numel() for p in model.parameters())
        features = {"params": params, "layers": layer_count(model), "img_size": shape[-1]}
        if kind == "tensor":
            try:
                # No memo: it holds meta-device results, and a real-tensor count of a model built
                # earlier in the process (edgenext) hit them ("Cannot copy out of meta tensor").
                flops, acts, _ = count_forward(model, torch.zeros(1, *shape), memoise=False)
                features.update(gmacs=flops / 2e9, activations_m=acts / 1e6)
            except Exception as exc:  # noqa: BLE001 - features are a bonus; the timing still counts
                result.notes.append(f"GMACs not counted: {_short(exc)[:120]}")
        result.features = features
        return _run_with_backoff(model, kind, shape, s, result, baseline)
    finally:
        torch.set_num_threads(previous_threads)


def _failed(result: BenchResult, error: str) -> BenchResult:
    result.status, result.error = "failed", error
    return result


def _run_with_backoff(model: Any, kind: str, shape: tuple[int, ...], s: BenchSettings, result: BenchResult,
                      baseline: float | None) -> BenchResult:
    import torch

    device = s.device
    batch = s.batch_size
    while True:
        try:
            return _timed(model, kind, shape, s, result, batch, baseline)
        except (torch.OutOfMemoryError, MemoryError) as exc:
            if device == "cuda":
                torch.cuda.empty_cache()
            if batch <= 1:
                return _failed(result, f"out of memory on {device} even at batch size 1.")
            result.notes.append(f"out of memory at batch size {batch}; retried at {batch // 2}")
            batch //= 2
            del exc
        except Exception as exc:  # noqa: BLE001 - one model's failure must not stop the run
            return _failed(result, f"the forward pass failed: {_short(exc)}")


def _timed(model: Any, kind: str, shape: tuple[int, ...], s: BenchSettings, result: BenchResult, batch: int,
           baseline: float | None) -> BenchResult:
    import torch

    device = s.device
    if s.channels_last and kind == "tensor":
        model = model.to(memory_format=torch.channels_last)
    model = model.to(device)
    x = _make_inputs(kind, shape, batch, device, s.channels_last and kind == "tensor")
    if s.precision == "int8":
        if kind != "tensor":
            raise BuildError("int8 quantisation needs a plain tensor-input model.")
        model, how = _quantise_int8(model, x)
        result.notes += [how, INT8_CAVEAT]
    if s.compile:
        model = torch.compile(model)
        result.notes.append("torch.compile (inductor); compile time is spent in warm-up, not timed")
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(s.precision)
    autocast = torch.autocast(device_type=device, dtype=dtype) if dtype else nullcontext()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def forward() -> Any:
        with torch.inference_mode(), autocast:
            return model(x)

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    if device == "cpu":
        _settle_malloc()  # the build's freed temporaries leave the resident set before the peak is reset
    memory_reset = device == "cpu" and _reset_rss_peak()
    machine_cpus = max(_usable_cpus(), 1)
    free_share = max(machine_cpus - torch.get_num_threads(), 0) / machine_cpus
    timing = time_forward(forward, sync, s, watch_cpu=device == "cpu", free_share=free_share)
    samples = timing.samples
    result.contention = timing.contention
    if timing.discarded_blocks:
        result.notes.append(f"{timing.discarded_blocks} timing blocks discarded: other processes used the CPU")
    if timing.contention is not None and timing.contention > s.max_contention:
        result.notes.append(f"measured while other processes used {timing.contention:.0%} of the CPU; figures are inflated")
    if device == "cuda":
        peak = torch.cuda.max_memory_allocated() / 1e6
    elif memory_reset and baseline is not None:
        peak = max((_rss_mb("VmHWM") or 0.0) - baseline, 0.0)
    else:
        peak = None
        result.notes.append("peak memory not measured: /proc/self/clear_refs is unavailable")
    p50 = statistics.median(samples)
    result.batch_size = batch
    result.latency_ms_p50 = round(p50, 4)
    result.latency_ms_p90 = round(_percentile(samples, 0.9), 4)
    result.throughput_per_s = round(batch * 1e3 / p50, 2)
    result.peak_memory_mb = round(peak, 1) if peak is not None else None
    result.iterations = len(samples)
    return result


# ----------------------------------------------------------------------------- running and storing


def record_result(session: Any, result: BenchResult, settings: BenchSettings, device_key: str, fingerprint: dict) -> None:
    """Write one result (ok or failed) as a measured Benchmark row with origin "bench"."""
    from datetime import datetime, timezone

    from catalog.records import BenchmarkRecord, FigureKind, ModelRecord
    from catalog.schema import Benchmark, Model
    from catalog.writer import benchmark_row, write_records

    if session.get(Model, result.id) is None:
        # A model the catalog does not know yet gets a minimal entry so the figure has a home.
        source, _, name = result.id.partition(":")
        f = result.features
        write_records(session, [ModelRecord(
            source=source, name=name, params=f.get("params"), gmacs=f.get("gmacs"), activations_m=f.get("activations_m"),
            input_size=(3, f["img_size"], f["img_size"]) if f.get("img_size") else None, origin=source,
            library=source if source in ("timm", "torchvision") else None, summary="added by advisor bench latency",
        )], origin="bench")
    extra = {"threads": result.threads, "features": result.features, "notes": result.notes,
             "requested_batch_size": result.requested_batch_size, "iterations": result.iterations,
             "contention": result.contention,
             "compiled": settings.compile}
    record = BenchmarkRecord(
        device=device_key, batch_size=result.batch_size, precision=result.precision,
        latency_ms=result.latency_ms_p50, kind=FigureKind.MEASURED, source=f"advisor bench latency on {device_key}",
        latency_p90_ms=result.latency_ms_p90, throughput_per_s=result.throughput_per_s,
        peak_memory_mb=result.peak_memory_mb, img_size=result.img_size, layout=result.layout,
        status=result.status, error=result.error, device_fingerprint=fingerprint, extra=extra,
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    session.add(Benchmark(**benchmark_row(result.id, record, "bench", now)))


def run_latency(store: Any, model_ids: Sequence[str], settings: BenchSettings,
                on_start: Callable[[str], None] | None = None,
                on_result: Callable[[BenchResult], None] | None = None) -> tuple[dict, list[BenchResult]]:
    """Measure each model and commit its row before starting the next (a killed run keeps what finished)."""
    import torch

    from benchmarks.fingerprint import device_key, runtime_fingerprint

    threads = settings.threads or torch.get_num_threads()
    fingerprint = runtime_fingerprint(settings.device, threads, settings.precision, settings.layout, settings.compile)
    key = device_key(settings.device) if settings.device == "cpu" or torch.cuda.is_available() else "cuda:unavailable"
    results = []
    for model_id in model_ids:
        if on_start:
            on_start(model_id)
        result = measure(model_id, settings)
        with store.session() as session:
            record_result(session, result, settings, key, fingerprint)
        results.append(result)
        if on_result:
            on_result(result)
    return {**fingerprint, "device_key": key}, results
