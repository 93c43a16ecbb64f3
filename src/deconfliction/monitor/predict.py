"""Predicted entries: when a track, held on its course, first enters a volume it is not in.

A report with ground speed ``v`` and course ``heading`` is moved along the geodesic that
leaves its position at that azimuth, at constant speed and altitude, for ``lookahead_s``.
The predicted entry into a row is the earliest time ``τ`` in that window at which the moving
point is in the row's 4D volume: inside the grown outline, its altitude in the band, and
``τ`` in ``[time_start, time_end)`` (so a volume whose window opens over a stationary or
moving track counts too). Unknown speed or course: no prediction; speed 0: only windows
that open over the track.

How, exactly and without testing every row:

1. **candidates**: points are laid along the course every :data:`SPACING_M` metres (at most
   :data:`SPACING_M`/2 from any point of the course even with the spherical formulas used
   for them, whose error is under 1 % of the distance; courses too long for that bound are
   laid with the ellipsoidal direct problem) and classified against a second grid of the
   same volumes grown by :data:`PAD_M` with open times and bands: a row the course enters has
   a point within ``SPACING_M/2 < PAD_M`` of it;
2. **march** (:func:`first_entry`): for each candidate, from the start of its window, the
   point steps along the course by its exact signed distance to the row
   (:func:`~deconfliction.monitor.margins.signed_distance`, 1-Lipschitz, so no part of the
   row is stepped over), at least :data:`MIN_STEP_M`; a step that lands inside is bisected
   back to the boundary (to a millimetre). Only regions the course crosses for less than
   ``MIN_STEP_M`` can be missed. The march runs only from ``SPACING_M/2`` before the first
   candidate point that met the row to ``SPACING_M/2`` after the last (an entry is within
   ``SPACING_M/2`` along the course of a point that met the row). The last step back to the
   boundary is a safeguarded regula falsi (:func:`_to_boundary`), not a bisection.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from deconfliction.core.kernels import direct_one, jit
from deconfliction.monitor.kernels import HI, LO, T0, T1
from deconfliction.monitor.margins import signed_distance

__all__ = ["MIN_STEP_M", "PAD_M", "SPACING_M", "course_points", "first_entry"]

#: how far the candidate grid grows every volume
PAD_M = 5_000.0
#: the spacing of candidate points along a course
SPACING_M = 4_000.0
#: the least step of the march
MIN_STEP_M = 0.5
#: the march stops this close to the boundary
TOL_M = 1e-3
_R = 6_371_008.8


@numba.njit(cache=True, nogil=True)
def course_points(lat: np.ndarray, lon: np.ndarray, heading: np.ndarray, reach: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every :data:`SPACING_M` (or closer) along each course of length ``reach``
    (both ends included): ``(report index, lat, lon)``."""
    counts = np.empty(lat.size, dtype=np.int64)
    for i in range(lat.size):
        counts[i] = 2 + int(reach[i] / SPACING_M) if reach[i] > 0.0 else 1
    total = counts.sum()
    rep = np.empty(total, dtype=np.int64)
    olat, olon = np.empty(total), np.empty(total)
    m = 0
    for i in range(lat.size):
        n = counts[i]
        la, lo = math.radians(lat[i]), math.radians(lon[i])
        th = math.radians(heading[i]) if n > 1 else 0.0
        for j in range(n):
            s = reach[i] * j / (n - 1) if n > 1 else 0.0
            rep[m] = i
            if 0.01 * s + 20.0 > 0.5 * (PAD_M - SPACING_M / 2):
                olat[m], olon[m], _ = direct_one(lat[i], lon[i], heading[i], s)
            else:
                d = s / _R
                sl = math.sin(la) * math.cos(d) + math.cos(la) * math.sin(d) * math.cos(th)
                sl = min(1.0, max(-1.0, sl))
                la2 = math.asin(sl)
                lo2 = lo + math.atan2(math.sin(th) * math.sin(d) * math.cos(la),
                                      math.cos(d) - math.sin(la) * sl)
                olat[m] = math.degrees(la2)
                olon[m] = ((math.degrees(lo2) + 180.0) % 360.0) - 180.0
            m += 1
    return rep, olat, olon


