"""How far a point is inside (or outside) a volume row: the distances behind hysteresis and
prediction.

The horizontal *signed distance* of a point to a row is the exact geodesic distance to the
boundary of the row's grown outline, negative inside:

* circle: distance to the centre (inverse problem) minus ``radius_m + buffer_m``;
* polygon: distance to its geodesic edges, minus the buffer outside the area, or the negated
  distance plus the buffer inside it (containment by meridian-ray parity);
* corridor: distance to the path minus ``half_width_m + buffer_m``.

It is 1-Lipschitz along any path (moving ``x`` metres changes it by at most ``x``), which is
what lets :mod:`deconfliction.monitor.predict` march along a course in steps of its value
without stepping over a volume. Where an iteration does not converge (nearly antipodal
points: thousands of km from the row) the answer is ``+inf`` with ``ok`` false.

>>> from deconfliction.core.outline import Circle
>>> from deconfliction.monitor.rows import VolumeRows
>>> from deconfliction.core.objects import Zone
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> rows = VolumeRows()
>>> _ = rows.add(Zone(id="z", name="", owner="a", volumes=(Volume4D(
...     Circle(0.0, 0.0, 1_000.0), 0.0, 100.0, TimeInterval(None, None)),)))
>>> c = rows.arrays()
>>> d, ok = signed_distance(0, 0.0, 0.0, c["rowf"], c["rowi"], c["vlat"], c["vlon"], c["vu"],
...                         c["start"], c["end"], c["normal"], c["az"], c["length"])
>>> round(d, 3), ok
(-1000.0, True)
"""

from __future__ import annotations

import math

import numpy as np

from deconfliction.core.kernels import inverse_one, jit, point_edges_distance, point_in_area_one
from deconfliction.monitor.kernels import CLAT, CLON, E0, E1, HI, KIND, LO, T0, T1, V0, V1, G

__all__ = ["horizontal_member", "inside_margin", "outside_margin", "signed_distance",
           "signed_distance_of"]


@jit
def signed_distance(
    r: int, lat: float, lon: float, rowf: np.ndarray, rowi: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray, start: np.ndarray, end: np.ndarray,
    normal: np.ndarray, az: np.ndarray, length: np.ndarray,
) -> tuple[float, bool]:
    """``(metres from the boundary of row r's grown outline, negative inside; converged)``."""
    return signed_distance_of(r, lat, lon, False, rowf, rowi, vlat, vlon, vu, start, end,
                              normal, az, length)


@jit
def signed_distance_of(
    r: int, lat: float, lon: float, outside: bool, rowf: np.ndarray, rowi: np.ndarray,
    vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray, start: np.ndarray, end: np.ndarray,
    normal: np.ndarray, az: np.ndarray, length: np.ndarray,
) -> tuple[float, bool]:
    """:func:`signed_distance`; with ``outside`` true, of a point known to be outside the
    grown outline or on its boundary (no containment test: a polygon's distance to its
    edges, less the buffer)."""
    kind, g = rowi[r, KIND], rowf[r, G]
    if kind == 0:
        _, _, d, ok = inverse_one(lat, lon, rowf[r, CLAT], rowf[r, CLON])
        return (d - g, True) if ok else (math.inf, False)
    v0, v1, e0, e1 = rowi[r, V0], rowi[r, V1], rowi[r, E0], rowi[r, E1]
    inside = False
    if kind == 1 and not outside:
        inside, ok = point_in_area_one(lat, lon, vlat[v0:v1], vlon[v0:v1], start[e0:e1],
                                       end[e0:e1], az[e0:e1])
        if not ok:
            return math.inf, False
    d, _, _, _, ok = point_edges_distance(
        lat, lon, vlat[v0:v1], vlon[v0:v1], vu[v0:v1], start[e0:e1], end[e0:e1],
        normal[e0:e1], az[e0:e1], length[e0:e1], False, math.inf)
    if not ok:
        return math.inf, False
    return (-d - g, True) if inside else (d - g, True)


@jit
def inside_margin(signed_m: float, alt: float, rowf: np.ndarray, r: int) -> float:
    """How far inside a point is: the least of its horizontal and vertical clearances
    (altitude unknown, ``nan``: horizontal only)."""
    m = -signed_m
    if not math.isnan(alt):
        m = min(m, alt - rowf[r, LO], rowf[r, HI] - alt)
    return m


@jit
def outside_margin(signed_m: float, alt: float, rowf: np.ndarray, r: int) -> float:
    """How far outside a point is: the larger of its horizontal and vertical distances."""
    m = max(signed_m, 0.0)
    if not math.isnan(alt):
        m = max(m, rowf[r, LO] - alt, alt - rowf[r, HI])
    return m


@jit
def horizontal_member(
    rep: np.ndarray, row: np.ndarray, lat: np.ndarray, lon: np.ndarray, t: np.ndarray,
    rowf: np.ndarray, rowi: np.ndarray, vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray,
    start: np.ndarray, end: np.ndarray, normal: np.ndarray, az: np.ndarray,
    length: np.ndarray,
) -> np.ndarray:
    """Per candidate (report ``rep[k]``, row ``row[k]``): in the row's time window and grown
    outline, whatever the altitude (for reports of unknown altitude)."""
    out = np.zeros(rep.size, dtype=np.bool_)
    for k in range(rep.size):
        p, r = rep[k], row[k]
        if not (rowf[r, T0] <= t[p] < rowf[r, T1]):
            continue
        d, ok = signed_distance(r, lat[p], lon[p], rowf, rowi, vlat, vlon, vu, start, end,
                                normal, az, length)
        out[k] = ok and d <= 0.0
    return out
