"""Probes on a real (procedurally drawn) image dataset with timm test models whose weights are
LOCALLY WRITTEN, NOT PRETRAINED, into the Hugging Face cache layout and loaded offline through the
real timm loader. Accuracies here show the harness works, not that any model is good."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import select

from benchmarks.datasets import load_dataset
from benchmarks.probes import ProbeOptions, run_probe
from catalog.schema import Metric, ProbeResult, ProbeRun
from catalog.store import open_store
from tests.probe_support import MISSING_MODEL, MODEL_IDS

FAST = ProbeOptions(batch_size=32, num_workers=0)
CHANCE = 0.25  # four balanced classes


@pytest.fixture
def dataset(shapes_dataset):
    return load_dataset(shapes_dataset)


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'probe.db'}", load_snapshot=False)


def test_cheap_modes_on_locally_written_weights_score_well_above_chance(offline_hub, dataset):
    for model_id in MODEL_IDS:
        linear = run_probe(model_id, dataset, "linear", "cpu", FAST)
        knn = run_probe(model_id, dataset, "knn", "cpu", FAST)
        evidence = run_probe(model_id, dataset, "logme", "cpu", FAST)
        assert linear.status == knn.status == evidence.status == "ok", (linear.error, knn.error, evidence.error)
        assert linear.metrics["accuracy"] >= CHANCE + 0.35, (model_id, linear.metrics)
        assert knn.metrics["accuracy"] >= CHANCE + 0.35, (model_id, knn.metrics)
        assert set(linear.metrics) >= {"accuracy", "top5", "macro_precision", "macro_recall", "macro_f1", "per_class"}
        assert linear.metrics["val_samples"] == len(dataset.val)
        assert evidence.score == evidence.metrics["logme"] and evidence.score == evidence.score  # finite, not NaN
        assert linear.hyperparameters["classifier"] == "logistic-regression"


def test_features_are_extracted_once_and_reused(offline_hub, dataset, monkeypatch, tmp_path):
    import benchmarks.features as features

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "fresh-cache"))
    first = run_probe(MODEL_IDS[0], dataset, "logme", "cpu", FAST)
    assert first.status == "ok" and first.features_cached is False
    assert len(list((features.cache_root() / "features").glob("*.npz"))) == 1

    def no_forward_passes(*args, **kwargs):
        raise AssertionError("features were extracted again")

    monkeypatch.setattr(features, "extract", no_forward_passes)
    again = run_probe(MODEL_IDS[0], dataset, "linear", "cpu", FAST)
    assert again.status == "ok" and again.features_cached is True


def test_missing_weights_fail_that_model_with_one_sentence(offline_hub, dataset):
    outcome = run_probe(MISSING_MODEL, dataset, "linear", "cpu", FAST)
    assert outcome.status == "failed" and outcome.score is None
    assert "hf download timm/test_efficientnet.r160_in1k" in outcome.error
    assert outcome.error.count(". ") == 0 and outcome.error.endswith(".")  # one sentence


def test_random_weights_are_refused(offline_hub):
    from benchmarks.weights import WeightsUnavailableError, load_pretrained

    with pytest.raises(WeightsUnavailableError, match="no pretrained weights"):
        load_pretrained("timm:cspresnet50w")  # a timm architecture without any released weights
    with pytest.raises(WeightsUnavailableError, match=r"download https://download\.pytorch\.org/models/resnet18-"):
        load_pretrained("torchvision:resnet18.IMAGENET1K_V1")  # empty TORCH_HOME, offline


def test_text_csv_probes_through_a_locally_written_bert(offline_hub, tmp_path):
    """A tiny BERT with LOCALLY INITIALISED (not pretrained) weights, loaded offline by transformers."""
    import csv
    import random

    from benchmarks.synthetic import write_local_bert

    positive, negative = ["great", "lovely", "excellent", "good"], ["awful", "bad", "terrible", "broken"]
    write_local_bert("local/tiny-bert", offline_hub / "hub", positive + negative)
    rng = random.Random(0)
    path = tmp_path / "reviews.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(30):
            writer.writerow([" ".join(rng.choice(positive if i % 2 else negative) for _ in range(5)), "pos" if i % 2 else "neg"])
    dataset = load_dataset(path)
    outcome = run_probe("hf:local/tiny-bert", dataset, "linear", "cpu", FAST)
    assert outcome.status == "ok", outcome.error
    assert outcome.metrics["accuracy"] >= 0.8  # chance is 0.5
    missing = run_probe("hf:local/not-downloaded", dataset, "knn", "cpu", FAST)
    assert missing.status == "failed" and "hf download local/not-downloaded" in missing.error


def test_oom_retry_halves_the_batch_until_it_fits():
    import torch

    from benchmarks.accel import with_oom_retry

    tried = []

    def step(batch_size):
        tried.append(batch_size)
        if batch_size > 8:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "done"

    assert with_oom_retry(step, 64) == ("done", 8)
    assert tried == [64, 32, 16, 8]
    with pytest.raises(ValueError):
        with_oom_retry(lambda bs: (_ for _ in ()).throw(ValueError("not an OOM")), 64)


def test_finetune_trains_head_then_last_blocks(offline_hub, dataset):
    options = ProbeOptions(batch_size=16, num_workers=0, head_epochs=1, tune_epochs=1, patience=1)
    outcome = run_probe(MODEL_IDS[2], dataset, "finetune", "cpu", options)
    assert outcome.status == "ok", outcome.error
    hp = outcome.hyperparameters
    assert [h["phase"] for h in hp["history"]] == ["head", "tune"]
    assert hp["unfrozen_tensors"] > 0 and hp["early_stop_samples"] > 0
    assert 0.0 <= outcome.metrics["accuracy"] <= 1.0 and outcome.metrics["val_samples"] == len(dataset.val)


def test_runs_store_results_skip_finished_work_and_keep_going_after_a_failure(offline_hub, dataset, store):
    from benchmarks.probe_session import ProbeSession
    from benchmarks.runs import probe_results_for

    models = [MODEL_IDS[0], MISSING_MODEL, MODEL_IDS[1]]
    first = ProbeSession(store, dataset, "image-classification", models, mode="linear", device="cpu", options=FAST).run()
    by_id = {r["id"]: r for r in first["results"]}
    assert by_id[MISSING_MODEL]["status"] == "failed" and "hf download" in by_id[MISSING_MODEL]["error"]
    assert by_id[MODEL_IDS[0]]["status"] == by_id[MODEL_IDS[1]]["status"] == "ok"
    assert first["status"] == "finished-with-failures"
    assert [r["rank"] for r in first["results"]] == [1, 2, None]

    second = ProbeSession(store, dataset, "image-classification", models, mode="linear", device="cpu", options=FAST).run()
    again = {r["id"]: r for r in second["results"]}
    assert again[MODEL_IDS[0]]["reused"] and again[MODEL_IDS[0]]["run_id"] == first["run_id"]
    assert again[MODEL_IDS[0]]["score"] == by_id[MODEL_IDS[0]]["score"]
    assert not again[MISSING_MODEL]["reused"]  # failures are retried, finished work is not
    forced = ProbeSession(store, dataset, "image-classification", models[:1], mode="linear", device="cpu",
                          force=True, options=FAST).run()
    assert not forced["results"][0]["reused"]

    with store.session() as session:
        rows = session.scalars(select(Metric).where(Metric.dataset == f"probe:{dataset.fingerprint}")).all()
        assert {r.model_id for r in rows} == {MODEL_IDS[0], MODEL_IDS[1]}
        accuracy = next(r for r in rows if r.model_id == MODEL_IDS[0] and r.metric == "accuracy")
        assert accuracy.kind == "probe" and accuracy.origin == "probe" and accuracy.split == "val"
        assert set(accuracy.extra) >= {"run_id", "mode", "hyperparameters", "duration_s"}
        assert accuracy.extra["run_id"] == forced["run_id"] and accuracy.extra["mode"] == "linear"
        assert len([r for r in rows if r.model_id == MODEL_IDS[0] and r.metric == "accuracy"]) == 1
        best = probe_results_for(session, dataset.fingerprint)
        assert set(best) == {MODEL_IDS[0], MODEL_IDS[1]} and best[MODEL_IDS[1]].mode == "linear"


@pytest.mark.slow  # a fresh interpreter importing torch and timm
def test_sigkill_loses_at_most_the_model_in_flight(offline_hub, shapes_dataset, store, tmp_path):
    """The probe process kills itself with SIGKILL while probing the second model."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from benchmarks import executors
        real = executors.run_probe
        def run_probe(model_id, *args, **kwargs):
            if model_id == {MODEL_IDS[1]!r}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(model_id, *args, **kwargs)
        executors.run_probe = run_probe
        from advisor.cli import main
        sys.argv = ["advisor", "--db", {store.url!r}, "probe", {str(shapes_dataset)!r}, "--task", "image-classification",
                    "--models", {",".join(MODEL_IDS)!r}, "--mode", "knn", "--device", "cpu", "--json"]
        main()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.returncode == -9, proc.stderr[-2000:]
    with store.session() as session:
        done = session.scalars(select(ProbeResult)).all()
        assert [(r.model_id, r.status) for r in done] == [(MODEL_IDS[0], "ok")]
        assert session.scalars(select(ProbeRun.status)).all() == ["running"]
    from benchmarks.probe_session import ProbeSession

    rerun = ProbeSession(store, load_dataset(shapes_dataset), "image-classification", list(MODEL_IDS), mode="knn",
                         device="cpu", options=FAST).run()
    assert {r["id"]: r["reused"] for r in rerun["results"]} == {MODEL_IDS[0]: True, MODEL_IDS[1]: False,
                                                                 MODEL_IDS[2]: False}


