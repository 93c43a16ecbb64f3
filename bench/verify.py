"""An independent referee for disagreements: dense geodesic sampling, no engine code.

Both outlines are sampled densely with GeographicLib (``pyproj.Geod``: points on a circle's
rim, intermediate points of each geodesic edge, a corridor's path) and projected into an
azimuthal equidistant projection centred where the two outlines come closest. Near that
centre the projection keeps geodesic distances to well under a millimetre, so the planar
distance between the sampled shapes there is the geodesic gap (to the sampling error,
kept below ~1 mm for circles). Far from the centre the shapes are distorted, which does not
matter for the gap between two shapes that come closest at the centre.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import shapely
from pyproj import Geod, Proj

from deconfliction.core.outline import Circle, Corridor, LatLon, Outline, Polygon

__all__ = ["dense_gap_m"]

_GEOD = Geod(ellps="WGS84")
_SAG_M = 0.001  # largest chord sag accepted on a circle's rim
_EDGE_STEP_M = 200.0  # geodesic edges are nearly straight in the projection near its centre


def _path(points: tuple[LatLon, ...], closed: bool) -> list[tuple[float, float]]:
    """(lon, lat) of the vertices and intermediate geodesic points of each edge."""
    pts = list(points) + ([points[0]] if closed else [])
    out: list[tuple[float, float]] = []
    for (la1, lo1), (la2, lo2) in itertools.pairwise(pts):
        out.append((lo1, la1))
        _, _, length = _GEOD.inv(lo1, la1, lo2, la2)
        n = int(length // _EDGE_STEP_M)
        if n > 0:
            out.extend(_GEOD.npts(lo1, la1, lo2, la2, n))
    out.append((pts[-1][1], pts[-1][0]))
    return out


def _local(outline: Outline, proj: Proj) -> shapely.Geometry:
    if isinstance(outline, Circle):
        r = outline.radius_m
        n = max(64, math.ceil(2 * math.pi * r / math.sqrt(8 * r * _SAG_M)))
        az = np.linspace(0.0, 360.0, n, endpoint=False)
        lon, lat, _ = _GEOD.fwd(np.full(n, outline.lon), np.full(n, outline.lat), az, np.full(n, r))
        return shapely.Polygon(np.column_stack(proj(lon, lat)))
    if isinstance(outline, Polygon):
        lon, lat = np.array(_path(outline.exterior, closed=True)).T
        return shapely.Polygon(np.column_stack(proj(lon, lat)))
    assert isinstance(outline, Corridor)
    lon, lat = np.array(_path(outline.path, closed=False)).T
    line = shapely.LineString(np.column_stack(proj(lon, lat)))
    return line.buffer(outline.half_width_m, quad_segs=512)


def dense_gap_m(a: Outline, b: Outline, near: LatLon) -> float:
    """Geodesic gap between ``a`` and ``b`` from dense sampling around ``near``.

    Positive when apart; when they overlap, minus the width of the overlap (the shorter side
    of its minimum rotated rectangle: for a thin sliver, how deep the outlines reach into
    each other).
    """
    proj = Proj(proj="aeqd", lat_0=near[0], lon_0=near[1], ellps="WGS84", units="m")
    ga, gb = _local(a, proj), _local(b, proj)
    if not ga.intersects(gb):
        return float(ga.distance(gb))
    inter = ga.intersection(gb)
    rect = shapely.minimum_rotated_rectangle(inter)
    xy = np.asarray(rect.exterior.coords) if rect.geom_type == "Polygon" else np.zeros((2, 2))
    sides = np.hypot(*np.diff(xy, axis=0).T)
    return -float(sides.min()) if sides.size else 0.0
