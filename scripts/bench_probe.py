"""Probe harness benchmarks: feature-extraction throughput against the bare forward pass, and LogME
agreement with (and speed against) the authors' reference implementation.

    python scripts/bench_probe.py extraction --model resnet50 --images 512 --device auto
    python scripts/bench_probe.py logme --reference /path/to/thuml/LogME/LogME.py

Extraction timing builds the timm architecture with RANDOM weights (pretrained=False): throughput
does not depend on weight values, and nothing here is reported as a model's quality. The data
pipeline is the real one (files decoded by DataLoader workers, the model's own eval transform).
Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _bare_forward(model, shape, device: str, batch_size: int, total: int) -> float:
    """Samples per second of the model alone on device-resident random input (same AMP, layout)."""
    import torch

    from benchmarks.accel import autocast

    x = torch.randn(batch_size, *shape, device=device)
    if device.startswith("cuda"):
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), autocast(device):
        for _ in range(3):
            model(x)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        done = 0
        while done < total:
            model(x)
            done += batch_size
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return done / (time.perf_counter() - start)


def bench_extraction(args) -> dict:
    import timm
    import torch
    from timm.data import create_transform, resolve_data_config

    from benchmarks.accel import default_workers, describe_device, resolve_device
    from benchmarks.datasets import load_dataset
    from benchmarks.features import extract
    from benchmarks.synthetic import draw_image_dataset
    from benchmarks.weights import LoadedModel, ModelSpec

    device = resolve_device(args.device)
    model = timm.create_model(args.model, pretrained=False, num_classes=0).eval().to(device)
    if device.startswith("cuda"):
        model = model.to(memory_format=torch.channels_last)
    data_cfg = resolve_data_config({}, model=model)
    loaded = LoadedModel(ModelSpec(f"timm:{args.model}", "timm", args.model), model, "image", model.num_features,
                         eval_transform=create_transform(**data_cfg), preprocessing="bench")
    with tempfile.TemporaryDirectory() as tmp:
        per_class = max(1, args.images // 4)
        root = draw_image_dataset(Path(tmp) / "bench", classes=4, per_class=per_class, size=args.image_size, fmt="JPEG")
        ds = load_dataset(root)
        samples = ds.train + ds.val
        workers = default_workers(device) if args.workers is None else args.workers
        extract(loaded, samples[: args.batch_size * 2], device, batch_size=args.batch_size, num_workers=workers)  # warm-up
        runs = []
        for _ in range(args.repeats):
            bare = _bare_forward(model, data_cfg["input_size"], device, args.batch_size, len(samples))
            _, ok, seconds = extract(loaded, samples, device, batch_size=args.batch_size, num_workers=workers)
            runs.append({"bare_per_s": round(bare, 2), "extraction_per_s": round(len(samples) / seconds, 2),
                         "ratio": round(len(samples) / seconds / bare, 3)})
    best = max(runs, key=lambda r: r["ratio"])
    return {"benchmark": "feature extraction vs bare forward", "model": args.model,
            "weights": "random (timing only)", "device": describe_device(device), "input_size": data_cfg["input_size"],
            "images": len(samples), "image_file_px": args.image_size, "batch_size": args.batch_size,
            "workers": workers, "torch_threads": torch.get_num_threads(), "runs": runs,
            "median_ratio": float(np.median([r["ratio"] for r in runs])), "best_ratio": best["ratio"]}


def _load_reference(path: Path):
    """Import thuml/LogME's LogME.py; numba's njit becomes a no-op when numba is not installed."""
    if importlib.util.find_spec("numba") is None:
        stub = types.ModuleType("numba")
        stub.njit = lambda f=None, **_: f if f is not None else (lambda g: g)
        sys.modules["numba"] = stub
    spec = importlib.util.spec_from_file_location("thuml_logme", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LogME


def bench_logme(args) -> dict:
    from benchmarks.transferability import logme

    reference = _load_reference(Path(args.reference)) if args.reference else None
    rng = np.random.default_rng(0)
    rows = []
    for n, d, c in [(200, 32, 5), (60, 128, 3), (1000, 256, 20), (5000, 512, 100), (2000, 1024, 10)]:
        y = rng.integers(0, c, n)
        f = (rng.normal(size=(n, d)) + np.eye(c)[y] @ rng.normal(size=(c, d))).astype(np.float32)
        for method in ("fixed_point", "icml"):
            start = time.perf_counter()
            ours = logme(f, y, method=method)
            ours_s = time.perf_counter() - start
            row = {"n": n, "d": d, "classes": c, "method": method, "logme": ours, "seconds": round(ours_s, 4)}
            if reference is not None:
                ref = reference()
                if method == "icml":
                    ref._fit = ref._fit_icml
                start = time.perf_counter()
                expected = float(ref.fit(f, y))
                row.update(reference=expected, reference_seconds=round(time.perf_counter() - start, 4),
                           relative_difference=abs(ours - expected) / abs(expected))
            rows.append(row)
    doc = {"benchmark": "LogME", "reference": args.reference, "rows": rows}
    if reference is not None:
        doc["max_relative_difference"] = max(r["relative_difference"] for r in rows)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    ext = sub.add_parser("extraction", help="extraction throughput vs bare forward")
    ext.add_argument("--model", default="resnet50")
    ext.add_argument("--images", type=int, default=512)
    ext.add_argument("--image-size", type=int, default=320, help="side of the JPEG files written (decode cost)")
    ext.add_argument("--batch-size", type=int, default=64)
    ext.add_argument("--workers", type=int, default=None)
    ext.add_argument("--repeats", type=int, default=3)
    ext.add_argument("--device", default="auto")
    lm = sub.add_parser("logme", help="LogME agreement with the reference implementation, and timing")
    lm.add_argument("--reference", help="path to thuml/LogME's LogME.py")
    args = parser.parse_args()
    doc = bench_extraction(args) if args.what == "extraction" else bench_logme(args)
    json.dump(doc, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
