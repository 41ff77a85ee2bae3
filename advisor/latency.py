"""Latency figures for candidates on a target device: measured beats reported beats estimated.

Pure Python at query time (never torch; numpy and scipy only when a calibration group is first
fitted, and fits are cached on disk): one query for stored figures, one for the models' computed
figures, a cached fit per calibration group, then a prediction per model.

Calibration groups come from the store (the user's `advisor bench` rows, imported timm tables)
and from the reference measurements shipped in data/reference/latency/. For a target, the
closest group wins: the same device at the same settings, then the same device at other
settings, then another device of the same kind (CPU/GPU), then anything; each step further
away widens the range (benchmarks.estimate.TRANSFER_SPREAD).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from typing import Any, NamedTuple

from advisor.devices import DeviceProfile, cpu_profile_from_fingerprint, get_profile, list_profiles
from benchmarks.estimate import MIN_FIT_ROWS, HardwareFigures, LatencyFit, ModelFeatures, Observation, estimate, fit
from catalog.reader import Reader, as_reader, chunks, in_list, json_value, timestamp

REFERENCE_ENV = "ADVISOR_LATENCY_REFERENCE"  # a folder to use instead of the shipped reference


@dataclass(frozen=True)
class LatencyFigure:
    latency_ms: float
    kind: str  # "measured" | "estimated" | "reported"
    range_ms: tuple[float, float]
    memory_mb: float | None
    source: str
    latency_p90_ms: float | None = None


@dataclass(frozen=True)
class CalibrationGroup:
    device: str  # stored device key
    batch_size: int
    precision: str
    threads: int | None
    layout: str
    origin: str  # "reference" | "store"
    hardware: HardwareFigures | None
    observations: tuple[Observation, ...]

    @property
    def label(self) -> str:
        t = f" t{self.threads}" if self.threads else ""
        return f"{self.origin}: {self.device}{t} b{self.batch_size} {self.precision}"


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def device_matches(profile: DeviceProfile, device_key: str) -> bool:
    """Whether a stored device string means this profile (whole-token phrase match)."""
    tokens = _tokens(device_key)
    for phrase in profile.match:
        want = _tokens(phrase)
        if want and any(tokens[i : i + len(want)] == want for i in range(len(tokens) - len(want) + 1)):
            return True
    return False


class ModelFigures(NamedTuple):
    """The catalog columns an estimate needs (MODEL_FIGURES, in this order)."""

    id: str
    gmacs: float | None
    params: int | None
    activations_m: float | None
    input_size: list | None
    family: str | None
    extra: dict | None

    @classmethod
    def from_row(cls, row: tuple) -> ModelFigures:
        mid, gmacs, params, activations, input_size, family, extra = row
        return cls(mid, gmacs, params, activations, json_value(input_size), family, json_value(extra))


MODEL_FIGURES = "m.id, m.gmacs, m.params, m.activations_m, m.input_size, m.family, m.extra"


def features_from_model(m: ModelFigures, override: dict | None = None) -> ModelFeatures | None:
    """A model's features from its catalog row (or a bench row's recorded features); None without GMACs/params."""
    o = override or {}
    extra = m.extra or {}
    gmacs = o.get("gmacs") or m.gmacs
    params = o.get("params") or m.params
    if not gmacs or not params:
        return None
    size = o.get("img_size") or ((m.input_size or [None])[-1] if m.input_size else None)
    return ModelFeatures(
        model_id=m.id, gmacs=float(gmacs), params_m=float(params) / 1e6,
        activations_m=o.get("activations_m") or m.activations_m,
        layers=o.get("layers") or extra.get("layers"), family=m.family, img_size=size,
    )


def _features_from_json(row: dict) -> ModelFeatures | None:
    if not row.get("gmacs") or not row.get("params"):
        return None
    return ModelFeatures(
        model_id=row["id"], gmacs=float(row["gmacs"]), params_m=float(row["params"]) / 1e6,
        activations_m=row.get("activations_m"), layers=row.get("layers"), family=row.get("family"),
        img_size=row.get("img_size"),
    )


def reference_dir() -> Path | None:
    override = os.environ.get(REFERENCE_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve().parents[1] / "data" / "reference" / "latency"
    if here.is_dir():
        return here
    try:
        from importlib.resources import files

        shipped = Path(str(files("model_advisor_data") / "reference" / "latency"))
        return shipped if shipped.is_dir() else None
    except (ModuleNotFoundError, TypeError, OSError):  # editable installs map the package oddly
        return None


@lru_cache(maxsize=4)
def _reference_groups(folder: str | None) -> tuple[CalibrationGroup, ...]:
    if not folder:
        return ()
    buckets: dict[tuple, dict[str, list[Observation]]] = {}
    hardware: dict[tuple, HardwareFigures | None] = {}
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            feats = _features_from_json(row)
            if row.get("status", "ok") != "ok" or feats is None or not row.get("latency_ms"):
                continue
            key = (row["device"], int(row["batch_size"]), row["precision"], row.get("threads"), row.get("layout") or "nchw")
            buckets.setdefault(key, {}).setdefault(row["id"], []).append(
                Observation(feats, float(row["latency_ms"]), row.get("peak_memory_mb")))
            if key not in hardware:
                hardware[key] = _hardware_for(row["device"], row.get("device_fingerprint") or {})
    return tuple(
        CalibrationGroup(k[0], k[1], k[2], k[3], k[4], "reference", hardware[k], tuple(_median_observation(o) for o in v.values()))
        for k, v in buckets.items()
    )


def _median_observation(passes: list[Observation]) -> Observation:
    """One model measured in several passes: the median latency (and memory) over the passes."""
    import statistics

    memory = [o.memory_mb for o in passes if o.memory_mb]
    return Observation(passes[0].features, statistics.median(o.latency_ms for o in passes),
                       statistics.median(memory) if memory else None)


def _hardware_for(device_key: str, fingerprint: dict) -> HardwareFigures | None:
    for profile in list_profiles()[1:]:
        if device_matches(profile, device_key):
            return profile.hardware()
    if device_key.startswith("cpu:") and fingerprint:
        return cpu_profile_from_fingerprint(fingerprint, name=device_key, kind="this").hardware()
    if device_key.startswith("cpu:"):
        return list_profiles()[0].hardware() if device_matches(list_profiles()[0], device_key) else None
    return None


_STORE_CACHE: dict[tuple, tuple[CalibrationGroup, ...]] = {}
_FIT_CACHE: dict[tuple, LatencyFit | None] = {}
FIT_CACHE_VERSION = 1  # bump when LatencyFit or the fitting code changes meaning


_USABLE = "b.status = 'ok' AND b.latency_ms IS NOT NULL AND b.kind IN ('measured', 'reported')"


def _store_groups(db: Reader) -> tuple[CalibrationGroup, ...]:
    count, last = db.first(f"SELECT count(*), max(b.id) FROM benchmarks b WHERE {_USABLE}")
    cache_key = (db.url, count, last)
    if cache_key in _STORE_CACHE:
        return _STORE_CACHE[cache_key]
    buckets: dict[tuple, dict[str, Observation]] = {}
    fingerprints: dict[tuple, dict] = {}
    rows = db.rows(f"SELECT b.device, b.batch_size, b.precision, b.layout, b.img_size, b.latency_ms, b.peak_memory_mb, "
                   f"b.device_fingerprint, b.extra, {MODEL_FIGURES} FROM benchmarks b JOIN models m ON m.id = b.model_id "
                   f"WHERE {_USABLE} ORDER BY b.id")
    for device, batch, precision, layout, img_size, latency, memory, fingerprint, bench_extra, *model in rows:
        extra = json_value(bench_extra) or {}
        fp = json_value(fingerprint) or {}
        feats = features_from_model(ModelFigures.from_row(tuple(model)), _row_features(extra, img_size))
        if feats is None:
            continue
        threads = extra.get("threads") or fp.get("threads")
        key = (device, batch, precision, threads, layout or "nchw")
        # The latest row of a model at an input size wins within a group (a re-run replaces an older one).
        buckets.setdefault(key, {})[f"{model[0]}@{feats.img_size}"] = Observation(feats, float(latency), memory)
        fingerprints.setdefault(key, fp)
    groups = tuple(
        CalibrationGroup(k[0], k[1], k[2], k[3], k[4], "store", _hardware_for(k[0], fingerprints[k]), tuple(v.values()))
        for k, v in buckets.items()
    )
    _STORE_CACHE.clear()
    _STORE_CACHE[cache_key] = groups
    return groups


def _row_features(extra: dict, img_size: int | None) -> dict:
    """Features recorded with a row: the harness's own count, or a timm table's gmacs/macts/params."""
    if extra.get("features"):
        return dict(extra["features"])
    found = {}
    if extra.get("gmacs"):
        found["gmacs"] = extra["gmacs"]
    if extra.get("macts_m"):
        found["activations_m"] = extra["macts_m"]
    if extra.get("param_count_m"):
        found["params"] = extra["param_count_m"] * 1e6
    if img_size:
        found["img_size"] = img_size
    return found


def _fitted(group: CalibrationGroup) -> LatencyFit | None:
    key = (group.label, group.layout, len(group.observations), tuple(o.features.model_id for o in group.observations[:3]),
           sum(o.latency_ms for o in group.observations))
    if key not in _FIT_CACHE:
        _FIT_CACHE[key] = _fit_through_disk_cache(group)
    return _FIT_CACHE[key]


def _fit_through_disk_cache(group: CalibrationGroup) -> LatencyFit | None:
    """Fitting (NNLS with leave-one-out ranges) costs scipy's import and a few hundred ms; a fit
    depends only on its observations, so it is kept on disk under their digest and reused by
    every later command until the calibration data changes."""
    import hashlib
    import pickle

    from platformdirs import user_cache_dir

    root = Path(os.environ.get("ADVISOR_CACHE_DIR") or user_cache_dir("model-advisor", appauthor=False))
    digest = hashlib.sha256(repr((FIT_CACHE_VERSION, group.batch_size, group.observations)).encode()).hexdigest()[:32]
    path = root / "latency-fits" / f"{digest}.pkl"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        pass  # no cached fit yet (or an unreadable one): fit afresh
    try:
        fitted = fit(group.observations, group.batch_size)
    except ValueError:
        fitted = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(fitted, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs the next command a refit
    return fitted


def _transfer(profile: DeviceProfile, group: CalibrationGroup, batch: int, precision: str, threads: int | None, layout: str) -> tuple[int, str]:
    """(distance, transfer kind) of a group from the target; lower distance is closer."""
    same_device = device_matches(profile, group.device)
    if same_device:
        same = (group.batch_size == batch and group.precision == precision and group.layout == layout
                and (group.threads or threads) == (threads or group.threads))
        return (0, "same") if same else (1, "settings")
    if group.hardware is not None and group.hardware.processor == profile.processor:
        return 2, profile.processor
    return 3, "cross"


def choose_group(db: Reader, profile: DeviceProfile, batch: int, precision: str, threads: int | None,
                 layout: str = "nchw") -> tuple[CalibrationGroup | None, LatencyFit | None, str]:
    """The closest calibration group with a usable fit, and how it is carried to the target."""
    folder = reference_dir()
    groups = [*_store_groups(db), *_reference_groups(str(folder) if folder else None)]
    ranked = []
    for g in groups:
        if len(g.observations) < MIN_FIT_ROWS or g.hardware is None:
            continue
        distance, kind = _transfer(profile, g, batch, precision, threads, layout)
        closeness = (g.precision != precision, g.batch_size != batch, g.threads != threads, g.origin != "store")
        ranked.append(((distance, closeness, -len(g.observations)), g, kind))
    for _, group, kind in sorted(ranked, key=lambda r: r[0]):
        fitted = _fitted(group)
        if fitted is not None:
            return group, fitted, kind
    return None, None, "prior"


def _stored_figures(db: Reader, ids: Sequence[str], profile: DeviceProfile, batch: int, precision: str,
                    threads: int | None) -> dict[str, LatencyFigure]:
    found: dict[str, tuple[int, LatencyFigure]] = {}
    for chunk in chunks(list(ids)):
        params: dict[str, Any] = {"batch": batch, "precision": precision}
        rows = db.rows(
            "SELECT b.model_id, b.device, b.kind, b.latency_ms, b.latency_p90_ms, b.peak_memory_mb, b.extra, "
            "b.device_fingerprint, b.obtained_at, b.origin, b.source FROM benchmarks b "
            f"WHERE b.model_id IN ({in_list(params, 'id', chunk)}) AND b.batch_size = :batch "
            f"AND b.precision = :precision AND {_USABLE} ORDER BY b.id", params)
        for model_id, device, kind, latency, p90, memory, extra, fingerprint, obtained, origin, source in rows:
            if not device_matches(profile, device):
                continue
            row_threads = (json_value(extra) or {}).get("threads") or (json_value(fingerprint) or {}).get("threads")
            if threads and row_threads and row_threads != threads:
                continue
            rank = 2 if kind == "measured" else 1
            obtained_at = timestamp(obtained)
            when = obtained_at.date().isoformat() if obtained_at else "unknown date"
            described = f"{kind} on {device}" + (f" ({row_threads} threads)" if row_threads else "") + f", {origin or source}, {when}"
            figure = LatencyFigure(float(latency), kind, (float(latency), float(p90 or latency)), memory, described, p90)
            if model_id not in found or rank >= found[model_id][0]:
                found[model_id] = (rank, figure)
    return {k: v[1] for k, v in found.items()}


def latency_table(db: Reader | Any, model_ids: Sequence[str], device: str, batch_size: int = 1,
                  precision: str = "fp32", threads: int | None = None, layout: str = "nchw") -> dict[str, LatencyFigure]:
    """Latency per model on `device` (a profile name): measured beats reported beats estimated.

    A model without GMACs or params and without a stored figure is absent. Raises UsageError for
    an unknown device or a precision the device cannot run.
    """
    profile = get_profile(device)
    profile.check_precision(precision)
    if threads is None and profile.processor == "cpu":
        threads = profile.cores  # torch's default: one thread per usable core
    db = as_reader(db)
    ids = list(dict.fromkeys(model_ids))
    out = _stored_figures(db, ids, profile, batch_size, precision, threads)
    missing = [i for i in ids if i not in out]
    if not missing:
        return out
    features: list[ModelFeatures] = []
    for chunk in chunks(missing):
        params: dict[str, Any] = {}
        for row in db.rows(f"SELECT {MODEL_FIGURES} FROM models m WHERE m.id IN ({in_list(params, 'id', chunk)})", params):
            f = features_from_model(ModelFigures.from_row(row))
            if f is not None:
                features.append(f)
    if not features:
        return out
    group, fitted, kind = choose_group(db, profile, batch_size, precision, threads, layout)
    target = profile.hardware()
    if group is None:
        basis = f"estimated from {profile.name}'s datasheet alone (no calibration data)"
        results = estimate(features, None, batch_size=batch_size, precision=precision, threads=threads, target=target, basis=basis)
    else:
        carried = "" if kind == "same" else f", carried to {profile.name} by datasheet ratios"
        basis = f"estimated: fit on {group.label} ({len(group.observations)} models){carried}"
        results = estimate(
            features, fitted, batch_size=batch_size, precision=precision, threads=threads, target=target,
            calibrated_on=group.hardware, calibrated_batch=group.batch_size, calibrated_precision=group.precision,
            calibrated_threads=group.threads, transfer=kind, basis=basis,
        )
    for e in results:
        out[e.model_id] = LatencyFigure(round(e.latency_ms, 3), "estimated",
                                        (round(e.range_ms[0], 3), round(e.range_ms[1], 3)), e.memory_mb, e.basis)
    return out
