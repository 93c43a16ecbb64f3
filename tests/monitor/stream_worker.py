"""A consumer process for the restart test: acks ``ACKS`` messages, fetches more, waits.

Prints one line per acked message (``acked <stream_seq> <reports>``), then ``holding`` once
it holds fetched but unacked messages, then sleeps until killed.
"""

from __future__ import annotations

import asyncio
import sys
import time

import nats

from deconfliction.monitor.stream import PartitionConsumer, StreamConfig


async def main(url: str, stream: str, acks: int) -> None:
    cfg = StreamConfig(stream=stream, subject_prefix=stream.lower(), partitions=2,
                       partition_by="track")
    nc = await nats.connect(url)
    consumer = await PartitionConsumer(nc.jetstream(), cfg, 0).open()
    done = 0
    while done < acks:
        for d in await consumer.fetch(1, timeout=5):
            await d.ack()
            done += 1
            print("acked", d.stream_seq, len(d.batch), flush=True)
    held = await consumer.fetch(3, timeout=5)
    print("holding", *(d.stream_seq for d in held), flush=True)
    time.sleep(3600)  # killed here, with messages fetched and not acked


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
