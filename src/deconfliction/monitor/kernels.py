"""Compiled kernels of the zone grid: cell classification (build) and report classification.

Statuses of a (cell, volume row) pair, decided once when the grid is built:

* ``INSIDE``: every point of the cell is in the row's grown outline (proven with exact or
  chord bounds and the cell's radius), so reports there need only the time and altitude test;
* ``EDGE``: the boundary may pass through the cell: each report gets the chord test
  (:mod:`deconfliction.monitor.chords`) against the row's circle or against the few edges that
  reach the cell, and the exact ellipsoidal computation when it lands within the bounds' doubt;
* ``EXACT``: rows too large for the chord bounds: every report gets the exact computation;
* ``OUTSIDE``: no point of the cell can be in the row; the pair is not stored.

Rows are packed as float columns :data:`ROWF` and int columns :data:`ROWI`; edges as
:data:`EDGEF`. A report whose exact computation does not converge (nearly antipodal points)
is returned with the row negated (``-row - 1``) for the caller to settle with GeographicLib.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from deconfliction.core.kernels import inverse_one, jit, point_edges_distance, point_in_area_one
from deconfliction.monitor.chords import A_M, E2, MAX_CHORD_RADIUS_M, arc_upper, ecef, sag

__all__ = [
    "EDGE",
    "EXACT",
    "INSIDE",
    "OUTSIDE",
    "classify_cells",
    "classify_sorted",
    "edge_member",
    "exact_member",
    "outside_lower_bound",
]

INSIDE, EDGE, EXACT, OUTSIDE = 0, 1, 2, 3
#: decisions by bounds keep this far (metres) from the boundary; closer ones go exact
EPS_M = 1e-3

# float columns of a row
T0, T1, LO, HI, G, CX, CY, CZ, CIN2, COUT2, CLAT, CLON = range(12)
ROWF = 12
# int columns of a row: kind (0 circle, 1 polygon, 2 corridor), vertex and edge ranges
KIND, V0, V1, E0, E1 = range(5)
ROWI = 5
# float columns of an edge: start point, start-to-end vector, 1/|d|², sag bound
AX, AY, AZ, DX, DY, DZ, INV, H = range(8)
EDGEF = 8


@jit
def cell_radius(lat_lo: float, lat_hi: float, cell_deg: float) -> float:
    """Metres within which every point of a cell lies from its centre (a path along the
    parallel then the meridian is at least as long as the geodesic)."""
    eq = 0.0 if lat_lo <= 0.0 <= lat_hi else min(abs(lat_lo), abs(lat_hi))
    far = max(abs(lat_lo), abs(lat_hi))
    se, sf = math.sin(math.radians(eq)), math.sin(math.radians(far))
    n_cos = A_M * math.cos(math.radians(eq)) / math.sqrt(1.0 - E2 * se * se)
    m_max = A_M * (1.0 - E2) / math.pow(1.0 - E2 * sf * sf, 1.5)
    half = math.radians(cell_deg) / 2.0
    return half * (m_max + n_cos) * (1.0 + 1e-9) + EPS_M


@jit
def edge_columns(
    vlat: np.ndarray, vlon: np.ndarray, start: np.ndarray, end: np.ndarray,
    length: np.ndarray, v0_of_edge: np.ndarray,
) -> np.ndarray:
    """:data:`EDGEF` columns for every edge (``start``/``end`` index the row's own vertices,
    whose first is ``v0_of_edge``)."""
    m = start.size
    out = np.empty((m, EDGEF))
    for j in range(m):
        a, b = v0_of_edge[j] + start[j], v0_of_edge[j] + end[j]
        ax, ay, az = ecef(vlat[a], vlon[a])
        bx, by, bz = ecef(vlat[b], vlon[b])
        dx, dy, dz = bx - ax, by - ay, bz - az
        dd = dx * dx + dy * dy + dz * dz
        out[j, AX], out[j, AY], out[j, AZ] = ax, ay, az
        out[j, DX], out[j, DY], out[j, DZ] = dx, dy, dz
        out[j, INV] = 1.0 / dd if dd > 0.0 else 0.0
        out[j, H] = sag(length[j])
    return out


@jit
def cell_centre(c: int, cell_deg: float, nx: int, iy0: int) -> tuple[float, float]:
    """``(lat, lon)`` of the centre of grid cell ``c`` (row ``iy0 + c // nx``)."""
    return -90.0 + (iy0 + c // nx + 0.5) * cell_deg, -180.0 + (c % nx + 0.5) * cell_deg


@jit
def cell_frame(c: int, cell_deg: float, nx: int, iy0: int, row_hq: np.ndarray,
               ) -> tuple[float, float, float, float]:
    """What a cell's candidates are tested from: the ECEF position of cell ``c``'s centre,
    and the sag bound of its grid row (``row_hq``)."""
    clat, clon = cell_centre(c, cell_deg, nx, iy0)
    qx, qy, qz = ecef(clat, clon)
    return qx, qy, qz, float(row_hq[c // nx])


@jit
def point_chord(px: float, py: float, pz: float, ef: np.ndarray, j: int) -> float:
    """Straight-line distance from P to edge ``j``'s chord segment."""
    wx, wy, wz = px - ef[j, AX], py - ef[j, AY], pz - ef[j, AZ]
    t = (wx * ef[j, DX] + wy * ef[j, DY] + wz * ef[j, DZ]) * ef[j, INV]
    t = min(max(t, 0.0), 1.0)
    wx -= t * ef[j, DX]
    wy -= t * ef[j, DY]
    wz -= t * ef[j, DZ]
    return math.sqrt(wx * wx + wy * wy + wz * wz)


@jit
def outside_lower_bound(r: int, lat: float, lon: float, rowf: np.ndarray, rowi: np.ndarray,
                        ef: np.ndarray) -> float:
    """A lower bound (metres) of how far a point known to be *outside* row ``r``'s grown
    outline is from its boundary, from the chord bounds (no geodesic iteration): a circle's
    chord to its centre, else the least chord distance to an edge less its sag; ``-inf``
    where an edge is too long for them.

    >>> import numpy as np
    >>> from deconfliction.monitor.chords import ecef
    >>> rowf = np.zeros((1, ROWF)); rowi = np.zeros((1, ROWI), dtype=np.int64)
    >>> rowf[0, G] = 1_000.0; rowf[0, CX:CZ + 1] = ecef(33.0, 38.0)
    >>> round(outside_lower_bound(0, 33.1, 38.0, rowf, rowi, np.zeros((0, EDGEF))), 1)
    10090.5
    """
    px, py, pz = ecef(lat, lon)
    g = float(rowf[r, G])
    if rowi[r, KIND] == 0:
        dx, dy, dz = px - rowf[r, CX], py - rowf[r, CY], pz - rowf[r, CZ]
        return math.sqrt(dx * dx + dy * dy + dz * dz) - g
    e0, e1 = rowi[r, E0], rowi[r, E1]
    if _too_long(ef, e0, e1):
        return -math.inf
    low = math.inf
    for j in range(e0, e1):
        low = min(low, point_chord(px, py, pz, ef, j) - float(ef[j, H]))
    return low - g


@jit
def chord_chord(
    px: float, py: float, pz: float, qx: float, qy: float, qz: float, ef: np.ndarray, j: int
) -> float:
    """Least straight-line distance between segment PQ and edge ``j``'s chord."""
    d1x, d1y, d1z = qx - px, qy - py, qz - pz
    d2x, d2y, d2z = ef[j, DX], ef[j, DY], ef[j, DZ]
    rx, ry, rz = px - ef[j, AX], py - ef[j, AY], pz - ef[j, AZ]
    a = d1x * d1x + d1y * d1y + d1z * d1z
    e = d2x * d2x + d2y * d2y + d2z * d2z
    f = d2x * rx + d2y * ry + d2z * rz
    if a <= 1e-12:
        s = 0.0
        t = min(max(f / e, 0.0), 1.0) if e > 1e-12 else 0.0
    else:
        c = d1x * rx + d1y * ry + d1z * rz
        if e <= 1e-12:
            t = 0.0
            s = min(max(-c / a, 0.0), 1.0)
        else:
            b = d1x * d2x + d1y * d2y + d1z * d2z
            den = a * e - b * b
            s = min(max((b * f - c * e) / den, 0.0), 1.0) if den > 1e-9 * a * e else 0.0
            t = (b * s + f) / e
            if t < 0.0:
                t = 0.0
                s = min(max(-c / a, 0.0), 1.0)
            elif t > 1.0:
                t = 1.0
                s = min(max((b - c) / a, 0.0), 1.0)
    x = rx + s * d1x - t * d2x
    y = ry + s * d1y - t * d2y
    z = rz + s * d1z - t * d2z
    return math.sqrt(x * x + y * y + z * z)


@jit
def _too_long(ef: np.ndarray, e0: int, e1: int) -> bool:
    for j in range(e0, e1):
        if ef[j, INV] > 0.0 and 1.0 / ef[j, INV] > MAX_CHORD_RADIUS_M**2:
            return True
    return False


@numba.njit(cache=True, nogil=True, parallel=True)
def classify_cells(
    cell_lat: np.ndarray, cell_lon: np.ndarray, cell_r: np.ndarray, rows: np.ndarray,
    rowf: np.ndarray, rowi: np.ndarray, ef: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, start: np.ndarray, end: np.ndarray, az: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Status, parity at the cell centre and listed edges (a mask over the row's edges,
    flattened: pair ``k`` owns ``mask[moff[k]:moff[k] + edges of its row]``) of each pair."""
    n = rows.size
    status = np.empty(n, dtype=np.int8)
    parity = np.zeros(n, dtype=np.int8)
    moff = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        r = rows[k]
        moff[k + 1] = moff[k] + (rowi[r, E1] - rowi[r, E0])
    mask = np.zeros(moff[n], dtype=np.bool_)
    for k in numba.prange(n):
        r = rows[k]
        kind, g, rc = rowi[r, KIND], rowf[r, G], cell_r[k]
        qx, qy, qz = ecef(cell_lat[k], cell_lon[k])
        if kind == 0:
            if g > MAX_CHORD_RADIUS_M:
                status[k] = EXACT
                continue
            cx, cy, cz = qx - rowf[r, CX], qy - rowf[r, CY], qz - rowf[r, CZ]
            c = math.sqrt(cx * cx + cy * cy + cz * cz)
            if arc_upper(c) + rc <= g - EPS_M:
                status[k] = INSIDE
            elif c - rc > g + EPS_M:
                status[k] = OUTSIDE
            else:
                status[k] = EDGE
            continue
        v0, v1, e0, e1 = rowi[r, V0], rowi[r, V1], rowi[r, E0], rowi[r, E1]
        if g > MAX_CHORD_RADIUS_M or _too_long(ef, e0, e1):
            status[k] = EXACT
            continue
        if kind == 1:
            inside, ok = point_in_area_one(cell_lat[k], cell_lon[k], vlat[v0:v1], vlon[v0:v1],
                                           start[e0:e1], end[e0:e1], az[e0:e1])
            if not ok:
                status[k] = EXACT
                continue
            parity[k] = 1 if inside else 0
        listed, upper = 0, math.inf
        for j in range(e0, e1):
            d3 = point_chord(qx, qy, qz, ef, j)
            if d3 - ef[j, H] <= rc + g + EPS_M:
                mask[moff[k] + j - e0] = True
                listed += 1
                upper = min(upper, arc_upper(d3 + ef[j, H]))
        if listed == 0:
            status[k] = INSIDE if parity[k] == 1 else OUTSIDE
        elif g > 0.0 and upper <= g - rc - EPS_M:
            status[k] = INSIDE
        else:
            status[k] = EDGE
    return status, parity, mask


@jit
def exact_member(
    r: int, plat: float, plon: float, rowf: np.ndarray, rowi: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray, start: np.ndarray, end: np.ndarray,
    normal: np.ndarray, az: np.ndarray, length: np.ndarray,
) -> tuple[bool, bool]:
    """``(inside, converged)``: the exact ellipsoidal test of one report against row ``r``."""
    kind, g = rowi[r, KIND], rowf[r, G]
    if kind == 0:
        _, _, d, ok = inverse_one(plat, plon, rowf[r, CLAT], rowf[r, CLON])
        return ok and d <= g, ok
    v0, v1, e0, e1 = rowi[r, V0], rowi[r, V1], rowi[r, E0], rowi[r, E1]
    if kind == 1:
        inside, ok = point_in_area_one(plat, plon, vlat[v0:v1], vlon[v0:v1], start[e0:e1],
                                       end[e0:e1], az[e0:e1])
        if not ok:
            return False, False
        if inside:
            return True, True
        if g <= 0.0:
            return False, True
    d, _, _, exact, ok = point_edges_distance(
        plat, plon, vlat[v0:v1], vlon[v0:v1], vu[v0:v1], start[e0:e1], end[e0:e1],
        normal[e0:e1], az[e0:e1], length[e0:e1], False, g,
    )
    return ok and exact and d <= g, ok


@jit
def edge_member(
    k: int, r: int, px: float, py: float, pz: float, qx: float, qy: float, qz: float,
    hq: float, cand_par: np.ndarray, poff: np.ndarray, pieces: np.ndarray,
    rowf: np.ndarray, rowi: np.ndarray, ef: np.ndarray,
) -> int:
    """Chord-bound verdict on an ``EDGE`` pair: 1 in, 0 out, -1 undecided (go exact)."""
    kind, g = rowi[r, KIND], rowf[r, G]
    if kind == 0:
        cx, cy, cz = px - rowf[r, CX], py - rowf[r, CY], pz - rowf[r, CZ]
        c2 = cx * cx + cy * cy + cz * cz
        if c2 <= rowf[r, CIN2]:
            return 1
        if c2 > rowf[r, COUT2]:
            return 0
        return -1
    low, up = math.inf, math.inf
    for i in range(poff[k], poff[k + 1]):
        j = pieces[i]
        d3 = point_chord(px, py, pz, ef, j)
        low = min(low, d3 - ef[j, H])
        if g > 0.0 and d3 + ef[j, H] < up:
            up = d3 + ef[j, H]
    if g > 0.0 and arc_upper(up) <= g - EPS_M:
        return 1
    if low <= g + EPS_M:
        return -1
    if kind == 2:
        return 0
    # a polygon, and the report is clear of its edges: it has the parity of the cell centre
    # unless the geodesic from there may cross an edge (within both sags of the chords)
    for i in range(poff[k], poff[k + 1]):
        j = pieces[i]
        if chord_chord(px, py, pz, qx, qy, qz, ef, j) <= ef[j, H] + hq + EPS_M:
            return -1
    return int(cand_par[k])


@jit
def classify_sorted(
    order: np.ndarray, cells: np.ndarray, lo_p: int, hi_p: int,
    lat: np.ndarray, lon: np.ndarray, alt: np.ndarray, t: np.ndarray,
    cell_off: np.ndarray, cand_row: np.ndarray, cand_status: np.ndarray,
    cand_par: np.ndarray, cand_f: np.ndarray, poff: np.ndarray, pieces: np.ndarray,
    cell_deg: float, nx: int, iy0: int, row_hq: np.ndarray,
    rowf: np.ndarray, rowi: np.ndarray, ef: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray, start: np.ndarray, end: np.ndarray,
    normal: np.ndarray, az: np.ndarray, length: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows holding each report ``order[p]`` for ``lo_p <= p < hi_p`` (reports sorted by
    cell): ``(count per p, rows in p order, exact computations)``; unconverged ones as
    ``-row - 1``. ``cand_f`` holds each candidate's time window and altitude band (copied
    from its row, so a cell's candidates are read in one sequential sweep)."""
    counts = np.zeros(hi_p - lo_p, dtype=np.int64)
    out = np.empty(max(16, 4 * (hi_p - lo_p)), dtype=np.int64)
    m = n_exact = 0
    last = -1
    qx = qy = qz = hq = 0.0
    for p in range(lo_p, hi_p):
        i = order[p]
        c = cells[i]
        if c != last:
            last = c
            qx, qy, qz, hq = cell_frame(c, cell_deg, nx, iy0, row_hq)
        k0, k1 = cell_off[c], cell_off[c + 1]
        if m + (k1 - k0) > out.size:
            grown = np.empty(2 * out.size + (k1 - k0), dtype=np.int64)
            grown[:m] = out[:m]
            out = grown
        ti, ai = t[i], alt[i]
        have = False
        px = py = pz = 0.0
        n0 = m
        for k in range(k0, k1):
            if not (cand_f[k, 0] <= ti < cand_f[k, 1] and cand_f[k, 2] <= ai <= cand_f[k, 3]):
                continue
            r = cand_row[k]
            st = cand_status[k]
            if st == INSIDE:
                out[m] = r
                m += 1
                continue
            if not have:
                px, py, pz = ecef(lat[i], lon[i])
                have = True
            v = -1
            if st == EDGE:
                v = edge_member(k, r, px, py, pz, qx, qy, qz, hq, cand_par, poff, pieces,
                                rowf, rowi, ef)
            if v < 0:
                n_exact += 1
                inside, ok = exact_member(r, lat[i], lon[i], rowf, rowi, vlat, vlon, vu,
                                          start, end, normal, az, length)
                if not ok:
                    out[m] = -r - 1
                    m += 1
                elif inside:
                    out[m] = r
                    m += 1
            elif v == 1:
                out[m] = r
                m += 1
        counts[p - lo_p] = m - n0
    return counts, out[:m], n_exact


@jit
def sort_by_cell(cells: np.ndarray, n_cells: int) -> np.ndarray:
    """Report indices with a cell (``cells >= 0``), ordered by cell (a counting sort)."""
    count = np.zeros(n_cells + 1, dtype=np.int64)
    kept = 0
    for i in range(cells.size):
        if cells[i] >= 0:
            count[cells[i] + 1] += 1
            kept += 1
    for c in range(n_cells):
        count[c + 1] += count[c]
    order = np.empty(kept, dtype=np.int64)
    for i in range(cells.size):
        c = cells[i]
        if c >= 0:
            order[count[c]] = i
            count[c] += 1
    return order


@jit
def cells_of(
    lat: np.ndarray, lon: np.ndarray, cell_deg: float, nx: int, iy0: int, iy1: int
) -> np.ndarray:
    """Grid cell of each report (-1 outside the rows the grid covers)."""
    n = lat.size
    out = np.empty(n, dtype=np.int64)
    ny = int(round(180.0 / cell_deg))  # noqa: RUF046 (numba)
    for i in range(n):
        iy = min(int(math.floor((lat[i] + 90.0) / cell_deg)), ny - 1)  # noqa: RUF046
        if iy < iy0 or iy > iy1:
            out[i] = -1
            continue
        ix = int(math.floor((lon[i] + 180.0) / cell_deg)) % nx  # noqa: RUF046
        out[i] = (iy - iy0) * nx + ix
    return out


@jit
def assemble(
    order: np.ndarray, counts: np.ndarray, rows: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(report index, row)`` pairs sorted by report, from results in ``order``."""
    per = np.zeros(n + 1, dtype=np.int64)
    for p in range(order.size):
        per[order[p] + 1] = counts[p]
    for i in range(n):
        per[i + 1] += per[i]
    idx = np.empty(rows.size, dtype=np.int64)
    out = np.empty(rows.size, dtype=np.int64)
    src = 0
    for p in range(order.size):
        i = order[p]
        dst = per[i]
        for q in range(counts[p]):
            idx[dst + q] = i
            out[dst + q] = rows[src + q]
        src += counts[p]
    return idx, out
