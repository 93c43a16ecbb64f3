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
   a point within ``SPACING_M/2 < PAD_M`` of it. :func:`course_candidates` does it one
   course at a time, in one pass: rows the report is in, or whose band or window rule an
   entry out, are never tested, and a row is tested only until a point meets it;
2. **march** (:func:`first_entry`): for each candidate, from the start of its window, the
   point steps along the course by its exact signed distance to the row
   (:func:`~deconfliction.monitor.margins.signed_distance`, 1-Lipschitz, so no part of the
   row is stepped over), at least :data:`MIN_STEP_M`; a step that lands inside is bisected
   back to the boundary (to a millimetre). Only regions the course crosses for less than
   ``MIN_STEP_M`` can be missed, and none at the end of the window (a blind last step stops
   at the window's end). Once a step of the exact distance has put the point outside, it
   steps instead by a lower bound of that distance from the chord bounds
   (:func:`~deconfliction.monitor.kernels.outside_lower_bound`: no geodesic iteration) while
   that bound is at least :data:`LOW_STEP_M` (a circle's, nearly exact: :data:`MIN_STEP_M`),
   and measures a polygon's exact distance without its containment test (the point is
   outside): shorter safe steps, the same entries. The march runs only from
   ``SPACING_M/2`` before the first candidate point that met the row to ``SPACING_M/2``
   after the last (an entry is within ``SPACING_M/2`` along the course of a point that met
   the row). The last step back to the boundary is a safeguarded regula falsi
   (:func:`_to_boundary`), not a bisection.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from deconfliction.core.kernels import direct_one, jit
from deconfliction.monitor.chords import ecef
from deconfliction.monitor.kernels import (
    EDGE,
    HI,
    INSIDE,
    KIND,
    LO,
    T0,
    T1,
    cell_frame,
    edge_member,
    exact_member,
    outside_lower_bound,
)
from deconfliction.monitor.margins import signed_distance, signed_distance_of

__all__ = ["MIN_STEP_M", "PAD_M", "SPACING_M", "course_candidates", "course_points",
           "first_entry"]

#: how far the candidate grid grows every volume
PAD_M = 5_000.0
#: the spacing of candidate points along a course
SPACING_M = 4_000.0
#: the least step of the march
MIN_STEP_M = 0.5
#: the march steps by the chord bounds' distance (no exact one) while it is at least this
#: (a circle's: while it is at least :data:`MIN_STEP_M`; its bound is within millimetres)
LOW_STEP_M = 25.0
#: the march stops this close to the boundary
TOL_M = 1e-3
_R = 6_371_008.8


@jit
def _course_count(reach: float) -> int:
    """How many points :func:`course_points` lays along a course of length ``reach``."""
    return 2 + int(reach / SPACING_M) if reach > 0.0 else 1


@jit
def _course_point(lat: float, lon: float, heading: float, s: float) -> tuple[float, float]:
    """The point ``s`` metres along the course from ``(lat, lon)`` at azimuth ``heading``
    (degrees): spherical formulas while their error (under 1 % of ``s`` plus 20 m) stays
    within half the slack :data:`PAD_M` − :data:`SPACING_M`/2, else the ellipsoid's direct
    problem."""
    if 0.01 * s + 20.0 > 0.5 * (PAD_M - SPACING_M / 2):
        la2, lo2, _ = direct_one(lat, lon, heading, s)
        return la2, lo2
    la, lo, th = math.radians(lat), math.radians(lon), math.radians(heading)
    d = s / _R
    sl = math.sin(la) * math.cos(d) + math.cos(la) * math.sin(d) * math.cos(th)
    sl = min(1.0, max(-1.0, sl))
    la2 = math.asin(sl)
    lo2 = lo + math.atan2(math.sin(th) * math.sin(d) * math.cos(la),
                          math.cos(d) - math.sin(la) * sl)
    return math.degrees(la2), ((math.degrees(lo2) + 180.0) % 360.0) - 180.0


@jit
def course_points(lat: np.ndarray, lon: np.ndarray, heading: np.ndarray, reach: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every :data:`SPACING_M` (or closer) along each course of length ``reach``
    (both ends included): ``(report index, lat, lon)``."""
    counts = np.empty(lat.size, dtype=np.int64)
    for i in range(lat.size):
        counts[i] = _course_count(reach[i])
    total = counts.sum()
    rep = np.empty(total, dtype=np.int64)
    olat, olon = np.empty(total), np.empty(total)
    m = 0
    for i in range(lat.size):
        n = counts[i]
        for j in range(n):
            s = reach[i] * j / (n - 1) if n > 1 else 0.0
            rep[m] = i
            olat[m], olon[m] = _course_point(lat[i], lon[i], heading[i], s)
            m += 1
    return rep, olat, olon


@jit
def course_candidates(
    idx: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, alt: np.ndarray,
    heading: np.ndarray, reach: np.ndarray, lookahead_s: float, own_lo: np.ndarray,
    own_hi: np.ndarray, own_row: np.ndarray, rowf: np.ndarray,
    cell_deg: float, nx: int, iy0: int, cell_off: np.ndarray, cand_row: np.ndarray,
    cand_status: np.ndarray, cand_par: np.ndarray, poff: np.ndarray, pieces: np.ndarray,
    row_hq: np.ndarray, prowf: np.ndarray, prowi: np.ndarray, pef: np.ndarray,
    pvlat: np.ndarray, pvlon: np.ndarray, pvu: np.ndarray, pstart: np.ndarray,
    pend: np.ndarray, pnormal: np.ndarray, paz: np.ndarray, plength: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows each report ``idx[j]`` may enter along its course, and where along it to
    look: ``(report, row, s_from, s_to)``, by report then row.

    The points of :func:`course_points` are classified one course at a time against the
    candidate grid (the arguments from ``cell_deg`` to ``plength``: every volume grown by
    :data:`PAD_M`, open times and bands), with each row tested only until one point of the
    course meets it:

    * rows the report is already in (``own_row[own_lo[j]:own_hi[j]]``), rows whose band
      (``rowf``: the volumes' own) excludes a known altitude and rows whose window misses
      the look-ahead are skipped (as :func:`first_entry` would: no entry there);
    * a row is a candidate from the first point that meets it (the chord bounds, the exact
      test where they are in doubt, a doubtful one counted in); from then on every later
      point whose cell lists it moves its end on without a test (a superset of the points
      that meet it: the march's range only grows);
    * ``s_from``/``s_to`` are the first/last such point's distance along the course
      ∓ :data:`SPACING_M`/2.
    """
    n_rows = rowf.shape[0]
    stamp = np.full(n_rows, -1, dtype=np.int64)
    slot = np.zeros(n_rows, dtype=np.int64)
    cap = max(16, 4 * idx.size)
    crep = np.empty(cap, dtype=np.int64)
    crow = np.empty(cap, dtype=np.int64)
    s_lo = np.empty(cap)
    s_hi = np.empty(cap)
    ny = int(round(180.0 / cell_deg))  # noqa: RUF046 (numba)
    iy1 = iy0 + row_hq.size - 1
    m = 0
    for j in range(idx.size):
        i = idx[j]
        skip, cand = 2 * i, 2 * i + 1
        for q in range(own_lo[j], own_hi[j]):
            stamp[own_row[q]] = skip
        a = alt[i]
        known = not math.isnan(a)
        ti, t_end = t[i], t[i] + lookahead_s
        m0 = m
        n_pts = _course_count(reach[j])
        last_c = -1
        qx = qy = qz = hq = 0.0
        for pnt in range(n_pts):
            s = reach[j] * pnt / (n_pts - 1) if n_pts > 1 else 0.0
            plat, plon = _course_point(lat[i], lon[i], heading[j], s)
            iy = min(int(math.floor((plat + 90.0) / cell_deg)), ny - 1)  # noqa: RUF046
            if iy < iy0 or iy > iy1:
                continue
            c = (iy - iy0) * nx + int(math.floor((plon + 180.0) / cell_deg)) % nx  # noqa: RUF046
            if c != last_c:
                last_c = c
                qx, qy, qz, hq = cell_frame(c, cell_deg, nx, iy0, row_hq)
            k0, k1 = cell_off[c], cell_off[c + 1]
            if m + (k1 - k0) > crep.size:
                grow = 2 * crep.size + (k1 - k0)
                crep, crow = _grown(crep, m, grow), _grown(crow, m, grow)
                s_lo, s_hi = _grown(s_lo, m, grow), _grown(s_hi, m, grow)
            have = False
            px = py = pz = 0.0
            for k in range(k0, k1):
                r = cand_row[k]
                st = stamp[r]
                if st == skip:
                    continue
                if st == cand:
                    s_hi[slot[r]] = s
                    continue
                w0 = max(rowf[r, T0], ti)
                if (known and (a < rowf[r, LO] or a > rowf[r, HI])) or (
                        w0 > min(rowf[r, T1], t_end) or w0 >= rowf[r, T1]):
                    stamp[r] = skip  # the whole course: band and window do not move
                    continue
                if cand_status[k] != INSIDE:  # the grid's tests; a doubt counts in
                    if not have:
                        px, py, pz = ecef(plat, plon)
                        have = True
                    v = -1 if cand_status[k] != EDGE else edge_member(
                        k, r, px, py, pz, qx, qy, qz, hq, cand_par, poff, pieces, prowf,
                        prowi, pef)
                    if v < 0:
                        inside, ok = exact_member(r, plat, plon, prowf, prowi, pvlat, pvlon,
                                                  pvu, pstart, pend, pnormal, paz, plength)
                        v = 0 if ok and not inside else 1
                    if v == 0:
                        continue
                stamp[r] = cand
                slot[r] = m
                crep[m], crow[m], s_lo[m], s_hi[m] = i, r, s, s
                m += 1
        # by row within the report (an insertion sort: a report has few candidates)
        for u in range(m0 + 1, m):
            r, lo_u, hi_u = crow[u], s_lo[u], s_hi[u]
            v2 = u - 1
            while v2 >= m0 and crow[v2] > r:
                crow[v2 + 1], s_lo[v2 + 1], s_hi[v2 + 1] = crow[v2], s_lo[v2], s_hi[v2]
                v2 -= 1
            crow[v2 + 1], s_lo[v2 + 1], s_hi[v2 + 1] = r, lo_u, hi_u
    s_from = np.maximum(s_lo[:m] - SPACING_M / 2, 0.0)
    s_to = s_hi[:m] + SPACING_M / 2
    return crep[:m].copy(), crow[:m].copy(), s_from, s_to


@jit
def _grown(a: np.ndarray, m: int, size: int) -> np.ndarray:
    out = np.empty(size, dtype=a.dtype)
    out[:m] = a[:m]
    return out


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
    length: np.ndarray, ef: np.ndarray,
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
        outside = False  # reached by a step no longer than the distance to the boundary
        for _ in range(200_000):
            if s > s_hi:
                break
            la, lo, _ = direct_one(lat[p], lon[p], heading[p], s)
            if outside:
                low = outside_lower_bound(r, la, lo, rowf, rowi, ef)
                if low >= (MIN_STEP_M if rowi[r, KIND] == 0 else LOW_STEP_M):
                    prev, prev_d = s, low  # a safe step without the exact distance
                    s += low
                    continue
                d, ok = signed_distance_of(r, la, lo, True, rowf, rowi, vlat, vlon, vu, start,
                                           end, normal, az, length)
            else:
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
            outside = d >= MIN_STEP_M
            if not outside and s < s_hi < s + MIN_STEP_M:
                s = s_hi  # a blind step past the end would miss an entry just before it
            else:
                s += max(d, MIN_STEP_M)
    return tau, elat, elon


def reach_m(speed: npt.NDArray[np.float64], lookahead_s: float) -> npt.NDArray[np.float64]:
    """How far each course goes in the look-ahead (capped at half the equator)."""
    return np.minimum(np.where(np.isfinite(speed), speed, 0.0) * lookahead_s, 2.0e7)
