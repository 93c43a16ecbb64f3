"""Exact horizontal separation between two outlines on the WGS84 ellipsoid.

Each outline is a *core* (a circle's centre, a corridor's path, a polygon's area) grown by
``radius_m``. The distance between two grown shapes is the distance between the cores minus
both radii (the ellipsoid is a length space), so everything reduces to exact distances
between points, geodesic edges and areas:

* point–point: the inverse geodesic problem;
* point–edge: the foot of the perpendicular, iterated to convergence on the ellipsoid
  (:func:`~deconfliction.core.geodesy.point_segment_distance`);
* containment: a point is inside a polygon when a meridian ray from it crosses the
  polygon's geodesic edges an odd number of times; whether an edge crosses north of the point
  is decided by comparing geodesic azimuths, exactly;
* crossing edges: each edge's end points lie on opposite sides of the other edge's geodesic.

A spherical computation with a proven error bound (:mod:`deconfliction.core.sphere`) only
prunes: it picks the few vertex–edge pairs that can hold the minimum and skips pairs that are
certainly apart. Every reported number comes from GeographicLib.

>>> at_tanf = Circle(33.50583, 38.61778, 55_000.0)
>>> inside = Circle(33.50583 + 0.2, 38.61778, 1_000.0)
>>> round(separation(at_tanf, inside).separation_m)
-33817
>>> square = Polygon(((34.0, 38.0), (34.0, 39.0), (35.0, 39.0), (35.0, 38.0)))
>>> s = separation(at_tanf, square)
>>> round(s.separation_m, 1), s.overlaps
(-81.3, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deconfliction.core.geodesy import (
    FloatArray,
    forward,
    inverse,
    point_segment_distance,
    wrap180,
)
from deconfliction.core.outline import Circle, Corridor, Edges, LatLon, Outline, Polygon
from deconfliction.core.sphere import error_bound_m, segments_cross, unit_vectors

__all__ = ["Closest", "Separation", "core_distance", "point_in_area", "separation"]


@dataclass(frozen=True, slots=True)
class Closest:
    """The distance between two cores and a closest point on each (equal when they meet).

    When ``exact`` is false the cores are certainly further apart than the limit asked for,
    and ``distance_m`` is only a lower bound.
    """

    distance_m: float
    a: LatLon
    b: LatLon
    exact: bool = True


@dataclass(frozen=True, slots=True)
class Separation:
    """Signed horizontal separation of two outlines and a witness point."""

    separation_m: float
    witness: LatLon
    exact: bool = True

    @property
    def overlaps(self) -> bool:
        """True when the outlines touch or overlap."""
        return self.separation_m <= 0.0


def separation(a: Outline, b: Outline, limit_m: float = math.inf) -> Separation:
    """Minimum geodesic distance between the outlines ``a`` and ``b`` in metres.

    Positive when apart; when they overlap, ``distance between cores − radii`` (zero or
    negative). If the separation is certainly above ``limit_m`` the answer may be a lower
    bound with ``exact=False``: enough to say "no conflict" without the full computation.
    """
    ra, rb = a.radius_m, b.radius_m
    closest = core_distance(a, b, limit_m + ra + rb)
    d = closest.distance_m
    sep = d - ra - rb
    if not closest.exact:
        return Separation(sep, closest.a, False)
    if d == 0.0:
        return Separation(sep, closest.a)
    t = min(max((d + ra - rb) / 2.0, 0.0), d)
    az, _, _ = inverse(closest.a[0], closest.a[1], closest.b[0], closest.b[1])
    lat, lon, _ = forward(closest.a[0], closest.a[1], az, t)
    return Separation(sep, (float(lat), float(lon)))


def core_distance(a: Outline, b: Outline, limit_m: float = math.inf) -> Closest:
    """Exact distance between the cores of two outlines (zero when they meet)."""
    if isinstance(a, Circle):
        if isinstance(b, Circle):
            _, _, d = inverse(a.lat, a.lon, b.lat, b.lon)
            return Closest(float(d), (a.lat, a.lon), (b.lat, b.lon))
        return _point_edges(a.lat, a.lon, _edges(b), limit_m)
    if isinstance(b, Circle):
        return _swap(_point_edges(b.lat, b.lon, _edges(a), limit_m))
    return _edges_edges(_edges(a), _edges(b), limit_m)


def _edges(o: Polygon | Corridor) -> Edges:
    return o.edges


def _swap(c: Closest) -> Closest:
    return Closest(c.distance_m, c.b, c.a, c.exact)


def point_in_area(lat: FloatArray, lon: FloatArray, edges: Edges) -> np.ndarray:
    """Boolean per point: inside the area bounded by ``edges`` (holes excluded).

    >>> sq = Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)))
    >>> point_in_area(np.array([0.5, 1.5, 0.0000001]), np.array([0.5, 0.5, 0.5]),
    ...               sq.edges).tolist()
    [True, False, True]
    """
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    da = wrap180(edges.alon[None, :] - lon[:, None])
    db = wrap180(edges.blon[None, :] - lon[:, None])
    spans = ((da >= 0) != (db >= 0)) & (np.abs(da - db) < 180.0)
    pi, ei = np.nonzero(spans)
    counts = np.zeros(lat.size, dtype=np.intp)
    if pi.size:
        az_ap, _, _ = inverse(edges.alat[ei], edges.alon[ei], lat[pi], lon[pi])
        diff = wrap180(az_ap - edges.az[ei])
        eastward = wrap180(edges.blon[ei] - edges.alon[ei]) > 0
        north = np.where(eastward, diff > 0, diff < 0)
        np.add.at(counts, pi[north], 1)
    return np.asarray(counts % 2 == 1)


def _sphere_point_edges(punit: FloatArray, e: Edges) -> FloatArray:
    """Spherical distance (m) from each point (n, 3) to each edge: an (n, m) matrix."""
    from deconfliction.core.geodesy import EARTH_MEAN_RADIUS_M

    a, b, n = e.vunit[e.start], e.vunit[e.end], e.normal
    pn = punit @ n.T  # (n, m)
    foot = punit[:, None, :] - pn[..., None] * n[None, :, :]
    ca = np.einsum("ijk,jk->ij", np.cross(a[None, :, :], foot), n)
    cb = np.einsum("ijk,jk->ij", np.cross(foot, b[None, :, :]), n)
    inside = (ca >= 0) & (cb >= 0)
    cross_track = np.abs(np.arcsin(np.clip(pn, -1.0, 1.0)))
    dot_a = np.clip(punit @ a.T, -1.0, 1.0)
    dot_b = np.clip(punit @ b.T, -1.0, 1.0)
    ends = np.minimum(np.arccos(dot_a), np.arccos(dot_b))
    return np.asarray(np.where(inside, np.minimum(cross_track, ends), ends) * EARTH_MEAN_RADIUS_M)


def _exact_pairs(
    plat: FloatArray, plon: FloatArray, e: Edges, pi: np.ndarray, ei: np.ndarray
) -> tuple[float, LatLon, LatLon]:
    """Exact minimum over the (point, edge) pairs listed: (distance, point, foot)."""
    d, flat, flon, _ = point_segment_distance(
        plat[pi], plon[pi], e.alat[ei], e.alon[ei], e.blat[ei], e.blon[ei]
    )
    k = int(np.argmin(d))
    return float(d[k]), (float(plat[pi[k]]), float(plon[pi[k]])), (float(flat[k]), float(flon[k]))


def _point_edges(lat: float, lon: float, e: Edges, limit_m: float) -> Closest:
    plat, plon = np.array([lat]), np.array([lon])
    if e.is_area and bool(point_in_area(plat, plon, e)[0]):
        return Closest(0.0, (lat, lon), (lat, lon))
    approx = _sphere_point_edges(unit_vectors(plat, plon), e)
    err = error_bound_m(approx, e.length_m[None, :])
    lower = approx - err
    if float(lower.min()) > limit_m:
        return Closest(float(lower.min()), (lat, lon), (lat, lon), exact=False)
    pi, ei = np.nonzero(lower <= float((approx + err).min()))
    d, p, foot = _exact_pairs(plat, plon, e, pi, ei)
    return Closest(d, p, foot)


def _edges_edges(a: Edges, b: Edges, limit_m: float) -> Closest:
    dab = _sphere_point_edges(a.vunit, b)  # a's vertices to b's edges
    dba = _sphere_point_edges(b.vunit, a)
    err_ab = error_bound_m(dab, b.length_m[None, :])
    err_ba = error_bound_m(dba, a.length_m[None, :])
    lower = min(float((dab - err_ab).min()), float((dba - err_ba).min()))
    if lower > limit_m:
        return Closest(lower, (float(a.vlat[0]), float(a.vlon[0])), (0.0, 0.0), exact=False)
    met = _crossing(a, b, dab, dba)
    if met is not None:
        return Closest(0.0, met, met)
    if b.is_area and bool(point_in_area(a.vlat[:1], a.vlon[:1], b)[0]):
        p = (float(a.vlat[0]), float(a.vlon[0]))
        return Closest(0.0, p, p)
    if a.is_area and bool(point_in_area(b.vlat[:1], b.vlon[:1], a)[0]):
        p = (float(b.vlat[0]), float(b.vlon[0]))
        return Closest(0.0, p, p)
    upper = min(float((dab + err_ab).min()), float((dba + err_ba).min()))
    best: tuple[float, LatLon, LatLon] | None = None
    pi, ei = np.nonzero(dab - err_ab <= upper)
    if pi.size:
        best = _exact_pairs(a.vlat, a.vlon, b, pi, ei)
    pj, ej = np.nonzero(dba - err_ba <= upper)
    if pj.size:
        d, pb, fa = _exact_pairs(b.vlat, b.vlon, a, pj, ej)
        if best is None or d < best[0]:
            best = (d, fa, pb)
    assert best is not None
    return Closest(*best)


def _side(alat: FloatArray, alon: FloatArray, az_ab: FloatArray,
          xlat: FloatArray, xlon: FloatArray) -> FloatArray:
    """+1 where X is right of the geodesic through A with azimuth ``az_ab``, -1 left."""
    az, _, d = inverse(alat, alon, xlat, xlon)
    return np.asarray(np.where(d == 0.0, 0.0, np.sign(wrap180(az - az_ab))))


def _crossing(a: Edges, b: Edges, dab: FloatArray, dba: FloatArray) -> LatLon | None:
    """A point where an edge of ``a`` properly crosses an edge of ``b``, or ``None``."""
    # spherical segment-segment distance without crossing: the least of the 4 end distances
    seg = np.minimum(
        np.minimum(dab[a.start][:, :], dab[a.end][:, :]),
        np.minimum(dba[b.start].T, dba[b.end].T),
    )  # (edges of a, edges of b)
    sph_cross = segments_cross(
        a.vunit[a.start][:, None, :], a.vunit[a.end][:, None, :],
        b.vunit[b.start][None, :, :], b.vunit[b.end][None, :, :],
    )
    near = error_bound_m(seg, a.length_m[:, None] + b.length_m[None, :])
    i, j = np.nonzero(sph_cross | (seg <= near))
    if i.size == 0:
        return None
    s1 = _side(b.alat[j], b.alon[j], b.az[j], a.alat[i], a.alon[i])
    s2 = _side(b.alat[j], b.alon[j], b.az[j], a.blat[i], a.blon[i])
    s3 = _side(a.alat[i], a.alon[i], a.az[i], b.alat[j], b.alon[j])
    s4 = _side(a.alat[i], a.alon[i], a.az[i], b.blat[j], b.blon[j])
    hit = np.nonzero((s1 * s2 < 0) & (s3 * s4 < 0))[0]
    if hit.size == 0:
        return None
    k = int(hit[0])
    return _meet(a, int(i[k]), b, int(j[k]))


def _meet(a: Edges, i: int, b: Edges, j: int) -> LatLon:
    """Where edge ``i`` of ``a`` crosses edge ``j`` of ``b``: the foot on ``a`` of the
    point of ``b``'s edge closest to ``a``'s edge, refined by bisection on the side."""
    lo, hi = 0.0, float(b.length_m[j])
    sl = _side(a.alat[i:i + 1], a.alon[i:i + 1], a.az[i:i + 1],
               b.alat[j:j + 1], b.alon[j:j + 1])[0]
    lat = lon = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        la, lo_, _ = forward(b.alat[j], b.alon[j], b.az[j], mid)
        lat, lon = float(la), float(lo_)
        s = _side(a.alat[i:i + 1], a.alon[i:i + 1], a.az[i:i + 1],
                  np.array([lat]), np.array([lon]))[0]
        if s == 0.0 or hi - lo < 1e-4:
            break
        if s == sl:
            lo = mid
        else:
            hi = mid
    return (lat, lon)
