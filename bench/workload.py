"""A seeded, reproducible workload of zones and operations over the Middle East.

Shared by the benchmarks: :func:`generate` returns core objects (for the engine) and one flat
:class:`VolumeRow` per volume (for the PostGIS and shapely baselines), built from the same
draws so every baseline sees exactly the same shapes, times, altitudes, buffers and parties.

The mix, per stored object: ~40 % zones (mostly open-ended in time, surface to some ceiling),
~60 % operations in state ``proposed`` (so they are binding), a tenth of those in two or three
phases (volumes). Outlines: ~60 % geodesic circles (200 m – 60 km, skewed to small), ~37 %
polygons (4–16 vertices, half convex and half concave, 1–80 km across), ~3 % corridors.
About 45 % of objects cluster around a few dozen places, so checks placed there find real
conflicts; the rest are spread uniformly over lat 12–42, lon 25–63.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from pyproj import Geod

from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

__all__ = ["HOTSPOTS", "PARTIES", "VolumeRow", "Workload", "generate", "generate_checks"]

LAT_RANGE = (12.0, 42.0)
LON_RANGE = (25.0, 63.0)
MONTH_START = datetime(2025, 3, 1, tzinfo=UTC)
MONTH_S = 31 * 86_400.0
PARTIES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
#: (lat, lon) of places where activity concentrates
HOTSPOTS = (
    (33.51, 38.62), (33.51, 36.29), (36.20, 37.13), (35.33, 40.14), (34.55, 38.27),
    (33.31, 44.37), (36.34, 43.13), (30.51, 47.78), (29.37, 47.98), (31.95, 35.93),
    (32.08, 34.78), (33.89, 35.50), (24.71, 46.68), (21.49, 39.19), (25.29, 51.53),
    (25.20, 55.27), (23.59, 58.41), (26.23, 50.59), (15.37, 44.19), (12.79, 45.02),
    (35.69, 51.39), (32.65, 51.67), (38.08, 46.29), (30.04, 31.24), (39.93, 32.86),
    (37.00, 35.32), (27.18, 56.27), (29.61, 52.53),
)
HOTSPOT_SIGMA_DEG = 0.6
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, slots=True)
class VolumeRow:
    """One stored volume, flat: what a database row or a naive loop would hold."""

    obj_id: str
    vol: int
    kind: str  # "zone" | "operation"
    owner: str
    parties: frozenset[str]  # a zone's allowed parties, an operation's participants
    buffer_m: float
    shape: str  # "circle" | "polygon" | "corridor"
    #: (lat, lon) vertices: the centre of a circle, a polygon's ring, a corridor's path
    points: tuple[tuple[float, float], ...]
    radius_m: float  # a circle's radius, a corridor's half width, 0 for a polygon
    t0: float  # epoch seconds, -inf when open
    t1: float  # epoch seconds, +inf when open
    alt_lower_m: float
    alt_upper_m: float


@dataclass
class Workload:
    """Stored objects and their volume rows, and operations to check against them."""

    objects: list[Zone | Operation]
    rows: list[VolumeRow]
    checks: list[Operation]
    check_rows: list[list[VolumeRow]]
    warmup: list[Operation]
    warmup_rows: list[list[VolumeRow]]
    seed: int

    def fresh_checks(self) -> list[Operation]:
        """The same checks again as new objects (nothing cached on their outlines yet)."""
        return generate_checks(np.random.default_rng(self.seed + 1), len(self.checks), "q")

    def counts(self) -> dict[str, int]:
        """How many of each kind of object and outline."""
        out = {
            "objects": len(self.objects),
            "zones": sum(isinstance(o, Zone) for o in self.objects),
            "operations": sum(isinstance(o, Operation) for o in self.objects),
            "volumes": len(self.rows),
            "buffered_objects": sum(o.buffer_m > 0 for o in self.objects),
            "open_ended_volumes": sum(math.isinf(r.t1) for r in self.rows),
        }
        for shape in ("circle", "polygon", "corridor"):
            out[f"{shape}_volumes"] = sum(r.shape == shape for r in self.rows)
        out["checks"] = len(self.checks)
        out["check_volumes"] = sum(len(r) for r in self.check_rows)
        return out


class _Draw:
    """Random draws of outlines, altitude bands, time windows and parties."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def centre(self, dense_p: float) -> tuple[float, float]:
        rng = self.rng
        if rng.random() < dense_p:
            lat0, lon0 = HOTSPOTS[int(rng.integers(len(HOTSPOTS)))]
            lat = lat0 + rng.normal(0.0, HOTSPOT_SIGMA_DEG)
            lon = lon0 + rng.normal(0.0, HOTSPOT_SIGMA_DEG / math.cos(math.radians(lat0)))
        else:
            lat, lon = rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)
        return float(np.clip(lat, *LAT_RANGE)), float(np.clip(lon, *LON_RANGE))

    def circle(self, lat: float, lon: float) -> Circle:
        u = self.rng.random()
        return Circle(lat, lon, round(200.0 * 300.0 ** (u**1.5), 1))  # 200 m – 60 km

    def polygon(self, lat: float, lon: float) -> Polygon:
        rng = self.rng
        across_m = 1_000.0 * 80.0 ** (rng.random() ** 1.3)  # 1 – 80 km
        n = int(rng.integers(4, 17))
        step = 360.0 / n
        az = (rng.uniform(0.0, 360.0) + step * (np.arange(n) + rng.uniform(-0.3, 0.3, n))) % 360
        if rng.random() < 0.5:  # convex: vertices on a circle, in order of azimuth
            dist = np.full(n, across_m / 2)
        else:  # concave: star-shaped around the centre
            dist = across_m / 2 * rng.uniform(0.3, 1.0, n)
            dist[int(rng.integers(n))] = across_m / 2
        lons, lats, _ = _GEOD.fwd(np.full(n, lon), np.full(n, lat), az, dist)
        return Polygon(tuple((round(float(a), 6), round(float(o), 6)) for a, o in zip(
            lats, lons, strict=True)))

    def corridor(self, lat: float, lon: float) -> Corridor:
        rng = self.rng
        n = int(rng.integers(2, 7))
        heading = rng.uniform(0.0, 360.0)
        path = [(lat, lon)]
        for _ in range(n - 1):
            heading += rng.uniform(-40.0, 40.0)
            lon2, lat2, _ = _GEOD.fwd(path[-1][1], path[-1][0], heading, rng.uniform(5e3, 8e4))
            path.append((round(float(lat2), 6), round(float(lon2), 6)))
        half_width = round(300.0 * (5_000.0 / 300.0) ** rng.random(), 1)  # 300 m – 5 km
        return Corridor(tuple(path), half_width)

    def outline(self, dense_p: float, corridor_p: float) -> Outline:
        lat, lon = self.centre(dense_p)
        u = self.rng.random()
        if u < corridor_p:
            return self.corridor(lat, lon)
        if u < corridor_p + 0.60:
            return self.circle(lat, lon)
        return self.polygon(lat, lon)

    def zone_band(self) -> tuple[float, float]:
        rng = self.rng
        ceiling = float(rng.choice([150.0, 500.0, 1_500.0, 3_000.0, 6_000.0, 10_000.0, 20_000.0]))
        floor = 0.0 if rng.random() < 0.8 else round(ceiling * rng.uniform(0.0, 0.5), -1)
        return floor, ceiling

    def op_band(self) -> tuple[float, float]:
        rng = self.rng
        if rng.random() < 0.25:  # drones and ground activity
            return 0.0, float(rng.choice([120.0, 150.0, 400.0]))
        lower = round(rng.uniform(0.0, 10_000.0), -1)
        return lower, round(lower + 100.0 * 60.0 ** rng.random(), -1)  # 100 m – 6 km thick

    def zone_time(self) -> TimeInterval:
        rng = self.rng
        if rng.random() < 0.75:  # open-ended: in force from some day on
            start = MONTH_START + timedelta(seconds=rng.uniform(-MONTH_S, 0.7 * MONTH_S))
            return TimeInterval(start.replace(microsecond=0), None)
        start = MONTH_START + timedelta(seconds=rng.uniform(0.0, MONTH_S))
        length = timedelta(days=rng.uniform(1.0, 10.0))
        return TimeInterval(start.replace(microsecond=0), (start + length).replace(microsecond=0))

    def op_times(self, phases: int) -> list[TimeInterval]:
        rng = self.rng
        t = MONTH_START + timedelta(seconds=round(rng.uniform(0.0, MONTH_S)))
        out = []
        for _ in range(phases):
            length = timedelta(seconds=round(1_800.0 * 144.0 ** rng.random()))  # 30 min – 3 d
            out.append(TimeInterval(t, t + length))
            t += length
        return out

    def others(self, owner: str, most: int) -> frozenset[str]:
        k = int(self.rng.integers(0, most + 1))
        pool = [p for p in PARTIES if p != owner]
        return frozenset(str(p) for p in self.rng.choice(pool, size=k, replace=False))

    def buffer(self, p: float) -> float:
        return round(float(self.rng.uniform(0.0, 2_000.0)), 1) if self.rng.random() < p else 0.0

    def owner(self) -> str:
        return str(PARTIES[int(self.rng.integers(len(PARTIES)))])


