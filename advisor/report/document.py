"""One report document, read the same way by every format.

The input is the engine's JSON document (`Recommendation.to_dict()`: query, target, candidates,
provenance) plus what the CLI adds: `kind`, `environment` and, for a probe run, `probe`. This
module turns it into the flat candidate rows that CSV, JSON, Markdown and HTML all print, in the
engine's order, so the four formats cannot disagree about which models were recommended.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from advisor.tasks import TASKS

# The flat row every format shares; probe_* columns follow when a candidate has a probe figure
# (recommend --dataset), run_* columns when the report is of a probe run.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "rank",
    "id",
    "score",
    "pareto",
    "accuracy",
    "accuracy_metric",
    "accuracy_dataset",
    "accuracy_kind",
    "accuracy_source",
    "latency_ms",
    "latency_kind",
    "latency_low_ms",
    "latency_high_ms",
    "memory_mb",
    "size_mb",
    "size_kind",
    "params",
    "gmacs",
    "license",
    "explanation",
    "warnings",
)
# recommend --dataset: the candidate's probe figure on the user's data.
CANDIDATE_PROBE_COLUMNS: tuple[str, ...] = ("probe_metric", "probe_value", "probe_mode")
WARNING_SEPARATOR = "; "

# Labels for the query keys the engine is known to send; unknown keys are shown as they are.
QUESTION_LABELS: dict[str, str] = {
    "task": "Task",
    "target": "Target",
    "device": "Device",
    "domain": "Domain",
    "dataset": "Dataset",
    "models": "Models",
    "max_latency_ms": "Max latency (ms)",
    "max_size_mb": "Max size (MB)",
    "max_params": "Max params",
    "max_memory_mb": "Max memory (MB)",
    "min_accuracy": "Min accuracy",
    "license": "Licence",
    "prefer": "Preference",
    "top": "Top",
    "batch_size": "Batch size",
    "precision": "Precision",
    "run_id": "Probe run",
    "probe_dataset": "Probe dataset",
    "domain_matched": "Domains matched",
}
# Query keys the target section states better (with the device title and the budget's reason).
_TARGET_KEYS = frozenset(
    {"device", "target", "batch_size", "precision", "max_latency_ms", "max_size_mb", "max_params", "max_memory_mb"}
)


def report_kind(document: Mapping[str, Any]) -> str:
    """recommend | compare | probe-run: what the CLI said, else what the document looks like."""
    if document.get("kind"):
        return str(document["kind"])
    if document.get("probe"):
        return "probe-run"
    return "compare" if (document.get("query") or {}).get("models") else "recommend"


def generated_at(document: Mapping[str, Any]) -> str:
    """The report's one timestamp: the document's own, else SOURCE_DATE_EPOCH, else now (UTC)."""
    if document.get("generated_at"):
        return str(document["generated_at"])
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # the reproducible-builds convention
    moment = (
        datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit() else datetime.now(timezone.utc)
    )
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _device_title(target: Mapping[str, Any]) -> str | None:
    """ "NVIDIA Jetson Orin Nano 8GB" rather than the datasheet-long profile title."""
    if target.get("kind") == "this":
        return "this machine"
    title = target.get("title")
    return str(title).split(" (")[0] if title else target.get("device")


def title_of(document: Mapping[str, Any]) -> str:
    """A one-line title naming the question."""
    query = document.get("query") or {}
    target = document.get("target") or {}
    device = _device_title(target) or query.get("device")
    on_device = f" on {device}" if device else ""
    task = (document.get("task") or {}).get("title") or query.get("task") or "?"
    kind = report_kind(document)
    if kind == "probe-run":
        run = (document.get("probe") or {}).get("run") or {}
        return f"Probe run {run.get('id', '?')}: {run.get('task', task)} on {run.get('dataset') or 'your dataset'}"
    if kind == "compare":
        return f"Comparison of {len(document.get('candidates') or [])} models: {task}{on_device}"
    return f"Recommendation: {task}{on_device}"


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def question_items(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of the question asked: task, target, constraints, domain; set ones only."""
    query = dict(document.get("query") or {})
    target = document.get("target") or {}
    items: list[tuple[str, str]] = []
    typed = query.pop("task_typed", None)
    for key, value in query.items():
        if value is None or value == [] or value == {} or (key in _TARGET_KEYS and target):
            continue
        text = _text(value)
        if key == "task" and typed and typed != value:
            text = f"{value} (typed as {typed})"
        items.append((QUESTION_LABELS.get(key, key.replace("_", " ").capitalize()), text))
    if not target:
        return items
    if target.get("device"):
        how = f", picked by {target['picked_by']}" if target.get("picked_by") else ""
        title = f"{target['title']} " if target.get("title") else ""
        items.append(("Target device", f"{title}[{target['device']}{how}]"))
    else:
        items.append(("Target device", "none: latency not considered, speed compared by compute (GMACs)"))
    items += [("Batch size", _text(target.get("batch_size"))), ("Precision", _text(target.get("precision")))]
    budget = target.get("budget") or {}
    for key in ("max_latency_ms", "max_size_mb", "max_params", "max_memory_mb"):
        if budget.get(key) is None:
            continue
        text = _text(budget[key])
        if key == "max_latency_ms" and target.get("budget_reason"):
            text += f" ({target['budget_reason']})"
        items.append((QUESTION_LABELS[key], text))
    return items


