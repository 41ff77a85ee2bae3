"""The catalog-reading commands as a user runs them: JSON shapes, messages, exit codes, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import advisor_script, fixture_records


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    """A store holding the fixture catalog as its embedded snapshot."""
    from catalog.snapshot import write_snapshot

    snap = tmp_path / "snap"
    write_snapshot(fixture_records(), snap, {})
    monkeypatch.setenv("ADVISOR_TEST_SNAPSHOT_DIR", str(snap))
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run_cli(db_url: str, *args: str, check_modules: bool = False) -> subprocess.CompletedProcess:
    """Run `advisor` in a fresh interpreter, as a user would, loading the fixture snapshot."""
    code = advisor_script(db_url, args, report_heavy=check_modules)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_search_json_shape_and_no_heavy_imports(db_url):
    out = run_cli(db_url, "search", "yolov8", "--task", "detection", "--json", check_modules=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"query", "total", "results"}
    assert doc["total"] == 4
    first = doc["results"][0]
    assert set(first) >= {"id", "name", "source", "tasks", "params", "gmacs", "size_mb", "license", "accuracy"}
    assert first["accuracy"]["metric"] == "box_map" and first["accuracy"]["kind"] == "reported"
    assert "HEAVY=[]" in out.stderr


def test_show_json_carries_provenance_and_no_heavy_imports(db_url):
    out = run_cli(db_url, "show", "yolov8n", "--json", check_modules=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    for key in ("id", "source", "name", "tasks", "domains", "params", "gmacs", "size_mb", "input_size",
                "license", "pretrain_datasets", "metrics", "benchmarks"):
        assert key in doc
    assert doc["id"] == "cards:yolov8n"
    assert {"task", "dataset", "metric", "value", "kind", "source"} <= set(doc["metrics"][0])
    assert {"device", "batch_size", "precision", "latency_ms", "kind"} <= set(doc["benchmarks"][0])
    assert "HEAVY=[]" in out.stderr


def test_read_commands_skip_sqlalchemy_once_the_catalog_exists(db_url):
    """The first command creates the store and loads the snapshot (SQLAlchemy, Alembic); later
    reads go through stdlib sqlite3, which is what keeps a cold `advisor search` under 0.5 s."""
    assert run_cli(db_url, "catalog", "stats").returncode == 0
    watch = ("sqlalchemy", "alembic", "torch")
    for args in (("search", "yolov8", "--json"), ("show", "yolov8n", "--json"), ("catalog", "stats", "--json"),
                 ("recommend", "--task", "detection", "--edge", "--json")):
        code = advisor_script(db_url, args, report_heavy=True, watch=watch)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)
        imported = json.loads(out.stderr.rsplit("HEAVY=", 1)[1])
        assert "sqlalchemy" not in imported and "torch" not in imported, (args, imported)


def test_stats_json(db_url):
    doc = json.loads(run_cli(db_url, "catalog", "stats", "--json").stdout)
    assert set(doc) >= {"models", "models_by_source", "models_by_task", "models_by_domain", "metrics", "benchmarks"}
    assert doc["models"] == len(fixture_records())


@pytest.mark.parametrize(
    "args,message",
    [
        (("show", "no-such-model"), "No model matches 'no-such-model'"),
        (("show", "yolov8"), "matches 4 models"),
        (("search", "--max-params", "lots"), "--max-params takes a count"),
        (("search", "--task", "classification"), "is ambiguous"),
        (("search", "--task", "detecton"), "Did you mean"),
        (("search", "--sort", "speed"), "Cannot sort by 'speed'"),
    ],
)
def test_bad_input_is_one_sentence(db_url, args, message):
    out = run_cli(db_url, *args)
    assert out.returncode == 2
    assert message in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr


def test_damaged_database_is_one_sentence(tmp_path):
    bad = tmp_path / "damaged.db"
    bad.write_bytes(b"\x00garbage" * 512)
    out = run_cli(f"sqlite:///{bad}", "search", "resnet")
    assert out.returncode == 1
    assert "damaged" in out.stderr and "Traceback" not in out.stderr


def test_export_csv_and_jsonl(db_url, tmp_path):
    import pandas as pd

    assert run_cli(db_url, "catalog", "export", str(tmp_path / "all.csv")).returncode == 0
    frame = pd.read_csv(tmp_path / "all.csv")
    assert len(frame) == len(fixture_records()) and "cards:yolov8n" in set(frame["id"])
    assert run_cli(db_url, "catalog", "export", str(tmp_path / "all.jsonl")).returncode == 0
    lines = (tmp_path / "all.jsonl").read_text().splitlines()
    assert len(lines) == len(fixture_records()) and json.loads(lines[0])["metrics"] is not None
    assert run_cli(db_url, "catalog", "export", str(tmp_path / "all.xlsx")).returncode == 2
