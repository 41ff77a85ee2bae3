"""Named target devices and the datasheet figures that drive latency estimates for them.

Each figure carries the URL it came from. Peaks are the vendor's dense (non-sparse) figures in
TFLOPS; where a vendor publishes none (CPUs, phone SoCs) the peak is derived from core count x
clock x FP32 FMA lanes of the core (the derivation is written next to the figure). `this` is
the current machine, fingerprinted from /proc without importing torch.

`--edge` means EDGE_DEFAULT and `--server` means SERVER_DEFAULT wherever they appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from benchmarks.estimate import HardwareFigures
from catalog.errors import UsageError

EDGE_DEFAULT = "jetson-orin-nano"
SERVER_DEFAULT = "t4"

# Framework dispatch cost per op at batch 1 (eager PyTorch): CPU ~ tens of microseconds scaled
# by single-core speed; a CUDA kernel launch ~ 5-10 us. Only ratios matter once a fit exists.
_CPU_OP_US_AT_3GHZ = 12.0
_GPU_OP_US = 8.0


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    title: str
    kind: str  # "this" | "edge" | "server"
    processor: str  # "cpu" | "gpu": what runs the model in the estimate
    peak_tflops: dict[str, float]  # precision -> dense peak (TFLOPS, vendor convention)
    memory_bandwidth_gbs: float
    memory_gb: float | None
    cores: int | None = None
    clock_ghz: float | None = None
    precisions: tuple[str, ...] = ("fp32",)
    # Device strings in stored benchmark rows that mean this device (case-insensitive substrings).
    match: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)  # figure -> URL (or "derived: ...")
    notes: str = ""

    def hardware(self) -> HardwareFigures:
        if self.processor == "cpu":
            overhead = _CPU_OP_US_AT_3GHZ * 3.0 / (self.clock_ghz or 3.0)
        else:
            overhead = _GPU_OP_US
        return HardwareFigures(
            processor=self.processor, peak_tflops=dict(self.peak_tflops),
            memory_bandwidth_gbs=self.memory_bandwidth_gbs, op_overhead_us=overhead, cores=self.cores,
        )

    def check_precision(self, precision: str) -> None:
        if precision not in self.precisions:
            raise UsageError(
                f"{self.title} ({self.name}) cannot run {precision}; it runs {', '.join(self.precisions)}."
            )

    def to_dict(self) -> dict:
        return {
            "name": self.name, "title": self.title, "kind": self.kind, "processor": self.processor,
            "peak_tflops": self.peak_tflops, "memory_bandwidth_gbs": self.memory_bandwidth_gbs,
            "memory_gb": self.memory_gb, "cores": self.cores, "clock_ghz": self.clock_ghz,
            "precisions": list(self.precisions), "sources": self.sources, "notes": self.notes,
            "default_for": [flag for flag, n in (("--edge", EDGE_DEFAULT), ("--server", SERVER_DEFAULT)) if n == self.name],
        }


def _cpu_peak(cores: int, ghz: float, fma_lanes: int) -> float:
    """cores x GHz x FP32 FMA lanes x 2 FLOPs per FMA, in TFLOPS."""
    return round(cores * ghz * fma_lanes * 2 / 1000.0, 3)


_NAMED: tuple[DeviceProfile, ...] = (
    DeviceProfile(
        name="raspberry-pi-5", title="Raspberry Pi 5 (BCM2712, 4x Cortex-A76 2.4 GHz)", kind="edge", processor="cpu",
        peak_tflops={"fp32": _cpu_peak(4, 2.4, 8), "int8": _cpu_peak(4, 2.4, 8) * 4},
        memory_bandwidth_gbs=17.1, memory_gb=8.0, cores=4, clock_ghz=2.4, precisions=("fp32", "int8"),
        match=("raspberry", "rpi5", "bcm2712", "cortex-a76"),
        sources={
            "cores_clock": "https://www.raspberrypi.com/products/raspberry-pi-5/",
            "memory": "https://datasheets.raspberrypi.com/rpi5/raspberry-pi-5-product-brief.pdf",
            "peak_tflops": "derived: 4 cores x 2.4 GHz x 8 FP32 FMA lanes (2x128-bit NEON, Arm Cortex-A76 TRM) x 2",
            "memory_bandwidth_gbs": "derived: LPDDR4X-4267 on a 32-bit bus (product brief) = 17.1 GB/s",
        },
        notes="CPU inference (PyTorch/XNNPACK class runtimes); int8 assumes dot-product instructions (4x).",
    ),
    DeviceProfile(
        name="jetson-orin-nano", title="NVIDIA Jetson Orin Nano 8GB (Super, 1024-core Ampere GPU)", kind="edge",
        processor="gpu",
        peak_tflops={"fp32": 2.09, "fp16": 16.6, "bf16": 16.6, "int8": 33.0},
        memory_bandwidth_gbs=102.0, memory_gb=8.0, clock_ghz=1.02, precisions=("fp32", "fp16", "bf16", "int8"),
        match=("orin-nano", "orin nano", "jetson"),
        sources={
            "spec": "https://www.nvidia.com/en-us/autonomous-machines/embedded-systems/jetson-orin/nano-super-developer-kit/",
            "peak_tflops": "derived: 1024 CUDA cores x 1.02 GHz x 2 (fp32); int8 = 67 sparse TOPS / 2 dense; fp16 = int8 / 2",
            "memory_bandwidth_gbs": "https://developer.nvidia.com/embedded/jetson-modules",
        },
        notes="GPU inference with CUDA; figures of the 25 W Super mode.",
    ),
    DeviceProfile(
        name="snapdragon-8-gen-3", title="Qualcomm Snapdragon 8 Gen 3 phone SoC (CPU: 1x X4 + 5x A720 + 2x A520)",
        kind="edge", processor="cpu",
        peak_tflops={"fp32": round(_cpu_peak(1, 3.3, 16) + _cpu_peak(3, 3.15, 8), 3),
                     "fp16": round(2 * (_cpu_peak(1, 3.3, 16) + _cpu_peak(3, 3.15, 8)), 3),
                     "int8": round(4 * (_cpu_peak(1, 3.3, 16) + _cpu_peak(3, 3.15, 8)), 3)},
        memory_bandwidth_gbs=76.8, memory_gb=12.0, cores=4, clock_ghz=3.2, precisions=("fp32", "fp16", "int8"),
        match=("snapdragon", "sm8650", "8 gen 3"),
        sources={
            "spec": "https://www.qualcomm.com/products/mobile/snapdragon/smartphones/snapdragon-8-series-mobile-platforms/snapdragon-8-gen-3-mobile-platform",
            "peak_tflops": "derived: 4 inference threads on X4 (3.3 GHz, 16 FP32 FMA lanes) + 3x A720 (3.15 GHz, 8 lanes) x 2",
            "memory_bandwidth_gbs": "derived: LPDDR5X-4800 (9.6 Gbps) on a 64-bit bus (spec page) = 76.8 GB/s",
        },
        notes="CPU path (XNNPACK class); the Hexagon NPU is faster for supported int8 graphs and is not modelled.",
    ),
    DeviceProfile(
        name="xeon-8480", title="Intel Xeon Platinum 8480+ (Sapphire Rapids), 16 cores used", kind="server",
        processor="cpu",
        peak_tflops={"fp32": _cpu_peak(16, 2.0, 32), "bf16": _cpu_peak(16, 2.0, 32) * 4, "int8": _cpu_peak(16, 2.0, 32) * 8},
        memory_bandwidth_gbs=307.2, memory_gb=256.0, cores=16, clock_ghz=2.0, precisions=("fp32", "bf16", "int8"),
        match=("xeon", "8480", "sapphire"),
        sources={
            "spec": "https://www.intel.com/content/www/us/en/products/sku/231746/intel-xeon-platinum-8480-processor-105m-cache-2-00-ghz/specifications.html",
            "peak_tflops": "derived: 16 cores x 2.0 GHz base x 32 FP32 FMA lanes (2x AVX-512 FMA) x 2; bf16/int8 through AMX (x4/x8)",
            "memory_bandwidth_gbs": "derived: 8 channels DDR5-4800 (spec page) = 307.2 GB/s",
        },
        notes="A 16-core slice of a 56-core socket, the size of a typical inference VM.",
    ),
    DeviceProfile(
        name="t4", title="NVIDIA T4 (Turing, 16 GB)", kind="server", processor="gpu",
        peak_tflops={"fp32": 8.1, "fp16": 65.0, "int8": 130.0}, memory_bandwidth_gbs=320.0, memory_gb=16.0,
        precisions=("fp32", "fp16", "int8"), match=("tesla-t4", "tesla t4", "t4"),
        sources={"spec": "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/t4-tensor-core-datasheet-951643.pdf"},
        notes="No bf16 on Turing.",
    ),
    DeviceProfile(
        name="l4", title="NVIDIA L4 (Ada, 24 GB)", kind="server", processor="gpu",
        peak_tflops={"fp32": 30.3, "fp16": 121.0, "bf16": 121.0, "int8": 242.5}, memory_bandwidth_gbs=300.0,
        memory_gb=24.0, precisions=("fp32", "fp16", "bf16", "int8"), match=("nvidia-l4", "nvidia l4", "l4"),
        sources={"spec": "https://www.nvidia.com/en-us/data-center/l4/",
                 "peak_tflops": "derived: datasheet sparse figures / 2 for tensor precisions"},
    ),
    DeviceProfile(
        name="a10", title="NVIDIA A10 (Ampere, 24 GB)", kind="server", processor="gpu",
        peak_tflops={"fp32": 31.2, "fp16": 125.0, "bf16": 125.0, "int8": 250.0}, memory_bandwidth_gbs=600.0,
        memory_gb=24.0, precisions=("fp32", "fp16", "bf16", "int8"), match=("nvidia-a10", "a10g", "a10"),
        sources={"spec": "https://www.nvidia.com/en-us/data-center/products/a10-gpu/"},
    ),
    DeviceProfile(
        name="a100", title="NVIDIA A100 80GB SXM (Ampere)", kind="server", processor="gpu",
        peak_tflops={"fp32": 19.5, "fp16": 312.0, "bf16": 312.0, "int8": 624.0}, memory_bandwidth_gbs=2039.0,
        memory_gb=80.0, precisions=("fp32", "fp16", "bf16", "int8"), match=("a100",),
        sources={"spec": "https://www.nvidia.com/en-us/data-center/a100/"},
        notes="fp32 convolutions/matmuls may run as TF32 (156 TFLOPS) when allowed.",
    ),
    DeviceProfile(
        name="h100", title="NVIDIA H100 SXM5 80 GB (Hopper)", kind="server", processor="gpu",
        peak_tflops={"fp32": 67.0, "fp16": 989.0, "bf16": 989.0, "int8": 1979.0}, memory_bandwidth_gbs=3350.0,
        memory_gb=80.0, precisions=("fp32", "fp16", "bf16", "int8"), match=("h100",),
        sources={"spec": "https://www.nvidia.com/en-us/data-center/h100/",
                 "peak_tflops": "derived: datasheet dense figures (sparse / 2)"},
    ),
)

_SIMD_FMA_LANES = {"avx512": 32, "avx2": 16, "neon": 8, "sse": 8, "unknown": 8}


def cpu_profile_from_fingerprint(fp: dict, name: str = "this", kind: str = "this") -> DeviceProfile:
    """A CPU profile derived from a fingerprint (the current machine's, or a stored run's)."""
    cores = int(fp.get("cores") or 1)
    ghz = float(fp.get("cpu_mhz") or 2500.0) / 1000.0
    simd = fp.get("simd") or "unknown"
    lanes = _SIMD_FMA_LANES.get(simd, 8)
    peak = _cpu_peak(cores, ghz, lanes)
    model = fp.get("cpu_model") or "unknown CPU"
    return DeviceProfile(
        name=name, title=f"{'this machine: ' if name == 'this' else ''}{model}, {cores} cores", kind=kind,
        processor="cpu", peak_tflops={"fp32": peak, "bf16": peak * 2, "int8": peak * 4},
        memory_bandwidth_gbs=float(min(12.0 * cores, 200.0)), memory_gb=fp.get("memory_gb"), cores=cores,
        clock_ghz=round(ghz, 2), precisions=("fp32", "bf16", "int8") if simd == "avx512" else ("fp32", "int8"),
        sources={
            "fingerprint": "/proc/cpuinfo, /proc/meminfo, sched_getaffinity",
            "peak_tflops": f"derived: {cores} cores x {ghz:.2f} GHz x {lanes} FP32 FMA lanes ({simd}) x 2",
            "memory_bandwidth_gbs": "assumed: 12 GB/s per core (capped at 200); only ratios use it",
        },
        notes="Measured rows for this machine (advisor bench latency) always beat estimates.",
    )


@lru_cache(maxsize=1)
def this_profile() -> DeviceProfile:
    """The current machine's CPU, from its fingerprint; peaks derived, bandwidth assumed."""
    from dataclasses import replace

    from benchmarks.fingerprint import cpu_device_key, cpu_fingerprint

    profile = cpu_profile_from_fingerprint(cpu_fingerprint())
    return replace(profile, match=(cpu_device_key(),))


def list_profiles() -> list[DeviceProfile]:
    """`this` first, then edge, then server targets."""
    return [this_profile(), *_NAMED]


def profile_names() -> list[str]:
    return [p.name for p in list_profiles()]


_ALIASES = {"cpu": "this", "local": "this", "rpi5": "raspberry-pi-5", "raspberry-pi": "raspberry-pi-5",
            "orin-nano": "jetson-orin-nano", "jetson": "jetson-orin-nano", "phone": "snapdragon-8-gen-3",
            "server-cpu": "xeon-8480", "edge": EDGE_DEFAULT, "server": SERVER_DEFAULT}


def get_profile(name: str) -> DeviceProfile:
    """A profile by name (or a common alias); UsageError naming the known ones otherwise."""
    key = (name or "").strip().lower()
    key = _ALIASES.get(key, key)
    if key == "this":
        return this_profile()
    for profile in _NAMED:
        if profile.name == key:
            return profile
    raise UsageError(f"Unknown device '{name}'; known devices: {', '.join(profile_names())}.")
