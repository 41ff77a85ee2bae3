"""`advisor bench latency ID...`: measure latency and memory on this machine, store every result."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from advisor.cli.context import state
from advisor.cli.options import JsonOpt
from advisor.cli.output import emit_json, note, stderr, stdout, table, warn

app = typer.Typer(no_args_is_help=True, help="Measure models on this machine.")


class BenchDevice(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


class Precision(str, Enum):
    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    int8 = "int8"


def _resolve(session, queries: list[str]) -> tuple[list[str], list[dict]]:
    """Ids the harness can try, and failed entries for names that match nothing buildable."""
    from catalog.errors import UsageError
    from catalog.queries import resolve_model_id

    ids, failed = [], []
    for query in queries:
        try:
            ids.append(resolve_model_id(session, query))
        except UsageError as exc:
            if query.split(":", 1)[0] in ("timm", "torchvision"):
                ids.append(query)  # not in the catalog yet: the harness can still build it
            else:
                failed.append({"id": query, "status": "failed", "error": str(exc)})
    return list(dict.fromkeys(ids)), failed


@app.command("latency")
def latency(
    models: Annotated[list[str], typer.Argument(help="Model ids (timm:<tag>, torchvision:<model>.<WEIGHTS>) or unique names.")],
    device: Annotated[BenchDevice, typer.Option("--device", help="Where to run: cpu or cuda.")] = BenchDevice.cpu,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", min=1, max=4096, help="Batch size (CUDA out-of-memory halves it, recorded).")] = 1,
    precision: Annotated[Precision, typer.Option("--precision", help="fp32, fp16/bf16 (autocast) or int8 (PyTorch quantisation, CPU).")] = Precision.fp32,
    channels_last: Annotated[bool, typer.Option("--channels-last", help="NHWC memory layout for model and input.")] = False,
    compile_model: Annotated[bool, typer.Option("--compile", help="torch.compile the model (compile time is not timed).")] = False,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, max=1024, help="CPU threads (default: torch's, one per core).")] = None,
    img_size: Annotated[Optional[int], typer.Option("--img-size", min=16, max=4096, help="Input side in pixels (default: the model's own).")] = None,
    min_time: Annotated[float, typer.Option("--min-time", min=0.1, max=600, help="Seconds of clean timing per model.")] = 2.0,
    max_contention: Annotated[float, typer.Option("--max-contention", min=0.0, max=1.0, help="CPU share other processes may take in a kept timing block.")] = 0.1,
    json_out: JsonOpt = False,
) -> None:
    """Time each model (warm-up, synchronised timing, median/p90, throughput, peak memory) and store it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from benchmarks.latency import BenchSettings, run_latency

    settings = BenchSettings(
        device=device.value, batch_size=batch_size, precision=precision.value, channels_last=channels_last,
        compile=compile_model, threads=threads, img_size=img_size, min_time_s=min_time, max_contention=max_contention,
    )
    store = state.store()
    with store.session() as session:
        ids, unresolved = _resolve(session, models)
    for entry in unresolved:
        warn(f"{entry['id']}: {entry['error']}")
    fingerprint: dict = {}
    results = []
    if ids:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=stderr, transient=json_out) as progress:
            task = progress.add_task("starting", total=len(ids))

            def started(model_id: str) -> None:
                progress.update(task, description=f"timing {model_id}")

            def finished(r) -> None:
                progress.advance(task)
                if r.status == "ok":
                    progress.console.print(f"[green]ok[/green] {r.id}: p50 {r.latency_ms_p50:.2f} ms, p90 {r.latency_ms_p90:.2f} ms", highlight=False)
                else:
                    progress.console.print(f"[red]failed[/red] {r.id}: {r.error}", highlight=False)

            fingerprint, results = run_latency(store, ids, settings, on_start=started, on_result=finished)
    documents = [r.to_dict() for r in results] + unresolved
    if json_out:
        emit_json({"device": fingerprint, "results": documents})
    else:
        if fingerprint:
            note(f"device {fingerprint.get('device_key')}: {fingerprint.get('gpu_name') or fingerprint.get('cpu_model')}, "
                 f"{fingerprint.get('threads')} threads, torch {fingerprint.get('torch')}")
        stdout.print(table("Latency", ["model", "batch", "precision", ("p50 ms", {"justify": "right"}), ("p90 ms", {"justify": "right"}),
                                       ("items/s", {"justify": "right"}), ("peak MB", {"justify": "right"}), "status"],
                           [(d["id"], d.get("batch_size"), d.get("precision"), _fmt(d.get("latency_ms_p50")), _fmt(d.get("latency_ms_p90")),
                             _fmt(d.get("throughput_per_s"), 1), _fmt(d.get("peak_memory_mb"), 1), d["status"] if d["status"] == "ok" else f"failed: {d['error']}")
                            for d in documents]))
        for r in results:
            for line in r.notes:
                if ("int8" in line and "accuracy" in line) or "inflated" in line or "out of memory" in line:
                    warn(f"{r.id}: {line}")
    if documents and all(d["status"] != "ok" for d in documents):
        raise typer.Exit(1)


def _fmt(value: float | None, digits: int = 2) -> str | None:
    return None if value is None else f"{value:.{digits}f}"
