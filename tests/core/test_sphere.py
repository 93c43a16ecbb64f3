"""The spherical pruning functions and their stated error bound.

``error_bound_m`` must really bound |spherical − ellipsoidal| point–segment distance, or the
engine could prune away the pair that holds the true minimum. The ellipsoidal reference is
``geodesy.point_segment_distance``; it is itself checked against brute force in
``test_geodesy.py`` for distances under a quarter meridian, so samples stay below 9,000 km.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.distance import core_distance
from deconfliction.core.geodesy import EARTH_MEAN_RADIUS_M, point_segment_distance
from deconfliction.core.outline import Corridor
from deconfliction.core.sphere import (
    error_bound_m,
    point_segment_m,
    unit_vectors,
)

GEOD = Geod(ellps="WGS84")


def random_pairs(
    rng: np.random.Generator, n: int, scale_m: float, max_lat: float = 89.0
) -> tuple[np.ndarray, ...]:
    """``n`` random segments of length up to ``2·scale`` and points up to ``3·scale`` from a
    point on (or just beyond) each segment."""
    alat, alon = rng.uniform(-max_lat, max_lat, n), rng.uniform(-180, 180, n)
    az = rng.uniform(0, 360, n)
    length = scale_m * rng.uniform(0.0, 2.0, n)
    blon, blat, _ = GEOD.fwd(alon, alat, az, length)
    mlon, mlat, _ = GEOD.fwd(alon, alat, az, length * rng.uniform(-0.5, 1.5, n))
    plon, plat, _ = GEOD.fwd(mlon, mlat, rng.uniform(0, 360, n), scale_m * rng.uniform(0, 3, n))
    return plat, plon, alat, alon, blat, blon


@pytest.mark.parametrize("scale_m", [1.0, 30.0, 1e3, 3e4, 1e5, 1e6, 3e6])
def test_error_bound_holds_on_random_samples(scale_m: float) -> None:
    rng = np.random.default_rng(int(scale_m))
    plat, plon, alat, alon, blat, blon = random_pairs(rng, 2_000, scale_m)
    exact, *_ = point_segment_distance(plat, plon, alat, alon, blat, blon)
    keep = exact < 9e6
    approx = point_segment_m(plat, plon, alat, alon, blat, blon)
    _, _, edge = GEOD.inv(alon, alat, blon, blat)
    bound = error_bound_m(approx, edge)
    err = np.abs(approx - exact)
    worst = int(np.argmax(np.where(keep, err / bound, 0.0)))
    assert np.all(err[keep] <= bound[keep]), (
        f"P={plat[worst], plon[worst]} A={alat[worst], alon[worst]} B={blat[worst], blon[worst]}"
        f" sphere={approx[worst]} ellipsoid={exact[worst]} bound={bound[worst]}"
    )
    assert keep.mean() > 0.9


def test_error_bound_holds_near_the_poles_and_on_180() -> None:
    rng = np.random.default_rng(99)
    n = 2_000
    alat = rng.choice([-1, 1], n) * rng.uniform(80, 89.9, n)
    alon = rng.choice([-1, 1], n) * rng.uniform(175, 180, n)
    blon, blat, _ = GEOD.fwd(alon, alat, rng.uniform(0, 360, n), rng.uniform(0, 5e5, n))
    plon, plat, _ = GEOD.fwd(alon, alat, rng.uniform(0, 360, n), rng.uniform(0, 1e6, n))
    exact, *_ = point_segment_distance(plat, plon, alat, alon, blat, blon)
    approx = point_segment_m(plat, plon, alat, alon, blat, blon)
    _, _, edge = GEOD.inv(alon, alat, blon, blat)
    assert np.all(np.abs(approx - exact) <= error_bound_m(approx, edge))


def test_error_bound_holds_for_point_to_point() -> None:
    # a degenerate segment (A = B) is a point; the bound needs no edge term
    rng = np.random.default_rng(5)
    n = 3_000
    alat, alon = rng.uniform(-89, 89, n), rng.uniform(-180, 180, n)
    plon, plat, _ = GEOD.fwd(alon, alat, rng.uniform(0, 360, n), 10 ** rng.uniform(0, 7, n))
    _, _, exact = GEOD.inv(alon, alat, plon, plat)
    approx = point_segment_m(plat, plon, alat, alon, alat, alon)
    assert np.all(np.abs(approx - exact) <= error_bound_m(approx))


def test_error_bound_shape_and_floor() -> None:
    assert float(error_bound_m(np.array(0.0))) == pytest.approx(10.0)
    b = error_bound_m(np.array([[0.0, 1e6]]), np.array([[0.0, 1e5]]))
    assert b.shape == (1, 2)
    assert b[0, 1] == pytest.approx(0.015 * 1.1e6 + 10.0)


def test_point_segment_m_on_simple_cases() -> None:
    one = np.array([1.0])
    zero = np.array([0.0])
    # 1° of great circle north of the middle of an equatorial edge
    d = point_segment_m(one, np.array([0.5]), zero, zero, zero, one)
    assert float(d[0]) == pytest.approx(np.radians(1.0) * EARTH_MEAN_RADIUS_M, rel=1e-9)
    # beyond the end: distance to the end point
    d = point_segment_m(zero, np.array([3.0]), zero, zero, zero, one)
    assert float(d[0]) == pytest.approx(np.radians(2.0) * EARTH_MEAN_RADIUS_M, rel=1e-9)
    # across the antimeridian
    d = point_segment_m(zero, np.array([-179.5]), zero, np.array([179.0]), zero, np.array([-179.0]))
    assert float(d[0]) == pytest.approx(0.0, abs=1e-6)


def test_point_segment_m_broadcasts() -> None:
    plat = np.zeros((3, 1))
    plon = np.array([[0.5], [5.0], [-5.0]])
    d = point_segment_m(plat, plon, np.zeros(2), np.zeros(2), np.array([0.0, 1.0]), np.ones(2))
    assert d.shape == (3, 2)


def test_unit_vectors() -> None:
    u = unit_vectors(np.array([0.0, 90.0, 0.0]), np.array([0.0, 0.0, 90.0]))
    np.testing.assert_allclose(u, [[1, 0, 0], [0, 0, 1], [0, 1, 0]], atol=1e-15)


@pytest.mark.parametrize(
    ("a1", "a2", "b1", "b2", "meet"),
    [
        ((0, 0), (1, 1), (0, 1), (1, 0), True),  # an X
        ((0, 0), (1, 1), (2, 0), (3, 1), False),  # apart
        ((0, 0), (0, 2), (0, 1), (1, 1), True),  # a T: touching
        ((-1, 179.5), (1, -179.5), (-1, -179.5), (1, 179.5), True),  # an X on 180°
        ((0, 0), (1, 1), (0, -179), (-1, 180), False),  # the antipodal X does not count
    ],
)
def test_crossing_segments_meet(
    a1: tuple[float, float],
    a2: tuple[float, float],
    b1: tuple[float, float],
    b2: tuple[float, float],
    meet: bool,
) -> None:
    # the spherical crossing test lives in the compiled kernels; check it through the engine
    a, b = Corridor((a1, a2), 1.0), Corridor((b1, b2), 1.0)
    for x, y in ((a, b), (b, a)):
        d = core_distance(x, y).distance_m
        assert (d < 1e-6) is meet
