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
certainly apart. The hot loops run compiled (:mod:`deconfliction.core.kernels`); where a
kernel's iteration does not converge (nearly antipodal points) the same computation is
redone with GeographicLib.

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
import numpy.typing as npt

from deconfliction.core import kernels
from deconfliction.core.geodesy import (
    FloatArray,
    inverse,
    point_segment_distance,
    wrap180,
)
from deconfliction.core.outline import Circle, Corridor, Edges, LatLon, Outline, Polygon
from deconfliction.core.sphere import error_bound_m, unit_vectors

__all__ = [
    "Closest",
    "Separation",
    "core_distance",
    "point_in_area",
    "separation",
    "witness",
]


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
    return Separation(sep, witness(closest.a, closest.b, d, ra, rb))


def witness(a: LatLon, b: LatLon, d: float, ra: float, rb: float) -> LatLon:
    """A point on the geodesic from ``a`` to ``b`` (``d`` m apart) that lies within ``ra`` of
    ``a`` and ``rb`` of ``b`` when ``d <= ra + rb``, and half-way across the gap otherwise."""
    if d == 0.0:
        return a
    t = min(max((d + ra - rb) / 2.0, 0.0), d)
    az, _, _, ok = kernels.inverse_one(a[0], a[1], b[0], b[1])
    if not ok:
        az = float(inverse(a[0], a[1], b[0], b[1])[0])
    lat, lon, _ = kernels.direct_one(a[0], a[1], az, t)
    return (float(lat), float(lon))


def _distance_m(a: LatLon, b: LatLon) -> float:
    _, _, d, ok = kernels.inverse_one(a[0], a[1], b[0], b[1])
    if ok:
        return float(d)
    return float(inverse(a[0], a[1], b[0], b[1])[2])


def core_distance(a: Outline, b: Outline, limit_m: float = math.inf) -> Closest:
    """Exact distance between the cores of two outlines (zero when they meet)."""
    if isinstance(a, Circle):
        if isinstance(b, Circle):
            pa, pb = (a.lat, a.lon), (b.lat, b.lon)
            return Closest(_distance_m(pa, pb), pa, pb)
        return _point_edges(a.lat, a.lon, _edges(b), limit_m)
    if isinstance(b, Circle):
        return _swap(_point_edges(b.lat, b.lon, _edges(a), limit_m))
    return _edges_edges(_edges(a), _edges(b), limit_m)


def _edges(o: Polygon | Corridor) -> Edges:
    return o.edges


def _swap(c: Closest) -> Closest:
    return Closest(c.distance_m, c.b, c.a, c.exact)


def point_in_area(lat: FloatArray, lon: FloatArray, edges: Edges) -> npt.NDArray[np.bool_]:
    """Boolean per point: inside the area bounded by ``edges`` (holes excluded).

    A meridian ray from the point crosses the edges an odd number of times; whether an edge
    crosses north of the point is decided exactly, by comparing geodesic azimuths at its
    start (geodesics from one point do not meet again before the conjugate point).

    >>> sq = Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)))
    >>> point_in_area(np.array([0.5, 1.5, 0.0000001]), np.array([0.5, 0.5, 0.5]),
    ...               sq.edges).tolist()
    [True, False, True]
    """
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    out = np.empty(lat.size, dtype=bool)
    for k in range(lat.size):
        inside, ok = kernels.point_in_area_one(
            lat[k], lon[k], edges.vlat, edges.vlon, edges.start, edges.end, edges.az
        )
        out[k] = inside if ok else _point_in_area_geod(lat[k : k + 1], lon[k : k + 1], edges)[0]
    return out


def _point_in_area_geod(lat: FloatArray, lon: FloatArray, edges: Edges) -> npt.NDArray[np.bool_]:
    """:func:`point_in_area` with GeographicLib, for where the kernel does not converge."""
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


def _sphere(punit: FloatArray, e: Edges) -> FloatArray:
    """Spherical distance (m) from each point (n, 3) to each edge: an (n, m) matrix."""
    return np.asarray(kernels.sphere_point_edges(punit, e.vunit, e.start, e.end, e.normal))


def _exact_pairs(
    plat: FloatArray, plon: FloatArray, e: Edges, pi: npt.NDArray[np.intp],
    ei: npt.NDArray[np.intp],
) -> tuple[float, LatLon, LatLon]:
    """Exact minimum over the (point, edge) pairs listed: (distance, point, foot)."""
    d, k, flat, flon, ok = kernels.min_point_edges(
        plat, plon, pi, ei, e.vlat, e.vlon, e.start, e.az, e.length_m
    )
    if ok:
        return float(d), (float(plat[pi[k]]), float(plon[pi[k]])), (float(flat), float(flon))
    ds, lats, lons, _ = point_segment_distance(
        plat[pi], plon[pi], e.alat[ei], e.alon[ei], e.blat[ei], e.blon[ei]
    )
    j = int(np.argmin(ds))
    return float(ds[j]), (float(plat[pi[j]]), float(plon[pi[j]])), (float(lats[j]), float(lons[j]))


