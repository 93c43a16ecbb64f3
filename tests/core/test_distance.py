"""Exact separation between outlines, checked against independent computations with
``pyproj.Geod`` (inverse distances and densely sampled edges)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.distance import core_distance, point_in_area, separation
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from geodesic_samples import edge_samples

GEOD = Geod(ellps="WGS84")
LatLon = tuple[float, float]


def geodesic_m(p: LatLon, q: LatLon) -> float:
    return float(GEOD.inv(p[1], p[0], q[1], q[0])[2])


def brute_point_to_edges(p: LatLon, outline: Polygon | Corridor) -> float:
    lat, lon = edge_samples(outline, 2_000)
    _, _, d = GEOD.inv(np.full(lat.size, p[1]), np.full(lat.size, p[0]), lon, lat)
    return float(d.min())


def distance_to_outline(p: LatLon, outline: Outline) -> float:
    """How far ``p`` is outside ``outline`` (0 when inside or on it), computed by the module
    under test for a point-sized circle: used only to check witnesses."""
    return max(0.0, separation(Circle(p[0], p[1], 1e-6), outline).separation_m)


# --- circles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Circle(33.50583, 38.61778, 55_000.0), Circle(33.9, 38.9, 1_000.0)),
        (Circle(33.50583, 38.61778, 55_000.0), Circle(34.5, 39.5, 1_000.0)),
        (Circle(-60.0, 179.9, 5_000.0), Circle(-60.1, -179.8, 7_000.0)),
        (Circle(0.0, 0.0, 1.0), Circle(0.0, 0.0, 2.0)),
        (Circle(10.0, 10.0, 1_000_000.0), Circle(-10.0, -10.0, 2_000_000.0)),
    ],
    ids=["overlap", "apart", "across 180°", "concentric", "continental"],
)
def test_circle_circle_is_exact(a: Circle, b: Circle) -> None:
    d = geodesic_m((a.lat, a.lon), (b.lat, b.lon))
    s = separation(a, b)
    assert s.exact
    assert s.separation_m == pytest.approx(d - a.radius_m - b.radius_m, abs=1e-3)
    assert separation(b, a).separation_m == pytest.approx(s.separation_m, abs=1e-3)
    assert core_distance(a, b).distance_m == pytest.approx(d, abs=1e-3)
    # the witness is inside both when they overlap, half-way across the gap when apart
    da = geodesic_m((a.lat, a.lon), s.witness)
    db = geodesic_m((b.lat, b.lon), s.witness)
    if s.overlaps:
        assert da <= a.radius_m + 1e-3 and db <= b.radius_m + 1e-3
    else:
        assert da - a.radius_m == pytest.approx(s.separation_m / 2, abs=1e-3)
        assert db - b.radius_m == pytest.approx(s.separation_m / 2, abs=1e-3)


def test_at_tanf_doctest_values() -> None:
    at_tanf = Circle(33.50583, 38.61778, 55_000.0)
    inside = Circle(33.50583 + 0.2, 38.61778, 1_000.0)
    assert round(separation(at_tanf, inside).separation_m) == -33817


def test_touching_circles_overlap() -> None:
    a = Circle(0.0, 0.0, 1_000.0)
    lon, lat, _ = GEOD.fwd(0.0, 0.0, 90.0, 3_000.0)
    b = Circle(lat, lon, 2_000.0)
    s = separation(a, b)
    assert abs(s.separation_m) < 1e-6


# --- polygons, holes, containment ------------------------------------------------------------


def test_point_in_polygon_with_hole(polygon_with_hole: Polygon) -> None:
    lat = np.array([0.2, 0.5, 0.45, 1.5, 0.5, 0.5, 0.39])
    lon = np.array([0.2, 0.5, 0.45, 0.5, -0.1, 0.7, 0.5])
    assert point_in_area(lat, lon, polygon_with_hole.edges).tolist() == [
        True, False, False, False, False, True, True,
    ]


def test_point_in_antimeridian_polygon(antimeridian_polygon: Polygon) -> None:
    lat = np.array([10.5, 10.5, 10.5, 10.5, 12.0])
    lon = np.array([179.5, -179.5, 180.0, 0.0, 180.0])
    assert point_in_area(lat, lon, antimeridian_polygon.edges).tolist() == [
        True, True, True, False, False,
    ]


def test_point_in_high_latitude_polygon_uses_geodesic_edges(
    high_latitude_polygon: Polygon,
) -> None:
    # (72, 30) is north of the lon/lat chord along 70°N but south of the geodesic edge,
    # which bulges to 72.5°N: outside; (73, 30) is north of the edge: inside
    edges = high_latitude_polygon.edges
    inside = point_in_area(np.array([72.0, 73.0]), np.array([30.0, 30.0]), edges)
    assert inside.tolist() == [False, True]


def test_circle_in_the_hole_is_apart(polygon_with_hole: Polygon) -> None:
    c = Circle(0.5, 0.5, 1_000.0)
    s = separation(polygon_with_hole, c)
    expected = brute_point_to_edges((0.5, 0.5), polygon_with_hole) - 1_000.0
    assert s.separation_m > 0
    assert s.separation_m == pytest.approx(expected, abs=0.05)
    # a circle in the hole big enough to reach the hole's edges overlaps
    assert separation(polygon_with_hole, Circle(0.5, 0.5, 12_000.0)).overlaps


def test_polygon_in_the_hole_is_apart(polygon_with_hole: Polygon) -> None:
    small = Polygon(((0.45, 0.45), (0.45, 0.55), (0.55, 0.55), (0.55, 0.45)))
    s = separation(polygon_with_hole, small)
    assert s.separation_m == pytest.approx(geodesic_m((0.4, 0.45), (0.45, 0.45)), rel=1e-3)


def test_circle_centre_inside_polygon(polygon_with_hole: Polygon) -> None:
    c = Circle(0.2, 0.2, 10.0)
    s = separation(polygon_with_hole, c)
    assert s.overlaps
    assert s.separation_m <= -10.0
    assert s.witness == (0.2, 0.2)


def test_polygon_inside_polygon() -> None:
    outer = Polygon(((0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0)))
    inner = Polygon(((0.5, 0.5), (0.5, 1.5), (1.5, 1.5), (1.5, 0.5)))
    for a, b in ((outer, inner), (inner, outer)):
        s = separation(a, b)
        assert s.overlaps and s.separation_m == 0.0
        assert distance_to_outline(s.witness, outer) == 0.0
        assert distance_to_outline(s.witness, inner) == 0.0


@pytest.mark.parametrize("limit_m", [0.0, 1_000.0])
def test_polygon_deep_inside_polygon_with_a_limit(limit_m: float) -> None:
    """BUG: ``_edges_edges`` prunes on the vertex–edge lower bound *before* it tests
    containment, so with any finite limit (the engine always passes one) a polygon or corridor
    lying more than ``limit`` inside another polygon is called "certainly apart":
    ``separation(big, small, limit_m=0.0)`` gives ``Separation(95224.85…, exact=False)``
    instead of 0.0 / overlapping."""
    big = Polygon(((0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0)))
    small = Polygon(((0.9, 0.9), (0.9, 1.1), (1.1, 1.1), (1.1, 0.9)))
    route = Corridor(((0.9, 0.9), (1.1, 1.1)), 10.0)
    for a, b in ((big, small), (small, big), (big, route), (route, big)):
        s = separation(a, b, limit_m=limit_m)
        assert s.exact and s.overlaps, (a, b, s)


def test_crossing_edges_plus_sign() -> None:
    # two long thin bars crossing like a +: no vertex of either is inside the other
    ns = Polygon(((-1.0, -0.1), (-1.0, 0.1), (1.0, 0.1), (1.0, -0.1)))
    ew = Polygon(((-0.1, -1.0), (-0.1, 1.0), (0.1, 1.0), (0.1, -1.0)))
    for a, b in ((ns, ew), (ew, ns)):
        s = separation(a, b)
        assert s.separation_m == 0.0 and s.overlaps and s.exact
        assert distance_to_outline(s.witness, ns) < 1e-3
        assert distance_to_outline(s.witness, ew) < 1e-3
        # near a corner of the central square (geodesic edges bulge a little poleward)
        assert abs(s.witness[0]) <= 0.1001 and abs(s.witness[1]) <= 0.1001


def test_crossing_corridors() -> None:
    a = Corridor(((-1.0, 0.0), (1.0, 0.0)), 100.0)
    b = Corridor(((0.0, -1.0), (0.0, 1.0)), 100.0)
    s = separation(a, b)
    assert s.separation_m == pytest.approx(-200.0, abs=1e-6)
    assert s.witness == pytest.approx((0.0, 0.0), abs=1e-8)


@pytest.mark.parametrize("limit_m", [0.0, 500.0])
def test_crossing_edges_with_a_limit(limit_m: float) -> None:
    """BUG: the same early prune in ``_edges_edges`` (vertex–edge distances are no lower bound
    for edges that cross) makes two crossing corridors or bars "certainly apart" under any
    finite limit: ``separation(Corridor(((-1, 0), (1, 0)), 100), Corridor(((0, -1), (0, 1)),
    100), limit_m=0.0)`` gives ``Separation(105977.57, exact=False)`` instead of -200."""
    a = Corridor(((-1.0, 0.0), (1.0, 0.0)), 100.0)
    b = Corridor(((0.0, -1.0), (0.0, 1.0)), 100.0)
    s = separation(a, b, limit_m=limit_m)
    assert s.exact and s.separation_m == pytest.approx(-200.0, abs=1e-6)
    ns = Polygon(((-1.0, -0.1), (-1.0, 0.1), (1.0, 0.1), (1.0, -0.1)))
    ew = Polygon(((-0.1, -1.0), (-0.1, 1.0), (0.1, 1.0), (0.1, -1.0)))
    s = separation(ns, ew, limit_m=limit_m)
    assert s.exact and s.overlaps


def test_apart_polygons_match_brute_force(high_latitude_polygon: Polygon) -> None:
    square = Polygon(((34.0, 38.0), (34.0, 39.0), (35.0, 39.0), (35.0, 38.0)))
    other = Polygon(((35.5, 39.5), (35.5, 40.5), (36.5, 40.0)))
    s = separation(square, other)
    brute = min(
        min(brute_point_to_edges(v, other) for v in square.exterior),
        min(brute_point_to_edges(v, square) for v in other.exterior),
    )
    assert s.separation_m == pytest.approx(brute, abs=0.05)
    # a vertex of the high-latitude triangle is closest to a point under its bulging edge
    probe = Polygon(((69.0, 29.0), (69.0, 31.0), (68.5, 30.0)))
    s = separation(high_latitude_polygon, probe)
    brute = min(brute_point_to_edges(v, high_latitude_polygon) for v in probe.exterior)
    assert s.separation_m == pytest.approx(brute, abs=0.05)


def test_shared_edge_touches() -> None:
    a = Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)))
    b = Polygon(((0.0, 1.0), (0.0, 2.0), (1.0, 2.0), (1.0, 1.0)))
    assert separation(a, b).separation_m == pytest.approx(0.0, abs=1e-6)


# --- corridors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "centre",
    [(0.2, 0.5), (-0.3, 1.2), (0.05, 2.5), (1.0, -0.5)],
    ids=["beside leg 1", "beside the bend", "beside leg 2", "before the start"],
)
def test_corridor_vs_circle(centre: LatLon) -> None:
    corridor = Corridor(((0.0, 0.0), (0.0, 1.0), (0.5, 3.0)), 2_000.0)
    circle = Circle(*centre, 3_000.0)
    expected = brute_point_to_edges(centre, corridor) - 5_000.0
    s = separation(corridor, circle)
    assert s.separation_m == pytest.approx(expected, abs=0.05)
    assert separation(circle, corridor).separation_m == pytest.approx(expected, abs=0.05)


def test_corridor_does_not_enclose_area() -> None:
    # a closed-looking route is still a line: its inside is not part of it
    loop = Corridor(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)), 100.0)
    s = separation(loop, Circle(0.5, 0.5, 10.0))
    assert s.separation_m > 50_000.0


# --- the antimeridian --------------------------------------------------------------------------


def test_antimeridian_polygon_vs_circle_beyond_180(antimeridian_polygon: Polygon) -> None:
    # the polygon reaches 179°W; the circle's centre is at 178.5°W, on the far side of 180°
    centre = (10.5, -178.5)
    expected = brute_point_to_edges(centre, antimeridian_polygon)
    assert expected < 60_000.0
    near = separation(antimeridian_polygon, Circle(*centre, 50_000.0))
    assert near.separation_m == pytest.approx(expected - 50_000.0, abs=0.05)
    assert not near.overlaps
    far = separation(antimeridian_polygon, Circle(*centre, 60_000.0))
    assert far.overlaps
    assert distance_to_outline(far.witness, antimeridian_polygon) < 1e-3
    assert geodesic_m(centre, far.witness) <= 60_000.0 + 1e-3


def test_antimeridian_polygon_vs_circle_on_the_west_side(antimeridian_polygon: Polygon) -> None:
    centre = (10.5, 178.7)
    expected = brute_point_to_edges(centre, antimeridian_polygon)
    s = separation(Circle(*centre, 1_000.0), antimeridian_polygon)
    assert s.separation_m == pytest.approx(expected - 1_000.0, abs=0.05)


def test_antimeridian_polygon_vs_polygon_across_180(antimeridian_polygon: Polygon) -> None:
    east = Polygon(((10.2, -179.5), (10.2, -178.0), (10.8, -178.0), (10.8, -179.5)))
    assert separation(antimeridian_polygon, east).overlaps
    west = Polygon(((10.2, 178.0), (10.2, 178.5), (10.8, 178.5), (10.8, 178.0)))
    s = separation(antimeridian_polygon, west)
    brute = min(
        min(brute_point_to_edges(v, antimeridian_polygon) for v in west.exterior),
        min(brute_point_to_edges(v, west) for v in antimeridian_polygon.exterior),
    )
    assert s.separation_m == pytest.approx(brute, abs=0.05)
    assert s.separation_m < geodesic_m((10.2, 178.5), (10.2, 179.0))  # closest at 10.8°N


# --- limits and far-apart outlines ---------------------------------------------------------------


def test_limit_gives_a_lower_bound_when_certainly_far() -> None:
    a = Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0)))
    b = Circle(30.0, 30.0, 1_000.0)
    exact = separation(a, b)
    quick = separation(a, b, limit_m=10_000.0)
    assert exact.exact
    assert not quick.exact
    assert 10_000.0 < quick.separation_m <= exact.separation_m


def test_limit_above_the_separation_is_exact() -> None:
    a = Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0)))
    b = Circle(0.0, 1.1, 1_000.0)
    assert separation(a, b, limit_m=20_000.0) == separation(a, b)
    assert separation(a, b).exact


def test_separation_of_far_apart_outlines() -> None:
    """BUG: for distances beyond about 10,000 km the point–edge search (kernel and
    ``geodesy.point_segment_distance``) can settle on the farther end of an edge:
    ``core_distance(Corridor(((5, -11), (15, -10)), 1), Circle(-10, 130, 1))`` is
    15,699,270 m; the truth is 15,658,139 m (from (15, -10))."""
    c = Corridor(((5.0, -11.0), (15.0, -10.0)), 1.0)
    d = core_distance(c, Circle(-10.0, 130.0, 1.0)).distance_m
    assert d == pytest.approx(brute_point_to_edges((-10.0, 130.0), c), abs=1.0)


def test_separation_is_never_nan() -> None:
    a = Circle(0.0, 0.0, 1.0)
    b = Circle(0.0, 180.0, 1.0)
    assert not math.isnan(separation(a, b).separation_m)
