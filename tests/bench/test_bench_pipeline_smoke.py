"""The pipeline benchmark (publisher -> NATS -> workers -> alerts) runs end to end in its
quick mode and writes complete results."""

from __future__ import annotations

from pathlib import Path

from quick import run_quick


def test_bench_pipeline_quick(tmp_path: Path) -> None:
    stdout, data = run_quick("bench_pipeline.py", tmp_path, timeout=600)
    assert "== pipeline benchmark" in stdout
    assert {"benchmark", "machine", "source", "parameters", "cases", "floors",
            "elapsed_s", "note"} <= data.keys()
    (case,) = data["cases"]
    assert case["throughput"]["reports"] == 10_000 and case["throughput"]["reports_per_s"] > 0
    phases = case["throughput"]["phases"]
    assert [phases[k]["reports"] for k in ("first_sight", "tracked")] == [2_000, 8_000]
    assert phases["first_sight"]["alert_events"] > 0
    assert case["latency"]["messages"] > 0 and case["latency"]["handled_p99_s"] > 0
    assert case["alert_messages"] > 0
    assert case["baselines"]["engine_per_core_per_s"] > 0
    assert case["baselines"]["shapely_per_s"] > 0
    assert all(r > 0 for r in case["worker_peak_rss_mb"])
    assert (tmp_path / "pipeline.md").read_text(encoding="utf-8").startswith("# Pipeline")
