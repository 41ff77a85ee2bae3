"""`advisor catalog build|stats|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from advisor.cli.context import state
from advisor.cli.options import JsonOpt
from advisor.cli.output import emit_json, note, stdout, table, warn

app = typer.Typer(no_args_is_help=True)


@app.command("build")
def build(
    sources: Annotated[str, typer.Option("--sources", help="Comma-separated offline sources.")] = "timm,torchvision,cards",
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes for computing params/GMACs.")] = 2,
    output: Annotated[Optional[Path], typer.Option("--output", help="Snapshot directory (default: the package's data/).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Build the offline catalog from the installed timm, torchvision and the curated cards."""
    from catalog.build import build_catalog
    from catalog.sources import get_source

    names = [s.strip() for s in sources.split(",") if s.strip()]
    for name in names:
        get_source(name)  # unknown names fail here, before any work

    def done(report, seconds: float) -> None:
        skipped = sum(report.skipped.values())
        note(f"{report.name}: {len(report.records)} models in {seconds:.1f}s" + (f", {skipped} skipped" if skipped else ""))

    store = state.store(load_snapshot=False)
    result = build_catalog(store, names, workers=workers, output=output, on_done=done)
    document = {
        "models": result.models,
        "snapshot": str(result.snapshot),
        "seconds": {k: round(v, 2) for k, v in result.seconds.items()},
        "sources": {
            r.name: {"models": len(r.records), "skipped": r.skipped, "dropped_fields": r.dropped_fields}
            for r in result.reports
        },
    }
    if json_out:
        emit_json(document)
        return
    rows = [(r.name, len(r.records), sum(r.skipped.values()), sum(r.dropped_fields.values()), f"{result.seconds[r.name]:.1f}")
            for r in result.reports]
    stdout.print(table("Catalog build", ["source", "models", "skipped", "dropped fields", "seconds"], rows))
    stdout.print(f"{result.models} models in the catalog; snapshot written to {result.snapshot}")
    for r in result.reports:
        for reason, count in sorted(r.skipped.items(), key=lambda kv: -kv[1])[:5]:
            warn(f"{r.name}: skipped {count}: {reason}")


@app.command("stats")
def stats(json_out: JsonOpt = False) -> None:
    """Counts of models by source, task and domain, and of figures."""
    from catalog.queries import catalog_stats

    with state.reader() as db:
        document = catalog_stats(db)
    if json_out:
        emit_json(document)
        return
    stdout.print(f"[bold]{document['models']}[/bold] models, {document['metrics']} metrics, {document['benchmarks']} benchmarks")
    for key, title in (("models_by_source", "source"), ("models_by_origin", "origin"), ("models_by_domain", "domain"), ("models_by_task", "task")):
        stdout.print(table(f"Models by {title}", [title, ("models", {"justify": "right"})], list(document[key].items())))


@app.command("export")
def export(path: Annotated[Path, typer.Argument(help="Output file: .jsonl (one model per line) or .csv.")]) -> None:
    """Export the whole catalog, with every figure and its provenance."""
    from catalog.export import export_catalog

    with state.store().session() as session:
        count = export_catalog(session, path)
    note(f"Wrote {count} models to {path}")


sync_app = typer.Typer(no_args_is_help=True, help="Keep the catalog fresh from an online source.")
import_app = typer.Typer(no_args_is_help=True, help="Import published results tables.")
app.add_typer(sync_app, name="sync")
app.add_typer(import_app, name="import")


@sync_app.command("hf")
def sync_hf_command(
    task: Annotated[Optional[list[str]], typer.Option("--task", "-t", help="Only models with this pipeline tag (repeatable).")] = None,
    author: Annotated[Optional[str], typer.Option("--author", help="Only this user's or organisation's models.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many models per listing.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything instead of stopping at the last sync's watermark.")] = False,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Hub URL (default: HF_ENDPOINT or https://huggingface.co).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Sync models from the Hugging Face Hub: incremental by default, resumable after any interruption."""
    from catalog.hf_sync import SyncOptions, sync_hf

    def progress(summary) -> None:
        if summary.pages % 10 == 1:
            note(f"page {summary.pages}: {summary.seen} models read, {summary.added} added, {summary.updated} updated")

    options = SyncOptions(tasks=tuple(task or ()), author=author, limit=limit, full=full, endpoint=endpoint)
    summary = sync_hf(state.store(), options, on_page=progress)
    document = summary.to_dict()
    if json_out:
        emit_json(document)
        return
    stdout.print(
        f"Synced {summary.endpoint} ({summary.mode}{', resumed' if summary.resumed else ''}): {summary.seen} models read "
        f"in {summary.pages} pages; {summary.added} added, {summary.updated} updated, {summary.enriched} timm entries enriched, "
        f"{sum(summary.skipped.values())} skipped" + (" (stopped at the last sync's watermark)" if summary.stopped_at_watermark else "")
    )
    for reason, count in sorted(summary.skipped.items(), key=lambda kv: -kv[1]):
        warn(f"skipped {count}: {reason}")
    if summary.dropped_fields:
        warn("dropped malformed fields: " + ", ".join(f"{k} x{v}" for k, v in sorted(summary.dropped_fields.items())))


@import_app.command("timm-results")
def import_timm_results_command(
    paths: Annotated[Optional[list[str]], typer.Argument(help="results-*.csv / benchmark-*.csv files or URLs (default: timm's GitHub tables).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import timm's ImageNet accuracy tables and benchmark tables as reported figures on timm entries."""
    from catalog.sources.timm_results import import_timm_results

    with state.store().session() as session:
        summary = import_timm_results(session, paths or [])
    if json_out:
        emit_json(summary.to_dict())
        return
    rows = [(f.name, f.kind, f.rows, f.matched, f.unmatched, f.figures) for f in summary.files]
    stdout.print(table("timm results import", ["file", "kind", "rows", "models matched", "unmatched", "figures"], rows))
    stdout.print(f"{summary.models_updated} timm entries got figures; {summary.metrics} metric rows, {summary.benchmarks} benchmark rows.")
    for f in summary.files:
        if f.unmatched:
            warn(f"{f.name}: {f.unmatched} rows name no timm entry in the catalog (e.g. {', '.join(f.unmatched_examples)})")
