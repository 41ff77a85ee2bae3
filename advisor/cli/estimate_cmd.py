"""`advisor estimate ID...`: latency and memory on a target, measured where we have it, else estimated."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from advisor.cli.context import state
from advisor.cli.options import JsonOpt
from advisor.cli.output import emit_json, note, stdout, table, warn


def estimate(
    models: Annotated[list[str], typer.Argument(help="Model ids or unique names.")],
    device: Annotated[str, typer.Option("--device", help="A device profile (see `advisor devices`); default: this machine.")] = "this",
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", min=1, max=4096, help="Batch size.")] = 1,
    precision: Annotated[str, typer.Option("--precision", help="fp32, fp16, bf16 or int8 (what the device can run).")] = "fp32",
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, max=1024, help="CPU threads (default: one per core of the target).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Latency (with a range) and memory per model on a device; says whether each is measured or estimated."""
    from advisor.devices import get_profile
    from advisor.latency import latency_table
    from catalog.errors import UsageError
    from catalog.queries import resolve_model_id

    if precision not in ("fp32", "fp16", "bf16", "int8"):
        raise UsageError(f"--precision must be fp32, fp16, bf16 or int8, not '{precision}'.")
    profile = get_profile(device)
    rows, missing = [], []
    with state.reader() as db:
        ids = []
        for query in models:
            try:
                ids.append(resolve_model_id(db, query))
            except UsageError as exc:
                if len(models) == 1:
                    raise
                warn(str(exc))
        figures = latency_table(db, ids, profile.name, batch_size=batch_size, precision=precision, threads=threads)
    for model_id in ids:
        fig = figures.get(model_id)
        if fig is None:
            missing.append(model_id)
            continue
        rows.append({"id": model_id, "latency_ms": round(fig.latency_ms, 3), "kind": fig.kind,
                     "latency_range_ms": [round(fig.range_ms[0], 3), round(fig.range_ms[1], 3)],
                     "memory_mb": fig.memory_mb, "source": fig.source})
    for model_id in missing:
        warn(f"{model_id}: no estimate (the catalog has no GMACs/params for it) and no measurement on {profile.name}.")
    if json_out:
        emit_json({"device": profile.name, "device_title": profile.title, "batch_size": batch_size,
                   "precision": precision, "threads": threads, "estimates": rows,
                   "missing": missing})
        return
    note(f"{profile.title}; batch {batch_size}, {precision}")
    stdout.print(table(None, ["model", ("ms", {"justify": "right"}), ("range ms", {"justify": "right"}), ("memory MB", {"justify": "right"}), "kind", "basis"],
                       [(r["id"], f"{r['latency_ms']:.2f}", f"{r['latency_range_ms'][0]:.2f}-{r['latency_range_ms'][1]:.2f}",
                         None if r["memory_mb"] is None else f"{r['memory_mb']:.0f}", r["kind"], r["source"]) for r in rows]))
    if missing and not rows:
        raise typer.Exit(1)
