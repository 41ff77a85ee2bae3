"""`advisor recommend` and `advisor compare`: thin views over advisor.ranking.

Human output: the target and budget line, a Rich table readable at a glance, one explanation
line per candidate, then warnings (those every candidate shares are printed once). The ranking
engine is imported inside the commands so other commands start fast; nothing here imports torch.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer
from rich.markup import escape

from advisor.cli.context import state
from advisor.cli.options import DeviceOpt, JsonOpt
from advisor.cli.output import emit_json, stdout, table


class Prefer(str, Enum):  # the values of advisor.ranking.PREFERENCES
    balanced = "balanced"
    accuracy = "accuracy"
    speed = "speed"
    size = "size"


def _fmt_acc(c: dict) -> str:
    from advisor.explain import format_value, short_metric

    if c["accuracy"] is None:
        return "unrated"
    a = c["accuracy"]
    return f"{format_value(a['value'])} {short_metric(a['metric'])}"


def _fmt_latency(c: dict) -> str | None:
    if c["latency_ms"] is None:
        return None
    tag = {"estimated": "est", "measured": "meas", "reported": "rep"}.get(c["latency_kind"], c["latency_kind"])
    return f"{c['latency_ms']:.1f} ms {tag}"


def _fmt_size(c: dict) -> str | None:
    if c["size_mb"] is None:
        return None
    return f"{c['size_mb']:.1f}" + ("*" if c["size_kind"] == "estimated" else "")


def print_candidates(doc: dict, title: str) -> None:
    """The table, explanation lines and warnings of a recommend/compare document."""
    from catalog.units import format_count

    cands = doc["candidates"]
    has_probe = any(c["probe"] for c in cands)
    columns = ["#", "model", "accuracy"] + (["on your data"] if has_probe else []) + [
        ("latency", {"justify": "right"}), ("size MB", {"justify": "right"}), ("params", {"justify": "right"}),
        "license", ("Pareto", {"justify": "center"})]
    rows = []
    for c in cands:
        probe = [f"{c['probe']['value']:.3g} {c['probe']['metric']}" if c["probe"] else None] if has_probe else []
        rows.append([c["rank"], c["id"], _fmt_acc(c), *probe, _fmt_latency(c), _fmt_size(c),
                     format_count(c["params"]), c["license"], "*" if c["pareto"] else ""])
    stdout.print(table(title, columns, rows))
    for c in cands:
        stdout.print(f"[bold]{c['rank']}. {escape(c['id'])}[/bold]: {escape(c['explanation'])}", highlight=False)
    _print_warnings(cands)
    legend = ["* Pareto: no other candidate is better on accuracy, speed and size at once"]
    if any(c["latency_kind"] == "estimated" for c in cands):
        legend.append("est = estimated by the latency model (ranges in --json; `advisor bench latency ID` measures)")
    if any(c["size_kind"] == "estimated" for c in cands):
        legend.append("size* = parameters x 4 bytes (fp32), estimated")
    stdout.print(f"[dim]{escape('; '.join(legend))}.[/dim]", highlight=False)
    for n in doc.get("notes", []):
        stdout.print(f"[dim]note: {escape(n)}[/dim]", highlight=False)


# Said once by the table legend instead of once per candidate.
_LEGEND_WARNINGS = ("latency estimated (", "size estimated from the parameter count")


def _print_warnings(cands: list[dict]) -> None:
    """Each distinct warning once, with the ranks it applies to ("all" when it applies to every one)."""
    by_text: dict[str, list[int]] = {}
    for c in cands:
        for w in c["warnings"]:
            if w.startswith(_LEGEND_WARNINGS):
                continue
            # The same caution for different models reads the same once the id is taken out.
            key = w.replace(f"`advisor bench latency {c['id']}`", "`advisor bench latency ID`")
            by_text.setdefault(key, []).append(c["rank"])
    if not by_text:
        return
    stdout.print("[yellow]Warnings:[/yellow]", highlight=False)
    for text, ranks in by_text.items():
        who = "all" if len(ranks) == len(cands) and len(cands) > 1 else ", ".join(f"#{r}" for r in ranks)
        stdout.print(f"  [yellow]- ({who}) {escape(text)}[/yellow]", highlight=False)


def recommend(
    task: Annotated[str, typer.Option("--task", "-t", help="Task: a Hugging Face pipeline tag or an alias (detection, sentiment, asr, face-recognition, ...).")],
    edge: Annotated[bool, typer.Option("--edge", help="Target the default edge device, real-time at batch 1.")] = False,
    server: Annotated[bool, typer.Option("--server", help="Target the default server GPU, interactive at batch 1.")] = False,
    device: DeviceOpt = None,
    domain: Annotated[Optional[str], typer.Option("--domain", help="Your data's domain in words: 'chest x-ray', 'satellite imagery', 'tweets', ...")] = None,
    max_latency_ms: Annotated[Optional[float], typer.Option("--max-latency-ms", help="Latency budget on the target (ms).")] = None,
    max_size_mb: Annotated[Optional[float], typer.Option("--max-size-mb", help="Largest weights file (MB).")] = None,
    max_params: Annotated[Optional[str], typer.Option("--max-params", help="Largest parameter count, e.g. 25M.")] = None,
    max_memory_mb: Annotated[Optional[float], typer.Option("--max-memory-mb", help="Largest inference memory (MB).")] = None,
    min_accuracy: Annotated[Optional[float], typer.Option("--min-accuracy", help="Lowest canonical accuracy (for error rates such as WER: highest).")] = None,
    license: Annotated[str, typer.Option("--license", help="any, commercial (permissive licences only) or an SPDX id.")] = "any",
    prefer: Annotated[Prefer, typer.Option("--prefer", help="What the ranking favours.")] = Prefer.balanced,
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="How many candidates to show.")] = 10,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="A dataset you probed (path or fingerprint): rank by your probe results first.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Batch size for latency.")] = 1,
    precision: Annotated[str, typer.Option("--precision", help="fp32, fp16, bf16 or int8.")] = "fp32",
    json_out: JsonOpt = False,
) -> None:
    """Recommend models for a task and a target: `advisor recommend --task detection --edge`."""
    from advisor.ranking import RecommendRequest
    from advisor.ranking import recommend as run_recommend
    from catalog.errors import UsageError
    from catalog.units import parse_count

    if edge and server:
        raise UsageError("Choose one target: --edge and --server contradict each other.")
    if (edge or server) and device:
        raise UsageError(f"Choose one target: --{'edge' if edge else 'server'} already picks a device, so drop it or --device {device}.")
    request = RecommendRequest(
        task=task, device=device, target="edge" if edge else "server" if server else None, domain=domain,
        max_latency_ms=max_latency_ms, max_size_mb=max_size_mb,
        max_params=parse_count(max_params) if max_params else None, max_memory_mb=max_memory_mb,
        min_accuracy=min_accuracy, license=license, prefer=prefer.value, top=top, dataset=dataset,
        batch_size=batch_size, precision=precision,
    )
    # Probe results (--dataset) are read through the probe engine's ORM bookkeeping.
    with state.reader(orm=dataset is not None) as db:
        doc = run_recommend(db, request).to_dict()
    if json_out:
        emit_json(doc)
        return
    stdout.print(_target_line(doc), highlight=False, markup=False)
    shown = len(doc["candidates"])
    more = f" (showing {shown} of {doc['total']})" if doc["total"] > shown else ""
    comparison = doc["comparison"]["label"] if doc["comparison"] else "no canonical benchmark"
    print_candidates(doc, f"{doc['task']['title']}: {doc['total']} candidates fit{more}, accuracy = {comparison}")
    excluded = {k: v for k, v in doc["excluded"].items() if v}
    if excluded:
        stdout.print("[dim]left out by constraints: " + ", ".join(f"{k} {v}" for k, v in excluded.items()) + "[/dim]",
                     highlight=False)


def _target_line(doc: dict) -> str:
    from advisor.targets import describe_target

    return describe_target(doc["target"])


def compare(
    models: Annotated[list[str], typer.Argument(help="Model ids (or unique partial names) to put side by side.")],
    device: DeviceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare models side by side: every figure with its kind and source."""
    from advisor.ranking import compare as run_compare

    with state.reader() as db:
        doc = run_compare(db, models, device=device).to_dict()
    if json_out:
        emit_json(doc)
        return
    stdout.print(_target_line(doc), highlight=False, markup=False)
    comparison = doc["comparison"]["label"] if doc["comparison"] else "no canonical benchmark"
    print_candidates(doc, f"{len(doc['candidates'])} models, {doc['task']['title']}, accuracy = {comparison}")
    rows = [(p["id"], p["figure"], f"{p['value']:g}" if isinstance(p["value"], (int, float)) else p["value"],
             p["kind"], p["source"]) for p in doc["provenance"]]
    for model_id, metrics in (doc.get("metrics") or {}).items():
        for m in metrics:
            key = (model_id, m["figure"])
            if not any((r[0], r[1]) == key for r in rows):
                rows.append((model_id, m["figure"], f"{m['value']:g}", m["kind"], m["source"]))
    stdout.print(table("Every figure, its kind and source", ["model", "figure", "value", "kind", "source"], rows))