def _rows_of(obj: Zone | Operation) -> list[VolumeRow]:
    kind = "zone" if isinstance(obj, Zone) else "operation"
    parties = obj.allowed if isinstance(obj, Zone) else obj.participants
    rows = []
    for k, v in enumerate(obj.volumes):
        o = v.outline
        if isinstance(o, Circle):
            shape, points = "circle", ((o.lat, o.lon),)
        elif isinstance(o, Polygon):
            shape, points = "polygon", o.exterior
        else:
            shape, points = "corridor", o.path
        rows.append(
            VolumeRow(
                obj.id, k, kind, obj.owner, parties, obj.buffer_m, shape, points, o.radius_m,
                v.time.start_s, v.time.end_s, v.alt_lower_m, v.alt_upper_m,
            )
        )
    return rows


def _operation(d: _Draw, obj_id: str, dense_p: float) -> Operation:
    owner = d.owner()
    outline = d.outline(dense_p, corridor_p=0.05)
    phases = 1 if d.rng.random() < 0.9 else int(d.rng.integers(2, 4))
    bands = [d.op_band() for _ in range(phases)]
    volumes = [
        Volume4D(outline, lo, hi, t) for (lo, hi), t in zip(bands, d.op_times(phases), strict=True)
    ]
    kind = str(d.rng.choice(["exercise", "live_fire", "flight", "convoy", "patrol", "other"]))
    return Operation(
        id=obj_id, name="", owner=owner, volumes=tuple(volumes),
        participants=d.others(owner, 2), kind=kind, state=OperationState.PROPOSED,
        buffer_m=d.buffer(0.2),
    )


