"""A monitor worker: consumes its partitions of the track stream, alerts exactly once.

Partition ``p`` belongs to worker ``p % workers`` (:func:`partitions_of`). Each partition
has its own :class:`~deconfliction.monitor.live.LiveMonitor` (forked from one built over the
stored objects: the grids are built once per worker), so a partition's events depend only on
its own messages, whichever worker holds it and however many workers there are. Partitioned
by region (:mod:`.region`), a partition also follows the tracks near its cells (ghost
copies) and raises the events of the tracks it owns (:attr:`LiveMonitor.owned
<deconfliction.monitor.live.LiveMonitor.owned>`, kept in its snapshot), so ``proximity`` is
found across partitions; partitioned by track, each track is in one partition and
``proximity`` only between tracks of the same partition.

Each message is stepped in its partition's order (its events found); the alerts of every
message stepped since the last commit, at most :data:`COMMIT_EVERY_S` ago, are written in one
transaction with each partition's offset (:meth:`Service.alert_once
<deconfliction.channel.service.Service.alert_once>`: one message per recipient listing its
alerts), and only then are those messages acked. Under load a commit holds many messages;
idle, each message is committed as soon as it is stepped. A worker killed at any point and
restarted:

1. restores each partition's track state from its last snapshot (``state_dir``, written
   every ``snapshot_every_s`` and at a clean stop; none: an empty state at the stream's
   start) and replays the partition from the message after it;
2. replayed messages at or below the stored offset update the state but do not alert again.

So no alert is lost (an unacked message comes again) and none is written twice (the offset
is moved with the alerts). A snapshot is used only if the objects have not changed since it
was taken; otherwise the partition is replayed from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import math
import os
import pickle
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deconfliction.channel.alerts import AlertRows
from deconfliction.monitor.alerting import alert_rows
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import DEFAULT_CONFIG
from deconfliction.monitor.events import MonitorConfig
from deconfliction.monitor.live import LiveMonitor
from deconfliction.monitor.stream.jetstream import (
    Delivery,
    DeliveryGapError,
    PartitionConsumer,
    StreamConfig,
    ensure_stream,
)

__all__ = ["WorkerSettings", "partitions_of", "run_worker"]

#: a test hook: a file holding ``<partition> <seq>``; the worker that writes that message's
#: alerts deletes the file and kills itself with SIGKILL before acking the message
CRASH_FILE_ENV = "DECONFLICTION_WORKER_CRASH_FILE"
#: messages a partition fetches at a time
FETCH = 16
#: the longest a stepped message waits for its alerts' commit (under load: a commit then
#: holds every alert stepped since the last one)
COMMIT_EVERY_S = 0.010
#: the most messages stepped ahead of the commit being written (their alerts wait in memory)
MAX_UNCOMMITTED = 16
#: how often the survivors of the young garbage collections are frozen (:func:`gc.freeze`)
GC_FREEZE_S = 5.0


def partitions_of(worker: int, workers: int, partitions: int) -> list[int]:
    """The partitions of ``worker`` (0-based) among ``workers``: ``p % workers == worker``.

    >>> partitions_of(1, 3, 8)
    [1, 4, 7]
    """
    return [p for p in range(partitions) if p % workers == worker]


@dataclass(frozen=True)
class WorkerSettings:
    """What one worker process needs."""

    db: str
    nats_url: str
    stream: StreamConfig
    worker: int = 0
    workers: int = 1
    state_dir: Path | None = None
    snapshot_every_s: float = 30.0
    #: a directory for one JSON line per handled message (benchmarks)
    stats_dir: Path | None = None
    #: the monitor's settings (every worker must have the same)
    monitor: MonitorConfig = DEFAULT_CONFIG


class _Partition:
    """One partition's monitor, consumer and snapshot."""

    def __init__(self, settings: WorkerSettings, partition: int, live: LiveMonitor) -> None:
        self.settings = settings
        self.partition = partition
        self.live = live
        self.seq = 0  # the last message folded into the state
        self.offset = 0  # the last message whose alerts are written
        self.saved_at = time.monotonic()
        self.stats: Any = None

    @property
    def path(self) -> Path | None:
        d = self.settings.state_dir
        cfg = self.settings.stream
        return None if d is None else d / f"{cfg.stream}-{self.partition}.pickle"

    def restore(self) -> None:
        path = self.path
        if path is None or not path.exists():
            return
        with path.open("rb") as f:
            snap = pickle.load(f)
        if snap["objects"] != self.live.objects_key or self.live.monitor is None:
            return  # the objects changed since: replay from the start
        self.live.monitor.restore_tracks(snap["tracks"])
        self.live.owned = set(snap.get("owned", ()))
        self.seq = int(snap["seq"])

    def save(self) -> None:
        path = self.path
        self.saved_at = time.monotonic()
        if path is None or self.live.monitor is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump({"seq": self.seq, "objects": self.live.objects_key,
                         "tracks": self.live.monitor.track_state(),
                         "owned": self.live.owned}, f, protocol=5)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)


