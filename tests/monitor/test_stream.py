"""Track batches through a real nats-server: codec, partitions, round trip, restart, speed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import nats
import numpy as np
import pytest

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.stream import (
    PartitionConsumer,
    StreamConfig,
    decode_batch,
    encode_batch,
    partition_of,
    publish_batches,
)
from deconfliction.monitor.stream.jetstream import DeliveryGapError

FIELDS = TrackBatch.__dataclass_fields__


def make_batch(n: int, tracks: int = 500, seed: int = 0, t0: float = 1.7e9) -> TrackBatch:
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:06x}" for i in range(tracks)], dtype=object)
    alt = rng.uniform(0, 1e4, n)
    alt[::7] = np.nan
    return TrackBatch.of(
        track=ids[rng.integers(0, tracks, n)], party=rng.choice(["coalition", "russia", ""], n),
        t_s=t0 + np.arange(n) * 1e-3, lat=rng.uniform(30, 35, n), lon=rng.uniform(36, 40, n),
        alt_m=alt, speed_mps=rng.uniform(0, 300, n), heading_deg=rng.uniform(0, 360, n),
        operation=rng.choice(["", "patrol-7"], n))


def assert_same(a: TrackBatch, b: TrackBatch) -> None:
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        if x.dtype == object:
            assert x.tolist() == y.tolist(), f
        else:
            np.testing.assert_array_equal(x, y, err_msg=f)


def config(partitions: int = 3, **kw: Any) -> StreamConfig:
    """A fresh stream partitioned by track (tests/monitor/stream/ covers regions)."""
    name = f"T{uuid.uuid4().hex[:10].upper()}"
    return StreamConfig(stream=name, subject_prefix=name.lower(), partitions=partitions,
                        **{"partition_by": "track", **kw})


# -- codec and partitions ---------------------------------------------------------------------


def test_codec_round_trip_keeps_every_value() -> None:
    b = make_batch(1000)
    b.track[0] = "ÄÖ-ünï-✈"
    b.heading_deg[3] = -0.0
    assert_same(decode_batch(encode_batch(b)), b)
    empty = TrackBatch.of(track=[], t_s=[], lat=[], lon=[])
    assert len(decode_batch(encode_batch(empty))) == 0


def test_codec_refuses_garbage() -> None:
    for junk in (b"", b"\x93\x01\x02\x03", b"{}", encode_batch(make_batch(3))[:-5]):
        with pytest.raises(ValidationError) as err:
            decode_batch(junk)
        assert err.value.code == "BAD_MESSAGE"


def test_partitions_are_stable_and_spread() -> None:
    ids = np.array([f"{i:06x}" for i in range(10_000)], dtype=object)
    p = partition_of(ids, 8)
    # Fixed values: a change here would move tracks between workers across a release.
    assert partition_of(np.array(["4ca1fa", "rf01", "366053209"], dtype=object), 8).tolist() \
        == [3, 0, 2]
    np.testing.assert_array_equal(p, partition_of(ids[::-1], 8)[::-1])
    counts = np.bincount(p, minlength=8)
    assert counts.min() > 1000  # roughly even: 1,250 expected each


# -- through nats-server --------------------------------------------------------------------


async def _drain(url: str, cfg: StreamConfig, partitions: list[int], ack: bool = True
                 ) -> dict[int, list[tuple[int, TrackBatch]]]:
    nc = await nats.connect(url)
    out: dict[int, list[tuple[int, TrackBatch]]] = {}
    try:
        js = nc.jetstream()

        async def one(p: int) -> None:
            c = await PartitionConsumer(js, cfg, p).open()
            got = out.setdefault(p, [])
            async for d in c.deliveries(idle_timeout=0.3, poll_s=0.3):
                got.append((d.stream_seq, d.batch))
                if ack:
                    await d.ack()
            await c.close()

        await asyncio.gather(*(one(p) for p in partitions))
        return out
    finally:
        await nc.close()


def test_round_trip_partitioned_in_order(nats_url: str) -> None:
    cfg = config(partitions=3, max_reports_per_message=700)
    batches = [make_batch(2000, seed=s, t0=1.7e9 + s * 10) for s in range(3)]
    messages = asyncio.run(publish_batches(nats_url, cfg, batches))
    assert messages >= 9  # 3 batches x 3 partitions, some split at 700 reports
    got = asyncio.run(_drain(nats_url, cfg, [0, 1, 2]))
    sent = TrackBatch.concat(batches)
    want_part = partition_of(sent.track, 3)
    for p in range(3):
        seqs = [s for s, _ in got[p]]
        assert seqs == sorted(seqs)
        b = TrackBatch.concat([b for _, b in got[p]])
        assert set(partition_of(b.track, 3).tolist()) <= {p}  # each track in one partition
        assert_same(b, sent.take(np.flatnonzero(want_part == p)))  # all of them, in order
        assert all(len(b) <= 700 for _, b in got[p])


def test_acked_messages_are_not_delivered_again(nats_url: str) -> None:
    cfg = config(partitions=1, max_reports_per_message=100)
    asyncio.run(publish_batches(nats_url, cfg, [make_batch(1000)]))
    first = asyncio.run(_drain(nats_url, cfg, [0]))
    assert sum(len(b) for _, b in first[0]) == 1000
    asyncio.run(publish_batches(nats_url, cfg, [make_batch(300, seed=9)]))
    second = asyncio.run(_drain(nats_url, cfg, [0]))  # a new process: only the new messages
    assert [s for s, _ in second[0]] == [11, 12, 13]


def test_unacked_messages_come_back(nats_url: str) -> None:
    cfg = config(partitions=1, max_reports_per_message=100)
    asyncio.run(publish_batches(nats_url, cfg, [make_batch(500)]))
    unacked = asyncio.run(_drain(nats_url, cfg, [0], ack=False))
    again = asyncio.run(_drain(nats_url, cfg, [0]))  # at once, not after the ack wait
    assert [s for s, _ in again[0]] == [s for s, _ in unacked[0]] == [1, 2, 3, 4, 5]


def test_killed_worker_resumes_after_its_last_ack(nats_url: str) -> None:
    cfg = config(partitions=2, max_reports_per_message=50)  # as stream_worker.py has it
    sent = make_batch(2000, tracks=50)
    asyncio.run(publish_batches(nats_url, cfg, [sent]))
    worker = Path(__file__).with_name("stream_worker.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(worker), nats_url, cfg.stream, "4"],
                            stdout=subprocess.PIPE, text=True, env=env)
    acked: list[int] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline().split()
            if not line:
                break
            if line[0] == "acked":
                acked.append(int(line[1]))
            elif line[0] == "holding":
                held = [int(x) for x in line[1:]]
                break
        assert len(acked) == 4 and len(held) == 3
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: 3 messages fetched, not acked
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    resumed = asyncio.run(_drain(nats_url, cfg, [0]))[0]
    seqs = [s for s, _ in resumed]
    assert seqs[:3] == held and seqs[0] > acked[-1]  # the held ones first, in order
    assert not set(seqs) & set(acked)  # nothing acked comes back
    got = TrackBatch.concat([b for _, b in resumed])
    mine = sent.take(np.flatnonzero(partition_of(sent.track, 2) == 0))
    assert_same(got, mine.take(np.arange(4 * 50, len(mine))))  # no loss


@pytest.mark.slow
def test_a_large_stream_arrives_whole(nats_url: str) -> None:
    """Publish then consume 400,000 reports on 4 partitions: every report arrives. The rate is
    printed, not asserted: the floor is measured by bench/bench_stream.py, not by a timed
    test on a machine that may be busy."""
    cfg = config(partitions=4)
    n = 400_000
    sent = make_batch(n, tracks=10_000)
    chunks = [sent.take(np.arange(s, min(n, s + 50_000))) for s in range(0, n, 50_000)]
    t0 = time.perf_counter()
    asyncio.run(publish_batches(nats_url, cfg, chunks))
    t1 = time.perf_counter()
    got = asyncio.run(_drain(nats_url, cfg, [0, 1, 2, 3]))
    t2 = time.perf_counter() - 0.3  # the idle timeout that ends the drain
    assert sum(len(b) for v in got.values() for _, b in v) == n
    rate = n / (t2 - t0)
    print(f"\nstream: publish {n / (t1 - t0):,.0f}/s, consume {n / (t2 - t1):,.0f}/s, "
          f"end to end {rate:,.0f} reports/s")


def test_a_delivery_lost_on_the_way_is_noticed_and_the_consumer_reopens_in_order(
        nats_url: str) -> None:
    cfg = config(partitions=1, max_reports_per_message=100)
    asyncio.run(publish_batches(nats_url, cfg, [make_batch(500)]))  # 5 messages

    async def run() -> list[int]:
        nc = await nats.connect(nats_url)
        try:
            c = await PartitionConsumer(nc.jetstream(), cfg, 0).open()
            (first,) = await c.fetch(1)
            assert first.stream_seq == 1
            sub = c._sub  # simulate the connection losing message 2 (the server sent it)
            deadline = time.monotonic() + 5
            while sub.pending_msgs < 4 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            sub._sub._pending_queue.get_nowait()
            with pytest.raises(DeliveryGapError):
                await c.fetch(10)
            await c.open(start_seq=2)  # where the messages received in order left off
            seqs: list[int] = []
            while len(seqs) < 4:
                got = await c.fetch(10)
                assert got
                seqs += [d.stream_seq for d in got]
            await c.close()
            return seqs
        finally:
            await nc.close()

    assert asyncio.run(run()) == [2, 3, 4, 5]
