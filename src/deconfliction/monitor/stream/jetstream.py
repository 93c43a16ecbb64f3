"""Track batches through NATS JetStream, partitioned by region or by track, consumed at
least once.

Layout: one stream (``TRACKS`` by default, file storage) holding subjects
``tracks.<p>`` for ``p`` in ``0 .. partitions-1``. :attr:`StreamConfig.partition_by` says
where a report goes (publishers and workers share the :class:`StreamConfig`):

* ``"region"`` (the default): to the partition owning the lat/lon cell of its position, and
  as a ghost copy (or a leave notice) to the partitions with a cell within the halo
  (:mod:`.region`); the owner of each track's latest report raises its events, and
  ``proximity`` is found between any two tracks, whatever their partitions. The cost: the
  ghost copies: with the default 341 km halo (350 m/s, a 300 s look-ahead) and 1-degree
  cells, a regional stream sends each report to every partition of a 12-partition stream;
  at 100 m/s and a 60 s look-ahead (a 53 km halo) with 2-degree cells, to 2.6 of 12;
  and the partitioner costs about 35 ms per 100,000 reports of a regional stream);
* ``"track"``: to partition ``crc32(track) % partitions``
  (:func:`~deconfliction.monitor.stream.codec.partition_of`): one copy of each report, but
  ``proximity`` is found only between tracks of the same partition.

Either way, every report of a track in a partition is in one subject, in publish order.

Each partition is read by one durable push consumer (``<durable>-<p>``) with explicit acks.
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
import secrets
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import DEFAULT_CONFIG
from deconfliction.monitor.events import MonitorConfig
from deconfliction.monitor.stream.codec import decode_message, encode_batch, partition_of
from deconfliction.monitor.stream.region import (
    NONE,
    OWNED,
    min_fringe_m,
    min_halo_m,
    region_status,
)

__all__ = ["PARTITION_BY", "Delivery", "DeliveryGapError", "Encoded", "PartitionConsumer",
           "StreamConfig", "TrackPublisher", "ensure_stream", "publish_batches"]


#: the partitioning modes (:attr:`StreamConfig.partition_by`)
PARTITION_BY = ("region", "track")

#: the most messages of a partition sent to its worker and not yet acknowledged (at most
#: 8 x 8,192 reports, ~5 MB: far below what the server buffers for a client before it drops
#: the connection as a slow consumer)
WINDOW = 8
#: a message not acknowledged this long after its delivery is sent again
ACK_WAIT_S = 60.0


@dataclass(frozen=True)
class StreamConfig:
    """Names, sizes and the partitioning shared by publishers and consumers of one track
    stream.

    Region partitioning (:mod:`.region`): cells of ``cell_deg`` degrees; ``halo_m`` and
    ``fringe_m`` (0: the least for the default monitor settings and tracks no faster than
    ``max_speed_mps``, :meth:`halo` and :meth:`fringe`).
    """

    stream: str = "TRACKS"
    subject_prefix: str = "tracks"
    partitions: int = 4
    max_reports_per_message: int = 8192
    durable: str = "monitor"
    max_age_s: float = 24 * 3600.0
    partition_by: str = "region"
    cell_deg: float = 1.0
    max_speed_mps: float = 350.0
    halo_m: float = 0.0
    fringe_m: float = 0.0

    def __post_init__(self) -> None:
        if self.partition_by not in PARTITION_BY:
            raise ValidationError("BAD_CONFIG", f"{self.partition_by!r} is not one of "
                                  f"{', '.join(PARTITION_BY)}", "partition_by")
        cols = 360.0 / self.cell_deg if self.cell_deg > 0 else 0.0
        if not (0.01 <= self.cell_deg <= 90.0 and abs(cols - round(cols)) < 1e-9):
            raise ValidationError("BAD_CONFIG", f"{self.cell_deg:g} must be in 0.01..90 and "
                                  "divide 360 (cells wrap round the antimeridian)", "cell_deg")
        for name in ("max_speed_mps", "halo_m", "fringe_m"):
            v = getattr(self, name)
            if not 0.0 <= v < float("inf"):
                raise ValidationError("BAD_CONFIG", f"{v:g} must be a finite number >= 0",
                                      name)

    def halo(self) -> float:
        """The ghost radius in metres (``halo_m``, or the least for the default monitor)."""
        return self.halo_m or min_halo_m(DEFAULT_CONFIG, self.max_speed_mps)

    def fringe(self) -> float:
        """The leave-notice ring's width in metres (``fringe_m``, or the least for the
        default monitor)."""
        return self.fringe_m or min_fringe_m(DEFAULT_CONFIG, self.max_speed_mps)

    def check_monitor(self, config: MonitorConfig) -> None:
        """``BAD_CONFIG`` if region partitioning's halo is too narrow for ``config`` (its
        events would then differ from one monitor's)."""
        if self.partition_by != "region":
            return
        halo, fringe = min_halo_m(config, self.max_speed_mps), min_fringe_m(
            config, self.max_speed_mps)
        if self.halo() < halo or self.fringe() < fringe:
            raise ValidationError(
                "BAD_CONFIG", f"the stream's halo ({self.halo():.0f} m) and fringe "
                f"({self.fringe():.0f} m) must be at least {halo:.0f} m and {fringe:.0f} m "
                f"for these monitor settings at {self.max_speed_mps:g} m/s", "halo_m")

    def status(self, batch: TrackBatch) -> npt.NDArray[np.int8]:
        """Each report's status in each partition, ``(len(batch), partitions)`` (see
        :func:`~.region.region_status`; by track: owned in its partition, else ``NONE``)."""
        if self.partition_by == "region":
            return region_status(batch.lat, batch.lon, self.partitions, self.cell_deg,
                                 self.halo(), self.fringe())
        out = np.full((len(batch), self.partitions), NONE, dtype=np.int8)
        out[np.arange(len(batch)), partition_of(batch.track, self.partitions)] = OWNED
        return out

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


