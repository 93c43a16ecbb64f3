"""ASTM F3548 Volume4D: the spec's shape, units and references, and building objects."""

from __future__ import annotations

import json
from typing import Any

import pytest

import sample_objects as samples
from deconfliction.core.errors import ValidationError
from deconfliction.core.limits import DEFAULT_LIMITS
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Polygon
from deconfliction.formats.f3548 import (
    object_from_f3548,
    volume_from_f3548,
    volume_to_f3548,
    volumes_from_f3548,
    volumes_to_f3548,
)


def _circle() -> dict[str, Any]:
    return {
        "volume": {
            "outline_circle": {"center": {"lat": 33.5, "lng": 38.6},
                               "radius": {"value": 500.5, "units": "M"}},
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 120.5, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": "2018-09-10T00:00:00Z", "format": "RFC3339"},
        "time_end": {"value": "2018-09-10T01:00:00.5Z", "format": "RFC3339"},
    }


def _polygon() -> dict[str, Any]:
    d = _circle()
    del d["volume"]["outline_circle"]
    d["volume"]["outline_polygon"] = {"vertices": [
        {"lat": 34.0, "lng": 38.0}, {"lat": 34.0, "lng": 38.5}, {"lat": 33.5, "lng": 38.5}]}
    return d


def test_reads_the_spec_shape() -> None:
    v = volume_from_f3548(_circle())
    assert v.outline == Circle(33.5, 38.6, 500.5)
    assert (v.alt_lower_m, v.alt_upper_m) == (0.0, 120.5)
    assert v.time.end is not None and v.time.end.microsecond == 500_000
    p = volume_from_f3548(_polygon())
    assert p.outline == Polygon(((34.0, 38.0), (34.0, 38.5), (33.5, 38.5)))


def test_writes_the_spec_shape() -> None:
    out = volume_to_f3548(volume_from_f3548(_circle()))
    assert out["volume"]["outline_circle"] == {
        "center": {"lat": 33.5, "lng": 38.6}, "radius": {"value": 500.5, "units": "M"}}
    assert out["volume"]["altitude_lower"] == {"value": 0.0, "reference": "W84", "units": "M"}
    assert out["time_start"] == {"value": "2018-09-10T00:00:00Z", "format": "RFC3339"}
    assert out["time_end"]["value"] == "2018-09-10T01:00:00.500000Z"
    poly = volume_to_f3548(volume_from_f3548(_polygon()))
    assert poly["volume"]["outline_polygon"]["vertices"][1] == {"lat": 34.0, "lng": 38.5}
    assert "outline_circle" not in poly["volume"]


@pytest.mark.parametrize("name", ["at_tanf_zone", "exercise"])
def test_round_trip(name: str) -> None:
    obj = samples.SAMPLES[name]()
    doc = json.loads(json.dumps(volumes_to_f3548(obj)))
    assert "time_end" not in doc["volumes"][0] or obj.volumes[0].time.end is not None
    assert tuple(volumes_from_f3548(doc)) == obj.volumes


def test_unsupported_outlines_are_refused() -> None:
    pursuit = samples.pursuit()
    convoy = samples.convoy()
    with pytest.raises(ValidationError) as err:
        volumes_to_f3548(convoy)
    assert (err.value.code, err.value.field) == ("UNSUPPORTED_OUTLINE", "volumes[0].outline")
    with pytest.raises(ValidationError) as err:
        volumes_to_f3548(pursuit)  # the first volume has a hole
    assert err.value.code == "UNSUPPORTED_OUTLINE"
    assert volumes_to_f3548(pursuit.volumes[1:])["volumes"][0]["volume"]["outline_polygon"]


def test_missing_altitudes_and_times_are_open() -> None:
    d = _circle()
    del d["volume"]["altitude_lower"], d["volume"]["altitude_upper"], d["time_start"]
    d["time_end"] = None
    v = volume_from_f3548(d)
    assert (v.alt_lower_m, v.alt_upper_m) == (DEFAULT_LIMITS.min_alt_m, DEFAULT_LIMITS.max_alt_m)
    assert v.time.start is None and v.time.end is None


def _put(d: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    node: Any = d
    *parents, last = path.split(".")
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is ...:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return d


@pytest.mark.parametrize(
    ("doc", "path", "value", "code", "field"),
    [
        (_circle, "volume.altitude_upper.units", "FT", "UNSUPPORTED_UNITS", None),
        (_circle, "volume.altitude_lower.reference", "SFC", "UNSUPPORTED_REFERENCE", None),
        (_circle, "volume.altitude_lower.reference", ..., "MISSING_FIELD", None),
        (_circle, "volume.altitude_lower.value", "0", "BAD_TYPE", None),
        (_circle, "volume.altitude_lower.value", 500, "ALT_BAND_INVERTED", None),
        (_circle, "volume.altitude_upper.value", 1e6, "ALT_OUT_OF_RANGE", None),
        (_circle, "volume.outline_circle.radius.units", "FT", "UNSUPPORTED_UNITS", None),
        (_circle, "volume.outline_circle.radius.value", -1, "BAD_RADIUS", None),
        (_circle, "volume.outline_circle.radius.value", ..., "MISSING_FIELD", None),
        (_circle, "volume.outline_circle.center.lat", 91, "LAT_OUT_OF_RANGE", None),
        (_circle, "volume.outline_circle.center.lng", -181, "LON_OUT_OF_RANGE", None),
        (_circle, "volume.outline_circle.center.lng", ..., "MISSING_FIELD", None),
        (_circle, "volume.outline_circle.center", [33.5, 38.6], "BAD_TYPE", None),
        (_circle, "volume.outline_circle.center", ..., "MISSING_FIELD", None),
        (_circle, "volume.outline_circle.radius", ..., "MISSING_FIELD", None),
        (_circle, "volume.outline_circle.radius", 5, "BAD_TYPE", None),
        (_circle, "volume", "circle", "BAD_TYPE", None),
        (_circle, "volume.outline_polygon", {"vertices": []}, "BAD_OUTLINE", "volume"),
        (_circle, "volume.outline_circle", ..., "BAD_OUTLINE", "volume"),
        (_circle, "volume", ..., "MISSING_FIELD", None),
        (_circle, "time_start.format", "unix", "UNSUPPORTED_TIME_FORMAT", None),
        (_circle, "time_start.value", "2018-09-10T00:00:00", "NAIVE_DATETIME", None),
        (_circle, "time_start.value", 1536537600, "BAD_TYPE", None),
        (_circle, "time_end.value", "2018-09-09T00:00:00Z", "EMPTY_TIME_INTERVAL", None),
        (_polygon, "volume.outline_polygon.vertices.2.lat", "x", "BAD_TYPE", None),
        (_polygon, "volume.outline_polygon.vertices.2.lat", -95, "LAT_OUT_OF_RANGE",
         "volume.outline_polygon.vertices[2]"),
        (_polygon, "volume.outline_polygon.vertices.2", 7, "BAD_TYPE",
         "volume.outline_polygon.vertices[2]"),
        (_polygon, "volume.outline_polygon.vertices", [{"lat": 1, "lng": 1}], "TOO_FEW_VERTICES",
         "volume.outline_polygon.vertices"),
        (_polygon, "volume.outline_polygon.vertices", ..., "MISSING_FIELD", None),
    ],
)
def test_errors(doc: Any, path: str, value: object, code: str, field: str | None) -> None:
    d = _put(doc(), path, value)
    with pytest.raises(ValidationError) as err:
        volumes_from_f3548({"volumes": [_circle(), d]})
    expected = field or path.replace(".2.", "[2].").replace(".2", "[2]")
    assert (err.value.code, err.value.field) == (code, f"volumes[1].{expected}"), str(err.value)


def test_lists_and_single_volumes() -> None:
    assert len(volumes_from_f3548([_circle(), _polygon()])) == 2
    assert len(volumes_from_f3548({"extents": [_circle()]})) == 1
    assert len(volumes_from_f3548(_circle())) == 1
    bad = _circle()
    bad["volume"]["altitude_lower"]["units"] = "FT"
    with pytest.raises(ValidationError) as err:
        volumes_from_f3548([_circle(), bad])
    assert err.value.field == "[1].volume.altitude_lower.units"
    with pytest.raises(ValidationError) as err:
        volumes_from_f3548({"operational_intent": {}})
    assert (err.value.code, err.value.field) == ("MISSING_FIELD", "volumes")


def test_objects_take_metadata_from_the_caller() -> None:
    doc = {"volumes": [_circle(), _polygon()], "priority": 2, "id": "intent-1"}
    op = object_from_f3548(doc, owner="russia", participants=["syria"], kind="flight",
                           default_state="proposed")
    assert isinstance(op, Operation)
    assert (op.id, op.owner, op.priority, op.kind) == ("intent-1", "russia", 2, "flight")
    assert op.state is OperationState.PROPOSED and op.participants == {"russia", "syria"}
    assert len(op.volumes) == 2
    zone = object_from_f3548([_circle()], default_object="zone", owner="syria", id="z",
                             allowed=["russia"], name="Base")
    assert isinstance(zone, Zone) and zone.allowed == {"syria", "russia"} and zone.name == "Base"
    with pytest.raises(ValidationError) as err:
        object_from_f3548([_circle()])
    assert (err.value.code, err.value.field) == ("MISSING_FIELD", "owner")
    with pytest.raises(ValidationError) as err:
        object_from_f3548([_circle()], owner="russia", participants="syria")
    assert (err.value.code, err.value.field) == ("BAD_TYPE", "participants")