def accuracy_direction(document: Mapping[str, Any]) -> bool:
    """True when the accuracy figure is higher-is-better (WER, for one, is not)."""
    comparison = document.get("comparison") or {}
    if "higher_is_better" in comparison:
        return bool(comparison["higher_is_better"])
    for candidate in document.get("candidates") or []:
        acc = candidate.get("accuracy") or {}
        if "higher_is_better" in acc:
            return bool(acc["higher_is_better"])
        if acc.get("metric"):
            for spec in TASKS.values():
                for bench in spec.benchmarks:
                    if bench.metric == acc["metric"] and bench.dataset == acc.get("dataset"):
                        return bench.higher_is_better
            return True
    return True


def accuracy_label(document: Mapping[str, Any]) -> str:
    """What "accuracy" means in this report: the engine's comparison benchmark, else the most
    common metric/dataset among the candidates."""
    comparison = document.get("comparison") or {}
    if comparison.get("label"):
        return str(comparison["label"])
    counts: dict[str, int] = {}
    for candidate in document.get("candidates") or []:
        acc = candidate.get("accuracy") or {}
        if acc.get("metric"):
            label = acc.get("label") or f"{acc['metric']} ({acc.get('dataset') or 'unknown dataset'})"
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return "accuracy"
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def latency_budget(document: Mapping[str, Any]) -> float | None:
    """The target's latency budget in ms, when the question had one."""
    value = ((document.get("target") or {}).get("budget") or {}).get("max_latency_ms")
    return float(value) if isinstance(value, (int, float)) else None


