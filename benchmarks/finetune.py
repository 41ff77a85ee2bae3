"""A short fine-tune: train a new head on the frozen backbone, then unfreeze the last blocks at a
lower learning rate; augmentation from the model's own training transform, early stopping on a
held-out slice of the training split, AMP and channels_last on GPU, smaller batches after an OOM.

Batch-norm statistics and dropout stay in eval mode throughout: with the few images a probe sees,
re-estimating BN statistics from tiny batches hurts more than it helps.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np

from benchmarks.datasets import ProbeDataset, Sample, stratified_split
from benchmarks.features import _ImageFiles
from benchmarks.probes import ProbeOptions, ProbeOutcome

EARLY_STOP_FRACTION = 0.15


def _last_block_params(backbone: Any, blocks: int) -> list:
    """Parameters of the backbone's last `blocks` blocks: timm's own grouping when it has one,
    else the last quarter of the parameter tensors."""
    params = dict(backbone.named_parameters())
    matcher = getattr(backbone, "group_matcher", None)
    if matcher is not None:
        try:
            from timm.models import group_parameters

            groups = [names for _, names in sorted(group_parameters(backbone, matcher(coarse=False)).items())]
            chosen = [n for names in groups[-blocks:] for n in names]
            if chosen:
                return [params[n] for n in chosen if n in params]
        except Exception:  # noqa: BLE001 - an unusual matcher: fall back to tensor order
            pass
    names = list(params)
    return [params[n] for n in names[-max(1, len(names) // 4 * blocks // 2):]]


class _LabelledImages(_ImageFiles):
    def __getitem__(self, index: int):
        tensor, ok = super().__getitem__(index)
        return tensor, ok, self.samples[index].label


def _standardise(mean, scale):
    """A fixed (x - mean) / scale layer in front of the head."""
    import torch.nn as nn

    class Standardise(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", mean)
            self.register_buffer("scale", scale)

        def forward(self, x):  # noqa: ANN001
            return (x - self.mean) / self.scale

    return Standardise()


def _loader(samples: list[Sample], transform: Any, device: str, batch_size: int, shuffle: bool, seed: int,
            workers: int | None):
    import torch
    from torch.utils.data import DataLoader

    from benchmarks.accel import default_workers

    n_workers = default_workers(device) if workers is None else workers
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(_LabelledImages(samples, transform), batch_size=batch_size, shuffle=shuffle, generator=generator,
                      num_workers=n_workers, collate_fn=_collate_labelled, pin_memory=device.startswith("cuda"),
                      drop_last=False, persistent_workers=n_workers > 0)


def _run_epoch(net, loader, device: str, optimizer=None, scaler=None) -> tuple[float, np.ndarray, np.ndarray]:
    """One pass; trains when an optimizer is given. Returns mean loss, scores [N, C] and labels."""
    import torch
    import torch.nn.functional as F

    from benchmarks.accel import autocast

    cuda = device.startswith("cuda")
    losses, all_scores, all_labels = [], [], []
    grad = torch.enable_grad() if optimizer else torch.inference_mode()
    with grad:
        for (images, ok), labels in loader:
            if images is None or not ok.any():
                continue
            images, labels = images[ok].to(device, non_blocking=True), labels[ok].to(device, non_blocking=True)
            if cuda:
                images = images.contiguous(memory_format=torch.channels_last)
            with autocast(device):
                logits = net(images)
                loss = F.cross_entropy(logits.float(), labels)
            if optimizer:
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
            losses.append(float(loss.detach()) * len(labels))
            all_scores.append(torch.softmax(logits.detach().float(), 1).cpu().numpy())
            all_labels.append(labels.cpu().numpy())
    n = sum(len(x) for x in all_labels)
    if not n:
        return float("nan"), np.zeros((0, 0)), np.zeros(0, dtype=np.int64)
    return sum(losses) / n, np.concatenate(all_scores), np.concatenate(all_labels)


def _collate_labelled(batch):
    import torch

    from benchmarks.features import _collate_images

    images, ok = _collate_images([(t, flag) for t, flag, _ in batch])
    return (images, ok), torch.tensor([label for _, _, label in batch], dtype=torch.long)


def finetune(model_id: str, dataset: ProbeDataset, device: str, options: ProbeOptions) -> ProbeOutcome:
    """Fine-tune `model_id` on the training split and score it on the validation split."""
    from benchmarks.accel import with_oom_retry

    if dataset.kind != "image":
        raise ValueError("fine-tuning probes cover image models; use --mode linear for text models")
    (metrics, details), used = with_oom_retry(lambda bs: _train(model_id, dataset, device, options, bs),
                                             options.batch_size)
    details["batch_size"] = used
    return ProbeOutcome(model_id, "finetune", "ok", score=metrics["accuracy"], metrics=metrics,
                        hyperparameters=details, features_cached=None)


def _train(model_id: str, dataset: ProbeDataset, device: str, options: ProbeOptions, batch_size: int):
    import torch
    import torch.nn as nn

    from benchmarks.metrics import classification_metrics
    from benchmarks.probes import cached_features
    from benchmarks.weights import load_pretrained

    torch.manual_seed(options.seed)
    # The head sees centred features divided by one overall scale (fixed statistics of the cached
    # training features): raw feature scales differ by orders of magnitude between models, and a
    # per-dimension scale would blow up the near-constant dimensions once augmentation moves them.
    features = cached_features(model_id, dataset, device, options)
    mean = torch.tensor(features.train_x.mean(0))
    scale = torch.tensor(float(features.train_x.std(0).mean()) + 1e-6)
    loaded = load_pretrained(model_id)
    backbone = loaded.model
    head = nn.Linear(loaded.feature_dim, len(dataset.classes))
    net = nn.Sequential(backbone, _standardise(mean, scale), head).to(device).eval()
    cuda = device.startswith("cuda")
    if cuda:
        net = net.to(memory_format=torch.channels_last)
    scaler = torch.amp.GradScaler("cuda") if cuda and not torch.cuda.is_bf16_supported() else None

    fit, held_out = dataset.train, []
    counts = np.bincount([s.label for s in dataset.train], minlength=len(dataset.classes))
    if counts.min() >= 3:  # enough per class to hold some out for early stopping
        fit, held_out = stratified_split(dataset.train, EARLY_STOP_FRACTION, options.seed)

    def loader(samples, transform, shuffle):
        return _loader(samples, transform, device, batch_size, shuffle, options.seed, options.num_workers)

    # Small datasets still need several optimiser steps per epoch: cap the batch at a quarter of them.
    train_loader = _loader(fit, loaded.train_transform, device, min(batch_size, max(8, len(fit) // 4)), True,
                           options.seed, options.num_workers)
    stop_loader = loader(held_out, loaded.eval_transform, False) if held_out else None
    history: list[dict] = []
    best = {"acc": -1.0, "loss": float("inf"), "state": copy.deepcopy(net.state_dict())}
    stopped_by = "epochs"

    def phase(name: str, epochs: int, groups: list[dict]) -> str:
        optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
        since_best = 0
        for epoch in range(epochs):
            started = time.perf_counter()
            if options.deadline and time.time() + (history[-1]["seconds"] if history else 0) > options.deadline:
                return "budget"
            loss, _, _ = _run_epoch(net, train_loader, device, optimizer, scaler)
            record = {"phase": name, "epoch": epoch + 1, "train_loss": round(loss, 4)}
            if stop_loader is not None:
                stop_loss, scores, labels = _run_epoch(net, stop_loader, device)
                acc = float((scores.argmax(1) == labels).mean()) if len(labels) else 0.0
                record.update(stop_loss=round(stop_loss, 4), stop_accuracy=round(acc, 4))
                improved = acc > best["acc"] or (acc == best["acc"] and stop_loss < best["loss"])
            else:
                acc, stop_loss, improved = 0.0, loss, loss < best["loss"]
            record["seconds"] = round(time.perf_counter() - started, 3)
            history.append(record)
            if improved:
                best.update(acc=acc, loss=stop_loss, state=copy.deepcopy(net.state_dict()))
                since_best = 0
            else:
                since_best += 1
                if since_best >= options.patience:
                    return "early-stopping"
        return "epochs"

    for p in backbone.parameters():
        p.requires_grad_(False)
    stopped_by = phase("head", options.head_epochs, [{"params": head.parameters(), "lr": options.head_lr}])
    tuned = _last_block_params(backbone, options.unfreeze_blocks)
    if stopped_by != "budget" and options.tune_epochs > 0 and tuned:
        net.load_state_dict(best["state"])
        for p in tuned:
            p.requires_grad_(True)
        stopped_by = phase("tune", options.tune_epochs, [{"params": head.parameters(), "lr": options.head_lr / 10},
                                                         {"params": tuned, "lr": options.backbone_lr}])
    net.load_state_dict(best["state"])
    val_loader = loader(dataset.val, loaded.eval_transform, False)
    _, scores, labels = _run_epoch(net, val_loader, device)
    metrics = classification_metrics(labels, scores, dataset.classes)
    details = {"head_epochs": options.head_epochs, "tune_epochs": options.tune_epochs, "head_lr": options.head_lr,
               "backbone_lr": options.backbone_lr, "unfreeze_blocks": options.unfreeze_blocks,
               "unfrozen_tensors": len(tuned), "optimizer": "AdamW", "weight_decay": 0.01,
               "patience": options.patience, "early_stop_samples": len(held_out), "stopped_by": stopped_by,
               "epochs_run": len(history), "amp": bool(cuda), "channels_last": bool(cuda),
               "augmentation": "model train transform", "head_input": "standardised features", "history": history, "split": dataset.split}
    return metrics, details
