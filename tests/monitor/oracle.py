"""A brute-force referee for the zone grid, built on GeographicLib (``pyproj.Geod``) alone.

* circle: ``Geod.inv`` to the centre;
* distance to geodesic edges: for every (report, edge) pair that a generous spherical
  estimate puts near, a golden-section search along the edge (points by ``Geod.fwd`` from
  its start, distances by ``Geod.inv``) after a coarse scan of 24 points: exact to well
  under 0.1 mm (the distance along a short geodesic edge from a point is unimodal);
* inside a polygon: parity of the point in a ring densified every 50 m along the true
  geodesics (``Geod.fwd``), trusted only farther than :data:`TOL_M` from the boundary (the
  densified ring strays from the geodesics by well under a millimetre).

Reports within :data:`TOL_M` of a boundary are left out of the comparison (and counted).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Geod

from deconfliction.core.outline import Circle, Corridor, Outline, Polygon

GEOD = Geod(ellps="WGS84")
TOL_M = 0.005
_R = 6_371_008.8
_GOLD = (math.sqrt(5) - 1) / 2


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)


def _sphere_point_arc(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = np.cross(a, b)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    pn = p @ n.T
    foot = p[:, None, :] - pn[..., None] * n[None]
    on = (np.einsum("ijk,jk->ij", np.cross(a[None], foot), n) >= 0) & (
        np.einsum("ijk,jk->ij", np.cross(foot, b[None]), n) >= 0)
    ends = np.minimum(np.arccos(np.clip(p @ a.T, -1, 1)), np.arccos(np.clip(p @ b.T, -1, 1)))
    return np.where(on, np.minimum(ends, np.abs(np.arcsin(np.clip(pn, -1, 1)))), ends) * _R


def _edges(o: Polygon | Corridor) -> list[tuple[float, float, float, float]]:
    rings = [o.exterior, *o.holes] if isinstance(o, Polygon) else [o.path]
    out = []
    for ring in rings:
        pts = list(ring) + ([ring[0]] if isinstance(o, Polygon) else [])
        out += [(*pts[i], *pts[i + 1]) for i in range(len(pts) - 1)]
    return out


def edge_distance(lat: np.ndarray, lon: np.ndarray, o: Polygon | Corridor,
                  near_m: float) -> np.ndarray:
    """Exact distance to the edges for points within about ``near_m``; ``inf`` for others."""
    e = np.array(_edges(o))
    a, b = _unit(e[:, 0], e[:, 1]), _unit(e[:, 2], e[:, 3])
    az, _, length = GEOD.inv(e[:, 1], e[:, 0], e[:, 3], e[:, 2])
    approx = _sphere_point_arc(_unit(lat, lon), a, b)
    pi, ei = np.nonzero(approx <= near_m + 0.01 * (approx + length[None]) + 50.0)
    out = np.full(lat.size, np.inf)
    if pi.size == 0:
        return out
    plat, plon, eaz, elen = lat[pi], lon[pi], az[ei], length[ei]
    alat, alon = e[ei, 0], e[ei, 1]

    def dist(s: np.ndarray) -> np.ndarray:
        x, y, _ = GEOD.fwd(alon, alat, eaz, s)
        return np.asarray(GEOD.inv(plon, plat, x, y)[2])

    steps = 24
    scan = np.stack([dist(elen * k / steps) for k in range(steps + 1)])
    best = np.argmin(scan, axis=0)
    lo = elen * np.maximum(best - 1, 0) / steps
    hi = elen * np.minimum(best + 1, steps) / steps
    x1, x2 = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
    f1, f2 = dist(x1), dist(x2)
    for _ in range(48):
        left = f1 < f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x2n = np.where(left, x1, lo + _GOLD * (hi - lo))
        x1n = np.where(left, hi - _GOLD * (hi - lo), x2)
        f2 = np.where(left, f1, np.nan)
        f1 = np.where(left, np.nan, f2)
        x1, x2 = x1n, x2n
        new1, new2 = dist(x1), dist(x2)
        f1 = np.where(left, new1, np.where(np.isnan(f1), new1, f1))
        f2 = np.where(left, np.where(np.isnan(f2), new2, f2), new2)
    d = np.minimum(np.minimum(f1, f2), scan.min(axis=0))
    np.minimum.at(out, pi, d)
    return out


def _dense_ring(ring: tuple[tuple[float, float], ...], lon0: float) -> np.ndarray:
    pts = []
    for (la1, lo1), (la2, lo2) in zip(ring, ring[1:] + ring[:1], strict=True):
        az, _, length = GEOD.inv(lo1, la1, lo2, la2)
        n = max(1, math.ceil(length / 50.0))
        x, y, _ = GEOD.fwd(np.full(n, lo1), np.full(n, la1), np.full(n, az),
                           length * np.arange(n) / n)
        pts.append(np.column_stack([x, y]))
    xy = np.concatenate(pts)
    xy[:, 0] = (xy[:, 0] - lon0 + 180.0) % 360.0 - 180.0 + lon0
    return xy


def polygon_parity(lat: np.ndarray, lon: np.ndarray, p: Polygon) -> np.ndarray:
    """Inside the densified polygon (holes excluded), longitudes unwrapped around it."""
    lon0 = p.exterior[0][1]
    shell = _dense_ring(p.exterior, lon0)
    holes = [_dense_ring(h, lon0) for h in p.holes]
    poly = shapely.Polygon(shell, holes)
    x = (lon - lon0 + 180.0) % 360.0 - 180.0 + lon0
    return np.asarray(shapely.contains_xy(poly, x, lat))


def member(lat: np.ndarray, lon: np.ndarray, o: Outline, grow_m: float,
           ) -> tuple[np.ndarray, np.ndarray]:
    """``(inside the outline grown by grow_m, too close to the boundary to judge)``."""
    if isinstance(o, Circle):
        d = np.asarray(GEOD.inv(lon, lat, np.full(lat.size, o.lon), np.full(lat.size, o.lat))[2])
        g = o.radius_m + grow_m
        return d <= g, np.abs(d - g) < TOL_M
    g = o.radius_m + grow_m
    d = edge_distance(lat, lon, o, g)
    if isinstance(o, Corridor):
        return d <= g, np.abs(d - g) < TOL_M
    inside = polygon_parity(lat, lon, o)
    return inside | (d <= g), (np.abs(d - g) < TOL_M) | (d < TOL_M)
