"""The built wheel carries the embedded catalog: a fresh store loads it from site-packages alone."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_and_loads_the_embedded_catalog(tmp_path):
    meta = json.loads((ROOT / "data" / "catalog-meta.json").read_text())
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("model_advisor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("model_advisor_data/catalog.jsonl", "model_advisor_data/catalog-meta.json",
                     "catalog/migrations/versions/0001_initial_schema.py", "catalog/migrations/env.py"):
        assert expected in names, expected
    assert any(n.startswith("model_advisor_data/cards/") and n.endswith(".yaml") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a pure-Python wheel: unpacking is installing
    code = (
        "import json, catalog, model_advisor_data\n"
        "from catalog.store import open_store\n"
        "from catalog.queries import catalog_stats\n"
        "store = open_store()\n"
        "with store.session() as s:\n"
        "    stats = catalog_stats(s)\n"
        "print(json.dumps({'catalog': catalog.__file__, 'data': list(model_advisor_data.__path__)[0], 'models': stats['models']}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "ADVISOR_DATA_DIR": str(tmp_path / "userdata")},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout)
    assert found["catalog"].startswith(str(site)) and found["data"].startswith(str(site))
    assert found["models"] == meta["models"]
