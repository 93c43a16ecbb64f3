"""The canonical JSON form of zones, operations and volumes: a lossless round trip.

A volume is ``{"outline", "alt_lower_m", "alt_upper_m", "time_start", "time_end"}`` with
times as ISO 8601 UTC strings (``null`` for an open end). Outlines are::

    {"type": "circle", "lat": 33.5, "lon": 38.6, "radius_m": 55000.0}
    {"type": "polygon", "exterior": [[lat, lon], ...], "holes": [[[lat, lon], ...], ...]}
    {"type": "corridor", "path": [[lat, lon], ...], "half_width_m": 1000.0}

An object adds ``"object": "zone" | "operation"``, ``id``, ``name``, ``owner``,
``version``, ``buffer_m`` and ``allowed`` + ``severity`` (zones) or ``participants``,
``kind``, ``priority`` + ``state`` (operations). Unknown keys are refused
(``UNKNOWN_FIELD``): a misspelt optional key must not pass silently.

A zone may name a country, ``"clip_to": "Syria"`` (or its numeric code, ``"760"``): its
volumes are then clipped to that country (:mod:`deconfliction.core.clip`) with the borders
the caller passes (``borders``; without them ``BORDERS_UNAVAILABLE``). A clipped zone is
written with the country's name in ``clip_to`` and the volumes it was clipped from in
``unclipped``; read back, it is taken as it is, not clipped again. Zones that are not
clipped have neither key, so their canonical form is unchanged.

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Zone
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> zone = Zone(id="at-tanf", name="At Tanf", owner="coalition", allowed=frozenset({"mat"}),
...     volumes=(Volume4D(Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0,
...              TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None)),))
>>> d = zone_to_dict(zone)
>>> d["volumes"][0]["outline"], d["volumes"][0]["time_start"]
({'type': 'circle', 'lat': 33.50583, 'lon': 38.61778, 'radius_m': 55000.0}, '2016-03-03T00:00:00Z')
>>> zone_from_dict(d) == zone
True
>>> volume_from_dict({**d["volumes"][0], "alt_lower_m": "0"})
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: alt_lower_m: expected a number, got a string
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, cast

from deconfliction.core.borders import Atlas
from deconfliction.core.clip import clip_zone
from deconfliction.core.errors import DeconflictionError, ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone, new_version
from deconfliction.core.outline import Circle, Corridor, LatLon, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.formats._fields import (
    at,
    center_part,
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

__all__ = [
    "object_from_dict",
    "object_to_dict",
    "object_with_volumes",
    "objects_from_native",
    "operation_from_dict",
    "operation_to_dict",
    "outline_from_dict",
    "outline_to_dict",
    "volume_from_dict",
    "volume_to_dict",
    "zone_from_dict",
    "zone_to_dict",
]

Severity = Literal["keep_out", "protected", "notify"]
#: gives the country borders when a zone asks to be clipped (read only then)
Borders = Callable[[], Atlas]

_VOLUME_KEYS = frozenset({"outline", "alt_lower_m", "alt_upper_m", "time_start", "time_end"})
_COMMON_KEYS = frozenset({"object", "id", "name", "owner", "version", "buffer_m", "volumes"})
_ZONE_KEYS = _COMMON_KEYS | {"allowed", "severity", "clip_to", "unclipped"}
_OPERATION_KEYS = _COMMON_KEYS | {"participants", "kind", "priority", "state"}
_OUTLINE_KEYS = {
    "circle": frozenset({"type", "lat", "lon", "radius_m"}),
    "polygon": frozenset({"type", "exterior", "holes"}),
    "corridor": frozenset({"type", "path", "half_width_m"}),
}


def _get(d: Mapping[str, object], key: str, default: object) -> object:
    """``d[key]``, or ``default`` when it is absent or ``null``."""
    value = d.get(key)
    return default if value is None else value


def _known(data: Mapping[str, object], keys: frozenset[str]) -> None:
    for key in data:
        if key not in keys:
            raise ValidationError(
                "UNKNOWN_FIELD", f"unknown field {key!r}; expected {', '.join(sorted(keys))}", key
            )


# -- outlines ---------------------------------------------------------------------------


def _pairs(value: object, field: str) -> tuple[LatLon, ...]:
    out = []
    for i, item in enumerate(sequence(value, field)):
        pair = sequence(item, at(field, i))
        if len(pair) != 2:
            raise ValidationError("BAD_COORDINATE", "expected a [lat, lon] pair", at(field, i))
        out.append((number(pair[0], at(at(field, i), 0)), number(pair[1], at(at(field, i), 1))))
    return tuple(out)


def outline_to_dict(outline: Outline) -> dict[str, Any]:
    """The outline as canonical JSON data."""
    if isinstance(outline, Circle):
        return {"type": "circle", "lat": outline.lat, "lon": outline.lon,
                "radius_m": outline.radius_m}
    if isinstance(outline, Polygon):
        return {"type": "polygon", "exterior": [list(p) for p in outline.exterior],
                "holes": [[list(p) for p in h] for h in outline.holes]}
    return {"type": "corridor", "path": [list(p) for p in outline.path],
            "half_width_m": outline.half_width_m}


def outline_from_dict(data: object) -> Outline:
    """An outline from canonical JSON data (field paths relative to the outline)."""
    d = mapping(data, "")
    kind = string(require(d, "type"), "type")
    if kind not in _OUTLINE_KEYS:
        raise ValidationError(
            "BAD_OUTLINE", f"outline type {kind!r} is not circle, polygon or corridor", "type"
        )
    _known(d, _OUTLINE_KEYS[kind])
    if kind == "circle":
        lat, lon = number(require(d, "lat"), "lat"), number(require(d, "lon"), "lon")
        radius_m = number(require(d, "radius_m"), "radius_m")
        with remapped(lambda e: center_part(e) if e.field == "center" else e.field):
            return Circle(lat, lon, radius_m)
    if kind == "polygon":
        holes = sequence(d.get("holes") or [], "holes")
        return Polygon(
            _pairs(require(d, "exterior"), "exterior"),
            tuple(_pairs(h, at("holes", i)) for i, h in enumerate(holes)),
        )
    return Corridor(
        _pairs(require(d, "path"), "path"), number(require(d, "half_width_m"), "half_width_m")
    )


# -- volumes ----------------------------------------------------------------------------


def volume_to_dict(volume: Volume4D) -> dict[str, Any]:
    """The volume as canonical JSON data."""
    return {
        "outline": outline_to_dict(volume.outline),
        "alt_lower_m": volume.alt_lower_m,
        "alt_upper_m": volume.alt_upper_m,
        "time_start": iso_z(volume.time.start),
        "time_end": iso_z(volume.time.end),
    }


def volume_from_dict(data: object) -> Volume4D:
    """A volume from canonical JSON data (missing times are open ends)."""
    d = mapping(data, "")
    _known(d, _VOLUME_KEYS)
    raw_outline = require(d, "outline")
    with prefixed("outline"):
        outline = outline_from_dict(raw_outline)
    lower = finite(require(d, "alt_lower_m"), "alt_lower_m")
    upper = finite(require(d, "alt_upper_m"), "alt_upper_m")
    start = time_or_none(d.get("time_start"), "time_start")
    end = time_or_none(d.get("time_end"), "time_end")
    return Volume4D(outline, lower, upper, TimeInterval(start, end))


def _volumes(d: Mapping[str, object], key: str = "volumes") -> tuple[Volume4D, ...]:
    items = sequence(require(d, key), key)
    out = []
    for i, item in enumerate(items):
        with prefixed(at(key, i)):
            out.append(volume_from_dict(item))
    return tuple(out)


# -- objects ----------------------------------------------------------------------------


def _common(d: Mapping[str, object], owner: str | None) -> dict[str, Any]:
    given_owner = _get(d, "owner", owner)
    if given_owner is None:
        raise ValidationError("MISSING_FIELD", "owner is required", "owner")
    version = d.get("version")
    version = new_version() if version is None else string(version, "version")
    if not version:
        raise ValidationError("BAD_VERSION", "version must not be empty", "version")
    obj_id = d.get("id")
    return {
        "id": str(uuid.uuid4()) if obj_id is None else string(obj_id, "id"),
        "name": string(_get(d, "name", ""), "name"),
        "owner": string(given_owner, "owner"),
        "version": version,
        "buffer_m": finite(_get(d, "buffer_m", 0.0), "buffer_m"),
    }


def _zone(d: Mapping[str, object], volumes: tuple[Volume4D, ...], owner: str | None,
          borders: Borders | None = None) -> Zone:
    _known(d, _ZONE_KEYS)
    _expect_object(d, "zone")
    common = _common(d, owner)
    allowed = frozenset(string_list(_get(d, "allowed", []), "allowed"))
    severity = cast(Severity, string(_get(d, "severity", "keep_out"), "severity"))
    clip_to = d.get("clip_to")
    if d.get("unclipped") is not None:  # stored clipped: taken as it is
        return Zone(allowed=allowed, severity=severity, volumes=volumes,
                    clip_to=string(require(d, "clip_to"), "clip_to"),
                    unclipped=_volumes(d, "unclipped"), **common)
    zone = Zone(allowed=allowed, severity=severity, volumes=volumes, **common)
    if clip_to is None:
        return zone
    key = string(clip_to, "clip_to")
    if borders is None:
        raise DeconflictionError("BORDERS_UNAVAILABLE", "no country borders to clip to",
                                 "clip_to")
    return clip_zone(zone, borders().country(key))


def _operation(
    d: Mapping[str, object],
    volumes: tuple[Volume4D, ...],
    owner: str | None,
    default_state: OperationState | str | None,
) -> Operation:
    _known(d, _OPERATION_KEYS)
    _expect_object(d, "operation")
    common = _common(d, owner)
    raw_state = _get(d, "state", default_state or OperationState.DRAFT)
    return Operation(
        participants=frozenset(string_list(_get(d, "participants", []), "participants")),
        kind=string(_get(d, "kind", "other"), "kind"),
        priority=integer(_get(d, "priority", 0), "priority"),
        state=state(raw_state, "state"),
        volumes=volumes,
        **common,
    )


def object_with_volumes(
    metadata: Mapping[str, object],
    volumes: Iterable[Volume4D],
    *,
    default_object: str | None = None,
    owner: str | None = None,
    default_state: OperationState | str | None = None,
    borders: Borders | None = None,
) -> Zone | Operation:
    """A zone or an operation from canonical metadata (no ``volumes`` key) and ``volumes``."""
    if "volumes" in metadata:
        raise ValidationError("UNKNOWN_FIELD", "volumes are given separately", "volumes")
    kind = _kind(metadata, default_object)
    vols = tuple(volumes)
    if kind == "zone":
        return _zone(metadata, vols, owner, borders)
    return _operation(metadata, vols, owner, default_state)


def _kind(d: Mapping[str, object], default_object: str | None) -> str:
    kind = _get(d, "object", default_object)
    if kind is None:
        raise ValidationError("MISSING_FIELD", "object is required", "object")
    if kind not in ("zone", "operation"):
        raise ValidationError(
            "BAD_OBJECT", f"object {kind!r} is not 'zone' or 'operation'", "object"
        )
    return str(kind)


def zone_to_dict(zone: Zone) -> dict[str, Any]:
    """The zone as canonical JSON data."""
    out = {
        "object": "zone", "id": zone.id, "name": zone.name, "owner": zone.owner,
        "version": zone.version, "allowed": sorted(zone.allowed), "buffer_m": zone.buffer_m,
        "severity": zone.severity, "volumes": [volume_to_dict(v) for v in zone.volumes],
    }
    if zone.clip_to is not None:
        out["clip_to"] = zone.clip_to
        out["unclipped"] = [volume_to_dict(v) for v in zone.unclipped]
    return out


def zone_from_dict(data: object, *, owner: str | None = None,
                   borders: Borders | None = None) -> Zone:
    """A zone from canonical JSON data; ``owner`` is used when the data names none;
    ``borders`` when it asks to be clipped (``clip_to`` without ``unclipped``)."""
    d = mapping(data, "")
    _known(d, _ZONE_KEYS)
    return _zone(d, _volumes(d), owner, borders)


def operation_to_dict(op: Operation) -> dict[str, Any]:
    """The operation as canonical JSON data."""
    return {
        "object": "operation", "id": op.id, "name": op.name, "owner": op.owner,
        "version": op.version, "participants": sorted(op.participants), "kind": op.kind,
        "priority": op.priority, "state": op.state.value, "buffer_m": op.buffer_m,
        "volumes": [volume_to_dict(v) for v in op.volumes],
    }


def operation_from_dict(
    data: object, *, owner: str | None = None, default_state: OperationState | str | None = None
) -> Operation:
    """An operation from canonical JSON data.

    ``owner`` and ``default_state`` are used when the data names none (the state defaults to
    ``draft``).
    """
    d = mapping(data, "")
    _known(d, _OPERATION_KEYS)
    return _operation(d, _volumes(d), owner, default_state)


def _expect_object(d: Mapping[str, object], kind: str) -> None:
    given = _get(d, "object", kind)
    if given != kind:
        raise ValidationError("WRONG_OBJECT", f"expected a {kind}, got {given!r}", "object")


def object_to_dict(obj: Zone | Operation) -> dict[str, Any]:
    """:func:`zone_to_dict` or :func:`operation_to_dict`."""
    return zone_to_dict(obj) if isinstance(obj, Zone) else operation_to_dict(obj)


def object_from_dict(
    data: object,
    *,
    default_object: str | None = None,
    owner: str | None = None,
    default_state: OperationState | str | None = None,
    borders: Borders | None = None,
) -> Zone | Operation:
    """A zone or an operation, by its ``"object"`` key (``default_object`` when absent)."""
    d = mapping(data, "")
    if _kind(d, default_object) == "zone":
        return zone_from_dict(d, owner=owner, borders=borders)
    return operation_from_dict(d, owner=owner, default_state=default_state)


def objects_from_native(
    data: object,
    *,
    default_object: str | None = None,
    owner: str | None = None,
    default_state: OperationState | str | None = None,
    borders: Borders | None = None,
) -> list[Zone | Operation]:
    """Objects from one object, a list of them or ``{"objects": [...]}``; ids must be unique."""
    if isinstance(data, Mapping) and "objects" in data and "volumes" not in data:
        items, path = sequence(data["objects"], "objects"), "objects"
    elif isinstance(data, list):
        items, path = data, ""
    else:
        return [object_from_dict(data, default_object=default_object, owner=owner,
                                 default_state=default_state, borders=borders)]
    out: list[Zone | Operation] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        with prefixed(at(path, i)):
            obj = object_from_dict(item, default_object=default_object, owner=owner,
                                   default_state=default_state, borders=borders)
            if obj.id in seen:
                raise ValidationError("DUPLICATE_ID", f"id {obj.id!r} appears twice", "id")
        seen.add(obj.id)
        out.append(obj)
    return out
