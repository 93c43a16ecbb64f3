"""Conservative bounds of outlines: lat/lon boxes for the index and bounding caps.

Both are *outer* bounds, proven rather than sampled: a box holds every point within
``grow_m`` of the outline, and a :class:`~deconfliction.core.outline.Cap` holds the core.

* A degree of latitude is at least 110,574 m anywhere on WGS84, so moving ``g`` metres
  changes latitude by at most ``g / 110574`` degrees.
* A path that changes longitude by ``Δλ`` radians while staying poleward of latitude ``φ``
  is at least ``a·cos φ·Δλ`` long (the prime-vertical radius is at least ``a``).
* A geodesic edge reaches furthest from the equator where its azimuth is ±90°; by
  Clairaut's relation ``cos β · sin α`` is constant along it (``β`` the reduced latitude).

>>> b = bbox_of(Circle(33.50583, 38.61778, 55_000.0))
>>> round(b.min_lat, 3), round(b.max_lat, 3)
(33.008, 34.003)
>>> from deconfliction.core.outline import Polygon
>>> box = bbox_of(Polygon(((10.0, 179.0), (10.0, -179.0), (11.0, -179.0))))
>>> [round(p[0], 6) for p in box.parts()]
[179.0, -180.0]
"""

from __future__ import annotations

import math

import numpy as np

from deconfliction.core import kernels
from deconfliction.core.geodesy import inverse, wrap180
from deconfliction.core.outline import BBox, Cap, Circle, Outline

__all__ = ["bbox_of", "cap_of"]

_METRES_PER_DEG_LAT_MIN = 110_574.0
_A = 6_378_137.0
_MAX_CAP_M = 5_000_000.0


def _wrap180(deg: float) -> float:
    """:func:`~deconfliction.core.geodesy.wrap180` of one number, without numpy's overhead."""
    return ((deg + 180.0) % 360.0) - 180.0


def _box(lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float, grow_m: float) -> BBox:
    dlat = grow_m / _METRES_PER_DEG_LAT_MIN + 1e-9
    lat_lo, lat_hi = max(lat_lo - dlat, -90.0), min(lat_hi + dlat, 90.0)
    pole = max(abs(lat_lo), abs(lat_hi))
    if pole >= 89.99:
        return BBox(lat_lo, -180.0, lat_hi, 180.0)
    dlon = math.degrees(grow_m / (_A * math.cos(math.radians(pole)))) + 1e-9
    lon_lo, lon_hi = lon_lo - dlon, lon_hi + dlon
    if lon_hi - lon_lo >= 360.0:
        return BBox(lat_lo, -180.0, lat_hi, 180.0)
    w_lo = _wrap180(lon_lo)
    w_hi = _wrap180(lon_hi)
    if lon_hi >= 180.0 and w_hi == -180.0:
        w_hi = 180.0
    return BBox(lat_lo, w_lo, lat_hi, w_hi)


def bbox_of(outline: Outline, grow_m: float = 0.0) -> BBox:
    """A lat/lon box holding every point within ``grow_m`` metres of ``outline``."""
    g = outline.radius_m + grow_m
    if isinstance(outline, Circle):
        return _box(outline.lat, outline.lat, outline.lon, outline.lon, g)
    e = outline.edges
    lo, hi = kernels.edge_lat_extremes(e.vlat, e.vlon, e.start, e.end)
    # follow the edges: each changes longitude by less than 180 degrees, monotonically
    step = wrap180(e.vlon[e.end] - e.vlon[e.start])
    lons = float(e.vlon[0]) + np.concatenate([[0.0], np.cumsum(step)])
    return _box(lo, hi, float(lons.min()), float(lons.max()), g)


def cap_of(outline: Outline) -> Cap:
    """A geodesic disk holding the core of ``outline`` (infinite when it is very large)."""
    if isinstance(outline, Circle):
        return Cap(outline.lat, outline.lon, 0.0)
    e = outline.edges
    u = e.vunit.sum(axis=0)
    n = float(np.linalg.norm(u))
    if n < 1e-9:
        return Cap(float(e.vlat[0]), float(e.vlon[0]), math.inf)
    clat = math.degrees(math.asin(max(-1.0, min(1.0, u[2] / n))))
    clon = math.degrees(math.atan2(u[1], u[0]))
    n = e.vlat.size
    _, _, d, ok = kernels.inverse_many(np.full(n, clat), np.full(n, clon), e.vlat, e.vlon)
    if not ok.all():
        d = inverse(np.full(n, clat), np.full(n, clon), e.vlat, e.vlon)[2]
    radius = float(np.max(d)) * (1 + 1e-9) + 1.0
    # edges between points of a cap stay inside it while the cap is geodesically convex
    sag = float(np.max(e.length_m)) ** 2 / (8 * 6_356_752.0) if e.length_m.size else 0.0
    radius += sag
    return Cap(clat, clon, radius if radius < _MAX_CAP_M else math.inf)


