"""The check benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

from pathlib import Path

import pytest
from quick import run_quick

LATENCY_KEYS = {"p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "n"}


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_check_quick(tmp_path: Path) -> None:
    stdout, data = run_quick("bench_check.py", tmp_path, timeout=180)
    assert "== check benchmark" in stdout
    assert {
        "benchmark", "issue", "date", "machine", "source", "parameters", "workload", "engine",
        "postgis", "postgis_distance", "shapely", "engine_vs_postgis", "engine_vs_shapely",
        "by_conflicts", "slowest_engine_checks", "ratios", "floor", "elapsed_s",
    } <= data.keys()
    params = data["parameters"]
    assert params["quick"] is True and params["objects"] == 5_000 and params["checks"] == 200
    assert data["workload"]["objects"] == 5_000
    for name in ("engine", "postgis", "postgis_distance"):
        assert data[name]["latency"].keys() >= LATENCY_KEYS
        assert data[name]["latency"]["n"] == 200
        assert data[name]["conflicts"] > 0
    assert data["shapely"]["latency"]["n"] == params["shapely_checks"]
    assert data["engine"]["build_s"] > 0
    assert data["engine"]["cpu_time"].keys() >= LATENCY_KEYS
    cmp = data["engine_vs_postgis"]
    assert {"both", "engine_only", "postgis_only", "agreement", "examples"} <= cmp.keys()
    assert 0.0 <= cmp["agreement"] <= 1.0
    assert {"postgis_over_engine_p50", "postgis_over_engine_p99"} <= data["ratios"].keys()
    assert {"p99_within_limit", "faster_than_postgis_p50", "met"} <= data["floor"].keys()
    assert (tmp_path / "check.md").read_text(encoding="utf-8").startswith("# Conflict check")
