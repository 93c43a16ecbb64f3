"""The stream benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "bench_stream.py"


def test_bench_stream_quick(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads((tmp_path / "stream.json").read_text(encoding="utf-8"))
    assert data["codec"]["msgpack"]["round_trip_per_s"] > 0
    (run,) = data["end_to_end"]
    assert run["reports"] == 100_000 and run["end_to_end_per_s"] > 0
    assert (tmp_path / "stream.md").read_text(encoding="utf-8").startswith("# Stream")
