"""Request bodies of the DSS, read and checked against the standard's rules and the
:mod:`~deconfliction.dss.limits`; anything wrong is a :class:`~.errors.DssError` (400, or
413 for an area too large) naming the field.

>>> from datetime import datetime, UTC
>>> vol = {"volume": {"outline_circle": {"center": {"lat": 33.5, "lng": 38.6},
...        "radius": {"value": 300_000, "units": "M"}}}}
>>> area_of_interest({"area_of_interest": vol}).volumes[0].outline.radius_m  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
deconfliction.dss.errors.DssError: area_of_interest: the area is too large (600000 m across; ...)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconfliction.core.errors import DeconflictionError
from deconfliction.core.objects import Zone
from deconfliction.core.outline import Circle, Polygon
from deconfliction.core.volume import Volume4D
from deconfliction.dss.errors import DssError, from_domain
from deconfliction.dss.limits import DSS_LIMITS, DssLimits
from deconfliction.dss.refs import is_uuid4
from deconfliction.formats.f3548 import volume_from_f3548

__all__ = ["Extents", "area_of_interest", "entity", "extents", "flag", "probe", "url"]

_R_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Extents:
    """Volumes read from a request, with their F3548 JSON."""

    volumes: tuple[Volume4D, ...]
    json: list[dict[str, Any]]


def _bad(message: str, code: str = "BAD_REQUEST") -> DssError:
    return DssError(400, message, code)


def body_of(data: object) -> Mapping[str, Any]:
    """The request body, which must be a JSON object."""
    if not isinstance(data, Mapping):
        raise _bad("the request body must be a JSON object")
    return data


def entity(value: str, what: str = "entityid") -> str:
    """A path id, which must be a UUIDv4."""
    if not is_uuid4(value):
        raise _bad(f"{what} must be a UUIDv4, got {value!r}", "BAD_ID")
    return value


def _span_m(v: Volume4D) -> float:
    o = v.outline
    if isinstance(o, Circle):
        return 2 * o.radius_m
    assert isinstance(o, Polygon)
    lat0, lon0 = o.exterior[0]
    far = 0.0
    for lat, lon in o.exterior[1:]:
        p1, p2 = math.radians(lat0), math.radians(lat)
        h = (math.sin((p2 - p1) / 2) ** 2
             + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon - lon0) / 2) ** 2)
        far = max(far, 2 * _R_M * math.asin(min(1.0, math.sqrt(h))))
    return far


def _volume(raw: object, field: str, limits: DssLimits, *, complete: bool) -> Volume4D:
    if not isinstance(raw, Mapping):
        raise _bad(f"{field}: expected a Volume4D object")
    vol = raw.get("volume")
    if isinstance(vol, Mapping):
        poly = vol.get("outline_polygon")
        if isinstance(poly, Mapping):
            vertices = poly.get("vertices")
            if isinstance(vertices, list) and len(vertices) > limits.max_vertices:
                raise _bad(f"{field}: {len(vertices)} vertices; at most {limits.max_vertices}",
                           "TOO_MANY_VERTICES")
        if complete:
            for key in ("altitude_lower", "altitude_upper"):
                if vol.get(key) is None:
                    raise _bad(f"{field}.volume.{key} is required", "MISSING_FIELD")
    if complete:
        for key in ("time_start", "time_end"):
            if raw.get(key) is None:
                raise _bad(f"{field}.{key} is required", "MISSING_FIELD")
    try:
        v = volume_from_f3548(raw)
    except DeconflictionError as err:
        e = from_domain(err)
        raise DssError(400, f"{field}: {e.message}", e.code) from None
    span = _span_m(v)
    if span > limits.max_span_m:
        raise DssError(413, f"{field}: the area is too large ({span:.0f} m across; at most "
                       f"{limits.max_span_m:.0f} m)", "AREA_TOO_LARGE")
    return v


def extents(body: Mapping[str, Any], now: datetime, *, limits: DssLimits = DSS_LIMITS,
            key: str = "extents") -> Extents:
    """A write's ``extents``: one or more complete volumes that end in the future, within
    the planning horizon."""
    raw = body.get(key)
    if not isinstance(raw, list) or not raw:
        raise _bad(f"{key}: one or more Volume4D are required", "MISSING_FIELD")
    if len(raw) > limits.max_extents:
        raise _bad(f"{key}: {len(raw)} volumes; at most {limits.max_extents}",
                   "TOO_MANY_VOLUMES")
    volumes = tuple(_volume(v, f"{key}[{i}]", limits, complete=True)
                    for i, v in enumerate(raw))
    now_s = now.timestamp()
    end_s = max(v.time.end_s for v in volumes)
    if end_s <= now_s:
        raise _bad(f"{key}: the end time may not be in the past", "ENDS_IN_PAST")
    if end_s - now_s > limits.max_horizon_s:
        raise _bad(f"{key}: ends more than {limits.max_horizon_s / 86400:.0f} days ahead",
                   "BEYOND_HORIZON")
    return Extents(volumes, [dict(v) for v in raw])


def area_of_interest(body: Mapping[str, Any], *, limits: DssLimits = DSS_LIMITS) -> Zone:
    """A query's ``area_of_interest`` as a probe zone (any altitude or time when absent)."""
    raw = body.get("area_of_interest")
    if raw is None:
        raise _bad("area_of_interest is required", "MISSING_FIELD")
    return probe((_volume(raw, "area_of_interest", limits, complete=False),))


def probe(volumes: tuple[Volume4D, ...]) -> Zone:
    """A zone over ``volumes`` to ask the engine what they meet."""
    return Zone(id="dss-probe", name="", owner="dss-probe", volumes=volumes)


def url(body: Mapping[str, Any], key: str = "uss_base_url") -> str:
    """A USS base URL: http(s), no trailing slash."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(f"{key} is required", "MISSING_FIELD")
    if not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise _bad(f"{key} must be an http(s) URL of at most 2048 characters", "BAD_URL")
    if value.endswith("/"):
        raise _bad(f"{key} may not end with '/'", "BAD_URL")
    return value


def flag(body: Mapping[str, Any], key: str) -> bool:
    """A boolean field (false when absent)."""
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise _bad(f"{key} must be true or false", "BAD_FIELD")
    return value
