"""Fast spherical approximations with a stated error bound, used only to prune.

The engine never reports a spherical number. It uses these to discard pairs that are
certainly far apart (or to pick the few vertex-edge pairs worth an exact computation),
and computes everything that decides a verdict on the ellipsoid. The bound
:func:`error_bound_m` covers the difference between a great circle on a sphere of
:data:`~deconfliction.core.geodesy.EARTH_MEAN_RADIUS_M` through geodetic coordinates and
the WGS84 geodesic (about 0.56 % of a distance at most, plus the sag of a long edge; the bound
allows 1.5 %);
``tests/core/test_sphere.py`` checks it against GeographicLib on random pairs.

>>> d = point_segment_m(np.array([0.1]), np.array([0.5]), np.array([0.0]), np.array([0.0]),
...                     np.array([0.0]), np.array([1.0]))
>>> bool(abs(float(d[0]) - 11057.43) < error_bound_m(d, np.array([111_319.5]))[0])
True
"""

from __future__ import annotations

import numpy as np

from deconfliction.core import kernels
from deconfliction.core.geodesy import EARTH_MEAN_RADIUS_M, FloatArray

__all__ = ["error_bound_m", "point_segment_m", "unit_vectors"]


def unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Unit vectors ``(..., 3)`` for geodetic coordinates treated as spherical ones."""
    la, lo = np.radians(lat), np.radians(lon)
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


def error_bound_m(distance_m: FloatArray, edge_m: FloatArray | float = 0.0) -> FloatArray:
    """How far a spherical distance may be from the ellipsoidal one (metres, conservative)."""
    total = np.asarray(distance_m) + np.asarray(edge_m)
    return np.asarray(kernels.BOUND_REL * total + kernels.BOUND_ABS_M)


def _angle(u: FloatArray, v: FloatArray) -> FloatArray:
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.asarray(np.arctan2(cross, np.sum(u * v, axis=-1)))


def point_segment_m(
    plat: FloatArray,
    plon: FloatArray,
    alat: FloatArray,
    alon: FloatArray,
    blat: FloatArray,
    blon: FloatArray,
) -> FloatArray:
    """Great-circle distance from points P to arcs AB on the mean sphere (broadcasts)."""
    p, a, b = unit_vectors(plat, plon), unit_vectors(alat, alon), unit_vectors(blat, blon)
    return _point_segment(p, a, b)


def _point_segment(p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    n = np.cross(a, b)
    nn = np.linalg.norm(n, axis=-1, keepdims=True)
    degenerate = nn[..., 0] < 1e-15
    n = n / np.where(nn < 1e-15, 1.0, nn)
    pn = np.sum(p * n, axis=-1)
    foot = p - pn[..., None] * n
    inside = (np.sum(np.cross(a, foot) * n, axis=-1) >= 0) & (
        np.sum(np.cross(foot, b) * n, axis=-1) >= 0
    )
    cross_track = np.abs(np.arcsin(np.clip(pn, -1.0, 1.0)))
    ends = np.minimum(_angle(p, a), _angle(p, b))
    ang = np.where(inside & ~degenerate, cross_track, ends)
    return np.asarray(ang * EARTH_MEAN_RADIUS_M)
