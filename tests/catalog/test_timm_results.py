"""timm results/benchmark table import: small fixture tables in timm's published formats
(tests/fixtures/timm_results) and, where shipped, timm's real tables (data/reference/timm-results)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.sources.timm_results import (
    REFERENCE_COMMIT,
    github_url,
    import_timm_results,
    load_reference_metrics,
    parse_benchmark_table,
    reference_dir,
)
from tests.conftest import make_record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "timm_results"
TAGS = {  # tag -> input size the catalog knows
    "eva_giant_patch14_560.m30m_ft_in22k_in1k": 560, "resnet50.a1_in1k": 224, "resnet18.a1_in1k": 224,
    "resnet18.tv_in1k": 224, "resnet18.fb_ssl_yfcc100m_ft_in1k": 224, "mobilenetv3_large_100.ra_in1k": 224,
}


@pytest.fixture
def timm_store(empty_store):
    from catalog.writer import write_records

    with empty_store.session() as session:
        write_records(session, [
            make_record("timm", tag, architecture=tag.split(".")[0], input_size=(3, size, size), origin="timm")
            for tag, size in TAGS.items()
        ], origin="timm")
    return empty_store


def _metrics(store, model_id: str) -> dict:
    from catalog.queries import get_model

    with store.session() as session:
        detail = get_model(session, model_id)
    return {(m.dataset, m.metric): m for m in detail.metrics}, detail.benchmarks


def test_accuracy_tables_become_metric_rows_with_source(timm_store):
    with timm_store.session() as session:
        summary = import_timm_results(session, [str(FIXTURES / "results-imagenet.csv"), str(FIXTURES / "results-sketch.csv")])
    imagenet, sketch = summary.files
    assert (imagenet.rows, imagenet.matched, imagenet.unmatched, imagenet.bad_rows) == (6, 5, 1, 1)
    assert imagenet.unmatched_examples == ["not_in_catalog.some_tag"]
    assert (sketch.matched, sketch.figures) == (2, 4)
    metrics, _ = _metrics(timm_store, "timm:eva_giant_patch14_560.m30m_ft_in22k_in1k")
    top1 = metrics[("imagenet-1k", "top1")]
    assert top1.value == 89.786 and top1.kind == "reported"
    assert top1.source == github_url("results-imagenet.csv")
    assert top1.extra["published"] == "89.786" and top1.extra["param_count_m"] == 1014.45
    assert metrics[("imagenet-1k", "top5")].value == 98.992
    assert metrics[("imagenet-sketch", "top1")].value == 67.5
    # the canonical image-classification benchmark (tasks.py) is imagenet-1k top1
    from advisor.tasks import TASKS

    canonical = TASKS["image-classification"].benchmarks[0]
    assert (canonical.dataset, canonical.metric) in metrics


def test_reimport_replaces_only_its_own_rows(timm_store):
    from catalog.records import MetricRecord
    from catalog.writer import write_records

    with timm_store.session() as session:
        write_records(session, [make_record("timm", "resnet18.tv_in1k", architecture="resnet18", input_size=(3, 224, 224),
                                            metrics=(MetricRecord("image-classification", "imagenet-1k", "top1", 69.758, source="timm"),))],
                      origin="timm")
        import_timm_results(session, [str(FIXTURES / "results-imagenet.csv"), str(FIXTURES / "results-sketch.csv")])
        import_timm_results(session, [str(FIXTURES / "results-imagenet.csv")])
    metrics, _ = _metrics(timm_store, "timm:resnet50.a1_in1k")
    assert ("imagenet-sketch", "top1") in metrics  # the sketch table's rows survive an imagenet re-import
    from catalog.queries import get_model

    with timm_store.session() as session:
        rows = [(m.value, m.source) for m in get_model(session, "timm:resnet18.tv_in1k").metrics if m.metric == "top1"]
    assert sorted(rows) == [(69.758, "timm"), (69.76, github_url("results-imagenet.csv"))]


def test_benchmark_file_name_and_size_matching(timm_store):
    rows, bad = parse_benchmark_table((FIXTURES / "benchmark-infer-fp32-nchw-pt240-cpu-i7_12700h-dynamo.csv").read_text(),
                                      "benchmark-infer-fp32-nchw-pt240-cpu-i7_12700h-dynamo.csv", "src")
    assert bad == 0 and len(rows) == 7
    arch, bench = rows[3]
    assert (arch, bench.device, bench.precision, bench.layout, bench.batch_size, bench.img_size, bench.latency_ms) == \
        ("resnet18", "cpu-i7_12700h", "fp32", "nchw", 1, 224, 16.046)
    assert bench.extra["compiled"] is True and bench.throughput_per_s == 62.22
    with timm_store.session() as session:
        summary = import_timm_results(session, [str(FIXTURES / "benchmark-infer-fp32-nchw-pt240-cpu-i7_12700h-dynamo.csv"),
                                                str(FIXTURES / "benchmark-train-amp-nhwc-pt112-cu113-rtx3090.csv")])
    infer, train = summary.files
    # resnet18@224 -> 3 resnet18 tags; mobilenetv3@224 -> 1; resnet18@160/288, resnet50@160, mv3@256, not_an_arch: unmatched
    assert (infer.matched, infer.unmatched, infer.figures) == (2, 5, 4)
    assert (train.matched, train.figures) == (2, 4)
    for tag in ("resnet18.a1_in1k", "resnet18.tv_in1k", "resnet18.fb_ssl_yfcc100m_ft_in1k"):
        _, benchmarks = _metrics(timm_store, f"timm:{tag}")
        devices = {(b.device, b.img_size, b.latency_ms) for b in benchmarks}
        assert ("cpu-i7_12700h", 224, 16.046) in devices and ("cu113-rtx3090/train", 224, 79.742) in devices


def test_bad_inputs_are_one_sentence_errors(timm_store, tmp_path):
    from catalog.errors import SourceError, UsageError

    bogus = tmp_path / "results-imagenet.csv"
    bogus.write_text("name,score\nx,1\n")
    with timm_store.session() as session:
        with pytest.raises(UsageError, match="not a timm results table"):
            import_timm_results(session, [str(bogus)])
        with pytest.raises(UsageError, match="is not a file"):
            import_timm_results(session, [str(tmp_path / "missing.csv")])
        with pytest.raises(SourceError, match="offline"):
            import_timm_results(session, ["http://127.0.0.1:9/results-imagenet.csv"])


def test_cli_import_then_show_prints_published_figures(tmp_path, monkeypatch):
    from catalog.store import open_store
    from catalog.writer import write_records

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    store = open_store(db, load_snapshot=False)
    with store.session() as session:
        write_records(session, [make_record("timm", t, architecture=t.split(".")[0], input_size=(3, s, s)) for t, s in TAGS.items()], origin="timm")
    store.engine.dispose()
    run = [sys.executable, "-c", "from advisor.cli import main; main()", "--db", db]
    out = subprocess.run(run + ["catalog", "import", "timm-results", str(FIXTURES / "results-imagenet.csv"), "--json"],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["models_updated"] == 5
    shown = subprocess.run(run + ["show", "timm:resnet18.tv_in1k"], capture_output=True, text=True, check=True).stdout
    assert "69.76" in shown and "89.08" in shown
    missing = subprocess.run(run + ["catalog", "import", "timm-results", str(tmp_path / "nope.csv")], capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "is not a file" in " ".join(missing.stderr.split())


@pytest.mark.skipif(not (reference_dir() / "results-imagenet.csv").exists(), reason="timm's reference tables are not shipped")
def test_reference_tables_load_exactly_as_published():
    path = reference_dir() / "results-imagenet.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    reference = load_reference_metrics()
    assert len(rows) > 500
    for row in rows:
        metrics = {(m.dataset, m.metric): m for m in reference[row["model"].lower()]}
        top1, top5 = metrics[("imagenet-1k", "top1")], metrics[("imagenet-1k", "top5")]
        assert top1.value == float(row["top1"]) and top5.value == float(row["top5"])
        assert top1.extra["published"] == row["top1"]
        assert top1.source == github_url("results-imagenet.csv", REFERENCE_COMMIT)
