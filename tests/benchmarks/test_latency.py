"""The latency harness on timm's tiny test_* models: timing, failures, storage, precisions, back-off."""

from __future__ import annotations

import json
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from benchmarks.latency import (  # noqa: E402
    INT8_CAVEAT,
    BenchSettings,
    build_model,
    measure,
    run_latency,
    time_forward,
)


@pytest.fixture(autouse=True)
def _fresh_cli_state(fresh_cli_state):
    """Every test here runs CLI code in-process: a fresh store per test (see tests/conftest.py)."""


FAST = BenchSettings(warmup_iters=2, warmup_s=0.0, min_iters=5, min_time_s=0.05, max_time_s=3.0, block_s=0.02,
                     max_contention=1.0)


def test_measures_a_tiny_timm_model_with_features():
    r = measure("timm:test_resnet", FAST)
    assert r.status == "ok", r.error
    assert 0 < r.latency_ms_p50 <= r.latency_ms_p90
    assert r.throughput_per_s == pytest.approx(1000.0 / r.latency_ms_p50, rel=0.01)
    assert r.peak_memory_mb is not None and r.peak_memory_mb >= 0
    assert r.features["gmacs"] > 0 and r.features["params"] > 0 and r.features["layers"] > 0
    assert r.img_size == 160 and r.layout == "nchw"
    assert any("random init" in n for n in r.notes)  # never passed off as pretrained


