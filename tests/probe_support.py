"""Fixtures shared by the probe tests (a pytest plugin: tests/conftest.py registers it).

The image dataset is drawn with PIL on the fly; the model weights are timm `test_*` architectures
with LOCALLY INITIALISED weights (not pretrained) written into the standard Hugging Face cache
layout and loaded offline (HF_HUB_OFFLINE=1) through the real timm loader.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.synthetic import draw_image_dataset, write_local_timm_weights

LOCAL_MODELS = ("test_resnet.r160_in1k", "test_convnext.r160_in1k", "test_vit.r160_in1k")
MODEL_IDS = tuple(f"timm:{name}" for name in LOCAL_MODELS)
MISSING_MODEL = "timm:test_efficientnet.r160_in1k"  # real timm config, weights deliberately not written


@pytest.fixture(scope="session")
def hub_cache(tmp_path_factory) -> Path:
    """An HF_HOME whose hub cache holds locally written (not pretrained) weights of LOCAL_MODELS."""
    home = tmp_path_factory.mktemp("hf_home")
    for name in LOCAL_MODELS:
        write_local_timm_weights(name, home / "hub")
    return home


@pytest.fixture(scope="session")
def shapes_dataset(tmp_path_factory) -> Path:
    """Four visually separable classes of 8 procedurally drawn 64 px images each."""
    return draw_image_dataset(tmp_path_factory.mktemp("shapes") / "data", classes=4, per_class=8)


@pytest.fixture(scope="session")
def shared_feature_cache(tmp_path_factory) -> Path:
    """One feature cache for the session, so each (model, dataset) is extracted once across tests;
    tests about the cache itself point ADVISOR_CACHE_DIR at a fresh folder instead."""
    return tmp_path_factory.mktemp("advisor_cache")


@pytest.fixture
def offline_hub(hub_cache, shared_feature_cache, monkeypatch, tmp_path) -> Path:
    """Point the Hugging Face and torch caches at the local ones and go offline, in this process
    (huggingface_hub reads its constants at import) and for subprocesses / Ray workers (env)."""
    from huggingface_hub import constants

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(shared_feature_cache))
    monkeypatch.setenv("HF_HOME", str(hub_cache))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache / "hub"))
    monkeypatch.setattr(constants, "HF_HOME", str(hub_cache))
    return hub_cache
