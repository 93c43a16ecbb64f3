"""GeoJSON (RFC 7946) features as zones and operations, and back.

Each Feature is one volume (a ``MultiPolygon`` is one volume per part). Its geometry is the
outline: ``Polygon``, ``MultiPolygon``, ``Point`` with a ``radius_m`` property (a geodesic
circle) or ``LineString`` with ``half_width_m`` (or ``buffer_width_m``; a corridor).
GeoJSON positions are ``[lon, lat]`` (a third number, an altitude, is ignored: altitudes
come from the properties); the core's are ``(lat, lon)``. Rings may be closed or not.

Properties: ``alt_lower_m`` and ``alt_upper_m`` (required), ``time_start``/``time_end``
(ISO 8601 with a zone; missing is an open end) and the object's own: ``object``
(``zone``/``operation``), ``id`` (features sharing an id form one object; missing: a new
uuid per feature), ``name``, ``owner``, ``version``, ``buffer_m``, ``allowed`` +
``severity`` (zones), ``participants``, ``kind``, ``priority`` + ``state`` (operations).
Features of one object must not disagree on these (``INCONSISTENT_PROPERTY``). Other
properties (``stroke``, ``fill``...) are ignored.

>>> fc = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [38.61778, 33.50583]},
...       "properties": {"object": "zone", "id": "at-tanf", "owner": "coalition",
...                      "radius_m": 55000, "alt_lower_m": 0, "alt_upper_m": 20000,
...                      "time_start": "2016-03-03T00:00:00Z"}}
>>> [zone] = objects_from_geojson(fc)
>>> zone.volumes[0].outline
Circle(lat=33.50583, lon=38.61778, radius_m=55000.0, kind='circle')
>>> objects_from_geojson(to_geojson([zone])) == [zone]
True
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, LatLon, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.formats._fields import (
    at,
    finite,
    integer,
    iso_z,
    mapping,
    number,
    prefixed,
    remapped,
    require,
    sequence,
    state,
    string,
    string_list,
    time_or_none,
)
from deconfliction.formats.native import Severity

__all__ = ["objects_from_geojson", "to_geojson"]

# object-level properties and how to read them
_OBJECT_PROPS: dict[str, Any] = {
    "name": string,
    "owner": string,
    "version": string,
    "buffer_m": finite,
    "allowed": lambda v, f: frozenset(string_list(v, f)),
    "severity": string,
    "participants": lambda v, f: frozenset(string_list(v, f)),
    "kind": string,
    "priority": integer,
    "state": state,
}
_ZONE_ONLY = frozenset({"allowed", "severity"})
_OPERATION_ONLY = frozenset({"participants", "kind", "priority", "state"})


def _position(value: object, field: str) -> LatLon:
    pos = sequence(value, field)
    if len(pos) not in (2, 3):
        raise ValidationError("BAD_COORDINATE", "expected a [lon, lat] position", field)
    return (number(pos[1], at(field, 1)), number(pos[0], at(field, 0)))


def _line(value: object, field: str) -> tuple[LatLon, ...]:
    return tuple(_position(p, at(field, i)) for i, p in enumerate(sequence(value, field)))


def _polygon(value: object, field: str) -> Polygon:
    rings = sequence(value, field)
    if not rings:
        raise ValidationError("TOO_FEW_VERTICES", "a polygon needs an exterior ring", field)
    lines = [_line(r, at(field, i)) for i, r in enumerate(rings)]
    with remapped(lambda e: _ring_field(e.field, field)):
        return Polygon(lines[0], tuple(lines[1:]))


def _ring_field(core: str | None, coords: str) -> str:
    """The core's ``exterior[3]`` / ``holes[0][2]`` as ``coordinates[0][3]`` / ``[1][2]``."""
    if core is None:
        return coords
    if core.startswith("exterior"):
        return f"{coords}[0]{core[len('exterior'):]}"
    m = re.match(r"holes\[(\d+)\](.*)", core)
    if m:
        return f"{coords}[{int(m.group(1)) + 1}]{m.group(2)}"
    return coords


