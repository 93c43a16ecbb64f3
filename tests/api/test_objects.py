"""Zones and operations through the API: proof of awareness, versions, conflicts and
overrides, the lifecycle's notices, and what each party sees. The write rules run on both
stores (``any_world``); the rest on SQLite."""

from __future__ import annotations

from typing import Any

from api.world import FAR, HERE, World, circle


def _post(w: World, party: str, path: str, body: dict[str, Any]) -> Any:
    return w.client.post(path, headers=w.auth(party), json=body)


def _neighbourhood(w: World) -> None:
    """bravo's zone and charlie's proposed operation at HERE; delta's zone far away;
    alpha's own zone at HERE."""
    assert _post(w, "bravo", "/zones", {"id": "z-bravo",
                                         "volumes": [circle(*HERE, 10_000.0)]}).status_code == 201
    r = _post(w, "charlie", "/operations", {"id": "op-charlie", "state": "proposed",
                                            "volumes": [circle(*HERE, 3_000.0)]})
    assert r.status_code == 409 and r.json()["code"] == "AWARENESS_REQUIRED"
    r = _post(w, "charlie", "/operations", {"id": "op-charlie", "state": "proposed",
                                            "volumes": [circle(*HERE, 3_000.0)],
                                            "seen": w.seen("charlie"),
                                            "override": "escort duty, agreed by phone"})
    assert r.status_code == 201, r.text
    assert _post(w, "delta", "/zones", {"id": "z-delta",
                                         "volumes": [circle(*FAR, 1_000.0)]}).status_code == 201
    assert _post(w, "alpha", "/zones", {"id": "z-alpha", "allowed": ["charlie"],
                                         "volumes": [circle(*HERE, 20_000.0)]}).status_code == 201


def test_awareness_lists_exactly_the_other_parties_objects_met_in_4d(any_world: World) -> None:
    w = any_world
    _neighbourhood(w)
    op = {"id": "op-alpha", "state": "proposed", "volumes": [circle(*HERE, 1_000.0)]}
    r = _post(w, "alpha", "/operations", op)
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "AWARENESS_REQUIRED"
    assert [(m["id"], m["owner"], m["version"], m["presented"]) for m in body["missing"]] == [
        ("op-charlie", "charlie", w.version("operations", "op-charlie"), None),
        ("z-bravo", "bravo", w.version("zones", "z-bravo"), None),
    ]
    # a stale version is not awareness either
    stale = {"z-bravo": w.version("zones", "z-bravo"), "op-charlie": "0" * 32}
    r = _post(w, "alpha", "/operations", {**op, "seen": stale})
    assert [(m["id"], m["presented"]) for m in r.json()["missing"]] == [
        ("op-charlie", "0" * 32)]
    # the same operation later in time meets nothing: no proof needed
    later = {**op, "id": "op-later", "volumes": [circle(*HERE, 1_000.0, start_h=20,
                                                          end_h=30)]}
    assert _post(w, "alpha", "/operations", later).status_code == 201
    # a draft takes up no space and needs no proof
    assert _post(w, "alpha", "/operations", {**op, "state": "draft"}).status_code == 201


def test_a_conflicting_write_is_refused_unless_overridden_and_the_override_is_told(
        any_world: World) -> None:
    w = any_world
    _neighbourhood(w)
    op = {"id": "op-alpha", "state": "proposed", "name": "Night patrol",
          "volumes": [circle(*HERE, 1_000.0)], "seen": w.seen("alpha")}
    r = _post(w, "alpha", "/operations", op)
    assert r.status_code == 409 and r.json()["code"] == "CONFLICTS"
    pairs = {(c["a"]["id"], c["b"]["id"], c["reason"]) for c in r.json()["conflicts"]}
    assert pairs == {("op-alpha", "z-bravo", "ZONE_ENTRY_NOT_ALLOWED"),
                     ("op-alpha", "op-charlie", "OPERATIONS_OVERLAP")}
    assert w.client.get("/operations/op-alpha", headers=w.auth("alpha")).status_code == 404
    r = _post(w, "alpha", "/operations", {**op, "override": "  "})
    assert r.status_code == 422  # an override is a written justification
    why = "hostage rescue, cannot wait for the window"
    r = _post(w, "alpha", "/operations", {**op, "override": why})
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == f'"{r.json()["object"]["version"]}"'
    assert r.headers["Location"] == "/operations/op-alpha"
    assert len(r.json()["conflicts"]) == 2
    for party in ("bravo", "charlie"):
        told = [m for m in w.inbox(party) if m["subject"] == "op-alpha"]
        assert [(m["kind"], m["details"]["override"], m["state"]) for m in told] == [
            ("override", why, "pending")]
        assert "name" not in told[0]["details"]["object"]  # the shared view, not the purpose
    assert not [m for m in w.inbox("delta") if m["subject"] == "op-alpha"]
    entries = w.client.get("/ledger", headers=w.auth("alpha")).json()["items"]
    created = [e for e in entries if e["kind"] == "operation.created"
               and e["subject"] == "op-alpha"]
    assert len(created) == 1
    assert created[0]["payload"]["override"] == why
    assert {"alpha", "bravo", "charlie"} <= set(created[0]["parties"])
    assert "delta" not in created[0]["parties"]
    # now the conflict shows to those involved, and not to others
    assert w.client.get("/conflicts", headers=w.auth("bravo")).json()["count"] >= 1
    assert w.client.get("/conflicts", headers=w.auth("delta")).json()["count"] == 0


