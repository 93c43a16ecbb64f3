"""Request and response bodies, as pydantic models: they give the OpenAPI document its
shapes and refuse malformed requests early (types, sizes); the domain rules (geodesic
validity, times with zones, lifecycles) are then checked by the core, with its error codes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from deconfliction.core.limits import DEFAULT_LIMITS

__all__ = [
    "AnswerIn",
    "Circle",
    "Corridor",
    "ErrorOut",
    "OperationIn",
    "PartyIn",
    "Polygon",
    "StateIn",
    "TokenIn",
    "VolumeIn",
    "ZoneIn",
]

_MAX_V = DEFAULT_LIMITS.max_vertices
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
LatLonPair = Annotated[list[float], Field(min_length=2, max_length=2)]
PartyId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
ObjectId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Stamp = Annotated[str, Field(max_length=40, json_schema_extra={"format": "date-time"})]
Reason = Annotated[str, Field(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Circle(_Strict):
    """A geodesic circle: every point within ``radius_m`` metres of the centre."""

    type: Literal["circle"]
    lat: Lat
    lon: Lon
    radius_m: Annotated[float, Field(gt=0, le=10_000_000)]


class Polygon(_Strict):
    """A polygon of [lat, lon] vertices joined by geodesics, with optional holes."""

    type: Literal["polygon"]
    exterior: Annotated[list[LatLonPair], Field(min_length=3, max_length=_MAX_V)]
    holes: Annotated[list[Annotated[list[LatLonPair], Field(max_length=_MAX_V)]],
                     Field(max_length=100)] = []


class Corridor(_Strict):
    """A route of [lat, lon] points with everything within ``half_width_m`` of it."""

    type: Literal["corridor"]
    path: Annotated[list[LatLonPair], Field(min_length=2, max_length=_MAX_V)]
    half_width_m: Annotated[float, Field(gt=0, le=1_000_000)]


Outline = Annotated[Circle | Polygon | Corridor, Field(discriminator="type")]


class VolumeIn(_Strict):
    """An outline, an altitude band (m above the WGS84 ellipsoid) and a half-open UTC
    interval (``null`` for an open end)."""

    outline: Outline
    alt_lower_m: Annotated[float, Field(ge=-1_000, le=1_000_000)]
    alt_upper_m: Annotated[float, Field(ge=-1_000, le=1_000_000)]
    time_start: Stamp | None = None
    time_end: Stamp | None = None


class _ObjectIn(_Strict):
    id: ObjectId | None = None
    name: Annotated[str, Field(max_length=200)] = ""
    owner: PartyId | None = None
    buffer_m: Annotated[float, Field(ge=0, le=1_000_000)] = 0.0
    volumes: Annotated[list[VolumeIn], Field(min_length=1, max_length=100)]
    shared_with: Annotated[list[PartyId], Field(max_length=100)] | None = None
    version: Annotated[str, Field(max_length=64)] | None = None


class ZoneIn(_ObjectIn):
    """A zone to create or replace. ``version`` (or ``If-Match``) names the version an update
    replaces; ``clip_to`` clips its volumes to a country."""

    allowed: Annotated[list[PartyId], Field(max_length=100)] = []
    severity: Literal["keep_out", "protected", "notify"] = "keep_out"
    clip_to: Annotated[str, Field(min_length=1, max_length=100, description=(
        "keep only the part of the volumes inside this country (Natural Earth name, any "
        "case, or ISO 3166-1 numeric code): the zone is stored clipped, one polygon volume "
        "per piece"))] | None = None


class OperationIn(_ObjectIn):
    """An operation to create or replace. ``seen`` presents the versions of other parties'
    objects it meets (proof of awareness); ``override`` forces a conflicting write through
    with a written justification, which the affected parties are sent."""

    participants: Annotated[list[PartyId], Field(max_length=100)] = []
    kind: Literal["exercise", "live_fire", "flight", "convoy", "patrol", "naval", "other"] = (
        "other"
    )
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    state: Literal["draft", "proposed", "accepted"] = "draft"
    seen: Annotated[dict[ObjectId, Annotated[str, Field(max_length=64)]],
                    Field(max_length=10_000)] = {}
    override: Reason | None = None


class StateIn(_Strict):
    """A lifecycle transition."""

    state: Literal["draft", "proposed", "accepted", "active", "ended", "cancelled"]
    version: Annotated[str, Field(max_length=64)] | None = None
    override: Reason | None = None
    seen: Annotated[dict[ObjectId, Annotated[str, Field(max_length=64)]],
                    Field(max_length=10_000)] | None = None


class AnswerIn(_Strict):
    """An answer to a message: ``ack``, ``object`` or ``request-change`` (the last two with
    a reason)."""

    answer: Literal["ack", "object", "request-change"] = "ack"
    reason: Reason = ""


class PartyIn(_Strict):
    """A party to create (admin only)."""

    id: PartyId
    name: Annotated[str, Field(max_length=200)] = ""
    role: Literal["party", "admin"] = "party"
    contact: Annotated[str, Field(max_length=500)] = ""
    escalation_to: PartyId | None = None
    ack_window_s: Annotated[float, Field(gt=0, le=365 * 86400)] = 3600.0
    webhook_url: Annotated[str, Field(max_length=500)] | None = None
    interests: Annotated[list[VolumeIn], Field(max_length=100)] = []


class TokenIn(_Strict):
    """Ask for a JWT with (a subset of) the caller's scopes."""

    scopes: Annotated[list[str], Field(max_length=20)] | None = None


class ErrorOut(BaseModel):
    """Every error: a stable code, a message and the field to blame."""

    code: str
    message: str
    field: str | None = None


def dump(model: BaseModel, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A request model as native JSON data, less the service-only keys in ``drop``."""
    return model.model_dump(exclude=set(drop), exclude_none=True)
