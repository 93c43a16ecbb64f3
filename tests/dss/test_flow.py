"""The standard's flows end to end, with real RS256 tokens; every answer is checked against
the F3548 OpenAPI file (see :meth:`dss.kit.Dss.call`)."""

from __future__ import annotations

import uuid
from typing import Any

from dss.kit import CM, CMSA, CP, SC, Dss, circle4d

HERE = (33.50, 38.60)
OI = "/operational_intent_references/{entityid}"
OI_OVN = "/operational_intent_references/{entityid}/{ovn}"
SUB = "/subscriptions/{subscriptionid}"


def _intent(key: list[str] | None = None, *, state: str = "Accepted",
            sub: str | None = None, lat: float = HERE[0], url: str = "https://uss2.example.com",
            **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"extents": [circle4d(lat, HERE[1])], "state": state,
                            "uss_base_url": url, **extra}
    if key is not None:
        body["key"] = key
    if sub is not None:
        body["subscription_id"] = sub
    return body


def test_the_strategic_coordination_flow(any_dss: Dss) -> None:
    dss = any_dss
    uss1, uss2 = dss.auth("uss1", SC), dss.auth("uss2", SC)

    # uss1 subscribes to its planning area
    sub_id = str(uuid.uuid4())
    r = dss.call("PUT", SUB, subscriptionid=sub_id, headers=uss1, body={
        "extents": circle4d(*HERE, 5_000.0, start_h=0.5, end_h=6.0),
        "uss_base_url": "https://uss1.example.com", "notify_for_operational_intents": True})
    assert r.status_code == 200, r.text
    sub = r.json()["subscription"]
    assert sub["notification_index"] == 0 and sub["notify_for_operational_intents"]

    # uss1 plans an intent: nothing there, so no key is needed; its subscription is told
    a_id = str(uuid.uuid4())
    r = dss.call("PUT", OI, entityid=a_id, headers=uss1,
                 body=_intent([], sub=sub_id, url="https://uss1.example.com"))
    assert r.status_code == 201, r.text
    a = r.json()["operational_intent_reference"]
    a_ovn = a["ovn"]
    assert a["manager"] == "uss1" and a["state"] == "Accepted" and a["version"] == 1
    assert a["subscription_id"] == sub_id
    assert r.json()["subscribers"] == [{"uss_base_url": "https://uss1.example.com",
                                        "subscriptions": [{"subscription_id": sub_id,
                                                           "notification_index": 1}]}]

    # the OVN is the manager's only
    r = dss.call("GET", OI, entityid=a_id, headers=uss2)
    assert r.status_code == 200 and "ovn" not in r.json()["operational_intent_reference"]
    r = dss.call("GET", OI, entityid=a_id, headers=uss1)
    assert r.json()["operational_intent_reference"]["ovn"] == a_ovn

    # uss2 plans an overlapping intent without uss1's OVN: refused, and told what it missed
    b_id = str(uuid.uuid4())
    new_sub = {"uss_base_url": "https://uss2.example.com"}
    r = dss.call("PUT", OI, entityid=b_id, headers=uss2,
                 body=_intent([], new_subscription=new_sub))
    assert r.status_code == 409, r.text
    missing = r.json()["missing_operational_intents"]
    assert [m["id"] for m in missing] == [a_id] and "ovn" not in missing[0]
    assert r.json()["missing_constraints"] == []
    r = dss.call("GET", OI, entityid=b_id, headers=uss2)
    assert r.status_code == 404  # the refused write left nothing

    # with the OVN (from uss1's details) it goes through; uss1's subscription is told again
    r = dss.call("PUT", OI, entityid=b_id, headers=uss2,
                 body=_intent([a_ovn], new_subscription=new_sub))
    assert r.status_code == 201, r.text
    b = r.json()["operational_intent_reference"]
    b_ovn = b["ovn"]
    told = {s["subscription_id"]: s["notification_index"]
            for n in r.json()["subscribers"] for s in n["subscriptions"]}
    assert told[sub_id] == 2
    assert b["subscription_id"] in told  # its own implicit subscription

    # uss1 updates with a stale OVN: refused; with the current one (and uss2's OVN) it works
    r = dss.call("PUT", OI_OVN, entityid=a_id, ovn="0" * 24, headers=uss1,
                 body=_intent([b_ovn], sub=sub_id, url="https://uss1.example.com"))
    assert r.status_code == 409, r.text
    r = dss.call("PUT", OI_OVN, entityid=a_id, ovn=a_ovn, headers=uss1,
                 body=_intent([], sub=sub_id, url="https://uss1.example.com"))
    assert r.status_code == 409 and [m["id"] for m in r.json()["missing_operational_intents"]
                                     ] == [b_id]
    r = dss.call("PUT", OI_OVN, entityid=a_id, ovn=a_ovn, headers=uss1,
                 body=_intent([b_ovn], sub=sub_id, state="Activated",
                              url="https://uss1.example.com"))
    assert r.status_code == 200, r.text
    a2 = r.json()["operational_intent_reference"]
    assert a2["ovn"] != a_ovn and a2["version"] == 2 and a2["state"] == "Activated"

    # a query finds both, showing each OVN to its manager only
    r = dss.call("POST", "/operational_intent_references/query", headers=uss2,
                 body={"area_of_interest": circle4d(*HERE, 1_000.0, start_h=0, end_h=5)})
    assert r.status_code == 200, r.text
    found = {o["id"]: o for o in r.json()["operational_intent_references"]}
    assert found.keys() == {a_id, b_id}
    assert "ovn" not in found[a_id] and found[b_id]["ovn"] == b_ovn

    # delete: a stale OVN is refused, the current one removes it
    r = dss.call("DELETE", OI_OVN, entityid=a_id, ovn=a_ovn, headers=uss1)
    assert r.status_code == 409, r.text
    r = dss.call("DELETE", OI_OVN, entityid=a_id, ovn=a2["ovn"], headers=uss1)
    assert r.status_code == 200, r.text
    assert r.json()["operational_intent_reference"]["id"] == a_id
    assert dss.call("GET", OI, entityid=a_id, headers=uss1).status_code == 404

    # the subscription's notification_index advanced with every write it covers
    r = dss.call("GET", SUB, subscriptionid=sub_id, headers=uss1)
    assert r.json()["subscription"]["notification_index"] == 4
    assert r.json()["subscription"]["dependent_operational_intents"] == []

    # deleting uss2's intent removes its implicit subscription too
    implicit = b["subscription_id"]
    r = dss.call("DELETE", OI_OVN, entityid=b_id, ovn=b_ovn, headers=uss2)
    assert r.status_code == 200, r.text
    assert dss.call("GET", SUB, subscriptionid=implicit, headers=uss2).status_code == 404


