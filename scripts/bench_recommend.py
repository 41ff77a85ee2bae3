"""Benchmark `advisor recommend`: cold CLI wall time and the ranking engine's p50.

    .venv/bin/python scripts/bench_recommend.py                   # embedded catalog, 7 cold runs, 30 engine rounds
    .venv/bin/python scripts/bench_recommend.py --db sqlite:////tmp/advisor-scale/catalog.db --skip-cold --json
    .venv/bin/python scripts/bench_recommend.py --db sqlite:////tmp/rank-1m.db --synthetic 1000000   # ~7 min to build

Cold: a fresh interpreter runs `advisor recommend --task detection --edge` against a store that
already holds the embedded catalog (the first-use snapshot load is timed separately, once); the
figure is the median wall time of the process, start to exit (target <= 0.5 s, issue 5).
Engine: `advisor.ranking.recommend` in one process over the same store, for several tasks and
targets; p50 per request (target <= 100 ms at 1M models with the scale issue's store; pass
`--db` pointing at the catalog built by scripts/bench_scale.py for that figure).
Every figure is measured on this machine at run time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLD_ARGS = ["recommend", "--task", "detection", "--edge"]
ENGINE_REQUESTS = [
    {"task": "detection", "target": "edge"},
    {"task": "image-classification", "device": "this", "max_latency_ms": 20},
    {"task": "image-classification", "prefer": "accuracy"},
    {"task": "segmentation", "domain": "chest x-ray"},
    {"task": "sentiment", "target": "server"},
    {"task": "asr", "target": "edge"},
    {"task": "face-recognition"},
]


def _advisor(db_url: str, args: list[str], env: dict) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the child, exit code, stderr) of one `advisor` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([str(Path(sys.executable).parent / "advisor"), "--db", db_url, *args],
                         capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.returncode, out.stderr.strip()


def cold_runs(db_url: str, runs: int, env: dict) -> dict:
    first, _, code, err = _advisor(db_url, COLD_ARGS, env)  # creates the store, loads the snapshot if empty
    if code != 0:
        raise SystemExit(f"advisor recommend failed: {err}")
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, code, err = _advisor(db_url, COLD_ARGS, env)
        if code != 0:
            raise SystemExit(f"advisor recommend failed: {err}")
        walls.append(wall)
        cpus.append(cpu)
    walls.sort()
    # CPU time is what the process itself costs; wall time also counts waiting for a busy machine.
    return {"command": "advisor " + " ".join(COLD_ARGS), "first_use_s": round(first, 3),
            "median_s": round(statistics.median(walls), 3), "min_s": round(walls[0], 3),
            "max_s": round(walls[-1], 3), "median_cpu_s": round(statistics.median(cpus), 3), "runs": runs,
            "load_average_1m": round(os.getloadavg()[0], 2), "target_s": 0.5}


def engine_rounds(db_url: str, rounds: int, load_snapshot: bool) -> dict:
    from advisor.ranking import RecommendRequest, recommend
    from catalog.errors import CatalogError
    from catalog.store import open_store

    store = open_store(db_url, load_snapshot=load_snapshot)
    per_request: dict[str, list[float]] = {}
    cpu: list[float] = []  # CPU ms per request: less sensitive than wall time to a busy machine
    per_request_cpu: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    with store.session() as session:
        for spec in ENGINE_REQUESTS:  # warm caches once (latency fits, page cache), as a running TUI would be
            try:
                recommend(session, RecommendRequest(**spec))
            except CatalogError as exc:
                errors[json.dumps(spec)] = str(exc)
        for _ in range(rounds):
            for spec in ENGINE_REQUESTS:
                key = json.dumps(spec)
                if key in errors:
                    continue
                t0, c0 = time.perf_counter(), time.process_time()
                recommend(session, RecommendRequest(**spec))
                per_request.setdefault(key, []).append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                per_request_cpu.setdefault(key, []).append(cpu[-1])
    store.engine.dispose()
    everything = sorted(t for ts in per_request.values() for t in ts)
    return {
        "p50_ms": round(statistics.median(everything), 2) if everything else None,
        "p90_ms": round(everything[int(len(everything) * 0.9) - 1], 2) if everything else None,
        "p50_cpu_ms": round(statistics.median(cpu), 2) if cpu else None,
        "per_request_p50_ms": {k: round(statistics.median(v), 2) for k, v in per_request.items()},
        "per_request_p50_cpu_ms": {k: round(statistics.median(v), 2) for k, v in per_request_cpu.items()},
        "errors": errors, "rounds": rounds, "target_ms": 100,
    }


SYNTHETIC_TASKS = [  # (task, weight, canonical benchmark): a Hub-like mix; 2% of a task's models carry the figure
    ("text-generation", 22, ("mmlu", "accuracy")), ("text-classification", 9, ("sst2", "accuracy")),
    ("text-to-image", 6, None), ("image-classification", 6, ("imagenet-1k", "top1")),
    ("automatic-speech-recognition", 5, ("librispeech-test-clean", "wer")), ("feature-extraction", 4, None),
    ("token-classification", 4, ("conll2003", "f1")), ("object-detection", 2, ("coco-val2017", "box_map")),
    ("image-segmentation", 1, ("ade20k", "miou")), ("face-recognition", 0.02, ("lfw", "accuracy")), (None, 20, None),
]


def build_synthetic(db_path: Path, models: int, seed: int = 0) -> None:
    """A synthetic store of `models` models by bulk insert (rows, task facets, canonical metric rows).

    Only what the ranking query reads is filled in; figures are random and labelled "synthetic".
    scripts/bench_scale.py builds a richer one through the real Hub sync when time allows.
    """
    import random

    from sqlalchemy import insert

    from catalog.schema import Metric, Model, ModelFacet
    from catalog.store import open_store

    db_path.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{db_path}", load_snapshot=False)
    rng = random.Random(seed)
    weights = [t[1] for t in SYNTHETIC_TASKS]
    with store.session() as session:
        rows: dict[str, list] = {"models": [], "facets": [], "metrics": []}

        def flush() -> None:
            session.execute(insert(Model), rows["models"])
            if rows["facets"]:
                session.execute(insert(ModelFacet), rows["facets"])
            if rows["metrics"]:
                session.execute(insert(Metric), rows["metrics"])
            for v in rows.values():
                v.clear()

        for i in range(models):
            task, _, bench = rng.choices(SYNTHETIC_TASKS, weights=weights)[0]
            mid = f"hf:user{i % 5000}/model-{i}"
            params = int(rng.lognormvariate(18, 2))
            rows["models"].append({
                "id": mid, "source": "hf", "name": mid[3:], "tasks": [task] if task else [], "primary_task": task,
                "domains": [], "pretrain_datasets": [], "papers": [], "provenance": {}, "extra": {}, "params": params,
                "gmacs": params / 1e9 * rng.uniform(1, 10) if rng.random() < 0.3 else None,
                "license": rng.choice(["apache-2.0", "mit", None, "other", "cc-by-nc-4.0"]),
                "downloads": int(rng.paretovariate(0.6)) - 1, "search_text": ""})
            if task:
                rows["facets"].append({"facet": "task", "value": task, "model_id": mid})
                if bench and rng.random() < 0.02:
                    rows["metrics"].append({
                        "model_id": mid, "task": task, "dataset": bench[0], "metric": bench[1],
                        "value": rng.uniform(20, 90), "higher_is_better": bench[1] != "wer", "kind": "reported",
                        "origin": "synthetic", "source": "synthetic"})
            if len(rows["models"]) >= 50_000:
                flush()
        if rows["models"]:
            flush()
    store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store URL (default: a fresh SQLite store loaded from the embedded catalog)")
    parser.add_argument("--runs", type=int, default=7, help="cold CLI runs")
    parser.add_argument("--rounds", type=int, default=30, help="engine rounds over the request mix")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--synthetic", type=int, metavar="N",
                        help="build a synthetic N-model store at --db's path first (SQLite; implies --skip-cold)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="bench-recommend-")
    env = {**os.environ, "ADVISOR_DATA_DIR": tmp.name}
    env.pop("ADVISOR_DB_URL", None)
    db_url = args.db or f"sqlite:///{Path(tmp.name) / 'catalog.db'}"
    if args.synthetic:
        from sqlalchemy.engine import make_url

        started = time.perf_counter()
        build_synthetic(Path(make_url(db_url).database), args.synthetic)
        print(f"built a synthetic {args.synthetic}-model store in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        args.skip_cold = True
    report: dict = {"db": db_url, "cpus": os.cpu_count()}
    if not args.skip_cold:
        report["cold_cli"] = cold_runs(db_url, args.runs, env)
    else:
        from catalog.store import open_store

        open_store(db_url, load_snapshot=args.db is None).engine.dispose()
    # A store given with --db is measured as it is (the embedded snapshot is never loaded into it).
    report["engine"] = engine_rounds(db_url, args.rounds, load_snapshot=args.db is None)
    report["engine"]["load_average_1m"] = round(os.getloadavg()[0], 2)
    from catalog.queries import catalog_stats
    from catalog.store import open_store

    store = open_store(db_url, load_snapshot=args.db is None)
    with store.session() as session:
        report["catalog_models"] = catalog_stats(session)["models"]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"catalog: {report['catalog_models']} models ({db_url})")
    if "cold_cli" in report:
        c = report["cold_cli"]
        print(f"cold `{c['command']}`: median {c['median_s']:.3f} s wall, {c['median_cpu_s']:.3f} s CPU (min "
              f"{c['min_s']:.3f}, max {c['max_s']:.3f}, {c['runs']} runs; first use incl. snapshot load "
              f"{c['first_use_s']:.3f} s; load average {c['load_average_1m']}); target <= 0.5 s")
    e = report["engine"]
    print(f"engine ranking: p50 {e['p50_ms']} ms wall ({e['p50_cpu_ms']} ms CPU), p90 {e['p90_ms']} ms over {e['rounds']} rounds (load average "
          f"{e['load_average_1m']}); target p50 <= 100 ms")
    for key, p50 in e["per_request_p50_ms"].items():
        print(f"  {p50:8.2f} ms wall {e['per_request_p50_cpu_ms'][key]:8.2f} ms CPU  {key}")
    for key, err in e["errors"].items():
        print(f"  error      {key}: {err}")


if __name__ == "__main__":
    main()
