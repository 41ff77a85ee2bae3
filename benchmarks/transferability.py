"""Cheap transferability scores on frozen features: LogME and k-NN accuracy.

LogME (You, Liu, Wang, Long: "LogME: Practical Assessment of Pre-trained Models for Transfer
Learning", ICML 2021) is the log marginal evidence of a Bayesian linear model from features to
one-hot labels, maximised over the prior precision alpha and the noise precision beta, averaged
over classes. This version follows the authors' reference implementation (github.com/thuml/LogME,
LogME.py): the default `fixed_point` solver is its `LogME().fit` (the fixed-point iteration of
arXiv:2110.10545, same evidence), `icml` is its `_fit_icml` (Algorithm 1 of the ICML paper).
Both keep the reference's starting point, tolerances and 11-step cap, but update all classes at
once as matrix operations instead of one Python loop per class; a class that has converged is
frozen, exactly as the reference's per-class `break` leaves it.
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-5
MAX_STEPS = 11
LOGME_METHODS = ("fixed_point", "icml")


def _one_hot(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if labels.size and labels.min() < 0:
        raise ValueError("labels must be non-negative class indices")
    classes = int(labels.max()) + 1  # as the reference: classes 0..max, an absent index still counts
    return (labels[:, None] == np.arange(classes)[None, :]).astype(np.float64)


def _evidence(n: int, d: int, alpha, beta, sigma, res2, m2) -> np.ndarray:
    value = (d / 2.0 * np.log(alpha) + n / 2.0 * np.log(beta)
             - 0.5 * np.log(alpha[None, :] + beta[None, :] * sigma[:, None]).sum(0)
             - beta / 2.0 * res2 - alpha / 2.0 * m2 - n / 2.0 * np.log(2 * np.pi))
    return value / n


def _truncated_svd(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left singular vectors and singular values of f [N, D] with N > D, from the D x D Gram matrix
    (cheaper than an SVD of f), keeping the numerically non-zero part as the reference does."""
    _, s, vh = np.linalg.svd(f.T @ f)
    s = np.sqrt(s)
    keep = s > 1e-10
    u = (f @ vh.T)[:, keep] / s[keep][None, :]
    return u, s[keep]


def _logme_fixed_point(f: np.ndarray, y: np.ndarray) -> float:
    n, d = f.shape
    u, s = _truncated_svd(f) if n > d else np.linalg.svd(f, full_matrices=False)[:2]
    sigma = s ** 2  # [k]
    x = u.T @ y  # [k, C]: labels in the singular basis
    x2 = x ** 2
    res_x2 = (y ** 2).sum(0) - x2.sum(0)  # the part of y outside the span of f
    classes = y.shape[1]
    alpha, beta = np.ones(classes), np.ones(classes)
    m2, res2 = np.zeros(classes), np.zeros(classes)
    active = np.ones(classes, dtype=bool)
    sig = sigma[:, None]
    for _ in range(MAX_STEPS):
        t = alpha / beta
        gamma = (sig / (sig + t)).sum(0)
        step_m2 = (sig * x2 / (t + sig) ** 2).sum(0)
        step_res2 = (x2 / (1 + sig / t) ** 2).sum(0) + res_x2
        new_alpha = gamma / (step_m2 + EPSILON)
        new_beta = (n - gamma) / (step_res2 + EPSILON)
        for old, new in ((alpha, new_alpha), (beta, new_beta), (m2, step_m2), (res2, step_res2)):
            old[active] = new[active]
        active &= ~(np.abs(new_alpha / new_beta - t) / t <= 1e-3)
        if not active.any():
            break
    return float(_evidence(n, d, alpha, beta, sigma, res2, m2).mean())


def _logme_icml(f: np.ndarray, y: np.ndarray) -> float:
    n, d = f.shape
    v, s, vh = np.linalg.svd(f.T @ f, full_matrices=True)  # s: D eigenvalues of the Gram matrix
    projected = vh @ (f.T @ y)  # [D, C]
    classes = y.shape[1]
    alpha, beta, lam = np.ones(classes), np.ones(classes), np.ones(classes)
    alpha_de, beta_de = np.zeros(classes), np.zeros(classes)
    active = np.ones(classes, dtype=bool)
    sig = s[:, None]
    for _ in range(MAX_STEPS):
        gamma = (sig / (sig + lam)).sum(0)
        m = v @ (projected * beta / (alpha + beta * sig))  # posterior mean weights [D, C]
        step_alpha_de = (m * m).sum(0)
        step_beta_de = ((y - f @ m) ** 2).sum(0)
        new_alpha = gamma / (step_alpha_de + EPSILON)
        new_beta = (n - gamma) / (step_beta_de + EPSILON)
        for old, new in ((alpha, new_alpha), (beta, new_beta), (alpha_de, step_alpha_de), (beta_de, step_beta_de)):
            old[active] = new[active]
        new_lam = new_alpha / new_beta
        converged = np.abs(new_lam - lam) / lam < 0.01
        lam = np.where(active & ~converged, new_lam, lam)
        active &= ~converged
        if not active.any():
            break
    return float(_evidence(n, d, alpha, beta, s, beta_de + EPSILON, alpha_de + EPSILON).mean())


def logme(features: np.ndarray, labels: np.ndarray, *, method: str = "fixed_point") -> float:
    """LogME evidence of `features` [N, D] for integer `labels` [N] (higher means the features
    transfer better). Computed in float64 whatever the input dtype."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) != len(labels) or len(f) == 0:
        raise ValueError(f"features must be [N, D] with one label per row; got {f.shape} and {len(labels)} labels")
    y = _one_hot(labels)
    if method == "fixed_point":
        return _logme_fixed_point(f, y)
    if method == "icml":
        return _logme_icml(f, y)
    raise ValueError(f"method must be one of {LOGME_METHODS}, not {method!r}")


def knn_predict(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, k: int = 5,
                classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """k-NN (cosine distance, distance-weighted votes) predictions and class scores [N_val, C] for val_x."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=max(1, min(k, len(train_x))), metric="cosine", weights="distance")
    clf.fit(train_x, train_y)
    scores = clf.predict_proba(val_x)
    n_classes = classes or int(train_y.max()) + 1
    full = np.zeros((len(val_x), n_classes))
    full[:, clf.classes_] = scores  # classes absent from train still get a (zero) column
    return clf.classes_[scores.argmax(1)], full


def knn_accuracy(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray, k: int = 5) -> float:
    """Share of validation samples whose k nearest training features vote for the right class."""
    predicted, _ = knn_predict(train_x, train_y, val_x, k)
    return float((predicted == np.asarray(val_y)).mean())
