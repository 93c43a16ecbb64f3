"""Track reports through NATS JetStream: publish + consume reports/s on this machine.

Two parts, in the same run:

1. **Codec**: the stream's message encoding (msgpack, float columns as raw bytes) against
   JSON lines (one JSON object per report, as the HTTP endpoint takes them), encode + decode
   of the same reports, single thread.
2. **End to end**: a real ``nats-server`` (JetStream, file storage) on 127.0.0.1; consumer
   processes (one per 2 partitions) start first and fetch, decode and ack every message;
   the publisher splits batches by partition, encodes and publishes them (pipelined
   JetStream acks). The clock runs from the first publish to the last ack of the last
   consumer: reports/s end to end. The floor from issue 4 is 200,000 reports/s.

Results: ``bench/results/stream.json`` and ``stream.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deconfliction.monitor.batch import TrackBatch  # noqa: E402
from deconfliction.monitor.sources import batch_from_jsonl  # noqa: E402
from deconfliction.monitor.stream import (  # noqa: E402
    PartitionConsumer,
    StreamConfig,
    TrackPublisher,
    decode_batch,
    encode_batch,
    ensure_stream,
)
from deconfliction.testing import NatsServer  # noqa: E402

FLOOR = 200_000


def make_batch(n: int, tracks: int, seed: int) -> TrackBatch:
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:06x}" for i in range(tracks)], dtype=object)
    return TrackBatch.of(
        track=ids[rng.integers(0, tracks, n)], party=rng.choice(["coalition", "russia"], n),
        t_s=1.7e9 + np.arange(n) * 1e-3, lat=rng.uniform(30, 35, n), lon=rng.uniform(36, 40, n),
        alt_m=rng.uniform(0, 1e4, n), speed_mps=rng.uniform(0, 300, n),
        heading_deg=rng.uniform(0, 360, n), operation=np.full(n, "", dtype=object))


def to_jsonl(b: TrackBatch) -> bytes:
    cols = [getattr(b, f).tolist() for f in TrackBatch.__dataclass_fields__]
    names = list(TrackBatch.__dataclass_fields__)
    return "\n".join(json.dumps(dict(zip(names, row, strict=True)))
                     for row in zip(*cols, strict=True)).encode()


def bench_codec(n: int, seed: int) -> dict[str, Any]:
    b = make_batch(n, 10_000, seed)
    out: dict[str, Any] = {"reports": n}
    for name, enc, dec in (("msgpack", encode_batch, decode_batch),
                           ("jsonl", to_jsonl, batch_from_jsonl)):
        t0 = time.perf_counter()
        data = enc(b)
        t1 = time.perf_counter()
        back = dec(data)
        t2 = time.perf_counter()
        assert len(back) == n
        out[name] = {"bytes_per_report": round(len(data) / n, 1),
                     "encode_per_s": round(n / (t1 - t0)), "decode_per_s": round(n / (t2 - t1)),
                     "round_trip_per_s": round(n / (t2 - t0))}
    out["speedup_round_trip"] = round(out["msgpack"]["round_trip_per_s"]
                                      / out["jsonl"]["round_trip_per_s"], 1)
    return out


def consumer(url: str, cfg: StreamConfig, parts: list[int], expect: int, q: Any) -> None:
    async def run() -> None:
        import nats

        nc = await nats.connect(url)
        js = nc.jetstream()
        done = 0
        cons = [await PartitionConsumer(js, cfg, p).open() for p in parts]
        q.put(("ready", 0, 0.0))

        async def one(c: PartitionConsumer) -> None:
            nonlocal done
            while done < expect:
                for d in await c.fetch(64, timeout=0.2):
                    done += len(d.batch)
                    await d.ack()

        await asyncio.gather(*(one(c) for c in cons))
        q.put(("done", done, time.time()))
        await nc.close()

    asyncio.run(run())


async def publish(url: str, cfg: StreamConfig, chunks: list[TrackBatch]) -> float:
    import nats

    nc = await nats.connect(url)
    pub = TrackPublisher(nc.jetstream(), cfg)
    for c in chunks:
        await pub.publish(c)
    await pub.flush()
    await nc.close()
    return time.time()


async def setup(url: str, cfg: StreamConfig) -> None:
    import nats

    nc = await nats.connect(url)
    await ensure_stream(nc.jetstream(), cfg)
    await nc.close()


def bench_end_to_end(url: str, n: int, tracks: int, partitions: int, chunk: int,
                     seed: int) -> dict[str, Any]:
    cfg = StreamConfig(stream=f"BENCH{seed}{n}", subject_prefix=f"bench{seed}{n}",
                       partitions=partitions, partition_by="track")  # as measured
    asyncio.run(setup(url, cfg))
    batch = make_batch(n, tracks, seed)
    chunks = [batch.take(np.arange(s, min(n, s + chunk))) for s in range(0, n, chunk)]
    from deconfliction.monitor.stream import partition_of

    part = partition_of(batch.track, partitions)
    groups = [list(range(p, min(p + 2, partitions))) for p in range(0, partitions, 2)]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=consumer, args=(url, cfg, g, int(np.isin(part, g).sum()), q))
             for g in groups]
    for p in procs:
        p.start()
    for _ in procs:
        assert q.get(timeout=60)[0] == "ready"
    t0 = time.time()
    published = asyncio.run(publish(url, cfg, chunks))
    try:
        ends = [q.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    total = sum(e[1] for e in ends)
    assert total == n, (total, n)
    end = max(e[2] for e in ends)
    return {"reports": n, "tracks": tracks, "partitions": partitions,
            "consumer_processes": len(procs), "publish_chunk": chunk,
            "publish_per_s": round(n / (published - t0)), "end_to_end_s": round(end - t0, 3),
            "end_to_end_per_s": round(n / (end - t0))}


def write(out: Path, data: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "stream.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    c = data["codec"]
    lines = [
        "# Stream benchmark: track reports through NATS JetStream", "",
        f"Machine: {data['machine']}; nats-server {data['nats_server']}. "
        f"Generated by `bench/bench_stream.py` in {data['elapsed_s']} s.", "",
        f"## Codec ({c['reports']:,} reports, one thread)", "",
        "| encoding | bytes/report | encode/s | decode/s | round trip/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("msgpack", "jsonl"):
        r = c[name]
        lines.append(f"| {name} | {r['bytes_per_report']} | {r['encode_per_s']:,} | "
                     f"{r['decode_per_s']:,} | {r['round_trip_per_s']:,} |")
    lines += ["", f"msgpack round trip is {c['speedup_round_trip']}x JSON lines.", "",
              "## End to end (publish, store, fetch, decode, ack)", "",
              "| reports | tracks | partitions | consumer processes | publish/s | "
              "end to end s | end to end reports/s | floor |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in data["end_to_end"]:
        ok = "ok" if r["end_to_end_per_s"] >= FLOOR else "BELOW"
        lines.append(f"| {r['reports']:,} | {r['tracks']:,} | {r['partitions']} | "
                     f"{r['consumer_processes']} | {r['publish_per_s']:,} | "
                     f"{r['end_to_end_s']} | {r['end_to_end_per_s']:,} | {FLOOR:,} {ok} |")
    (out / "stream.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="100,000 reports only")
    p.add_argument("--seed", type=int, default=20250301)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = p.parse_args(argv)
    started = time.perf_counter()
    print("== stream benchmark")
    codec = bench_codec(20_000 if args.quick else 200_000, args.seed)
    print(json.dumps(codec))
    sizes = [(100_000, 10_000)] if args.quick else [(1_000_000, 10_000), (1_000_000, 1_000_000)]
    runs = []
    with NatsServer() as server:
        import subprocess

        version = subprocess.run([str(server.binary), "--version"], capture_output=True,
                                 text=True).stdout.strip()
        for n, tracks in sizes:
            r = bench_end_to_end(server.url, n, tracks, 4, 50_000, args.seed)
            print(json.dumps(r))
            runs.append(r)
    data = {"benchmark": "stream", "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}", "nats_server": version, "codec": codec,
            "end_to_end": runs, "floor": FLOOR,
            "elapsed_s": round(time.perf_counter() - started, 1)}
    write(args.out, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