async def publish_batches(url: str, config: StreamConfig, batches: Iterable[TrackBatch]
                          ) -> int:
    """Publish ``batches`` to the stream at ``url`` (created if missing) and wait until the
    server has stored them all; the messages sent."""
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, config)
        pub = TrackPublisher(js, config)
        for batch in batches:
            await pub.publish(batch)
        await pub.flush()
        return pub.messages
    finally:
        await nc.close()


class Encoded(NamedTuple):
    """One message of a partition, ready to send: its payload and how many reports."""

    partition: int
    payload: bytes
    copies: int


class TrackPublisher:
    """Publishes TrackBatch chunks, split by partition, pipelined (async JetStream acks)."""

    def __init__(self, js: Any, config: StreamConfig) -> None:
        self.js = js
        self.config = config
        self.messages = 0
        #: reports published, and the copies sent (ghosts and leave notices included)
        self.reports = 0
        self.copies = 0

    async def publish(self, batch: TrackBatch) -> int:
        """Queue ``batch``'s reports (one message per partition and chunk); return messages.

        Reports keep their order within each partition. Call :meth:`flush` to wait until the
        server has stored everything queued.
        """
        sent = await self.send(self.encode(batch))
        self.reports += len(batch)
        return sent

    def encode(self, batch: TrackBatch) -> list[Encoded]:
        """``batch`` as messages (partition, payload, copies), in partition order, reports in
        order within each: what :meth:`publish` sends (a load generator can encode first)."""
        if len(batch) == 0:
            return []
        cfg = self.config
        if cfg.partition_by == "region":
            # (partition, report) pairs in partition order, reports in order within each
            status = cfg.status(batch).T
            part, rep = np.nonzero(status != NONE)
            what = status[part, rep]
        else:  # one copy each: no (reports x partitions) table
            part = partition_of(batch.track, cfg.partitions)
            rep = np.argsort(part, kind="stable")
            part = part[rep]
            what = np.full(rep.size, OWNED, dtype=np.int8)
        bounds = np.searchsorted(part, np.arange(cfg.partitions + 1))
        out = []
        for p in range(cfg.partitions):
            for start in range(bounds[p], bounds[p + 1], cfg.max_reports_per_message):
                at = slice(start, min(start + cfg.max_reports_per_message, bounds[p + 1]))
                chunk = batch.take(rep[at])
                out.append(Encoded(p, encode_batch(chunk, what[at]), len(chunk)))
        return out

    async def send(self, messages: Sequence[Encoded]) -> int:
        """Queue messages made by :meth:`encode`; return how many."""
        for m in messages:
            await self.js.publish_async(self.config.subject(m.partition), m.payload)
            self.copies += m.copies
        self.messages += len(messages)
        return len(messages)

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
    #: each report's status in this partition (:mod:`.region`: 0 owned, 1 ghost, 2 leave)
    status: npt.NDArray[np.int8] | None = None
    #: when this process received it (epoch s)
    fetched_s: float = math.nan

    async def ack(self, *, wait: bool = True) -> None:
        """Tell the server this message is handled (waits for its confirmation unless
        ``wait`` is false: a lost ack only means a redelivery, which the caller must
        tolerate anyway)."""
        if wait:
            await self._msg.ack_sync(timeout=5.0)
        else:
            await self._msg.ack()


