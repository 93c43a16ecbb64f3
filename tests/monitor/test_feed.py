"""The feeder ``make run`` starts: the At Tanf tracks posted to a service's /reports, each
party's tracks with its own token, raise the scenario's alerts (printed and in the inboxes)."""

from __future__ import annotations

import warnings
from pathlib import Path

from deconfliction.api import create_app
from deconfliction.channel.service import Service
from deconfliction.monitor.feed import feed, wait_ready
from deconfliction.scenario.service_load import load_attanf
from deconfliction.store import open_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette warns about httpx once, at import
    from fastapi.testclient import TestClient


def test_the_simulator_fed_to_the_service_raises_alerts(tmp_path: Path) -> None:
    service = Service(open_store(tmp_path / "d.db"))
    tokens = load_attanf(service)
    lines: list[str] = []
    pauses: list[float] = []
    with TestClient(create_app(service, workers=False)) as client:
        assert wait_ready(client, "")
        sent = feed(client, "", tokens, speed=1e6, sleep=pauses.append, say=lines.append)
        inbox = client.get("/inbox", headers={"Authorization": f"Bearer {tokens['coalition']}"})
    service.store.close()
    assert sent > 0
    kinds = {line.split()[1] for line in lines}
    assert kinds == {"enter", "predicted", "nonconforming", "proximity"}
    assert any("rf-su24" in line and "at-tanf-zone" in line for line in lines)
    assert any(m["kind"] == "alert" for m in inbox.json()["items"])
