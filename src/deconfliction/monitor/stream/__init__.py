"""Track batches over NATS JetStream: compact messages, partitions by region or by track,
resumable consumers.

* :mod:`.codec`: :func:`encode_batch` / :func:`decode_message` (msgpack, float columns as raw
  bytes, each report's status in the partition) and :func:`partition_of` (stable CRC-32 of
  the track id);
* :mod:`.region`: lat/lon cells hashed to partitions, each report to its cell's partition
  and as a ghost copy to those within the halo (:func:`~.region.region_status`);
* :mod:`.jetstream`: :class:`StreamConfig`, :func:`ensure_stream`, :class:`TrackPublisher`,
  :class:`PartitionConsumer` and its :class:`Delivery` (ack after handling).
"""

from deconfliction.monitor.stream.codec import (
    decode_batch,
    decode_message,
    encode_batch,
    partition_of,
)
from deconfliction.monitor.stream.jetstream import (
    PARTITION_BY,
    Delivery,
    PartitionConsumer,
    StreamConfig,
    TrackPublisher,
    ensure_stream,
    publish_batches,
)

__all__ = ["PARTITION_BY", "Delivery", "PartitionConsumer", "StreamConfig", "TrackPublisher",
           "decode_batch", "decode_message", "encode_batch", "ensure_stream", "partition_of",
           "publish_batches"]
