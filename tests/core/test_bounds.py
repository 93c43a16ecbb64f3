"""Bounds are outer bounds: dense samples of an outline grown by ``grow_m`` fall inside its
box, and samples of its core fall inside its cap.

Samples are taken independently of the code under test: circle boundaries with ``Geod.fwd``
at many azimuths, polygon and corridor edges with ``Geod.npts``, and the grown boundary of an
edge as circles around points spread densely along it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.bounds import bbox_of, cap_of
from deconfliction.core.outline import BBox, Circle, Corridor, Outline, Polygon
from geodesic_samples import edge_samples

GEOD = Geod(ellps="WGS84")
Samples = tuple[np.ndarray, np.ndarray]


def core_samples(outline: Outline, per_edge: int = 400) -> Samples:
    """Points of the core: a circle's centre, or points spread along every geodesic edge."""
    if isinstance(outline, Circle):
        return np.array([outline.lat]), np.array([outline.lon])
    return edge_samples(outline, per_edge)


def grown_samples(outline: Outline, grow_m: float, azimuths: int = 180) -> Samples:
    """Points at exactly ``radius_m + grow_m`` from points of the core, in many directions."""
    lat, lon = core_samples(outline, per_edge=120)
    r = outline.radius_m + grow_m
    if r == 0.0:
        return lat, lon
    az = np.linspace(0.0, 360.0, azimuths, endpoint=False)
    lat0, lon0 = np.repeat(lat, az.size), np.repeat(lon, az.size)
    lon2, lat2, _ = GEOD.fwd(lon0, lat0, np.tile(az, lat.size), np.full(lat0.size, r))
    return np.concatenate([lat, lat2]), np.concatenate([lon, lon2])


