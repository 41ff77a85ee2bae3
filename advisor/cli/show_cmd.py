"""`advisor show ID`: everything the catalog knows about one model, every figure with its provenance."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from advisor.cli.context import state
from advisor.cli.options import DeviceOpt, JsonOpt
from advisor.cli.output import emit_json, stdout, table


def detail_document(detail) -> dict:
    s = detail.summary
    return {
        "id": s.id, "source": s.source, "name": s.name, "tasks": s.tasks, "domains": s.domains,
        "family": s.family, "architecture": detail.architecture, "modality": detail.modality,
        "params": s.params, "gmacs": s.gmacs, "activations_m": detail.activations_m, "size_mb": s.size_mb,
        "input_size": detail.input_size, "test_input_size": detail.test_input_size, "num_classes": detail.num_classes,
        "license": s.license, "pretrain_datasets": s.pretrain_datasets, "papers": detail.papers,
        "origin": s.origin, "library": detail.library, "hub_repo": detail.hub_repo, "homepage": detail.homepage,
        "downloads": s.downloads, "likes": detail.likes, "updated_at": detail.updated_at,
        "summary": detail.summary_text, "provenance": detail.provenance, "extra": detail.extra,
        "metrics": [{k: v for k, v in asdict(m).items() if v is not None} for m in detail.metrics],
        "benchmarks": [{k: v for k, v in asdict(b).items() if v is not None} for b in detail.benchmarks],
    }


def show(
    model: Annotated[str, typer.Argument(help="Model id (source:name), or an unprefixed / partial name that is unique.")],
    device: DeviceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one model: metadata, every metric and benchmark with kind and source."""
    from catalog.queries import get_model, resolve_model_id
    from catalog.units import format_count, format_float

    with state.reader() as db:
        model_id = resolve_model_id(db, model)
        detail = get_model(db, model_id)
        estimates = _estimates(db, model_id, device) if device else None
    document = detail_document(detail)
    if estimates is not None:
        document["estimates"] = estimates
    if json_out:
        emit_json(document)
        return
    d = document
    prov = d["provenance"]

    def with_kind(field: str, text: str) -> str:
        p = prov.get(field)
        return f"{text}  [dim]({p['kind']}: {p['source']})[/dim]" if p and text != "-" else text

    facts = [
        ("tasks", ", ".join(d["tasks"])), ("domains", ", ".join(d["domains"])),
        ("family / architecture", f"{d['family'] or '-'} / {d['architecture'] or '-'}"),
        ("params", with_kind("params", format_count(d["params"]))),
        ("GMACs", with_kind("gmacs", format_float(d["gmacs"]))),
        ("activations (M)", with_kind("activations_m", format_float(d["activations_m"]))),
        ("weights size (MB)", with_kind("size_mb", format_float(d["size_mb"], 1))),
        ("input size", "x".join(map(str, d["input_size"])) if d["input_size"] else "-"),
        ("license", d["license"] or "-"), ("pretraining data", ", ".join(d["pretrain_datasets"]) or "-"),
        ("papers", ", ".join(d["papers"]) or "-"), ("get it from", f"{d['origin'] or '-'} ({d['library'] or '-'})"),
        ("hub repo / homepage", d["hub_repo"] or d["homepage"] or "-"),
    ]
    stdout.print(f"[bold]{d['id']}[/bold]")
    if d["summary"]:
        stdout.print(d["summary"], highlight=False)
    stdout.print(table(None, ["field", "value"], facts))
    if d["metrics"]:
        stdout.print(table("Metrics", ["task", "dataset", "metric", ("value", {"justify": "right"}), "kind", "source"],
                           [(m["task"], m["dataset"], m["metric"], f"{m['value']:g}", m["kind"], m.get("source")) for m in d["metrics"]]))
    if estimates:
        stdout.print(table(f"Estimates on {estimates['device']} (batch 1, fp32)", ["ms", "range ms", "memory MB", "kind", "source"],
                           [(format_float(estimates["latency_ms"]), "-".join(format_float(v) for v in estimates["latency_range_ms"]),
                             format_float(estimates["memory_mb"], 0), estimates["kind"], estimates["source"])]))
    if d["benchmarks"]:
        stdout.print(table("Latency", ["device", "batch", "precision", ("ms (p50)", {"justify": "right"}), "kind", "source"],
                           [(b["device"], b["batch_size"], b["precision"], format_float(b.get("latency_ms")), b["kind"], b.get("source")) for b in d["benchmarks"]]))


def _estimates(db, model_id: str, device: str) -> dict:
    """The `estimates` section: latency and memory on `device` at batch 1 fp32, measured or estimated."""
    from advisor.devices import get_profile
    from advisor.latency import latency_table

    profile = get_profile(device)
    figure = latency_table(db, [model_id], profile.name).get(model_id)
    if figure is None:
        return {"device": profile.name, "latency_ms": None, "kind": None, "latency_range_ms": None, "memory_mb": None,
                "source": "no estimate: the catalog has no GMACs/params for this model"}
    return {"device": profile.name, "batch_size": 1, "precision": "fp32", "latency_ms": figure.latency_ms,
            "kind": figure.kind, "latency_range_ms": list(figure.range_ms), "memory_mb": figure.memory_mb,
            "source": figure.source}
