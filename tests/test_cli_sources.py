"""``deconfliction publish`` (registered by cli_sources.register) against a real nats-server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nats
import numpy as np
import typer
from typer.testing import CliRunner

from deconfliction.cli_sources import register
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.stream import PartitionConsumer, StreamConfig


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    register(app)
    return app


async def _consume(url: str, cfg: StreamConfig) -> TrackBatch:
    nc = await nats.connect(url)
    try:
        js, got = nc.jetstream(), []
        for p in range(cfg.partitions):
            c = await PartitionConsumer(js, cfg, p).open()
            async for d in c.deliveries(idle_timeout=0.3, poll_s=0.3):
                owned = np.ones(len(d.batch), bool) if d.status is None else d.status == 0
                got.append(d.batch.take(np.nonzero(owned)[0]))  # each report owned once
                await d.ack()
        return TrackBatch.concat(got)
    finally:
        await nc.close()


def test_publish_file(nats_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tracks.jsonl"
    rows = [{"time": 1714564800 + i, "icao24": f"a{i % 4}", "lat": 33.3, "lon": 38.6,
             "altitude": 1000, "groundspeed": 100} for i in range(20)]
    rows[5]["lat"] = 99
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runner = CliRunner()
    args = ["publish", str(path), "--nats", nats_url, "--partitions", "2", "--stream", "CLI",
            "--subject-prefix", "cli", "--party", "coalition"]
    res = runner.invoke(make_app(), args)
    assert res.exit_code == 2
    assert "line 6: lat:" in res.output and "(LAT_OUT_OF_RANGE)" in res.output
    res = runner.invoke(make_app(), [*args, "--skip-bad", "--altitude-unit", "m"])
    assert res.exit_code == 0, res.output
    assert "published 19 reports" in res.output and "LAT_OUT_OF_RANGE 1" in res.output
    cfg = StreamConfig(stream="CLI", subject_prefix="cli", partitions=2)
    b = asyncio.run(_consume(nats_url, cfg))
    assert sorted(b.t_s.tolist()) == [1714564800 + i for i in range(20) if i != 5]
    assert set(b.party) == {"coalition"} and set(b.alt_m) == {1000.0}
    res = runner.invoke(make_app(), [*args, "--speed-unit", "mph"])
    assert res.exit_code == 2 and "BAD_OPTION" in res.output
    res = runner.invoke(make_app(), ["publish", str(tmp_path / "x.txt"), "--nats", nats_url])
    assert res.exit_code == 2 and "UNKNOWN_FORMAT" in res.output
    res = runner.invoke(make_app(), [*args[:-2], "--stream", "OTHER"])  # subjects overlap CLI's
    assert res.exit_code == 2 and "NATS_ERROR" in res.output
    res = runner.invoke(make_app(), [*args, "--partition-by", "country"])
    assert res.exit_code == 2
    assert "--partition-by: 'country' is not one of region, track (BAD_OPTION)" in res.output
    res = runner.invoke(make_app(), [*args, "--cell-deg", "100"])
    assert res.exit_code == 2 and "--cell-deg: 100 must be in 0.01..90" in res.output


def test_publish_by_track_sends_one_copy(nats_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"time": 1714564800 + i, "icao24": f"t{i}",
                                        "lat": 33.5, "lon": 38.0 + i / 100,
                                        "altitude": 1000}) + "\n" for i in range(10)))
    res = runner.invoke(make_app(), ["publish", str(path), "--nats", nats_url, "--partitions",
                                     "3", "--stream", "CLITRACK", "--subject-prefix",
                                     "clitrack", "--partition-by", "track"])
    assert res.exit_code == 0, res.output
    assert "published 10 reports" in res.output and "by track" in res.output
    cfg = StreamConfig(stream="CLITRACK", subject_prefix="clitrack", partitions=3,
                       partition_by="track")
    assert sorted(asyncio.run(_consume(nats_url, cfg)).track.tolist()) == sorted(
        f"t{i}" for i in range(10))