def _crash_hook(partition: int, seq: int) -> None:
    name = os.environ.get(CRASH_FILE_ENV)
    if not name:
        return
    path = Path(name)
    try:
        want = path.read_text().split()
    except OSError:
        return
    if [int(w) for w in want] == [partition, seq]:
        path.unlink()
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class _Stepped:
    """A message folded into its partition's state whose alerts are not written yet."""

    part: _Partition
    delivery: Delivery
    alerts: AlertRows
    #: when it was stepped (epoch s)
    stepped_s: float


def _step(part: _Partition, service: Any, d: Delivery) -> _Stepped | None:
    """Fold ``d`` into the partition's state; ``None`` for a message already folded in."""
    if d.stream_seq <= part.seq:  # redelivered after a lost ack (e.g. a reconnect): handled
        return None
    events = part.live.step_table(service, d.batch, d.status)
    part.seq = d.stream_seq
    # a replayed message whose alerts are already written updates the state only
    alerts = alert_rows(events) if d.stream_seq > part.offset else AlertRows.concat(())
    return _Stepped(part, d, alerts, time.time())


async def _commit(stepped: list[_Stepped], service: Any, stream: str) -> None:
    """The alerts of ``stepped`` and each partition's offset in one transaction (in a
    thread: the event loop goes on receiving and stepping), then the acks (a crash in
    between: the messages come again and alert nothing twice)."""
    rows: dict[int, list[AlertRows]] = {}
    for s in stepped:
        if len(s.alerts):
            rows.setdefault(s.part.partition, []).append(s.alerts)
    last = {s.part.partition: s.delivery.stream_seq for s in stepped if len(s.alerts)}
    batches = {p: (last[p], AlertRows.concat(r)) for p, r in rows.items()}
    started_s = time.time()
    if batches:
        await asyncio.to_thread(service.alert_once, stream, batches)
        for s in stepped:
            if len(s.alerts):
                s.part.offset = s.delivery.stream_seq
                _crash_hook(s.part.partition, s.delivery.stream_seq)
    done_s = time.time()
    for s in stepped:
        await s.delivery.ack(wait=False)  # a lost ack is a redelivery
        part = s.part
        if part.stats is not None:
            part.stats.write(json.dumps({
                "p": part.partition, "seq": s.delivery.stream_seq,
                "reports": len(s.delivery.batch), "alerts": len(s.alerts),
                "published_s": s.delivery.published_s, "fetched_s": s.delivery.fetched_s,
                "stepped_s": s.stepped_s, "commit_s": started_s, "done_s": done_s}) + "\n")


def _snapshots(parts: Iterable[_Partition]) -> None:
    """Save the partitions whose snapshot is due; only when every message stepped is
    committed (a snapshot past an uncommitted message would lose its alerts)."""
    for part in parts:
        if (part.settings.snapshot_every_s >= 0
                and time.monotonic() - part.saved_at >= part.settings.snapshot_every_s):
            part.save()