class DeliveryGapError(Exception):
    """Deliveries of a partition were lost on the way: reopen the consumer where the last
    message received in order left off (:meth:`PartitionConsumer.open`)."""


class PartitionConsumer:
    """The durable consumer of one partition; resumes after its last acked message.

    A push consumer: the server sends the partition's messages as they are stored, at most
    :data:`WINDOW` unacknowledged at a time (so a busy worker is sent no more, and memory is
    bounded), to a subscription of this process. A pull consumer would cost a request and
    its reply per fetch, through an event loop busy stepping the monitor: tens of ms a
    message at a steady load.
    """

    def __init__(self, js: Any, config: StreamConfig, partition: int) -> None:
        if not 0 <= partition < config.partitions:
            raise ValueError(f"partition {partition} outside 0..{config.partitions - 1}")
        self.js = js
        self.config = config
        self.partition = partition
        self.resumed_from = 1
        self._sub: Any = None
        self._delivered = 0  # the consumer sequence of the last delivery

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
                              deliver_subject=f"_DELIVER.{cfg.stream}.{self.partition}."
                                              f"{secrets.token_hex(8)}",
                              ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S,
                              max_ack_pending=WINDOW,
                              deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                              opt_start_seq=start)
        await self.close()
        self._delivered = 0
        # listen first: the server sends as soon as the consumer exists
        self._sub = await self.js.subscribe_bind(stream=cfg.stream, config=ccfg, consumer=name,
                                                 manual_ack=True)
        await self.js.add_consumer(cfg.stream, ccfg)
        return self

    async def fetch(self, max_messages: int = 32, timeout: float = 1.0) -> list[Delivery]:
        """Up to ``max_messages`` deliveries, in stream order; [] if none came in ``timeout``."""
        import nats.errors

        if self._sub is None:
            await self.open()
        sub = self._sub
        try:
            msgs = [await sub.next_msg(timeout=timeout)]
        except (TimeoutError, nats.errors.TimeoutError):  # nats-py raises either
            return []
        while len(msgs) < max_messages and sub.pending_msgs > 0:  # there already
            msgs.append(await sub.next_msg(timeout=timeout))
        out = []
        got_s = time.time()
        for m in msgs:
            meta = m.metadata
            # every delivery of this consumer (redeliveries too) has the next consumer
            # sequence: a jump means some were lost on the way (a dropped connection), and
            # those would come again only after later ones; the caller reopens
            if self._delivered and meta.sequence.consumer != self._delivered + 1:
                raise DeliveryGapError(f"partition {self.partition}: delivery "
                                  f"{meta.sequence.consumer} after {self._delivered}")
            self._delivered = meta.sequence.consumer
            batch, status = decode_message(m.data)
            out.append(Delivery(batch, self.partition, meta.sequence.stream,
                                meta.num_delivered > 1, m, meta.timestamp.timestamp(),
                                status if self.config.partition_by == "region" else None,
                                got_s))
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
