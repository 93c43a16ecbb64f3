"""Oracle: the zone grid against brute-force GeographicLib on tens of thousands of reports.

Synthetic tracks cross circles and polygons of every size (the 55 km At Tanf zone, zones of
tens of metres, polygons with holes, corridors, buffers, an antimeridian polygon, a zone near
the pole), with altitude bands and time windows; extra reports sit millimetres to metres on
either side of boundaries. Every (report, volume) pair is compared: no inside report missed,
none invented. Reports within ``oracle.TOL_M`` (5 mm) of a boundary are left out, and the
test checks that they are few.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import oracle
import pytest

from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.monitor import ZoneGrid

T0 = datetime(2018, 9, 7, tzinfo=UTC).timestamp()
DAY = 86_400.0
AT_TANF = (33.50583, 38.61778)


def _ring(lat: float, lon: float, r_m: float, n: int, rng: np.random.Generator,
          concave: bool = False) -> tuple[tuple[float, float], ...]:
    az = (np.arange(n) * 360.0 / n + rng.uniform(-10, 10, n)) % 360
    dist = r_m * (rng.uniform(0.4, 1.0, n) if concave else np.ones(n))
    x, y, _ = oracle.GEOD.fwd(np.full(n, lon), np.full(n, lat), np.sort(az), dist)
    return tuple(zip(y.tolist(), x.tolist(), strict=True))


def _when(d0: float | None, d1: float | None) -> TimeInterval:
    f = lambda d: None if d is None else datetime.fromtimestamp(T0 + d * DAY, UTC)  # noqa: E731
    return TimeInterval(f(d0), f(d1))


def _shapes(rng: np.random.Generator) -> list[tuple[Outline, float]]:
    """(outline, buffer) pairs of every kind and size."""
    hole_outer = _ring(34.6, 38.3, 8_000.0, 10, rng)
    hole_inner = _ring(34.6, 38.3, 3_000.0, 6, rng)
    return [
        (Circle(*AT_TANF, 55_000.0), 0.0),
        (Circle(*AT_TANF, 25_000.0), 2_000.0),
        (Circle(33.30, 38.64, 40.0), 0.0),
        (Circle(33.31, 38.65, 25.0), 15.0),
        (Circle(69.5, -170.0, 30_000.0), 0.0),
        (Circle(89.9, 0.0, 20_000.0), 500.0),
        (Polygon(_ring(34.9, 35.9, 30_000.0, 12, rng, concave=True)), 0.0),
        (Polygon(_ring(35.0, 39.0, 60.0, 5, rng)), 0.0),
        (Polygon(_ring(35.01, 39.01, 30.0, 4, rng)), 20.0),
        (Polygon(hole_outer, (hole_inner,)), 0.0),
        (Polygon(_ring(34.0, 37.0, 5_000.0, 7, rng, concave=True)), 1_000.0),
        (Polygon(((-16.5, 179.6), (-16.5, -179.5), (-17.4, -179.6), (-17.3, 179.7))), 0.0),
        (Polygon(_ring(78.0, 15.0, 40_000.0, 8, rng)), 300.0),
        (Corridor(((34.2, 38.0), (33.7, 38.4), (33.35, 38.62)), 1_000.0), 0.0),
        (Corridor(((33.9, 38.9), (33.905, 38.91)), 30.0), 10.0),
    ]


def _objects(rng: np.random.Generator) -> list[Zone | Operation]:
    out: list[Zone | Operation] = []
    for n, (o, buf) in enumerate(_shapes(rng)):
        if n % 3 == 0:  # an open-ended zone
            vols = (Volume4D(o, 0.0, 20_000.0, _when(-100.0, None)),)
        elif n % 3 == 1:  # an operation in two phases, different bands
            vols = (Volume4D(o, 0.0, 6_000.0, _when(0.0, 1.0)),
                    Volume4D(o, 3_000.0, 9_000.0, _when(1.0, 2.5)))
        else:
            vols = (Volume4D(o, 500.0, 1_500.0, _when(None, 2.0)),)
        if n % 2 == 0:
            out.append(Zone(id=f"z{n}", name="", owner="coalition", volumes=vols, buffer_m=buf))
        else:
            out.append(Operation(id=f"o{n}", name="", owner="russia", volumes=vols,
                                 buffer_m=buf, state=OperationState.PROPOSED))
    return out


def _centre(o: Outline) -> tuple[float, float, float]:
    if isinstance(o, Circle):
        return o.lat, o.lon, o.radius_m
    pts = np.array(o.exterior if isinstance(o, Polygon) else o.path)
    u = oracle._unit(pts[:, 0], pts[:, 1]).sum(axis=0)
    lat, lon = np.degrees(np.arcsin(u[2] / np.linalg.norm(u))), np.degrees(np.arctan2(u[1], u[0]))
    _, _, d = oracle.GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 1],
                              pts[:, 0])
    return float(lat), float(lon), float(d.max()) / 2 + o.radius_m


def _reports(objs: list[Zone | Operation], per_shape: int, rng: np.random.Generator,
             ) -> tuple[np.ndarray, ...]:
    lats, lons = [], []
    for obj in objs:
        o, buf = obj.volumes[0].outline, obj.buffer_m
        lat, lon, size = _centre(o)
        size += buf
        # straight tracks through the shape, a report every few metres to kilometres
        tracks = per_shape // 100
        for _ in range(tracks):
            start = oracle.GEOD.fwd(lon, lat, rng.uniform(0, 360), 1.6 * size * rng.random())
            az = rng.uniform(0, 360)
            back = oracle.GEOD.fwd(start[0], start[1], az + 180.0, 1.6 * size)
            s = np.linspace(0.0, 3.2 * size, 100)
            x, y, _ = oracle.GEOD.fwd(np.full(100, back[0]), np.full(100, back[1]),
                                      np.full(100, az), s)
            lats.append(y)
            lons.append(x)
        if isinstance(o, Circle):  # just inside and outside the rim
            k = per_shape // 4
            off = rng.choice([-1.0, -0.05, -0.01, 0.01, 0.05, 1.0], k)
            x, y, _ = oracle.GEOD.fwd(np.full(k, o.lon), np.full(k, o.lat),
                                      rng.uniform(0, 360, k), o.radius_m + buf + off)
            lats.append(y)
            lons.append(x)
        else:  # just either side of an edge (beyond the buffer), away from its ends
            k = per_shape // 4
            e = np.array(oracle._edges(o))[rng.integers(0, len(oracle._edges(o)), k)]
            az, _, length = oracle.GEOD.inv(e[:, 1], e[:, 0], e[:, 3], e[:, 2])
            fx, fy, faz = oracle.GEOD.fwd(e[:, 1], e[:, 0], az, length * rng.uniform(.2, .8, k))
            off = rng.choice([-1.0, -0.05, -0.01, 0.01, 0.05, 1.0], k) + o.radius_m + buf
            x, y, _ = oracle.GEOD.fwd(fx, fy, faz + rng.choice([-90.0, 90.0], k), off)
            lats.append(y)
            lons.append(x)
    lat = np.concatenate(lats)
    lon = (np.concatenate(lons) + 180.0) % 360.0 - 180.0
    n = lat.size
    alt = rng.choice([0.0, 499.0, 500.0, 1_500.0, 1_501.0, 4_000.0, 6_000.0, 9_500.0], n)
    t = T0 + DAY * rng.choice([-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.49, 2.5, 3.0], n)
    return lat, lon, alt, t


def _oracle_pairs(objs: list[Zone | Operation], lat: np.ndarray, lon: np.ndarray,
                  alt: np.ndarray, t: np.ndarray, grid: ZoneGrid,
                  ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(pairs inside, pairs too close to a boundary to judge), by brute force."""
    inside, doubtful = set(), set()
    for obj in objs:
        for row, v in zip(grid.rows_of(obj.id), obj.volumes, strict=True):
            when = (v.time.start_s <= t) & (t < v.time.end_s)
            band = (v.alt_lower_m <= alt) & (alt <= v.alt_upper_m)
            idx = np.nonzero(when & band)[0]
            m, close = oracle.member(lat[idx], lon[idx], v.outline, obj.buffer_m)
            inside |= {(int(i), row) for i in idx[m]}
            doubtful |= {(int(i), row) for i in idx[close]}
    return inside, doubtful


@pytest.mark.parametrize("seed", [1, 2])
def test_grid_matches_geographiclib(seed: int) -> None:
    rng = np.random.default_rng(seed)
    objs = _objects(rng)
    grid = ZoneGrid(objs)
    lat, lon, alt, t = _reports(objs, 2_000, rng)
    assert lat.size >= 15_000
    idx, rows = grid.classify(lat, lon, alt, t)
    got = set(zip(idx.tolist(), rows.tolist(), strict=True))
    want, doubtful = _oracle_pairs(objs, lat, lon, alt, t, grid)
    missed = want - got - doubtful
    invented = got - want - doubtful
    assert not missed, sorted(missed)[:10]
    assert not invented, sorted(invented)[:10]
    assert len(want) > 3_000  # the tracks do go inside
    assert len(doubtful) < lat.size / 1_000  # left out: only reports on a boundary


def test_tracks_agree_with_threads() -> None:
    rng = np.random.default_rng(3)
    objs = _objects(rng)
    lat, lon, alt, t = _reports(objs, 2_000, rng)
    one = ZoneGrid(objs).classify(lat, lon, alt, t)
    two_grid = ZoneGrid(objs, threads=2)
    two = two_grid.classify(lat, lon, alt, t)
    two_grid.close()
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