def test_time_forward_takes_the_median_of_synchronised_samples():
    calls = {"sync": 0}

    def forward():
        time.sleep(0.004)

    def sync():
        calls["sync"] += 1

    timing = time_forward(forward, sync, FAST, watch_cpu=False)
    assert len(timing.samples) >= FAST.min_iters
    assert calls["sync"] >= len(timing.samples)  # a synchronise closes every timed sample
    median = sorted(timing.samples)[len(timing.samples) // 2]
    assert 3.5 <= median <= 30.0


@pytest.mark.parametrize(
    ("model_id", "reason"),
    [
        ("cards:yolov8n", "curated card with no architecture"),
        ("timm:no_such_net_xyz", "timm has no architecture"),
        ("torchvision:r3d_18.KINETICS400_V1", "video"),
        ("hf:facebook/detr-resnet-50", "cannot build"),
    ],
)
def test_unbuildable_models_fail_with_a_clear_sentence(model_id, reason):
    r = measure(model_id, FAST)
    assert r.status == "failed"
    assert reason in r.error and "Traceback" not in r.error


def test_torchvision_ids_build_with_their_weights_input_size():
    model, kind, shape, weights = build_model("torchvision:mobilenet_v3_small.IMAGENET1K_V1")
    assert kind == "tensor" and shape == (3, 224, 224) and "random init" in weights


@pytest.mark.parametrize(("precision", "channels_last"), [("bf16", True), ("int8", False)])
def test_precisions_and_layouts_run_on_cpu(precision, channels_last):
    r = measure("timm:test_resnet", BenchSettings(**{**FAST.__dict__, "precision": precision, "channels_last": channels_last}))
    assert r.status == "ok", r.error
    assert r.precision == precision and r.layout == ("nhwc" if channels_last else "nchw")
    if precision == "int8":
        assert INT8_CAVEAT in r.notes


def test_unknown_precision_and_missing_cuda_are_refused():
    assert "not one of fp32" in measure("timm:test_resnet", BenchSettings(precision="fp8")).error
    if not torch.cuda.is_available():
        assert "no CUDA device" in measure("timm:test_resnet", BenchSettings(device="cuda")).error


class _OomAbove(torch.nn.Module):
    """Raises the CUDA out-of-memory error above a batch size, like a real device would."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        if x.shape[0] > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.conv(x)


def test_out_of_memory_backs_off_the_batch_size_and_records_it(monkeypatch):
    import benchmarks.latency as latency

    monkeypatch.setattr(latency, "build_model", lambda model_id: (_OomAbove(3), "tensor", (3, 32, 32), "random init"))
    r = measure("timm:anything", BenchSettings(**{**FAST.__dict__, "batch_size": 16}))
    assert r.status == "ok"
    assert r.requested_batch_size == 16 and r.batch_size == 2
    assert any("out of memory at batch size 16" in n for n in r.notes)
    monkeypatch.setattr(latency, "build_model", lambda model_id: (_OomAbove(0), "tensor", (3, 32, 32), "random init"))
    r = measure("timm:anything", BenchSettings(**{**FAST.__dict__, "batch_size": 4}))
    assert r.status == "failed" and "even at batch size 1" in r.error


def test_run_writes_each_model_as_it_finishes_and_keeps_them_when_killed(empty_store):
    from sqlalchemy import select

    from catalog.schema import Benchmark

    seen = []

    def stop_after_two(result):
        seen.append(result.id)
        if len(seen) == 2:
            raise KeyboardInterrupt  # the user presses Ctrl-C after the second model

    with pytest.raises(KeyboardInterrupt):
        run_latency(empty_store, ["timm:test_vit", "cards:not-buildable", "timm:test_efficientnet"], FAST, on_result=stop_after_two)
    with empty_store.session() as s:
        rows = s.scalars(select(Benchmark).order_by(Benchmark.id)).all()
        assert [(r.model_id, r.status) for r in rows] == [("timm:test_vit", "ok"), ("cards:not-buildable", "failed")]
        ok = rows[0]
        assert ok.kind == "measured" and ok.origin == "bench" and ok.device.startswith("cpu:")
        assert ok.device_fingerprint["torch"] == torch.__version__ and ok.device_fingerprint["threads"] >= 1
        assert ok.extra["features"]["gmacs"] > 0 and ok.latency_p90_ms >= ok.latency_ms
        assert "curated card" in rows[1].error


def test_bench_cli_json_then_show_lists_the_measurement(empty_store):
    from typer.testing import CliRunner

    from advisor.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["--db", empty_store.url, "bench", "latency", "timm:test_convnext", "cards:nothing-here",
                                 "--min-time", "0.1", "--max-contention", "1", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["device"]["threads"] == torch.get_num_threads() and document["device"]["cpu_model"]
    by_id = {r["id"]: r for r in document["results"]}
    assert by_id["timm:test_convnext"]["status"] == "ok"
    assert by_id["timm:test_convnext"]["latency_ms_p50"] <= by_id["timm:test_convnext"]["latency_ms_p90"]
    assert by_id["cards:nothing-here"]["status"] == "failed"
    shown = json.loads(runner.invoke(app, ["--db", empty_store.url, "show", "timm:test_convnext", "--device", "this", "--json"]).stdout)
    assert shown["benchmarks"][0]["kind"] == "measured"
    assert shown["estimates"]["kind"] == "measured"  # measured beats estimated


# ----------------------------------------------------------------------------- GPU paths


@pytest.mark.gpu
def test_cuda_timing_amp_and_channels_last():
    for precision, channels_last in (("fp32", False), ("fp16", True), ("bf16", False)):
        r = measure("timm:test_resnet", BenchSettings(**{**FAST.__dict__, "device": "cuda", "precision": precision,
                                                          "channels_last": channels_last}))
        assert r.status == "ok", r.error
        assert r.peak_memory_mb > 0  # torch.cuda.max_memory_allocated


@pytest.mark.gpu
def test_cuda_out_of_memory_backs_off_for_real():
    total = torch.cuda.get_device_properties(0).total_memory
    # test_vit at 160 px needs ~2.5 MB per sample of activations; ask for far more than fits.
    batch = int(total / 1e6)
    r = measure("timm:test_vit", BenchSettings(**{**FAST.__dict__, "device": "cuda", "batch_size": batch}))
    assert r.status == "ok", r.error
    assert r.batch_size < batch and any("out of memory" in n for n in r.notes)