def _zone(d: _Draw, obj_id: str, dense_p: float) -> Zone:
    owner = d.owner()
    lo, hi = d.zone_band()
    return Zone(
        id=obj_id, name="", owner=owner, allowed=d.others(owner, 3),
        volumes=(Volume4D(d.outline(dense_p, corridor_p=0.0), lo, hi, d.zone_time()),),
        buffer_m=d.buffer(0.4),
    )


def generate_checks(
    rng: np.random.Generator, count: int, prefix: str, dense_p: float = 0.6
) -> list[Operation]:
    """``count`` proposed operations to check, drawn like the stored ones."""
    d = _Draw(rng)
    return [_operation(d, f"{prefix}-{i:06d}", dense_p) for i in range(count)]


def generate(objects: int, checks: int, seed: int = 20250301, warmup: int = 100) -> Workload:
    """The stored objects, the operations to check and a separate set to warm up with."""
    rng = np.random.default_rng(seed)
    d = _Draw(rng)
    stored: list[Zone | Operation] = []
    for i in range(objects):
        if rng.random() < 0.4:
            stored.append(_zone(d, f"z-{i:06d}", dense_p=0.45))
        else:
            stored.append(_operation(d, f"o-{i:06d}", dense_p=0.45))
    rows = [r for o in stored for r in _rows_of(o)]
    todo = generate_checks(np.random.default_rng(seed + 1), checks, "q")
    warm = generate_checks(np.random.default_rng(seed + 2), warmup, "w")
    return Workload(
        stored, rows, todo, [_rows_of(o) for o in todo], warm, [_rows_of(o) for o in warm], seed
    )
