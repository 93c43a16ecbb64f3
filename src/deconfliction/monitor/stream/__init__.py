"""Track batches over NATS JetStream: compact messages, partitions by track, resumable consumers.

* :mod:`.codec`: :func:`encode_batch` / :func:`decode_batch` (msgpack, float columns as raw
  bytes) and :func:`partition_of` (stable CRC-32 of the track id);
* :mod:`.jetstream`: :class:`StreamConfig`, :func:`ensure_stream`, :class:`TrackPublisher`,
  :class:`PartitionConsumer` and its :class:`Delivery` (ack after handling).
"""

from deconfliction.monitor.stream.codec import decode_batch, encode_batch, partition_of
from deconfliction.monitor.stream.jetstream import (
    Delivery,
    PartitionConsumer,
    StreamConfig,
    TrackPublisher,
    ensure_stream,
)

__all__ = ["Delivery", "PartitionConsumer", "StreamConfig", "TrackPublisher", "decode_batch",
           "encode_batch", "ensure_stream", "partition_of"]
