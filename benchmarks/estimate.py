"""Latency and memory estimates from a model's computed figures, calibrated on measurements.

Predicting is pure Python: the advisor calls it at query time for thousands of candidates
from a fit cached on disk, and a cold `advisor recommend` cannot afford torch or even numpy
(~100 ms). Only fitting imports numpy and scipy (NNLS), inside the functions that fit.

The model, per calibration group (one device at one batch size / precision / thread count):

    latency = w0 + w1*layers + w2*params + w3*batch*GMACs + w4*batch*activations    (w >= 0)

fitted by non-negative least squares on *relative* error (each row divided by its measured
latency), then multiplied by a per-family factor (the log-residual mean of that family, shrunk
towards 1 by its count), because kernels of one architecture family run at similar efficiency.
The terms are physical: dispatch overhead per op, weight traffic, arithmetic, activation traffic.

Transfer to a device or setting without measurements goes through a roofline prior of each
target (`HardwareFigures`): latency_T = fit_D(model) * prior_T(model) / prior_D(model), with the
range widened by a transfer factor, because datasheet peaks predict ratios better than absolutes.

Ranges are honest: the leave-one-out log-residual spread of the fit (10th-90th percentile),
never narrower than +-10%, widened for transfers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

MIN_FIT_ROWS = 6
FAMILY_SHRINK = 0.25  # pseudo-count pulling a family factor towards 1 (chosen by calibration-set leave-one-out)
ANCHOR_WEIGHT = 0.6  # how far a model's nearest calibrated sibling can pull its family factor
TWIN_DISTANCE = 0.05  # log-feature distance under which two ids are one architecture (deit_small = vit_small)
BYTES = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0}
# Extra multiplicative uncertainty when the fit is carried to another setting or device.
TRANSFER_SPREAD = {"same": 1.0, "settings": 1.25, "cpu": 1.6, "gpu": 2.0, "cross": 2.5}


@dataclass(frozen=True)
class ModelFeatures:
    """What the predictor knows about one model at its native input size, batch 1."""

    model_id: str
    gmacs: float
    params_m: float
    activations_m: float | None = None
    layers: int | None = None  # conv + linear modules (the ops a runtime dispatches)
    family: str | None = None
    img_size: int | None = None


@dataclass(frozen=True)
class Observation:
    features: ModelFeatures
    latency_ms: float
    memory_mb: float | None = None


@dataclass(frozen=True)
class HardwareFigures:
    """The datasheet figures a roofline prior needs (peak in TFLOPS = 2 x TMACs, as vendors quote)."""

    processor: str  # "cpu" | "gpu"
    peak_tflops: dict[str, float]  # precision -> peak
    memory_bandwidth_gbs: float
    op_overhead_us: float  # dispatch cost per op at batch 1 (framework + launch)
    cores: int | None = None  # CPU: cores the runtime uses by default

    def peak_for(self, precision: str, threads: int | None = None) -> float:
        peak = self.peak_tflops.get(precision) or self.peak_tflops.get("fp32") or 0.1
        if self.processor == "cpu" and threads and self.cores:
            peak *= min(threads, self.cores) / self.cores
        return peak


# How much of a peak a framework reaches at small batch; only ratios between targets matter
# when a fit exists, so these shape the transfer, not the absolute figure.
_EFFICIENCY = {"cpu": 0.35, "gpu": 0.25}


def prior_ms(f: ModelFeatures, hw: HardwareFigures, batch_size: int, precision: str, threads: int | None) -> float:
    """Roofline prior: op overhead + arithmetic at an assumed efficiency + memory traffic."""
    layers = f.layers if f.layers else _impute_layers(f)
    acts = f.activations_m if f.activations_m is not None else 4.0 * f.gmacs + 1.0
    flops = 2e9 * f.gmacs * batch_size
    compute_s = flops / (hw.peak_for(precision, threads) * 1e12 * _EFFICIENCY[hw.processor])
    bytes_moved = BYTES.get(precision, 4.0) * (f.params_m * 1e6 + 2 * acts * 1e6 * batch_size)
    memory_s = bytes_moved / (hw.memory_bandwidth_gbs * 1e9 * 0.6)
    return 1e3 * (compute_s + memory_s) + layers * hw.op_overhead_us * 1e-3


def _impute_layers(f: ModelFeatures) -> float:
    # Without a layer count, deeper nets have more params per GMAC only loosely; a log rule from
    # timm's zoo (resnet18 ~ 21, resnet50 ~ 54, vit_base ~ 50 linears, mobilenetv3 ~ 60) is the
    # least-bad guess, and the range reflects it.
    return min(max(25.0 + 12.0 * math.log1p(f.params_m), 10.0), 400.0)


_FAMILY = re.compile(r"^(?:tf_|tv_|legacy_|gluon_)?([a-z]+)(\d*)")


def family_of(model_id: str, fallback: str | None = None) -> str:
    """'timm:resnet50.a1_in1k' -> 'resnet', 'timm:mobilenetv3_large_100' -> 'mobilenetv3',
    'torchvision:mobilenet_v3_small' -> 'mobilenetv3' (torchvision spells versions apart)."""
    name = model_id.split(":", 1)[-1].split("/")[-1].split(".")[0].lower()
    name = re.sub(r"_v(\d)", r"v\1", name)
    name = re.sub(r"^regnet_([xy])", r"regnet\1", name)
    match = _FAMILY.match(name)
    if match:  # a version suffix belongs to the family (mobilenetv3, convnextv2), a depth does not (resnet50)
        letters, digits = match.groups()
        return letters + digits if letters.endswith("v") and digits else letters
    return (fallback or name or "unknown").lower()


@dataclass(frozen=True)
class Anchor:
    """One calibration model as the predictor remembers it: where it sits in log feature space,
    how far its measurement was from the fitted line, and its own activation and layer counts."""

    family: str
    log_gmacs: float
    log_params: float
    log_acts: float | None
    log_residual: float
    acts_per_gmac: float | None
    layers: int | None
    memory_mb: float | None = None  # its measured peak memory

    def distance(self, f: ModelFeatures) -> float:
        d = abs(self.log_gmacs - math.log(max(f.gmacs, 1e-6))) + abs(self.log_params - math.log(max(f.params_m, 1e-6)))
        if self.log_acts is not None and f.activations_m:
            d += abs(self.log_acts - math.log(f.activations_m))
        return d


def design_matrix(features: Sequence[ModelFeatures], batch_size: int = 1, act_ratio: float = 4.0,
                  default_layers: float | None = None) -> list[list[float]]:
    """One row of the latency model's terms per model (pure Python; fitting turns it into an array)."""
    rows = []
    for f in features:
        acts = f.activations_m if f.activations_m is not None else act_ratio * f.gmacs
        layers = float(f.layers) if f.layers else (default_layers or _impute_layers(f))
        rows.append([1.0, layers, f.params_m, batch_size * f.gmacs, batch_size * acts])
    return rows