def unplotted(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Ids of candidates the accuracy/latency chart cannot place (a figure is missing), so the
    page can say so instead of silently dropping them."""
    return [
        str(r.get("id"))
        for r in rows
        if not isinstance(r.get("accuracy"), (int, float))
        or not isinstance(r.get("latency_ms"), (int, float))
        or r["latency_ms"] <= 0
    ]


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str, bool))


def run_metric_names(document: Mapping[str, Any]) -> list[str]:
    """Scalar probe-run metric names across all results (accuracy, top5, macro_f1, ...), sorted."""
    names: set[str] = set()
    for result in (document.get("probe") or {}).get("results") or []:
        names.update(k for k, v in (result.get("metrics") or {}).items() if _scalar(v))
    return sorted(names)


def candidate_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat comparison rows, in the engine's order; probe-run figures joined on model id."""
    candidates = document.get("candidates") or []
    with_probe = any(c.get("probe") for c in candidates)
    run_results = (document.get("probe") or {}).get("results") or []
    run_by_id = {r.get("id"): r for r in run_results}
    metric_names = run_metric_names(document)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for candidate in candidates:
        acc = candidate.get("accuracy") or {}
        latency_range = list(candidate.get("latency_range_ms") or []) + [None, None]
        row: dict[str, Any] = {
            "rank": candidate.get("rank"),
            "id": candidate.get("id"),
            "score": candidate.get("score"),
            "pareto": bool(candidate.get("pareto")),
            "accuracy": acc.get("value"),
            "accuracy_metric": acc.get("metric"),
            "accuracy_dataset": acc.get("dataset"),
            "accuracy_kind": acc.get("kind"),
            "accuracy_source": acc.get("source"),
            "latency_ms": candidate.get("latency_ms"),
            "latency_kind": candidate.get("latency_kind"),
            "latency_low_ms": latency_range[0],
            "latency_high_ms": latency_range[1],
            "memory_mb": candidate.get("memory_mb"),
            "size_mb": candidate.get("size_mb"),
            "size_kind": candidate.get("size_kind"),
            "params": candidate.get("params"),
            "gmacs": candidate.get("gmacs"),
            "license": candidate.get("license"),
            "explanation": candidate.get("explanation") or None,
            "warnings": WARNING_SEPARATOR.join(str(w) for w in candidate.get("warnings") or []) or None,
        }
        if with_probe:
            probe = candidate.get("probe") or {}
            row.update(probe_metric=probe.get("metric"), probe_value=probe.get("value"), probe_mode=probe.get("mode"))
        if run_results:
            row.update(_run_columns(run_by_id.get(candidate.get("id")), metric_names))
        rows.append(row)
        seen.add(str(candidate.get("id")))
    # A probed model the engine could not place (not in the catalog) still belongs in the table.
    for result in run_results:
        if result.get("id") not in seen:
            row = {column: None for column in CANDIDATE_COLUMNS}
            row.update(id=result.get("id"), pareto=False)
            if with_probe:
                row.update({column: None for column in CANDIDATE_PROBE_COLUMNS})
            row.update(_run_columns(result, metric_names))
            rows.append(row)
    return rows


def _run_columns(result: Mapping[str, Any] | None, metric_names: Sequence[str]) -> dict[str, Any]:
    result = result or {}
    metrics = result.get("metrics") or {}
    columns = {"run_mode": result.get("mode"), "run_status": result.get("status"), "run_score": result.get("score")}
    columns.update({f"run_{name}": metrics.get(name) for name in metric_names})
    columns["run_duration_s"] = result.get("duration_s")
    return columns


def extra_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The probe_* and run_* columns present, in their row order."""
    return [c for c in (rows[0] if rows else {}) if c.startswith(("probe_", "run_"))]


def row_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Column order: the shared candidate columns, then any probe columns in first-seen order."""
    columns = list(CANDIDATE_COLUMNS)
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    return columns


def per_class_table(metrics: Mapping[str, Any] | None) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    """Per-class figures of one probe result as (columns, [(class, values)]).

    Accepts the shapes a probe can reasonably store: `per_class: {class: {metric: v}}`,
    scikit-learn's `classification_report(output_dict=True)` (class -> dict, plus averages), and
    `per_class_<metric>: {class: v}` maps. Classes keep their stored order.
    """
    table: dict[str, dict[str, Any]] = {}
    columns: list[str] = []
    for key, value in (metrics or {}).items():
        if not isinstance(value, Mapping) or not value:
            continue
        nested = {cls: figures for cls, figures in value.items() if isinstance(figures, Mapping)}
        if nested:  # stray scalars beside the classes (a report's overall "accuracy") are summary figures
            for cls, figures in nested.items():
                for metric, figure in figures.items():
                    if _scalar(figure):
                        table.setdefault(str(cls), {})[str(metric)] = figure
                        if str(metric) not in columns:
                            columns.append(str(metric))
        elif all(_scalar(v) for v in value.values()):
            metric = key.removeprefix("per_class_") if key.startswith("per_class_") else key
            for cls, figure in value.items():
                table.setdefault(str(cls), {})[metric] = figure
            if metric not in columns:
                columns.append(metric)
    return columns, [(cls, [figures.get(c) for c in columns]) for cls, figures in table.items()]
