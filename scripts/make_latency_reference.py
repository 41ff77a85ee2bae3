"""Measure a model set with the latency harness and write it as reference JSONL.

The shipped calibration data in data/reference/latency/ was made with this script, e.g.

    .venv/bin/python scripts/make_latency_reference.py --set calibration --threads 2 \
        --out data/reference/latency/cpu-t2-b1-fp32.jsonl

Each line is one model: its computed features (GMACs, params, activations, layers at the measured
input size), the measured p50/p90/peak memory, the device key and fingerprint. Lines are appended
as models finish; `--resume` skips models already in the file. Runs go through a throwaway store
(or `--db`, to keep them as the user's own bench rows).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def model_set(name: str) -> list[str]:
    sets = json.loads((ROOT / "data" / "reference" / "latency" / "models.json").read_text())
    return list(sets[name])


FEATURE_KEYS = ("gmacs", "activations_m")


def backfill_features(path: Path) -> int:
    """Count GMACs/activations for rows where the harness's count failed (the timing stands).

    The features are properties of the architecture at its input size, not of a pass: a count is
    made once per model (a fresh build, no memo) and written into those rows with a note. Returns
    the number of rows filled."""
    import torch

    from benchmarks.latency import build_model
    from catalog.sources.model_profile import count_forward

    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    counted: dict[tuple[str, int], dict] = {}
    filled = 0
    for row in rows:
        if row.get("status") != "ok" or row.get("gmacs"):
            continue
        key = (row["id"], row["img_size"])
        if key not in counted:
            model, kind, shape, _ = build_model(row["id"])
            model.eval()
            flops, acts, _ = count_forward(model, torch.zeros(1, shape[0], row["img_size"], row["img_size"]), memoise=False)
            counted[key] = {"gmacs": flops / 2e9, "activations_m": acts / 1e6}
        row.update(counted[key])
        row["notes"] = [n for n in row.get("notes", []) if not n.startswith("GMACs not counted")] + [
            "GMACs/activations counted afterwards (scripts/make_latency_reference.py --backfill-features); "
            "the count had failed during the run"]
        filled += 1
    if filled:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="calibration", help="calibration | heldout (data/reference/latency/models.json)")
    parser.add_argument("--models", nargs="*", help="explicit model ids instead of a set")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--min-time", type=float, default=2.0)
    parser.add_argument("--max-time", type=float, default=60.0, help="seconds per model to find quiet timing blocks")
    parser.add_argument("--max-contention", type=float, default=0.1)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--backfill-features", action="store_true",
                        help="only count GMACs/activations for rows of --out where the count failed, then exit")
    parser.add_argument("--db", default=None, help="store URL to keep the rows in (default: a throwaway SQLite)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--passes", type=int, default=1,
                        help="interleaved passes over the set; readers take each model's median over passes, "
                             "which averages out slow drifts of a shared machine")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to sleep after each model (share the CPU)")
    args = parser.parse_args(argv)

    if args.backfill_features:
        print(f"{backfill_features(args.out)} rows filled in {args.out}")
        return 0

    from benchmarks.latency import BenchSettings, run_latency
    from catalog.store import open_store

    ids = args.models or model_set(args.set)
    done: set[str] = set()
    if args.resume and args.out.exists():
        done = {json.loads(line)["id"] for line in args.out.read_text().splitlines() if line.strip()}
    todo = [i for i in ids if i not in done]
    earlier = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()] if args.out.exists() else []
    first_pass = 0 if args.resume else 1 + max((r.get("pass", 0) for r in earlier), default=-1)  # appended passes number on
    current_pass = {"n": first_pass}
    db = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='latref-')}/bench.db"
    store = open_store(db, load_snapshot=False)
    settings = BenchSettings(batch_size=args.batch_size, precision=args.precision, threads=args.threads,
                             min_time_s=args.min_time, max_time_s=args.max_time, max_contention=args.max_contention)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta_path = args.out.with_suffix(".meta.json")
    started = time.time()

    with args.out.open("a") as out:
        def write(result) -> None:
            row = {
                "id": result.id, "status": result.status, "error": result.error,
                "device": fingerprint_holder.get("device_key"), "threads": result.threads,
                "batch_size": result.batch_size, "precision": result.precision, "layout": result.layout,
                "img_size": result.img_size, "latency_ms": result.latency_ms_p50, "latency_p90_ms": result.latency_ms_p90,
                "throughput_per_s": result.throughput_per_s, "peak_memory_mb": result.peak_memory_mb,
                "contention": result.contention, "load_average_1m": round(os.getloadavg()[0], 2),
                "iterations": result.iterations, **result.features,
                "notes": result.notes,
                "device_fingerprint": {k: fingerprint_holder.get(k) for k in ("cpu_model", "cores", "cpu_mhz", "simd", "torch")},
                "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "pass": current_pass["n"],
            }
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"{result.id}: {result.status} p50={result.latency_ms_p50} contention={result.contention}", flush=True)
            if args.pause:
                time.sleep(args.pause)

        import torch

        from benchmarks.fingerprint import device_key, runtime_fingerprint

        fingerprint_holder = {**runtime_fingerprint("cpu", args.threads or torch.get_num_threads(), args.precision, "nchw"),
                              "device_key": device_key("cpu")}
        fingerprint = {}
        for n in range(args.passes):
            current_pass["n"] = first_pass + n
            fingerprint, _ = run_latency(store, todo, settings, on_result=write)
    previous_meta = json.loads(meta_path.read_text()) if meta_path.exists() and earlier else None
    meta = {
        "command": " ".join(shlex.quote(a) for a in [".venv/bin/python", "scripts/make_latency_reference.py", *(argv or sys.argv[1:])]),
        "fingerprint": fingerprint or fingerprint_holder, "models": ids, "seconds": round(time.time() - started, 1),
        "load_average_at_end": os.getloadavg(), "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if previous_meta:  # appended passes: keep how the earlier ones were made
        meta["earlier_runs"] = [*previous_meta.pop("earlier_runs", []), previous_meta]
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
