"""timm source: real pretrained cfgs, figures counted on the meta device, failures recorded not raised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from catalog.records import FigureKind
from catalog.sources import model_profile
from catalog.sources.timm_source import (
    load_timm,
    normalise_paper_ids,
    pretrain_datasets_from_tag,
    tasks_for,
)

TINY = ["test_resnet.r160_in1k", "test_vit.r160_in1k", "test_convnext.r160_in1k", "test_efficientnet.r160_in1k"]
RESNET50 = "resnet50.a1_in1k"
VIT_B = "vit_base_patch16_224.augreg2_in21k_ft_in1k"


@pytest.fixture(scope="module")
def report():
    # In-process (workers=1): the pool path is covered once below, with two tiny jobs.
    return load_timm(workers=1, names=[*TINY, RESNET50, VIT_B, "test_resnet", "no_such_model.x"])


@pytest.fixture(scope="module")
def by_name(report):
    return {r.name: r for r in report.records}


def test_one_record_per_tag_with_identity(report, by_name):
    # "test_resnet" (bare architecture) resolves to its default tag, already in the list once.
    assert sorted(by_name) == sorted([*TINY, RESNET50, VIT_B])
    assert report.skipped == {"not a pretrained tag of the installed timm": 1}
    tiny = by_name["test_resnet.r160_in1k"]
    assert tiny.id == "timm:test_resnet.r160_in1k"
    assert (tiny.origin, tiny.library, tiny.modality, tiny.domains) == ("timm", "timm", "vision", ("vision",))
    assert tiny.tasks == ("image-classification",) and tiny.num_classes == 1000
    assert tiny.family == "resnet" and tiny.architecture == "test_resnet"
    assert tiny.input_size == (3, 160, 160)
    assert tiny.hub_repo == "timm/test_resnet.r160_in1k"
    assert tiny.homepage == "https://huggingface.co/timm/test_resnet.r160_in1k"
    assert tiny.pretrain_datasets == ("imagenet-1k",)
    assert by_name["test_vit.r160_in1k"].family == "vision_transformer"


def test_tiny_models_get_computed_figures_with_provenance(by_name):
    for name in TINY:
        record = by_name[name]
        assert 10_000 < record.params < 2_000_000, name
        assert 0 < record.gmacs < 1 and record.activations_m > 0, name
        for key in ("params", "gmacs", "activations_m"):
            prov = record.provenance[key]
            assert prov.kind is FigureKind.COMPUTED
            assert prov.source.startswith("torch.utils.flop_counter on the meta device, timm ")
            assert prov.source.endswith("input 3x160x160")
        assert "profile_error" not in record.extra


def test_resnet50_matches_published_figures(by_name):
    r50 = by_name[RESNET50]
    assert r50.params == 25_557_032  # exact: timm and torchvision both publish it
    assert r50.gmacs == pytest.approx(4.11, rel=0.02)  # timm's results tables: 4.11 GMACs
    assert r50.activations_m == pytest.approx(11.11, rel=0.01)  # and 11.11 M activations
    assert r50.extra["attention_gmacs"] == 0
    assert r50.papers == ("2110.00476",) and r50.license == "apache-2.0"
    assert r50.test_input_size == (3, 288, 288) and r50.extra["crop_pct"] == 0.95
    assert r50.extra["mean"] == [0.485, 0.456, 0.406] and r50.extra["interpolation"] == "bicubic"


def test_vit_counts_attention_and_keeps_its_share_apart(by_name):
    vit = by_name[VIT_B]
    assert vit.params == pytest.approx(86.57e6, rel=0.001)
    # 17.56 GMACs with attention (torchvision's vit_b_16 publishes 17.564); timm's fvcore tables
    # miss the fused attention and publish 16.87, which is what remains without its share.
    assert vit.gmacs == pytest.approx(17.56, rel=0.005)
    assert vit.gmacs - vit.extra["attention_gmacs"] == pytest.approx(16.87, rel=0.005)
    assert vit.pretrain_datasets == ("imagenet-21k", "imagenet-1k")


def test_failed_meta_forward_is_recorded_not_raised(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("this op has no meta kernel")

    monkeypatch.setattr(model_profile, "count_forward", broken)
    report = load_timm(workers=1, names=["test_resnet.r160_in1k"])
    (record,) = report.records
    assert record.params is not None and record.provenance["params"].kind is FigureKind.COMPUTED
    assert "parameter count" in record.provenance["params"].source
    assert record.gmacs is None and record.activations_m is None
    assert "RuntimeError: this op has no meta kernel" in record.extra["profile_error"]
    assert report.dropped_fields == {"gmacs": 1, "activations_m": 1}


def test_small_model_falls_back_to_cpu_when_only_meta_fails(monkeypatch):
    real = model_profile.count_forward

    def meta_only_broken(model, inputs, **kwargs):
        if inputs.is_meta:
            raise NotImplementedError("meta")
        return real(model, inputs, **kwargs)

    monkeypatch.setattr(model_profile, "count_forward", meta_only_broken)
    profile = model_profile.profile_timm("test_resnet.r160_in1k", (3, 160, 160), 1000)
    assert profile.method == "cpu" and profile.gmacs > 0 and "NotImplementedError" in profile.error
    monkeypatch.setattr(model_profile, "count_forward", real)
    assert model_profile.profile_timm("test_resnet.r160_in1k", (3, 160, 160), 1000).gmacs == pytest.approx(profile.gmacs)


def test_slow_model_is_time_boxed_on_cpu_time(monkeypatch):
    def spin(*args, **kwargs):
        while True:
            pass

    monkeypatch.setattr(model_profile, "count_forward", spin)
    profile = model_profile.profile_timm("test_resnet.r160_in1k", (3, 160, 160), 1000, timeout_s=0.3)
    # No CPU retry after a timeout: a slow meta forward would be slower still on CPU.
    assert profile.method == "params-only" and profile.params
    assert "ProfileTimeout: took more than 0.3 s of CPU" in profile.error


def test_hanging_model_is_time_boxed_on_wall_time(monkeypatch):
    import time

    monkeypatch.setattr(model_profile, "count_forward", lambda *a, **k: time.sleep(30))
    monkeypatch.setattr(model_profile, "WALL_TIMEOUT_FACTOR", 2.0)
    started = time.perf_counter()
    profile = model_profile.profile_timm("test_resnet.r160_in1k", (3, 160, 160), 1000, timeout_s=0.3)
    assert time.perf_counter() - started < 10
    assert profile.method == "params-only" and "of wall time" in profile.error


@pytest.mark.slow  # spawns two workers that each import torch and timm (a few seconds)
def test_worker_pool_matches_in_process(by_name):
    jobs = [model_profile.ProfileJob((n,), n, (3, 160, 160), 1000) for n in TINY[:2]]
    pooled = model_profile.profile_many(jobs, workers=2)
    for name in TINY[:2]:
        assert pooled[(name,)].method == "meta"
        assert pooled[(name,)].gmacs == pytest.approx(by_name[name].gmacs, abs=1e-4)
        assert pooled[(name,)].params == by_name[name].params


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("a1_in1k", ("imagenet-1k",)),
        ("augreg2_in21k_ft_in1k", ("imagenet-21k", "imagenet-1k")),
        ("fb_in22k_ft_in1k_384", ("imagenet-22k", "imagenet-1k")),
        ("sw_in12k_ft_in1k", ("imagenet-12k", "imagenet-1k")),
        ("clip_laion2b_augreg_ft_in12k_in1k", ("laion-2b", "imagenet-12k", "imagenet-1k")),
        ("openai_ft_in12k_in1k", ("wit-400m", "imagenet-12k", "imagenet-1k")),
        ("dfn5b", ("dfn-5b",)),
        ("merged2b", ("merged-2b",)),
        ("lvd142m", ("lvd-142m",)),
        ("fb_swsl_ig1b_ft_in1k", ("instagram-1b", "imagenet-1k")),
        ("fb_ssl_yfcc100m_ft_in1k", ("yfcc-100m", "imagenet-1k")),
        ("mim_in22k_ft_in1k", ("imagenet-22k", "imagenet-1k")),
        ("mim_m38m_ft_in22k_in1k", ("merged-38m", "imagenet-22k", "imagenet-1k")),
        ("ns_jft_in1k", ("jft-300m", "imagenet-1k")),
        ("metaclip_2pt5b", ("metaclip-2.5b",)),
        ("ra4_e3600_r224_in1k", ("imagenet-1k",)),
        ("qwen3_vl_235b_a22b", ()),
        ("mae", ()),
        ("newdata9k_ft_in1k", ("newdata9k", "imagenet-1k")),  # unknown parts are kept verbatim
    ],
)
def test_pretrain_datasets_from_tag(tag, expected):
    assert pretrain_datasets_from_tag(tag) == expected


def test_tasks_tell_classifiers_from_embedding_heads():
    assert tasks_for("a1_in1k", "resnet50", 1000) == ("image-classification",)
    assert tasks_for("lvd142m", "vit_base_patch14_dinov2", 0) == ("image-feature-extraction",)
    # A CLIP tower's 512-wide projection is not a label head ...
    assert tasks_for("laion2b", "vit_base_patch32_clip_224", 512) == ("image-feature-extraction",)
    # ... until it is fine-tuned on labels.
    assert tasks_for("laion2b_ft_in12k_in1k", "vit_base_patch32_clip_224", 1000) == ("image-classification",)


def test_paper_ids_are_normalised():
    assert normalise_paper_ids("arXiv:2110.00476") == ("2110.00476",)
    assert normalise_paper_ids("arXiv:2104.10972v4") == ("2104.10972",)
    assert normalise_paper_ids(("arXiv:2010.11929", "doi:10.1000/x")) == ("2010.11929", "doi:10.1000/x")
    assert normalise_paper_ids(None) == ()
    assert normalise_paper_ids(42) is None  # a bad shape: the field is dropped


def test_importing_the_source_stays_light():
    code = (
        "import sys, catalog.sources.timm_source, catalog.sources.torchvision_source, catalog.sources.model_profile;"
        "print(sorted(m for m in ('torch', 'timm', 'torchvision') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"


def test_meta_memo_never_replays_onto_real_tensors():
    """A meta count memoises op results; a later count on real tensors (the latency harness) must
    not get meta tensors back for ops without tensor inputs (EdgeNeXt's positional encoding)."""
    import torch

    for name in ("edgenext_xx_small", "edgenext_x_small"):
        meta = model_profile.build_meta_model(name, 10)
        model_profile.count_forward(meta, torch.empty(1, 3, 256, 256, device="meta"))
        real = model_profile.build_meta_model(name, 10).to_empty(device="cpu").eval()
        flops, activations, _ = model_profile.count_forward(real, torch.randn(1, 3, 256, 256))
        assert flops > 0 and activations > 0
