"""Start-up of `advisor tui` to its first catalog rows, and when torch gets imported.

Each run is a fresh interpreter that imports the TUI, opens the store and runs the app headless
at 160x45 until the browse table holds rows; the time is wall clock from spawning the process to
that moment (interpreter start, imports, store open, first page query, first paint). The first
run against an empty data directory also loads the embedded snapshot and is reported apart; the
target (<= 1.5 s) is for the median of the runs after it. Each run also lists which of torch,
torchvision, timm, transformers and ray were imported by then (there must be none).

With --probe-check, one more run starts a probe from the Probe tab (a k-NN probe of a timm test
model on a small drawn image folder) and reports that torch was absent before and present after.

    python scripts/bench_tui_startup.py [--runs 10] [--db URL] [--probe-check] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

HEAVY = ("torch", "torchvision", "timm", "transformers", "ray")

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, resource, sys, time
    from advisor.tui.app import AdvisorApp

    HEAVY = {heavy!r}

    async def main():
        app = AdvisorApp(os.environ.get("ADVISOR_DB_URL"))
        async with app.run_test(size=(160, 45)) as pilot:
            table = app.query_one("#models")
            deadline = time.time() + 60
            while table.row_count == 0 and time.time() < deadline:
                await asyncio.sleep(0.002)
            await pilot.pause()  # one more refresh: the rows are painted
            usage = resource.getrusage(resource.RUSAGE_SELF)
            out = {{"rows_at": time.time(), "rows": table.row_count, "cpu_s": usage.ru_utime + usage.ru_stime,
                    "heavy_modules": sorted(m for m in HEAVY if m in sys.modules)}}
            if os.environ.get("BENCH_PROBE_DATASET"):
                await app.action_show_tab("probe")
                pane = app.pane("probe")
                app.toggle_picked(os.environ["BENCH_PROBE_MODEL"])
                app.query_one("#p-path").value = os.environ["BENCH_PROBE_DATASET"]
                app.query_one("#p-mode").value = "knn"
                out["torch_before_probe"] = "torch" in sys.modules
                pane.start()
                await app.workers.wait_for_complete()
                await pilot.pause()
                out["torch_after_probe"] = "torch" in sys.modules
                out["probe_state"] = str(app.query_one("#p-state").render())
                out["probe_results"] = [r.get("status") for r in pane.results]
            print("BENCH " + json.dumps(out), flush=True)

    asyncio.run(main())
    """
)


def run_once(env: dict) -> dict:
    started = time.time()
    proc = subprocess.run([sys.executable, "-c", CHILD.format(heavy=HEAVY)], env=env, capture_output=True, text=True,
                          timeout=600)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"the TUI run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(line[len("BENCH "):])
    result["first_rows_s"] = round(result.pop("rows_at") - started, 3)
    return result


def probe_fixture(folder: str) -> tuple[str, str]:
    """A drawn 4-class image folder, and a timm test model id (weights need not be present:
    the point is when torch is imported, not the probe's score)."""
    from benchmarks.synthetic import draw_image_dataset

    return str(draw_image_dataset(os.path.join(folder, "shapes"), classes=4, per_class=8)), "timm:test_resnet.r160_in1k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--db", help="catalog URL (default: the embedded catalog in a fresh data directory)")
    parser.add_argument("--probe-check", action="store_true", help="also start a probe and check torch loads then")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="advisor-tui-bench-")
    env = {**os.environ, "ADVISOR_DATA_DIR": data, "HF_HUB_OFFLINE": "1"}
    env.pop("ADVISOR_DB_URL", None)
    if args.db:
        env["ADVISOR_DB_URL"] = args.db
    try:
        first = run_once(env)  # an empty data directory: this one loads the embedded snapshot
        runs = [run_once(env) for _ in range(args.runs)]
        times = sorted(r["first_rows_s"] for r in runs)
        report = {
            "catalog": args.db or "embedded snapshot",
            "first_use_s": first["first_rows_s"],
            "median_s": round(statistics.median(times), 3),
            "p90_s": round(times[int(0.9 * (len(times) - 1))], 3),
            "min_s": times[0], "max_s": times[-1], "runs": args.runs,
            # CPU seconds the process used by then: what the wall time would approach on an idle machine.
            "median_cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3),
            "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "rows_shown": runs[-1]["rows"],
            "heavy_modules_at_first_rows": sorted({m for r in [first, *runs] for m in r["heavy_modules"]}),
            "target_s": 1.5,
        }
        if args.probe_check:
            dataset, model = probe_fixture(data)
            probe = run_once({**env, "BENCH_PROBE_DATASET": dataset, "BENCH_PROBE_MODEL": model})
            report["probe_check"] = {k: probe[k] for k in ("torch_before_probe", "torch_after_probe", "probe_state",
                                                           "probe_results")}
    finally:
        shutil.rmtree(data, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"advisor tui, first rows at 160x45 ({report['catalog']}, {report['rows_shown']} rows shown)")
    print(f"  first use (loads the snapshot): {report['first_use_s']:.3f} s")
    print(f"  median of {args.runs}: {report['median_s']:.3f} s  (p90 {report['p90_s']:.3f}, "
          f"min {report['min_s']:.3f}, max {report['max_s']:.3f}; target <= {report['target_s']} s)")
    print(f"  CPU used by then (median): {report['median_cpu_s']:.3f} s; load average {report['load_average_1m']} "
          f"on {report['cpus']} CPUs")
    print(f"  heavy modules imported by then: {report['heavy_modules_at_first_rows'] or 'none'}")
    if "probe_check" in report:
        print(f"  probe check: {report['probe_check']}")


if __name__ == "__main__":
    main()
