"""``deconfliction replay FILE``: recorded tracks against the stored zones and operations;
``deconfliction monitor``: live monitoring of the NATS track stream by N worker processes.

``replay`` prints a summary (alerts by kind, by zone or operation, by party) and, with
``--plot``, draws the tracks, outlines and alert points on a map image.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from deconfliction.core.errors import DeconflictionError
from deconfliction.core.objects import Operation, Zone

if TYPE_CHECKING:
    from deconfliction.monitor.stream import StreamConfig

__all__ = ["CellDegOpt", "MaxSpeedOpt", "PartitionByOpt", "register", "stream_config"]

#: the partitioning options of ``monitor`` and ``publish`` (they must agree on a stream)
PartitionByOpt = Annotated[str, typer.Option(
    help="Where reports go: 'region' (cells of --cell-deg hashed to partitions, ghost "
         "copies to the partitions within the halo: proximity across partitions) or "
         "'track' (crc32 of the track id: one copy, proximity only within a partition).")]
CellDegOpt = Annotated[float, typer.Option(
    help="--partition-by region: the cells' size in degrees (0.01..90, dividing 360).")]
MaxSpeedOpt = Annotated[float, typer.Option(
    "--max-speed-mps", help="--partition-by region: the fastest track (m/s); sets the "
    "halo (see deconfliction.monitor.stream.region).")]

#: the country borders the web map uses, when its npm packages are installed
BORDERS = Path("node_modules/world-atlas/countries-50m.json")


def _fail(message: str) -> NoReturn:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise typer.Exit(2)


async def _probe_stream(url: str, stream: str, prefix: str, partitions: int) -> None:
    """Connect once and create the stream if missing (so a bad URL fails here, at once)."""
    import nats

    from deconfliction.monitor.stream import StreamConfig, ensure_stream

    async def quiet(_: Exception) -> None:  # the failure is reported once, by the caller
        return None

    # max_reconnect_attempts 0 would mean "forever" in nats-py, for the first connect too
    nc = await nats.connect(url, connect_timeout=3, allow_reconnect=False,
                            max_reconnect_attempts=1, reconnect_time_wait=0.2,
                            error_cb=quiet)
    try:
        await ensure_stream(nc.jetstream(), StreamConfig(stream=stream, subject_prefix=prefix,
                                                          partitions=partitions))
    finally:
        await nc.close()


def stream_config(stream: str, subject_prefix: str, partitions: int, partition_by: str,
                  cell_deg: float, max_speed_mps: float) -> StreamConfig:
    """The stream's settings from the command line; exit status 2 and one line if bad."""
    from deconfliction.core.errors import ValidationError
    from deconfliction.monitor.stream import StreamConfig

    try:
        return StreamConfig(stream=stream, subject_prefix=subject_prefix, partitions=partitions,
                            partition_by=partition_by, cell_deg=cell_deg,
                            max_speed_mps=max_speed_mps)
    except ValidationError as err:
        _fail(f"--{(err.field or '').replace('_', '-')}: {err.message} (BAD_OPTION)")


def _monitor(db: str, nats_url: str, workers: int, cfg: StreamConfig, state_dir: Path | None,
             snapshot_every_s: float) -> None:
    import asyncio
    import signal

    from deconfliction.monitor.stream.supervisor import Supervisor
    from deconfliction.monitor.stream.worker import WorkerSettings
    from deconfliction.store import open_store

    stream, subject_prefix, partitions = cfg.stream, cfg.subject_prefix, cfg.partitions
    if workers < 1:
        _fail(f"--workers: {workers} must be at least 1 (BAD_OPTION)")
    if not 1 <= partitions <= 1024:
        _fail(f"--partitions: {partitions} must be in 1..1024 (BAD_OPTION)")
    if workers > partitions:
        _fail(f"--workers: {workers} workers for {partitions} partitions would leave some "
              "idle (BAD_OPTION)")
    try:
        open_store(db).close()  # migrates, and fails early on a bad path or URL
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")
    except Exception as err:  # SQLAlchemy/driver errors: one line
        _fail(f"--db {db}: {type(err).__name__}: {err} (STORE_UNAVAILABLE)")
    try:
        asyncio.run(_probe_stream(nats_url, stream, subject_prefix, partitions))
    except Exception as err:  # every NATS/socket error: one line
        _fail(f"--nats {nats_url}: {type(err).__name__}: {err} (NATS_UNAVAILABLE)")
    settings = WorkerSettings(db=db, nats_url=nats_url, stream=cfg, state_dir=state_dir,
                              snapshot_every_s=snapshot_every_s)
    try:
        cfg.check_monitor(settings.monitor)
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")
    sup = Supervisor(settings, workers)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sup.stop())
    how = (f"by region: {cfg.cell_deg:g}-degree cells, {cfg.halo() / 1000:.0f} km halo"
           if cfg.partition_by == "region" else "by track")
    print(f"monitor: {workers} worker(s) on {stream} ({partitions} partitions, {how}) at "
          f"{nats_url}, alerts into {db}", file=sys.stderr, flush=True)
    sup.run()


