"""POST /reports: the At Tanf live tracks posted as JSON lines raise the scenario's alerts,
which reach the zone's owner and the track's party through the channel."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconfliction.api import create_app
from deconfliction.channel.service import ALL_SCOPES, SERVER, Principal, Service
from deconfliction.core.parties import PartyProfile
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.simulate import attanf_objects, attanf_tracks
from deconfliction.store import open_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette warns about httpx once, at import
    from fastapi.testclient import TestClient


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Service]]:
    service = Service(open_store(tmp_path / "d.db"))
    service.put_party(SERVER, PartyProfile(id="admin", name="", role="admin"), create=True)
    tokens = {"admin": service.issue_token(SERVER, "admin")}
    for p in ("coalition", "mat", "russia"):
        service.put_party(SERVER, PartyProfile(id=p, name=p), create=True)
        tokens[p] = service.issue_token(SERVER, p)
    operator = Principal(SERVER, ALL_SCOPES, admin=True)
    for obj in attanf_objects():
        seen = {o["id"]: o["version"] for kind in ("zone", "operation")
                for o in service.list_objects(operator, kind)}  # type: ignore[arg-type]
        service.save(operator, obj, expected_version=None, create=True, seen=seen,
                     override="scenario setup")
    with TestClient(create_app(service, workers=False)) as client:
        yield client, tokens, service
    service.store.close()


def _lines(batch: TrackBatch) -> bytes:
    rows = []
    for i in range(len(batch)):
        rows.append(json.dumps({
            "track": str(batch.track[i]), "party": str(batch.party[i]),
            "t_s": float(batch.t_s[i]), "lat": float(batch.lat[i]), "lon": float(batch.lon[i]),
            "alt_m": float(batch.alt_m[i]), "speed_mps": float(batch.speed_mps[i]),
            "heading_deg": float(batch.heading_deg[i]), "operation": str(batch.operation[i]),
        }))
    return ("\n".join(rows) + "\n").encode()


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}


def test_live_tracks_raise_the_scenarios_alerts_in_the_channel(
        world: tuple[TestClient, dict[str, str], Service]) -> None:
    client, tokens, _ = world
    kinds: set[tuple[str, str]] = set()
    messages: list[str] = []
    for batch in attanf_tracks():
        r = client.post("/reports", content=_lines(batch), headers=_h(tokens["admin"]))
        assert r.status_code == 200, r.text
        kinds |= {(e["kind"], e["track"]) for e in r.json()["events"]}
        messages += r.json()["messages"]
    assert {("enter", "rf-su24"), ("predicted", "rf-su24"),
            ("nonconforming", "mat-patrol-3"), ("proximity", "co-f15")} <= kinds
    assert messages
    inbox = client.get("/inbox", headers=_h(tokens["coalition"])).json()["items"]
    alerts = [m for m in inbox if m["kind"] == "alert"]
    assert any("enter: track rf-su24" in m["summary"] for m in alerts)
    ru = client.get("/inbox", headers=_h(tokens["russia"])).json()["items"]
    assert any(m["kind"] == "alert" and "rf-su24" in m["summary"] for m in ru)


def test_a_party_reports_only_its_own_tracks(
        world: tuple[TestClient, dict[str, str], Service]) -> None:
    client, tokens, _ = world
    line = b'{"track": "x", "party": "coalition", "t_s": 1536818400, "lat": 33.5, "lon": 38.6}\n'
    r = client.post("/reports", content=line, headers=_h(tokens["russia"]))
    assert (r.status_code, r.json()["code"]) == (403, "NOT_OWNER")
    r = client.post("/reports", content=b'{"track": "x", "lat": 95}\n',
                    headers=_h(tokens["russia"]))
    assert r.status_code == 422 and r.json()["code"]
    r = client.post("/reports", content=b"", headers=_h(tokens["russia"]))
    assert r.status_code == 200 and r.json()["reports"] == 0