def outside(box: BBox, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Samples that fall outside ``box`` (which may wrap over the antimeridian)."""
    ok = (lat >= box.min_lat) & (lat <= box.max_lat)
    if box.min_lon <= box.max_lon:
        ok &= (lon >= box.min_lon) & (lon <= box.max_lon)
    else:
        ok &= (lon >= box.min_lon) | (lon <= box.max_lon)
    return np.asarray(~ok)


def assert_box_holds(outline: Outline, grow_m: float) -> BBox:
    box = bbox_of(outline, grow_m)
    assert -90.0 <= box.min_lat <= box.max_lat <= 90.0
    assert -180.0 <= box.min_lon <= 180.0 and -180.0 <= box.max_lon <= 180.0
    lat, lon = grown_samples(outline, grow_m)
    bad = outside(box, lat, lon)
    assert not bad.any(), f"{bad.sum()} samples outside {box}, e.g. {lat[bad][0], lon[bad][0]}"
    return box


OUTLINES = {
    "At Tanf": Circle(33.50583, 38.61778, 55_000.0),
    "small circle": Circle(-12.0, 130.0, 10.0),
    "circle on 180°": Circle(-60.0, 179.99, 500_000.0),
    "circle near the pole": Circle(89.5, 10.0, 1_000.0),
    "circle over the pole": Circle(88.0, -100.0, 300_000.0),
    "circle at 80°S": Circle(-80.0, 45.0, 200_000.0),
    "continental circle": Circle(0.0, 0.0, 5_000_000.0),
    "hemisphere circle": Circle(10.0, 20.0, 15_000_000.0),
    "square": Polygon(((34.0, 38.0), (34.0, 39.0), (35.0, 39.0), (35.0, 38.0))),
    "southern long edges": Polygon(((-70.0, 170.0), (-70.0, -130.0), (-75.0, -160.0))),
    "north edge past 180°": Polygon(((80.0, -170.0), (80.0, 100.0), (85.0, 150.0))),
    "equatorial long edges": Polygon(((1.0, -100.0), (1.0, 0.0), (0.0, 0.0), (0.0, -100.0))),
    "corridor along 60°N across 180°": Corridor(((60.0, -170.0), (60.0, 170.0)), 1_000.0),
    "corridor at 75°S": Corridor(((-75.0, 0.0), (-75.0, 80.0), (-72.0, 120.0)), 20_000.0),
    "meridian corridor": Corridor(((-10.0, 5.0), (40.0, 5.0)), 3_000.0),
}


@pytest.mark.parametrize("grow_m", [0.0, 1_000.0, 150_000.0])
@pytest.mark.parametrize("outline", OUTLINES.values(), ids=list(OUTLINES))
def test_box_holds_the_grown_outline(outline: Outline, grow_m: float) -> None:
    assert_box_holds(outline, grow_m)


@pytest.mark.parametrize("grow_m", [0.0, 5_000.0])
def test_antimeridian_polygon_box_wraps(antimeridian_polygon: Polygon, grow_m: float) -> None:
    box = assert_box_holds(antimeridian_polygon, grow_m)
    assert box.min_lon > box.max_lon  # wraps
    assert box.min_lon == pytest.approx(179.0 - grow_m / 109_000.0, abs=0.01)
    assert box.max_lon == pytest.approx(-179.0 + grow_m / 109_000.0, abs=0.01)
    parts = box.parts()
    assert len(parts) == 2 and parts[0][2] == 180.0 and parts[1][0] == -180.0


@pytest.mark.parametrize("grow_m", [0.0, 2_000.0, 100_000.0])
def test_high_latitude_box_covers_the_poleward_bulge(
    high_latitude_polygon: Polygon, grow_m: float
) -> None:
    box = assert_box_holds(high_latitude_polygon, grow_m)
    # the southern edge's bulge (72.5°N) is inside the triangle; the eastern and western
    # edges bulge too, above their end points
    lat, _ = core_samples(high_latitude_polygon)
    assert box.max_lat >= lat.max()
    assert box.max_lat - lat.max() < grow_m / 110_574.0 + 0.05


def test_bulge_of_a_single_long_edge_is_in_the_box() -> None:
    corridor = Corridor(((70.0, 0.0), (70.0, 60.0)), 1.0)
    box = assert_box_holds(corridor, 0.0)
    assert box.max_lat == pytest.approx(72.5064, abs=1e-3)
    south = Corridor(((-70.0, 0.0), (-70.0, 60.0)), 1.0)
    assert bbox_of(south).min_lat == pytest.approx(-72.5064, abs=1e-3)


def test_polygon_with_hole_box_is_the_shell_box(polygon_with_hole: Polygon) -> None:
    box = assert_box_holds(polygon_with_hole, 500.0)
    shell = bbox_of(Polygon(polygon_with_hole.exterior), 500.0)
    assert box == shell


def test_box_reaching_the_pole_covers_every_longitude() -> None:
    box = bbox_of(Circle(89.9, 0.0, 50_000.0))
    assert (box.min_lon, box.max_lon, box.max_lat) == (-180.0, 180.0, 90.0)
    box = bbox_of(Circle(-89.0, 30.0, 1_000.0), 200_000.0)
    assert (box.min_lon, box.max_lon, box.min_lat) == (-180.0, 180.0, -90.0)


def test_box_of_a_circle_is_tight_enough_for_an_index() -> None:
    box = bbox_of(Circle(33.50583, 38.61778, 55_000.0))
    assert (round(box.min_lat, 3), round(box.max_lat, 3)) == (33.008, 34.003)
    assert box.max_lon - box.min_lon < 1.4


def test_box_of_an_outline_spanning_more_than_180_degrees_of_longitude() -> None:
    """BUG: ``bbox_of`` takes the vertices' longitudes relative to the first vertex (each
    wrapped to ±180°), not unwrapped along the path. A corridor along the equator through
    0°, 90°E, 170°E and 100°W (each leg < 180°) gets the box lon [-100, 170], which misses the
    leg from 170°E over 180° to 100°W; the engine then misses conflicts there."""
    corridor = Corridor(((0.0, 0.0), (0.0, 90.0), (0.0, 170.0), (0.0, -100.0)), 1_000.0)
    assert_box_holds(corridor, 0.0)


# --- caps --------------------------------------------------------------------------------


def assert_cap_holds(outline: Polygon | Corridor) -> float:
    cap = cap_of(outline)
    lat, lon = core_samples(outline)
    _, _, d = GEOD.inv(np.full(lat.size, cap.lon), np.full(lat.size, cap.lat), lon, lat)
    assert float(d.max()) <= cap.radius_m
    return cap.radius_m


@pytest.mark.parametrize(
    "outline",
    [o for o in OUTLINES.values() if not isinstance(o, Circle)],
    ids=[k for k, o in OUTLINES.items() if not isinstance(o, Circle)],
)
def test_cap_holds_the_core(outline: Polygon | Corridor) -> None:
    assert_cap_holds(outline)


def test_cap_of_tricky_polygons(
    antimeridian_polygon: Polygon, high_latitude_polygon: Polygon, polygon_with_hole: Polygon
) -> None:
    assert assert_cap_holds(antimeridian_polygon) < 200_000.0
    assert abs(cap_of(antimeridian_polygon).lon) > 179.0
    assert assert_cap_holds(high_latitude_polygon) < 1_500_000.0
    assert assert_cap_holds(polygon_with_hole) < 100_000.0


def test_cap_of_random_polygons() -> None:
    rng = np.random.default_rng(21)
    for _ in range(25):
        lat0, lon0 = rng.uniform(-80, 80), rng.uniform(-180, 180)
        size = 10 ** rng.uniform(3, 6.3)
        az = np.sort(rng.uniform(0, 360, 6))
        reach = size * rng.uniform(0.3, 1, 6)
        lon, lat, _ = GEOD.fwd(np.full(6, lon0), np.full(6, lat0), az, reach)
        try:
            poly = Polygon(tuple(zip(lat.tolist(), lon.tolist(), strict=True)))
        except Exception:  # a rare star that fails validation is not what this test is about
            continue
        assert_cap_holds(poly)


def test_cap_of_a_circle_is_its_centre() -> None:
    cap = cap_of(Circle(33.5, 38.6, 55_000.0))
    assert (cap.lat, cap.lon, cap.radius_m) == (33.5, 38.6, 0.0)


def test_cap_of_a_huge_outline_is_infinite() -> None:
    corridor = Corridor(((0.0, 0.0), (0.0, 90.0), (0.0, 170.0), (0.0, -100.0)), 1_000.0)
    assert math.isinf(cap_of(corridor).radius_m)
