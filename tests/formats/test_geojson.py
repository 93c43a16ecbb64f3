"""GeoJSON: [lon, lat] order, one volume per feature, grouping by id, paths in errors."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import sample_objects as samples
from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Polygon
from deconfliction.formats.geojson import objects_from_geojson, to_geojson


def _square(lon: float, lat: float, d: float = 0.1) -> list[list[float]]:
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def _feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    base = {"alt_lower_m": 0, "alt_upper_m": 100, "time_start": "2018-09-10T00:00:00Z",
            "time_end": "2018-09-12T00:00:00Z"}
    return {"type": "Feature", "geometry": geometry, "properties": {**base, **props}}


def _collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.mark.parametrize(
    "names", [["at_tanf_zone", "exercise", "pursuit", "convoy", "antimeridian_zone"]]
)
def test_round_trip(names: list[str]) -> None:
    objs = [samples.SAMPLES[n]() for n in names]
    doc = json.loads(json.dumps(to_geojson(objs)))
    assert len(doc["features"]) == 6  # pursuit has two volumes
    back = objects_from_geojson(doc)
    assert back == objs
    assert [o.version for o in back] == [o.version for o in objs]


def test_geometries_are_lon_lat() -> None:
    at_tanf_zone = samples.at_tanf_zone()
    pursuit = samples.pursuit()
    convoy = samples.convoy()
    doc = to_geojson([at_tanf_zone, pursuit, convoy])
    point, poly, _, line = (f["geometry"] for f in doc["features"])
    assert point == {"type": "Point", "coordinates": [38.61778, 33.50583]}
    assert doc["features"][0]["properties"]["radius_m"] == 55_000.0
    assert poly["type"] == "Polygon" and poly["coordinates"][0][0] == [38.3, 34.5]
    assert poly["coordinates"][0][-1] == poly["coordinates"][0][0]  # rings are closed
    assert len(poly["coordinates"]) == 2
    assert line["type"] == "LineString" and line["coordinates"][0] == [38.0, 34.0]
    assert doc["features"][3]["properties"]["half_width_m"] == 1000.0


def test_polygon_point_line_and_multipolygon() -> None:
    doc = _collection(
        _feature({"type": "Polygon", "coordinates": [_square(38.0, 34.0)]}, id="a",
                 owner="russia", state="proposed"),
        _feature({"type": "Point", "coordinates": [38.6, 33.5, 400.0]}, radius_m=500,
                 id="b", owner="russia"),
        _feature({"type": "LineString", "coordinates": [[38.0, 34.0], [38.5, 33.5]]},
                 buffer_width_m=1000, id="c", owner="ocha", object="operation", kind="convoy"),
        _feature({"type": "MultiPolygon", "coordinates": [[_square(36.0, 35.0)],
                                                          [_square(37.0, 35.0)]]},
                 object="zone", id="d", owner="syria", allowed=["russia"], severity="protected"),
    )
    a, b, c, d = objects_from_geojson(doc)
    assert isinstance(a, Operation) and a.state is OperationState.PROPOSED
    outline = a.volumes[0].outline
    assert isinstance(outline, Polygon) and outline.exterior[0] == (34.0, 38.0)
    assert len(outline.exterior) == 4  # the closing position is dropped
    assert b.volumes[0].outline == Circle(33.5, 38.6, 500.0)
    assert c.volumes[0].outline == Corridor(((34.0, 38.0), (33.5, 38.5)), 1000.0)
    assert isinstance(d, Zone) and len(d.volumes) == 2 and d.allowed == {"syria", "russia"}
    assert d.severity == "protected"


def test_features_sharing_an_id_form_one_object() -> None:
    doc = _collection(
        _feature({"type": "Point", "coordinates": [38.6, 33.5]}, radius_m=500, id="x",
                 owner="russia", name="Two parts"),
        _feature({"type": "Point", "coordinates": [38.7, 33.5]}, radius_m=500, id="x",
                 alt_upper_m=200),
        _feature({"type": "Point", "coordinates": [38.8, 33.5]}, radius_m=500),
        _feature({"type": "Point", "coordinates": [38.9, 33.5]}, radius_m=500),
    )
    x, y, z = objects_from_geojson(doc, owner="russia")
    assert x.id == "x" and x.name == "Two parts" and len(x.volumes) == 2
    assert x.volumes[1].alt_upper_m == 200
    assert y.id != z.id  # no id: a new uuid per feature
    doc["features"][1]["properties"]["owner"] = "syria"
    with pytest.raises(ValidationError) as err:
        objects_from_geojson(doc)
    assert (err.value.code, err.value.field) == (
        "INCONSISTENT_PROPERTY", "features[1].properties.owner")


def test_feature_id_member_and_defaults() -> None:
    f = _feature({"type": "Point", "coordinates": [38.6, 33.5]}, radius_m=500)
    f["id"] = 17
    del f["properties"]["time_start"], f["properties"]["time_end"]
    [op] = objects_from_geojson(f, owner="russia", default_state="accepted")
    assert isinstance(op, Operation)
    assert op.id == "17" and op.state is OperationState.ACCEPTED
    assert op.volumes[0].time.start is None and op.volumes[0].time.end is None
    [zone] = objects_from_geojson(f, default_object="zone", owner="syria")
    assert isinstance(zone, Zone)


def _base() -> dict[str, Any]:
    return _collection(
        _feature({"type": "Point", "coordinates": [38.6, 33.5]}, radius_m=500, owner="russia"),
        _feature({"type": "Polygon", "coordinates": [_square(38.0, 34.0)]}, owner="russia"),
        _feature({"type": "LineString", "coordinates": [[38.0, 34.0], [38.5, 33.5]]},
                 half_width_m=1000, owner="russia"),
    )


@pytest.mark.parametrize(
    ("feature", "key", "value", "code", "field"),
    [
        (2, "properties.alt_lower_m", 500, "ALT_BAND_INVERTED", "properties.alt_lower_m"),
        (2, "properties.alt_lower_m", "0", "BAD_TYPE", "properties.alt_lower_m"),
        (2, "properties.alt_upper_m", None, "MISSING_FIELD", "properties.alt_upper_m"),
        (1, "properties.time_end", "2018-09-01T00:00:00Z", "EMPTY_TIME_INTERVAL",
         "properties.time_end"),
        (1, "properties.time_start", "2018-09-10", "NAIVE_DATETIME", "properties.time_start"),
        (0, "properties.radius_m", None, "MISSING_FIELD", "properties.radius_m"),
        (0, "properties.radius_m", "5", "BAD_TYPE", "properties.radius_m"),
        (0, "properties.radius_m", 0, "BAD_RADIUS", "properties.radius_m"),
        (0, "geometry.coordinates", [38.6, 95.0], "LAT_OUT_OF_RANGE", "geometry.coordinates"),
        (0, "geometry.coordinates", [38.6], "BAD_COORDINATE", "geometry.coordinates"),
        (0, "geometry.coordinates", "38,33", "BAD_TYPE", "geometry.coordinates"),
        (0, "geometry.type", "MultiPoint", "UNSUPPORTED_GEOMETRY", "geometry.type"),
        (0, "geometry", None, "MISSING_FIELD", "geometry"),
        (0, "properties.owner", "Russia", "BAD_PARTY", "properties.owner"),
        (0, "properties.participants", "mat", "BAD_TYPE", "properties.participants"),
        (0, "properties.priority", "1", "BAD_TYPE", "properties.priority"),
        (0, "properties.state", "flying", "BAD_STATE", "properties.state"),
        (0, "properties.kind", "raid", "BAD_KIND", "properties.kind"),
        (0, "properties.allowed", ["mat"], "UNKNOWN_FIELD", "properties.allowed"),
        (0, "properties.object", "route", "BAD_OBJECT", "properties.object"),
        (0, "properties.buffer_m", -3, "BAD_BUFFER", "properties.buffer_m"),
        (0, "type", "Geometry", "BAD_GEOJSON", "type"),
        (1, "geometry.coordinates", [[[38, 34], [38.1, 34]]], "TOO_FEW_VERTICES",
         "geometry.coordinates[0]"),
        (1, "geometry.coordinates", [_square(38, 34), [[38.05, 34.05], [38.06, 34.05]]],
         "TOO_FEW_VERTICES", "geometry.coordinates[1]"),
        (1, "geometry.coordinates", [[[38, 34], [38.1, 34], [38.1, 94]]], "LAT_OUT_OF_RANGE",
         "geometry.coordinates[0][2]"),
        (1, "geometry.coordinates", [[[38, 34], [38.1, 34], [38.1, "x"]]], "BAD_TYPE",
         "geometry.coordinates[0][2][1]"),
        (1, "geometry.coordinates", [[[38, 34], [39, 35], [38, 35], [39, 34]]],
         "SELF_INTERSECTING", "geometry.coordinates[0]"),
        (1, "geometry.coordinates", [], "TOO_FEW_VERTICES", "geometry.coordinates"),
        (2, "properties.half_width_m", None, "MISSING_FIELD", "properties.half_width_m"),
        (2, "properties.half_width_m", -1, "BAD_RADIUS", "properties.half_width_m"),
        (2, "geometry.coordinates", [[38, 34], [38, 95]], "LAT_OUT_OF_RANGE",
         "geometry.coordinates[1]"),
        (2, "geometry.coordinates", [[38, 34]], "TOO_FEW_VERTICES", "geometry.coordinates"),
    ],
)
def test_errors_carry_feature_paths(
    feature: int, key: str, value: object, code: str, field: str
) -> None:
    doc = _base()
    node = doc["features"][feature]
    *parents, last = key.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    with pytest.raises(ValidationError) as err:
        objects_from_geojson(doc)
    assert (err.value.code, err.value.field) == (code, f"features[{feature}].{field}"), str(
        err.value
    )


def test_top_level_errors() -> None:
    with pytest.raises(ValidationError) as err:
        objects_from_geojson({"type": "FeatureCollection"})
    assert (err.value.code, err.value.field) == ("MISSING_FIELD", "features")
    with pytest.raises(ValidationError) as err:
        objects_from_geojson({"type": "FeatureCollection", "features": {}})
    assert (err.value.code, err.value.field) == ("BAD_TYPE", "features")
    with pytest.raises(ValidationError) as err:
        objects_from_geojson([])
    assert err.value.code == "BAD_TYPE"
    single = copy.deepcopy(_base()["features"][0])
    single["properties"]["alt_lower_m"] = 1e6
    with pytest.raises(ValidationError) as err:
        objects_from_geojson(single)
    assert (err.value.code, err.value.field) == ("ALT_OUT_OF_RANGE", "properties.alt_lower_m")
    ownerless = _base()
    del ownerless["features"][1]["properties"]["owner"]
    with pytest.raises(ValidationError) as err:
        objects_from_geojson(ownerless)
    assert (err.value.code, err.value.field) == ("MISSING_FIELD", "features[1].properties.owner")
    assert len(objects_from_geojson(ownerless, default_object="zone", owner="syria")) == 3