def _simulate(url: str, tokens_path: Path, speed: float, wait_s: float) -> None:
    import httpx

    from deconfliction.monitor.feed import feed, wait_ready

    url = url.rstrip("/")
    with httpx.Client(timeout=30.0) as client:
        if not wait_ready(client, url, wait_s):
            _fail(f"{url}: the service did not answer in {wait_s:g} s (SERVICE_UNAVAILABLE)")
        deadline = time.monotonic() + wait_s  # the service writes the tokens as it starts
        while not tokens_path.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        try:
            tokens = json.loads(tokens_path.read_text())
        except (OSError, ValueError) as err:
            _fail(f"{tokens_path}: {err} (FILE_UNREADABLE)")
        print(f"simulate: the At Tanf live tracks into {url}/reports at {speed:g}x real time",
              file=sys.stderr, flush=True)
        try:
            sent = feed(client, url, tokens, speed=speed,
                        say=lambda line: print(line, flush=True))
        except (httpx.HTTPError, KeyError) as err:
            _fail(f"{url}: {type(err).__name__}: {err} (SIMULATION_FAILED)")
    print(f"simulate: done; {sent} alert messages in the parties' inboxes",
          file=sys.stderr, flush=True)


def register(app: typer.Typer) -> None:
    """Add ``replay``, ``monitor`` and ``simulate`` to ``app``."""

    @app.command("simulate")
    def simulate_cmd(
        url: Annotated[str, typer.Option(help="The running service.")] =
            "http://127.0.0.1:8000",
        tokens: Annotated[Path, typer.Option(
            help="Party -> token JSON (what serve --scenario attanf writes).")] =
            Path(".run/attanf.db.tokens.json"),
        speed: Annotated[float, typer.Option(help="Times real time (0: no pauses).")] = 4.0,
        wait_s: Annotated[float, typer.Option(help="How long to wait for the service.")] =
            120.0,
    ) -> None:
        """Post the At Tanf simulator's live tracks to a running service's /reports."""
        if speed < 0:
            _fail(f"--speed: {speed} must not be negative (BAD_OPTION)")
        _simulate(url, tokens, speed, wait_s)

    @app.command("monitor")
    def monitor_cmd(
        db: Annotated[str, typer.Option("--db", envvar="DECONFLICTION_DB",
                                        help="The store: objects in, alerts out.")]
            = "deconfliction.db",
        nats_url: Annotated[str, typer.Option("--nats", help="NATS server URL.")] =
            "nats://127.0.0.1:4222",
        workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
        partitions: Annotated[int, typer.Option(
            help="Partitions of the stream (as published; fixed per stream).")] = 4,
        stream: Annotated[str, typer.Option(help="JetStream stream name.")] = "TRACKS",
        subject_prefix: Annotated[str, typer.Option(
            help="Subjects are <prefix>.<partition>.")] = "tracks",
        state_dir: Annotated[Path | None, typer.Option(
            help="Per-partition track state snapshots (default: <db>.monitor/ for a file "
                 "store; none: a restarted worker replays its partitions from the start).")]
            = None,
        snapshot_every_s: Annotated[float, typer.Option(
            help="Seconds between snapshots of a partition's track state.")] = 30.0,
        partition_by: PartitionByOpt = "region",
        cell_deg: CellDegOpt = 1.0,
        max_speed_mps: MaxSpeedOpt = 350.0,
    ) -> None:
        """Monitor the track stream with N worker processes; alerts go into the channel.
        The partitioning options must be those the stream is published with."""
        if state_dir is None and "://" not in db:
            state_dir = Path(db + ".monitor")
        cfg = stream_config(stream, subject_prefix, partitions, partition_by, cell_deg,
                            max_speed_mps)
        _monitor(db, nats_url, workers, cfg, state_dir, snapshot_every_s)

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
