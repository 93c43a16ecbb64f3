"""``POST /check`` (the dry run the web page uses before submitting) and the page's routes."""

from __future__ import annotations

from typing import Any

from api.world import FAR, HERE, World, circle
from deconfliction.api.routes.web import CSP


def _head(w: World) -> int:
    with w.service.store.read() as tx:
        seq: int = tx.ledger_head()[0]
        return seq


def _zone(w: World) -> None:
    r = w.client.post("/zones", headers=w.auth("bravo"),
                      json={"id": "z-bravo", "volumes": [circle(*HERE, 10_000.0)]})
    assert r.status_code == 201, r.text


def _check(w: World, party: str, body: dict[str, Any]) -> Any:
    return w.client.post("/check", headers=w.auth(party), json=body)


def test_check_answers_the_conflicts_a_write_would_meet_and_writes_nothing(world: World
                                                                           ) -> None:
    _zone(world)
    before = _head(world)
    op = {"id": "op-a", "state": "proposed", "volumes": [circle(*HERE, 1_000.0)]}
    r = _check(world, "alpha", op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["binding"] is True and body["count"] == 1
    c = body["conflicts"][0]
    assert (c["a"]["id"], c["b"]["id"], c["reason"]) == ("op-a", "z-bravo",
                                                          "ZONE_ENTRY_NOT_ALLOWED")
    assert _head(world) == before
    assert world.client.get("/operations/op-a", headers=world.auth("alpha")).status_code == 404
    # the write refuses exactly these conflicts
    r = world.client.post("/operations", headers=world.auth("alpha"),
                          json={**op, "seen": world.seen("alpha")})
    assert (r.status_code, r.json()["code"]) == (409, "CONFLICTS")
    assert r.json()["conflicts"] == body["conflicts"]


def test_check_of_a_zone_and_of_something_far_away(world: World) -> None:
    _zone(world)
    r = _check(world, "alpha", {"object": "zone", "volumes": [circle(*FAR, 1_000.0)]})
    assert r.status_code == 200 and r.json() == {"conflicts": [], "count": 0, "binding": True}
    r = _check(world, "alpha", {"volumes": [circle(*FAR, 1_000.0)]})  # a draft by default
    assert r.status_code == 200 and r.json()["binding"] is False


def test_check_refuses_bad_input_as_the_write_does(world: World) -> None:
    bad = {"volumes": [circle(*HERE, 1_000.0, low=500.0, high=100.0)]}
    r1 = _check(world, "alpha", bad)
    r2 = world.client.post("/operations", headers=world.auth("alpha"), json=bad)
    assert r1.status_code == r2.status_code == 422
    assert r1.json()["code"] == r2.json()["code"]
    r = _check(world, "alpha", {"volumes": [], "color": "red"})
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST")
    assert r.json()["field"] in ("volumes", "color")
    r = _check(world, "alpha", {"object": "zone", "volumes": [circle(*HERE)],
                                "state": "proposed"})  # a zone has no state
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "INVALID_REQUEST",
                                                                    "state")


def test_the_page_is_served_with_a_policy_that_keeps_it_on_this_server(world: World) -> None:
    r = world.client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP
    assert "default-src 'self'" in CSP and "connect-src 'self'" in CSP
    for path in ("/web/main.js", "/web/app.js", "/web/map.js", "/web/api.js", "/web/style.css"):
        r = world.client.get(path)
        assert r.status_code == 200, path
        assert "http://" not in r.text and "https://" not in r.text, path
    assert world.client.get("/web/../api/app.py").status_code == 404
