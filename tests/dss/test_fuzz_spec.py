"""schemathesis against the ASTM F3548-21 OpenAPI file itself, pointed at the app, with a
valid RS256 token holding every scope: every /dss operation gets generated requests and
every answer must be no 5xx, carry a status the spec documents for it and match that
status's schema."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from deconfliction.dss.auth import ALL_SCOPES
from dss.kit import SPEC, Dss, open_dss

FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.mark.slow
def test_fuzz_the_spec_against_the_app(tmp_path: Path) -> None:
    with open_dss(tmp_path) as dss:
        schema = schemathesis.openapi.from_path(str(SPEC))
        schema.app = dss.world.client.app
        headers = dss.auth("uss1", *ALL_SCOPES)
        operations = [r.ok() for r in schema.get_all_operations()]
        operations = [op for op in operations if op.path.startswith("/dss/")]
        assert len(operations) == 18
        seen: dict[str, set[int]] = {}
        for op in operations:
            _fuzz_one(op, headers, seen)()
        assert seen.keys() == {op.label for op in operations}
        # the fuzz reached past validation somewhere (not only 400s)
        assert any(s < 300 for codes in seen.values() for s in codes)


def _fuzz_one(op: Any, headers: dict[str, str], seen: dict[str, set[int]]) -> Any:
    @given(case=op.as_strategy())
    @FUZZ
    def run(case: Any) -> None:
        response = case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, status_code_conformance,
                    response_schema_conformance])
        seen.setdefault(op.label, set()).add(response.status_code)

    return run


def test_a_fixture_world_serves_the_dss(dss: Dss) -> None:
    r = dss.world.client.get("/dss/v1/uss_availability/uss1",
                             headers=dss.auth("uss1", *ALL_SCOPES))
    assert r.status_code == 200 and r.json()["status"]["availability"] == "Unknown"


def _volume(draw: Any, *, start_h: float) -> dict[str, Any]:
    from dss.kit import at

    lat = draw(st.floats(-80, 80))
    lon = draw(st.floats(-180, 180))
    low = draw(st.floats(-100, 1_000))
    if draw(st.booleans()):
        outline: dict[str, Any] = {"outline_circle": {
            "center": {"lat": lat, "lng": lon},
            "radius": {"value": draw(st.floats(0.5, 100_000)), "units": "M"}}}
    else:
        d = draw(st.floats(0.0001, 0.5))
        outline = {"outline_polygon": {"vertices": [
            {"lat": lat, "lng": lon}, {"lat": lat, "lng": lon + d},
            {"lat": lat + d, "lng": lon}]}}
    return {"volume": {**outline,
                       "altitude_lower": {"value": low, "reference": "W84", "units": "M"},
                       "altitude_upper": {"value": low + draw(st.floats(1, 5_000)),
                                          "reference": "W84", "units": "M"}},
            "time_start": at(start_h), "time_end": at(start_h + draw(st.floats(0.1, 20)))}


@st.composite
def volumes(draw: Any) -> dict[str, Any]:
    return _volume(draw, start_h=draw(st.floats(0.0, 48.0)))


VALID = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


@pytest.mark.slow
def test_valid_writes_and_queries_answer_as_the_spec_says(dss: Dss) -> None:
    """Valid bodies (random circles and triangles, anywhere, any time ahead): every write
    and query succeeds or is a documented 4xx, and every answer matches the spec."""
    h = dss.auth("uss1", *ALL_SCOPES)

    @given(vol=volumes(), state=st.sampled_from(["Accepted", "Activated", "Nonconforming"]))
    @VALID
    def run(vol: dict[str, Any], state: str) -> None:
        r = dss.call("POST", "/operational_intent_references/query", headers=h,
                     body={"area_of_interest": vol})
        assert r.status_code in (200, 413), r.text
        key = [o.get("ovn", "") for o in r.json().get("operational_intent_references", [])]
        r = dss.call("PUT", "/operational_intent_references/{entityid}",
                     entityid=str(uuid.uuid4()), headers=h, body={
                         "extents": [vol], "state": state, "key": key,
                         "uss_base_url": "https://uss1.example.com",
                         "new_subscription": {"uss_base_url": "https://uss1.example.com"}})
        assert r.status_code in (201, 409, 413), r.text
        r = dss.call("PUT", "/constraint_references/{entityid}", entityid=str(uuid.uuid4()),
                     headers=h, body={"extents": [vol],
                                      "uss_base_url": "https://uss1.example.com"})
        assert r.status_code in (201, 413), r.text

    run()
