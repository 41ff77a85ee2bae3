"""Held-out accuracy of latency and memory estimates on this machine (issue 4, item 5).

Calibrate on one model set, estimate models that were NOT in it, compare with their measurements:
% of latency estimates within +-10%, Spearman rank correlation, % of memory estimates within 20%.
A GMACs-only fit (latency = a * GMACs + b) on the same data is the baseline.

Two scenarios, both at batch 1 fp32 on this CPU:

  shipped:  calibration = the shipped reference (data/reference/latency/cpu-t2-b1-fp32.jsonl,
            2 threads), held out = data/reference/latency/heldout/cpu-t2-b1-fp32.jsonl.
  user-t1:  the user's own `advisor bench latency --threads 1` runs on the calibration set (a
            thread count the shipped reference does not cover), then estimates for the held-out
            models at --threads 1 through the real path (a store, latency_table), compared with
            their measurements at 1 thread.

Held-out models are estimated from catalog-style features (GMACs, params, activations, input
size, family) without the layer count the harness records, because catalog entries do not have it.

    .venv/bin/python scripts/bench_estimate_accuracy.py [--json]

The `user-t1` files in data/reference/latency/user-t1/ stand in for the user's own bench runs (made
with scripts/make_latency_reference.py --threads 1 under `chrt -f 5`); they are never calibration
data for anyone else (only top-level data/reference/latency/*.jsonl are).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.estimate import ModelFeatures, Observation, fit  # noqa: E402

REFERENCE = ROOT / "data" / "reference" / "latency"


def load(path: Path) -> dict[str, dict]:
    """Reference JSONL -> {id: row with the median latency / memory over passes}."""
    rows: dict[str, list[dict]] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line) if line.strip() else None
        if row and row.get("status") == "ok" and row.get("gmacs") and row.get("latency_ms"):
            rows.setdefault(row["id"], []).append(row)
    merged = {}
    for model_id, passes in rows.items():
        row = dict(passes[0])
        row["latency_ms"] = statistics.median(r["latency_ms"] for r in passes)
        memory = [r["peak_memory_mb"] for r in passes if r.get("peak_memory_mb")]
        row["peak_memory_mb"] = statistics.median(memory) if memory else None
        row["passes"] = len(passes)
        merged[model_id] = row
    return merged


def repeatability(path: Path) -> dict:
    """How well the measurements agree with themselves across passes: the ceiling for any estimate.
    `pass_within_10pct`: how often one pass lands within +-10% of the median of the other passes."""
    runs: dict[str, list[float]] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line) if line.strip() else None
        if row and row.get("status") == "ok" and row.get("latency_ms"):
            runs.setdefault(row["id"], []).append(row["latency_ms"])
    hits, cvs = [], []
    for values in runs.values():
        if len(values) < 2:
            continue
        hits += [abs(x / statistics.median(values[:i] + values[i + 1:]) - 1) <= 0.10 for i, x in enumerate(values)]
        cvs.append(statistics.stdev(values) / statistics.mean(values))
    if not cvs:
        return {}
    return {"models": len(cvs), "pass_within_10pct": round(sum(hits) / len(hits), 3),
            "median_cv": round(statistics.median(cvs), 3), "share_cv_below_5pct": round(sum(c < 0.05 for c in cvs) / len(cvs), 3)}


def features(row: dict, with_layers: bool = True) -> ModelFeatures:
    return ModelFeatures(row["id"], row["gmacs"], row["params"] / 1e6, row.get("activations_m"),
                         row.get("layers") if with_layers else None, None, row.get("img_size"))


def scores(predicted: list[float], measured: list[float]) -> dict:
    from scipy.stats import spearmanr

    p, y = np.asarray(predicted), np.asarray(measured)
    rel = np.abs(p / y - 1)
    return {"n": len(y), "within_10pct": round(float(np.mean(rel <= 0.10)), 3),
            "median_abs_error_pct": round(float(np.median(rel) * 100), 1),
            "spearman": round(float(spearmanr(p, y).statistic), 4)}


def gmacs_only(cal: dict[str, dict], held: dict[str, dict]) -> dict:
    x = np.array([r["gmacs"] for r in cal.values()])
    y = np.array([r["latency_ms"] for r in cal.values()])
    a, b = np.polyfit(x, y, 1)
    return scores([a * r["gmacs"] + b for r in held.values()], [r["latency_ms"] for r in held.values()])


def evaluate_fit(cal: dict[str, dict], held: dict[str, dict]) -> dict:
    """Calibrate on `cal` (the harness's features) and estimate `held` (catalog features)."""
    fitted = fit([Observation(features(r), r["latency_ms"], r.get("peak_memory_mb")) for r in cal.values()])
    held_features = [features(r, with_layers=False) for r in held.values()]
    predicted = fitted.predict(held_features)
    result = scores(list(predicted), [r["latency_ms"] for r in held.values()])
    memory = fitted.predict_memory(held_features)
    measured_memory = [r.get("peak_memory_mb") for r in held.values()]
    pairs = [(m, t) for m, t in zip(memory, measured_memory) if t]
    result["memory_within_20pct"] = round(float(np.mean([abs(m / t - 1) <= 0.2 for m, t in pairs])), 3)
    inside = [lo <= r["latency_ms"] <= hi for r, p, (lo, hi) in
              zip(held.values(), predicted, ((p * a, p * b) for p, (a, b) in zip(predicted, map(fitted.range_factors, held_features))))]
    result["measured_inside_range"] = round(float(np.mean(inside)), 3)
    result["per_model"] = {r["id"]: {"measured_ms": round(r["latency_ms"], 2), "estimated_ms": round(float(p), 2)}
                           for r, p in zip(held.values(), predicted)}
    return result


def calibration_loo(cal: dict[str, dict]) -> dict:
    """Leave-one-out on the calibration set alone (each model predicted as a catalog entry by a fit
    on the others): the figure the predictor's design choices were made on, never the held-out set."""
    ids = list(cal)
    predicted = []
    for left_out in ids:
        fitted = fit([Observation(features(cal[i]), cal[i]["latency_ms"], cal[i].get("peak_memory_mb")) for i in ids if i != left_out],
                     with_range=False)
        predicted.append(fitted.predict([features(cal[left_out], with_layers=False)])[0])
    return scores(predicted, [cal[i]["latency_ms"] for i in ids])


def end_to_end(cal: dict[str, dict], held: dict[str, dict], threads: int) -> dict:
    """The user's path: bench rows in a store, held-out models as catalog entries, latency_table."""
    from advisor.latency import latency_table
    from benchmarks.fingerprint import cpu_device_key, cpu_fingerprint
    from catalog.records import BenchmarkRecord, FigureKind, ModelRecord
    from catalog.store import open_store
    from catalog.writer import write_records

    store = open_store(f"sqlite:///{tempfile.mkdtemp(prefix='estacc-')}/s.db", load_snapshot=False)
    key, fp = cpu_device_key(), {**cpu_fingerprint(), "threads": threads}
    records = []
    for r in cal.values():
        source, _, name = r["id"].partition(":")
        bench = BenchmarkRecord(device=key, batch_size=1, precision="fp32", latency_ms=r["latency_ms"], kind=FigureKind.MEASURED,
                                peak_memory_mb=r.get("peak_memory_mb"), device_fingerprint=fp, img_size=r.get("img_size"),
                                extra={"threads": threads, "features": {k: r.get(k) for k in ("gmacs", "params", "activations_m", "layers", "img_size")}})
        records.append(ModelRecord(source=source, name=name, gmacs=r["gmacs"], params=r["params"], activations_m=r.get("activations_m"),
                                   input_size=(3, r["img_size"], r["img_size"]), benchmarks=(bench,)))
    for r in held.values():
        source, _, name = r["id"].partition(":")
        records.append(ModelRecord(source=source, name=name, gmacs=r["gmacs"], params=r["params"],
                                   activations_m=r.get("activations_m"), input_size=(3, r["img_size"], r["img_size"])))
    with store.session() as s:
        write_records(s, records, origin="bench")
    with store.session() as s:
        table = latency_table(s, list(held), "this", threads=threads)
    kinds = {f.kind for f in table.values()}
    result = scores([table[i].latency_ms for i in held], [held[i]["latency_ms"] for i in held])
    memory = [(table[i].memory_mb, held[i].get("peak_memory_mb")) for i in held if held[i].get("peak_memory_mb")]
    result["memory_within_20pct"] = round(float(np.mean([abs(m / t - 1) <= 0.2 for m, t in memory])), 3)
    result["kinds"] = sorted(kinds)
    result["basis"] = next(iter(table.values())).source
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Held-out accuracy of latency/memory estimates.")
    parser.add_argument("--calibration", type=Path, default=REFERENCE / "cpu-t2-b1-fp32.jsonl")
    parser.add_argument("--heldout", type=Path, default=REFERENCE / "heldout" / "cpu-t2-b1-fp32.jsonl")
    parser.add_argument("--t1-calibration", type=Path, default=REFERENCE / "user-t1" / "calibration-cpu-t1-b1-fp32.jsonl",
                        help="the user's bench runs at --threads 1 on the calibration set")
    parser.add_argument("--t1-heldout", type=Path, default=REFERENCE / "user-t1" / "heldout-cpu-t1-b1-fp32.jsonl",
                        help="measurements of the held-out set at --threads 1")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    report: dict = {}
    cal, held = load(args.calibration), load(args.heldout)
    held = {k: v for k, v in held.items() if k not in cal}
    report["shipped_t2"] = {"estimate": evaluate_fit(cal, held), "gmacs_only": gmacs_only(cal, held),
                            "calibration_loo": calibration_loo(cal),
                            "calibration_models": len(cal), "heldout_models": len(held),
                            "measurement_repeatability": repeatability(args.heldout)}
    if args.t1_calibration.exists() and args.t1_heldout.exists():
        cal1, held1 = load(args.t1_calibration), load(args.t1_heldout)
        held1 = {k: v for k, v in held1.items() if k not in cal1}
        report["user_t1"] = {"estimate": evaluate_fit(cal1, held1), "gmacs_only": gmacs_only(cal1, held1),
                             "end_to_end": end_to_end(cal1, held1, threads=1), "calibration_loo": calibration_loo(cal1),
                             "calibration_models": len(cal1), "heldout_models": len(held1),
                             "measurement_repeatability": repeatability(args.t1_heldout)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, block in report.items():
            e, g = block["estimate"], block["gmacs_only"]
            print(f"{name}: {block['calibration_models']} calibration models, {block['heldout_models']} held out")
            print(f"  estimate   : {e['within_10pct']:.0%} within +-10%, Spearman {e['spearman']:.3f}, "
                  f"median error {e['median_abs_error_pct']}%, memory {e['memory_within_20pct']:.0%} within 20%, "
                  f"{e['measured_inside_range']:.0%} of measurements inside the stated range")
            print(f"  GMACs-only : {g['within_10pct']:.0%} within +-10%, Spearman {g['spearman']:.3f}")
            c = block["calibration_loo"]
            print(f"  design     : calibration-set leave-one-out {c['within_10pct']:.0%} within +-10%, Spearman {c['spearman']:.3f} "
                  f"(the figure design choices were made on)")
            rep = block.get("measurement_repeatability") or {}
            if rep:
                print(f"  ceiling    : a held-out measurement pass lands within +-10% of its other passes' median "
                      f"{rep['pass_within_10pct']:.0%} of the time (median CV {rep['median_cv']:.1%}) on this machine")
            if "end_to_end" in block:
                t = block["end_to_end"]
                print(f"  via store + latency_table: {t['within_10pct']:.0%} within +-10%, Spearman {t['spearman']:.3f}, "
                      f"memory {t['memory_within_20pct']:.0%} within 20% ({t['basis']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
