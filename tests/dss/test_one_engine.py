"""F3548 intents and constraints are the service's operations and zones: one engine, one
ledger, one channel; and intersection is exact (geodesic, on the true outline)."""

from __future__ import annotations

import uuid

import pytest
from pyproj import Geod

from api.world import circle
from deconfliction.dss.refs import entity_id
from dss.kit import CM, CP, SC, Dss, circle4d

HERE = (33.50, 38.60)
AT_TANF = (33.5058, 38.6178)
CR = "/constraint_references/{entityid}"
OI = "/operational_intent_references/{entityid}"
_GEOD = Geod(ellps="WGS84")


def test_a_constraint_written_over_f3548_is_a_zone_on_the_native_api_and_channel(
        dss: Dss) -> None:
    w = dss.world
    # alpha (a party of the native API) has an accepted operation here
    r = w.client.post("/operations", headers=w.auth("alpha"), json={
        "id": "op-alpha", "state": "accepted", "volumes": [circle(*HERE, 1_000.0)],
        "seen": w.seen("alpha")})
    assert r.status_code == 201, r.text
    cid = str(uuid.uuid4())
    r = dss.call("PUT", CR, entityid=cid, headers=dss.auth("uss1", CM), body={
        "extents": [circle4d(*HERE, 3_000.0, start_h=0.5, end_h=5.0)],
        "uss_base_url": "https://uss1.example.com"})
    assert r.status_code == 201, r.text
    ovn = r.json()["constraint_reference"]["ovn"]
    # the zone is there for the native API (and so for the web map)
    r = w.client.get(f"/zones/{cid}", headers=w.auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == "uss1" and r.json()["version"] == ovn
    assert cid in {z["id"] for z in w.client.get("/zones", headers=w.auth("alpha")).json()[
        "items"]}
    # alpha is told on the channel, and the write is in the ledger
    told = [m for m in w.inbox("alpha") if m["subject"] == cid]
    assert len(told) == 1 and told[0]["sender"] == "uss1"
    kinds = [e["kind"] for e in w.client.get("/ledger", headers=w.auth("admin")).json()[
        "items"] if e.get("subject") == cid]
    assert "zone.created" in kinds
    # deleting it over F3548 withdraws the zone
    r = dss.call("DELETE", CR + "/{ovn}", entityid=cid, ovn=ovn, headers=dss.auth("uss1", CM))
    assert r.status_code == 200, r.text
    assert w.client.get(f"/zones/{cid}", headers=w.auth("admin")).status_code == 404


def test_a_native_operation_is_found_by_a_dss_query_and_needs_a_key(dss: Dss) -> None:
    w = dss.world
    r = w.client.post("/operations", headers=w.auth("alpha"), json={
        "id": "op-alpha", "state": "accepted", "volumes": [circle(*HERE, 1_000.0)],
        "seen": w.seen("alpha")})
    assert r.status_code == 201, r.text
    version = r.json()["object"]["version"]
    uss = dss.auth("uss1", SC)
    r = dss.call("POST", "/operational_intent_references/query", headers=uss,
                 body={"area_of_interest": circle4d(*HERE, 10.0, start_h=2, end_h=3)})
    (found,) = r.json()["operational_intent_references"]
    assert found["id"] == entity_id("op-alpha") and found["manager"] == "alpha"
    assert found["state"] == "Accepted" and found["ovn"] == version
    r = dss.call("GET", OI, entityid=found["id"], headers=uss)
    assert r.status_code == 200 and r.json()["operational_intent_reference"]["id"] == found["id"]
    # an intent over it must prove awareness of it
    body = {"extents": [circle4d(*HERE, 500.0)], "state": "Accepted",
            "uss_base_url": "https://uss1.example.com"}
    e = str(uuid.uuid4())
    r = dss.call("PUT", OI, entityid=e, headers=uss, body={**body, "key": []})
    assert r.status_code == 409
    assert [m["id"] for m in r.json()["missing_operational_intents"]] == [found["id"]]
    r = dss.call("PUT", OI, entityid=e, headers=uss, body={**body, "key": [version]})
    assert r.status_code == 201, r.text
    # and the intent is an operation of the native API, which alpha is told about
    r = w.client.get(f"/operations/{e}", headers=w.auth("admin"))
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    assert any(m["subject"] == e for m in w.inbox("alpha"))


def test_constraints_need_a_key_only_for_constraint_processing(dss: Dss) -> None:
    cid = str(uuid.uuid4())
    r = dss.call("PUT", CR, entityid=cid, headers=dss.auth("uss9", CM), body={
        "extents": [circle4d(*HERE, 3_000.0)], "uss_base_url": "https://uss9.example.com"})
    c_ovn = r.json()["constraint_reference"]["ovn"]
    body = {"extents": [circle4d(*HERE, 500.0)], "state": "Accepted",
            "uss_base_url": "https://uss1.example.com"}
    r = dss.call("PUT", OI, entityid=str(uuid.uuid4()), headers=dss.auth("uss1", SC),
                 body={**body, "key": []})
    assert r.status_code == 201, r.text  # no constraint processing: no constraint OVNs
    h = dss.auth("uss2", SC, CP)
    new_sub = {"uss_base_url": "https://uss2.example.com", "notify_for_constraints": True}
    e = str(uuid.uuid4())
    r = dss.call("PUT", OI, entityid=e, headers=h,
                 body={**body, "key": [], "new_subscription": new_sub})
    assert r.status_code == 409
    assert [m["id"] for m in r.json()["missing_constraints"]] == [cid]
    assert len(r.json()["missing_operational_intents"]) == 1
    (intent,) = r.json()["missing_operational_intents"]
    assert "ovn" not in intent and "ovn" not in r.json()["missing_constraints"][0]
    own = dss.call("GET", OI, entityid=intent["id"], headers=dss.auth("uss1", SC))
    key = [c_ovn, own.json()["operational_intent_reference"]["ovn"]]
    r = dss.call("PUT", OI, entityid=e, headers=h,
                 body={**body, "key": key, "new_subscription": new_sub})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("azimuth", [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0])
def test_a_55_km_constraint_is_found_at_54_9_km_and_not_at_55_1_km(dss: Dss,
                                                                   azimuth: float) -> None:
    cid = str(uuid.uuid4())
    r = dss.call("PUT", CR, entityid=cid, headers=dss.auth("uss1", CM), body={
        "extents": [circle4d(*AT_TANF, 55_000.0, end_h=24.0)],
        "uss_base_url": "https://uss1.example.com"})
    assert r.status_code == 201, r.text
    h = dss.auth("uss2", CP)
    for distance_m, expected in ((54_900.0, [cid]), (55_100.0, [])):
        lon, lat, _ = _GEOD.fwd(AT_TANF[1], AT_TANF[0], azimuth, distance_m)
        r = dss.call("POST", "/constraint_references/query", headers=h, body={
            "area_of_interest": circle4d(lat, lon, 1.0, start_h=2, end_h=3)})
        assert r.status_code == 200, r.text
        assert [c["id"] for c in r.json()["constraint_references"]] == expected, distance_m


def test_native_writes_advance_the_subscriptions_that_cover_them(dss: Dss) -> None:
    """A zone or a binding operation written, changed or withdrawn through the native API
    is a change an F3548 subscription over it is told of (its notification_index moves);
    a draft, or something elsewhere, is not."""
    w = dss.world
    uss = dss.auth("uss1", SC, CP)
    sub_id = str(uuid.uuid4())
    r = dss.call("PUT", "/subscriptions/{subscriptionid}", subscriptionid=sub_id, headers=uss,
                 body={"extents": circle4d(*HERE, 5_000.0, start_h=0.5, end_h=20.0),
                       "uss_base_url": "https://uss1.example.com",
                       "notify_for_operational_intents": True,
                       "notify_for_constraints": True})
    assert r.status_code == 200, r.text

    def index() -> int:
        r = dss.call("GET", "/subscriptions/{subscriptionid}", subscriptionid=sub_id,
                     headers=uss)
        assert r.status_code == 200, r.text
        n: int = r.json()["subscription"]["notification_index"]
        return n

    a = w.auth("alpha")
    assert index() == 0
    r = w.client.post("/operations", headers=a, json={
        "id": "op-draft", "volumes": [circle(*HERE, 1_000.0)]})  # a draft takes no space
    assert r.status_code == 201 and index() == 0
    r = w.client.post("/operations", headers=a, json={
        "id": "op-far", "state": "accepted", "volumes": [circle(10.0, 10.0, 1_000.0)],
        "seen": w.seen("alpha")})
    assert r.status_code == 201 and index() == 0
    r = w.client.post("/operations", headers=a, json={
        "id": "op-here", "state": "accepted", "volumes": [circle(*HERE, 1_000.0)],
        "seen": w.seen("alpha")})
    assert r.status_code == 201, r.text
    assert index() == 1
    r = w.client.post("/zones", headers=w.auth("bravo"), json={
        "id": "z-here", "volumes": [circle(*HERE, 2_000.0)], "allowed": ["alpha"]})
    assert r.status_code == 201, r.text
    assert index() == 2
    v = r.json()["object"]["version"]
    r = w.client.delete(f"/zones/z-here?version={v}", headers=w.auth("bravo"))
    assert r.status_code == 200, r.text
    assert index() == 3
