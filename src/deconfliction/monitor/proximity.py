"""Proximity: tracks of different parties whose closest point of approach is too close.

Each track is dead-reckoned from its last report along its geodesic course at constant
speed and altitude (unknown speed or course: it stays where it was). For a pair, the
horizontal separation ``D(τ)`` is the exact geodesic distance between the two moving points;
the closest point of approach is its minimum over ``τ`` in ``[now, now + lookahead_s]``
(``now``: the latest report time of the batch), found by a scan of :data:`SCAN` times then
a golden-section search around the best (``D`` is unimodal for courses short against the
Earth, as in the plane). Pairs that a flat-Earth CPA puts far beyond ``proximity_m``
(more than 2 % of the distances involved, plus 500 m) are not solved exactly. The
vertical separation is the altitude difference (unknown: 0).
The pair is in proximity when the CPA is under ``proximity_m`` and the vertical separation
under ``proximity_vertical_m``.

Candidates come from a grid of track positions, so the cost does not grow with the square
of the track count: each track covers the lat/lon box that holds every point it can reach
in the window, grown by half of ``proximity_m`` (a degree of latitude is at least
110,000 m, one of longitude at least 111,000·cos(lat) m), boxes are listed in uniform
cells, and only tracks sharing a cell whose boxes overlap are paired. A party of ``""``
(unknown) is taken to differ from every party, itself included.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from deconfliction.core.kernels import direct_one, inverse_one, jit

__all__ = ["PLANAR_ABS_M", "PLANAR_REL", "SCAN", "box_of", "boxes", "candidate_pairs",
           "closest_approach", "flat_far", "kept_apart", "lon_apart", "planar_close", "push"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
SCAN = 8
_GOLD = (math.sqrt(5.0) - 1.0) / 2.0


def boxes(lat: FloatArray, lon: FloatArray, reach_m: FloatArray,
          ) -> tuple[FloatArray, FloatArray]:
    """Half sizes ``(dlat, dlon)`` in degrees of boxes holding every point within
    ``reach_m`` of each position (``dlon`` 180 near a pole; :func:`box_of` each)."""
    return _boxes(np.asarray(lat, dtype=np.float64), np.asarray(reach_m, dtype=np.float64))


@jit
def box_of(lat: float, reach_m: float) -> tuple[float, float]:
    """:func:`boxes` of one position."""
    dlat = reach_m / 110_000.0
    top = min(abs(lat) + dlat, 90.0)
    c = math.cos(math.radians(top))
    dlon = reach_m / (111_000.0 * max(c, 1e-3)) if c > 1e-3 else 180.0
    return dlat, min(dlon, 180.0)


@jit
def _boxes(lat: np.ndarray, reach_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat, dlon = np.empty(lat.size), np.empty(lat.size)
    for k in range(lat.size):
        dlat[k], dlon[k] = box_of(lat[k], reach_m[k])
    return dlat, dlon


@jit
def _planar_cpa(la1: float, lo1: float, h1: float, v1: float, t1: float,
                la2: float, lo2: float, h2: float, v2: float, t2: float, now: float,
                lookahead_s: float) -> tuple[float, float]:
    """CPA in a local plane (flat Earth at the first point): ``(cpa_m, scale_m)``, where the
    exact CPA differs by at most a few per cent of ``scale_m`` (the initial separation plus
    both paths)."""
    ky = 110_574.0
    kx = 111_320.0 * math.cos(math.radians(0.5 * (la1 + la2)))
    dlon = ((lo2 - lo1 + 180.0) % 360.0) - 180.0
    s1, s2 = v1 * (now - t1), v2 * (now - t2)
    r1, r2 = math.radians(h1), math.radians(h2)
    x = dlon * kx + s2 * math.sin(r2) - s1 * math.sin(r1)
    y = (la2 - la1) * ky + s2 * math.cos(r2) - s1 * math.cos(r1)
    vx = v2 * math.sin(r2) - v1 * math.sin(r1)
    vy = v2 * math.cos(r2) - v1 * math.cos(r1)
    vv = vx * vx + vy * vy
    tau = 0.0 if vv == 0.0 else min(max(-(x * vx + y * vy) / vv, 0.0), lookahead_s)
    cx, cy = x + vx * tau, y + vy * tau
    scale = math.hypot(dlon * kx, (la2 - la1) * ky) + s1 + s2 + (v1 + v2) * lookahead_s
    return math.hypot(cx, cy), scale


#: the planar CPA is trusted to this fraction of its scale (plus :data:`PLANAR_ABS_M`)
PLANAR_REL = 0.02
PLANAR_ABS_M = 500.0


@jit
def _motion(speed: float, heading: float) -> tuple[float, float]:
    """``(speed, heading)`` to dead-reckon with: at rest where either is unknown."""
    v = speed if math.isfinite(speed) and math.isfinite(heading) else 0.0
    return v, heading if v > 0.0 else 0.0


@jit
def planar_close(i: np.ndarray, j: np.ndarray, t: np.ndarray, lat: np.ndarray,
                 lon: np.ndarray, speed: np.ndarray, heading: np.ndarray, now: float,
                 lookahead_s: float, limit_m: float) -> np.ndarray:
    """Per pair (``i[k]``, ``j[k]`` index the columns, as :func:`closest_approach` takes
    them): is the CPA certainly within ``limit_m``, the flat-Earth CPA being within it by
    more than its error margin? (A pair already known to be close needs no exact answer.)"""
    out = np.zeros(i.size, dtype=np.bool_)
    for k in range(i.size):
        a, b = i[k], j[k]
        va, ha = _motion(speed[a], heading[a])
        vb, hb = _motion(speed[b], heading[b])
        flat, scale = _planar_cpa(lat[a], lon[a], ha, va, t[a], lat[b], lon[b], hb, vb, t[b],
                                  now, lookahead_s)
        out[k] = flat + PLANAR_REL * scale + PLANAR_ABS_M < limit_m
    return out


#: columns of the per-entry array the pair kernels read (one array: a pair test costs no
#: reference counting of a dozen arrays)
_PARTY, _ALT, _LAT, _LON, _DLAT, _DLON, _T, _SPEED, _HEADING = range(9)


@jit
def kept_apart(party_i: float, party_j: float, alt_i: float, alt_j: float,
               vertical_m: float) -> bool:
    """Never a pair: the same known party, or altitudes ``vertical_m`` apart or more
    (an unknown altitude, NaN, is not apart)."""
    return (party_i == party_j and party_i >= 0) or abs(alt_i - alt_j) >= vertical_m


@jit
def lon_apart(lon_i: float, lon_j: float, span_deg: float) -> bool:
    """Longitudes more than ``span_deg`` apart (across the antimeridian too)."""
    return abs(((lon_i - lon_j + 180.0) % 360.0) - 180.0) > span_deg


@jit
def flat_far(la1: float, lo1: float, h1: float, v1: float, t1: float, la2: float, lo2: float,
             h2: float, v2: float, t2: float, now: float, lookahead_s: float,
             limit_m: float) -> bool:
    """The flat-Earth CPA beyond ``limit_m`` by more than its error margin: certainly
    not within ``limit_m``."""
    flat, scale = _planar_cpa(la1, lo1, h1, v1, t1, la2, lo2, h2, v2, t2, now, lookahead_s)
    return flat > limit_m + PLANAR_REL * scale + PLANAR_ABS_M


@jit
def _worth(i: int, j: int, c: np.ndarray, now: float, lookahead_s: float, limit_m: float,
           vertical_m: float) -> bool:
    """Is the pair of entries ``i`` < ``j`` (rows of ``c``) a candidate (see
    :func:`candidate_pairs`)?"""
    if kept_apart(c[i, _PARTY], c[j, _PARTY], c[i, _ALT], c[j, _ALT], vertical_m):
        return False
    if abs(c[i, _LAT] - c[j, _LAT]) > c[i, _DLAT] + c[j, _DLAT]:
        return False
    if lon_apart(c[i, _LON], c[j, _LON], c[i, _DLON] + c[j, _DLON]):
        return False
    return not flat_far(c[i, _LAT], c[i, _LON], c[i, _HEADING], c[i, _SPEED], c[i, _T],
                        c[j, _LAT], c[j, _LON], c[j, _HEADING], c[j, _SPEED], c[j, _T],
                        now, lookahead_s, limit_m)


@jit
def push(out: np.ndarray, m: int, key: int) -> np.ndarray:
    """``out`` with ``key`` at ``m`` (doubled when full)."""
    if m == out.size:
        grown = np.empty(2 * m, dtype=np.int64)
        grown[:m] = out
        out = grown
    out[m] = key
    return out


@numba.njit(cache=True, nogil=True)
def _pairs_in_cells(order: np.ndarray, cell: np.ndarray, ent: np.ndarray, slot: np.ndarray,
                    upd: np.ndarray, cols: np.ndarray, now: float, lookahead_s: float,
                    limit_m: float, vertical_m: float) -> np.ndarray:
    out = np.empty(16, dtype=np.int64)
    m = 0
    n = order.size
    a0 = 0
    while a0 < n:
        a1 = a0
        c = cell[order[a0]]
        while a1 < n and cell[order[a1]] == c:
            a1 += 1
        # each pair with an updated track, once (i before j as the cell lists them): from
        # its updated member (the first of the two when both are) when few of the cell's
        # tracks are updated, else over every pair of the cell
        n_upd = 0
        for u in range(a0, a1):
            if upd[ent[order[u]]]:
                n_upd += 1
        few = 4 * n_upd < a1 - a0
        for u in range(a0, a1):
            up_u = upd[ent[order[u]]]
            if few and not up_u:
                continue
            for w in range(a0 if few else u + 1, a1):
                if few:
                    if w == u or (w < u and upd[ent[order[w]]]):
                        continue
                elif not (up_u or upd[ent[order[w]]]):
                    continue
                i, j = ent[order[min(u, w)]], ent[order[max(u, w)]]
                if _worth(i, j, cols, now, lookahead_s, limit_m, vertical_m):
                    si, sj = slot[i], slot[j]
                    out = push(out, m, (min(si, sj) << 32) | max(si, sj))
                    m += 1
        a0 = a1
    return out[:m]


#: at most this share of the tracks updated, the engine finds pairs from each updated track
#: over its :class:`~deconfliction.monitor.nearindex.NearIndex` rather than through cells
#: of every track's box
FEW_UPDATED = 1 / 16


def candidate_pairs(slot: IntArray, lat: FloatArray, lon: FloatArray, reach_m: FloatArray,
                    updated: npt.NDArray[np.bool_], party: IntArray, t: FloatArray,
                    speed: FloatArray, heading: FloatArray, now: float, lookahead_s: float,
                    limit_m: float, alt: FloatArray | None = None,
                    vertical_m: float = math.inf) -> IntArray:
    """Keys ``min(slot) << 32 | max(slot)`` of pairs that may come within ``limit_m``: boxes
    overlap, parties differ (or are unknown, code -1), one of them is ``updated``, the
    altitudes (``alt``, where given) differ by less than ``vertical_m`` (or one is unknown),
    and the flat-Earth CPA is within its margin of ``limit_m`` (columns by entry; ``speed``
    0 where speed or course is unknown)."""
    if slot.size < 2 or not updated.any():
        return np.zeros(0, dtype=np.int64)
    dlat, dlon = boxes(lat, lon, reach_m)
    alt = np.zeros(slot.size) if alt is None else alt
    cols = np.column_stack([party, alt, lat, lon, dlat, dlon, t, speed, heading]).astype(
        np.float64)
    cell_deg = float(np.clip(2.0 * np.median(dlat), 0.05, 5.0))
    nx = math.ceil(360.0 / cell_deg)
    y0 = np.floor((np.maximum(lat - dlat, -90.0) + 90.0) / cell_deg).astype(np.int64)
    y1 = np.floor((np.minimum(lat + dlat, 90.0) + 90.0) / cell_deg).astype(np.int64)
    x0 = np.floor((lon - dlon + 180.0) / cell_deg).astype(np.int64)
    x1 = np.floor((lon + dlon + 180.0) / cell_deg).astype(np.int64)
    full = x1 - x0 + 1 >= nx
    x0 = np.where(full, 0, x0)
    x1 = np.where(full, nx - 1, x1)
    ny_, nx_ = y1 - y0 + 1, x1 - x0 + 1
    per = ny_ * nx_
    ent = np.repeat(np.arange(slot.size), per)
    k = np.arange(ent.size) - np.repeat(np.cumsum(per) - per, per)
    cy = y0[ent] + k // nx_[ent]
    cx = (x0[ent] + k % nx_[ent]) % nx
    cell = cy * nx + cx
    # only the cells an updated track is in can hold a pair to look at (a small batch
    # against many tracks: sort those entries only)
    if updated.all():
        order = np.argsort(cell, kind="stable")
    else:
        mine = np.unique(cell[updated[ent]])
        at = np.minimum(np.searchsorted(mine, cell), mine.size - 1)
        idx = np.nonzero(mine[at] == cell)[0]
        order = idx[np.argsort(cell[idx], kind="stable")]
    keys = _pairs_in_cells(order, cell, ent, slot.astype(np.int64), updated, cols, now,
                           lookahead_s, limit_m, vertical_m)
    return np.unique(keys)


@jit
def _separation(la1: float, lo1: float, h1: float, v1: float, t1: float,
                la2: float, lo2: float, h2: float, v2: float, t2: float, when: float) -> float:
    a_lat, a_lon, _ = direct_one(la1, lo1, h1, v1 * (when - t1))
    b_lat, b_lon, _ = direct_one(la2, lo2, h2, v2 * (when - t2))
    _, _, d, ok = inverse_one(a_lat, a_lon, b_lat, b_lon)
    return d if ok else math.inf


@jit
def closest_approach(
    i: np.ndarray, j: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
    speed: np.ndarray, heading: np.ndarray, now: float, lookahead_s: float,
    limit_m: float = math.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair (``i[k]``, ``j[k]`` index the columns): ``(separation at now, CPA metres,
    CPA time)`` within ``[now, now + lookahead_s]``.

    Pairs whose flat-Earth CPA is beyond ``limit_m`` by more than its error margin
    (:data:`PLANAR_REL` of the scale, plus :data:`PLANAR_ABS_M`) are not solved: their
    answers are ``inf`` (certainly beyond ``limit_m``)."""
    n = i.size
    d_now, cpa, cpa_t = np.empty(n), np.empty(n), np.empty(n)
    for k in range(n):
        a, b = i[k], j[k]
        va, ha = _motion(speed[a], heading[a])
        vb, hb = _motion(speed[b], heading[b])
        if limit_m < math.inf and flat_far(lat[a], lon[a], ha, va, t[a], lat[b], lon[b],
                                           hb, vb, t[b], now, lookahead_s, limit_m):
            d_now[k], cpa[k], cpa_t[k] = math.inf, math.inf, math.nan
            continue
        best, best_x = math.inf, now
        step = lookahead_s / SCAN
        for s in range(SCAN + 1):
            x = now + s * step
            d = _separation(lat[a], lon[a], ha, va, t[a], lat[b], lon[b], hb, vb, t[b], x)
            if s == 0:
                d_now[k] = d
            if d < best:
                best, best_x = d, x
        if (va > 0.0 or vb > 0.0) and lookahead_s > 0.0:
            lo, hi = max(now, best_x - step), min(now + lookahead_s, best_x + step)
            x1, x2 = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
            f1 = _separation(lat[a], lon[a], ha, va, t[a], lat[b], lon[b], hb, vb, t[b], x1)
            f2 = _separation(lat[a], lon[a], ha, va, t[a], lat[b], lon[b], hb, vb, t[b], x2)
            for _ in range(60):
                if hi - lo < 1e-3:
                    break
                if f1 < f2:
                    hi, x2, f2 = x2, x1, f1
                    x1 = hi - _GOLD * (hi - lo)
                    f1 = _separation(lat[a], lon[a], ha, va, t[a], lat[b], lon[b], hb, vb,
                                     t[b], x1)
                else:
                    lo, x1, f1 = x1, x2, f2
                    x2 = lo + _GOLD * (hi - lo)
                    f2 = _separation(lat[a], lon[a], ha, va, t[a], lat[b], lon[b], hb, vb,
                                     t[b], x2)
            for x, f in ((x1, f1), (x2, f2)):
                if f < best:
                    best, best_x = f, x
        cpa[k], cpa_t[k] = best, best_x
    return d_now, cpa, cpa_t