_Fetched = tuple[_Partition, list[Delivery]]


async def _fetch(part: _Partition, js: Any, queue: asyncio.Queue[_Fetched],
                 stop: asyncio.Event) -> None:
    """Move the partition's messages into ``queue``, in order and without a gap (bounded:
    a busy worker takes less)."""
    consumer = PartitionConsumer(js, part.settings.stream, part.partition)
    await consumer.open(start_seq=part.seq + 1)
    queued = part.seq  # the last message put in the queue
    try:
        while not stop.is_set():
            try:
                got = await consumer.fetch(FETCH, timeout=0.5)
            except DeliveryGapError as gap:
                print(f"monitor worker: {gap}: resuming after message {queued}",
                      file=sys.stderr, flush=True)
                await consumer.open(start_seq=queued + 1)
                continue
            got = [d for d in got if d.stream_seq > queued]  # again after a reopen
            if got:
                queued = got[-1].stream_seq
                await queue.put((part, got))
    finally:
        await consumer.close()


async def _work(service: Any, stream: str, parts: list[_Partition],
                queue: asyncio.Queue[_Fetched], stop: asyncio.Event) -> None:
    """Step what the partitions fetched, in each partition's order; write the alerts of
    everything stepped since the last commit in one transaction when the oldest has waited
    :data:`COMMIT_EVERY_S` or nothing more is waiting (one commit at a time, while the next
    messages are stepped), then ack them."""
    loop = asyncio.get_running_loop()
    writing: asyncio.Task[None] | None = None
    stepped: list[_Stepped] = []
    oldest = 0.0
    got: _Fetched | None = None  # taken off the queue, not stepped yet
    frozen = -math.inf
    while True:
        if writing is not None and writing.done():
            writing.result()  # its error, if any, stops the worker (nothing is acked)
            writing = None
        waiting = got is not None or not queue.empty()
        if writing is None and stepped and (not waiting
                                            or loop.time() - oldest >= COMMIT_EVERY_S):
            writing = asyncio.create_task(_commit(stepped, service, stream))
            stepped = []
        if loop.time() - frozen >= GC_FREEZE_S:
            # a full collection walks every tracked object (the objects, the tracks: 100 ms
            # and more, every stage of every message waits); freeze what survived the young
            # ones (as ``serve`` does)
            gc.freeze()
            frozen = loop.time()
        if writing is None and not stepped:
            _snapshots(parts)
            if stop.is_set() and not waiting:
                return
        if waiting and writing is not None and len(stepped) >= MAX_UNCOMMITTED:
            await asyncio.wait({writing})  # a storm: step no further ahead of the commits
        elif waiting:
            part, deliveries = got if got is not None else queue.get_nowait()
            got = None
            for d in deliveries:
                s = _step(part, service, d)
                if s is None:
                    await d.ack(wait=False)
                    continue
                if not stepped:
                    oldest = loop.time()
                stepped.append(s)
            await asyncio.sleep(0)  # let the NATS client (and the commit) run
        elif writing is not None:
            await asyncio.wait({writing}, timeout=0.001)  # or until a message comes
        elif not stop.is_set():
            with contextlib.suppress(TimeoutError):
                got = await asyncio.wait_for(queue.get(), 0.5)


def _warm_up(live: LiveMonitor) -> None:
    """Compile the monitor's kernels now (on a throwaway fork), not on the first message."""
    if live.monitor is None:
        return
    m = live.monitor.fork()
    lat, lon = [33.5, 33.6], [38.6, 38.7]
    m.ingest(TrackBatch.of(track=["a", "b"], party=["p", "q"], t_s=[0.0, 0.0], lat=lat,
                           lon=lon, alt_m=[100.0, 100.0], speed_mps=[10.0, 10.0],
                           heading_deg=[0.0, 90.0]))
    m.flush(1e9)