def test_updates_name_the_version_they_replace(any_world: World) -> None:
    w = any_world
    r = _post(w, "alpha", "/zones", {"id": "z", "volumes": [circle(*FAR)]})
    v1 = r.json()["object"]["version"]
    body = {"name": "renamed", "volumes": [circle(*FAR)]}
    r = w.client.put("/zones/z", headers=w.auth("alpha"), json=body)
    assert (r.status_code, r.json()["code"]) == (428, "VERSION_REQUIRED")
    r = w.client.put("/zones/z", headers={**w.auth("alpha"), "If-Match": '"nope"'}, json=body)
    assert (r.status_code, r.json()["code"]) == (412, "VERSION_MISMATCH")
    r = w.client.put("/zones/z", headers={**w.auth("alpha"), "If-Match": f'W/"{v1}"'},
                     json=body)
    assert r.status_code == 200, r.text
    v2 = r.json()["object"]["version"]
    assert v2 != v1 and r.headers["ETag"] == f'"{v2}"'
    # the body's version works as well, and the old one is stale now
    r = w.client.put("/zones/z", headers=w.auth("alpha"), json={**body, "version": v1})
    assert r.status_code == 412
    r = w.client.put("/zones/z", headers=w.auth("alpha"), json={**body, "version": v2})
    assert r.status_code == 200
    v3 = r.json()["object"]["version"]
    r = w.client.delete("/zones/z", headers=w.auth("alpha"))
    assert r.status_code == 428
    r = w.client.delete(f"/zones/z?version={v2}", headers=w.auth("alpha"))
    assert r.status_code == 412
    r = w.client.delete(f"/zones/z?version={v3}", headers=w.auth("alpha"))
    assert r.status_code == 200
    assert w.client.get("/zones/z", headers=w.auth("alpha")).status_code == 404


def test_ids_and_bodies(world: World) -> None:
    w = world
    assert _post(w, "alpha", "/zones", {"id": "z", "volumes": [circle(*FAR)]}).status_code == 201
    r = _post(w, "bravo", "/zones", {"id": "z", "volumes": [circle(*FAR)]})
    assert (r.status_code, r.json()["code"]) == (409, "ID_IN_USE")
    r = w.client.put("/zones/z", headers={**w.auth("alpha"), "If-Match": "x"},
                     json={"id": "other", "volumes": [circle(*FAR)]})
    assert (r.status_code, r.json()["code"]) == (422, "ID_MISMATCH")
    r = _post(w, "alpha", "/zones", {"id": "z2", "volumes": [circle(*FAR)], "colour": "red"})
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST")
    r = _post(w, "alpha", "/zones", {"id": "z2", "owner": "bravo", "volumes": [circle(*FAR)]})
    assert (r.status_code, r.json()["code"]) == (403, "NOT_OWNER")
    r = w.client.get("/operations/z", headers=w.auth("alpha"))  # a zone is not an operation
    assert r.status_code == 404
    naive = {**circle(*FAR), "time_start": "2030-01-01T01:00:00"}
    r = _post(w, "alpha", "/zones", {"id": "z3", "volumes": [naive]})
    assert r.status_code == 422 and r.json()["code"] != "INTERNAL"