def _dot(row: Sequence[float], weights: Sequence[float]) -> float:
    return sum(float(a) * float(b) for a, b in zip(row, weights))


MEMORY_COLUMNS = (0, 2, 4)  # memory ~ constant + weights + activations
# Bumped whenever LatencyFit's fields or meaning change: a fit pickled by an older version is
# refused on load (pickle.UnpicklingError), so disk caches refit instead of predicting wrongly.
FIT_FORMAT = 4


@dataclass
class LatencyFit:
    """A fitted latency (and, when memory was measured, memory) model for one calibration group.

    Holds plain floats and tuples only, so unpickling and predicting need no numpy."""

    weights: tuple[float, ...]
    batch_size: int
    family_factor: dict[str, float]
    log_lo: float  # 10th percentile of leave-one-out log(measured / predicted)
    log_hi: float  # 90th percentile
    rows: int
    act_ratio: float
    memory_weights: tuple[float, ...] | None = None
    memory_spread: float = 0.2
    families_seen: frozenset[str] = field(default_factory=frozenset)
    anchors: tuple[Anchor, ...] = ()  # one per calibration model
    family_act_ratio: dict[str, float] = field(default_factory=dict)  # median activations per GMAC
    family_layer_ratio: dict[str, float] = field(default_factory=dict)  # median layers / the zoo-wide log rule
    format: int = FIT_FORMAT

    def __setstate__(self, state: dict) -> None:
        if state.get("format") != FIT_FORMAT:
            import pickle

            raise pickle.UnpicklingError(f"latency fit format {state.get('format')} is not {FIT_FORMAT}; refit")
        self.__dict__.update(state)

    def _filled(self, features: Sequence[ModelFeatures]) -> list[ModelFeatures]:
        """Fill what catalog entries lack from what the calibration models showed: activation counts
        from the family's activations-per-GMAC (torchvision and card entries often lack them; the
        zoo-wide median would misjudge a ResNet by 3x), and the layer count (no catalog has it) from
        the family's ratio to the zoo-wide log rule (an EfficientNet has 2x the layers of a ResNet
        with its parameters). The same architecture under another id lends its own counts."""
        out = []
        for f in features:
            family = family_of(f.model_id, f.family)
            twin = self._twin(f)
            if f.activations_m is None:
                ratio = twin.acts_per_gmac if twin and twin.acts_per_gmac else _lookup(self.family_act_ratio, family, self.act_ratio)
                f = replace(f, activations_m=ratio * f.gmacs)
            if not f.layers:
                layers = twin.layers if twin and twin.layers else _impute_layers(f) * _lookup(self.family_layer_ratio, family, 1.0)
                f = replace(f, layers=max(1, round(layers)))
            out.append(f)
        return out

    def _twin(self, f: ModelFeatures) -> Anchor | None:
        """A calibration model with (nearly) the same GMACs and params: the same architecture."""
        lg, lp = math.log(max(f.gmacs, 1e-6)), math.log(max(f.params_m, 1e-6))
        for a in self.anchors:
            if abs(a.log_gmacs - lg) < 0.01 and abs(a.log_params - lp) < 0.01:
                return a
        return None

    def factor_for(self, feature: ModelFeatures) -> float:
        """The family's factor; an unseen family borrows from a known one it extends (ghostnetv2 -> ghostnet)."""
        return _lookup(self.family_factor, family_of(feature.model_id, feature.family), 1.0)

    def predict(self, features: Sequence[ModelFeatures], batch_size: int = 1) -> list[float]:
        """Latency in ms per model, in the calibration group's setting."""
        features = self._filled(features)
        rows = design_matrix(features, batch_size, self.act_ratio)
        return [max(_dot(row, self.weights) * _anchored_factor(f, self.factor_for(f), self.anchors), 1e-3)
                for f, row in zip(features, rows)]

    def predict_memory(self, features: Sequence[ModelFeatures], batch_size: int = 1) -> list[float] | None:
        """Peak memory in MB per model, or None when the calibration group had no memory figures."""
        if self.memory_weights is None:
            return None
        features = self._filled(features)
        out = []
        for f, row in zip(features, design_matrix(features, batch_size, self.act_ratio)):
            twin = self._twin(f)  # the same architecture under another id holds the same memory
            if twin is not None and twin.memory_mb and batch_size == self.batch_size:
                out.append(twin.memory_mb)
            else:
                out.append(max(_dot([row[c] for c in MEMORY_COLUMNS], self.memory_weights), 0.1))
        return out

    def range_factors(self, feature: ModelFeatures) -> tuple[float, float]:
        """Multiplicative (low, high) range; wider for a family the fit has never seen."""
        lo, hi = min(self.log_lo, math.log(0.9)), max(self.log_hi, math.log(1.1))
        if family_of(feature.model_id, feature.family) not in self.families_seen:
            lo, hi = lo - 0.15, hi + 0.15
        return math.exp(lo), math.exp(hi)