async def run_worker(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    """Consume the worker's partitions until ``stop`` is set (or SIGTERM/SIGINT)."""
    import nats

    from deconfliction.channel.service import Service
    from deconfliction.store import open_store

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    cfg = settings.stream
    cfg.check_monitor(settings.monitor)
    store = open_store(settings.db)
    # a commit of alerts never waits for the log to be copied into the database (the
    # stepping stops when 16 messages wait for their commit)
    store.checkpoint_in_background()
    service = Service(store, conflict_index=False)  # alerts only
    service.read_sync_s = 1.0  # follow the objects' changes within a second, not per message
    async def log(err: Exception) -> None:  # one line, not nats-py's traceback
        print(f"monitor worker {settings.worker}: nats: {type(err).__name__}: {err}",
              file=sys.stderr, flush=True)

    nc = await nats.connect(settings.nats_url, allow_reconnect=True, max_reconnect_attempts=-1,
                            error_cb=log)
    parts: list[_Partition] = []
    try:
        js = nc.jetstream()
        await ensure_stream(js, cfg)
        base = LiveMonitor(config=settings.monitor)
        base.follow(service, time.time())
        _warm_up(base)
        with service.store.read() as tx:
            for p in partitions_of(settings.worker, settings.workers, cfg.partitions):
                part = _Partition(settings, p, base.fork())
                part.restore()
                part.offset = tx.stream_offset(cfg.stream, p)
                parts.append(part)
        if settings.stats_dir is not None:
            settings.stats_dir.mkdir(parents=True, exist_ok=True)
            for part in parts:
                part.stats = (settings.stats_dir / f"{cfg.stream}-{part.partition}.jsonl").open(
                    "a", buffering=1)
        queue: asyncio.Queue[_Fetched] = asyncio.Queue(maxsize=2 * len(parts))
        fetchers = [asyncio.create_task(_fetch(part, js, queue, stop)) for part in parts]
        try:
            await _work(service, cfg.stream, parts, queue, stop)
        finally:
            stop.set()
            await asyncio.gather(*fetchers, return_exceptions=True)
        for part in parts:
            part.save()
    finally:
        for part in parts:
            if part.stats is not None:
                part.stats.close()
        await nc.close()
        service.store.close()


def settings_to_json(s: WorkerSettings) -> str:
    """``s`` as the one argument of a worker process (see :func:`main`)."""
    cfg = s.stream
    return json.dumps({
        "db": s.db, "nats_url": s.nats_url, "worker": s.worker, "workers": s.workers,
        "state_dir": None if s.state_dir is None else str(s.state_dir),
        "snapshot_every_s": s.snapshot_every_s,
        "stats_dir": None if s.stats_dir is None else str(s.stats_dir),
        "monitor": dataclasses.asdict(s.monitor),
        "stream": {"stream": cfg.stream, "subject_prefix": cfg.subject_prefix,
                   "partitions": cfg.partitions, "durable": cfg.durable,
                   "partition_by": cfg.partition_by, "cell_deg": cfg.cell_deg,
                   "max_speed_mps": cfg.max_speed_mps, "halo_m": cfg.halo_m,
                   "fringe_m": cfg.fringe_m}})


def settings_from_json(text: str) -> WorkerSettings:
    """The settings :func:`settings_to_json` wrote."""
    d = json.loads(text)
    return WorkerSettings(
        db=d["db"], nats_url=d["nats_url"], stream=StreamConfig(**d["stream"]),
        worker=d["worker"], workers=d["workers"],
        state_dir=None if d["state_dir"] is None else Path(d["state_dir"]),
        snapshot_every_s=d["snapshot_every_s"],
        stats_dir=None if d["stats_dir"] is None else Path(d["stats_dir"]),
        monitor=MonitorConfig(**d["monitor"]))


def main(argv: list[str]) -> None:
    """``python -m deconfliction.monitor.stream.worker SETTINGS_JSON``."""
    asyncio.run(run_worker(settings_from_json(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
