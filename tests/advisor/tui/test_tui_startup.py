"""The first screen in a fresh interpreter: rows arrive and no torch-family module is imported.

Runs scripts/bench_tui_startup.py (one run) so the benchmark itself stays working; the timing is
the script's business, not asserted here (this machine's load varies too much).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "bench_tui_startup.py"


def test_first_rows_without_torch_in_a_fresh_interpreter(store):
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parents[1])}
    out = subprocess.run([sys.executable, str(SCRIPT), "--runs", "1", "--db", store.url, "--json"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["rows_shown"] > 0  # the fixture store, plus the embedded snapshot when one is shipped
    assert report["heavy_modules_at_first_rows"] == []
    assert report["median_s"] > 0


def test_advisor_tui_is_a_command():
    from advisor.cli import app

    result = CliRunner().invoke(app, ["tui", "--help"])
    assert result.exit_code == 0
    assert "terminal UI" in result.output