class _ScriptedExecutor:
    """Stands in for the local executor: outcomes come from a score table, no models involved."""

    parallel = False

    def __init__(self, scores, interrupt_after=None):
        self.scores, self.calls, self.interrupt_after = scores, [], interrupt_after

    def run(self, jobs, dataset):
        from benchmarks.probes import ProbeOutcome

        for job in jobs:
            for mode in job.modes:
                self.calls.append((job.model_id, mode, job.options.deadline))
                if self.interrupt_after is not None and len(self.calls) > self.interrupt_after:
                    raise KeyboardInterrupt
            yield [ProbeOutcome(job.model_id, mode, "ok", score=self.scores[job.model_id][mode]) for mode in job.modes]


SCRIPTED = {f"m{i}": {"logme": float(i), "knn": i / 10, "linear": i / 10, "finetune": i / 10} for i in range(6)}


def test_auto_halves_the_field_then_fine_tunes_the_best_three(dataset):
    from benchmarks.auto import run_auto

    executor = _ScriptedExecutor(SCRIPTED)
    stored = []
    result = run_auto(list(SCRIPTED), dataset, executor, device="cpu", budget_s=600, options=FAST, done={},
                      on_outcome=stored.append)
    assert [m for m, mode, _ in executor.calls if mode == "linear"] == ["m5", "m4", "m3"]
    assert [m for m, mode, _ in executor.calls if mode == "finetune"] == ["m5", "m4", "m3"]
    assert result.reached == {"m0": "knn", "m1": "knn", "m2": "knn", "m3": "finetune", "m4": "finetune", "m5": "finetune"}
    assert all(d is not None and d <= time.time() + 600 for _, mode, d in executor.calls if mode == "finetune")
    assert len(stored) == 6 * 2 + 3 + 3 and not result.interrupted


