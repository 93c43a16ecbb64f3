"""Exact geodesics on the WGS84 ellipsoid, vectorised over numpy arrays.

Distances and azimuths come from compiled Vincenty iterations
(:mod:`deconfliction.core.kernels`), which agree with GeographicLib to well under a
millimetre; where Vincenty's inverse iteration does not converge (nearly antipodal points)
the answer comes from GeographicLib itself through ``pyproj.Geod``.
Angles are degrees, azimuths clockwise from north,
distances metres. Arguments are in ``(lat, lon)`` order everywhere in this project.

Examples
--------
>>> az12, az21, d = inverse(33.50583, 38.61778, 33.30, 38.64)
>>> round(float(d))
22922
>>> lat, lon, _ = forward(33.50583, 38.61778, 180.0, 55_000.0)
>>> round(float(lat), 4), round(float(lon), 5)
(33.0099, 38.61778)
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from deconfliction.core import kernels

__all__ = [
    "EARTH_MEAN_RADIUS_M",
    "HALF_CIRCUMFERENCE_M",
    "WGS84",
    "FloatArray",
    "forward",
    "inverse",
    "point_segment_distance",
    "wrap180",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | FloatArray

WGS84: Final = Geod(ellps="WGS84")
EARTH_MEAN_RADIUS_M: Final = 6_371_008.8
#: Half the equatorial circumference: no outline may reach further than this.
HALF_CIRCUMFERENCE_M: Final = float(np.pi * 6_378_137.0)


def wrap180(deg: ArrayLike) -> FloatArray:
    """Wrap angles to ``[-180, 180)``.

    >>> wrap180(np.array([190.0, -190.0, 180.0])).tolist()
    [-170.0, 170.0, -180.0]
    """
    return np.asarray((np.asarray(deg, dtype=np.float64) + 180.0) % 360.0 - 180.0)


def inverse(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Solve the inverse problem: ``(azimuth 1→2, azimuth 2→1, distance_m)``."""
    a = np.broadcast_arrays(
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
    )
    shape = a[0].shape
    lon1_, lat1_, lon2_, lat2_ = (np.ascontiguousarray(x, dtype=np.float64).ravel() for x in a)
    az12, az2, dist, ok = kernels.inverse_many(lat1_, lon1_, lat2_, lon2_)
    az21 = wrap180(az2 + 180.0)
    if not ok.all():
        bad = ~ok
        az12[bad], az21[bad], dist[bad] = WGS84.inv(lon1_[bad], lat1_[bad], lon2_[bad], lat2_[bad])
    return _shaped(az12, shape), _shaped(az21, shape), _shaped(dist, shape)


def forward(
    lat: ArrayLike, lon: ArrayLike, azimuth: ArrayLike, distance_m: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Solve the direct problem: ``(lat2, lon2, back azimuth at the end point)``."""
    a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64),
        np.asarray(lat, dtype=np.float64),
        np.asarray(azimuth, dtype=np.float64),
        np.asarray(distance_m, dtype=np.float64),
    )
    shape = a[0].shape
    lon_, lat_, az_, s_ = (np.ascontiguousarray(x, dtype=np.float64).ravel() for x in a)
    lat2, lon2, az2 = kernels.direct_many(lat_, lon_, az_, s_)
    return _shaped(lat2, shape), _shaped(lon2, shape), _shaped(wrap180(az2 + 180.0), shape)


def _shaped(values: object, shape: tuple[int, ...]) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(shape)


def point_segment_distance(
    plat: FloatArray,
    plon: FloatArray,
    alat: FloatArray,
    alon: FloatArray,
    blat: FloatArray,
    blon: FloatArray,
    *,
    tol_m: float = 1e-4,
    max_iter: int = 30,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Geodesic distance from points P to geodesic segments AB, element-wise.

    Returns ``(distance_m, foot_lat, foot_lon, side)`` where the foot is the closest point of
    the segment and ``side`` is +1 when P lies to the right of A→B, -1 to the left, 0 on it.

    The foot is found by iterating on the distance ``s`` along AB: at the current foot X the
    geodesic X→P makes an angle ``alpha`` with the segment, and on a sphere of radius R the
    perpendicular foot lies ``R·atan(tan(d/R)·cos(alpha))`` further on. This converges
    quadratically on the ellipsoid as well and is clamped to ``[0, |AB|]``.

    >>> d, *_ = point_segment_distance(
    ...     np.array([0.1]), np.array([0.5]), np.array([0.0]), np.array([0.0]),
    ...     np.array([0.0]), np.array([1.0]))
    >>> round(float(d[0]), 3)  # 0.1 degree of meridian north of the equator
    11057.428
    """
    radius = EARTH_MEAN_RADIUS_M
    az_ab, _, seg_len = inverse(alat, alon, blat, blon)
    az_ap, _, d_ap = inverse(alat, alon, plat, plon)
    s = _project(d_ap, np.radians(az_ap - az_ab), radius)
    s = np.clip(s, 0.0, seg_len)
    n = s.shape[0]
    active = np.ones(n, dtype=bool)
    flat = np.empty(n)
    flon = np.empty(n)
    dist = np.empty(n)
    side = np.empty(n)
    for _ in range(max_iter):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        xlat, xlon, baz = forward(alat[idx], alon[idx], az_ab[idx], s[idx])
        az_seg = baz + 180.0
        az_xp, _, d_xp = inverse(xlat, xlon, plat[idx], plon[idx])
        alpha = np.radians(az_xp - az_seg)
        flat[idx], flon[idx], dist[idx] = xlat, xlon, d_xp
        side[idx] = np.sign(np.sin(alpha))
        step = _project(d_xp, alpha, radius)
        s_new = np.clip(s[idx] + step, 0.0, seg_len[idx])
        moved = np.abs(s_new - s[idx])
        s[idx] = s_new
        active[idx] = moved > tol_m
    side[dist < 1e-9] = 0.0
    # far from the segment the iteration may settle on the wrong end: try both ends
    _, _, d_bp = inverse(blat, blon, plat, plon)
    for end_d, elat, elon in ((d_ap, alat, alon), (d_bp, blat, blon)):
        better = end_d < dist
        dist[better], flat[better], flon[better] = end_d[better], elat[better], elon[better]
    return dist, flat, flon, side


def _project(d: FloatArray, alpha: FloatArray, radius_m: float) -> FloatArray:
    """Along-track distance of the perpendicular foot on a sphere (signed)."""
    ang = np.minimum(d / radius_m, np.pi / 2 - 1e-9)
    return np.asarray(radius_m * np.arctan(np.tan(ang) * np.cos(alpha)))
