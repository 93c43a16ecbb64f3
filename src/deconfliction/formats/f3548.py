"""ASTM F3548-21 ``Volume4D`` JSON, as in its OpenAPI file, to and from core volumes.

::

    {"volume": {"outline_circle": {"center": {"lat": 33.5, "lng": 38.6},
                                   "radius": {"value": 55000, "units": "M"}},
                "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
                "altitude_upper": {"value": 20000, "reference": "W84", "units": "M"}},
     "time_start": {"value": "2016-03-03T00:00:00Z", "format": "RFC3339"}}

Exactly one of ``outline_polygon`` / ``outline_circle``. Only metres (``M``) and the WGS84
ellipsoid (``W84``) are accepted, as the standard says (``UNSUPPORTED_UNITS``,
``UNSUPPORTED_REFERENCE``). Times must state their zone: the spec asks for ``Z``; other
offsets are accepted and converted to UTC. A missing altitude is the lowest/highest the
core accepts; a missing time is an open end. F3548 has no corridors and no polygon holes:
writing one is ``UNSUPPORTED_OUTLINE``.

>>> v = volume_from_f3548({"volume": {
...     "outline_circle": {"center": {"lat": 33.5, "lng": 38.6},
...                        "radius": {"value": 500, "units": "M"}},
...     "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
...     "altitude_upper": {"value": 100, "reference": "W84", "units": "FT"}}})
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: volume.altitude_upper.units: units 'FT' is not ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from deconfliction.core.errors import DeconflictionError, ValidationError
from deconfliction.core.limits import DEFAULT_LIMITS
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, LatLon, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.formats._fields import (
    at,
    center_part,
    finite,
    iso_z,
    mapping,
    number,
    prefixed,
    remapped,
    require,
    sequence,
    string,
    time_or_none,
)
from deconfliction.formats.native import object_with_volumes

__all__ = [
    "object_from_f3548",
    "volume_from_f3548",
    "volume_to_f3548",
    "volumes_from_f3548",
    "volumes_to_f3548",
]

# where the core's field names live in an F3548 Volume4D
_FIELDS = {
    "alt_lower_m": "volume.altitude_lower.value",
    "alt_upper_m": "volume.altitude_upper.value",
    "time_start": "time_start.value",
    "time_end": "time_end.value",
    "radius_m": "volume.outline_circle.radius.value",
}


def _enum(d: Mapping[str, object], key: str, allowed: str, code: str) -> None:
    value = string(require(d, key), key)
    if value != allowed:
        raise ValidationError(code, f"{key} {value!r} is not supported; use {allowed!r}", key)


def _point(value: object) -> LatLon:
    p = mapping(value, "")
    return (number(require(p, "lat"), "lat"), number(require(p, "lng"), "lng"))


def _outline(vol: Mapping[str, object]) -> Outline:
    has_polygon = vol.get("outline_polygon") is not None
    has_circle = vol.get("outline_circle") is not None
    if has_polygon == has_circle:
        raise ValidationError(
            "BAD_OUTLINE", "give exactly one of outline_polygon and outline_circle", ""
        )
    if has_polygon:
        with prefixed("outline_polygon"):
            poly = mapping(vol["outline_polygon"], "")
            vertices = sequence(require(poly, "vertices"), "vertices")
            points = []
            for i, v in enumerate(vertices):
                with prefixed(at("vertices", i)):
                    points.append(_point(v))
            with remapped(lambda e: "vertices" + (e.field or "")[len("exterior"):]):
                return Polygon(tuple(points))
    with prefixed("outline_circle"):
        circle = mapping(vol["outline_circle"], "")
        center, raw_radius = require(circle, "center"), require(circle, "radius")
        with prefixed("center"):
            lat, lon = _point(center)
        with prefixed("radius"):
            radius = mapping(raw_radius, "")
            _enum(radius, "units", "M", "UNSUPPORTED_UNITS")
            radius_m = number(require(radius, "value"), "value")
        with remapped(lambda e: "radius.value" if e.field == "radius_m"
                      else f"center.{center_part(e).replace('lon', 'lng')}"):
            return Circle(lat, lon, radius_m)


def _altitude(vol: Mapping[str, object], key: str, default: float) -> float:
    if vol.get(key) is None:
        return default
    with prefixed(key):
        alt = mapping(vol[key], "")
        _enum(alt, "reference", "W84", "UNSUPPORTED_REFERENCE")
        _enum(alt, "units", "M", "UNSUPPORTED_UNITS")
        return finite(require(alt, "value"), "value")


def _time(d: Mapping[str, object], key: str) -> datetime | None:
    if d.get(key) is None:
        return None
    with prefixed(key):
        t = mapping(d[key], "")
        _enum(t, "format", "RFC3339", "UNSUPPORTED_TIME_FORMAT")
        return time_or_none(require(t, "value"), "value")


def volume_from_f3548(data: object) -> Volume4D:
    """A core volume from an F3548 ``Volume4D`` (field paths relative to it)."""
    d = mapping(data, "")
    raw = require(d, "volume")
    with prefixed("volume"):
        vol = mapping(raw, "")
        outline = _outline(vol)
        lower = _altitude(vol, "altitude_lower", DEFAULT_LIMITS.min_alt_m)
        upper = _altitude(vol, "altitude_upper", DEFAULT_LIMITS.max_alt_m)
    start, end = _time(d, "time_start"), _time(d, "time_end")
    with remapped(_core_field):
        return Volume4D(outline, lower, upper, TimeInterval(start, end))


def _core_field(err: DeconflictionError) -> str | None:
    return _FIELDS.get(err.field or "", err.field)


def volume_to_f3548(volume: Volume4D) -> dict[str, Any]:
    """An F3548 ``Volume4D`` for a core volume (open time ends are left out)."""
    outline = volume.outline
    vol: dict[str, Any] = {}
    if isinstance(outline, Circle):
        vol["outline_circle"] = {
            "center": {"lat": outline.lat, "lng": outline.lon},
            "radius": {"value": outline.radius_m, "units": "M"},
        }
    elif isinstance(outline, Polygon) and not outline.holes:
        vol["outline_polygon"] = {"vertices": [{"lat": a, "lng": o} for a, o in outline.exterior]}
    else:
        what = "corridors" if isinstance(outline, Corridor) else "polygons with holes"
        raise ValidationError("UNSUPPORTED_OUTLINE", f"F3548 has no {what}", "outline")
    vol["altitude_lower"] = {"value": volume.alt_lower_m, "reference": "W84", "units": "M"}
    vol["altitude_upper"] = {"value": volume.alt_upper_m, "reference": "W84", "units": "M"}
    out: dict[str, Any] = {"volume": vol}
    for key, t in (("time_start", volume.time.start), ("time_end", volume.time.end)):
        if t is not None:
            out[key] = {"value": iso_z(t), "format": "RFC3339"}
    return out


def _items(data: object) -> tuple[list[object], str]:
    if isinstance(data, list):
        return data, ""
    d = mapping(data, "")
    for key in ("volumes", "extents"):
        if key in d:
            return sequence(d[key], key), key
    if "volume" in d:
        return [d], "volume"
    raise ValidationError("MISSING_FIELD", "volumes is required", "volumes")


def volumes_from_f3548(data: object) -> list[Volume4D]:
    """Volumes from a list of F3548 ``Volume4D``, ``{"volumes": [...]}`` (or ``extents``)."""
    items, path = _items(data)
    if path == "volume":
        return [volume_from_f3548(items[0])]
    out = []
    for i, item in enumerate(items):
        with prefixed(at(path, i)):
            out.append(volume_from_f3548(item))
    return out


def volumes_to_f3548(obj: Zone | Operation | Iterable[Volume4D]) -> dict[str, Any]:
    """``{"volumes": [...]}`` for an object or some volumes."""
    volumes = obj.volumes if isinstance(obj, Zone | Operation) else obj
    out = []
    for i, v in enumerate(volumes):
        with prefixed(at("volumes", i)):
            out.append(volume_to_f3548(v))
    return {"volumes": out}


def object_from_f3548(
    data: object,
    *,
    default_object: str = "operation",
    owner: str | None = None,
    default_state: OperationState | str | None = None,
    **metadata: object,
) -> Zone | Operation:
    """A zone or an operation with the volumes of an F3548 document.

    Its metadata (``id``, ``name``, ``allowed``, ``participants``, ``kind``, ``priority``,
    ``buffer_m``...) comes from the keyword arguments; a ``{"volumes": [...]}`` document may
    also carry ``id``, ``name``, ``owner`` and ``priority`` (as F3548's operational intent
    details do), which the keyword arguments override.
    """
    volumes = volumes_from_f3548(data)
    meta: dict[str, object] = {}
    if isinstance(data, Mapping):
        meta.update({k: data[k] for k in ("id", "name", "owner", "priority") if k in data})
    meta.update({k: v for k, v in metadata.items() if v is not None})
    if meta.get("object", default_object) == "zone":
        meta.pop("priority", None)
    return object_with_volumes(
        meta, volumes, default_object=default_object, owner=owner, default_state=default_state
    )
