"""Feature extraction, once per (model, dataset, preprocessing), cached on disk.

Every cheap probe mode (k-NN, LogME, linear) reads the same cached features, so a second mode or a
second run costs no forward passes. The cache lives in the user cache directory (platformdirs;
ADVISOR_CACHE_DIR overrides it) under a key of model id, dataset fingerprint, split and preprocessing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchmarks.datasets import ProbeDataset, Sample
from benchmarks.weights import LoadedModel, ModelSpec, preprocessing_key

CACHE_ENV = "ADVISOR_CACHE_DIR"
FORMAT_VERSION = 1


def cache_root() -> Path:
    """The user cache directory of model-advisor (ADVISOR_CACHE_DIR overrides the platform default)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("model-advisor", appauthor=False))


@dataclass
class FeatureSet:
    train_x: np.ndarray  # [N_train, D] float32
    train_y: np.ndarray  # [N_train] int64
    val_x: np.ndarray
    val_y: np.ndarray
    key: str
    cached: bool  # True when read from the cache, no forward pass run
    extract_s: float  # seconds the extraction took when it ran (from the cache metadata on a hit)
    samples_per_s: float | None
    unreadable: int = 0  # samples that passed the scan but failed to decode (dropped)
    batch_size: int | None = None


def cache_key(spec: ModelSpec, dataset: ProbeDataset) -> str:
    text = json.dumps([FORMAT_VERSION, spec.id, dataset.fingerprint, dataset.split, preprocessing_key(spec)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_path(spec: ModelSpec, dataset: ProbeDataset) -> Path:
    return cache_root() / "features" / f"{cache_key(spec, dataset)}.npz"


def load_cached(spec: ModelSpec, dataset: ProbeDataset) -> FeatureSet | None:
    path = cache_path(spec, dataset)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return FeatureSet(data["train_x"], data["train_y"], data["val_x"], data["val_y"], path.stem, True,
                              float(meta.get("extract_s", 0.0)), meta.get("samples_per_s"), int(meta.get("unreadable", 0)),
                              meta.get("batch_size"))
    except (OSError, ValueError, KeyError):  # a damaged cache entry is recomputed, never fatal
        return None


def _store(path: Path, fs: FeatureSet, spec: ModelSpec, dataset: ProbeDataset) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"model_id": spec.id, "fingerprint": dataset.fingerprint, "split": dataset.split,
            "preprocessing": preprocessing_key(spec), "extract_s": fs.extract_s, "samples_per_s": fs.samples_per_s,
            "unreadable": fs.unreadable, "batch_size": fs.batch_size, "created": time.time()}
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez(tmp, train_x=fs.train_x, train_y=fs.train_y, val_x=fs.val_x, val_y=fs.val_y, meta=json.dumps(meta))
    os.replace(tmp, path)  # atomic: a killed run never leaves a half-written entry behind


def features_for(spec: ModelSpec, dataset: ProbeDataset, device: str, load: Callable[[], LoadedModel], *,
                 batch_size: int = 64, num_workers: int | None = None) -> FeatureSet:
    """Cached features of `dataset` under `spec`, extracting them (with `load()`) on a miss."""
    hit = load_cached(spec, dataset)
    if hit is not None:
        return hit
    from benchmarks.accel import with_oom_retry

    loaded = load()
    samples = dataset.train + dataset.val
    (feats, ok, seconds), used = with_oom_retry(
        lambda bs: extract(loaded, samples, device, batch_size=bs, num_workers=num_workers), batch_size)
    labels = np.array([s.label for s in samples], dtype=np.int64)
    n_train = len(dataset.train)
    train_ok, val_ok = ok[:n_train], ok[n_train:]
    fs = FeatureSet(feats[:n_train][train_ok], labels[:n_train][train_ok], feats[n_train:][val_ok], labels[n_train:][val_ok],
                    cache_key(spec, dataset), False, seconds, len(samples) / seconds if seconds > 0 else None,
                    int((~ok).sum()), used)
    _store(cache_path(spec, dataset), fs, spec, dataset)
    return fs


# ---------------------------------------------------------------- the extraction loop


class _ImageFiles:
    """Decode + transform in DataLoader workers; a file that fails to decode yields a flag, not a crash."""

    def __init__(self, samples: list[Sample], transform: Any) -> None:
        self.samples, self.transform = samples, transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        import torch
        from PIL import Image

        try:
            with Image.open(self.samples[index].item) as image:
                return self.transform(image.convert("RGB")), True
        except (OSError, ValueError, SyntaxError):
            return torch.zeros(0), False


def _collate_images(batch):
    import torch

    ok = torch.tensor([flag for _, flag in batch], dtype=torch.bool)
    shape = next((t.shape for t, flag in batch if flag), None)
    if shape is None:
        return None, ok
    return torch.stack([t if flag else torch.zeros(shape) for t, flag in batch]), ok


def image_loader(samples: list[Sample], transform: Any, device: str, batch_size: int, num_workers: int | None):
    """The DataLoader used for extraction: worker decoding, pinned memory and prefetch on GPU."""
    from torch.utils.data import DataLoader

    from benchmarks.accel import default_workers

    workers = default_workers(device) if num_workers is None else num_workers
    return DataLoader(_ImageFiles(samples, transform), batch_size=batch_size, shuffle=False, num_workers=workers,
                      collate_fn=_collate_images, pin_memory=device.startswith("cuda"),
                      persistent_workers=False, prefetch_factor=4 if workers else None)


def extract(loaded: LoadedModel, samples: list[Sample], device: str, *, batch_size: int = 64,
            num_workers: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Pooled features of `samples` as float32 [N, D], an ok mask [N], and the seconds taken."""
    import torch

    from benchmarks.accel import autocast

    model = loaded.model.to(device).eval()
    cuda = device.startswith("cuda")
    if cuda and loaded.modality == "image":
        model = model.to(memory_format=torch.channels_last)
    # Features stay on the device until the end: a per-batch copy to host would sync every step.
    out = torch.zeros((len(samples), loaded.feature_dim), dtype=torch.float32, device=device)
    ok = np.ones(len(samples), dtype=bool)
    start = time.perf_counter()
    with torch.inference_mode(), autocast(device):
        if loaded.modality == "image":
            position = 0
            for images, flags in image_loader(samples, loaded.eval_transform, device, batch_size, num_workers):
                n = len(flags)
                ok[position:position + n] = flags.numpy()
                if images is not None:
                    images = images.to(device, non_blocking=True)
                    if cuda:
                        images = images.contiguous(memory_format=torch.channels_last)
                    out[position:position + n] = model(images).float()
                position += n
        else:
            for begin in range(0, len(samples), batch_size):
                texts = [s.item for s in samples[begin:begin + batch_size]]
                tokens = loaded.tokenizer(texts, padding=True, truncation=True, max_length=loaded.max_length,
                                          return_tensors="pt").to(device)
                out[begin:begin + len(texts)] = model(tokens["input_ids"], tokens["attention_mask"]).float()
    features = out.cpu().numpy()  # waits for the device, so the timing below is honest
    return features, ok, time.perf_counter() - start
