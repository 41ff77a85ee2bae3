"""Building the architecture behind a model id for timing: timm and torchvision, never downloading.

Pretrained weights are used when they are already in the local cache (the Hugging Face cache for
timm, torch.hub's checkpoints for torchvision); otherwise the model is randomly initialised and
the result says so, because latency does not depend on weight values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class BuildError(Exception):
    """A model the harness cannot build or feed; its message is the sentence that is recorded."""


def _cached_hf_file(repo_id: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        for filename in ("model.safetensors", "pytorch_model.bin"):
            path = try_to_load_from_cache(repo_id, filename)
            if isinstance(path, str) and Path(path).exists():
                return path
    except Exception:  # noqa: BLE001 - no cache, no weights: timing does not need them
        return None
    return None


def build_model(model_id: str) -> tuple[Any, str, tuple[int, int, int], str]:
    """(module, input kind, (C, H, W), weights note) for a timm or torchvision id; never downloads."""
    source, _, name = model_id.partition(":")
    if source == "hf" and name.startswith("timm/"):
        source, name = "timm", name.split("/", 1)[1]
    if source == "timm":
        return _build_timm(name)
    if source == "torchvision":
        return _build_torchvision(name)
    if source == "cards":
        raise BuildError(f"{model_id} is a curated card with no architecture this harness can build (timm or torchvision); time it with its own runtime.")
    raise BuildError(f"{model_id} comes from '{source}', which this harness cannot build; it builds timm: and torchvision: models.")


def _build_timm(name: str) -> tuple[Any, str, tuple[int, int, int], str]:
    import timm

    arch = name.split(".")[0]
    if arch not in timm.list_models() and not timm.is_model(arch):
        raise BuildError(f"timm has no architecture '{arch}' (timm {timm.__version__}).")
    cached = _cached_hf_file(f"timm/{name}") if "." in name else None
    try:
        if cached:
            model = timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": cached})
            weights = f"pretrained (cached: {cached})"
        else:
            model = timm.create_model(name, pretrained=False)
            weights = "random init (timing only; weights not cached, not downloaded)"
    except Exception as exc:  # noqa: BLE001 - a model bug becomes a recorded failure
        raise BuildError(f"timm could not build {name}: {_short(exc)}") from None
    cfg = getattr(model, "pretrained_cfg", {}) or {}
    size = tuple(cfg.get("input_size") or (3, 224, 224))
    return model, "tensor", (int(size[0]), int(size[1]), int(size[2])), weights


def _build_torchvision(name: str) -> tuple[Any, str, tuple[int, int, int], str]:
    import torch
    import torchvision

    arch, _, weight_name = name.partition(".")
    try:
        builder = torchvision.models.get_model_builder(arch)
    except ValueError:
        raise BuildError(f"torchvision has no model '{arch}' (torchvision {torchvision.__version__}).") from None
    module = builder.__module__
    if ".video" in module or ".optical_flow" in module:
        raise BuildError(f"torchvision:{name} needs video or frame-pair inputs, which this harness does not make.")
    weights_enum = None
    if weight_name:
        try:
            weights_enum = torchvision.models.get_model_weights(arch)[weight_name]
        except (KeyError, ValueError):
            raise BuildError(f"torchvision:{arch} has no weights '{weight_name}'.") from None
    try:
        model = builder(weights=None)
    except Exception as exc:  # noqa: BLE001
        raise BuildError(f"torchvision could not build {arch}: {_short(exc)}") from None
    weights = "random init (timing only; weights not cached, not downloaded)"
    size = 224
    if weights_enum is not None:
        crop = getattr(weights_enum.transforms(), "crop_size", None) or getattr(weights_enum.transforms(), "resize_size", None)
        if crop:
            size = int(crop[0] if isinstance(crop, (list, tuple)) else crop)
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights_enum.url).name
        if cached.exists():
            model.load_state_dict(torch.load(cached, map_location="cpu", weights_only=True))
            weights = f"pretrained (cached: {cached})"
    kind = "list" if ".detection" in module else "tensor"
    if kind == "list":
        size = max(size, 512)
    return model, kind, (3, size, size), weights


def layer_count(model: Any) -> int:
    """Convolutions and linear layers: the ops a runtime dispatches, which drive overhead at batch 1."""
    import torch.nn as nn

    return sum(1 for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
