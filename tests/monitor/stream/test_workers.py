"""Monitor workers on a real nats-server and a real SQLite store: 1 and 3 workers raise the
same alerts (partitioned by region: those of one monitor over the whole stream, proximity
across partitions included); a worker killed (SIGKILL) mid-stream, even between writing
alerts and acking them, is restarted by the supervisor and the alerts are exactly those of
an undisturbed run (none lost, none twice). No timed assertions: conditions are awaited with
generous limits."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import nats
import numpy as np
import pytest
from regionhelp import CELL_DEG, FRINGE_M, HALO_M, MAX_SPEED_MPS, MONITOR, region_batches

from deconfliction.channel.service import Service
from deconfliction.monitor.alerting import alerts as alerts_of
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import DEFAULT_CONFIG
from deconfliction.monitor.events import Event, MonitorConfig
from deconfliction.monitor.live import LiveMonitor
from deconfliction.monitor.simulate import attanf_legs, attanf_tracks
from deconfliction.monitor.stream import StreamConfig, publish_batches
from deconfliction.monitor.stream.region import NONE
from deconfliction.monitor.stream.supervisor import Supervisor
from deconfliction.monitor.stream.worker import CRASH_FILE_ENV, WorkerSettings, partitions_of
from deconfliction.scenario.service_load import load_attanf
from deconfliction.store import open_store

PARTITIONS = 6
WAIT_S = 240.0  # generous: the machine is shared


def _batches() -> list[TrackBatch]:
    """The At Tanf tracks, six copies of each under other ids (spread over partitions)."""
    legs = [dataclasses.replace(g, track=f"{g.track}.{k}") for k in range(6)
            for g in attanf_legs()]
    return list(attanf_tracks(legs=legs))


def _config(partition_by: str = "track") -> StreamConfig:
    """A fresh stream; partitioned by region as :mod:`regionhelp`'s scenario needs."""
    name = f"W{uuid.uuid4().hex[:10].upper()}"
    return StreamConfig(stream=name, subject_prefix=name.lower(), partitions=PARTITIONS,
                        partition_by=partition_by, cell_deg=CELL_DEG,
                        max_speed_mps=MAX_SPEED_MPS, halo_m=HALO_M, fringe_m=FRINGE_M)


def _world(path: Path) -> str:
    service = Service(open_store(path))
    load_attanf(service)
    service.store.close()
    return str(path)


@dataclasses.dataclass
class Published:
    """What the publisher sent: per partition, (stream seq, batch, statuses) in order."""

    messages: dict[int, list[tuple[int, TrackBatch, np.ndarray | None]]]

    def last_seq(self) -> dict[int, int]:
        return {p: m[-1][0] for p, m in self.messages.items() if m}


async def _publish(url: str, cfg: StreamConfig, batches: list[TrackBatch]) -> Published:
    await publish_batches(url, cfg, batches)
    # the same split as TrackPublisher: per batch, partitions in order, reports in order
    out: dict[int, list[tuple[int, TrackBatch, np.ndarray | None]]] = {
        p: [] for p in range(cfg.partitions)}
    seq = 0
    for b in batches:
        status = cfg.status(b)
        for p in range(cfg.partitions):
            idx = np.nonzero(status[:, p] != NONE)[0]
            if idx.size:
                seq += 1
                out[p].append((seq, b.take(idx), status[idx, p]
                               if cfg.partition_by == "region" else None))
    return Published(out)


def _key(recipient: str, event: dict[str, object]) -> str:
    return json.dumps([recipient, event], sort_keys=True)


def _keys(service: Service, events: list[Event]) -> Counter[str]:
    """The alerts of ``events`` as their recipients get them."""
    parties = set(service.parties_by_id())
    out: Counter[str] = Counter()
    for e in alerts_of(events):
        for r in {e.owner, e.party, e.other_party} & parties:
            out[_key(r, json.loads(json.dumps(e.to_dict())))] += 1
    return out


def _by_message(service: Service, msgs: list[tuple[int, TrackBatch, np.ndarray | None]],
                monitor: MonitorConfig = DEFAULT_CONFIG) -> list[tuple[int, list[Event]]]:
    """One partition's messages through its own monitor: (seq, alerts) per message."""
    live = LiveMonitor(config=monitor)
    return [(seq, alerts_of(live.step(service, b, status))) for seq, b, status in msgs]


