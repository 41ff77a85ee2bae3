"""Repeatability of the latency harness and its agreement with torch.utils.benchmark (issue 4, item 2).

For each model: N repeated harness runs (a fresh build each time) interleaved with N
torch.utils.benchmark `blocked_autorange` timings of the same forward pass (same module, input,
thread count, inference mode). Reports the coefficient of variation of the harness medians
(target < 5%) and the ratio of the harness median to torch.utils.benchmark's (target within 10%).

    .venv/bin/python scripts/bench_latency_agreement.py timm:resnet18.a1_in1k --threads 2 --repeats 5

With --bench-json, the p50 of an `advisor bench latency ... --json` document is compared as well:

    .venv/bin/advisor bench latency timm:resnet18.a1_in1k --device cpu --batch-size 1 --json > /tmp/b.json
    .venv/bin/python scripts/bench_latency_agreement.py timm:resnet18.a1_in1k --bench-json /tmp/b.json

On a machine shared with other busy processes, run it under `chrt -f 5` (or when the machine is
quiet): the harness discards contended timing blocks, torch.utils.benchmark cannot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def tub_median_ms(model_id: str, threads: int, min_run_time: float) -> float:
    """torch.utils.benchmark's median for the same forward pass the harness times."""
    import torch
    import torch.utils.benchmark as tb

    from benchmarks.latency import build_model

    model, kind, shape, _ = build_model(model_id)
    model.eval()
    x = torch.randn(1, *shape)
    with torch.inference_mode():
        for _ in range(10):  # warm-up, as the harness does
            model(x)
    timer = tb.Timer(stmt="with torch.inference_mode(): model(x)", globals={"model": model, "x": x, "torch": torch},
                     num_threads=threads, label=model_id)
    return timer.blocked_autorange(min_run_time=min_run_time).median * 1e3


def check(model_id: str, threads: int, repeats: int, min_time: float, bench_json: Path | None) -> dict:
    from benchmarks.latency import BenchSettings, measure

    settings = BenchSettings(threads=threads, min_time_s=min_time)
    ours, theirs = [], []
    for _ in range(repeats):
        r = measure(model_id, settings)
        if r.status != "ok":
            return {"id": model_id, "status": "failed", "error": r.error}
        ours.append(r.latency_ms_p50)
        theirs.append(tub_median_ms(model_id, threads, min_time))
    cv = statistics.stdev(ours) / statistics.mean(ours) if len(ours) > 1 else 0.0
    ratio = statistics.median(ours) / statistics.median(theirs)
    result = {
        "id": model_id, "threads": threads, "repeats": repeats,
        "harness_medians_ms": [round(v, 3) for v in ours], "torch_utils_benchmark_medians_ms": [round(v, 3) for v in theirs],
        "cv_of_medians": round(cv, 4), "harness_over_torch_utils_benchmark": round(ratio, 4),
        "repeatable_within_5pct": cv < 0.05, "agrees_within_10pct": abs(ratio - 1) <= 0.10,
    }
    if bench_json:
        document = json.loads(bench_json.read_text())
        row = next(r for r in document["results"] if r["id"] == model_id)
        cli_ratio = row["latency_ms_p50"] / statistics.median(theirs)
        result.update(cli_p50_ms=row["latency_ms_p50"], cli_p90_ms=row["latency_ms_p90"],
                      cli_over_torch_utils_benchmark=round(cli_ratio, 4), cli_agrees_within_10pct=abs(cli_ratio - 1) <= 0.10)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Harness repeatability and agreement with torch.utils.benchmark.")
    parser.add_argument("models", nargs="*", default=["timm:resnet18.a1_in1k"])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=2.0)
    parser.add_argument("--bench-json", type=Path, default=None)
    args = parser.parse_args(argv)

    import torch

    threads = args.threads or torch.get_num_threads()
    results = [check(m, threads, args.repeats, args.min_time, args.bench_json) for m in args.models]
    print(json.dumps({"load_average": os.getloadavg(), "results": results}, indent=2))
    return 0 if all(r.get("repeatable_within_5pct") and r.get("agrees_within_10pct") for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
