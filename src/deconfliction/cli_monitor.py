"""``deconfliction replay FILE``: recorded tracks against the stored zones and operations.

Prints a summary (alerts by kind, by zone or operation, by party) and, with ``--plot``,
draws the tracks, outlines and alert points on a map image.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from deconfliction.core.errors import DeconflictionError
from deconfliction.core.objects import Operation, Zone

__all__ = ["register"]

#: the country borders the web map uses, when its npm packages are installed
BORDERS = Path("node_modules/world-atlas/countries-50m.json")


def _fail(message: str) -> NoReturn:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add ``replay`` to ``app``."""

    @app.command("replay")
    def replay_cmd(
        file: Path,
        db: Annotated[str, typer.Option("--db", envvar="DECONFLICTION_DB",
                                        help="The store with the zones and operations.")]
            = "deconfliction.db",
        fmt: Annotated[str | None, typer.Option(
            "--format", help="csv, jsonl, parquet or ais (default: from the extension).")]
            = None,
        party: Annotated[str, typer.Option(help="Party of reports without one.")] = "",
        skip_bad: Annotated[bool, typer.Option(
            "--skip-bad", help="Skip and count bad rows instead of stopping.")] = False,
        plot_to: Annotated[Path | None, typer.Option("--plot", help="Draw a PNG map.")] = None,
        borders: Annotated[Path, typer.Option(help="world-atlas TopoJSON borders.")] = BORDERS,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Replay FILE's tracks against the stored zones and operations."""
        from rich.console import Console
        from rich.progress import Progress
        from rich.table import Table

        from deconfliction.monitor.replay import plot, replay, summarise
        from deconfliction.monitor.sources import ReadOptions, ReadStats, read_file
        from deconfliction.store import open_store

        try:
            if not file.exists():
                _fail(f"{file}: no such file (FILE_UNREADABLE)")
            with open_store(db) as store:
                objects: list[Zone | Operation] = [*store.list_zones(),
                                                   *store.list_operations()]
            stats = ReadStats()
            batches = read_file(file, fmt, ReadOptions(party=party, skip_bad=skip_bad),  # type: ignore[arg-type]
                                stats)
            with Progress(transient=True, disable=as_json) as bar:
                task = bar.add_task("replaying", total=None)
                result = replay(objects, batches,
                                progress=lambda n: bar.advance(task, n))
            if plot_to is not None:
                plot(result, objects, plot_to, borders=borders, title=f"replay of {file.name}")
        except DeconflictionError as err:
            _fail(f"{err} ({err.code})")
        except OSError as err:
            _fail(f"{err.filename or file}: {err.strerror or err}")
        summary = summarise(result.alerts)
        if as_json:
            print(json.dumps({"reports": result.reports, "events": len(result.events),
                              "alerts": [e.to_dict() for e in result.alerts], **summary,
                              "skipped": dict(stats.skipped)}, indent=2, default=str))
            return
        console = Console(highlight=False)
        console.print(f"{result.reports} reports, {len(result.events)} events, "
                      f"{len(result.alerts)} alerts")
        for title, counts in (("by kind", summary["by_kind"]),
                              ("by zone or operation", summary["by_object"]),
                              ("by party", summary["by_party"])):
            table = Table(title=f"alerts {title}")
            table.add_column("")
            table.add_column("alerts", justify="right")
            for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
                table.add_row(k, str(v))
            console.print(table)
        if plot_to is not None:
            console.print(f"map: {plot_to}")
