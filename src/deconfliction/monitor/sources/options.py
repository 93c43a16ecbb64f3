"""How a file's columns become a :class:`~deconfliction.monitor.batch.TrackBatch`.

Column names (the first one present wins; ``columns=`` maps any field to another name):

========== ================================================ ===============================
field      columns looked for                               unit when not told otherwise
========== ================================================ ===============================
time       ``timestamp``, ``time``, ``t_s``, ``ts``         epoch seconds or ISO 8601
id         ``icao24``, ``hex``, ``mmsi``, ``id``            (a row without one: ``callsign``)
callsign   ``callsign``, ``flight``
lat / lon  ``latitude``/``lat``, ``longitude``/``lon``/``lng``  degrees
alt        geometric: ``geoaltitude`` (m), ``alt_geom`` (ft),  see below
           ``alt_m`` (m); barometric: ``baroaltitude`` (m),
           ``altitude`` (ft), ``alt_baro`` (ft)
speed      ``groundspeed`` (kt), ``gs`` (kt), ``velocity`` (m/s), ``speed_mps`` (m/s)
heading    ``track``, ``true_track``, ``heading``, ``heading_deg``, ``cog``  degrees (true)
party      ``party``;  operation: ``operation``
========== ================================================ ===============================

``altitude_unit`` / ``speed_unit`` override the per-column unit for every altitude / speed
column (needed for a column named by ``columns=``, which is otherwise taken as metres and
m/s).

**Altitude datum.** The monitor wants metres above the WGS84 ellipsoid. A geometric column
(GNSS height; ADS-B reports it as height above the ellipsoid, HAE, per DO-260B) is used as is
and is preferred wherever a row has it; a row without it falls back to the barometric column,
to which ``msl_to_ellipsoid_m`` is added. That offset stands for the geoid undulation (EGM96
N, about +20 m around At Tanf; it is 0 by default because it depends on where the data is).
Barometric altitude is pressure altitude, not a height: it can be off by hundreds of metres
on a non-standard day, which no constant corrects; prefer geometric data where it matters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from deconfliction.core.errors import ValidationError

__all__ = ["FIELDS", "KNOWN_NAMES", "AltSource", "Plan", "ReadOptions", "ReadStats", "RowError",
           "resolve"]

AltUnit = Literal["ft", "m"]
SpeedUnit = Literal["kt", "mps"]
FT_M = 0.3048
KT_MPS = 1852.0 / 3600.0

FIELDS = ("time", "id", "callsign", "lat", "lon", "alt", "speed", "heading", "party",
          "operation")
_NAMES: dict[str, tuple[str, ...]] = {
    "time": ("timestamp", "time", "t_s", "ts"),
    "id": ("icao24", "hex", "mmsi", "id"),
    "callsign": ("callsign", "flight"),
    "lat": ("latitude", "lat"),
    "lon": ("longitude", "lon", "lng"),
    "heading": ("track", "true_track", "heading", "heading_deg", "cog"),
    "party": ("party",),
    "operation": ("operation",),
}
# (column, unit, geometric?) in order of preference within each kind.
_ALTS: tuple[tuple[str, AltUnit, bool], ...] = (
    ("geoaltitude", "m", True), ("alt_geom", "ft", True), ("alt_m", "m", True),
    ("baroaltitude", "m", False), ("altitude", "ft", False), ("alt_baro", "ft", False),
)
_SPEEDS: tuple[tuple[str, SpeedUnit], ...] = (
    ("groundspeed", "kt"), ("gs", "kt"), ("velocity", "mps"), ("speed_mps", "mps"),
)

KNOWN_NAMES = tuple(dict.fromkeys(
    [n for names in _NAMES.values() for n in names] + [a[0] for a in _ALTS]
    + [s[0] for s in _SPEEDS]))


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file of reports (see the module doc for names, units and datums)."""

    chunk_size: int = 65_536
    columns: Mapping[str, str] = field(default_factory=dict)
    altitude_unit: AltUnit | None = None
    speed_unit: SpeedUnit | None = None
    msl_to_ellipsoid_m: float = 0.0
    party: str = ""
    operation: str = ""
    naive_time_utc: bool = False
    skip_bad: bool = False

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValidationError("BAD_OPTION", "chunk_size must be at least 1", "chunk_size")
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            raise ValidationError("BAD_OPTION", f"unknown fields {unknown}; known: {FIELDS}",
                                  "columns")


