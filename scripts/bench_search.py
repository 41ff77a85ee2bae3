"""Cold start of the catalog-reading commands with the embedded catalog.

Each run is a fresh interpreter (`advisor ...` as a user types it). The first run against an empty
store loads the embedded snapshot and is reported separately; the figure that matters is the
median wall time once the store exists. Usage:

    python scripts/bench_search.py [--runs 15] [--command "search resnet"]
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
import time
from pathlib import Path


def wall(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--command", action="append", help="advisor arguments (repeatable)")
    args = parser.parse_args()
    commands = args.command or ["search resnet", "show timm:resnet50.a1_in1k", "catalog stats"]
    advisor = shutil.which("advisor", path=str(Path(sys.executable).parent)) or "advisor"
    data = tempfile.mkdtemp(prefix="advisor-bench-")
    env = {**os.environ, "ADVISOR_DATA_DIR": data}
    env.pop("ADVISOR_DB_URL", None)
    first_load = wall([advisor, "catalog", "stats"], env)
    report = {"first_use_snapshot_load_s": round(first_load, 3), "commands": {}}
    for command in commands:
        argv = [advisor, *command.split()]
        wall(argv, env)  # warm the OS file cache, as on any machine that has run the tool once
        times = [wall(argv, env) for _ in range(args.runs)]
        report["commands"][command] = {
            "median_s": round(statistics.median(times), 3),
            "p90_s": round(sorted(times)[int(0.9 * (len(times) - 1))], 3),
            "runs": args.runs,
        }
    shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
