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

# The flat row every format shares; probe columns (probe_*) are appended when a run is present.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "rank", "id", "score", "pareto",
    "accuracy", "accuracy_metric", "accuracy_dataset", "accuracy_kind",
    "latency_ms", "latency_kind", "latency_low_ms", "latency_high_ms",
    "size_mb", "params", "gmacs", "license", "explanation", "warnings",
)
WARNING_SEPARATOR = "; "

# Labels for the query keys the engine is known to send; unknown keys are shown as they are.
QUESTION_LABELS: dict[str, str] = {
    "task": "Task", "target": "Target", "device": "Device", "domain": "Domain", "dataset": "Dataset",
    "models": "Models", "max_latency_ms": "Max latency (ms)", "max_size_mb": "Max size (MB)",
    "max_params": "Max params", "max_memory_mb": "Max memory (MB)", "min_accuracy": "Min accuracy",
    "license": "Licence", "prefer": "Preference", "top": "Top", "batch_size": "Batch size",
    "precision": "Precision", "run_id": "Probe run",
}


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
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit() else datetime.now(timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def title_of(document: Mapping[str, Any]) -> str:
    """A one-line title naming the question."""
    query = document.get("query") or {}
    device = (document.get("target") or {}).get("device") or query.get("device")
    on_device = f" on {device}" if device else ""
    kind = report_kind(document)
    if kind == "probe-run":
        run = (document.get("probe") or {}).get("run") or {}
        return f"Probe run {run.get('id', '?')}: {run.get('task', '?')} on your dataset{on_device}"
    if kind == "compare":
        return f"Comparison of {len(document.get('candidates') or [])} models{on_device}"
    return f"Recommendation: {query.get('task', '?')}{on_device}"


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def question_items(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of the question asked: task, target, constraints, domain; set ones only."""
    query = dict(document.get("query") or {})
    target = document.get("target") or {}
    items: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None or value == [] or value == {}:
            continue
        items.append((QUESTION_LABELS.get(key, key.replace("_", " ").capitalize()), _text(value)))
    seen = {label for label, _ in items}
    for key in ("device", "batch_size", "precision"):
        if target.get(key) is not None and QUESTION_LABELS[key] not in seen:
            items.append((QUESTION_LABELS[key], _text(target[key])))
    for key, value in (target.get("budget") or {}).items():
        label = QUESTION_LABELS.get(key, key)
        if value is not None and label not in seen:
            items.append((label, _text(value)))
    return items


def accuracy_direction(document: Mapping[str, Any]) -> bool:
    """True when the accuracy figure is higher-is-better (WER, for one, is not)."""
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
    """The y-axis label: the most common metric/dataset among the candidates."""
    counts: dict[str, int] = {}
    for candidate in document.get("candidates") or []:
        acc = candidate.get("accuracy") or {}
        if acc.get("metric"):
            label = f"{acc['metric']} ({acc.get('dataset') or 'unknown dataset'})"
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return "accuracy"
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str, bool))


def probe_scalar_names(document: Mapping[str, Any]) -> list[str]:
    """Scalar probe metric names across all results (accuracy, top5, macro_f1, ...), sorted."""
    names: set[str] = set()
    for result in (document.get("probe") or {}).get("results") or []:
        names.update(k for k, v in (result.get("metrics") or {}).items() if _scalar(v))
    return sorted(names)


def candidate_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat comparison rows, in the engine's order; probe figures joined on model id."""
    probe_results = (document.get("probe") or {}).get("results") or []
    probe_by_id = {r.get("id"): r for r in probe_results}
    metric_names = probe_scalar_names(document)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for candidate in document.get("candidates") or []:
        acc = candidate.get("accuracy") or {}
        latency_range = list(candidate.get("latency_range_ms") or [None, None]) + [None, None]
        row: dict[str, Any] = {
            "rank": candidate.get("rank"), "id": candidate.get("id"), "score": candidate.get("score"),
            "pareto": bool(candidate.get("pareto")),
            "accuracy": acc.get("value"), "accuracy_metric": acc.get("metric"),
            "accuracy_dataset": acc.get("dataset"), "accuracy_kind": acc.get("kind"),
            "latency_ms": candidate.get("latency_ms"), "latency_kind": candidate.get("latency_kind"),
            "latency_low_ms": latency_range[0], "latency_high_ms": latency_range[1],
            "size_mb": candidate.get("size_mb"), "params": candidate.get("params"), "gmacs": candidate.get("gmacs"),
            "license": candidate.get("license"), "explanation": candidate.get("explanation"),
            "warnings": WARNING_SEPARATOR.join(str(w) for w in candidate.get("warnings") or []) or None,
        }
        if probe_results:
            row.update(_probe_columns(probe_by_id.get(candidate.get("id")), metric_names))
        rows.append(row)
        seen.add(str(candidate.get("id")))
    # A probed model the engine could not place (no catalog figures) still belongs in the table.
    for result in probe_results:
        if result.get("id") not in seen:
            row = {column: None for column in CANDIDATE_COLUMNS}
            row.update(id=result.get("id"), pareto=False)
            row.update(_probe_columns(result, metric_names))
            rows.append(row)
    return rows


def _probe_columns(result: Mapping[str, Any] | None, metric_names: Sequence[str]) -> dict[str, Any]:
    result = result or {}
    metrics = result.get("metrics") or {}
    columns = {"probe_mode": result.get("mode"), "probe_status": result.get("status"), "probe_score": result.get("score")}
    columns.update({f"probe_{name}": metrics.get(name) for name in metric_names})
    columns["probe_duration_s"] = result.get("duration_s")
    return columns


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
