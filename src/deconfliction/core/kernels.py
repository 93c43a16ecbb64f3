"""Compiled (numba) kernels for the hot loops: geodesic problems and pruning.

The geodesic inverse and direct problems are solved with Vincenty's iterations on WGS84,
which agree with GeographicLib to well under a millimetre wherever they converge
(``tests/core/test_kernels.py`` checks this on random pairs). Where the inverse iteration
does not converge (nearly antipodal points) the kernel says so and the caller falls back
to GeographicLib through :mod:`deconfliction.core.geodesy`.

>>> az1, az2, s, ok = inverse_one(33.50583, 38.61778, 33.30, 38.64)
>>> round(s, 3), ok
(22922.333, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

__all__ = [
    "crossing_candidates",
    "densify",
    "direct_many",
    "direct_one",
    "edge_arrays",
    "edge_lat_extremes",
    "first_crossing",
    "inverse_many",
    "inverse_one",
    "meet",
    "min_point_edges",
    "point_edges_distance",
    "point_in_area_one",
    "point_segment_one",
    "side_one",
    "sphere_point_edges",
]

_A = 6378137.0
_F = 1 / 298.257223563
_B = _A * (1 - _F)
_EP2 = (_A * _A - _B * _B) / (_B * _B)
_R = 6_371_008.8  # the mean radius of the pruning sphere (geodesy.EARTH_MEAN_RADIUS_M)

_F_T = TypeVar("_F_T", bound=Callable[..., Any])


def jit(fn: _F_T) -> _F_T:
    """Compile ``fn`` with numba (cached on disk), keeping its signature for the type checker."""
    return cast(_F_T, numba.njit(cache=True, fastmath=False, nogil=True)(fn))


#: the spherical pruning bound: |sphere − ellipsoid| <= BOUND_REL·(distance + edge) + BOUND_ABS_M
BOUND_REL = 0.015
BOUND_ABS_M = 10.0


@jit
def _error_bound(distance_plus_edge_m: float) -> float:
    return BOUND_REL * distance_plus_edge_m + BOUND_ABS_M


@jit
def _ab(cos2alpha: float) -> tuple[float, float]:
    u2 = cos2alpha * _EP2
    a = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    b = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    return a, b


@jit
def inverse_one(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> tuple[float, float, float, bool]:
    """``(azimuth at 1, forward azimuth at 2, distance_m, converged)``, degrees and metres."""
    big_l = math.radians(((lon2 - lon1 + 180.0) % 360.0) - 180.0)
    u1 = math.atan((1 - _F) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - _F) * math.tan(math.radians(lat2)))
    su1, cu1, su2, cu2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lam = big_l
    sin_s = cos_s = sigma = cos2a = c2sm = sin_a = 0.0
    ok = False
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        t1 = cu2 * sl
        t2 = cu1 * su2 - su1 * cu2 * cl
        sin_s = math.sqrt(t1 * t1 + t2 * t2)
        if sin_s == 0.0:
            return 0.0, 0.0, 0.0, True
        cos_s = su1 * su2 + cu1 * cu2 * cl
        sigma = math.atan2(sin_s, cos_s)
        sin_a = cu1 * cu2 * sl / sin_s
        cos2a = 1 - sin_a * sin_a
        c2sm = cos_s - 2 * su1 * su2 / cos2a if cos2a != 0.0 else 0.0
        c = _F / 16 * cos2a * (4 + _F * (4 - 3 * cos2a))
        prev = lam
        lam = big_l + (1 - c) * _F * sin_a * (
            sigma + c * sin_s * (c2sm + c * cos_s * (-1 + 2 * c2sm * c2sm))
        )
        if abs(lam - prev) < 1e-13:
            ok = True
            break
        if abs(lam) > math.pi:
            break
    if not ok:
        return 0.0, 0.0, 0.0, False
    a, b = _ab(cos2a)
    ds = b * sin_s * (
        c2sm + b / 4 * (
            cos_s * (-1 + 2 * c2sm * c2sm)
            - b / 6 * c2sm * (-3 + 4 * sin_s * sin_s) * (-3 + 4 * c2sm * c2sm)
        )
    )
    s = _B * a * (sigma - ds)
    sl, cl = math.sin(lam), math.cos(lam)
    az1 = math.degrees(math.atan2(cu2 * sl, cu1 * su2 - su1 * cu2 * cl))
    az2 = math.degrees(math.atan2(cu1 * sl, -su1 * cu2 + cu1 * su2 * cl))
    return az1, az2, s, True


@jit
def direct_one(lat1: float, lon1: float, az1: float, s: float) -> tuple[float, float, float]:
    """``(lat2, lon2, forward azimuth at 2)`` after ``s`` metres from 1 along ``az1``."""
    a1 = math.radians(az1)
    sa1, ca1 = math.sin(a1), math.cos(a1)
    tu1 = (1 - _F) * math.tan(math.radians(lat1))
    cu1 = 1 / math.sqrt(1 + tu1 * tu1)
    su1 = tu1 * cu1
    sigma1 = math.atan2(tu1, ca1)
    sin_a = cu1 * sa1
    cos2a = 1 - sin_a * sin_a
    a, b = _ab(cos2a)
    sigma = s / (_B * a)
    c2sm = sin_s = cos_s = 0.0
    for _ in range(100):
        c2sm = math.cos(2 * sigma1 + sigma)
        sin_s, cos_s = math.sin(sigma), math.cos(sigma)
        ds = b * sin_s * (
            c2sm + b / 4 * (
                cos_s * (-1 + 2 * c2sm * c2sm)
                - b / 6 * c2sm * (-3 + 4 * sin_s * sin_s) * (-3 + 4 * c2sm * c2sm)
            )
        )
        prev = sigma
        sigma = s / (_B * a) + ds
        if abs(sigma - prev) < 1e-14:
            break
    c2sm = math.cos(2 * sigma1 + sigma)
    sin_s, cos_s = math.sin(sigma), math.cos(sigma)
    tmp = su1 * sin_s - cu1 * cos_s * ca1
    lat2 = math.atan2(
        su1 * cos_s + cu1 * sin_s * ca1, (1 - _F) * math.sqrt(sin_a * sin_a + tmp * tmp)
    )
    lam = math.atan2(sin_s * sa1, cu1 * cos_s - su1 * sin_s * ca1)
    c = _F / 16 * cos2a * (4 + _F * (4 - 3 * cos2a))
    big_l = lam - (1 - c) * _F * sin_a * (
        sigma + c * sin_s * (c2sm + c * cos_s * (-1 + 2 * c2sm * c2sm))
    )
    lon2 = ((lon1 + math.degrees(big_l) + 180.0) % 360.0) - 180.0
    az2 = math.degrees(math.atan2(sin_a, -tmp))
    return math.degrees(lat2), lon2, az2


@jit
def point_segment_one(
    plat: float, plon: float, alat: float, alon: float, az_ab: float, len_ab: float
) -> tuple[float, float, float, float, bool]:
    """Distance from P to the geodesic segment from A (azimuth ``az_ab``, ``len_ab`` m).

    Returns ``(distance_m, foot_lat, foot_lon, side, converged)``; ``side`` is +1 right of
    A→B, -1 left. Newton-like steps on the along-track distance (see
    :func:`deconfliction.core.geodesy.point_segment_distance`), clamped to the segment.
    """
    az_ap, _, d_ap, ok = inverse_one(alat, alon, plat, plon)
    if not ok:
        return 0.0, 0.0, 0.0, 0.0, False
    ang = min(d_ap / _R, math.pi / 2 - 1e-9)
    s = _R * math.atan(math.tan(ang) * math.cos(math.radians(az_ap - az_ab)))
    s = min(max(s, 0.0), len_ab)
    d = flat = flon = side = 0.0
    for _ in range(40):
        xlat, xlon, az_seg = direct_one(alat, alon, az_ab, s)
        az_xp, _, d, ok = inverse_one(xlat, xlon, plat, plon)
        if not ok:
            return 0.0, 0.0, 0.0, 0.0, False
        flat, flon = xlat, xlon
        alpha = math.radians(az_xp - az_seg)
        side = 0.0 if d < 1e-9 else (1.0 if math.sin(alpha) > 0 else -1.0)
        ang = min(d / _R, math.pi / 2 - 1e-9)
        step = _R * math.atan(math.tan(ang) * math.cos(alpha))
        s_new = min(max(s + step, 0.0), len_ab)
        if abs(s_new - s) < 1e-5:
            break
        s = s_new
    # far from the segment (beyond a quarter meridian) the iteration may settle on the
    # wrong end: the ends themselves are candidates too
    if d > d_ap:
        d, flat, flon = d_ap, alat, alon
    blat, blon, _ = direct_one(alat, alon, az_ab, len_ab)
    _, _, d_bp, ok = inverse_one(blat, blon, plat, plon)
    if ok and d > d_bp:
        d, flat, flon = d_bp, blat, blon
    return d, flat, flon, side, True


@jit
def inverse_many(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`inverse_one` over arrays: ``(az1, az2, distance_m, converged)``."""
    n = lat1.size
    az1, az2, s = np.empty(n), np.empty(n), np.empty(n)
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        az1[i], az2[i], s[i], ok[i] = inverse_one(lat1[i], lon1[i], lat2[i], lon2[i])
    return az1, az2, s, ok


