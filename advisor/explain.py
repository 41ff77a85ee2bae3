"""One-line explanations against the alternatives, and the warnings every candidate carries.

"2.9x faster than the most accurate option for -3.1 mAP; fits 30 FPS on Jetson Orin Nano":
a person should see at a glance what a pick trades away and whether it fits the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from advisor.domains import DomainQuery, is_general
from advisor.facts import Facts, license_warning
from advisor.targets import Target
from advisor.tasks import FACE_NOTE, Benchmark, Task

SHORT_METRIC = {"top1": "top-1", "box_map": "mAP", "box_map50": "mAP50", "miou": "mIoU", "mask_map": "mask mAP",
                "kp_map": "AP", "accuracy": "acc", "wer": "WER", "cer": "CER", "f1": "F1", "anls": "ANLS",
                "bleu": "BLEU", "cider": "CIDEr", "image_auroc": "AUROC", "eer": "EER", "fid": "FID",
                "spearman": "Spearman", "score": "score", "map": "mAP", "rouge2": "ROUGE-2", "epe": "EPE",
                "gdt_ts": "GDT-TS", "lddt": "lDDT", "perplexity": "ppl"}
FACE_DATASETS = ("wider-face", "vggface2", "ms1m", "casia-webface", "glint360k", "webface", "lfw", "celeba")


def short_metric(metric: str) -> str:
    return SHORT_METRIC.get(metric, metric)


def format_value(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


@dataclass(frozen=True)
class References:
    """The alternatives every explanation is measured against."""

    most_accurate: Facts | None
    fastest: Facts | None
    smallest: Facts | None
    bench: Benchmark | None


def references(rated: Sequence[Facts], bench: Benchmark | None) -> References:
    if not rated or bench is None:
        return References(None, None, None, bench)
    sign = 1 if bench.higher_is_better else -1
    best = max(rated, key=lambda f: (sign * f.accuracy.value, -(f.latency_ms or float("inf")), f.id))
    timed = [f for f in rated if f.latency_ms is not None]
    fastest = min(timed, key=lambda f: (f.latency_ms, f.id)) if timed else None
    sized = [f for f in rated if f.size_mb is not None]
    smallest = min(sized, key=lambda f: (f.size_mb, f.id)) if sized else None
    return References(best, fastest, smallest, bench)


def _ratio_phrase(mine: float, theirs: float, faster: str, slower: str) -> str:
    if theirs <= 0 or mine <= 0:
        return ""
    ratio = theirs / mine
    if ratio >= 1.05:
        return f"{ratio:.1f}x {faster}"
    if ratio <= 1 / 1.05:
        return f"{1 / ratio:.1f}x {slower}"
    return f"as {faster.split()[0]}"


def _versus_best(f: Facts, refs: References) -> str:
    best = refs.most_accurate
    metric = short_metric(refs.bench.metric)
    if best is None or best.id == f.id:
        text = f"most accurate option ({format_value(f.accuracy.value)} {metric})"
        if refs.fastest is not None and f.latency_ms is not None and refs.fastest.id != f.id:
            text += f", {f.latency_ms / refs.fastest.latency_ms:.1f}x slower than the fastest ({refs.fastest.id})"
        return text
    delta = f.accuracy.value - best.accuracy.value
    cost = f"{delta:+.1f} {metric}" if abs(delta) >= 0.05 else f"the same {metric}"
    if f.latency_ms is not None and best.latency_ms is not None:
        speed = _ratio_phrase(f.latency_ms, best.latency_ms, "faster", "slower")
        if speed.endswith("slower"):
            return f"{speed} than the most accurate option and {cost}"
        if speed.startswith("as "):
            return f"as fast as the most accurate option for {cost}"
        return f"{speed} than the most accurate option for {cost}"
    if f.size_mb is not None and best.size_mb is not None:
        size = _ratio_phrase(f.size_mb, best.size_mb, "smaller", "larger")
        if size.startswith("as "):
            return f"the same size as the most accurate option for {cost}"
        return f"{size} than the most accurate option for {cost}"
    if cost.startswith("the same"):
        return f"as accurate as the most accurate option ({format_value(f.accuracy.value)} {metric})"
    return f"{cost} against the most accurate option"


def _budget_phrase(f: Facts, target: Target) -> str | None:
    if f.latency is None or target.device is None:
        return None
    kind = f.latency.kind
    budget = target.budget.max_latency_ms
    where = target.short_title
    if budget is None:
        return f"{f.latency_ms:.1f} ms {kind} on {where}"
    fps = target.fps_label()
    fits = f"fits {fps}" if fps else f"within {budget:.0f} ms"
    return f"{fits} on {where} ({f.latency_ms:.1f} ms {kind})"


def explanation(f: Facts, refs: References, target: Target, task: Task) -> str:
    """The one line shown under a candidate."""
    parts: list[str] = []
    if f.probe is not None:
        mode = f" ({f.probe.mode})" if f.probe.mode else ""
        parts.append(f"on your data: {format_value(f.probe.value)} {f.probe.metric}{mode}")
    if f.domain is not None and f.domain.in_domain:
        parts.append(f"in-domain: {f.domain.evidence}")
    if f.term_match and not (refs.bench is not None and f.term_match == refs.bench.dataset):
        parts.append(f"about '{f.term_match}'")  # a figure on the benchmark itself says nothing new
    if f.rated and refs.bench is not None:
        parts.append(_versus_best(f, refs))
    elif refs.bench is not None:
        unrated = f"unrated on {refs.bench.label or refs.bench.dataset}"
        if f.other_accuracy is not None:
            o = f.other_accuracy
            unrated += f" (reports {format_value(o.value)} {short_metric(o.metric)} on {o.dataset}, not comparable)"
        parts.append(unrated)
    else:
        parts.append(f"{task.title} has no canonical benchmark in the catalog: not ranked on accuracy")
    budget = _budget_phrase(f, target)
    if budget:
        parts.append(budget)
    elif target.device is None and f.size_mb is not None:
        parts.append(f"{f.size_mb:.1f} MB")
    return "; ".join(p for p in parts if p)


def warnings_for(f: Facts, task: Task, refs: References, domain: DomainQuery | None, license_filter: str,
                 target: Target | None = None) -> list[str]:
    """Missing metrics, licence limits, privacy notes and domain shift, most important first."""
    out: list[str] = []
    c = f.candidate
    if not f.rated and refs.bench is not None:
        out.append(f"unrated: no {refs.bench.label or refs.bench.metric} figure in the catalog, so it is never "
                   "scored against the rated models")
    if (license_filter or "any").lower() != "commercial":
        lic = license_warning(c.license)
        if lic:
            out.append(lic)
    if task.note:
        out.append(task.note)
    elif "faces" in c.domains or any(d.lower().startswith(FACE_DATASETS) for d in c.pretrain_datasets):
        out.append(FACE_NOTE)
    if domain is not None and domain.specialised and not (f.domain and f.domain.in_domain):
        trained = ", ".join(c.pretrain_datasets[:3]) or "unstated data"
        general = is_general(c.pretrain_datasets, c.domains)
        kind = "general-domain data" if general else "other data"
        out.append(f"trained on {kind} ({trained}), not {domain.title}: expect domain shift; check it on your "
                   f"data with `advisor probe DATA --task {task.name}`")
    if f.size_kind == "estimated":
        out.append("size estimated from the parameter count at fp32")
    budget = target.budget.max_latency_ms if target is not None else None
    if f.latency is None and target is not None and target.device is not None:
        checked = f"the {budget:.0f} ms budget could not be checked" if budget else "its speed is not compared"
        out.append(f"no latency figure for {target.short_title} (no measurement, no GMACs to estimate from): {checked}")
    if f.latency is not None and f.latency.kind == "estimated":
        lo, hi = f.latency.range_ms
        if budget is not None and hi > budget >= f.latency.latency_ms:
            out.append(f"the latency estimate's range crosses the {budget:.1f} ms budget: measure on the device "
                       f"(`advisor bench latency {c.id}`) before relying on it")
        else:
            out.append(f"latency estimated ({lo:.1f}-{hi:.1f} ms), not measured: `advisor bench latency {c.id}` measures it")
    return out
