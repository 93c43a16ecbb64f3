"""The service benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

from pathlib import Path

import pytest
from quick import run_quick

LATENCY_KEYS = {"p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "n"}


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_service_quick(tmp_path: Path) -> None:
    stdout, data = run_quick("bench_service.py", tmp_path, timeout=300)
    assert "== service benchmark" in stdout
    assert {"benchmark", "issue", "date", "machine", "source", "parameters", "floor",
            "results", "elapsed_s"} <= data.keys()
    assert data["parameters"]["quick"] is True and data["parameters"]["clients"] == 32
    assert [r["backend"] for r in data["results"]] == ["sqlite", "postgres"]
    for r in data["results"]:
        assert r["latency"].keys() >= LATENCY_KEYS
        assert r["latency"]["n"] == data["parameters"]["ops"]
        assert r["statuses"] == {"201": data["parameters"]["ops"]}
        assert r["floor"]["all_accepted"] and r["floor"]["all_stored"]
        assert r["floor"]["ledger_ok"]
        assert r["creations_per_s"] > 0
        assert 0.0 < r["cpu"]["load_generator_share"] < 1.0
    assert (tmp_path / "service.md").read_text(encoding="utf-8").startswith("# Service load")