def test_no_token_is_401_and_a_wrong_scope_is_403(dss: Dss) -> None:
    e = str(uuid.uuid4())
    r = dss.call("PUT", OI, entityid=e, body=_intent([]))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(r.json()["message"], str)
    r = dss.call("PUT", OI, entityid=e, headers=dss.auth("uss1", CM), body=_intent([]))
    assert r.status_code == 403, r.text
    r = dss.call("PUT", OI, entityid=e, headers=dss.auth("uss1", SC, aud="other.example.com"),
                 body=_intent([]))
    assert r.status_code == 401
    assert dss.call("GET", OI, entityid=e, headers=dss.auth("uss1", CMSA)).status_code == 404


def test_versions_of_subscriptions(dss: Dss) -> None:
    h = dss.auth("uss1", SC, CP)
    sid = str(uuid.uuid4())
    body = {"extents": circle4d(*HERE, start_h=0.5, end_h=2), "uss_base_url":
            "https://uss1.example.com", "notify_for_constraints": True}
    r = dss.call("PUT", SUB, subscriptionid=sid, headers=h, body=body)
    v1 = r.json()["subscription"]["version"]
    assert dss.call("PUT", SUB, subscriptionid=sid, headers=h, body=body).status_code == 409
    r = dss.call("PUT", SUB + "/{version}", subscriptionid=sid, version="stale", headers=h,
                 body=body)
    assert r.status_code == 409
    r = dss.call("PUT", SUB + "/{version}", subscriptionid=sid, version=v1, headers=h,
                 body=body)
    assert r.status_code == 200 and r.json()["subscription"]["version"] != v1
    v2 = r.json()["subscription"]["version"]
    other = dss.auth("uss2", SC, CP)
    assert dss.call("GET", SUB, subscriptionid=sid, headers=other).status_code == 403
    r = dss.call("POST", "/subscriptions/query", headers=h,
                 body={"area_of_interest": circle4d(*HERE, 100.0, start_h=0, end_h=3)})
    assert [s["id"] for s in r.json()["subscriptions"]] == [sid]
    r = dss.call("DELETE", SUB + "/{version}", subscriptionid=sid, version=v1, headers=h)
    assert r.status_code == 409
    r = dss.call("DELETE", SUB + "/{version}", subscriptionid=sid, version=v2, headers=h)
    assert r.status_code == 200 and r.json()["subscription"]["id"] == sid