def _expected(db: str, sent: Published, monitor: MonitorConfig = DEFAULT_CONFIG
              ) -> Counter[str]:
    """The alerts of an undisturbed run, computed in-process, one monitor per partition."""
    service = Service(open_store(db))
    try:
        return sum((_keys(service, e) for msgs in sent.messages.values()
                    for _, e in _by_message(service, msgs, monitor)), Counter())
    finally:
        service.store.close()


def _one_monitor(db: str, batches: list[TrackBatch], monitor: MonitorConfig) -> Counter[str]:
    """The alerts of one monitor fed the whole stream."""
    service = Service(open_store(db))
    try:
        live = LiveMonitor(config=monitor)
        return _keys(service, [e for b in batches for e in live.step(service, b)])
    finally:
        service.store.close()


def _alerts_in(db: str) -> Counter[str]:
    out: Counter[str] = Counter()
    with open_store(db) as store, store.read() as tx:
        for _, m in tx.messages(limit=1_000_000):
            if m.kind.value == "alert":
                for event in m.details["events"]:
                    out[_key(m.recipient, event)] += 1
    return out


async def _consumed(url: str, cfg: StreamConfig, last: dict[int, int]) -> bool:
    from nats.js.errors import NotFoundError

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for p, seq in last.items():
            try:
                info = await js.consumer_info(cfg.stream, cfg.consumer_name(p))
            except NotFoundError:
                return False
            if info.ack_floor is None or info.ack_floor.stream_seq < seq:
                return False
        return True
    finally:
        await nc.close()


