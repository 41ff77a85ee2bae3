"""LogME against the published algorithm, and k-NN accuracy.

Two checks for LogME: (1) values the authors' reference implementation (thuml/LogME, LogME.py at
commit 3a08950, numba's njit replaced by plain Python) printed for the seeded features below, and
(2) a plain one-class-at-a-time implementation written here from the algorithm's update rules,
compared on random features to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.transferability import knn_accuracy, logme


def _features(n: int, d: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    f = (rng.normal(size=(n, d)) + np.eye(c)[y] @ rng.normal(size=(c, d))).astype(np.float32)
    return f, y


# (n, d, classes, seed) -> (LogME().fit, LogME._fit_icml) as printed by thuml/LogME@3a08950.
REFERENCE_VALUES = {
    (120, 24, 4, 7): (0.04917927125708321, 0.04915296872530496),
    (40, 96, 3, 8): (5.574681846621135, 0.16224009613418341),
}


@pytest.mark.parametrize("case", sorted(REFERENCE_VALUES))
def test_logme_matches_values_from_the_reference_implementation(case):
    f, y = _features(*case)
    fixed_point, icml = REFERENCE_VALUES[case]
    assert logme(f, y) == pytest.approx(fixed_point, rel=1e-6)
    assert logme(f, y, method="icml") == pytest.approx(icml, rel=1e-6)


def _per_class_fixed_point(f: np.ndarray, y: np.ndarray) -> float:
    """The fixed-point evidence maximisation, one class at a time, from a full SVD."""
    f = f.astype(np.float64)
    n, d = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    s = s[s > 1e-10]
    u = u[:, : len(s)]
    sigma = s**2
    evidences = []
    for k in range(int(y.max()) + 1):
        target = (y == k).astype(np.float64)
        proj2 = (u.T @ target) ** 2
        outside = target @ target - proj2.sum()
        alpha = beta = 1.0
        for _ in range(11):
            ratio = alpha / beta
            gamma = np.sum(sigma / (sigma + ratio))
            weight2 = np.sum(sigma * proj2 / (ratio + sigma) ** 2)
            residual2 = np.sum(proj2 / (1 + sigma / ratio) ** 2) + outside
            alpha, beta = gamma / (weight2 + 1e-5), (n - gamma) / (residual2 + 1e-5)
            if abs(alpha / beta - ratio) / ratio <= 1e-3:
                break
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * np.sum(np.log(alpha + beta * sigma))
                    - beta / 2 * residual2 - alpha / 2 * weight2 - n / 2 * np.log(2 * np.pi))
        evidences.append(evidence / n)
    return float(np.mean(evidences))


def _per_class_icml(f: np.ndarray, y: np.ndarray) -> float:
    """Algorithm 1 of the ICML paper, one class at a time, with explicit posterior means."""
    f = f.astype(np.float64)
    n, d = f.shape
    eigvals, eigvecs = np.linalg.eigh(f.T @ f)
    eigvals = np.clip(eigvals, 0, None)
    evidences = []
    for k in range(int(y.max()) + 1):
        target = (y == k).astype(np.float64)
        alpha = beta = lam = 1.0
        for _ in range(11):
            gamma = np.sum(eigvals / (eigvals + lam))
            m = eigvecs @ ((eigvecs.T @ (f.T @ target)) * beta / (alpha + beta * eigvals))
            m2 = m @ m
            res2 = np.sum((target - f @ m) ** 2)
            alpha, beta = gamma / (m2 + 1e-5), (n - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - lam) / lam < 0.01:
                break
            lam = alpha / beta
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * np.sum(np.log(alpha + beta * eigvals))
                    - beta / 2 * (res2 + 1e-5) - alpha / 2 * (m2 + 1e-5) - n / 2 * np.log(2 * np.pi))
        evidences.append(evidence / n)
    return float(np.mean(evidences))


@pytest.mark.parametrize("n,d,c", [(200, 32, 5), (60, 128, 3), (500, 64, 10), (64, 64, 2)])
@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])
def test_logme_vectorised_equals_per_class_loop_on_random_features(n, d, c, scale):
    rng = np.random.default_rng(n * d + c)
    y = rng.integers(0, c, n)
    f = rng.normal(size=(n, d)) * scale
    assert logme(f, y) == pytest.approx(_per_class_fixed_point(f, y), rel=1e-6)
    assert logme(f, y, method="icml") == pytest.approx(_per_class_icml(f, y), rel=1e-6)


def test_logme_prefers_features_that_explain_the_labels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 300)
    informative = np.eye(4)[y] @ rng.normal(size=(4, 16)) + 0.3 * rng.normal(size=(300, 16))
    noise = rng.normal(size=(300, 16))
    assert logme(informative, y) > logme(noise, y) + 0.1


def test_logme_rejects_bad_shapes():
    with pytest.raises(ValueError):
        logme(np.zeros((5, 3)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError):
        logme(np.zeros((4, 3)), np.zeros(4, dtype=int), method="nope")


def test_knn_accuracy_separates_clusters_from_noise():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 8)) * 5
    y_train, y_val = rng.integers(0, 3, 90), rng.integers(0, 3, 30)
    x_train = centres[y_train] + rng.normal(size=(90, 8))
    x_val = centres[y_val] + rng.normal(size=(30, 8))
    assert knn_accuracy(x_train, y_train, x_val, y_val) >= 0.9
    assert knn_accuracy(rng.normal(size=(90, 8)), y_train, rng.normal(size=(30, 8)), y_val) < 0.7
