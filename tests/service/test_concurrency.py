"""50 clients race to create operations that conflict with each other in the same area; exactly
a conflict-free set is accepted, on SQLite and on PostgreSQL.

Two real ``deconfliction serve`` processes share one database (so the writer lock and the
catch-up by ledger seq are tested across processes); 50 client threads, one party each, are
released together by a barrier and post binding operations to either process.

Each client first reads the operations near its own (``GET /operations?lat&lon&radius_m``)
and presents their versions in ``seen``. If another client's operation was accepted between
that read and its write, the service answers 409 ``AWARENESS_REQUIRED`` with the current
versions; the client then retries once with them (as a real client would: it has now been
shown what it meets), and that retry is refused with ``CONFLICTS`` (for operations of
different owners, meeting in 4D is conflicting). A retry also proves the refusal was not a
transient: the conflicting operation is really there.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deconfliction.core.engine import check
from deconfliction.core.objects import Operation
from deconfliction.formats.native import object_from_dict
from deconfliction.store.sql import SqlStore
from deconfliction.testing.server import ServerProcess

CLIENTS = 50
ADMIN = "dcf_concurrency-admin"
CENTRE = (33.5, 38.6)
T0 = datetime(2031, 6, 1, tzinfo=UTC)


def _stamp(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _body(i: int, rng: random.Random) -> dict[str, Any]:
    """Client ``i``'s operation: a 400 m circle within 1.5 km of the centre, 30-90 minutes
    somewhere in a 3-hour window: most meet several others."""
    d = 1_500.0 * math.sqrt(rng.random())
    az = rng.uniform(0.0, 2 * math.pi)
    lat = CENTRE[0] + d * math.cos(az) / 111_000.0
    lon = CENTRE[1] + d * math.sin(az) / (111_000.0 * math.cos(math.radians(CENTRE[0])))
    start = T0 + timedelta(minutes=rng.randrange(0, 150))
    return {
        "id": f"race-{i:02d}", "kind": "flight", "state": "proposed",
        "volumes": [{
            "outline": {"type": "circle", "lat": lat, "lon": lon, "radius_m": 400.0},
            "alt_lower_m": 0.0, "alt_upper_m": rng.choice([150.0, 300.0]),
            "time_start": _stamp(start),
            "time_end": _stamp(start + timedelta(minutes=rng.randrange(30, 91))),
        }],
    }


def _operation(body: dict[str, Any], owner: str) -> Operation:
    data = {k: v for k, v in body.items() if k != "seen"} | {"object": "operation"}
    obj = object_from_dict(data, owner=owner)
    assert isinstance(obj, Operation)
    return obj


class _Client:
    def __init__(self, i: int, url: str, token: str, body: dict[str, Any]) -> None:
        self.i, self.url, self.body = i, url, body
        self.party = f"racer-{i:02d}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.answers: list[tuple[int, dict[str, Any]]] = []

    def run(self, start: threading.Barrier) -> None:
        c = self.body["volumes"][0]["outline"]
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=60.0) as http:
            start.wait()
            near = http.get("/operations", params={
                "lat": c["lat"], "lon": c["lon"], "radius_m": 2 * c["radius_m"]})
            self.answers.append((near.status_code, {}))
            seen = {o["id"]: o["version"] for o in near.json().get("items", [])}
            r = http.post("/operations", json={**self.body, "seen": seen})
            self.answers.append((r.status_code, r.json()))
            if r.status_code == 409 and r.json()["code"] == "AWARENESS_REQUIRED":
                seen |= {m["id"]: m["version"] for m in r.json()["missing"]}
                r = http.post("/operations", json={**self.body, "seen": seen})
                self.answers.append((r.status_code, r.json()))

    @property
    def accepted(self) -> bool:
        return self.answers[-1][0] == 201


@pytest.mark.slow
def test_race_accepts_exactly_a_conflict_free_set(store_url: str) -> None:
    rng = random.Random(20240611)
    bodies = [_body(i, rng) for i in range(CLIENTS)]
    ops = [_operation(b, f"racer-{i:02d}") for i, b in enumerate(bodies)]
    # the race is real: many of the requests conflict with each other
    clashing = sum(1 for k, op in enumerate(ops) if check(op, ops[:k] + ops[k + 1:]))
    assert clashing >= CLIENTS // 2

    first = ServerProcess(store_url, admin_token=ADMIN)
    second = ServerProcess(store_url, admin_token=ADMIN)
    with first, second:  # the second starts once the first has made the schema
        clients = []
        for i in range(CLIENTS):
            r = http_post(first.url, "/parties", {"id": f"racer-{i:02d}"})
            url = (first, second)[i % 2].url
            clients.append(_Client(i, url, r["token"], bodies[i]))
        start = threading.Barrier(CLIENTS)
        threads = [threading.Thread(target=c.run, args=(start,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)

        statuses = Counter(s for c in clients for s, _ in c.answers)
        assert not [s for s in statuses if s >= 500], statuses
        assert set(statuses) <= {200, 201, 409}, statuses
        refusals = Counter(a["code"] for c in clients for s, a in c.answers if s == 409)
        assert set(refusals) <= {"AWARENESS_REQUIRED", "CONFLICTS"}, refusals

        verify = [http_get(s.url, "/ledger/verify") for s in (first, second)]
        for v in verify:
            assert v["ok"] is True and v["first_bad_seq"] is None, v
        assert verify[0]["head_hash"] == verify[1]["head_hash"]

    accepted = {c.body["id"]: ops[c.i] for c in clients if c.accepted}
    refused = [ops[c.i] for c in clients if not c.accepted]
    assert accepted and refused, (len(accepted), len(refused))

    # the accepted set is exactly the stored set, and it is what the ledger recorded
    store = SqlStore(store_url)
    try:
        stored = {op.id: op for op in store.list_operations()}
        with store.read() as tx:
            created = [e["subject"] for e in tx.ledger_entries()
                       if e["kind"] == "operation.created"]
    finally:
        store.close()
    assert set(stored) == set(accepted)
    assert sorted(created) == sorted(accepted)
    for op_id, op in accepted.items():
        assert stored[op_id].volumes == op.volumes

    # pairwise conflict-free ...
    kept = list(stored.values())
    for k, op in enumerate(kept):
        assert check(op, kept[:k] + kept[k + 1:]) == [], op.id
    # ... and every refused operation really conflicts with an accepted one
    for op in refused:
        assert check(op, kept), op.id


def http_get(url: str, path: str) -> dict[str, Any]:
    r = httpx.get(url + path, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60.0)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def http_post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(url + path, json=body, headers={"Authorization": f"Bearer {ADMIN}"},
                   timeout=60.0)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data