def _wait(what: str, cond: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {WAIT_S:.0f} s for {what}")
        time.sleep(0.2)


class _Running:
    """A supervisor running in a thread, stopped (and its workers) on exit."""

    def __init__(self, settings: WorkerSettings, workers: int) -> None:
        self.sup = Supervisor(settings, workers, restart_delay_s=0.2, log=lambda _: None)
        self.thread = threading.Thread(target=self.sup.run, daemon=True)

    def __enter__(self) -> Supervisor:
        self.thread.start()
        _wait("the workers to start", lambda: all(p is not None for p in self.sup.procs))
        return self.sup

    def __exit__(self, *exc: object) -> None:
        self.sup.stop()
        self.thread.join(WAIT_S)


def _run(url: str, db: str, cfg: StreamConfig, sent: Published, workers: int,
         state_dir: Path | None = None, monitor: MonitorConfig = DEFAULT_CONFIG
         ) -> Counter[str]:
    settings = WorkerSettings(db=db, nats_url=url, stream=cfg, state_dir=state_dir,
                              monitor=monitor)
    with _Running(settings, workers):
        _wait("every message acked",
              lambda: asyncio.run(_consumed(url, cfg, sent.last_seq())))
    return _alerts_in(db)


def test_partitions_are_dealt_to_workers_once_each() -> None:
    for n in (1, 2, 3, 5):
        got = sorted(p for w in range(n) for p in partitions_of(w, n, 12))
        assert got == list(range(12))


def test_one_and_three_workers_raise_the_same_alerts(nats_url: str, tmp_path: Path) -> None:
    batches = _batches()
    found = []
    for workers in (1, 3):
        cfg = _config()
        db = _world(tmp_path / f"w{workers}.db")
        sent = asyncio.run(_publish(nats_url, cfg, batches))
        found.append(_run(nats_url, db, cfg, sent, workers))
    expected = _expected(db, sent)
    kinds = {json.loads(k)[1]["kind"] for k in expected}
    assert kinds == {"enter", "predicted", "nonconforming", "proximity"}
    assert found[0] == expected
    assert found[1] == expected
    assert max(expected.values()) == 1  # no alert twice


def test_by_region_one_and_three_workers_raise_one_monitors_alerts(
        nats_url: str, tmp_path: Path) -> None:
    """Partitioned by region, the alerts are those of one monitor over the whole stream:
    tracks crossing cell borders back and forth, and close pairs whose tracks are owned by
    different partitions (``regionhelp``), each alert once."""
    batches = region_batches()
    found = []
    for workers in (1, 3):
        cfg = _config("region")
        db = _world(tmp_path / f"r{workers}.db")
        sent = asyncio.run(_publish(nats_url, cfg, batches))
        found.append(_run(nats_url, db, cfg, sent, workers, monitor=MONITOR))
    expected = _one_monitor(db, batches, MONITOR)
    kinds = Counter(json.loads(k)[1]["kind"] for k in expected)
    assert set(kinds) == {"enter", "predicted", "nonconforming", "proximity"}, kinds
    assert found[0] == expected
    assert found[1] == expected
    assert max(expected.values()) == 1


@pytest.mark.slow
@pytest.mark.parametrize(("snapshots", "partition_by"),
                         [(False, "track"), (True, "track"), (True, "region")],
                         ids=["replay", "snapshots", "region-snapshots"])
def test_a_worker_killed_mid_stream_loses_and_repeats_no_alert(
        nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshots: bool,
        partition_by: str) -> None:
    cfg = _config(partition_by)
    db = _world(tmp_path / "d.db")
    region = partition_by == "region"
    batches = region_batches() if region else _batches()
    monitor = MONITOR if region else DEFAULT_CONFIG
    sent = asyncio.run(_publish(nats_url, cfg, batches))
    expected = _expected(db, sent, monitor)
    if region:
        assert expected == _one_monitor(db, batches, monitor)
    # a worker kills itself after writing the alerts of a message and before acking it
    service = Service(open_store(db))
    with_alerts = [(seq, p) for p, msgs in sent.messages.items()
                   for seq, alerts in _by_message(service, msgs, monitor) if alerts]
    service.store.close()
    assert {p % 2 for _, p in with_alerts} == {0, 1}  # both workers alert
    seq, p = sorted(with_alerts)[len(with_alerts) // 2]
    crashing, other = p % 2, 1 - p % 2
    crash = tmp_path / "crash"
    crash.write_text(f"{p} {seq}")
    monkeypatch.setenv(CRASH_FILE_ENV, str(crash))
    state = tmp_path / "state" if snapshots else None
    settings = WorkerSettings(db=db, nats_url=nats_url, stream=cfg, state_dir=state,
                              snapshot_every_s=0.0, monitor=monitor)
    with _Running(settings, 2) as sup:
        _wait("the worker to kill itself and be restarted",
              lambda: not crash.exists() and sup.restarts[crashing] >= 1)
        # and the other one, from outside, wherever it is in its partitions
        proc = sup.procs[other]
        assert proc is not None
        os.kill(proc.pid, signal.SIGKILL)
        _wait("the other worker to be restarted", lambda: sup.restarts[other] >= 1)
        _wait("every message acked",
              lambda: asyncio.run(_consumed(nats_url, cfg, sent.last_seq())))
    got = _alerts_in(db)
    assert got == expected
    if snapshots:
        assert state is not None and len(list(state.glob("*.pickle"))) == cfg.partitions


def test_a_partitions_snapshot_is_restored_only_with_the_same_objects(tmp_path: Path) -> None:
    from deconfliction.channel.service import ALL_SCOPES, SERVER, Principal
    from deconfliction.monitor.stream.worker import _Partition

    db = _world(tmp_path / "d.db")
    service = Service(open_store(db))
    cfg = _config("region")
    settings = WorkerSettings(db=db, nats_url="nats://unused", stream=cfg,
                              state_dir=tmp_path / "state")
    base = LiveMonitor()
    base.follow(service, 0.0)
    batches = _batches()
    p = int(np.argmax(cfg.status(batches[0])[0] == 0))  # the partition of a track's cell
    part = _Partition(settings, p, base.fork())
    mine = [(b.take(i), cfg.status(b)[i, p]) for b in batches
            for i in [np.nonzero(cfg.status(b)[:, p] != NONE)[0]]]
    for b, st in mine[:30]:
        part.live.step(service, b, st)
    part.seq = 30
    assert part.live.owned  # the partition owns some of the tracks it holds
    probe = LiveMonitor()
    found = [e for b in batches for e in alerts_of(probe.step(service, b))]
    assert service.alert(found[:1])  # the ledger moves...
    part.live.step(service, batches[0])  # ...but not the objects: the snapshot still fits
    part.save()
    again = _Partition(settings, p, base.fork())
    again.restore()
    assert again.seq == 30 and again.live.monitor is not None
    assert again.live.monitor.tracks == part.live.monitor.tracks  # type: ignore[union-attr]
    assert again.live.owned == part.live.owned
    rest = [e.to_dict() for b, st in mine[30:] for e in again.live.step(service, b, st)]
    assert rest == [e.to_dict() for b, st in mine[30:] for e in part.live.step(service, b, st)]
    # an object changes: the snapshot no longer fits, the partition replays from the start
    admin = Principal(SERVER, ALL_SCOPES, admin=True)
    version = service.get(admin, "naval-drills", "operation")["version"]
    service.delete(admin, "operation", "naval-drills", version)
    fresh = LiveMonitor()
    fresh.follow(service, 0.0)
    third = _Partition(settings, p, fresh.fork())
    third.restore()
    assert third.seq == 0
    service.store.close()
