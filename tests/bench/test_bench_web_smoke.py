"""The web map benchmark runs end to end in its quick mode (a real server, Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from quick import run_quick


@pytest.mark.slow
def test_bench_web_quick(tmp_path: Path) -> None:
    stdout, data = run_quick("bench_web.py", tmp_path, timeout=600)
    assert "== web benchmark" in stdout
    assert [r["variant"] for r in data["results"]] == ["canvas", "svg"]
    for r in data["results"]:
        assert r["page_errors"] == []
        assert r["tracks_shown"] == data["parameters"]["tracks"]
        assert r["batches_drawn"] >= 1 and r["frames"]["n"] > 10
        assert r["update_latency"]["p50_ms"] > 0
    assert (tmp_path / "web.md").read_text(encoding="utf-8").startswith("# Web map")