@jit
def _to_boundary(p: int, r: int, lo_s: float, f_lo: float, hi_s: float, f_hi: float,
                 lat: np.ndarray, lon: np.ndarray, heading: np.ndarray, rowf: np.ndarray,
                 rowi: np.ndarray, vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray,
                 start: np.ndarray, end: np.ndarray, normal: np.ndarray, az: np.ndarray,
                 length: np.ndarray) -> float:
    """The first point inside along the course between ``lo_s`` (outside: signed distance
    ``f_lo`` > 0) and ``hi_s`` (inside: ``f_hi`` <= 0), to :data:`TOL_M` along the course:
    regula falsi with the Illinois rule (the signed distance is nearly linear along a
    course near the boundary), each estimate followed by a probe :data:`TOL_M`/2 across it
    that closes the bracket when the estimate is good, and a bisection when a step did not
    halve the bracket; as safe as bisection (the bracket always holds the boundary), in a
    few evaluations instead of twenty-odd."""
    last_side = 0
    for it in range(100):
        width = hi_s - lo_s
        if width < TOL_M:
            break
        if f_lo > 0.0 and f_hi < 0.0 and it % 4 != 3:
            x = lo_s + f_lo * width / (f_lo - f_hi)
            x = min(max(x, lo_s + 0.25 * TOL_M), hi_s - 0.25 * TOL_M)
        else:
            x = 0.5 * (lo_s + hi_s)
        la, lo, _ = direct_one(lat[p], lon[p], heading[p], x)
        fx, _ = signed_distance(r, la, lo, rowf, rowi, vlat, vlon, vu, start, end, normal,
                                az, length)
        if fx <= 0.0:
            hi_s, f_hi = x, fx
            if last_side == -1:
                f_lo *= 0.5  # Illinois: the stale end's weight halves
            last_side = -1
            y = x - 0.5 * TOL_M  # the probe: is just before it outside?
            if y > lo_s:
                la, lo, _ = direct_one(lat[p], lon[p], heading[p], y)
                fy, _ = signed_distance(r, la, lo, rowf, rowi, vlat, vlon, vu, start, end,
                                        normal, az, length)
                if fy > 0.0:
                    lo_s, f_lo = y, fy
                else:
                    hi_s, f_hi = y, fy
        else:
            lo_s, f_lo = x, fx
            if last_side == 1:
                f_hi *= 0.5
            last_side = 1
            y = x + 0.5 * TOL_M  # is just after it inside?
            if y < hi_s:
                la, lo, _ = direct_one(lat[p], lon[p], heading[p], y)
                fy, _ = signed_distance(r, la, lo, rowf, rowi, vlat, vlon, vu, start, end,
                                        normal, az, length)
                if fy <= 0.0:
                    hi_s, f_hi = y, fy
                else:
                    lo_s, f_lo = y, fy
    return hi_s


@jit
def first_entry(
    crep: np.ndarray, crow: np.ndarray, s_from: np.ndarray, s_to: np.ndarray,
    t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
    alt: np.ndarray, speed: np.ndarray, heading: np.ndarray, lookahead_s: float,
    rowf: np.ndarray, rowi: np.ndarray, vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray,
    start: np.ndarray, end: np.ndarray, normal: np.ndarray, az: np.ndarray,
    length: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate (report ``crep[k]``, row ``crow[k]``): ``(τ seconds ahead or nan,
    entry lat, entry lon)`` (the march of the module doc), looking only between ``s_from[k]``
    and ``s_to[k]`` metres along the course (where the candidate points put the entry)."""
    n = crep.size
    tau, elat, elon = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for k in range(n):
        p, r = crep[k], crow[k]
        a = alt[p]
        if not math.isnan(a) and (a < rowf[r, LO] or a > rowf[r, HI]):
            continue
        t0 = max(rowf[r, T0], t[p])
        t1 = min(rowf[r, T1], t[p] + lookahead_s)
        if t0 > t1 or t0 >= rowf[r, T1]:
            continue
        v = speed[p]
        if v == 0.0:
            d, ok = signed_distance(r, lat[p], lon[p], rowf, rowi, vlat, vlon, vu, start, end,
                                    normal, az, length)
            if ok and d <= 0.0 and t0 > t[p]:
                tau[k], elat[k], elon[k] = t0 - t[p], lat[p], lon[p]
            continue
        s = max(v * (t0 - t[p]), s_from[k])
        s_hi = min(v * (t1 - t[p]), s_to[k])
        prev, prev_d = -1.0, 0.0
        for _ in range(200_000):
            if s > s_hi:
                break
            la, lo, _ = direct_one(lat[p], lon[p], heading[p], s)
            d, ok = signed_distance(r, la, lo, rowf, rowi, vlat, vlon, vu, start, end,
                                    normal, az, length)
            if not ok:
                break
            if d <= TOL_M:
                if d < 0.0 and prev >= 0.0:  # stepped inside: back to the boundary
                    s = _to_boundary(p, r, prev, prev_d, s, d, lat, lon, heading, rowf,
                                     rowi, vlat, vlon, vu, start, end, normal, az, length)
                    la, lo, _ = direct_one(lat[p], lon[p], heading[p], s)
                when = s / v
                if when > 0.0 and t[p] + when < rowf[r, T1]:
                    tau[k], elat[k], elon[k] = when, la, lo
                break
            prev, prev_d = s, d
            s += max(d, MIN_STEP_M)
    return tau, elat, elon


def along(rep: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Distance along its course of each point of :func:`course_points` (by its ``rep``)."""
    counts = np.bincount(rep, minlength=reach.size)
    j = np.arange(rep.size) - np.repeat(np.cumsum(counts) - counts, counts)
    out: np.ndarray = reach[rep] * j / np.maximum(counts[rep] - 1, 1)
    return out


def reach_m(speed: npt.NDArray[np.float64], lookahead_s: float) -> npt.NDArray[np.float64]:
    """How far each course goes in the look-ahead (capped at half the equator)."""
    return np.minimum(np.where(np.isfinite(speed), speed, 0.0) * lookahead_s, 2.0e7)
