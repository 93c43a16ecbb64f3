"""PUT /parties/{id}: a party keeps its own profile (contact, webhook, interests, answer
window); only an admin changes roles or other parties' profiles."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deconfliction.api import create_app
from deconfliction.channel.service import Service
from deconfliction.core.parties import PartyProfile
from deconfliction.store import open_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette warns about httpx once, at import
    from fastapi.testclient import TestClient


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Service]]:
    service = Service(open_store(tmp_path / "d.db"))
    service.put_party("server", PartyProfile(id="admin", name="", role="admin"), create=True)
    tokens = {"admin": service.issue_token("server", "admin")}
    for p in ("russia", "ocha"):
        service.put_party("server", PartyProfile(id=p, name=p), create=True)
        tokens[p] = service.issue_token("server", p)
    with TestClient(create_app(service, workers=False)) as client:
        yield client, tokens, service
    service.store.close()


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _body(**changes: Any) -> dict[str, Any]:
    return {"id": "russia", "name": "Russia", "contact": "deconfliction line", **changes}


def test_a_party_updates_its_own_profile(
    setup: tuple[TestClient, dict[str, str], Service]
) -> None:
    client, tokens, service = setup
    interest = {"outline": {"type": "circle", "lat": 33.5, "lon": 38.6, "radius_m": 100_000},
                "alt_lower_m": 0, "alt_upper_m": 20_000}
    r = client.put("/parties/russia", json=_body(interests=[interest], ack_window_s=600),
                   headers=_h(tokens["russia"]))
    assert r.status_code == 200, r.text
    assert service.party("russia").contact == "deconfliction line"
    assert service.party("russia").ack_window_s == 600
    assert len(service.party("russia").interests) == 1
    kinds = [e.kind for e in service.ledger_entries(service.principal("admin", ["admin"]))
             ]  # type: ignore[arg-type]
    assert kinds[-1] == "party.updated"


@pytest.mark.parametrize(("who", "party", "changes", "status", "code"), [
    ("ocha", "russia", {}, 403, "FORBIDDEN"),
    ("russia", "russia", {"role": "admin"}, 403, "NOT_ADMIN"),
    ("russia", "ocha", {"id": "russia"}, 422, "ID_MISMATCH"),
    ("admin", "ghost", {"id": "ghost"}, 404, "NOT_FOUND"),
    ("russia", "russia", {"escalation_to": "nobody"}, 422, "UNKNOWN_PARTY"),
])
def test_refused_updates_change_nothing(
    setup: tuple[TestClient, dict[str, str], Service], who: str, party: str,
    changes: dict[str, Any], status: int, code: str,
) -> None:
    client, tokens, service = setup
    before = service.party("russia")
    r = client.put(f"/parties/{party}", json=_body(**changes), headers=_h(tokens[who]))
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert service.party("russia") == before


def test_an_admin_may_update_anyone(setup: tuple[TestClient, dict[str, str], Service]) -> None:
    client, tokens, service = setup
    r = client.put("/parties/russia", json=_body(escalation_to="ocha"),
                   headers=_h(tokens["admin"]))
    assert r.status_code == 200
    assert service.party("russia").escalation_to == "ocha"