@dataclass
class ReadStats:
    """What a reader did: rows seen, reports produced, rows skipped by error code."""

    rows: int = 0
    reports: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class RowError(ValidationError):
    """One row of a file is refused; ``line`` is its 1-based line (or row) number."""

    def __init__(self, code: str, message: str, column: str, line: int,
                 where: str = "line") -> None:
        super().__init__(code, message, f"{where} {line}: {column}")
        self.line = line
        self.column = column


@dataclass(frozen=True)
class AltSource:
    """An altitude column: metres = value * scale + offset."""

    column: str
    scale: float
    offset: float


@dataclass(frozen=True)
class Plan:
    """Which source column feeds each field."""

    time: str
    lat: str
    lon: str
    id: str | None = None
    callsign: str | None = None
    alts: tuple[AltSource, ...] = ()
    speed: tuple[str, float] | None = None
    heading: str | None = None
    party: str | None = None
    operation: str | None = None

    @property
    def text_columns(self) -> set[str]:
        """The source columns read as text (ids, names)."""
        return {c for c in (self.id, self.callsign, self.party, self.operation) if c is not None}

    @property
    def columns(self) -> list[str]:
        """Every source column the plan reads."""
        out = [self.time, self.lat, self.lon, *(a.column for a in self.alts)]
        out += [c for c in (self.id, self.callsign, self.heading, self.party, self.operation)
                if c is not None]
        if self.speed is not None:
            out.append(self.speed[0])
        return list(dict.fromkeys(out))


def _pick(target: str, names: Collection[str], options: ReadOptions) -> str | None:
    if target in options.columns:
        col = options.columns[target]
        if col not in names:
            raise ValidationError("MISSING_COLUMN", f"column {col!r} (for {target}) is absent",
                                  target)
        return col
    return next((n for n in _NAMES[target] if n in names), None)


def resolve(names: Collection[str], options: ReadOptions) -> Plan:
    """The plan for a file whose columns are ``names``; ``MISSING_COLUMN`` if one is needed.

    >>> p = resolve(["time", "icao24", "lat", "lon", "altitude", "groundspeed"], ReadOptions())
    >>> p.alts[0].column, round(p.alts[0].scale, 4), p.speed[0], round(p.speed[1], 4)
    ('altitude', 0.3048, 'groundspeed', 0.5144)
    """
    picked = {t: _pick(t, names, options) for t in _NAMES}
    for need in ("time", "lat", "lon"):
        if picked[need] is None:
            raise ValidationError("MISSING_COLUMN", f"no {need} column among {sorted(names)}",
                                  need)
    if picked["id"] is None and picked["callsign"] is None:
        raise ValidationError("MISSING_COLUMN", "no icao24 (or other id) nor callsign column",
                              "id")
    ft = {"ft": FT_M, "m": 1.0}
    alts: list[AltSource] = []
    if "alt" in options.columns:
        col = options.columns["alt"]
        if col not in names:
            raise ValidationError("MISSING_COLUMN", f"column {col!r} (for alt) is absent", "alt")
        alts.append(AltSource(col, ft[options.altitude_unit or "m"], 0.0))
    else:
        for geometric in (True, False):
            for col, unit, geo in _ALTS:
                if geo == geometric and col in names:
                    offset = 0.0 if geo else options.msl_to_ellipsoid_m
                    alts.append(AltSource(col, ft[options.altitude_unit or unit], offset))
                    break
    kt = {"kt": KT_MPS, "mps": 1.0}
    speed: tuple[str, float] | None = None
    if "speed" in options.columns:
        col = options.columns["speed"]
        if col not in names:
            raise ValidationError("MISSING_COLUMN", f"column {col!r} (for speed) is absent",
                                  "speed")
        speed = (col, kt[options.speed_unit or "mps"])
    else:
        for col, sunit in _SPEEDS:
            if col in names:
                speed = (col, kt[options.speed_unit or sunit])
                break
    time_col, lat_col, lon_col = picked["time"], picked["lat"], picked["lon"]
    assert time_col is not None and lat_col is not None and lon_col is not None
    return Plan(time=time_col, lat=lat_col, lon=lon_col, id=picked["id"],
                callsign=picked["callsign"], alts=tuple(alts), speed=speed,
                heading=picked["heading"], party=picked["party"],
                operation=picked["operation"])
