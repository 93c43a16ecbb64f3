"""The DSS benchmark runs end to end in its quick mode and writes complete results."""

from __future__ import annotations

from pathlib import Path

import pytest
from quick import run_quick


@pytest.mark.slow
def test_bench_dss_quick(tmp_path: Path) -> None:
    stdout, data = run_quick("bench_dss.py", tmp_path, "--backends", "sqlite", timeout=300)
    assert "== dss benchmark" in stdout
    assert {"benchmark", "issue", "date", "machine", "source", "parameters", "floor",
            "results", "elapsed_s"} <= data.keys()
    assert data["parameters"]["quick"] is True and data["parameters"]["clients"] == 16
    (r,) = data["results"]
    assert r["backend"] == "sqlite"
    assert r["statuses"] == {"201": data["parameters"]["ops"]}  # every key was right
    assert r["floor"]["all_accepted"] and r["floor"]["all_stored"] and r["floor"]["ledger_ok"]
    assert r["latency"]["n"] == data["parameters"]["ops"] and r["writes_per_s"] > 0
    assert (tmp_path / "dss.md").read_text(encoding="utf-8").startswith("# DSS load")
