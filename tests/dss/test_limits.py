"""The standard's limits and refusals, with the statuses it names; a refused write leaves
nothing behind."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from api.world import open_world
from deconfliction.api.settings import Settings
from deconfliction.core.errors import ValidationError
from dss.kit import AA, CM, SC, Dss, circle4d

HERE = (33.50, 38.60)
OI = "/operational_intent_references/{entityid}"
SUB = "/subscriptions/{subscriptionid}"


def _intent(**over: Any) -> dict[str, Any]:
    return {"extents": [circle4d(*HERE)], "state": "Accepted", "key": [],
            "uss_base_url": "https://uss1.example.com", **over}


def _put(dss: Dss, body: Any, *scopes: str, sub: str = "uss1") -> Any:
    return dss.call("PUT", OI, entityid=str(uuid.uuid4()),
                    headers=dss.auth(sub, *(scopes or (SC,))), body=body)


def _count(dss: Dss) -> int:
    r = dss.call("POST", "/operational_intent_references/query", headers=dss.auth("u", SC),
                 body={"area_of_interest": circle4d(*HERE, 50_000.0, start_h=-100,
                                                    end_h=2000)})
    return len(r.json()["operational_intent_references"])


@pytest.mark.parametrize(("body", "status"), [
    (_intent(extents=[circle4d(*HERE, start_h=-3, end_h=-1)]), 400),   # ends in the past
    (_intent(extents=[circle4d(*HERE, start_h=1, end_h=24 * 31)]), 400),  # beyond 30 days
    (_intent(extents=[]), 400),
    (_intent(state="Ended"), 400),
    (_intent(state="Activated"), 400),  # no subscription
    (_intent(uss_base_url="ftp://x"), 400),
    (_intent(key="abc"), 400),
    (_intent(subscription_id=str(uuid.uuid4())), 400),  # no such subscription
    (_intent(extents=[circle4d(*HERE, 250_000.0)]), 413),
    ({"extents": [{"volume": {"outline_polygon": {"vertices": [
        {"lat": 33.0 + i * 1e-5, "lng": 38.0 + (i % 2) * 1e-4} for i in range(1_001)]}}}],
      "state": "Accepted", "uss_base_url": "https://u.example.com"}, 400),
    (_intent(extents=[{"volume": circle4d(*HERE)["volume"]}]), 400),  # no times
    ([1, 2], 400),
])
def test_bad_intents_are_refused(dss: Dss, body: Any, status: int) -> None:
    r = _put(dss, body)
    assert r.status_code == status, r.text
    assert isinstance(r.json()["message"], str)
    assert _count(dss) == 0


def test_a_body_that_is_not_json_and_a_bad_id_are_400(dss: Dss) -> None:
    r = dss.world.client.put("/dss/v1" + OI.format(entityid=str(uuid.uuid4())),
                             headers=dss.auth("uss1", SC), content=b"{nope")
    assert r.status_code == 400
    r = dss.call("GET", OI, entityid="not-a-uuid", headers=dss.auth("uss1", SC))
    assert r.status_code == 400


def test_subscriptions_last_at_most_a_day_and_ask_for_something(dss: Dss) -> None:
    h = dss.auth("uss1", SC)
    body = {"extents": circle4d(*HERE, start_h=1, end_h=26), "uss_base_url":
            "https://uss1.example.com", "notify_for_operational_intents": True}
    assert dss.call("PUT", SUB, subscriptionid=str(uuid.uuid4()), headers=h,
                    body=body).status_code == 400
    body["extents"] = circle4d(*HERE, start_h=1, end_h=2)
    body["notify_for_operational_intents"] = False
    assert dss.call("PUT", SUB, subscriptionid=str(uuid.uuid4()), headers=h,
                    body=body).status_code == 400
    body["notify_for_constraints"] = True  # needs utm.constraint_processing
    assert dss.call("PUT", SUB, subscriptionid=str(uuid.uuid4()), headers=h,
                    body=body).status_code == 403


def test_a_down_uss_may_not_plan_nor_delete_but_may_report_nonconformance(dss: Dss) -> None:
    arbiter = dss.auth("arbiter", AA)
    h = dss.auth("uss1", SC)
    e = str(uuid.uuid4())
    r = dss.call("PUT", OI, entityid=e, headers=h, body=_intent())
    ovn = r.json()["operational_intent_reference"]["ovn"]
    r = dss.call("PUT", "/uss_availability/{uss_id}", uss_id="uss1", headers=arbiter,
                 body={"old_version": "", "availability": "Down"})
    assert r.status_code == 200 and r.json()["status"]["availability"] == "Down"
    v = r.json()["version"]
    r = dss.call("PUT", "/uss_availability/{uss_id}", uss_id="uss1", headers=arbiter,
                 body={"old_version": "stale", "availability": "Normal"})
    assert r.status_code == 400
    assert _put(dss, _intent()).status_code == 412
    assert dss.call("DELETE", OI + "/{ovn}", entityid=e, ovn=ovn, headers=h).status_code == 412
    r = dss.call("GET", OI, entityid=e, headers=dss.auth("uss2", SC))
    assert r.json()["operational_intent_reference"]["uss_availability"] == "Down"
    r = dss.call("PUT", OI + "/{ovn}", entityid=e, ovn=ovn, headers=h, body=_intent(
        state="Nonconforming", new_subscription={"uss_base_url": "https://uss1.example.com"}))
    assert r.status_code == 200, r.text
    r = dss.call("PUT", "/uss_availability/{uss_id}", uss_id="uss1", headers=arbiter,
                 body={"old_version": v, "availability": "Normal"})
    assert r.status_code == 200


def test_only_the_manager_changes_an_entity(dss: Dss) -> None:
    e = str(uuid.uuid4())
    r = dss.call("PUT", "/constraint_references/{entityid}", entityid=e,
                 headers=dss.auth("uss1", CM), body={"extents": [circle4d(*HERE)],
                                                     "uss_base_url": "https://u.example.com"})
    ovn = r.json()["constraint_reference"]["ovn"]
    r = dss.call("DELETE", "/constraint_references/{entityid}/{ovn}", entityid=e, ovn=ovn,
                 headers=dss.auth("uss2", CM))
    assert r.status_code == 403
    r = dss.call("PUT", "/constraint_references/{entityid}", entityid=e,
                 headers=dss.auth("uss1", CM), body={"extents": [circle4d(*HERE)],
                                                     "uss_base_url": "https://u.example.com"})
    assert r.status_code == 409  # exists


def test_the_dss_needs_a_key_and_an_audience(tmp_path: Path) -> None:
    settings = Settings.load({"dss_enabled": "true"}, environ={})
    with (pytest.raises(ValidationError, match="dss_public_key"),
          open_world(f"sqlite:///{tmp_path / 'x.db'}", settings=settings)):
        pass


def test_the_states_move_as_the_standard_says(dss: Dss) -> None:
    h = dss.auth("uss1", SC)
    e = str(uuid.uuid4())
    new_sub = {"uss_base_url": "https://uss1.example.com"}
    r = dss.call("PUT", OI, entityid=e, headers=h, body=_intent())
    ovn = r.json()["operational_intent_reference"]["ovn"]
    for state, status in (("Activated", 200), ("Accepted", 400), ("Nonconforming", 200),
                          ("Activated", 200), ("Contingent", 200), ("Activated", 400),
                          ("Contingent", 200)):
        r = dss.call("PUT", OI + "/{ovn}", entityid=e, ovn=ovn, headers=h,
                     body=_intent(state=state, new_subscription=new_sub))
        assert r.status_code == status, (state, r.text)
        if status == 200:
            ref = r.json()["operational_intent_reference"]
            assert ref["state"] == state and ref["ovn"] != ovn
            ovn = ref["ovn"]
    r = dss.call("DELETE", OI + "/{ovn}", entityid=e, ovn=ovn, headers=h)
    assert r.status_code == 200
    assert r.json()["operational_intent_reference"]["state"] == "Contingent"


def test_reports_are_kept_and_nan_is_not_json(dss: Dss) -> None:
    from deconfliction.dss.rows import Tables

    report = {"exchange": {"url": "https://uss2.example.com/uss/v1/operational_intents/x",
                           "method": "GET", "headers": [], "recorder_role": "Client",
                           "request_time": circle4d(*HERE)["time_start"],
                           "request_source": "uss1", "problem": "no answer"}}
    r = dss.call("POST", "/reports", headers=dss.auth("uss1", SC), body=report)
    assert r.status_code == 201, r.text
    rid = r.json()["report_id"]
    bad = {"exchange": {**report["exchange"], "recorder_role": "Bystander"}}
    assert dss.call("POST", "/reports", headers=dss.auth("uss1", SC),
                    body=bad).status_code == 400
    with dss.world.service.store.read() as tx:
        kept = Tables(tx.conn).report(rid)
    assert kept is not None and kept["exchange"]["problem"] == "no answer"
    r = dss.world.client.post("/dss/v1/reports", headers={
        **dss.auth("uss1", SC), "Content-Type": "application/json"},
        content=b'{"exchange": {"x": NaN}}')
    assert r.status_code == 400


@pytest.mark.parametrize("body", [
    _intent(state=["Accepted"]), _intent(state={"a": 1}), _intent(key=[["x"]]),
    _intent(extents=[{"volume": []}]), _intent(new_subscription=[]),
    _intent(subscription_id=7), _intent(extents=[circle4d(*HERE, radius_m=-5.0)]),
    _intent(uss_base_url=None), {"extents": "x"}, "text", None,
])
def test_bodies_of_the_wrong_shape_are_400_not_500(dss: Dss, body: Any) -> None:
    assert _put(dss, body).status_code == 400
    r = dss.call("PUT", "/uss_availability/{uss_id}", uss_id="uss1",
                 headers=dss.auth("arbiter", AA), body={"availability": ["Down"]})
    assert r.status_code == 400
