"""Pretrained weights through the real loaders: timm, torchvision and transformers.

Weights come from the local Hugging Face cache (HF_HOME / HF_HUB_CACHE, honouring HF_HUB_OFFLINE),
the torch hub cache (TORCH_HOME) or the network. When they cannot be had, a `WeightsUnavailableError`
says in one sentence which weights and how to fetch them: a probe never runs on random weights.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.errors import CatalogError, UsageError

LIBRARIES = ("timm", "torchvision", "hf")


class WeightsUnavailableError(CatalogError):
    """Pretrained weights are neither cached nor downloadable."""


@dataclass(frozen=True)
class ModelSpec:
    """Which loader builds a catalog id: `timm:resnet18.a1_in1k`, `torchvision:resnet50.IMAGENET1K_V2`,
    `hf:bert-base-uncased` (`hf:timm/<name>` goes through timm)."""

    id: str
    library: str  # timm | torchvision | transformers
    name: str


def parse_model_id(model_id: str) -> ModelSpec:
    """Map a catalog id to the loader that can build it; UsageError for ids no loader handles."""
    source, sep, name = model_id.partition(":")
    if not sep or not name:
        raise UsageError(f"'{model_id}' is not a full model id; use source:name, e.g. timm:resnet18.a1_in1k.")
    if source == "timm":
        return ModelSpec(model_id, "timm", name)
    if source == "torchvision":
        return ModelSpec(model_id, "torchvision", name)
    if source == "hf":
        if name.startswith("timm/"):
            return ModelSpec(model_id, "timm", f"hf-hub:{name}")
        return ModelSpec(model_id, "transformers", name)
    raise UsageError(f"Probes can load timm, torchvision and Hugging Face models; {model_id} comes from '{source}'.")


@dataclass
class LoadedModel:
    """A backbone that maps a batch to pooled features, with the preprocessing it was trained with."""

    spec: ModelSpec
    model: Any  # torch.nn.Module returning [B, D] features
    modality: str  # image | text
    feature_dim: int
    eval_transform: Any = None  # image: PIL -> tensor
    train_transform: Any = None  # image: augmentation for fine-tuning
    tokenizer: Any = None  # text
    max_length: int = 512  # text: tokens kept per sample
    preprocessing: str = ""  # stable description, part of the feature-cache key
    weights_source: str = ""  # where the weights came from (Hub repo, URL)


def offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def preprocessing_key(spec: ModelSpec) -> str:
    """A stable description of the model's preprocessing, computed without loading weights, so a
    feature-cache hit never pays for building the model."""
    if spec.library == "timm":
        from timm.data import resolve_data_config

        if spec.name.startswith("hf-hub:"):
            return f"timm:{spec.name}"
        import timm

        cfg = timm.models.get_pretrained_cfg(spec.name)
        data_cfg = resolve_data_config(pretrained_cfg=cfg.to_dict()) if cfg else {}
        return f"timm:{sorted(data_cfg.items())}"
    if spec.library == "torchvision":
        import torchvision

        arch, _, tag = spec.name.partition(".")
        enum = torchvision.models.get_model_weights(arch)
        weights = enum[tag] if tag else enum.DEFAULT
        return f"torchvision:{weights.transforms()!r}"
    return f"transformers:{spec.name}:mean-pool:max_len=512"


def load_pretrained(model_id: str) -> LoadedModel:
    """Build the backbone of `model_id` with its pretrained weights and preprocessing."""
    spec = parse_model_id(model_id)
    if spec.library == "timm":
        return _load_timm(spec)
    if spec.library == "torchvision":
        return _load_torchvision(spec)
    return _load_transformers(spec)


# ---------------------------------------------------------------- timm


def _timm_missing(spec: ModelSpec, repo: str | None, url: str | None) -> WeightsUnavailableError:
    if repo:
        how = f"run `hf download {repo}` on a machine with internet access (or copy its Hugging Face cache here)"
    elif url:
        how = f"download {url} into {_torch_checkpoints()}"
    else:
        how = "fetch them with timm on a machine with internet access"
    mode = " (HF_HUB_OFFLINE is set)" if offline() else ""
    return WeightsUnavailableError(f"Pretrained weights for {spec.id} are not in the local cache{mode}; {how}.")


def _load_timm(spec: ModelSpec) -> LoadedModel:
    import timm
    from timm.data import create_transform, resolve_data_config

    name = spec.name
    if not name.startswith("hf-hub:"):
        if not timm.is_model(name.split(".")[0]):
            raise UsageError(f"timm has no model named {name}.")
        if not timm.is_model_pretrained(name):
            raise WeightsUnavailableError(f"timm has no pretrained weights for {name}; pick a tagged name from "
                                          f"timm.list_pretrained('{name.split('.')[0]}*').")
    cfg = None if name.startswith("hf-hub:") else timm.models.get_pretrained_cfg(name)
    repo = name.removeprefix("hf-hub:") if name.startswith("hf-hub:") else getattr(cfg, "hf_hub_id", None)
    url = getattr(cfg, "url", None)
    try:
        model = timm.create_model(name, pretrained=True, num_classes=0)
    except (OSError, RuntimeError) as exc:  # LocalEntryNotFoundError is an OSError; network failures too
        if _looks_missing(exc):
            raise _timm_missing(spec, repo, url) from None
        raise
    source = model.pretrained_cfg.get("hf_hub_id") or model.pretrained_cfg.get("url") or model.pretrained_cfg.get("file")
    if not source:  # timm warns and goes on with random init when a config has no weights: refuse
        raise WeightsUnavailableError(f"timm found no pretrained weights for {spec.id}; refusing to probe random weights.")
    data_cfg = resolve_data_config({}, model=model)
    return LoadedModel(
        spec, model.eval(), "image", int(model.num_features),
        eval_transform=create_transform(**data_cfg, is_training=False),
        train_transform=create_transform(**data_cfg, is_training=True),
        preprocessing=preprocessing_key(spec), weights_source=str(source),
    )


def _looks_missing(exc: BaseException) -> bool:
    from huggingface_hub.errors import LocalEntryNotFoundError

    if isinstance(exc, (LocalEntryNotFoundError, FileNotFoundError, ConnectionError)):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("cannot find the requested files", "connection", "urlopen", "offline", "name resolution"))


# ---------------------------------------------------------------- torchvision


def _torch_checkpoints() -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def _replace_last_linear(model: Any) -> int:
    """Swap the classifier (the last nn.Linear) for Identity so the model returns pooled features."""
    import torch.nn as nn

    last_name, last = None, None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last_name, last = name, module
    if last is None:
        raise UsageError("The model has no linear classifier to take features before.")
    parent = model.get_submodule(last_name.rsplit(".", 1)[0]) if "." in last_name else model
    setattr(parent, last_name.rsplit(".", 1)[-1], nn.Identity())
    return int(last.in_features)


def _load_torchvision(spec: ModelSpec) -> LoadedModel:
    import torch
    import torchvision
    from torchvision import transforms as T

    arch, _, tag = spec.name.partition(".")
    try:
        weights_enum = torchvision.models.get_model_weights(arch)
    except ValueError:
        raise UsageError(f"torchvision has no model named {arch}.") from None
    try:
        weights = weights_enum[tag] if tag else weights_enum.DEFAULT
    except KeyError:
        raise UsageError(f"torchvision has no weights {tag} for {arch}; known: {', '.join(w.name for w in weights_enum)}.") from None
    target = _torch_checkpoints() / os.path.basename(weights.url)
    if not target.exists() and offline():
        raise WeightsUnavailableError(
            f"Pretrained weights for {spec.id} are not in the torch cache; download {weights.url} to {target}.")
    model = torchvision.models.get_model(arch, weights=None)
    try:
        state = torch.hub.load_state_dict_from_url(weights.url, progress=False, check_hash=False)
    except OSError:  # URLError and socket errors: no network
        raise WeightsUnavailableError(
            f"Pretrained weights for {spec.id} are not in the torch cache and cannot be downloaded; "
            f"download {weights.url} to {target}.") from None
    model.load_state_dict(state)
    dim = _replace_last_linear(model)
    base = weights.transforms()
    mean, std = list(base.mean), list(base.std)
    size = base.crop_size[0] if isinstance(base.crop_size, (list, tuple)) else base.crop_size
    train = T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    # weights.transforms() works on tensors; add PIL -> tensor in front so it takes files like timm's.
    evaluate = T.Compose([T.PILToTensor(), base])
    return LoadedModel(spec, model.eval(), "image", dim, eval_transform=evaluate, train_transform=train,
                       preprocessing=preprocessing_key(spec), weights_source=weights.url)


# ---------------------------------------------------------------- transformers


def _mean_pooled(encoder: Any) -> Any:
    """Wrap a transformers encoder so a batch of token ids gives one mean-pooled vector per text."""
    import torch.nn as nn

    class MeanPooled(nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, **kwargs):  # noqa: ANN001
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    return MeanPooled(encoder)


def _load_transformers(spec: ModelSpec) -> LoadedModel:
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        raise UsageError("Text probes need transformers: pip install 'model-advisor[text]'.") from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # progress belongs to the probe's own display, not per-file bars
    local_only = offline()
    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.name, local_files_only=local_only)
        encoder = AutoModel.from_pretrained(spec.name, local_files_only=local_only)
    except OSError as exc:
        if _looks_missing(exc) or local_only:
            raise WeightsUnavailableError(
                f"Pretrained weights for {spec.id} are not in the local Hugging Face cache"
                f"{' (HF_HUB_OFFLINE is set)' if local_only else ''}; run `hf download {spec.name}` where there is internet access.") from None
        raise
    dim = int(getattr(encoder.config, "hidden_size", 0) or getattr(encoder.config, "d_model", 0))
    max_len = min(int(getattr(tokenizer, "model_max_length", 512) or 512), 512)
    return LoadedModel(spec, _mean_pooled(encoder).eval(), "text", dim, tokenizer=tokenizer,
                       preprocessing=preprocessing_key(spec), max_length=max_len,
                       weights_source=f"https://huggingface.co/{spec.name}")