def _point_edges(lat: float, lon: float, e: Edges, limit_m: float) -> Closest:
    d, flat, flon, exact, ok = kernels.point_edges_distance(
        lat, lon, e.vlat, e.vlon, e.vunit, e.start, e.end, e.normal, e.az, e.length_m,
        e.is_area, limit_m,
    )
    if ok:
        return Closest(float(d), (lat, lon), (float(flat), float(flon)), bool(exact))
    return _point_edges_geod(lat, lon, e, limit_m)


def _point_edges_geod(lat: float, lon: float, e: Edges, limit_m: float) -> Closest:
    """:func:`_point_edges` where a kernel did not converge (GeographicLib fallbacks)."""
    plat, plon = np.array([lat]), np.array([lon])
    if e.is_area and bool(point_in_area(plat, plon, e)[0]):
        return Closest(0.0, (lat, lon), (lat, lon))
    approx = _sphere(unit_vectors(plat, plon), e)
    err = error_bound_m(approx, e.length_m[None, :])
    lower = approx - err
    if float(lower.min()) > limit_m:
        return Closest(float(lower.min()), (lat, lon), (lat, lon), exact=False)
    pi, ei = np.nonzero(lower <= float((approx + err).min()))
    d, p, foot = _exact_pairs(plat, plon, e, pi, ei)
    return Closest(d, p, foot)


def _edges_edges(a: Edges, b: Edges, limit_m: float) -> Closest:
    d, alat, alon, blat, blon, exact, ok = kernels.edges_edges_distance(
        a.vlat, a.vlon, a.vunit, a.start, a.end, a.normal, a.az, a.length_m, a.is_area,
        b.vlat, b.vlon, b.vunit, b.start, b.end, b.normal, b.az, b.length_m, b.is_area,
        limit_m,
    )
    if ok:
        return Closest(float(d), (float(alat), float(alon)), (float(blat), float(blon)),
                       bool(exact))
    return _edges_edges_geod(a, b, limit_m)


def _edges_edges_geod(a: Edges, b: Edges, limit_m: float) -> Closest:
    """:func:`_edges_edges` where a kernel did not converge (GeographicLib fallbacks)."""
    dab = _sphere(a.vunit, b)  # a's vertices to b's edges
    dba = _sphere(b.vunit, a)
    err_ab = error_bound_m(dab, b.length_m[None, :])
    err_ba = error_bound_m(dba, a.length_m[None, :])
    # crossings and containment first: vertex-to-edge distances say nothing about them
    met = _crossing(a, b, dab, dba)
    if met is not None:
        return Closest(0.0, met, met)
    if b.is_area and bool(point_in_area(a.vlat[:1], a.vlon[:1], b)[0]):
        p = (float(a.vlat[0]), float(a.vlon[0]))
        return Closest(0.0, p, p)
    if a.is_area and bool(point_in_area(b.vlat[:1], b.vlon[:1], a)[0]):
        p = (float(b.vlat[0]), float(b.vlon[0]))
        return Closest(0.0, p, p)
    # apart and not crossing: the least vertex-to-edge distance is the distance
    lower = min(float((dab - err_ab).min()), float((dba - err_ba).min()))
    if lower > limit_m:
        return Closest(lower, (float(a.vlat[0]), float(a.vlon[0])), (0.0, 0.0), exact=False)
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


def _crossing(a: Edges, b: Edges, dab: FloatArray, dba: FloatArray) -> LatLon | None:
    """A point where an edge of ``a`` properly crosses an edge of ``b``, or ``None``."""
    ci, cj = kernels.crossing_candidates(
        a.vunit, a.start, a.end, a.length_m, b.vunit, b.start, b.end, b.length_m, dab, dba
    )
    if ci.size == 0:
        return None
    k, ok = kernels.first_crossing(
        ci, cj, a.vlat, a.vlon, a.start, a.end, a.az, b.vlat, b.vlon, b.start, b.end, b.az
    )
    if not ok:
        k = _first_crossing_geod(a, b, ci, cj)
    if k < 0:
        return None
    i, j = int(ci[k]), int(cj[k])
    lat, lon = kernels.meet(
        a.alat[i], a.alon[i], a.az[i], b.alat[j], b.alon[j], b.az[j], b.length_m[j]
    )
    return (float(lat), float(lon))


def _side(alat: FloatArray, alon: FloatArray, az_ab: FloatArray,
          xlat: FloatArray, xlon: FloatArray) -> FloatArray:
    """+1 where X is right of the geodesic through A with azimuth ``az_ab``, -1 left."""
    az, _, d = inverse(alat, alon, xlat, xlon)
    return np.asarray(np.where(d == 0.0, 0.0, np.sign(wrap180(az - az_ab))))


def _first_crossing_geod(
    a: Edges, b: Edges, i: npt.NDArray[np.intp], j: npt.NDArray[np.intp]
) -> int:
    """:func:`kernels.first_crossing` with GeographicLib."""
    s1 = _side(b.alat[j], b.alon[j], b.az[j], a.alat[i], a.alon[i])
    s2 = _side(b.alat[j], b.alon[j], b.az[j], a.blat[i], a.blon[i])
    s3 = _side(a.alat[i], a.alon[i], a.az[i], b.alat[j], b.alon[j])
    s4 = _side(a.alat[i], a.alon[i], a.az[i], b.blat[j], b.blon[j])
    hit = np.nonzero((s1 * s2 < 0) & (s3 * s4 < 0))[0]
    return int(hit[0]) if hit.size else -1