def _lookup(by_family: dict[str, float], family: str, default: float) -> float:
    """A family's value; an unseen family borrows from a known one it extends (ghostnetv2 -> ghostnet)."""
    if family in by_family:
        return by_family[family]
    related = [k for k in by_family if len(k) >= 4 and (family.startswith(k) or k.startswith(family))]
    return by_family[max(related, key=len)] if related else default


def _anchored_factor(f: ModelFeatures, family_factor: float, anchors: Sequence[Anchor]) -> float:
    """The family factor, pulled towards the residual of the most similar calibrated model of the
    same family (similar size -> similar kernels), or of the same architecture under another
    family name (deit = vit); the pull fades with distance in log GMACs/params/activations."""
    family = family_of(f.model_id, f.family)
    best: tuple[float, float] | None = None
    for a in anchors:
        distance = a.distance(f)
        if a.family != family and distance >= TWIN_DISTANCE:
            continue
        if best is None or distance < best[0]:
            best = (distance, a.log_residual)
    if best is None:
        return family_factor
    pull = ANCHOR_WEIGHT * math.exp(-best[0])
    return math.exp(pull * best[1] + (1 - pull) * math.log(family_factor))


def _anchors(features: Sequence[ModelFeatures], y: Sequence[float], base: Sequence[float],
             memory: Sequence[float | None] | None = None) -> tuple[Anchor, ...]:
    return tuple(
        Anchor(family_of(f.model_id, f.family), math.log(max(f.gmacs, 1e-6)), math.log(max(f.params_m, 1e-6)),
               math.log(f.activations_m) if f.activations_m else None, math.log(float(t) / max(float(b), 1e-6)),
               (f.activations_m / f.gmacs) if f.activations_m and f.gmacs else None, f.layers, m)
        for f, t, b, m in zip(features, y, base, memory or [None] * len(features))
    )


