"""Geodesics on WGS84: the wrappers agree with pyproj, and the point–segment distance agrees
with a dense brute-force sampling of the segment (``Geod.npts``)."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.geodesy import (
    EARTH_MEAN_RADIUS_M,
    HALF_CIRCUMFERENCE_M,
    forward,
    inverse,
    point_segment_distance,
    wrap180,
)

GEOD = Geod(ellps="WGS84")

LatLon = tuple[float, float]


def brute_force(p: LatLon, a: LatLon, b: LatLon, n: int = 4_000) -> tuple[float, LatLon]:
    """Least distance from ``p`` to ``n`` points (both ends included) spread evenly along AB."""
    pts = GEOD.npts(a[1], a[0], b[1], b[0], n, initial_idx=0, terminus_idx=0)
    lon = np.array([q[0] for q in pts])
    lat = np.array([q[1] for q in pts])
    _, _, d = GEOD.inv(np.full(lon.size, p[1]), np.full(lon.size, p[0]), lon, lat)
    k = int(np.argmin(d))
    return float(d[k]), (float(lat[k]), float(lon[k]))


def ours(p: LatLon, a: LatLon, b: LatLon) -> tuple[float, LatLon, float]:
    arrays = (np.array([x], dtype=np.float64) for x in (*p, *a, *b))
    d, flat, flon, side = point_segment_distance(*arrays)
    return float(d[0]), (float(flat[0]), float(flon[0])), float(side[0])


def geodesic_m(p: LatLon, q: LatLon) -> float:
    return float(GEOD.inv(p[1], p[0], q[1], q[0])[2])


# --- wrappers agree with pyproj ---------------------------------------------------------------


def test_constants() -> None:
    assert pytest.approx(20_037_508.34, abs=0.01) == HALF_CIRCUMFERENCE_M
    assert pytest.approx(6_371_008.8) == EARTH_MEAN_RADIUS_M


def test_wrap180() -> None:
    assert wrap180(np.array([0.0, 179.0, 180.0, 181.0, -181.0, 540.0, -540.0])).tolist() == [
        0.0, 179.0, -180.0, -179.0, 179.0, -180.0, -180.0,
    ]
    assert float(wrap180(-180.0)) == -180.0


def test_inverse_agrees_with_pyproj_on_random_pairs() -> None:
    rng = np.random.default_rng(11)
    n = 5_000
    lat1, lat2 = rng.uniform(-90, 90, n), rng.uniform(-90, 90, n)
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    # a tenth of the pairs nearly antipodal, where Vincenty's iteration may not converge
    m = n // 10
    lat2[:m] = np.clip(-lat1[:m] + rng.normal(0, 0.3, m), -90, 90)
    lon2[:m] = wrap180(lon1[:m] + 180 + rng.normal(0, 0.3, m))
    az12, az21, d = inverse(lat1, lon1, lat2, lon2)
    paz12, paz21, pd = GEOD.inv(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(d, pd, rtol=0, atol=5e-4)
    apart = pd > 1.0
    np.testing.assert_allclose(wrap180(az12 - paz12)[apart], 0.0, atol=1e-6)
    np.testing.assert_allclose(wrap180(az21 - paz21)[apart], 0.0, atol=1e-6)


@pytest.mark.parametrize(
    ("p", "q"),
    [((0.0, 0.0), (0.0, 180.0)), ((0.0, 0.0), (0.5, 179.7)), ((30.0, 10.0), (-30.0, -170.0)),
     ((90.0, 0.0), (-90.0, 0.0)), ((45.0, 45.0), (45.0, 45.0))],
    ids=["equatorial antipodes", "nearly antipodal", "antipodes", "pole to pole", "same point"],
)
def test_inverse_agrees_with_pyproj_where_iterations_struggle(p: LatLon, q: LatLon) -> None:
    _, _, d = inverse(p[0], p[1], q[0], q[1])
    assert float(d) == pytest.approx(geodesic_m(p, q), abs=5e-4)


def test_forward_agrees_with_pyproj_on_random_inputs() -> None:
    rng = np.random.default_rng(12)
    n = 5_000
    lat, lon = rng.uniform(-90, 90, n), rng.uniform(-180, 180, n)
    az, dist = rng.uniform(-180, 180, n), rng.uniform(0, 2e7, n)
    dist[: n // 4] = rng.uniform(0, 1e4, n // 4)
    lat2, lon2, baz = forward(lat, lon, az, dist)
    plon2, plat2, pbaz = GEOD.fwd(lon, lat, az, dist)
    _, _, miss = GEOD.inv(lon2, lat2, plon2, plat2)
    assert float(miss.max()) < 5e-4
    assert np.all(np.abs(lat2) <= 90.0)
    assert np.all((lon2 >= -180.0) & (lon2 <= 180.0))
    np.testing.assert_allclose(wrap180(baz - pbaz), 0.0, atol=1e-6)


def test_forward_then_inverse_round_trips() -> None:
    lat2, lon2, _ = forward(33.50583, 38.61778, 123.0, 55_000.0)
    az, _, d = inverse(33.50583, 38.61778, lat2, lon2)
    assert float(d) == pytest.approx(55_000.0, abs=1e-6)
    assert float(az) == pytest.approx(123.0, abs=1e-9)


def test_scalars_give_zero_dimensional_arrays_and_arrays_broadcast() -> None:
    _, _, d = inverse(0.0, 0.0, 0.0, 1.0)
    assert d.shape == ()
    assert float(d) == pytest.approx(111_319.49, abs=0.01)
    _, _, grid = inverse(np.zeros((2, 1)), 0.0, 0.0, np.array([1.0, 2.0, 3.0]))
    assert grid.shape == (2, 3)
    lat2, _, _ = forward(0.0, 0.0, np.array([0.0, 180.0]), 1_000.0)
    assert lat2.shape == (2,)
    assert lat2[0] == -lat2[1] > 0


def test_inverse_is_exact_across_the_antimeridian() -> None:
    _, _, d = inverse(0.0, 179.5, 0.0, -179.5)
    assert float(d) == pytest.approx(111_319.49, abs=0.01)


# --- point–segment distance against brute force ----------------------------------------------

CASES: dict[str, tuple[LatLon, LatLon, LatLon]] = {
    "foot inside, short equatorial edge": ((0.1, 0.5), (0.0, 0.0), (0.0, 1.0)),
    "foot inside, mid latitude": ((34.0, 38.9), (33.0, 38.0), (34.5, 39.5)),
    "foot at the start": ((1.0, -1.0), (0.0, 0.0), (0.0, 1.0)),
    "foot at the end": ((-0.5, 2.0), (0.0, 0.0), (0.0, 1.0)),
    "foot at the end, far beyond": ((20.0, 30.0), (0.0, 0.0), (5.0, 5.0)),
    "long edge at 80°N, point toward the pole": ((85.0, 30.0), (80.0, 0.0), (80.0, 170.0)),
    "long edge at 80°N, point near the pole": ((89.0, 60.0), (80.0, 0.0), (80.0, 170.0)),
    "long edge at 80°N, point equatorward": ((60.0, 100.0), (80.0, 0.0), (80.0, 170.0)),
    "long edge at 70°S": ((-72.0, 40.0), (-70.0, 0.0), (-70.0, 60.0)),
    "antimeridian edge, point east of 180": ((0.5, -179.9), (0.0, 179.0), (1.0, -179.0)),
    "antimeridian edge, point west of 180": ((0.2, 179.8), (0.0, 179.0), (1.0, -179.0)),
    "antimeridian edge, foot at the end": ((2.0, -178.0), (0.0, 179.0), (1.0, -179.0)),
    "long antimeridian edge in the south": ((-30.0, -170.0), (-10.0, 170.0), (-40.0, -160.0)),
    "meridian edge": ((10.0, 1.0), (0.0, 0.0), (20.0, 0.0)),
    "continental edge": ((45.0, 20.0), (40.0, -10.0), (55.0, 60.0)),
    "point on the segment": ((0.0, 0.5), (0.0, 0.0), (0.0, 1.0)),
    "point at a vertex": ((0.0, 0.0), (0.0, 0.0), (0.0, 1.0)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_point_segment_distance_matches_brute_force(case: tuple[LatLon, LatLon, LatLon]) -> None:
    p, a, b = case
    d, foot, _ = ours(p, a, b)
    bd, _ = brute_force(p, a, b)
    spacing = geodesic_m(a, b) / 3_999
    # the exact minimum is at most the best sample, and the best sample is at most half a
    # spacing further along the segment than the true foot (second order in the offset)
    assert d <= bd + 1e-3
    assert d >= bd - spacing / 2 - 1e-3
    # the foot is on the segment and as far from P as the distance says
    assert geodesic_m(p, foot) == pytest.approx(d, abs=1e-3)
    assert geodesic_m(a, foot) + geodesic_m(foot, b) == pytest.approx(geodesic_m(a, b), abs=1e-3)


def test_foot_at_an_end_point_is_the_end_point() -> None:
    d, foot, _ = ours((-0.5, 2.0), (0.0, 0.0), (0.0, 1.0))
    assert foot == pytest.approx((0.0, 1.0), abs=1e-9)
    assert d == pytest.approx(geodesic_m((-0.5, 2.0), (0.0, 1.0)), abs=1e-6)
    d, foot, _ = ours((1.0, -1.0), (0.0, 0.0), (0.0, 1.0))
    assert foot == pytest.approx((0.0, 0.0), abs=1e-9)


def test_side_is_right_positive_left_negative_and_zero_on_the_segment() -> None:
    # A→B heads east along the equator: north is on the left
    assert ours((0.1, 0.5), (0.0, 0.0), (0.0, 1.0))[2] == -1.0
    assert ours((-0.1, 0.5), (0.0, 0.0), (0.0, 1.0))[2] == 1.0
    assert ours((0.0, 0.0), (0.0, 0.0), (0.0, 1.0))[2] == 0.0
    # across the antimeridian as well
    assert ours((0.9, 179.5), (0.0, 179.0), (1.0, -179.0))[2] == -1.0


def test_point_segment_distance_is_vectorised_on_random_short_segments() -> None:
    rng = np.random.default_rng(3)
    n = 40
    alat, alon = rng.uniform(-80, 80, n), rng.uniform(-180, 180, n)
    blon, blat, _ = GEOD.fwd(alon, alat, rng.uniform(0, 360, n), rng.uniform(1e3, 2e6, n))
    plon, plat, _ = GEOD.fwd(alon, alat, rng.uniform(0, 360, n), rng.uniform(0, 3e6, n))
    d, _, _, _ = point_segment_distance(plat, plon, alat, alon, blat, blon)
    for i in range(n):
        bd, _ = brute_force((plat[i], plon[i]), (alat[i], alon[i]), (blat[i], blon[i]), 1_000)
        spacing = geodesic_m((alat[i], alon[i]), (blat[i], blon[i])) / 999
        assert bd - spacing / 2 - 1e-3 <= d[i] <= bd + 1e-3


@pytest.mark.parametrize(
    "case",
    [
        ((-10.0, 130.0), (5.0, -11.0), (15.0, -10.0)),
        ((-1.0, -179.99), (0.0, 0.0), (0.0, 1.0)),
    ],
    ids=["15,700 km away", "near the antipode of A"],
)
def test_point_segment_distance_beyond_a_quarter_meridian(
    case: tuple[LatLon, LatLon, LatLon],
) -> None:
    """BUG: when P is more than about 10,000 km from the segment, the iteration (which clamps
    ``d/R`` below π/2 in ``_project``) can settle on the *farther* end. For P=(-10, 130),
    A=(5, -11), B=(15, -10) it returns 15,699,270 m with the foot at A; the truth is
    15,658,139 m at B. ``distance.separation`` with no limit inherits the error."""
    p, a, b = case
    d, _, _ = ours(p, a, b)
    bd, _ = brute_force(p, a, b)
    assert d <= bd + 1e-3
