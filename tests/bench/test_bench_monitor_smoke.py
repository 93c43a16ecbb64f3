"""The monitor benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

from pathlib import Path

from quick import run_quick


def test_bench_monitor_quick(tmp_path: Path) -> None:
    stdout, data = run_quick("bench_monitor.py", tmp_path, "--no-postgis", timeout=120)
    assert "== monitor benchmark" in stdout
    assert {"benchmark", "machine", "source", "parameters", "cases", "floor",
            "build_s", "elapsed_s"} <= data.keys()
    assert [c["reports"] for c in data["cases"]] == [10_000, 100_000]
    for c in data["cases"]:
        assert c["engine"]["per_core_per_s"] > 0 and c["engine"]["hits"] > 0
        assert c["shapely"]["total_per_s"] > 0
        assert {"both", "engine_only", "other_only"} <= c["shapely"]["disagree"].keys()
        assert "postgis" not in c
    assert (tmp_path / "monitor.md").read_text(encoding="utf-8").startswith("# Monitor")
