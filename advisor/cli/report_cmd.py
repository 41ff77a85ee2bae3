"""`advisor report`: the recommend / compare / probe-run answer as a shareable file.

`advisor report [recommend filters | --models ID,... | --run RUN_ID] --format html|md|csv|json -o PATH`

The recommend filters are `advisor recommend`'s own options, taken from its signature rather than
redeclared, so the two commands cannot drift apart. The document comes from the same engine call
(`advisor.ranking.recommend` / `compare`), so a report always agrees with the terminal.
"""

from __future__ import annotations

import inspect
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional, get_args

import typer

from advisor.cli import recommend_cmd
from advisor.cli.context import state
from advisor.cli.output import note


class ReportFormat(str, Enum):  # the values of advisor.report.FORMATS
    html = "html"
    md = "md"
    csv = "csv"
    json = "json"


def _recommend_parameters() -> list[inspect.Parameter]:
    """`advisor recommend`'s options, with --task made optional (--models and --run need none)."""
    params = []
    for param in inspect.signature(recommend_cmd.recommend, eval_str=True).parameters.values():
        if param.name == "json_out":
            continue
        if param.default is inspect.Parameter.empty:
            base, *metadata = get_args(param.annotation)
            param = param.replace(annotation=Annotated[(Optional[base], *metadata)], default=None)
        params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    return params


def _own_parameters() -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter(
            "models",
            keyword,
            default=None,
            annotation=Annotated[
                Optional[str],
                typer.Option(
                    "--models",
                    help="Compare these models instead of recommending: ID,ID,... (unique partial names work).",
                ),
            ],
        ),
        inspect.Parameter(
            "run",
            keyword,
            default=None,
            annotation=Annotated[
                Optional[str],
                typer.Option(
                    "--run", help="Report a probe run (see `advisor runs list`): its results with per-class metrics."
                ),
            ],
        ),
        inspect.Parameter(
            "fmt",
            keyword,
            default=None,
            annotation=Annotated[
                Optional[ReportFormat],
                typer.Option("--format", "-f", help="html, md, csv or json (default: from the -o file name)."),
            ],
        ),
        inspect.Parameter(
            "output",
            keyword,
            annotation=Annotated[
                Path,
                typer.Option(
                    "--output", "-o", help="The report file; Markdown also writes its charts as SVG files beside it."
                ),
            ],
        ),
    ]


def _recommend_document(session, options: dict[str, Any]) -> dict:
    from advisor.ranking import RecommendRequest
    from advisor.report.sources import recommend_document
    from catalog.errors import UsageError
    from catalog.units import parse_count

    edge, server = options.pop("edge", False), options.pop("server", False)
    if edge and server:
        raise UsageError("Choose one target: --edge and --server contradict each other.")
    if options.get("max_params"):
        options["max_params"] = parse_count(options["max_params"])
    fields = {
        k: (v.value if isinstance(v, Enum) else v)
        for k, v in options.items()
        if k in RecommendRequest.__dataclass_fields__
    }
    return recommend_document(
        session, RecommendRequest(**fields, target="edge" if edge else "server" if server else None)
    )


def _run_document(session, run_id: str, device: str | None) -> dict:
    """Kept for callers that imported it from here; the definition is advisor.report.sources."""
    from advisor.report.sources import probe_run_document

    return probe_run_document(session, run_id, device, on_missing=note)


def report(**options: Any) -> None:
    """Write a shareable report: `advisor report --task detection --edge --format html -o report.html`."""
    from advisor.report import format_for_path, write_report
    from advisor.report.sources import compare_document, with_environment
    from catalog.errors import UsageError

    models, run, fmt, output = (options.pop(k) for k in ("models", "run", "fmt", "output"))
    fmt = fmt.value if fmt else format_for_path(output)
    if fmt is None:
        raise UsageError(f"Say which format with --format html|md|csv|json; '{output.name}' does not tell.")
    chosen = [name for name, given in (("--task", options.get("task")), ("--models", models), ("--run", run)) if given]
    if len(chosen) != 1:
        raise UsageError(
            "Say what to report with exactly one of --task (with the recommend filters), --models ID,... or --run RUN_ID"
            + (f"; got {' and '.join(chosen)}." if chosen else ".")
        )
    with state.store().session() as session:
        if run:
            document = _run_document(session, run, options.get("device"))
        elif models:
            document = compare_document(
                session, [m.strip() for m in models.split(",") if m.strip()], options.get("device")
            )
        else:
            document = _recommend_document(session, options)
        with_environment(session, document)
    written = write_report(document, fmt, output)
    note("Wrote " + ", ".join(str(p) for p in written))


report.__signature__ = inspect.Signature([*_recommend_parameters(), *_own_parameters()])  # type: ignore[attr-defined]
report.__annotations__ = {}  # typer reads the signature above; these would be the **options hint
