"""Outlines: every validation rule with its stable code and field, cleaning of vertices,
and the cached ring/edge arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.errors import ValidationError
from deconfliction.core.geodesy import HALF_CIRCUMFERENCE_M
from deconfliction.core.limits import DEFAULT_LIMITS, Limits
from deconfliction.core.outline import BBox, Circle, Corridor, Polygon, stored_outlines

GEOD = Geod(ellps="WGS84")
SQUARE = ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0))


def code_and_field(make: object) -> tuple[str, str | None]:
    assert callable(make)
    with pytest.raises(ValidationError) as info:
        make()
    return info.value.code, info.value.field


# --- coordinates --------------------------------------------------------------------------

BAD_COORDINATES = {
    "lat above 90": ((90.5, 0.0), "LAT_OUT_OF_RANGE"),
    "lat below -90": ((-91.0, 0.0), "LAT_OUT_OF_RANGE"),
    "lon above 180": ((0.0, 180.0001), "LON_OUT_OF_RANGE"),
    "lon below -180": ((0.0, -181.0), "LON_OUT_OF_RANGE"),
    "NaN lat": ((math.nan, 0.0), "NOT_FINITE"),
    "NaN lon": ((0.0, math.nan), "NOT_FINITE"),
    "inf lat": ((math.inf, 0.0), "NOT_FINITE"),
    "-inf lon": ((0.0, -math.inf), "NOT_FINITE"),
    "bool lat": ((True, 0.0), "BAD_COORDINATE"),
    "bool lon": ((0.0, False), "BAD_COORDINATE"),
    "str lat": (("33.5", 0.0), "BAD_COORDINATE"),
    "None lon": ((0.0, None), "BAD_COORDINATE"),
}


@pytest.mark.parametrize("case", BAD_COORDINATES.values(), ids=list(BAD_COORDINATES))
def test_circle_centre_is_checked(case: tuple[tuple[object, object], str]) -> None:
    (lat, lon), code = case
    assert code_and_field(lambda: Circle(lat, lon, 1_000.0)) == (code, "center")  # type: ignore[arg-type]


@pytest.mark.parametrize("case", BAD_COORDINATES.values(), ids=list(BAD_COORDINATES))
def test_polygon_vertices_are_checked_with_their_index(
    case: tuple[tuple[object, object], str],
) -> None:
    bad, code = case
    ring = ((0.0, 0.0), (0.0, 1.0), bad, (1.0, 0.0))
    assert code_and_field(lambda: Polygon(ring)) == (code, "exterior[2]")  # type: ignore[arg-type]


@pytest.mark.parametrize("case", BAD_COORDINATES.values(), ids=list(BAD_COORDINATES))
def test_hole_and_corridor_vertices_are_checked(case: tuple[tuple[object, object], str]) -> None:
    bad, code = case
    hole = ((0.4, 0.4), bad, (0.6, 0.6))
    assert code_and_field(lambda: Polygon(SQUARE, holes=(hole,))) == (code, "holes[0][1]")  # type: ignore[arg-type]
    path = ((0.0, 0.0), bad)
    assert code_and_field(lambda: Corridor(path, 100.0)) == (code, "path[1]")  # type: ignore[arg-type]


def test_boundary_coordinates_are_accepted() -> None:
    assert Circle(90.0, 180.0, 1_000.0).lat == 90.0
    assert Circle(-90.0, -180.0, 1_000.0).lon == -180.0
    assert Circle(0, 0, 1).radius_m == 1  # plain ints are numbers too


@pytest.mark.parametrize(
    "vertices",
    [
        ((0.0, 0.0, 0.0), (0.0, 1.0), (1.0, 1.0)),
        ((0.0,), (0.0, 1.0), (1.0, 1.0)),
        (5.0, (0.0, 1.0)),
    ],
    ids=["three numbers", "one number", "not a pair"],
)
def test_vertices_must_be_pairs(vertices: tuple[object, ...]) -> None:
    assert code_and_field(lambda: Polygon(vertices)) == ("BAD_COORDINATE", "exterior[0]")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0,0;0,1;1,1", b"abc", 42, None])
def test_rings_must_be_sequences_of_pairs(value: object) -> None:
    assert code_and_field(lambda: Polygon(value)) == ("BAD_GEOMETRY", "exterior")  # type: ignore[arg-type]
    assert code_and_field(lambda: Corridor(value, 10.0)) == ("BAD_GEOMETRY", "path")  # type: ignore[arg-type]


# --- radius ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("radius", "code"),
    [
        (0.0, "BAD_RADIUS"),
        (-1.0, "BAD_RADIUS"),
        (math.nan, "NOT_FINITE"),
        (math.inf, "NOT_FINITE"),
        (True, "BAD_RADIUS"),
        ("55000", "BAD_RADIUS"),
        (HALF_CIRCUMFERENCE_M + 1.0, "TOO_LARGE"),
        (4.1e7, "TOO_LARGE"),
    ],
)
def test_radius_rules(radius: object, code: str) -> None:
    assert code_and_field(lambda: Circle(0.0, 0.0, radius)) == (code, "radius_m")  # type: ignore[arg-type]
    path = ((0.0, 0.0), (0.0, 1.0))
    assert code_and_field(lambda: Corridor(path, radius)) == (code, "half_width_m")  # type: ignore[arg-type]


def test_radius_up_to_half_the_circumference_is_accepted() -> None:
    assert Circle(0.0, 0.0, HALF_CIRCUMFERENCE_M).radius_m == HALF_CIRCUMFERENCE_M
    assert Circle(0.0, 0.0, 1e-3).radius_m == 1e-3


def test_custom_limits_on_radius() -> None:
    small = Limits(max_radius_m=10_000.0)
    Circle(0.0, 0.0, 10_000.0).validate(small)
    with pytest.raises(ValidationError) as info:
        Circle(0.0, 0.0, 10_000.5).validate(small)
    assert (info.value.code, info.value.field) == ("TOO_LARGE", "radius_m")
    with pytest.raises(ValidationError) as info:
        Corridor(((0.0, 0.0), (0.0, 1.0)), 20_000.0).validate(small)
    assert (info.value.code, info.value.field) == ("TOO_LARGE", "half_width_m")


# --- vertex counts and cleaning ---------------------------------------------------------------


@pytest.mark.parametrize(
    "ring",
    [
        (),
        ((0.0, 0.0),),
        ((0.0, 0.0), (1.0, 1.0)),
        ((0.0, 0.0), (1.0, 1.0), (0.0, 0.0)),  # the closing vertex is dropped
        ((0.0, 0.0), (0.0, 0.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0)),  # and repeats
        ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)),
    ],
    ids=["empty", "one", "two", "two closed", "two with repeats", "one repeated"],
)
def test_fewer_than_three_distinct_vertices(ring: tuple[tuple[float, float], ...]) -> None:
    assert code_and_field(lambda: Polygon(ring)) == ("TOO_FEW_VERTICES", "exterior")


def test_a_hole_with_too_few_vertices() -> None:
    hole = ((0.4, 0.4), (0.6, 0.6), (0.4, 0.4))
    assert code_and_field(lambda: Polygon(SQUARE, holes=(hole,))) == (
        "TOO_FEW_VERTICES",
        "holes[0]",
    )


def test_repeated_and_closing_vertices_are_dropped() -> None:
    p = Polygon(
        ((0.0, 0.0), (0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0))
    )
    assert p.exterior == SQUARE
    assert p.vertex_count == 4
    c = Corridor(((0.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.0, 1.0), (0.0, 2.0)), 10.0)
    assert c.path == ((0.0, 0.0), (0.0, 1.0), (0.0, 2.0))
    # a corridor's end may come back to its start: a closed route, not a closing vertex
    loop = Corridor(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)), 10.0)
    assert loop.vertex_count == 4


def test_vertices_become_float_tuples() -> None:
    p = Polygon([[0, 0], [0, 1], [1, 1]])  # type: ignore[list-item]
    assert p.exterior == ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0))
    assert all(isinstance(x, float) for v in p.exterior for x in v)


def test_a_corridor_needs_two_distinct_points() -> None:
    assert code_and_field(lambda: Corridor(((0.0, 0.0),), 10.0)) == ("TOO_FEW_VERTICES", "path")
    assert code_and_field(lambda: Corridor(((1.0, 1.0), (1.0, 1.0)), 10.0)) == (
        "TOO_FEW_VERTICES",
        "path",
    )


def test_too_many_vertices_with_custom_limits() -> None:
    limits = Limits(max_vertices=5)
    ring = tuple((math.sin(a), math.cos(a)) for a in np.linspace(0, 2 * math.pi, 6)[:-1])
    five = Polygon(ring)
    five.validate(limits)
    with pytest.raises(ValidationError) as info:
        Polygon(ring, holes=(((0.1, 0.1), (0.1, 0.2), (0.2, 0.2)),)).validate(limits)
    assert (info.value.code, info.value.field) == ("TOO_MANY_VERTICES", "exterior")
    path = tuple((0.0, float(i)) for i in range(6))
    with pytest.raises(ValidationError) as info:
        Corridor(path, 10.0).validate(limits)
    assert (info.value.code, info.value.field) == ("TOO_MANY_VERTICES", "path")
    Corridor(path[:5], 10.0).validate(limits)


def test_too_many_vertices_with_the_default_limits() -> None:
    n = DEFAULT_LIMITS.max_vertices + 1
    path = tuple((0.0, -90.0 + 180.0 * i / n) for i in range(n))
    assert code_and_field(lambda: Corridor(path, 10.0)) == ("TOO_MANY_VERTICES", "path")


# --- polygon shape rules ---------------------------------------------------------------------


def test_bow_tie_is_self_intersecting() -> None:
    bow_tie = ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0))
    assert code_and_field(lambda: Polygon(bow_tie)) == ("SELF_INTERSECTING", "exterior")


def test_outlines_read_back_from_a_store_skip_only_the_crossing_test() -> None:
    bow_tie = ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0))
    with stored_outlines():
        assert len(Polygon(bow_tie).exterior) == 4  # checked when it was written
        assert code_and_field(lambda: Polygon(bow_tie[:2])) == ("TOO_FEW_VERTICES",
                                                                "exterior")
    assert code_and_field(lambda: Polygon(bow_tie)) == ("SELF_INTERSECTING", "exterior")


def test_bow_tie_across_the_antimeridian_is_self_intersecting() -> None:
    bow_tie = ((10.0, 179.0), (11.0, -179.0), (11.0, 179.0), (10.0, -179.0))
    assert code_and_field(lambda: Polygon(bow_tie)) == ("SELF_INTERSECTING", "exterior")


def test_spike_back_along_an_edge_is_refused() -> None:
    # A→B→A' doubling back over itself: zero width, refused before it reaches the engine
    ring = ((0.0, 0.0), (0.0, 2.0), (0.0, 1.0), (1.0, 1.0))
    assert code_and_field(lambda: Polygon(ring))[1] == "exterior"


@pytest.mark.parametrize(
    "ring",
    [
        ((0.0, 0.0), (1.0, 0.0), (2.0, 0.0)),  # along a meridian
        ((0.0, 0.0), (0.0, 1.0), (0.0, 2.0)),  # along the equator
    ],
    ids=["meridian", "equator"],
)
def test_collinear_vertices_on_a_geodesic_are_refused(
    ring: tuple[tuple[float, float], ...],
) -> None:
    # these are flat in lon/lat too, so the planar check catches them as SELF_INTERSECTING;
    # ZERO_AREA would be the better code (see test_zero_area_triangle_on_a_geodesic)
    code, field = code_and_field(lambda: Polygon(ring))
    assert code in {"ZERO_AREA", "SELF_INTERSECTING"}
    assert field == "exterior"


def test_zero_area_triangle_on_a_geodesic() -> None:
    """BUG: three vertices on one geodesic at high latitude (the middle one is the geodesic
    midpoint of the outer two, ``Geod.npts``) enclose no area, but the ring is valid in the
    planar lon/lat check and ``polygon_area_perimeter`` returns 0.0117 m² > the 1e-3 m²
    threshold, so the polygon is accepted."""
    (mid_lon, mid_lat), = GEOD.npts(0.0, 70.0, 60.0, 70.0, 1)
    assert code_and_field(lambda: Polygon(((70.0, 0.0), (mid_lat, mid_lon), (70.0, 60.0)))) == (
        "ZERO_AREA",
        "exterior",
    )


def test_geodesically_self_intersecting_ring_is_refused() -> None:
    """BUG: self-intersection is checked on the planar lon/lat ring, not on the geodesic one.
    At 70°N the 60°-long southern edge bulges to 72.5°N and crosses the short legs that come
    back along 71°N, yet the polygon is accepted; ``point_in_area`` then says (71.5, 30) is
    inside and (70.5, 30) is not."""
    ring = ((70.0, 0.0), (70.0, 60.0), (71.0, 60.0), (71.0, 45.0), (71.0, 30.0), (71.0, 15.0),
            (71.0, 0.0))
    assert code_and_field(lambda: Polygon(ring)) == ("SELF_INTERSECTING", "exterior")


def test_geodesically_simple_triangle_along_a_parallel_is_accepted() -> None:
    """BUG (converse of the above): (70,0), (70,30), (70,60) are collinear in lon/lat, but their
    geodesic edges are not (the 60° edge bulges to 72.5°N, the 30° ones to 70.6°N), so the
    triangle encloses about 308,000 km² (``Geod.polygon_area_perimeter``); it is refused as
    SELF_INTERSECTING."""
    p = Polygon(((70.0, 0.0), (70.0, 30.0), (70.0, 60.0)))
    assert p.vertex_count == 3


# --- holes ------------------------------------------------------------------------------------


def test_polygon_with_hole_is_accepted(polygon_with_hole: Polygon) -> None:
    assert len(polygon_with_hole.holes) == 1
    assert polygon_with_hole.vertex_count == 8
    assert len(polygon_with_hole.rings) == 2
    assert polygon_with_hole.edges.start.size == 8


@pytest.mark.parametrize(
    "hole",
    [
        ((2.0, 2.0), (2.0, 3.0), (3.0, 3.0)),  # outside the shell
        ((0.5, 0.5), (0.5, 1.5), (0.7, 1.5), (0.7, 0.5)),  # crossing the shell
        ((0.2, 0.2), (0.8, 0.8), (0.2, 0.8), (0.8, 0.2)),  # a bow tie
        ((-0.5, -0.5), (-0.5, 1.5), (1.5, 1.5), (1.5, -0.5)),  # around the shell
    ],
    ids=["outside", "crossing", "bow tie", "around"],
)
def test_bad_holes(hole: tuple[tuple[float, float], ...]) -> None:
    assert code_and_field(lambda: Polygon(SQUARE, holes=(hole,))) == ("BAD_HOLE", "holes")


def test_overlapping_holes_are_bad() -> None:
    h1 = ((0.2, 0.2), (0.2, 0.6), (0.6, 0.6), (0.6, 0.2))
    h2 = ((0.4, 0.4), (0.4, 0.8), (0.8, 0.8), (0.8, 0.4))
    assert code_and_field(lambda: Polygon(SQUARE, holes=(h1, h2))) == ("BAD_HOLE", "holes")


def test_bad_exterior_wins_over_bad_hole() -> None:
    bow_tie = ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0))
    hole = ((2.0, 2.0), (2.0, 3.0), (3.0, 3.0))
    assert code_and_field(lambda: Polygon(bow_tie, holes=(hole,))) == (
        "SELF_INTERSECTING",
        "exterior",
    )


# --- poles and long edges ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "ring",
    [
        ((80.0, 0.0), (80.0, 120.0), (80.0, -120.0)),
        ((-75.0, -170.0), (-75.0, -50.0), (-75.0, 70.0)),
        tuple((85.0, float(lon)) for lon in range(-180, 180, 30)),
    ],
    ids=["north triangle", "south triangle", "north dodecagon"],
)
def test_ring_around_a_pole_is_refused(ring: tuple[tuple[float, float], ...]) -> None:
    assert code_and_field(lambda: Polygon(ring)) == ("POLE_IN_POLYGON", "exterior")


def test_hole_around_a_pole_is_refused() -> None:
    hole = tuple((85.0, float(lon)) for lon in range(-180, 180, 30))
    shell = ((60.0, 0.0), (60.0, 1.0), (61.0, 1.0))
    assert code_and_field(lambda: Polygon(shell, holes=(hole,))) == ("POLE_IN_POLYGON", "holes[0]")


def test_high_latitude_polygon_beside_the_pole_is_accepted(high_latitude_polygon: Polygon) -> None:
    assert high_latitude_polygon.vertex_count == 3
    # a long edge that passes near, but not around, the pole
    Polygon(((80.0, 0.0), (80.0, 170.0), (70.0, 85.0)))


@pytest.mark.parametrize(
    ("outline", "field"),
    [
        (lambda: Polygon(((0.0, 0.0), (0.0, 180.0), (1.0, 90.0))), "exterior"),
        (lambda: Polygon(((10.0, -90.0), (10.0, 90.0), (20.0, 0.0))), "exterior"),
        (lambda: Polygon(((-5.0, 170.0), (5.0, -10.0), (0.0, 80.0))), "exterior"),
        (lambda: Corridor(((0.0, 0.0), (0.0, 180.0)), 10.0), "path"),
        (lambda: Corridor(((30.0, -60.0), (30.0, 120.0)), 10.0), "path"),
        (
            lambda: Polygon(SQUARE, holes=(((0.5, 0.1), (0.5, -179.9), (0.6, 0.2)),)),
            "holes[0]",
        ),
    ],
    ids=["equator", "10°N", "tilted", "corridor", "corridor 30°N", "hole"],
)
def test_edges_spanning_180_degrees_of_longitude(outline: object, field: str) -> None:
    assert code_and_field(outline) == ("EDGE_TOO_LONG", field)


def test_edges_just_under_180_degrees_are_accepted() -> None:
    assert Corridor(((0.0, 0.0), (0.0, 179.0)), 10.0).vertex_count == 2


def test_meridian_edges_through_a_pole_vertex_are_accepted() -> None:
    # a vertex at the pole: its longitude is arbitrary, so no edge from it is "too long"
    p = Polygon(((90.0, 0.0), (80.0, 0.0), (80.0, 90.0)))
    assert p.vertex_count == 3


def test_antimeridian_polygon_is_accepted(antimeridian_polygon: Polygon) -> None:
    assert antimeridian_polygon.vertex_count == 4
    lengths = antimeridian_polygon.rings[0].length_m
    # the short way across 180°, not 358° around the world
    assert lengths.max() < 250_000.0


# --- ring and edge arrays ------------------------------------------------------------------


def test_ring_arrays_match_pyproj(high_latitude_polygon: Polygon) -> None:
    ring = high_latitude_polygon.rings[0]
    assert ring.lat.tolist() == [70.0, 70.0, 75.0]
    assert ring.end_lat.tolist() == [70.0, 75.0, 70.0]
    assert ring.end_lon.tolist() == [60.0, 30.0, 0.0]
    az, _, length = GEOD.inv(ring.lon, ring.lat, ring.end_lon, ring.end_lat)
    np.testing.assert_allclose(ring.length_m, length, atol=1e-3)
    np.testing.assert_allclose(ring.az, az, atol=1e-7)


def test_corridor_legs_are_open() -> None:
    c = Corridor(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0)), 500.0)
    assert c.line.az.size == 2
    assert c.edges.start.tolist() == [0, 1]
    assert c.edges.end.tolist() == [1, 2]
    assert not c.edges.is_area
    assert c.radius_m == 500.0


def test_polygon_edges_concatenate_rings(polygon_with_hole: Polygon) -> None:
    e = polygon_with_hole.edges
    assert e.is_area
    assert e.start.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert e.end.tolist() == [1, 2, 3, 0, 5, 6, 7, 4]
    assert e.alat.tolist() == e.vlat[e.start].tolist()
    assert e.blon.tolist() == e.vlon[e.end].tolist()
    np.testing.assert_allclose(np.linalg.norm(e.vunit, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(e.normal, axis=1), 1.0)


def test_radius_and_vertex_count_of_each_kind() -> None:
    assert Polygon(SQUARE).radius_m == 0.0
    assert Circle(0.0, 0.0, 5.0).vertex_count == 0
    assert Circle(0.0, 0.0, 5.0).kind == "circle"
    assert Polygon(SQUARE).kind == "polygon"
    assert Corridor(((0.0, 0.0), (0.0, 1.0)), 5.0).kind == "corridor"


def test_outlines_are_frozen() -> None:
    c = Circle(0.0, 0.0, 5.0)
    with pytest.raises(AttributeError):
        c.radius_m = 6.0  # type: ignore[misc]


def test_bbox_parts() -> None:
    assert BBox(0.0, 10.0, 1.0, 20.0).parts() == [(10.0, 0.0, 20.0, 1.0)]
    assert BBox(0.0, 170.0, 1.0, -170.0).parts() == [
        (170.0, 0.0, 180.0, 1.0),
        (-180.0, 0.0, -170.0, 1.0),
    ]