def test_going_active_needs_every_notice_acknowledged(world: World) -> None:
    w = world
    r = _post(w, "alpha", "/operations", {"id": "op", "participants": ["charlie", "delta"],
                                          "state": "accepted",
                                          "volumes": [circle(*FAR, 1_000.0)]})
    assert r.status_code == 201, r.text
    v = r.json()["object"]["version"]
    r = w.client.post("/operations/op/state", headers=w.auth("alpha"),
                      json={"state": "active", "version": v})
    assert (r.status_code, r.json()["code"]) == (409, "UNACKNOWLEDGED_NOTICES")
    assert sorted(m["recipient"] for m in r.json()["messages"]) == ["charlie", "delta"]
    notice = {p: next(m for m in w.inbox(p) if m["subject"] == "op") for p in ("charlie",
                                                                                "delta")}
    r = w.client.post(f"/messages/{notice['charlie']['id']}/ack", headers=w.auth("charlie"))
    assert r.status_code == 200 and r.json()["state"] == "acked"
    r = w.client.post("/operations/op/state", headers=w.auth("alpha"),
                      json={"state": "active", "version": v})
    assert [m["recipient"] for m in r.json()["messages"]] == ["delta"]
    # an objection is not an acknowledgement
    r = w.client.post(f"/messages/{notice['delta']['id']}/ack", headers=w.auth("delta"),
                      json={"answer": "object", "reason": "our people are not ready"})
    assert r.status_code == 200 and r.json()["state"] == "objected"
    r = w.client.post("/operations/op/state", headers=w.auth("alpha"),
                      json={"state": "active", "version": v})
    assert r.status_code == 409
    r = w.client.post("/operations/op/state", headers=w.auth("alpha"),
                      json={"state": "active", "version": v,
                            "override": "the window closes at dawn"})
    assert r.status_code == 200, r.text
    assert r.json()["object"]["state"] == "active"
    # a binding operation is cancelled, not deleted; a cancelled one tells who was told
    v = r.json()["object"]["version"]
    r = w.client.delete(f"/operations/op?version={v}", headers=w.auth("alpha"))
    assert (r.status_code, r.json()["code"]) == (409, "CANNOT_DELETE")
    r = w.client.post("/operations/op/state", headers={**w.auth("alpha"), "If-Match": v},
                      json={"state": "cancelled"})
    assert r.status_code == 200 and r.json()["object"]["state"] == "cancelled"
    for p in ("charlie", "delta"):
        assert any(m["kind"] == "cancellation" and m["subject"] == "op" for m in w.inbox(p))
    r = w.client.post("/operations/op/state", headers=w.auth("alpha"),
                      json={"state": "active", "version": r.json()["object"]["version"]})
    assert (r.status_code, r.json()["code"]) == (409, "ILLEGAL_TRANSITION")


def test_a_party_sees_others_objects_only_as_shared(world: World) -> None:
    w = world
    r = _post(w, "alpha", "/operations", {
        "id": "op", "name": "Operation Purpose", "participants": ["charlie"], "priority": 3,
        "kind": "patrol", "volumes": [circle(*FAR)], "shared_with": ["bravo"]})
    assert r.status_code == 201
    views = {p: w.client.get("/operations/op", headers=w.auth(p)).json()
             for p in ("alpha", "bravo", "charlie", "delta", "admin")}
    for p in ("alpha", "bravo", "charlie", "admin"):
        assert views[p]["name"] == "Operation Purpose", p
        assert views[p]["shared"] == "full"
    d = views["delta"]
    assert d["shared"] == "volumes"
    assert {"name", "participants", "priority", "allowed"}.isdisjoint(d)
    assert d["volumes"] == views["alpha"]["volumes"]
    assert d["contact"] == "alpha ops desk" and d["owner"] == "alpha"
    assert d["version"] == views["alpha"]["version"]  # so that it can present it
    assert "shared_with" not in d
    # the list filters: near a point, within a time window, by owner
    near = w.client.get(f"/operations?lat={FAR[0]}&lon={FAR[1] + 0.1}&radius_m=20000",
                        headers=w.auth("delta"))
    assert near.status_code == 200, near.text
    near = near.json()
    assert [o["id"] for o in near["items"]] == ["op"]
    assert "name" not in near["items"][0]
    away = w.client.get("/operations?lat=0&lon=0&radius_m=1000", headers=w.auth("delta"))
    assert away.json()["count"] == 0
    r = w.client.get("/operations?start=2030-01-02T00:00:00Z", headers=w.auth("delta"))
    assert r.json()["count"] == 0
    r = w.client.get("/operations?lat=1", headers=w.auth("delta"))
    assert (r.status_code, r.json()["code"]) == (422, "BAD_FILTER")
    assert w.client.get("/operations?owner=bravo", headers=w.auth("delta")).json()["count"] == 0


def test_only_an_admin_creates_parties(world: World) -> None:
    w = world
    r = _post(w, "alpha", "/parties", {"id": "golf"})
    assert (r.status_code, r.json()["code"]) == (403, "MISSING_SCOPE")
    r = _post(w, "admin", "/parties", {"id": "golf", "escalation_to": "nobody"})
    assert (r.status_code, r.json()["code"]) == (422, "UNKNOWN_PARTY")
    r = _post(w, "admin", "/parties", {"id": "golf", "escalation_to": "echo"})
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("dcf_")
    r = w.client.get("/inbox", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    r = _post(w, "admin", "/parties", {"id": "golf"})
    assert (r.status_code, r.json()["code"]) == (409, "PARTY_EXISTS")
    r = w.client.post("/parties", headers={"Authorization": f"Bearer {token}"},
                      json={"id": "hotel"})
    assert r.status_code == 403
