"""`advisor probe DATASET --task T`: which candidates work best on the user's own data, and
`advisor runs list|show`: the probe runs stored so far.

Thin over benchmarks/: the dataset, executor, auto mode and store rows all live there.
"""

from __future__ import annotations

import re
from typing import Annotated, Optional

import typer

from advisor.cli.context import state
from advisor.cli.options import JsonOpt
from advisor.cli.output import emit_json, note, stderr, stdout, table, warn
from catalog.errors import UsageError

PROBE_MODES = ("auto", "knn", "logme", "linear", "finetune")
PROBE_TASKS = {"image-classification": "image", "text-classification": "text"}
LOADER_SOURCES = ("timm:", "torchvision:", "hf:")


def parse_budget(text: str) -> float:
    """'10m', '90s', '1h30m', '2.5m' or plain seconds -> seconds."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*(h|m|min|s|sec)", value)
        if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
            raise UsageError(f"--budget takes a duration such as 10m, 90s or 1h30m, not '{text}'.")
        scale = {"h": 3600, "m": 60, "min": 60, "s": 1, "sec": 1}
        seconds = sum(float(n) * scale[u] for n, u in parts)
    if seconds <= 0:
        raise UsageError("--budget must be longer than zero.")
    return seconds


def _resolve_models(session, raw: str) -> list[str]:
    from catalog.errors import UnknownModelError
    from catalog.queries import resolve_model_id

    ids: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if item.startswith(LOADER_SOURCES):
            ids.append(item)
            continue
        try:
            ids.append(resolve_model_id(session, item))
        except UnknownModelError:
            import timm  # probes import torch anyway; timm knows names the catalog may not hold yet

            if not timm.is_model(item.split(".")[0]):
                raise
            ids.append(f"timm:{item}")
    if not ids:
        raise UsageError("--models is empty; give comma-separated model ids.")
    return list(dict.fromkeys(ids))


def _top_models(session, task: str, top: int, filters: dict) -> list[str]:
    try:
        from advisor.ranking import RecommendRequest, recommend
    except ImportError:
        raise UsageError("The recommend engine (advisor.ranking) is not installed in this build, so --top cannot "
                         "pick candidates; pass --models ID,... instead.") from None
    request = RecommendRequest(task=task, top=top, **{k: v for k, v in filters.items() if v is not None})
    candidates = recommend(session, request).to_dict()["candidates"]
    ids = [c["id"] for c in candidates if c["id"].startswith(LOADER_SOURCES)]
    if not ids:
        raise UsageError(f"The recommend engine found no {task} candidates that timm, torchvision or transformers "
                         "can load with these filters; pass --models instead.")
    return ids


class _Progress:
    """Rich progress on stderr: one bar per stage, a line per finished probe."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=stderr, transient=True, disable=not enabled)
        self.task = None

    def stage(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(f"{name} probes", total=max(total, 1))

    def done(self, outcome) -> None:
        if self.task is not None:
            self.progress.advance(self.task, 1)
        if outcome.status == "ok":
            self.progress.console.print(f"[green]ok[/green] {outcome.model_id} {outcome.mode}: "
                                        f"{outcome.score:.4g} ({outcome.duration_s:.1f}s)", highlight=False)
        else:
            self.progress.console.print(f"[red]failed[/red] {outcome.model_id} {outcome.mode}: {outcome.error}",
                                        highlight=False)


def probe(
    dataset: Annotated[str, typer.Argument(help="A folder of class subfolders (optionally train/ and val/), or a .csv / .jsonl file with text,label.")],
    task: Annotated[str, typer.Option("--task", "-t", help="image-classification or text-classification (aliases work).")],
    models: Annotated[Optional[str], typer.Option("--models", help="Comma-separated model ids (timm:..., torchvision:..., hf:...).")] = None,
    top: Annotated[Optional[int], typer.Option("--top", min=1, max=50, help="Probe the top N candidates of `advisor recommend` instead.")] = None,
    mode: Annotated[str, typer.Option("--mode", help=f"One of: {', '.join(PROBE_MODES)}.")] = "auto",
    budget: Annotated[str, typer.Option("--budget", help="Wall-clock budget for --mode auto, e.g. 10m, 90s.")] = "10m",
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    executor: Annotated[str, typer.Option("--executor", help="local, or ray (one probe per Ray task).")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="Ray cluster address (default: a local Ray instance).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun (model, dataset, mode) triples that finished before.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Batch size for extraction and fine-tuning.")] = 64,
    val_fraction: Annotated[float, typer.Option("--val-fraction", help="Validation share when the folder has no val/ split.")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/val split and of training.")] = 0,
    domain: Annotated[Optional[str], typer.Option("--domain", help="With --top: the recommend domain filter.")] = None,
    license: Annotated[Optional[str], typer.Option("--license", help="With --top: the recommend licence filter.")] = None,
    max_params: Annotated[Optional[str], typer.Option("--max-params", help="With --top: largest parameter count, e.g. 25M.")] = None,
    max_size_mb: Annotated[Optional[float], typer.Option("--max-size-mb", help="With --top: largest weights size.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Probe candidate models on your own dataset: k-NN, LogME, linear probe, short fine-tune."""
    import time

    started_at = time.time()  # --budget counts from here: reading the data and loading libraries is part of it
    from advisor.tasks import resolve_task
    from catalog.units import parse_count

    if mode not in PROBE_MODES:
        raise UsageError(f"--mode must be one of {', '.join(PROBE_MODES)}, not {mode}.")
    if executor not in ("local", "ray"):
        raise UsageError(f"--executor must be local or ray, not {executor}.")
    task_name = resolve_task(task).task.name
    if task_name not in PROBE_TASKS:
        raise UsageError(f"Probes cover {' and '.join(PROBE_TASKS)}; {task_name} is not one of them yet.")
    if models and top:
        raise UsageError("Give --models or --top, not both.")
    if not models and not top:
        raise UsageError("Say which models to probe: --models ID,... or --top N (candidates from `advisor recommend`).")
    budget_s = parse_budget(budget)

    from benchmarks.datasets import load_dataset

    data = load_dataset(dataset, val_fraction=val_fraction, seed=seed)
    if data.kind != PROBE_TASKS[task_name]:
        raise UsageError(f"{dataset} is a {data.kind} dataset but --task {task_name} needs {PROBE_TASKS[task_name]} data.")
    for line in data.report.warnings():
        warn(line)
    note(f"dataset {data.fingerprint}: {len(data.classes)} classes, {len(data.train)} train / {len(data.val)} val ({data.split})")

    store = state.store()
    with store.session() as session:
        if models:
            model_ids = _resolve_models(session, models)
        else:
            filters = {"domain": domain, "license": license or "any", "max_size_mb": max_size_mb,
                       "max_params": parse_count(max_params) if max_params else None}
            model_ids = _top_models(session, task_name, top, filters)
    from benchmarks.probe_session import ProbeSession

    runner = ProbeSession(store, data, task_name, model_ids, mode=mode, device=device, executor=executor,
                          address=address, force=force, budget_s=budget_s, batch_size=batch_size, seed=seed,
                          started_at=started_at)
    progress = _Progress(enabled=not json_out or stderr.is_terminal)
    with progress.progress:
        document = runner.run(on_stage=progress.stage, on_outcome=progress.done)
    if json_out:
        emit_json(document)
    else:
        _print_document(document)
    if document["status"] == "interrupted":
        raise typer.Exit(130)


def _print_document(document: dict) -> None:
    ds = document["dataset"]
    stdout.print(f"[bold]Probe run {document['run_id']}[/bold] on {ds['path']} "
                 f"({ds['fingerprint']}, {len(ds['classes'])} classes, {ds['samples']} samples), "
                 f"device {document['device']}, {document['seconds']:.1f}s", highlight=False)
    rows = []
    for r in document["results"]:
        m = r["metrics"] or {}
        rows.append((r.get("rank") or "-", r["id"], r["mode"], "-" if r["score"] is None else f"{r['score']:.4f}",
                     _fmt(m.get("accuracy")), _fmt(m.get("macro_f1")), _fmt(m.get("top5")), f"{r['duration_s']:.1f}",
                     ("reused " if r.get("reused") else "") + r["status"] + (f": {r['error']}" if r["error"] else "")))
    stdout.print(table("Results (best first within each mode)", ["rank", "model", "mode", "score", "accuracy",
                       "macro F1", "top-5", "seconds", "status"], rows))
    if document.get("reached"):
        stdout.print(table("Auto mode: how far each candidate got", ["model", "reached", "stopped because"],
                           [(k, v["reached"] or "-", v["stopped"] or "-") for k, v in document["reached"].items()]))


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


runs_app = typer.Typer(help="Stored probe runs.", no_args_is_help=False, invoke_without_command=True)


@runs_app.callback()
def _runs_default(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    if ctx.invoked_subcommand is None:
        runs_list(json_out=json_out)


@runs_app.command("list")
def runs_list(json_out: JsonOpt = False,
              limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 50) -> None:
    """List probe runs, most recent first."""
    from benchmarks.runs import list_runs

    with state.store().session() as session:
        runs = [r.to_dict(with_results=False) for r in list_runs(session, limit)]
    if json_out:
        emit_json({"runs": runs})
        return
    stdout.print(table("Probe runs", ["run", "task", "mode", "dataset", "device", "status", "started"],
                       [(r["run_id"], r["task"], r["mode"], f"{r['dataset']['path']} ({r['dataset']['fingerprint']})",
                         r["device"], r["status"], r["started_at"]) for r in runs]))


@runs_app.command("show")
def runs_show(run_id: Annotated[str, typer.Argument(help="A run id from `advisor runs list` (a unique part works).")],
              json_out: JsonOpt = False) -> None:
    """Show one probe run with every result, its metrics and hyper-parameters."""
    from benchmarks.runs import get_run

    with state.store().session() as session:
        view = get_run(session, run_id).to_dict()
    if json_out:
        emit_json(view)
        return
    stdout.print(f"[bold]{view['run_id']}[/bold] {view['task']} {view['mode']} on {view['dataset']['path']} "
                 f"({view['dataset']['fingerprint']}), {view['status']}", highlight=False)
    stdout.print(table(None, ["model", "mode", "score", "accuracy", "macro F1", "seconds", "device", "status"],
                       [(r["id"], r["mode"], "-" if r["score"] is None else f"{r['score']:.4f}",
                         _fmt((r["metrics"] or {}).get("accuracy")), _fmt((r["metrics"] or {}).get("macro_f1")),
                         f"{r['duration_s']:.1f}", r["device"], r["status"] + (f": {r['error']}" if r["error"] else ""))
                        for r in view["results"]]))
