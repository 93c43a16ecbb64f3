"""The monitor benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "bench_monitor.py"


def test_bench_monitor_quick(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--no-postgis", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "== monitor benchmark" in proc.stdout
    data = json.loads((tmp_path / "monitor.json").read_text(encoding="utf-8"))
    assert {"benchmark", "machine", "source", "parameters", "cases", "floor",
            "build_s", "elapsed_s"} <= data.keys()
    assert [c["reports"] for c in data["cases"]] == [10_000, 100_000]
    for c in data["cases"]:
        assert c["engine"]["per_core_per_s"] > 0 and c["engine"]["hits"] > 0
        assert c["shapely"]["total_per_s"] > 0
        assert {"both", "engine_only", "other_only"} <= c["shapely"]["disagree"].keys()
        assert "postgis" not in c
    assert (tmp_path / "monitor.md").read_text(encoding="utf-8").startswith("# Monitor")
