"""Shared option aliases (Annotated), so every command spells an option the same way."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from catalog.queries import SORT_FIELDS  # SQL text over catalog.reader: no SQLAlchemy import

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
TaskOpt = Annotated[
    Optional[list[str]],
    typer.Option("--task", "-t", help="Task: a Hugging Face pipeline tag or an alias (detection, sentiment, asr, ...)."),
]
DomainOpt = Annotated[Optional[str], typer.Option("--domain", help="Domain tag (vision, nlp, speech, audio, health, documents, multimodal, ...).")]
LicenseOpt = Annotated[
    Optional[str], typer.Option("--license", help="any, commercial (permissive licences only) or an SPDX id.")
]
MaxParamsOpt = Annotated[Optional[str], typer.Option("--max-params", help="Largest parameter count, e.g. 25M or 1.5B.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=10000, help="How many results.")]
SortOpt = Annotated[str, typer.Option("--sort", help=f"One of: {', '.join(SORT_FIELDS)}.")]
DeviceOpt = Annotated[Optional[str], typer.Option("--device", help="A device profile name (see `advisor devices`).")]
