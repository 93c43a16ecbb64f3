"""``deconfliction borders list``: the countries a zone can be clipped to (``--clip-to``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deconfliction.borders import load_atlas
from deconfliction.core.errors import DeconflictionError

__all__ = ["borders_app", "register"]

borders_app = typer.Typer(help="Country borders (Natural Earth, from world-atlas) that zones "
                          "can be clipped to.", no_args_is_help=True)

FileOption = Annotated[
    Path | None,
    typer.Option("--file", envvar="DECONFLICTION_BORDERS",
                 help="A world-atlas countries-*.json (default: the web map's copy)."),
]


@borders_app.command("list")
def borders_list(
    contains: Annotated[str, typer.Argument(help="Only names containing this (any case).")]
        = "",
    file: FileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
        = False,
) -> None:
    """List the countries: numeric code (ISO 3166-1) and name."""
    try:
        atlas = load_atlas(file)
    except DeconflictionError as err:
        print(f"error: {err.message} ({err.code})", file=sys.stderr)
        raise typer.Exit(2) from None
    rows = sorted(((c.id or "", c.name) for c in atlas
                   if contains.casefold() in c.name.casefold()), key=lambda r: r[1])
    if as_json:
        print(json.dumps([{"id": i or None, "name": n} for i, n in rows], indent=2,
                         ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} countries")
    table.add_column("code")
    table.add_column("name")
    for i, n in rows:
        table.add_row(i or "-", n)
    Console(highlight=False).print(table)


def register(app: typer.Typer) -> None:
    """Add ``borders`` to ``app``."""
    app.add_typer(borders_app, name="borders")