@jit
def direct_many(
    lat1: np.ndarray, lon1: np.ndarray, az1: np.ndarray, s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`direct_one` over arrays: ``(lat2, lon2, forward azimuth at 2)``."""
    n = lat1.size
    lat2, lon2, az2 = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        lat2[i], lon2[i], az2[i] = direct_one(lat1[i], lon1[i], az1[i], s[i])
    return lat2, lon2, az2


@jit
def sphere_point_edges(
    pu: np.ndarray, vu: np.ndarray, start: np.ndarray, end: np.ndarray, normal: np.ndarray
) -> np.ndarray:
    """Great-circle distance (m) from each unit vector in ``pu`` to each arc: ``(n, m)``."""
    n, m = pu.shape[0], start.size
    out = np.empty((n, m))
    for i in range(n):
        px, py, pz = pu[i, 0], pu[i, 1], pu[i, 2]
        for j in range(m):
            a, b = start[j], end[j]
            ax, ay, az = vu[a, 0], vu[a, 1], vu[a, 2]
            bx, by, bz = vu[b, 0], vu[b, 1], vu[b, 2]
            nx, ny, nz = normal[j, 0], normal[j, 1], normal[j, 2]
            da = min(max(px * ax + py * ay + pz * az, -1.0), 1.0)
            db = min(max(px * bx + py * by + pz * bz, -1.0), 1.0)
            ends = min(math.acos(da), math.acos(db))
            pn = px * nx + py * ny + pz * nz
            fx, fy, fz = px - pn * nx, py - pn * ny, pz - pn * nz
            # (a × f)·n >= 0 and (f × b)·n >= 0: the foot lies on the arc
            ca = (ay * fz - az * fy) * nx + (az * fx - ax * fz) * ny + (ax * fy - ay * fx) * nz
            cb = (fy * bz - fz * by) * nx + (fz * bx - fx * bz) * ny + (fx * by - fy * bx) * nz
            best = ends
            if ca >= 0.0 and cb >= 0.0:
                best = min(ends, abs(math.asin(min(max(pn, -1.0), 1.0))))
            out[i, j] = best * _R
    return out


@jit
def point_in_area_one(
    plat: float, plon: float, vlat: np.ndarray, vlon: np.ndarray,
    start: np.ndarray, end: np.ndarray, az: np.ndarray,
) -> tuple[bool, bool]:
    """``(inside, converged)``: meridian-ray crossing parity with exact azimuth tests."""
    count = 0
    for j in range(start.size):
        a, b = start[j], end[j]
        da = ((vlon[a] - plon + 180.0) % 360.0) - 180.0
        db = ((vlon[b] - plon + 180.0) % 360.0) - 180.0
        if (da >= 0.0) == (db >= 0.0) or abs(da - db) >= 180.0:
            continue
        az_ap, _, _, ok = inverse_one(vlat[a], vlon[a], plat, plon)
        if not ok:
            return False, False
        diff = ((az_ap - az[j] + 180.0) % 360.0) - 180.0
        eastward = (((vlon[b] - vlon[a] + 180.0) % 360.0) - 180.0) > 0.0
        if (eastward and diff > 0.0) or (not eastward and diff < 0.0):
            count += 1
    return count % 2 == 1, True


@jit
def side_one(
    alat: float, alon: float, az_ab: float, xlat: float, xlon: float
) -> tuple[float, bool]:
    """``(+1 right / -1 left / 0 on, converged)`` of X against the geodesic from A."""
    az, _, d, ok = inverse_one(alat, alon, xlat, xlon)
    if not ok:
        return 0.0, False
    if d == 0.0:
        return 0.0, True
    diff = ((az - az_ab + 180.0) % 360.0) - 180.0
    return (1.0 if diff > 0 else (-1.0 if diff < 0 else 0.0)), True


@jit
def min_point_edges(
    plat: np.ndarray, plon: np.ndarray, pi: np.ndarray, ei: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, start: np.ndarray, az: np.ndarray, length: np.ndarray,
) -> tuple[float, int, float, float, bool]:
    """Least exact distance over (point ``pi[k]``, edge ``ei[k]``) pairs.

    Returns ``(distance_m, k, foot_lat, foot_lon, converged)``.
    """
    best, bk, bl, bo = math.inf, -1, 0.0, 0.0
    for k in range(pi.size):
        p, e = pi[k], ei[k]
        a = start[e]
        d, fl, fo, _, ok = point_segment_one(plat[p], plon[p], vlat[a], vlon[a], az[e], length[e])
        if not ok:
            return 0.0, -1, 0.0, 0.0, False
        if d < best:
            best, bk, bl, bo = d, k, fl, fo
    return best, bk, bl, bo, True


@jit
def first_crossing(
    ci: np.ndarray, cj: np.ndarray,
    alat: np.ndarray, alon: np.ndarray, astart: np.ndarray, aend: np.ndarray, aaz: np.ndarray,
    blat: np.ndarray, blon: np.ndarray, bstart: np.ndarray, bend: np.ndarray, baz: np.ndarray,
) -> tuple[int, bool]:
    """Index ``k`` of the first candidate pair (edge ``ci[k]`` of A, ``cj[k]`` of B) whose
    edges properly cross (each one's ends on opposite sides of the other), or -1."""
    for k in range(ci.size):
        i, j = ci[k], cj[k]
        a1, a2, b1, b2 = astart[i], aend[i], bstart[j], bend[j]
        s1, ok1 = side_one(blat[b1], blon[b1], baz[j], alat[a1], alon[a1])
        s2, ok2 = side_one(blat[b1], blon[b1], baz[j], alat[a2], alon[a2])
        s3, ok3 = side_one(alat[a1], alon[a1], aaz[i], blat[b1], blon[b1])
        s4, ok4 = side_one(alat[a1], alon[a1], aaz[i], blat[b2], blon[b2])
        if not (ok1 and ok2 and ok3 and ok4):
            return -1, False
        if s1 * s2 < 0 and s3 * s4 < 0:
            return k, True
    return -1, True


@jit
def _cross_track(alat: float, alon: float, aaz: float, xlat: float, xlon: float) -> float:
    """Signed offset of X from the geodesic through A (+ right): zero exactly on it."""
    az, _, d, ok = inverse_one(alat, alon, xlat, xlon)
    if not ok:
        return 0.0
    return d * math.sin(math.radians(az - aaz))


@jit
def meet(
    alat: float, alon: float, aaz: float,
    blat: float, blon: float, baz: float, blen: float,
) -> tuple[float, float]:
    """Where the geodesic from A (azimuth ``aaz``) crosses the segment from B, which it is
    known to cross: regula falsi (Illinois) on the signed offset of B's points, to 0.1 mm."""
    lo, hi = 0.0, blen
    f_lo = _cross_track(alat, alon, aaz, blat, blon)
    elat, elon, _ = direct_one(blat, blon, baz, blen)
    f_hi = _cross_track(alat, alon, aaz, elat, elon)
    lat, lon = blat, blon
    side = 0
    for _ in range(100):
        if f_hi == f_lo:
            mid = 0.5 * (lo + hi)
        else:
            mid = hi - f_hi * (hi - lo) / (f_hi - f_lo)
            if not lo < mid < hi:
                mid = 0.5 * (lo + hi)
        lat, lon, _ = direct_one(blat, blon, baz, mid)
        f = _cross_track(alat, alon, aaz, lat, lon)
        if f == 0.0 or hi - lo < 1e-4:
            break
        if (f > 0) == (f_lo > 0):
            lo, f_lo = mid, f
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = mid, f
            if side == 1:
                f_lo *= 0.5
            side = 1
        if abs(f) < 1e-5:
            break
    return lat, lon


@jit
def edge_lat_extremes(
    vlat: np.ndarray, vlon: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[float, float]:
    """Least and greatest latitude reached by the geodesic edges (Clairaut's relation)."""
    lo, hi = vlat.min(), vlat.max()
    for j in range(start.size):
        a, b = start[j], end[j]
        az_a, az_b, _, ok = inverse_one(vlat[a], vlon[a], vlat[b], vlon[b])
        ca, cb = math.cos(math.radians(az_a)), math.cos(math.radians(az_b))
        if not ok:  # nearly antipodal ends: the edge may reach either pole
            return -90.0, 90.0
        if (ca > 0.0) == (cb > 0.0):
            continue  # no turning point between the ends
        beta_a = math.atan((1 - _F) * math.tan(math.radians(vlat[a])))
        cb_max = abs(math.sin(math.radians(az_a)) * math.cos(beta_a))
        beta_max = math.acos(min(cb_max, 1.0))
        phi = math.degrees(math.atan(math.tan(beta_max) / (1 - _F)))
        if ca > 0.0:
            hi = max(hi, phi)
        else:
            lo = min(lo, -phi)
    return lo, hi


@jit
def _dot(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[0] + u[1] * v[1] + u[2] * v[2])


@jit
def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.array(
        [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
    )


@jit
def crossing_candidates(
    au: np.ndarray, astart: np.ndarray, aend: np.ndarray, alen: np.ndarray,
    bu: np.ndarray, bstart: np.ndarray, bend: np.ndarray, blen: np.ndarray,
    dab: np.ndarray, dba: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Edge pairs (i of A, j of B) that may cross: their great-circle arcs cross, or they
    come within the spherical error bound of each other (``dab``/``dba``: vertex-to-edge
    spherical distances, as from :func:`sphere_point_edges`)."""
    ci, cj = [], []
    for i in range(astart.size):
        a1, a2 = au[astart[i]], au[aend[i]]
        na = _cross(a1, a2)
        for j in range(bstart.size):
            b1, b2 = bu[bstart[j]], bu[bend[j]]
            seg = min(
                min(dab[astart[i], j], dab[aend[i], j]), min(dba[bstart[j], i], dba[bend[j], i])
            )
            near = _error_bound(seg + alen[i] + blen[j])
            hit = seg <= near
            if not hit:
                nb = _cross(b1, b2)
                s1 = _dot(b1, na) * _dot(b2, na)
                s2 = _dot(a1, nb) * _dot(a2, nb)
                hit = s1 < 0 and s2 < 0 and _dot(a1 + a2, b1 + b2) > 0
            if hit:
                ci.append(i)
                cj.append(j)
    return np.array(ci, dtype=np.intp), np.array(cj, dtype=np.intp)


@jit
def point_edges_distance(
    plat: float, plon: float, vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray,
    start: np.ndarray, end: np.ndarray, normal: np.ndarray, az: np.ndarray,
    length: np.ndarray, is_area: bool, limit_m: float,
) -> tuple[float, float, float, bool, bool]:
    """Distance from P to a set of edges (zero inside an area), all in one pass.

    Returns ``(distance_m, foot_lat, foot_lon, exact, converged)``. The spherical distances
    prune: only edges whose lower bound is below every upper bound are solved exactly, and
    when even the least lower bound exceeds ``limit_m`` the answer is that bound, inexact.
    """
    if is_area:
        inside, ok = point_in_area_one(plat, plon, vlat, vlon, start, end, az)
        if not ok:
            return 0.0, 0.0, 0.0, False, False
        if inside:
            return 0.0, plat, plon, True, True
    la, lo = math.radians(plat), math.radians(plon)
    pu = np.empty((1, 3))
    pu[0, 0] = math.cos(la) * math.cos(lo)
    pu[0, 1] = math.cos(la) * math.sin(lo)
    pu[0, 2] = math.sin(la)
    approx = sphere_point_edges(pu, vu, start, end, normal)[0]
    m = start.size
    lower = np.empty(m)
    best_upper = math.inf
    for j in range(m):
        err = _error_bound(approx[j] + length[j])
        lower[j] = approx[j] - err
        best_upper = min(best_upper, approx[j] + err)
    least = lower.min()
    if least > limit_m:
        return least, plat, plon, False, True
    # nearest first: once an edge's lower bound is above the best exact distance so far,
    # neither it nor any edge after it can be the nearest. Ties go to the first edge.
    best, bj, bl, bo = math.inf, m, plat, plon
    for j in np.argsort(lower):
        if lower[j] > best_upper or lower[j] > best:
            break
        a = start[j]
        d, fl, fo, _, ok = point_segment_one(plat, plon, vlat[a], vlon[a], az[j], length[j])
        if not ok:
            return 0.0, 0.0, 0.0, False, False
        if d < best or (d == best and j < bj):
            best, bj, bl, bo = d, j, fl, fo
    return best, bl, bo, True, True


@jit
def edges_edges_distance(
    avlat: np.ndarray, avlon: np.ndarray, avu: np.ndarray, astart: np.ndarray,
    aend: np.ndarray, anormal: np.ndarray, aaz: np.ndarray, alen: np.ndarray, a_area: bool,
    bvlat: np.ndarray, bvlon: np.ndarray, bvu: np.ndarray, bstart: np.ndarray,
    bend: np.ndarray, bnormal: np.ndarray, baz: np.ndarray, blen: np.ndarray, b_area: bool,
    limit_m: float,
) -> tuple[float, float, float, float, float, bool, bool]:
    """Distance between two sets of edges (zero when they cross or one area holds the other).

    Returns ``(distance_m, a_lat, a_lon, b_lat, b_lon, exact, converged)`` with a closest
    point on each; ``exact`` is false when the distance is certainly above ``limit_m``.
    """
    # containment and crossings first: vertex-to-edge distances say nothing about them.
    # One vertex of each inside the other is the cheap, common case of an overlap.
    if b_area:
        inside, ok = point_in_area_one(avlat[0], avlon[0], bvlat, bvlon, bstart, bend, baz)
        if not ok:
            return 0.0, 0.0, 0.0, 0.0, 0.0, False, False
        if inside:
            return 0.0, avlat[0], avlon[0], avlat[0], avlon[0], True, True
    if a_area:
        inside, ok = point_in_area_one(bvlat[0], bvlon[0], avlat, avlon, astart, aend, aaz)
        if not ok:
            return 0.0, 0.0, 0.0, 0.0, 0.0, False, False
        if inside:
            return 0.0, bvlat[0], bvlon[0], bvlat[0], bvlon[0], True, True
    dab = sphere_point_edges(avu, bvu, bstart, bend, bnormal)
    dba = sphere_point_edges(bvu, avu, astart, aend, anormal)
    ci, cj = crossing_candidates(avu, astart, aend, alen, bvu, bstart, bend, blen, dab, dba)
    if ci.size:
        k, ok = first_crossing(
            ci, cj, avlat, avlon, astart, aend, aaz, bvlat, bvlon, bstart, bend, baz
        )
        if not ok:
            return 0.0, 0.0, 0.0, 0.0, 0.0, False, False
        if k >= 0:
            i, j = ci[k], cj[k]
            lat, lon = meet(avlat[astart[i]], avlon[astart[i]], aaz[i],
                            bvlat[bstart[j]], bvlon[bstart[j]], baz[j], blen[j])
            return 0.0, lat, lon, lat, lon, True, True
    # apart and not crossing: the least vertex-to-edge distance is the distance
    least_ab, upper_ab = _bounds(dab, blen)
    least_ba, upper_ba = _bounds(dba, alen)
    least, upper = min(least_ab, least_ba), min(upper_ab, upper_ba)
    if least > limit_m:
        return least, avlat[0], avlon[0], bvlat[0], bvlon[0], False, True
    d1, p1l, p1o, f1l, f1o, ok1 = _closest(dab, blen, upper, avlat, avlon, bvlat, bvlon,
                                           bstart, baz)
    d2, p2l, p2o, f2l, f2o, ok2 = _closest(dba, alen, upper, bvlat, bvlon, avlat, avlon,
                                           astart, aaz)
    if not (ok1 and ok2):
        return 0.0, 0.0, 0.0, 0.0, 0.0, False, False
    if d1 <= d2:  # a's vertex to b's edge
        return d1, p1l, p1o, f1l, f1o, True, True
    return d2, f2l, f2o, p2l, p2o, True, True  # b's vertex to a's edge


@jit
def _bounds(d: np.ndarray, length: np.ndarray) -> tuple[float, float]:
    """Least lower and least upper bound of the exact distances behind the spherical ``d``
    (vertex i to edge j of ``length[j]``)."""
    least, upper = math.inf, math.inf
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            err = _error_bound(d[i, j] + length[j])
            least = min(least, d[i, j] - err)
            upper = min(upper, d[i, j] + err)
    return least, upper


@jit
def _closest(
    d: np.ndarray, length: np.ndarray, upper: float, plat: np.ndarray, plon: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, start: np.ndarray, az: np.ndarray,
) -> tuple[float, float, float, float, float, bool]:
    """Exact least distance from the points to the edges, over the pairs whose spherical
    lower bound is below ``upper``: ``(distance_m, point lat, lon, foot lat, lon, ok)``."""
    best, pl, po, fl, fo = math.inf, 0.0, 0.0, 0.0, 0.0
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            if d[i, j] - _error_bound(d[i, j] + length[j]) > upper:
                continue
            s = start[j]
            dist, flat, flon, _, ok = point_segment_one(
                plat[i], plon[i], vlat[s], vlon[s], az[j], length[j]
            )
            if not ok:
                return 0.0, 0.0, 0.0, 0.0, 0.0, False
            if dist < best:
                best, pl, po, fl, fo = dist, plat[i], plon[i], flat, flon
    return best, pl, po, fl, fo, True


@jit
def witness_one(
    alat: float, alon: float, blat: float, blon: float, d: float, ra: float, rb: float
) -> tuple[float, float, bool]:
    """A point on the geodesic a→b within ``ra`` of a and ``rb`` of b when ``d <= ra + rb``
    (half-way across the gap otherwise): see :func:`deconfliction.core.distance.witness`."""
    if d == 0.0:
        return alat, alon, True
    az, _, _, ok = inverse_one(alat, alon, blat, blon)
    if not ok:
        return 0.0, 0.0, False
    lat, lon = _witness_at(alat, alon, az, d, ra, rb)
    return lat, lon, True


@jit
def _witness_at(
    alat: float, alon: float, az_ab: float, d: float, ra: float, rb: float
) -> tuple[float, float]:
    """:func:`witness_one` given the azimuth ``az_ab`` from a to b."""
    if d == 0.0:
        return alat, alon
    t = min(max((d + ra - rb) / 2.0, 0.0), d)
    lat, lon, _ = direct_one(alat, alon, az_ab, t)
    return lat, lon


@jit
def separations(
    rows: np.ndarray, required: np.ndarray,
    qkind: int, qlat: float, qlon: float, qrad: float, qvlat: np.ndarray, qvlon: np.ndarray,
    qvu: np.ndarray, qstart: np.ndarray, qend: np.ndarray, qnormal: np.ndarray,
    qaz: np.ndarray, qlen: np.ndarray, qcap_lat: float, qcap_lon: float, qcap_rad: float,
    rows_f: np.ndarray, rows_i: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray, start: np.ndarray, end: np.ndarray,
    normal: np.ndarray, az: np.ndarray, length: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Separation of one query outline from many packed outlines, in one compiled pass.

    Kinds: 0 circle (centre ``lat, lon``, radius ``rad``), 1 polygon, 2 corridor (half width
    ``rad``). A packed outline's row ``r`` is ``rows_f[r] = (lat, lon, rad, cap_lat,
    cap_lon, cap_rad)`` and ``rows_i[r] = (kind, v0, v1, e0, e1)``
    (:mod:`deconfliction.core.packed`): its vertices are ``v0:v1`` and its edges ``e0:e1``
    (edge ends index its own vertices). Its bounding cap and the query's first give a lower
    bound of the distance (triangle inequality), which drops pairs certainly too far apart
    without solving them.
    Returns ``(separation_m, witness_lat, witness_lon, status)``: status 0 exact, 1 certainly
    above ``required`` (separation is a lower bound), 2 a kernel did not converge (the
    caller redoes that one with GeographicLib).
    """
    n = rows.size
    sep, wlat, wlon = np.empty(n), np.empty(n), np.empty(n)
    status = np.zeros(n, dtype=np.int8)
    for k in range(n):
        r = rows[k]
        f, kind, a, b, c, e = rows_f[r], rows_i[r, 0], rows_i[r, 1], rows_i[r, 2], \
            rows_i[r, 3], rows_i[r, 4]
        clat, clon = f[0], f[1]
        ra, rb = qrad, f[2]
        limit = required[k] + ra + rb
        circles = qkind == 0 and kind == 0
        az_ab = 0.0
        if not circles:  # (for two circles the cap bound would be the answer itself)
            _, _, dc, ok = inverse_one(qcap_lat, qcap_lon, f[3], f[4])
            lower = dc - qcap_rad - f[5] - ra - rb
            if ok and lower > required[k]:
                sep[k], status[k] = lower, 1
                continue
        if circles:
            az_ab, _, d, ok = inverse_one(qlat, qlon, clat, clon)
            pal, pao, pbl, pbo, exact = qlat, qlon, clat, clon, True
        elif qkind == 0:
            d, pbl, pbo, exact, ok = point_edges_distance(
                qlat, qlon, vlat[a:b], vlon[a:b], vu[a:b], start[c:e], end[c:e], normal[c:e],
                az[c:e], length[c:e], kind == 1, limit,
            )
            pal, pao = qlat, qlon
        elif kind == 0:
            d, pal, pao, exact, ok = point_edges_distance(
                clat, clon, qvlat, qvlon, qvu, qstart, qend, qnormal, qaz, qlen,
                qkind == 1, limit,
            )
            pbl, pbo = clat, clon
        else:
            d, pal, pao, pbl, pbo, exact, ok = edges_edges_distance(
                qvlat, qvlon, qvu, qstart, qend, qnormal, qaz, qlen, qkind == 1,
                vlat[a:b], vlon[a:b], vu[a:b], start[c:e], end[c:e], normal[c:e], az[c:e],
                length[c:e], kind == 1, limit,
            )
        if not ok:
            status[k] = 2
            continue
        sep[k] = d - ra - rb
        if not exact:
            status[k] = 1
            continue
        if sep[k] <= required[k]:
            if circles:  # the azimuth a→b is known already
                wlat[k], wlon[k] = _witness_at(pal, pao, az_ab, d, ra, rb)
                continue
            wlat[k], wlon[k], ok = witness_one(pal, pao, pbl, pbo, d, ra, rb)
            if not ok:
                status[k] = 2
    return sep, wlat, wlon, status


@jit
def edge_arrays(
    vlat: np.ndarray, vlon: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Per-edge azimuth and length, per-vertex unit vectors and per-edge great-circle normals.

    Returns ``(az, length_m, vunit, normal, converged)``.
    """
    n, m = vlat.size, start.size
    vu = np.empty((n, 3))
    for i in range(n):
        la, lo = math.radians(vlat[i]), math.radians(vlon[i])
        vu[i, 0] = math.cos(la) * math.cos(lo)
        vu[i, 1] = math.cos(la) * math.sin(lo)
        vu[i, 2] = math.sin(la)
    az, length, normal = np.empty(m), np.empty(m), np.empty((m, 3))
    converged = True
    for j in range(m):
        a, b = start[j], end[j]
        az[j], _, length[j], ok = inverse_one(vlat[a], vlon[a], vlat[b], vlon[b])
        converged = converged and ok
        nrm = _cross(vu[a], vu[b])
        size = math.sqrt(_dot(nrm, nrm))
        if size < 1e-15:
            size = 1.0
        normal[j, 0], normal[j, 1], normal[j, 2] = nrm[0] / size, nrm[1] / size, nrm[2] / size
    return az, length, vu, normal, converged


@jit
def densify(
    vlat: np.ndarray, vlon: np.ndarray, az: np.ndarray, length: np.ndarray,
    piece_m: float, max_pieces: int,
) -> np.ndarray:
    """Unit vectors of a closed ring's vertices and of points every ``piece_m`` along each
    geodesic edge (at most ``max_pieces`` per edge)."""
    counts = np.empty(vlat.size, dtype=np.intp)
    for k in range(vlat.size):
        counts[k] = min(max_pieces, max(1, math.ceil(length[k] / piece_m)))
    out = np.empty((counts.sum(), 3))
    row = 0
    for k in range(vlat.size):
        step = length[k] / counts[k]
        for p in range(counts[k]):
            lat, lon, _ = direct_one(vlat[k], vlon[k], az[k], p * step)
            la, lo = math.radians(lat), math.radians(lon)
            out[row, 0] = math.cos(la) * math.cos(lo)
            out[row, 1] = math.cos(la) * math.sin(lo)
            out[row, 2] = math.sin(la)
            row += 1
    return out
