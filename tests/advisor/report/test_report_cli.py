"""`advisor report` as a user runs it, on the fixture catalog: the issue's acceptance query in all
four formats, --models, --run with per-class metrics, usage errors, and no heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pytest
from report_parsing import ids_in_csv, ids_in_html, ids_in_json, ids_in_markdown, markdown_table

from tests.conftest import advisor_script, fixture_records


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    """A store that loads the fixture catalog as its embedded snapshot (so it has a digest)."""
    from catalog.snapshot import write_snapshot

    snap = tmp_path / "snap"
    write_snapshot(fixture_records(), snap, {})
    monkeypatch.setenv("ADVISOR_TEST_SNAPSHOT_DIR", str(snap))
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run_cli(db_url: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    """`advisor --db URL ARGS` in a fresh interpreter; stderr ends with the heavy modules loaded."""
    code = advisor_script(db_url, args, report_heavy=True)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=400, cwd=cwd)


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    """`advisor --db URL ARGS` in this interpreter (fast; no import check): (exit code, stdout, stderr)."""
    from pathlib import Path

    import catalog.snapshot as snapshot
    from advisor.cli import main
    from advisor.cli.context import state

    snap = Path(os.environ["ADVISOR_TEST_SNAPSHOT_DIR"])  # set by the db_url fixture
    monkeypatch.setattr(snapshot, "embedded_data_dir", lambda: snap)

    def run(*args: str) -> tuple[int, str, str]:
        state._store, state.db_url = None, None
        monkeypatch.setattr(sys, "argv", ["advisor", "--db", db_url, *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        finally:
            if state._store is not None:
                state._store.engine.dispose()
            state._store = None
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_acceptance_query_gives_the_same_candidates_in_every_format(db_url, cli, tmp_path):
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("html", "md", "csv", "json")}
    # One run in a fresh interpreter proves the report path imports no torch/timm/...
    done = run_cli(db_url, "report", "--task", "detection", "--edge", "--format", "html", "-o", str(outputs["html"]))
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("HEAVY=[]"), "advisor report must not import torch/timm/..."
    for fmt in ("md", "csv", "json"):
        code, _, err = cli("report", "--task", "detection", "--edge", "--format", fmt, "-o", str(outputs[fmt]))
        assert code == 0, err
    ids = ids_in_csv(outputs["csv"])
    assert ids, "the fixture catalog has detection models that fit an edge device"
    assert ids_in_json(outputs["json"]) == ids
    assert ids_in_markdown(outputs["md"]) == ids
    assert ids_in_html(outputs["html"]) == ids
    # ... and they are the terminal's answer to the same question, in its order.
    code, stdout, _ = cli("recommend", "--task", "detection", "--edge", "--json")
    assert [c["id"] for c in json.loads(stdout)["candidates"]] == ids
    report = json.loads(outputs["json"].read_text())
    assert report["kind"] == "recommend" and report["target"]["device"]
    assert len(report["environment"]["catalog_snapshot_sha256"]) == 64
    assert (tmp_path / "report-accuracy-latency.svg").exists() and (tmp_path / "report-size-params.svg").exists()
    page = outputs["html"].read_text()
    assert 'id="chart-accuracy-latency"' in page and "Provenance" in page and report["environment"]["python"] in page


def test_models_report_is_the_comparison(cli, tmp_path):
    out = tmp_path / "compare.csv"
    code, _, err = cli("report", "--models", "yolov8n,cards:detr-resnet-50,yolov8s", "-o", str(out))
    assert code == 0, err
    code, stdout, _ = cli("compare", "yolov8n", "cards:detr-resnet-50", "yolov8s", "--json")
    assert ids_in_csv(out) == [c["id"] for c in json.loads(stdout)["candidates"]]
    assert set(ids_in_csv(out)) == {"cards:yolov8n", "cards:detr-resnet-50", "cards:yolov8s"}


def _store_probe_run(db_url: str) -> str:
    from catalog.schema import ProbeResult, ProbeRun
    from catalog.store import open_store

    store = open_store(db_url, load_snapshot=False)
    when = datetime(2026, 11, 24, 10, 0, 0)
    with store.session() as session:
        session.add(
            ProbeRun(
                id="run-report-1",
                task="image-classification",
                dataset_path="/data/parts",
                dataset_fingerprint="fp-parts",
                mode="linear",
                device="cpu",
                status="finished",
                started_at=when,
                finished_at=when,
                config={},
                summary={},
            )
        )
        session.flush()
        for model_id, score, per_class in (
            (
                "timm:resnet0.fixture_in1k",
                0.9,
                {
                    "bolt": {"precision": 0.92, "recall": 0.88, "f1": 0.9, "support": 25},
                    "nut": {"precision": 0.88, "recall": 0.92, "f1": 0.9, "support": 25},
                },
            ),
            (
                "timm:vit3.fixture_in1k",
                0.8,
                {
                    "bolt": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 25},
                    "nut": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 25},
                },
            ),
        ):
            session.add(
                ProbeResult(
                    run_id="run-report-1",
                    model_id=model_id,
                    dataset_fingerprint="fp-parts",
                    mode="linear",
                    status="ok",
                    score=score,
                    duration_s=3.0,
                    device="cpu",
                    finished_at=when,
                    metrics={"accuracy": score, "macro_f1": score, "per_class": per_class},
                    hyperparameters={},
                )
            )
    store.engine.dispose()
    return "run-report-1"


def test_run_report_has_probe_results_and_per_class_tables(db_url, cli, tmp_path):
    assert cli("catalog", "stats", "--json")[0] == 0  # creates the store, loads the catalog
    run_id = _store_probe_run(db_url)
    md, csv = tmp_path / "run.md", tmp_path / "run.csv"
    done = run_cli(db_url, "report", "--run", run_id, "-o", str(md))
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("HEAVY=[]"), "reading a probe run must not import torch"
    code, _, err = cli("report", "--run", run_id, "-o", str(csv))
    assert code == 0, err
    frame = pd.read_csv(csv)
    assert set(frame["id"]) == {"timm:resnet0.fixture_in1k", "timm:vit3.fixture_in1k"}
    assert dict(zip(frame["id"], frame["run_accuracy"])) == {
        "timm:resnet0.fixture_in1k": 0.9,
        "timm:vit3.fixture_in1k": 0.8,
    }
    text = md.read_text()
    assert text.startswith("# Probe run run-report-1: image-classification on /data/parts")
    section = text.replace("### Per-class metrics: timm:resnet0.fixture\\_in1k (linear)", "## Per-class resnet0")
    headers, rows = markdown_table(section, "Per-class resnet0")
    assert headers == ["class", "precision", "recall", "f1", "support"] and [r[0] for r in rows] == ["bolt", "nut"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["report", "-o", "r.html"], "exactly one of --task"),
        (["report", "--task", "detection", "--models", "yolov8n", "-o", "r.html"], "got --task and --models"),
        (["report", "--task", "detection", "-o", "r.txt"], "--format html|md|csv|json"),
        (["report", "--run", "no-such-run", "-o", "r.md"], "No probe run 'no-such-run'"),
        (["report", "--task", "detection", "--edge", "--server", "-o", "r.md"], "--edge and --server"),
    ],
)
def test_usage_errors_are_one_sentence_and_exit_2(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(*args)
    assert code == 2, err
    assert message in " ".join(err.split()) and "Traceback" not in err
