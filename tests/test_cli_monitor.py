"""``deconfliction replay``: the At Tanf live tracks, written as an ADS-B style file, replayed
against the stored scenario; summary, JSON and a map image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconfliction.cli import app
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.simulate import attanf_objects, attanf_tracks
from deconfliction.store import open_store

runner = CliRunner()


@pytest.fixture
def scenario(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "d.db"
    with open_store(db) as store:
        store.put_many(attanf_objects())
    batch = TrackBatch.concat(list(attanf_tracks()))
    lines = []
    for i in range(len(batch)):
        row = {"time": float(batch.t_s[i]), "icao24": str(batch.track[i]),
               "latitude": float(batch.lat[i]), "longitude": float(batch.lon[i]),
               "geoaltitude": float(batch.alt_m[i]), "velocity": float(batch.speed_mps[i]),
               "track": float(batch.heading_deg[i]), "party": str(batch.party[i]),
               "operation": str(batch.operation[i])}
        lines.append(json.dumps(row))
    tracks = tmp_path / "tracks.jsonl"
    tracks.write_text("\n".join(lines) + "\n")
    return db, tracks


def test_replay_raises_the_scenarios_alerts(scenario: tuple[Path, Path], tmp_path: Path
                                            ) -> None:
    db, tracks = scenario
    png = tmp_path / "map.png"
    r = runner.invoke(app, ["replay", str(tracks), "--db", str(db), "--json",
                            "--plot", str(png)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["reports"] == 324
    assert out["by_kind"] == {"enter": 1, "nonconforming": 1, "predicted": 1, "proximity": 2}
    assert out["by_object"]["at-tanf-zone"] == 2 and out["by_object"]["exercise"] == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_replay_prints_a_summary(scenario: tuple[Path, Path]) -> None:
    db, tracks = scenario
    r = runner.invoke(app, ["replay", str(tracks), "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "324 reports" in r.stdout and "alerts by kind" in r.stdout
    assert "nonconforming" in r.stdout


def test_bad_input_is_one_line_and_status_2(scenario: tuple[Path, Path], tmp_path: Path
                                            ) -> None:
    db, _ = scenario
    r = runner.invoke(app, ["replay", str(tmp_path / "none.csv"), "--db", str(db)])
    assert r.exit_code == 2 and "FILE_UNREADABLE" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"time": 1, "icao24": "a", "latitude": 95, "longitude": 1}\n')
    r = runner.invoke(app, ["replay", str(bad), "--db", str(db)])
    assert r.exit_code == 2 and "LAT_OUT_OF_RANGE" in r.output


# -- deconfliction monitor --------------------------------------------------------------------


@pytest.mark.parametrize(("args", "says"), [
    (["--workers", "0"], "--workers: 0 must be at least 1 (BAD_OPTION)"),
    (["--workers", "5", "--partitions", "4"], "would leave some idle (BAD_OPTION)"),
    (["--partitions", "0"], "--partitions: 0 must be in 1..1024 (BAD_OPTION)"),
    (["--partition-by", "country"],
     "--partition-by: 'country' is not one of region, track (BAD_OPTION)"),
    (["--cell-deg", "0"], "--cell-deg: 0 must be in 0.01..90 and divide 360"),
    (["--max-speed-mps", "-5"], "--max-speed-mps: -5 must be a finite number >= 0 (BAD_OPTION)"),
    (["--nats", "nats://127.0.0.1:1"], "(NATS_UNAVAILABLE)"),
    (["--nats", "not a url"], "(NATS_UNAVAILABLE)"),
])
def test_monitor_refuses_bad_options_in_one_line(tmp_path: Path, args: list[str], says: str
                                                 ) -> None:
    r = runner.invoke(app, ["monitor", "--db", str(tmp_path / "d.db"), *args])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines


def test_monitor_runs_its_workers_until_stopped(tmp_path: Path, nats_url: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    exe = Path(sys.executable).parent / "deconfliction"
    proc = subprocess.Popen(
        [str(exe), "monitor", "--db", str(tmp_path / "d.db"), "--nats", nats_url,
         "--workers", "2", "--stream", "CLIRUN", "--subject-prefix", "clirun"],
        stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while sum("on partitions" in line for line in seen) < 2 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
    assert any("worker 0 (pid" in line and "[0, 2]" in line for line in seen), seen
    assert any("worker 1 (pid" in line and "[1, 3]" in line for line in seen), seen
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 0
    proc.stderr.close()
