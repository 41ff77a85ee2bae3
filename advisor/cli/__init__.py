"""The `advisor` command: one module per noun, thin views over the library.

Every command module keeps its heavy imports (torch, timm, the ranking engine) inside the
command function, so `advisor search` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from advisor.cli.context import state

app = typer.Typer(
    name="advisor",
    help="Pick a pretrained model: search a sourced catalog, measure on your hardware, get a recommendation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    db: Annotated[
        Optional[str],
        typer.Option("--db", help="SQLAlchemy URL of the catalog store (default: SQLite in the user-data directory; env ADVISOR_DB_URL)."),
    ] = None,
) -> None:
    state.db_url = db


def _register() -> None:
    from advisor.cli import catalog_cmd, search_cmd, show_cmd

    app.add_typer(catalog_cmd.app, name="catalog", help="Build, sync, import and inspect the catalog.")
    app.command("search")(search_cmd.search)
    app.command("show")(show_cmd.show)
    from advisor.cli import recommend_cmd

    app.command("recommend")(recommend_cmd.recommend)
    app.command("compare")(recommend_cmd.compare)
    from advisor.cli import tui_cmd

    app.command("tui")(tui_cmd.tui)
    from advisor.cli import probe_cmd

    app.command("probe")(probe_cmd.probe)
    app.add_typer(probe_cmd.runs_app, name="runs", help="Stored probe runs: list, show.")
    from advisor.cli import report_cmd

    app.command("report")(report_cmd.report)
    from advisor.cli import bench_cmd, devices_cmd, estimate_cmd

    app.add_typer(bench_cmd.app, name="bench", help="Measure models on this machine (latency, memory).")
    app.command("estimate")(estimate_cmd.estimate)
    app.command("devices")(devices_cmd.devices)


_register()


def main() -> None:
    """Console entry point: domain errors become one sentence on stderr and an exit code."""
    from catalog.errors import CatalogError

    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except CatalogError as exc:
        from advisor.cli.output import stderr

        stderr.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted; everything finished so far is kept.\n")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("Aborted.\n")
        sys.exit(1)
    except typer._click.exceptions.ClickException as exc:  # usage errors: bad option values, missing args
        exc.show()
        sys.exit(exc.exit_code)