def test_auto_skips_stages_the_budget_cannot_hold_and_keeps_work_done_before(dataset):
    from benchmarks.auto import run_auto
    from benchmarks.probes import ProbeOutcome

    done = {("m5", "logme"): ProbeOutcome("m5", "logme", "ok", score=5.0, reused=True)}
    executor = _ScriptedExecutor(SCRIPTED)
    result = run_auto(list(SCRIPTED), dataset, executor, device="cpu", budget_s=5, options=FAST, done=done,
                      on_outcome=lambda o: None)
    assert ("m5", "logme", None) not in executor.calls  # finished before: not rerun
    assert not any(mode == "finetune" for _, mode, _ in executor.calls)  # 5 s cannot hold a fine-tune
    assert result.stopped["m5"] == "budget" and result.reached["m5"] == "linear"


def test_ctrl_c_in_auto_mode_keeps_everything_finished(dataset):
    from benchmarks.auto import run_auto

    stored = []
    executor = _ScriptedExecutor(SCRIPTED, interrupt_after=5)
    result = run_auto(list(SCRIPTED), dataset, executor, device="cpu", budget_s=600, options=FAST, done={},
                      on_outcome=stored.append)
    assert result.interrupted and len(stored) == 4  # two models' logme + knn finished before the interrupt
    assert result.reached["m0"] == "knn" and result.reached["m5"] is None
