"""`advisor recommend` and `advisor compare` as a user runs them: a fresh interpreter over a store
holding the fixture catalog, the real device profiles and latency engine, JSON shapes, the human
table, one-sentence errors with exit codes, and no heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import advisor_script, fixture_records


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    """A fixture-catalog snapshot and a store URL shared by the module's runs (read-only use)."""
    from catalog.snapshot import write_snapshot

    base = tmp_path_factory.mktemp("recommend-cli")
    write_snapshot(fixture_records(), base / "snap", {})
    env = {**os.environ, "ADVISOR_TEST_SNAPSHOT_DIR": str(base / "snap"), "ADVISOR_DATA_DIR": str(base / "data"),
           "COLUMNS": "200"}
    env.pop("ADVISOR_DB_URL", None)
    return env, f"sqlite:///{base / 'cli.db'}"


def run_cli(cli_env, *args: str, check_modules: bool = False) -> subprocess.CompletedProcess:
    env, db_url = cli_env
    code = advisor_script(db_url, args, report_heavy=check_modules)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


def test_recommend_detection_edge_json_without_heavy_imports(cli_env):
    out = run_cli(cli_env, "recommend", "--task", "detection", "--edge", "--json", check_modules=True)
    assert out.returncode == 0, out.stderr
    assert "HEAVY=[]" in out.stderr
    doc = json.loads(out.stdout)
    target = doc["target"]
    assert target["device"] == "jetson-orin-nano" and target["batch_size"] == 1 and target["picked_by"] == "--edge"
    budget = target["budget"]["max_latency_ms"]
    assert budget == pytest.approx(33.33, abs=0.01)
    rated = [c for c in doc["candidates"] if c["rated"]]
    assert rated  # how many fit depends on the latency model's calibration; all that are shown must fit
    for c in doc["candidates"]:
        assert c["latency_ms"] <= budget and c["latency_kind"] in ("measured", "estimated")
        assert c["explanation"] and isinstance(c["pareto"], bool)
    for c in rated:
        assert c["accuracy"]["metric"] == "box_map" and c["accuracy"]["source"].startswith("https://")
    assert any(c["pareto"] for c in rated)


def test_recommend_human_output_is_a_table_with_target_line(cli_env):
    out = run_cli(cli_env, "recommend", "--task", "detection", "--edge", "--top", "3")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("Target: NVIDIA Jetson Orin Nano")
    assert "picked by --edge" in text and "30 FPS" in text
    assert "┃ # ┃ model" in text and "Pareto" in text
    assert "1. cards:" in text and "fits 30 FPS on NVIDIA Jetson Orin Nano" in text


def test_recommend_on_this_machine_respects_the_latency_limit(cli_env):
    out = run_cli(cli_env, "recommend", "--task", "image-classification", "--device", "this",
                  "--max-latency-ms", "20", "--top", "200", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["candidates"] and all(c["latency_ms"] <= 20 for c in doc["candidates"])
    assert doc["target"]["device"] == "this"


def test_face_recognition_warnings_are_printed_once_for_all(cli_env):
    out = run_cli(cli_env, "recommend", "--task", "face recognition")
    assert out.returncode == 0, out.stderr
    assert "(all) Face and person recognition carries privacy and bias risks" in " ".join(out.stdout.split())
    assert out.stdout.count("privacy and bias") == 1


@pytest.mark.parametrize("args,needle", [
    (("--task", "detecton"), "Did you mean detection"),
    (("--task", "classification"), "is ambiguous"),
    (("--task", "detection", "--device", "jetsn"), "Unknown device 'jetsn'"),
    (("--task", "detection", "--edge", "--server"), "Choose one target"),
    (("--task", "detection", "--edge", "--max-latency-ms", "0.5"), "the closest: cards:ssdlite-mobilenet needs"),
])
def test_bad_input_is_one_sentence_and_exit_2(cli_env, args, needle):
    out = run_cli(cli_env, "recommend", *args)
    assert out.returncode == 2
    assert needle in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_compare_json_has_every_figure_with_kind_and_source(cli_env):
    out = run_cli(cli_env, "compare", "yolov8n", "cards:detr-resnet-50", "--device", "t4", "--json",
                  check_modules=True)
    assert out.returncode == 0, out.stderr
    assert "HEAVY=[]" in out.stderr
    doc = json.loads(out.stdout)
    assert [c["id"] for c in doc["candidates"]] and doc["target"]["device"] == "t4"
    kinds = {(p["id"], p["figure"]): p["kind"] for p in doc["provenance"]}
    assert kinds[("cards:yolov8n", "latency_ms")] in ("measured", "estimated", "reported")
    assert kinds[("cards:detr-resnet-50", "object-detection/coco-val2017/box_map")] == "reported"
    human = run_cli(cli_env, "compare", "yolov8n", "cards:detr-resnet-50")
    assert human.returncode == 0, human.stderr
    assert "Every figure, its kind and source" in human.stdout
