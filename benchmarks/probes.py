"""One probe: a (model, dataset, mode) triple run to an outcome, finished or failed with its reason.

Cheap modes (`knn`, `logme`, `linear`) read cached features; `finetune` trains (see finetune.py).
A probe never raises for a model problem: the outcome carries status "failed" and the reason, so
the other candidates go on.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np

from benchmarks.datasets import ProbeDataset

MODES = ("knn", "logme", "linear", "finetune")
# How far a candidate got in successive halving, and which result speaks for a model.
MODE_RANK = {"logme": 0, "knn": 1, "linear": 2, "finetune": 3}


@dataclass(frozen=True)
class ProbeOptions:
    """Hyper-parameters of every mode; the ones a mode used are stored with its result."""

    batch_size: int = 64
    num_workers: int | None = None
    knn_k: int = 5
    linear_c: float = 1.0
    linear_max_iter: int = 2000
    head_epochs: int = 10
    tune_epochs: int = 10
    head_lr: float = 5e-3
    backbone_lr: float = 5e-4
    unfreeze_blocks: int = 2
    patience: int = 3
    seed: int = 0
    deadline: float | None = None  # time.time() by which a fine-tune must have stopped training


@dataclass
class ProbeOutcome:
    """The result of one probe, as stored and as printed."""

    model_id: str
    mode: str
    status: str  # ok | failed
    score: float | None = None  # accuracy for knn/linear/finetune, the evidence for logme
    metrics: dict = field(default_factory=dict)
    hyperparameters: dict = field(default_factory=dict)
    duration_s: float = 0.0
    device: str | None = None
    error: str | None = None
    features_cached: bool | None = None  # True when cached features were reused (no forward passes)
    run_id: str | None = None  # the run that produced it (a rerun reports the original run)
    finished_at: datetime | None = None
    reused: bool = False  # True when a rerun skipped it because it had finished before

    def to_dict(self) -> dict:
        out = asdict(self)
        out["id"] = out.pop("model_id")
        return out


def _describe_error(exc: BaseException) -> str:
    from catalog.errors import CatalogError

    if isinstance(exc, CatalogError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def run_probe(model_id: str, dataset: ProbeDataset, mode: str, device: str,
              options: ProbeOptions = ProbeOptions()) -> ProbeOutcome:
    """Run one probe to an outcome; failures are caught and described, never raised."""
    from benchmarks.accel import describe_device

    start = time.perf_counter()
    try:
        described = describe_device(device)
    except Exception:  # noqa: BLE001 - a name for the device is nice to have, never worth failing for
        described = device
    try:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode}")
        if mode == "finetune":
            from benchmarks.finetune import finetune

            outcome = finetune(model_id, dataset, device, options)
        else:
            outcome = _cheap_probe(model_id, dataset, mode, device, options)
        outcome.status = "ok"
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one model failing must not stop the others
        outcome = ProbeOutcome(model_id, mode, "failed", error=_describe_error(exc))
    outcome.duration_s = round(time.perf_counter() - start, 3)
    outcome.device = described
    outcome.finished_at = datetime.now(timezone.utc).replace(tzinfo=None)
    return outcome


def cached_features(model_id: str, dataset: ProbeDataset, device: str, options: ProbeOptions):
    """The (cached or freshly extracted) features of `dataset` under `model_id`."""
    from benchmarks.features import features_for
    from benchmarks.weights import load_pretrained, parse_model_id

    spec = parse_model_id(model_id)
    return features_for(spec, dataset, device, lambda: load_pretrained(model_id),
                        batch_size=options.batch_size, num_workers=options.num_workers)


def _cheap_probe(model_id: str, dataset: ProbeDataset, mode: str, device: str, options: ProbeOptions) -> ProbeOutcome:
    from benchmarks.metrics import classification_metrics
    from benchmarks.transferability import knn_predict, logme

    fs = cached_features(model_id, dataset, device, options)
    if len(fs.train_x) == 0 or len(fs.val_x) == 0:
        raise ValueError("no usable training or validation samples after decoding")
    extraction = {"feature_dim": int(fs.train_x.shape[1]), "extract_s": round(fs.extract_s, 3),
                  "samples_per_s": fs.samples_per_s, "batch_size": fs.batch_size, "unreadable": fs.unreadable,
                  "split": dataset.split}
    classes = len(dataset.classes)
    if mode == "logme":
        # LogME needs no held-out split: it scores how well all labelled features explain the labels.
        x = np.concatenate([fs.train_x, fs.val_x])
        y = np.concatenate([fs.train_y, fs.val_y])
        value = logme(x, y)
        return ProbeOutcome(model_id, mode, "ok", score=value, metrics={"logme": value},
                            hyperparameters={"method": "fixed_point", **extraction}, features_cached=fs.cached)
    if mode == "knn":
        _, scores = knn_predict(fs.train_x, fs.train_y, fs.val_x, k=options.knn_k, classes=classes)
        metrics = classification_metrics(fs.val_y, scores, dataset.classes)
        metrics["knn_accuracy"] = metrics["accuracy"]
        return ProbeOutcome(model_id, mode, "ok", score=metrics["accuracy"], metrics=metrics,
                            hyperparameters={"k": options.knn_k, "metric": "cosine", **extraction},
                            features_cached=fs.cached)
    scores = linear_probe_scores(fs.train_x, fs.train_y, fs.val_x, classes, options)
    metrics = classification_metrics(fs.val_y, scores, dataset.classes)
    return ProbeOutcome(model_id, mode, "ok", score=metrics["accuracy"], metrics=metrics,
                        hyperparameters={"classifier": "logistic-regression", "C": options.linear_c,
                                         "max_iter": options.linear_max_iter, "standardize": True, **extraction},
                        features_cached=fs.cached)


def linear_probe_scores(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, classes: int,
                        options: ProbeOptions) -> np.ndarray:
    """Class probabilities [N_val, C] of a logistic-regression probe trained on standardised features."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=options.linear_c, max_iter=options.linear_max_iter,
                                                             random_state=options.seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a probe, not a final model: max_iter caps the cost
        clf.fit(train_x, train_y)
    proba = clf.predict_proba(val_x)
    full = np.zeros((len(val_x), classes))
    full[:, clf.classes_] = proba
    return full
