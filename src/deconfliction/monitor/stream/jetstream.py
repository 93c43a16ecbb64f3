"""Track batches through NATS JetStream, partitioned by track, consumed at least once.

Layout: one stream (``TRACKS`` by default, file storage) holding subjects
``tracks.<p>`` for ``p`` in ``0 .. partitions-1``; a report goes to partition
``crc32(track) % partitions`` (:func:`~deconfliction.monitor.stream.codec.partition_of`), so
every report of a track is in one subject, in publish order, and one worker owns it.

Each partition is read by one durable pull consumer (``<durable>-<p>``) with explicit acks.
The caller acks a :class:`Delivery` only once the events it produced are safely handled
(e.g. written to the channel's outbox). :meth:`PartitionConsumer.open` resumes exactly after
the last acked message: it reads the consumer's ack floor, recreates the consumer to start at
the next stream sequence, and so redelivers at once, and in order, whatever a killed worker
had fetched but not acked (no loss, no 30 s ack-wait, no reordering).

Delivery is **at least once**: a worker killed after handling a message but before acking it
gets that message again. Duplicates are suppressed downstream: every delivery carries its
``stream_seq`` (per partition, strictly increasing), so a worker that records the last
handled sequence together with its events (same transaction) skips anything at or below it;
and the monitor's per-track state ignores a report not newer than the track's last-seen
``t_s``, which also drops duplicate reports a tracker sent twice. One partition must have one
consumer process at a time (the workers' supervisor assigns them); two would split it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.stream.codec import decode_batch, encode_batch, partition_of

__all__ = ["Delivery", "PartitionConsumer", "StreamConfig", "TrackPublisher", "ensure_stream"]

#: how long :meth:`PartitionConsumer.fetch` waits for more after the first message
AFTER_FIRST_S = 0.002


@dataclass(frozen=True)
class StreamConfig:
    """Names and sizes shared by publishers and consumers of one track stream."""

    stream: str = "TRACKS"
    subject_prefix: str = "tracks"
    partitions: int = 4
    max_reports_per_message: int = 8192
    durable: str = "monitor"
    max_age_s: float = 24 * 3600.0

    def subject(self, partition: int) -> str:
        """The subject of ``partition``."""
        return f"{self.subject_prefix}.{partition}"

    def consumer_name(self, partition: int) -> str:
        """The durable consumer reading ``partition``."""
        return f"{self.durable}-{partition}"


async def ensure_stream(js: Any, config: StreamConfig) -> None:
    """Create the stream if missing (idempotent when it exists with the same subjects)."""
    from nats.js.api import RetentionPolicy, StorageType
    from nats.js.api import StreamConfig as NatsStreamConfig

    cfg = NatsStreamConfig(name=config.stream, subjects=[f"{config.subject_prefix}.*"],
                           storage=StorageType.FILE, retention=RetentionPolicy.LIMITS,
                           max_age=config.max_age_s)
    await js.add_stream(cfg)


class TrackPublisher:
    """Publishes TrackBatch chunks, split by partition, pipelined (async JetStream acks)."""

    def __init__(self, js: Any, config: StreamConfig) -> None:
        self.js = js
        self.config = config
        self.messages = 0
        self.reports = 0

    async def publish(self, batch: TrackBatch) -> int:
        """Queue ``batch``'s reports (one message per partition and chunk); return messages.

        Reports keep their order within each partition. Call :meth:`flush` to wait until the
        server has stored everything queued.
        """
        if len(batch) == 0:
            return 0
        cfg = self.config
        part = partition_of(batch.track, cfg.partitions)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(cfg.partitions + 1))
        sent = 0
        for p in range(cfg.partitions):
            idx = order[bounds[p]:bounds[p + 1]]
            for start in range(0, idx.size, cfg.max_reports_per_message):
                chunk = batch.take(idx[start:start + cfg.max_reports_per_message])
                await self.js.publish_async(cfg.subject(p), encode_batch(chunk))
                sent += 1
                self.reports += len(chunk)
        self.messages += sent
        return sent

    async def flush(self) -> None:
        """Wait until the server has acknowledged every queued message."""
        if self.js.publish_async_pending():
            await self.js.publish_async_completed()


@dataclass
class Delivery:
    """One message of a partition: its reports and how to acknowledge it."""

    batch: TrackBatch
    partition: int
    stream_seq: int
    redelivered: bool
    _msg: Any
    #: when the server stored the message (epoch s)
    published_s: float = math.nan

    async def ack(self, *, wait: bool = True) -> None:
        """Tell the server this message is handled (waits for its confirmation unless
        ``wait`` is false: a lost ack only means a redelivery, which the caller must
        tolerate anyway)."""
        if wait:
            await self._msg.ack_sync(timeout=5.0)
        else:
            await self._msg.ack()


class PartitionConsumer:
    """The durable pull consumer of one partition; resumes after its last acked message."""

    def __init__(self, js: Any, config: StreamConfig, partition: int) -> None:
        if not 0 <= partition < config.partitions:
            raise ValueError(f"partition {partition} outside 0..{config.partitions - 1}")
        self.js = js
        self.config = config
        self.partition = partition
        self.resumed_from = 1
        self._sub: Any = None

    async def open(self, start_seq: int | None = None) -> PartitionConsumer:
        """(Re)create the durable consumer to start right after the last acked message, or
        at ``start_seq`` (a worker restoring its state from a snapshot older than the last
        ack replays from there)."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
        from nats.js.errors import NotFoundError

        cfg, name = self.config, self.config.consumer_name(self.partition)
        start = 1
        with contextlib.suppress(NotFoundError):
            info = await self.js.consumer_info(cfg.stream, name)
            if info.ack_floor is not None:
                start = info.ack_floor.stream_seq + 1
            await self.js.delete_consumer(cfg.stream, name)
        if start_seq is not None:
            start = max(1, start_seq)
        self.resumed_from = start
        ccfg = ConsumerConfig(durable_name=name, filter_subject=cfg.subject(self.partition),
                              ack_policy=AckPolicy.EXPLICIT, ack_wait=60.0,
                              max_ack_pending=4096, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                              opt_start_seq=start)
        await self.js.add_consumer(cfg.stream, ccfg)
        self._sub = await self.js.pull_subscribe_bind(durable=name, stream=cfg.stream)
        return self

    async def fetch(self, max_messages: int = 32, timeout: float = 1.0) -> list[Delivery]:
        """Up to ``max_messages`` deliveries, in stream order; [] if none came in ``timeout``."""
        import nats.errors

        if self._sub is None:
            await self.open()
        timeouts = (TimeoutError, nats.errors.TimeoutError)  # nats-py raises either
        # a pull of n messages lingers until it has n or times out: wait for one message
        # only, then take what else is there already (a no-wait pull that lingers at most
        # AFTER_FIRST_S); a partition with a message every 10 ms is not held for 16 of them
        try:
            msgs = await self._sub.fetch(batch=1, timeout=timeout)
        except timeouts:
            return []
        if max_messages > 1:
            with contextlib.suppress(*timeouts):
                msgs += await self._sub.fetch(batch=max_messages - 1, timeout=AFTER_FIRST_S)
        out = []
        for m in msgs:
            meta = m.metadata
            out.append(Delivery(decode_batch(m.data), self.partition, meta.sequence.stream,
                                meta.num_delivered > 1, m, meta.timestamp.timestamp()))
        return out

    async def deliveries(self, *, max_messages: int = 32, idle_timeout: float | None = None,
                         poll_s: float = 1.0) -> AsyncIterator[Delivery]:
        """Deliveries as they come; ends after ``idle_timeout`` s without any (None: never)."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            got = await self.fetch(max_messages, poll_s if idle_timeout is None
                                   else min(poll_s, max(idle_timeout, 0.05)))
            if got:
                last = loop.time()
                for d in got:
                    yield d
            elif idle_timeout is not None and loop.time() - last >= idle_timeout:
                return

    async def close(self) -> None:
        """Stop fetching (the durable consumer and its ack floor stay on the server)."""
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
