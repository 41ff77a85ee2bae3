"""The latency/memory predictor and latency_table: calibration, transfer, ranges, precedence, speed."""

from __future__ import annotations

import json
import math
import pickle
import random
import subprocess
import sys
from dataclasses import replace

import pytest

from benchmarks.estimate import FIT_FORMAT, MIN_FIT_ROWS, ModelFeatures, Observation, estimate, family_of, fit
from catalog.records import BenchmarkRecord, FigureKind, ModelRecord


@pytest.fixture(autouse=True)
def _fresh_cli_state(fresh_cli_state):
    """Every test here runs CLI code in-process: a fresh store per test (see tests/conftest.py)."""


FAMILY_SPEED = {"resnet": 1.0, "vit": 0.8, "mobilenetv3": 1.6, "convnext": 1.2}


def synthetic(n: int, seed: int = 0) -> list[Observation]:
    """Latencies from a known physical model with per-family efficiency and 2% noise."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        family = list(FAMILY_SPEED)[i % len(FAMILY_SPEED)]
        gmacs = rng.uniform(0.1, 8.0)
        params = rng.uniform(2.0, 90.0)
        acts = gmacs * rng.uniform(2.0, 6.0)
        layers = rng.randint(15, 150)
        ms = (0.3 + 0.02 * layers + 0.01 * params + 9.0 * gmacs + 0.4 * acts) * FAMILY_SPEED[family]
        ms *= math.exp(rng.gauss(0, 0.02))
        memory = 15 + 4.0 * params + 1.2 * acts
        f = ModelFeatures(f"timm:{family}_{i}", gmacs, params, acts, layers, family)
        out.append(Observation(f, ms, memory))
    return out


def test_family_of_reads_the_architecture_name():
    assert family_of("timm:resnet50.a1_in1k") == "resnet"
    assert family_of("timm:mobilenetv3_large_100.ra_in1k") == "mobilenetv3"
    assert family_of("timm:tf_efficientnet_b0.in1k") == "efficientnet"
    assert family_of("torchvision:resnet18.IMAGENET1K_V1") == "resnet"
    assert family_of("hf:timm/convnextv2_atto.fcmae") == "convnextv2"


def test_fit_recovers_held_out_latencies_of_a_known_model():
    data = synthetic(80)
    calibration, held_out = data[:50], data[50:]
    fitted = fit(calibration)
    predicted = fitted.predict([o.features for o in held_out])
    errors = [abs(p / o.latency_ms - 1) for p, o in zip(predicted, held_out)]
    within = sum(e <= 0.10 for e in errors) / len(errors)
    assert within >= 0.9, f"only {within:.0%} within 10%"
    memory = fitted.predict_memory([o.features for o in held_out])
    assert all(abs(m / o.memory_mb - 1) <= 0.2 for m, o in zip(memory, held_out))


def test_fit_needs_enough_rows_and_ranges_are_honest():
    with pytest.raises(ValueError, match="at least"):
        fit(synthetic(MIN_FIT_ROWS - 1))
    fitted = fit(synthetic(40))
    seen = ModelFeatures("timm:resnet_x", 2.0, 20.0, 8.0, 50, "resnet")
    unseen = ModelFeatures("timm:weirdnet_x", 2.0, 20.0, 8.0, 50, None)
    lo, hi = fitted.range_factors(seen)
    assert lo <= 0.9 and hi >= 1.1
    ulo, uhi = fitted.range_factors(unseen)
    assert ulo < lo and uhi > hi  # a family the fit never saw gets a wider range


def test_transfer_to_another_device_widens_the_range_and_follows_the_datasheet():
    from advisor.devices import get_profile

    fitted = fit(synthetic(40))
    feats = [ModelFeatures("timm:resnet_a", 4.0, 25.0, 12.0, 60, "resnet")]
    here = get_profile("raspberry-pi-5").hardware()
    same = estimate(feats, fitted, batch_size=1, precision="fp32", threads=4, target=here, calibrated_on=here,
                    calibrated_threads=4, transfer="same")[0]
    faster = get_profile("xeon-8480").hardware()
    moved = estimate(feats, fitted, batch_size=1, precision="fp32", threads=16, target=faster, calibrated_on=here,
                     calibrated_threads=4, transfer="cpu")[0]
    assert moved.latency_ms < same.latency_ms  # 13x the peak, 18x the bandwidth
    assert moved.range_ms[1] / moved.range_ms[0] > same.range_ms[1] / same.range_ms[0]
    for e in (same, moved):
        assert e.range_ms[0] < e.latency_ms < e.range_ms[1]


# ----------------------------------------------------------------------------- latency_table


def _record(name: str, gmacs: float | None, params: float | None, benches=(), acts=None) -> ModelRecord:
    return ModelRecord(source="timm", name=name, tasks=("image-classification",), gmacs=gmacs,
                       params=int(params) if params else None, activations_m=acts, input_size=(3, 224, 224),
                       benchmarks=tuple(benches))


@pytest.fixture
def bench_store(empty_store):
    """A store with 30 models measured on this machine (2 threads) and 2000 unmeasured candidates."""
    from benchmarks.fingerprint import cpu_device_key, cpu_fingerprint
    from catalog.writer import write_records

    key = cpu_device_key()
    fp = {**cpu_fingerprint(), "threads": 2}
    records = []
    for o in synthetic(30, seed=3):
        f = o.features
        bench = BenchmarkRecord(device=key, batch_size=1, precision="fp32", latency_ms=o.latency_ms, kind=FigureKind.MEASURED,
                                peak_memory_mb=o.memory_mb, device_fingerprint=fp,
                                extra={"threads": 2, "features": {"gmacs": f.gmacs, "params": f.params_m * 1e6,
                                                                  "activations_m": f.activations_m, "layers": f.layers}})
        records.append(_record(f.model_id.split(":")[1], f.gmacs, f.params_m * 1e6, [bench], f.activations_m))
    rng = random.Random(5)
    for i in range(2000):
        g = rng.uniform(0.1, 8.0)
        records.append(_record(f"{list(FAMILY_SPEED)[i % 4]}_cand{i}", g, rng.uniform(2e6, 90e6), acts=g * 4))
    records.append(_record("no_figures_net", None, None))
    with empty_store.session() as s:
        write_records(s, records, origin="bench")
    return empty_store


def test_measured_beats_estimated_and_unestimable_models_are_absent(bench_store, monkeypatch):
    from advisor.latency import latency_table

    monkeypatch.setenv("ADVISOR_LATENCY_REFERENCE", "/nonexistent")  # the store alone calibrates
    with bench_store.session() as s:
        table = latency_table(s, ["timm:resnet_0", "timm:resnet_cand0", "timm:no_figures_net"], "this", threads=2)
    assert table["timm:resnet_0"].kind == "measured"
    assert "measured on cpu:" in table["timm:resnet_0"].source
    estimated = table["timm:resnet_cand0"]
    assert estimated.kind == "estimated"
    assert estimated.range_ms[0] < estimated.latency_ms < estimated.range_ms[1]
    assert "fit on store" in estimated.source
    assert "timm:no_figures_net" not in table


def test_latency_table_estimates_thousands_of_candidates(bench_store):
    """Every one of 2,000 candidates gets an estimate (its speed is scripts/bench_recommend.py's job)."""
    from advisor.latency import latency_table

    ids = [f"timm:{fam}_cand{i}" for i, fam in zip(range(2000), [*FAMILY_SPEED] * 500)]
    with bench_store.session() as s:
        table = latency_table(s, ids, "jetson-orin-nano")
    assert len(table) == 2000
    assert all(f.kind == "estimated" and f.range_ms[0] <= f.latency_ms <= f.range_ms[1] for f in table.values())


def test_unknown_device_and_impossible_precision_are_one_sentence(bench_store):
    from advisor.latency import latency_table
    from catalog.errors import UsageError

    with bench_store.session() as s:
        with pytest.raises(UsageError, match="Unknown device 'tpu-v9'.*jetson-orin-nano"):
            latency_table(s, ["timm:resnet_0"], "tpu-v9")
        with pytest.raises(UsageError, match="cannot run bf16"):
            latency_table(s, ["timm:resnet_0"], "t4", precision="bf16")


def test_estimate_cli_for_an_edge_device_says_estimated_with_a_range(bench_store):
    from typer.testing import CliRunner

    from advisor.cli import app

    result = CliRunner().invoke(app, ["--db", bench_store.url, "estimate", "timm:resnet_cand0", "timm:vit_cand1",
                                      "--device", "jetson-orin-nano", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["device"] == "jetson-orin-nano"
    for row in document["estimates"]:
        assert row["kind"] == "estimated"
        lo, hi = row["latency_range_ms"]
        assert lo < row["latency_ms"] < hi
        assert row["memory_mb"] > 0


def test_estimate_and_devices_do_not_import_torch(bench_store):
    code = (
        "import sys\n"
        "import catalog.snapshot\n"
        "catalog.snapshot.ensure_snapshot_loaded = lambda store: None  # keep the fixture catalog\n"
        "from typer.testing import CliRunner\n"
        "from advisor.cli import app\n"
        f"r = CliRunner().invoke(app, ['--db', {bench_store.url!r}, 'estimate', 'timm:resnet_cand0', '--device', 't4', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(app, ['devices', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"r = CliRunner().invoke(app, ['--db', {bench_store.url!r}, 'show', 'timm:resnet_0', '--device', 'raspberry-pi-5', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = sorted(m for m in ('torch', 'timm', 'torchvision') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_shipped_reference_calibrates_an_empty_store(empty_store):
    from advisor.latency import latency_table, reference_dir
    from catalog.writer import write_records

    folder = reference_dir()
    if folder is None or not list(folder.glob("*.jsonl")):
        pytest.skip("no shipped reference measurements in data/reference/latency")
    with empty_store.session() as s:
        write_records(s, [_record("resnet50_like", 4.1, 25.6e6, acts=11.1)], origin="test")
    with empty_store.session() as s:
        figure = latency_table(s, ["timm:resnet50_like"], "this")["timm:resnet50_like"]
    assert figure.kind == "estimated" and "reference:" in figure.source
    assert 1.0 < figure.latency_ms < 5000.0


# ----------------------------------------------------------------------------- pure-Python prediction


def test_importing_the_estimator_and_device_profiles_does_not_import_numpy():
    code = (
        "import sys\n"
        "import benchmarks.estimate, advisor.devices\n"
        "assert 'numpy' not in sys.modules and 'scipy' not in sys.modules, sorted(m for m in sys.modules if m.startswith(('numpy', 'scipy')))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_pickled_fit_predicts_in_a_fresh_interpreter_without_numpy(tmp_path):
    data = synthetic(40)
    fitted = fit(data[:30])
    path = tmp_path / "fit.pkl"
    path.write_bytes(pickle.dumps(fitted))
    held = [o.features for o in data[30:]]
    expected_latency = fitted.predict(held)
    expected_memory = fitted.predict_memory(held)
    code = (
        "import pickle, sys\n"
        "from benchmarks.estimate import ModelFeatures\n"
        f"fitted = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"held = [ModelFeatures(*args) for args in {[(f.model_id, f.gmacs, f.params_m, f.activations_m, f.layers, f.family) for f in held]!r}]\n"
        "print(repr((fitted.predict(held), fitted.predict_memory(held))))\n"
        "assert 'numpy' not in sys.modules, 'predicting imported numpy'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True).stdout
    latency, memory = eval(out)  # noqa: S307 - our own repr of two float lists
    assert latency == pytest.approx(expected_latency, rel=1e-9)
    assert memory == pytest.approx(expected_memory, rel=1e-9)


def test_a_fit_pickled_in_another_format_is_refused_so_caches_refit():
    fitted = fit(synthetic(20))
    fitted.format = FIT_FORMAT - 1
    with pytest.raises(pickle.UnpicklingError, match="refit"):
        pickle.loads(pickle.dumps(fitted))


def test_the_same_architecture_under_another_id_borrows_its_measurement():
    data = synthetic(40)
    f = data[0].features
    # Measured 30% off the fitted line (a kernel the terms do not capture) and with more memory.
    skewed = Observation(f, data[0].latency_ms * 1.3, data[0].memory_mb * 1.2)
    fitted = fit([skewed, *data[1:]], with_range=False)
    twin = ModelFeatures("torchvision:renamed_copy", f.gmacs, f.params_m, None, None, None)  # a catalog entry
    stranger = ModelFeatures("torchvision:unrelated", f.gmacs * 1.5, f.params_m * 1.5, None, None, None)
    twin_latency, stranger_latency = fitted.predict([twin, stranger])
    line = fitted.predict([stranger])[0] / 1.5  # roughly where the fit puts this size without the anchor
    assert abs(twin_latency / skewed.latency_ms - 1) < 0.15
    assert twin_latency > 1.1 * line
    assert fitted.predict_memory([twin])[0] == pytest.approx(skewed.memory_mb)


def test_a_catalog_entry_without_a_layer_count_gets_its_familys_depth():
    data = synthetic(40)
    deep = [Observation(replace(o.features, layers=400), o.latency_ms, o.memory_mb) if o.features.family == "vit" else o
            for o in data]
    fitted = fit(deep, with_range=False)
    vit = fitted._filled([ModelFeatures("timm:vit_new", 2.0, 20.0, 8.0, None, "vit")])[0]
    resnet = fitted._filled([ModelFeatures("timm:resnet_new", 2.0, 20.0, 8.0, None, "resnet")])[0]
    assert vit.layers > 3 * resnet.layers  # same size, the deep family's depth