def _outlines(geometry: object, props: Mapping[str, object]) -> list[Outline]:
    g = mapping(geometry, "geometry")
    kind = string(require(g, "type", "geometry"), "geometry.type")
    coords = "geometry.coordinates"
    if kind == "Polygon":
        return [_polygon(require(g, "coordinates", "geometry"), coords)]
    if kind == "MultiPolygon":
        parts = sequence(require(g, "coordinates", "geometry"), coords)
        return [_polygon(p, at(coords, i)) for i, p in enumerate(parts)]
    if kind == "Point":
        lat, lon = _position(require(g, "coordinates", "geometry"), coords)
        radius = number(require(props, "radius_m", "properties"), "properties.radius_m")
        with remapped(lambda e: "properties.radius_m" if e.field == "radius_m" else coords):
            return [Circle(lat, lon, radius)]
    if kind == "LineString":
        path = _line(require(g, "coordinates", "geometry"), coords)
        key = "half_width_m" if "half_width_m" in props else "buffer_width_m"
        if props.get(key) is None:
            raise ValidationError(
                "MISSING_FIELD", "a LineString needs half_width_m", "properties.half_width_m"
            )
        width = number(props[key], f"properties.{key}")
        with remapped(
            lambda e: f"properties.{key}" if e.field == "half_width_m"
            else coords + (e.field or "")[len("path"):]
        ):
            return [Corridor(path, width)]
    raise ValidationError(
        "UNSUPPORTED_GEOMETRY",
        f"geometry {kind!r} is not Polygon, MultiPolygon, Point or LineString",
        "geometry.type",
    )


def _feature(feature: object) -> tuple[dict[str, Any], list[Volume4D]]:
    """The object-level properties (read) and the volumes of one feature."""
    f = mapping(feature, "")
    if f.get("type") != "Feature":
        raise ValidationError("BAD_GEOJSON", "expected a Feature", "type")
    props = mapping(f.get("properties") or {}, "properties")
    outlines = _outlines(require(f, "geometry"), props)
    with prefixed("properties"):
        lower = finite(require(props, "alt_lower_m"), "alt_lower_m")
        upper = finite(require(props, "alt_upper_m"), "alt_upper_m")
        time = TimeInterval(
            time_or_none(props.get("time_start"), "time_start"),
            time_or_none(props.get("time_end"), "time_end"),
        )
        volumes = [Volume4D(o, lower, upper, time) for o in outlines]
        meta: dict[str, Any] = {}
        for key in ("object", "id"):
            if props.get(key) is not None:
                meta[key] = string(props[key], key)
        for key, read in _OBJECT_PROPS.items():
            if props.get(key) is not None:
                meta[key] = read(props[key], key)
    fid = f.get("id")
    if "id" not in meta and fid is not None:
        if isinstance(fid, bool) or not isinstance(fid, str | int):
            raise ValidationError("BAD_TYPE", "a Feature id must be a string or a number", "id")
        meta["id"] = str(fid)
    return meta, volumes


def objects_from_geojson(
    data: object,
    *,
    default_object: str = "operation",
    owner: str | None = None,
    default_state: OperationState | str | None = None,
) -> list[Zone | Operation]:
    """Zones and operations from a GeoJSON ``Feature`` or ``FeatureCollection``.

    ``default_object``, ``owner`` and ``default_state`` apply where a feature does not say.
    """
    doc = mapping(data, "")
    if doc.get("type") == "Feature":
        features: list[object] = [doc]
        path = ""
    elif doc.get("type") == "FeatureCollection":
        features = sequence(require(doc, "features"), "features")
        path = "features"
    else:
        raise ValidationError("BAD_GEOJSON", "expected a Feature or a FeatureCollection", "type")
    groups: dict[str, tuple[int, dict[str, Any], list[Volume4D]]] = {}
    for i, feature in enumerate(features):
        fpath = at(path, i) if path else ""
        with prefixed(fpath):
            meta, volumes = _feature(feature)
        oid = meta.setdefault("id", str(uuid.uuid4()))
        if oid not in groups:
            groups[oid] = (i, meta, volumes)
            continue
        first, known, vols = groups[oid]
        for key, value in meta.items():
            if key in known and known[key] != value:
                raise ValidationError(
                    "INCONSISTENT_PROPERTY",
                    f"{key} differs from feature {first}, which has the same id {oid!r}",
                    at(at(fpath, "properties") if fpath else "properties", key),
                )
            known.setdefault(key, value)
        vols.extend(volumes)
    out: list[Zone | Operation] = []
    for first, meta, volumes in groups.values():
        fpath = at(path, first) if path else ""
        with prefixed(at(fpath, "properties") if fpath else "properties"):
            out.append(_build(meta, volumes, default_object, owner, default_state))
    return out


