"""`advisor search`: faceted full-text search over the catalog."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from advisor.cli.context import state
from advisor.cli.options import (
    DomainOpt,
    JsonOpt,
    LicenseOpt,
    LimitOpt,
    MaxParamsOpt,
    SortOpt,
    TaskOpt,
)
from advisor.cli.output import emit_json, note, stdout, table


def search(
    query: Annotated[Optional[str], typer.Argument(help="Words to find in names, families, datasets and card text.")] = None,
    task: TaskOpt = None,
    domain: DomainOpt = None,
    license: LicenseOpt = None,
    max_params: MaxParamsOpt = None,
    sort: SortOpt = "relevance",
    limit: LimitOpt = 20,
    json_out: JsonOpt = False,
) -> None:
    """Search the catalog: `advisor search resnet --task image-classification --max-params 30M`."""
    from advisor.accuracy import headline
    from advisor.tasks import resolve_task
    from catalog.queries import SearchQuery, metrics_for, search_models
    from catalog.units import format_count, format_float, parse_count

    tasks: list[str] = []
    for typed in task or []:
        resolved = resolve_task(typed)
        tasks += [resolved.task.name, *resolved.also]
        if resolved.note:
            note(f"note: {resolved.note}")
    q = SearchQuery(
        text=query,
        tasks=tuple(tasks),
        domain=domain,
        license=license,
        max_params=parse_count(max_params) if max_params else None,
        sort=sort,
        limit=limit,
    )
    with state.reader() as db:
        result = search_models(db, q)
        metrics = metrics_for(db, [r.id for r in result.results])
    rows = []
    for r in result.results:
        rows.append({
            "id": r.id, "name": r.name, "source": r.source, "tasks": r.tasks, "params": r.params,
            "gmacs": r.gmacs, "size_mb": r.size_mb, "license": r.license, "downloads": r.downloads,
            "accuracy": headline(r.tasks, metrics[r.id]) or {},
        })
    if json_out:
        query_doc = {"text": query, "tasks": tasks, "domain": domain, "license": license,
                     "max_params": q.max_params, "sort": sort, "limit": limit}
        emit_json({"query": query_doc, "total": result.total, "results": rows})
        return
    if not rows:
        stdout.print("No models match.")
        return
    stdout.print(table(
        f"{result.total} models" + (f" (showing {len(rows)})" if result.total > len(rows) else ""),
        ["id", "task", "accuracy", ("params", {"justify": "right"}), ("GMACs", {"justify": "right"}), "license"],
        [(r["id"], ", ".join(r["tasks"][:2]),
          f"{r['accuracy']['value']:g} {r['accuracy']['metric']} ({r['accuracy']['dataset']})" if r["accuracy"] else None,
          format_count(r["params"]), format_float(r["gmacs"]), r["license"]) for r in rows],
    ))