def _nnls_relative(x, y):
    """Non-negative weights minimising the squared *relative* error (rows divided by their target)."""
    import numpy as np
    from scipy.optimize import nnls

    scale = np.maximum(np.abs(x).max(axis=0), 1e-12)  # column scaling keeps NNLS well conditioned
    a = (x / scale) / y[:, None]
    w, _ = nnls(a, np.ones_like(y))
    return w / scale


def _family_factors(features: Sequence[ModelFeatures], log_residuals: Sequence[float]) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for f, r in zip(features, log_residuals):
        sums.setdefault(family_of(f.model_id, f.family), []).append(float(r))
    return {fam: math.exp(sum(v) / (len(v) + FAMILY_SHRINK)) for fam, v in sums.items()}


def _fit_core(features: Sequence[ModelFeatures], y, act_ratio: float, batch_size: int, rounds: int = 6):
    """latency ~ family_factor * (x . w): alternate NNLS for w (rows scaled by their family's factor)
    and shrunk log-mean residuals for the factors, so neither absorbs the other's error."""
    import numpy as np

    x = np.asarray(design_matrix(features, batch_size, act_ratio), dtype=float).reshape(-1, 5)
    families = [family_of(f.model_id, f.family) for f in features]
    factors: dict[str, float] = {}
    w = np.zeros(x.shape[1])
    for _ in range(rounds):
        scale = np.array([factors.get(fam, 1.0) for fam in families])
        w = _nnls_relative(x * scale[:, None], y)
        residuals = np.log(y / np.maximum(x @ w, 1e-6))
        factors = _family_factors(features, residuals)
    return w, factors


def fit(observations: Sequence[Observation], batch_size: int = 1, with_range: bool = True) -> LatencyFit:
    """Fit one calibration group (all rows at the same batch size). Needs MIN_FIT_ROWS rows.

    Imports numpy and scipy (only fitting needs them); the returned fit predicts without them."""
    import numpy as np

    obs = [o for o in observations if o.latency_ms and o.latency_ms > 0 and o.features.gmacs > 0]
    if len(obs) < MIN_FIT_ROWS:
        raise ValueError(f"{len(obs)} usable measurements; a fit needs at least {MIN_FIT_ROWS}")
    feats = [o.features for o in obs]
    y = np.array([o.latency_ms for o in obs], dtype=float)
    ratios = [f.activations_m / f.gmacs for f in feats if f.activations_m and f.gmacs]
    act_ratio = float(np.median(ratios)) if ratios else 4.0
    w, fam = _fit_core(feats, y, act_ratio, batch_size)
    x_all = np.asarray(design_matrix(feats, batch_size, act_ratio), dtype=float).reshape(-1, 5)
    memory_w, memory_spread = None, 0.2
    mem = [(f, o.memory_mb) for f, o in zip(feats, obs) if o.memory_mb and o.memory_mb > 0]
    if len(mem) >= MIN_FIT_ROWS:
        xm = np.asarray(design_matrix([m[0] for m in mem], batch_size, act_ratio), dtype=float)[:, list(MEMORY_COLUMNS)]
        ym = np.array([m[1] for m in mem], dtype=float)
        memory_w = _nnls_relative(xm, ym)
        rel = np.abs(xm @ memory_w / ym - 1.0)
        memory_spread = float(max(0.1, np.percentile(rel, 90)))
    fitted = LatencyFit(
        weights=tuple(float(v) for v in w), batch_size=batch_size, family_factor={k: float(v) for k, v in fam.items()},
        log_lo=math.log(0.85), log_hi=math.log(1.15), rows=len(obs), act_ratio=act_ratio,
        memory_weights=tuple(float(v) for v in memory_w) if memory_w is not None else None, memory_spread=memory_spread,
        families_seen=frozenset(family_of(f.model_id, f.family) for f in feats),
        anchors=_anchors(feats, [float(v) for v in y], [float(v) for v in x_all @ w], [o.memory_mb for o in obs]),
        family_act_ratio=_family_act_ratios(feats),
        family_layer_ratio=_family_layer_ratios(feats),
    )
    if with_range:
        # Leave-one-out residuals give the range an honest width (in-sample residuals flatter it);
        # the left-out model is predicted as a catalog entry (no layer count), as real queries are.
        loo = []
        for i in range(len(obs)):
            fold = fit(obs[:i] + obs[i + 1:], batch_size, with_range=False)
            predicted = fold.predict([replace(feats[i], layers=None)], batch_size)[0]
            loo.append(math.log(obs[i].latency_ms / max(predicted, 1e-6)))
        fitted.log_lo, fitted.log_hi = (float(v) for v in np.percentile(loo, [10, 90]))
    return fitted