def _build(
    meta: dict[str, Any],
    volumes: list[Volume4D],
    default_object: str,
    owner: str | None,
    default_state: OperationState | str | None,
) -> Zone | Operation:
    kind = meta.pop("object", default_object)
    if kind not in ("zone", "operation"):
        raise ValidationError("BAD_OBJECT", f"object {kind!r} is not zone or operation", "object")
    wrong = (_OPERATION_ONLY if kind == "zone" else _ZONE_ONLY) & meta.keys()
    if wrong:
        raise ValidationError(
            "UNKNOWN_FIELD", f"{', '.join(sorted(wrong))} does not apply to a {kind}", min(wrong)
        )
    meta.setdefault("owner", owner)
    if meta["owner"] is None:
        raise ValidationError("MISSING_FIELD", "owner is required", "owner")
    if kind == "zone":
        severity: Severity = meta.pop("severity", "keep_out")
        return Zone(volumes=tuple(volumes), severity=severity, name=meta.pop("name", ""), **meta)
    if "state" not in meta:
        meta["state"] = state(default_state or OperationState.DRAFT, "state")
    return Operation(volumes=tuple(volumes), name=meta.pop("name", ""), **meta)


def _coords(outline: Outline) -> dict[str, Any]:
    if isinstance(outline, Circle):
        return {"type": "Point", "coordinates": [outline.lon, outline.lat]}
    if isinstance(outline, Corridor):
        return {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in outline.path]}
    rings = [[[lon, lat] for lat, lon in (*r, r[0])] for r in (outline.exterior, *outline.holes)]
    return {"type": "Polygon", "coordinates": rings}


def _properties(obj: Zone | Operation) -> dict[str, Any]:
    common = {"object": "zone" if isinstance(obj, Zone) else "operation", "id": obj.id,
              "name": obj.name, "owner": obj.owner, "version": obj.version,
              "buffer_m": obj.buffer_m}
    if isinstance(obj, Zone):
        return {**common, "allowed": sorted(obj.allowed), "severity": obj.severity}
    return {**common, "participants": sorted(obj.participants), "kind": obj.kind,
            "priority": obj.priority, "state": obj.state.value}


def to_geojson(objects: Iterable[Zone | Operation]) -> dict[str, Any]:
    """A FeatureCollection with one Feature per volume (circles as a Point and ``radius_m``)."""
    features = []
    for obj in objects:
        props = _properties(obj)
        for vol in obj.volumes:
            extra: dict[str, Any] = {}
            if isinstance(vol.outline, Circle):
                extra["radius_m"] = vol.outline.radius_m
            elif isinstance(vol.outline, Corridor):
                extra["half_width_m"] = vol.outline.half_width_m
            features.append({
                "type": "Feature",
                "geometry": _coords(vol.outline),
                "properties": {
                    **props, **extra,
                    "alt_lower_m": vol.alt_lower_m, "alt_upper_m": vol.alt_upper_m,
                    "time_start": iso_z(vol.time.start), "time_end": iso_z(vol.time.end),
                },
            })
    return {"type": "FeatureCollection", "features": features}
