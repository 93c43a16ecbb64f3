"""The stream benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

from pathlib import Path

from quick import run_quick


def test_bench_stream_quick(tmp_path: Path) -> None:
    _, data = run_quick("bench_stream.py", tmp_path, timeout=120)
    assert data["codec"]["msgpack"]["round_trip_per_s"] > 0
    (run,) = data["end_to_end"]
    assert run["reports"] == 100_000 and run["end_to_end_per_s"] > 0
    assert (tmp_path / "stream.md").read_text(encoding="utf-8").startswith("# Stream")