def _family_layer_ratios(features: Sequence[ModelFeatures]) -> dict[str, float]:
    import statistics

    ratios: dict[str, list[float]] = {}
    for f in features:
        if f.layers:
            ratios.setdefault(family_of(f.model_id, f.family), []).append(f.layers / _impute_layers(f))
    return {fam: float(statistics.median(v)) for fam, v in ratios.items()}


def _family_act_ratios(features: Sequence[ModelFeatures]) -> dict[str, float]:
    import statistics

    ratios: dict[str, list[float]] = {}
    for f in features:
        if f.activations_m and f.gmacs:
            ratios.setdefault(family_of(f.model_id, f.family), []).append(f.activations_m / f.gmacs)
    return {fam: float(statistics.median(v)) for fam, v in ratios.items()}


@dataclass(frozen=True)
class Estimate:
    model_id: str
    latency_ms: float
    range_ms: tuple[float, float]
    memory_mb: float | None
    basis: str  # what the estimate was calibrated on and how it was carried over


def prior_memory_mb(f: ModelFeatures, batch_size: int, precision: str, processor: str) -> float:
    """Weights + the live share of activations (+ runtime buffers on CPU)."""
    b = BYTES.get(precision, 4.0)
    acts = f.activations_m if f.activations_m is not None else 4.0 * f.gmacs
    weights = f.params_m * b
    live = 0.25 * acts * b * batch_size  # a fraction of all activations is alive at the peak
    return weights + live + (20.0 if processor == "cpu" else 8.0)


def estimate(
    features: Sequence[ModelFeatures],
    calibration: LatencyFit | None,
    *,
    batch_size: int,
    precision: str,
    threads: int | None,
    target: HardwareFigures,
    calibrated_on: HardwareFigures | None = None,
    calibrated_batch: int = 1,
    calibrated_precision: str = "fp32",
    calibrated_threads: int | None = None,
    transfer: str = "same",
    basis: str = "",
) -> list[Estimate]:
    """Estimates for `features` on `target`; through `calibration` (fitted on `calibrated_on`
    at the calibrated settings) when given, else from the prior alone with a wide range."""
    out: list[Estimate] = []
    spread = TRANSFER_SPREAD.get(transfer, 2.5)
    base = calibration.predict(features, calibrated_batch) if calibration else None
    memory = calibration.predict_memory(features, calibrated_batch) if calibration else None
    for i, f in enumerate(features):
        target_prior = prior_ms(f, target, batch_size, precision, threads)
        if calibration is not None and calibrated_on is not None:
            source_prior = prior_ms(f, calibrated_on, calibrated_batch, calibrated_precision, calibrated_threads)
            ratio = target_prior / source_prior if transfer != "same" else 1.0
            value = float(base[i]) * ratio
            lo_f, hi_f = calibration.range_factors(f)
            lo_f, hi_f = lo_f / spread, hi_f * spread
        else:
            value, (lo_f, hi_f) = target_prior, (1 / 3.0, 3.0)
        mem_prior = prior_memory_mb(f, batch_size, precision, target.processor)
        if memory is not None and transfer in ("same", "settings") and target.processor == "cpu":
            # The fitted memory is at batch 1 fp32 on this kind of runtime; carry the difference over.
            mem_value = float(memory[i]) * mem_prior / prior_memory_mb(f, calibrated_batch, calibrated_precision, "cpu")
        else:
            mem_value = mem_prior
        out.append(Estimate(f.model_id, value, (value * lo_f, value * hi_f), round(mem_value, 1), basis))
    return out
