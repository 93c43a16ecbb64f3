"""A small world for the API tests: a service over a fresh store, a controllable clock,
an admin and four parties with API tokens, and an in-process client.

The parties, and what they are to the objects of ``alpha``:

* ``alpha``   the owner;
* ``bravo``   another party whose zone alpha's operation enters (a party to the conflict);
* ``charlie`` involved: a participant of alpha's operation and the recipient of its notice;
  alpha's zone is shared with it;
* ``delta``   an unrelated party (sees alpha's objects only in the shared view);
* ``echo``    where bravo's overdue answers escalate to;
* ``admin``   the administrator.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from deconfliction.api import create_app
from deconfliction.api.settings import Settings
from deconfliction.channel.service import SERVER, Service
from deconfliction.core.parties import PartyProfile
from deconfliction.store import open_store

T0 = datetime(2030, 1, 1, tzinfo=UTC)
PARTIES = ("alpha", "bravo", "charlie", "delta", "echo")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def stamp(hours: float) -> str:
    """``T0`` plus ``hours``, as the API writes times."""
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def circle(lat: float, lon: float, radius_m: float = 5_000.0, *, start_h: float = 1.0,
           end_h: float = 10.0, low: float = 0.0, high: float = 3_000.0) -> dict[str, Any]:
    """One volume: a circle, an altitude band and ``[T0+start_h, T0+end_h)``."""
    return {"outline": {"type": "circle", "lat": lat, "lon": lon, "radius_m": radius_m},
            "alt_lower_m": low, "alt_upper_m": high, "time_start": stamp(start_h),
            "time_end": stamp(end_h)}


#: where alpha's and bravo's things are (they meet); somewhere far away, for fresh objects
HERE = (33.5, 38.6)
FAR = (10.0, 10.0)


@dataclass
class World:
    """The service, its clock, the app's client and a token per party."""

    service: Service
    clock: Clock
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, party: str) -> dict[str, str]:
        """The Authorization header of ``party``'s token."""
        return {"Authorization": f"Bearer {self.tokens[party]}"}

    def seen(self, party: str) -> dict[str, str]:
        """Every object's current version as ``party`` reads it (its proof of awareness)."""
        out = {}
        for path in ("zones", "operations"):
            r = self.client.get(f"/{path}", headers=self.auth(party))
            assert r.status_code == 200, r.text
            out.update({o["id"]: o["version"] for o in r.json()["items"]})
        return out

    def version(self, path: str, obj_id: str) -> str:
        """The current version of an object (read as the admin)."""
        r = self.client.get(f"/{path}/{obj_id}", headers=self.auth("admin"))
        assert r.status_code == 200, r.text
        v: str = r.json()["version"]
        return v

    def inbox(self, party: str) -> list[dict[str, Any]]:
        r = self.client.get("/inbox", headers=self.auth(party))
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


def add_parties(service: Service, *, webhook_url: str | None = None) -> dict[str, str]:
    """The admin and the parties of this module's doc; party -> API token."""
    service.put_party(SERVER, PartyProfile(id="admin", name="Administrator", role="admin"),
                      create=True)
    tokens = {"admin": service.issue_token(SERVER, "admin")}
    for p in ("echo", "alpha", "charlie", "delta", "bravo"):
        service.put_party(SERVER, PartyProfile(
            id=p, name=f"Party {p}", contact=f"{p} ops desk", ack_window_s=3600.0,
            escalation_to="echo" if p == "bravo" else None,
            webhook_url=webhook_url if p == "charlie" else None), create=True)
        tokens[p] = service.issue_token(SERVER, p)
    return tokens


@contextmanager
def open_world(url: str, *, settings: Settings | None = None,
               webhook_url: str | None = None) -> Iterator[World]:
    """A world over a fresh store at ``url`` (parties and tokens, no objects yet)."""
    clock = Clock()
    service = Service(open_store(url), clock=clock)
    try:
        tokens = add_parties(service, webhook_url=webhook_url)
        app = create_app(service, settings, workers=False)
        with TestClient(app) as client:
            yield World(service, clock, client, tokens)
    finally:
        service.store.close()


def populate(w: World) -> dict[str, str]:
    """The objects the access tests read and write; name -> id (message ids included).

    * ``z-alpha``  alpha's zone, shared with charlie;
    * ``z-bravo``  bravo's keep-out zone;
    * ``op-alpha`` alpha's accepted operation with charlie, entering ``z-bravo`` (written
      with an override: a conflict involving alpha, charlie and bravo);
    * ``op-draft`` alpha's draft operation, far away.
    """
    a, b = w.auth("alpha"), w.auth("bravo")
    r = w.client.post("/zones", headers=a, json={
        "id": "z-alpha", "name": "Alpha base", "volumes": [circle(*FAR, 2_000.0)],
        "allowed": ["delta"], "shared_with": ["charlie"]})
    assert r.status_code == 201, r.text
    r = w.client.post("/zones", headers=b, json={
        "id": "z-bravo", "name": "Bravo range", "volumes": [circle(*HERE, 10_000.0)]})
    assert r.status_code == 201, r.text
    r = w.client.post("/operations", headers=a, json={
        "id": "op-alpha", "name": "Secret convoy", "participants": ["charlie"],
        "priority": 7, "state": "accepted", "volumes": [circle(*HERE, 1_000.0)],
        "seen": w.seen("alpha"), "override": "medical evacuation, cannot wait"})
    assert r.status_code == 201, r.text
    r = w.client.post("/operations", headers=a, json={
        "id": "op-draft", "name": "Draft plan", "volumes": [circle(-40.0, -60.0, 1_000.0)]})
    assert r.status_code == 201, r.text
    to_charlie = [m for m in w.inbox("charlie") if m["subject"] == "op-alpha"]
    assert len(to_charlie) == 1
    return {"msg_charlie": to_charlie[0]["id"]}


@contextmanager
def copy_world(template: Path, dest: Path, tokens: dict[str, str]) -> Iterator[World]:
    """A world over a copy of the (closed) SQLite file ``template``: cheap isolation."""
    shutil.copy(template, dest)
    clock = Clock()
    service = Service(open_store(dest), clock=clock)
    try:
        with TestClient(create_app(service, workers=False)) as client:
            yield World(service, clock, client, dict(tokens))
    finally:
        service.store.close()
