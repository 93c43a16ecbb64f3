"""Canonical JSON: lossless round trips and field-path errors for bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sample_objects as samples
from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, OperationState
from deconfliction.core.outline import Circle
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.formats.native import (
    object_from_dict,
    object_to_dict,
    objects_from_native,
    operation_from_dict,
    operation_to_dict,
    volume_from_dict,
    volume_to_dict,
    zone_from_dict,
    zone_to_dict,
)

OBJECTS = ["at_tanf_zone", "exercise", "pursuit", "convoy", "antimeridian_zone"]


@pytest.mark.parametrize("name", OBJECTS)
def test_round_trip_through_json_text_is_lossless(name: str) -> None:
    obj = samples.SAMPLES[name]()
    text = json.dumps(object_to_dict(obj))
    back = object_from_dict(json.loads(text))
    assert back == obj
    assert back.version == obj.version
    assert object_to_dict(back) == object_to_dict(obj)


def test_zone_and_operation_dicts() -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    z = zone_to_dict(at_tanf_zone)
    assert z["object"] == "zone" and z["allowed"] == ["coalition", "mat"]
    assert z["volumes"][0]["time_end"] is None
    assert zone_from_dict(z) == at_tanf_zone
    o = operation_to_dict(exercise)
    assert (o["state"], o["kind"], o["priority"]) == ("accepted", "live_fire", 3)
    assert o["buffer_m"] == 2000.0
    assert o["volumes"][0]["time_start"] == "2018-09-07T00:00:00Z"
    assert operation_from_dict(o) == exercise


def test_outline_shapes() -> None:
    pursuit = samples.pursuit()
    convoy = samples.convoy()
    poly = volume_to_dict(pursuit.volumes[0])["outline"]
    assert poly["type"] == "polygon"
    assert poly["exterior"][0] == [34.5, 38.3] and len(poly["holes"]) == 1
    corridor = volume_to_dict(convoy.volumes[0])["outline"]
    assert corridor == {"type": "corridor", "path": [[34.0, 38.0], [33.7, 38.4], [33.3, 38.64]],
                        "half_width_m": 1000.0}
    assert volume_from_dict(volume_to_dict(pursuit.volumes[1])) == pursuit.volumes[1]


def test_microseconds_and_offsets_survive() -> None:
    pursuit = samples.pursuit()
    d = volume_to_dict(pursuit.volumes[0])
    assert d["time_start"] == "2018-09-10T06:30:15.123456Z"
    d["time_start"] = "2018-09-10T09:30:15.123456+03:00"
    assert volume_from_dict(d).time == pursuit.volumes[0].time


def _minimal() -> dict[str, Any]:
    return {
        "object": "operation",
        "owner": "russia",
        "volumes": [
            {"outline": {"type": "circle", "lat": 34.0, "lon": 38.0, "radius_m": 100},
             "alt_lower_m": 0, "alt_upper_m": 100},
            {"outline": {"type": "circle", "lat": 34.0, "lon": 38.0, "radius_m": 100},
             "alt_lower_m": 0, "alt_upper_m": 100,
             "time_start": "2018-09-10T00:00:00Z", "time_end": None},
        ],
    }


def test_defaults_fill_what_the_document_leaves_out() -> None:
    op = object_from_dict(_minimal())
    assert isinstance(op, Operation)
    assert op.id and op.version and op.name == "" and op.state is OperationState.DRAFT
    assert op.volumes[0].time.start is None and op.volumes[0].time.end is None
    doc = _minimal()
    del doc["owner"], doc["object"]
    op2 = object_from_dict(doc, default_object="operation", owner="syria",
                           default_state="proposed")
    assert isinstance(op2, Operation)
    assert op2.owner == "syria" and op2.state is OperationState.PROPOSED
    with pytest.raises(ValidationError) as err:
        object_from_dict(doc)
    assert (err.value.code, err.value.field) == ("MISSING_FIELD", "object")
    with pytest.raises(ValidationError) as err:
        object_from_dict(doc, default_object="zone")
    assert (err.value.code, err.value.field) == ("MISSING_FIELD", "owner")


def _set(doc: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """Set ``a.b[1].c`` in a nested document (``...`` deletes)."""
    node: Any = doc
    keys: list[str | int] = []
    for part in path.split("."):
        name, *idx = part.replace("]", "").split("[")
        keys.append(name)
        keys.extend(int(i) for i in idx)
    for key in keys[:-1]:
        node = node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("volumes[1].outline.radius_m", "100", "BAD_TYPE", "volumes[1].outline.radius_m"),
        ("volumes[1].outline.radius_m", -5, "BAD_RADIUS", "volumes[1].outline.radius_m"),
        ("volumes[1].outline.radius_m", ..., "MISSING_FIELD", "volumes[1].outline.radius_m"),
        ("volumes[1].outline.lat", 91, "LAT_OUT_OF_RANGE", "volumes[1].outline.lat"),
        ("volumes[1].outline.lon", True, "BAD_TYPE", "volumes[1].outline.lon"),
        ("volumes[1].outline.lon", 181, "LON_OUT_OF_RANGE", "volumes[1].outline.lon"),
        ("volumes[1].outline.type", "square", "BAD_OUTLINE", "volumes[1].outline.type"),
        ("volumes[1].outline", [1, 2], "BAD_TYPE", "volumes[1].outline"),
        ("volumes[1].outline", ..., "MISSING_FIELD", "volumes[1].outline"),
        ("volumes[1]", 3, "BAD_TYPE", "volumes[1]"),
        ("volumes[0].alt_lower_m", 500, "ALT_BAND_INVERTED", "volumes[0].alt_lower_m"),
        ("volumes[0].alt_lower_m", None, "MISSING_FIELD", "volumes[0].alt_lower_m"),
        ("volumes[0].alt_upper_m", [1], "BAD_TYPE", "volumes[0].alt_upper_m"),
        ("volumes[0].alt_upper_m", float("nan"), "NOT_FINITE", "volumes[0].alt_upper_m"),
        ("volumes[0].alt_upper_m", 10**400, "NOT_FINITE", "volumes[0].alt_upper_m"),
        ("volumes[0].time_start", 12, "BAD_TYPE", "volumes[0].time_start"),
        ("volumes[0].time_start", "yesterday", "BAD_TIME", "volumes[0].time_start"),
        ("volumes[0].time_start", "2018-09-10T00:00:00", "NAIVE_DATETIME",
         "volumes[0].time_start"),
        ("volumes[1].time_end", "2018-09-09T00:00:00Z", "EMPTY_TIME_INTERVAL",
         "volumes[1].time_end"),
        ("volumes[0].altitude", 3, "UNKNOWN_FIELD", "volumes[0].altitude"),
        ("volumes", {}, "BAD_TYPE", "volumes"),
        ("volumes", [], "NO_VOLUMES", "volumes"),
        ("owner", "Russia!", "BAD_PARTY", "owner"),
        ("owner", 7, "BAD_TYPE", "owner"),
        ("participants", "mat", "BAD_TYPE", "participants"),
        ("participants", ["mat", 3], "BAD_TYPE", "participants[1]"),
        ("state", "flying", "BAD_STATE", "state"),
        ("kind", "party", "BAD_KIND", "kind"),
        ("priority", "high", "BAD_TYPE", "priority"),
        ("priority", 1.5, "BAD_TYPE", "priority"),
        ("buffer_m", -1, "BAD_BUFFER", "buffer_m"),
        ("version", "", "BAD_VERSION", "version"),
        ("id", 12, "BAD_TYPE", "id"),
        ("id", "", "BAD_ID", "id"),
        ("object", "route", "BAD_OBJECT", "object"),
        ("allowed", ["mat"], "UNKNOWN_FIELD", "allowed"),
    ],
)
def test_bad_input_names_the_field(path: str, value: object, code: str, field: str) -> None:
    doc = _set(_minimal(), path, value)
    with pytest.raises(ValidationError) as err:
        object_from_dict(doc)
    assert (err.value.code, err.value.field) == (code, field), str(err.value)


@pytest.mark.parametrize(
    ("outline", "code", "field"),
    [
        ({"type": "polygon", "exterior": [[0, 0], [0, 1]]}, "TOO_FEW_VERTICES", "exterior"),
        ({"type": "polygon", "exterior": [[0, 0], [0, 1], "x"]}, "BAD_TYPE", "exterior[2]"),
        ({"type": "polygon", "exterior": [[0, 0], [0, 1], [1, 1, 1]]}, "BAD_COORDINATE",
         "exterior[2]"),
        ({"type": "polygon", "exterior": [[0, 0], [0, 1], [1, "1"]]}, "BAD_TYPE",
         "exterior[2][1]"),
        ({"type": "polygon", "exterior": [[0, 0], [0, 1], [95, 1]]}, "LAT_OUT_OF_RANGE",
         "exterior[2]"),
        ({"type": "polygon", "exterior": [[0, 0], [1, 1], [0, 1], [1, 0]]}, "SELF_INTERSECTING",
         "exterior"),
        ({"type": "polygon", "exterior": [[0, 0], [0, 1], [1, 1]], "holes": [[[5, 5]]]},
         "TOO_FEW_VERTICES", "holes[0]"),
        ({"type": "polygon", "exterior": [[0, 0], [0, 1], [1, 1]], "holes": "none"},
         "BAD_TYPE", "holes"),
        ({"type": "corridor", "path": [[0, 0], [0, 1]]}, "MISSING_FIELD", "half_width_m"),
        ({"type": "corridor", "path": [[0, 0]], "half_width_m": 5}, "TOO_FEW_VERTICES", "path"),
        ({"type": 3}, "BAD_TYPE", "type"),
        ({}, "MISSING_FIELD", "type"),
    ],
)
def test_bad_outlines(outline: dict[str, Any], code: str, field: str) -> None:
    doc = _set(_minimal(), "volumes[0].outline", outline)
    with pytest.raises(ValidationError) as err:
        object_from_dict(doc)
    assert (err.value.code, err.value.field) == (code, f"volumes[0].outline.{field}")


@pytest.mark.parametrize("bad", [None, 3, "zone", [], [{"object": "zone"}]])
def test_not_an_object_is_bad_type(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        object_from_dict(bad)
    assert err.value.code == "BAD_TYPE"


def test_zone_fields() -> None:
    at_tanf_zone = samples.at_tanf_zone()
    d = zone_to_dict(at_tanf_zone)
    with pytest.raises(ValidationError) as err:
        zone_from_dict({**d, "severity": "deadly"})
    assert (err.value.code, err.value.field) == ("BAD_SEVERITY", "severity")
    with pytest.raises(ValidationError) as err:
        zone_from_dict({**d, "allowed": "mat"})
    assert (err.value.code, err.value.field) == ("BAD_TYPE", "allowed")
    with pytest.raises(ValidationError) as err:
        zone_from_dict({**d, "state": "active"})
    assert (err.value.code, err.value.field) == ("UNKNOWN_FIELD", "state")
    with pytest.raises(ValidationError) as err:
        zone_from_dict({**d, "object": "operation"})
    assert (err.value.code, err.value.field) == ("WRONG_OBJECT", "object")


def test_lists_of_objects() -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    docs = [zone_to_dict(at_tanf_zone), operation_to_dict(exercise)]
    assert objects_from_native(docs) == [at_tanf_zone, exercise]
    assert objects_from_native({"objects": docs}) == [at_tanf_zone, exercise]
    assert objects_from_native(docs[0]) == [at_tanf_zone]
    bad = [docs[0], {**docs[1], "id": "at-tanf"}]
    with pytest.raises(ValidationError) as err:
        objects_from_native({"objects": bad})
    assert (err.value.code, err.value.field) == ("DUPLICATE_ID", "objects[1].id")
    docs[1]["volumes"][0]["alt_lower_m"] = 7000
    with pytest.raises(ValidationError) as err:
        objects_from_native(docs)
    assert (err.value.code, err.value.field) == ("ALT_BAND_INVERTED", "[1].volumes[0].alt_lower_m")


@settings(max_examples=80, deadline=None)
@given(
    lat=st.floats(-90, 90), lon=st.floats(-180, 180), radius_m=st.floats(0.001, 1e7),
    lower=st.floats(-1000, 100_000), span=st.floats(0, 10_000),
    start=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC)),
    seconds=st.one_of(st.none(), st.floats(1e-3, 1e8)),
)
def test_any_circle_volume_round_trips_exactly(
    lat: float, lon: float, radius_m: float, lower: float, span: float, start: datetime,
    seconds: float | None,
) -> None:
    end = None if seconds is None else start + timedelta(seconds=seconds)
    if end is not None and end <= start:  # below a microsecond
        return
    upper = min(lower + span, 100_000.0)
    vol = Volume4D(Circle(lat, lon, radius_m), lower, upper, TimeInterval(start, end))
    assert volume_from_dict(json.loads(json.dumps(volume_to_dict(vol)))) == vol
