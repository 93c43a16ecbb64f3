"""``deconfliction publish``: replay a track file into the NATS JetStream track stream.

Registered on the main app by ``register(app)``; kept apart from :mod:`deconfliction.cli`
so the stream plumbing can grow without touching it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import nats.errors as nats_errors
import typer

from deconfliction.cli_monitor import CellDegOpt, MaxSpeedOpt, PartitionByOpt, stream_config
from deconfliction.core.errors import DeconflictionError
from deconfliction.monitor.sources import ReadOptions, ReadStats, detect_format, read_file

if TYPE_CHECKING:
    from deconfliction.monitor.stream import StreamConfig

__all__ = ["publish_file", "register"]


def _fail(message: str) -> NoReturn:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise typer.Exit(2)


async def publish_file(url: str, path: Path, *, fmt: str | None = None,
                       options: ReadOptions | None = None, partitions: int = 4,
                       stream: str = "TRACKS", subject_prefix: str = "tracks",
                       base_time_s: float | None = None, config: StreamConfig | None = None,
                       ) -> tuple[ReadStats, int]:
    """Read ``path`` and publish its reports to the stream at ``url`` (``config``, or one
    of ``partitions`` by region): (stats, messages)."""
    from deconfliction.monitor.stream import StreamConfig, publish_batches

    cfg = config or StreamConfig(stream=stream, subject_prefix=subject_prefix,
                                 partitions=partitions)
    chosen = fmt or detect_format(path)  # before connecting: a bad name fails fast
    stats = ReadStats()
    messages = await publish_batches(url, cfg, read_file(
        path, chosen, options, stats, base_time_s=base_time_s))  # type: ignore[arg-type]
    return stats, messages


def register(app: typer.Typer) -> None:
    """Add ``publish`` to ``app``."""

    @app.command("publish")
    def publish(
        file: Path,
        nats_url: Annotated[str, typer.Option("--nats", help="NATS server URL.")] =
            "nats://127.0.0.1:4222",
        fmt: Annotated[str | None, typer.Option(
            "--format", help="csv, jsonl, parquet or ais (default: from the extension).")] = None,
        partitions: Annotated[int, typer.Option(help="Partitions (subjects) of the stream.")] = 4,
        stream: Annotated[str, typer.Option(help="JetStream stream name.")] = "TRACKS",
        subject_prefix: Annotated[str, typer.Option(
            help="Subjects are <prefix>.<partition>.")] = "tracks",
        party: Annotated[str, typer.Option(help="Party of reports without one.")] = "",
        altitude_unit: Annotated[str | None, typer.Option(
            help="ft or m for every altitude column (default: by column name).")] = None,
        speed_unit: Annotated[str | None, typer.Option(
            help="kt or mps for every speed column (default: by column name).")] = None,
        msl_offset: Annotated[float, typer.Option(
            "--msl-to-ellipsoid-m", help="Geoid undulation added to barometric/MSL "
            "altitudes (m).")] = 0.0,
        naive_utc: Annotated[bool, typer.Option(
            "--naive-utc", help="Take times without a UTC offset as UTC.")] = False,
        skip_bad: Annotated[bool, typer.Option(
            "--skip-bad", help="Skip and count bad rows instead of stopping at the first.")] =
            False,
        base_time: Annotated[float | None, typer.Option(
            help="AIS: epoch s of sentences without a receiver time.")] = None,
        partition_by: PartitionByOpt = "region",
        cell_deg: CellDegOpt = 1.0,
        max_speed_mps: MaxSpeedOpt = 350.0,
    ) -> None:
        """Replay FILE (ADS-B CSV / JSON lines / Parquet, or AIS NMEA) into the track stream."""
        units: dict[str, Literal["ft", "m", "kt", "mps"]] = {}
        for name, value, allowed in (("altitude_unit", altitude_unit, ("ft", "m")),
                                     ("speed_unit", speed_unit, ("kt", "mps"))):
            if value is not None:
                if value not in allowed:
                    _fail(f"--{name.replace('_', '-')}: {value!r} is not one of {allowed} "
                          "(BAD_OPTION)")
                units[name] = value  # type: ignore[assignment]
        cfg = stream_config(stream, subject_prefix, partitions, partition_by, cell_deg,
                            max_speed_mps)
        started = time.perf_counter()
        try:
            options = ReadOptions(party=party, msl_to_ellipsoid_m=msl_offset,
                                  naive_time_utc=naive_utc, skip_bad=skip_bad,
                                  **units)  # type: ignore[arg-type]
            stats, messages = asyncio.run(publish_file(
                nats_url, file, fmt=fmt, options=options, base_time_s=base_time,
                config=cfg))
        except DeconflictionError as err:
            _fail(f"{err} ({err.code})")
        except OSError as err:
            _fail(f"{err.filename or nats_url}: {err.strerror or err}")
        except nats_errors.Error as err:  # the JetStream errors derive from it too
            _fail(f"{nats_url}: {type(err).__name__}: {err} (NATS_ERROR)")
        took = time.perf_counter() - started
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(stats.skipped.items())) or "none"
        print(f"published {stats.reports} reports in {messages} messages to {stream} "
              f"({partitions} partitions, by {partition_by}) in {took:.2f} s; skipped: "
              f"{skipped}")