def test_constraint_writes_notify_constraint_subscriptions(dss: Dss) -> None:
    proc = dss.auth("uss1", CP)
    mgr = dss.auth("uss9", CM)
    sid = str(uuid.uuid4())
    r = dss.call("PUT", SUB, subscriptionid=sid, headers=proc, body={
        "extents": circle4d(*HERE, 5_000.0, start_h=0.5, end_h=6.0),
        "uss_base_url": "https://uss1.example.com", "notify_for_constraints": True})
    assert r.status_code == 200 and r.json()["constraint_references"] == []
    cid = str(uuid.uuid4())
    body = {"extents": [circle4d(*HERE, 1_000.0)], "uss_base_url": "https://uss9.example.com"}
    r = dss.call("PUT", "/constraint_references/{entityid}", entityid=cid, headers=mgr,
                 body=body)
    assert r.status_code == 201, r.text
    c = r.json()["constraint_reference"]
    assert r.json()["subscribers"][0]["subscriptions"] == [
        {"subscription_id": sid, "notification_index": 1}]
    # an update moves it; the new OVN and version; the subscription is told again
    moved = {**body, "extents": [circle4d(HERE[0] + 0.01, HERE[1], 1_000.0)]}
    r = dss.call("PUT", "/constraint_references/{entityid}/{ovn}", entityid=cid,
                 ovn=c["ovn"], headers=mgr, body=moved)
    assert r.status_code == 200, r.text
    c2 = r.json()["constraint_reference"]
    assert c2["version"] == 2 and c2["ovn"] != c["ovn"]
    assert r.json()["subscribers"][0]["subscriptions"][0]["notification_index"] == 2
    # the processing USS reads it without its OVN; a query of the old place misses it
    r = dss.call("GET", "/constraint_references/{entityid}", entityid=cid, headers=proc)
    assert "ovn" not in r.json()["constraint_reference"]
    r = dss.call("POST", "/constraint_references/query", headers=proc, body={
        "area_of_interest": circle4d(HERE[0] - 0.01, HERE[1], 10.0, start_h=1, end_h=2)})
    assert r.json()["constraint_references"] == []
    r = dss.call("PUT", SUB, subscriptionid=sid, headers=proc, body={
        "extents": circle4d(*HERE, 5_000.0, start_h=0.5, end_h=6.0),
        "uss_base_url": "https://uss1.example.com", "notify_for_constraints": True})
    assert r.status_code == 409  # exists: an update names its version
    r = dss.call("GET", SUB, subscriptionid=sid, headers=proc)
    r = dss.call("PUT", SUB + "/{version}", subscriptionid=sid,
                 version=r.json()["subscription"]["version"], headers=proc, body={
                     "extents": circle4d(*HERE, 5_000.0, start_h=0.5, end_h=6.0),
                     "uss_base_url": "https://uss1.example.com",
                     "notify_for_constraints": True})
    assert [x["id"] for x in r.json()["constraint_references"]] == [cid]
    assert r.json()["subscription"]["notification_index"] == 2  # an update keeps it
