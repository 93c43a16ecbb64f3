"""An outline clipped to a country: the part of a zone on one side of a border.

:func:`clip_outline` returns polygons (geodesic edges, holes where the country has
enclaves) that hold every point of ``outline ∩ country``; :func:`clip_zone` gives a zone one
volume per piece (same altitude band and time) and remembers the country and the volumes it
was clipped from, so that an update can clip again.

How, and what is approximated (all on the side of a larger outline):

* Outlines reaching at most :data:`MAX_EXTENT_M` (1,000 km) from their centre are clipped
  (``CLIP_TOO_LARGE`` beyond); ``step_m`` grows past 300 m for outlines whose rim would
  need more than 2,048 vertices.
* The work is planar in a local azimuthal equidistant projection (``aeqd``, pyproj) centred
  on the outline: geodesic distances from the centre are exact there.
* A **circle** of radius ``R`` becomes a regular polygon of ``n`` vertices (one every
  ``step_m`` of arc or less, at least 64) whose edge *midpoints* are at ``R``: it holds the
  circle, and reaches at most ``R·(1/cos(π/n) − 1) + margin_m`` beyond it, plus a
  millimetre for the round trip through the projection (0.204 + 0.5 + 0.001 = 0.71 m for
  55 km and 300 m steps); see :func:`outside_bound_m`.
* A **polygon**'s edges and a **corridor**'s path are cut every ``step_m`` along their
  geodesics before projection; a corridor is buffered by its half width times the
  projection's largest scale over it (distances away from the centre stretch by at most
  ``ρ/(a·sin(ρ/a))``), so the buffer is never thinner than the true one.
* The **country**'s edges are cut every ``step_m`` along their geodesics too (only the
  polygons near the outline), then intersected with the outline.
* Back on the ellipsoid, the result's edges are geodesics between its vertices; over
  ``step_m`` they stray from the projected straight edges by far less than a millimetre,
  and ``margin_m`` (0.5 m) covers that.

So the clipped outline holds ``outline ∩ country``; it lies within ``outside_bound_m`` of the
outline and within about a millimetre (plus ``margin_m`` for polygons) of the country.

>>> from deconfliction.core.borders import Country
>>> import numpy as np
>>> box = Country("999", "Box", ((np.array([[33.0, 38.0], [34.0, 38.0], [34.0, 38.6],
...                                         [33.0, 38.6]]),),))
>>> pieces = clip_outline(Circle(33.50583, 38.61778, 55_000.0), box)
>>> len(pieces), pieces[0].vertex_count > 500
(1, True)
>>> round(outside_bound_m(Circle(33.50583, 38.61778, 55_000.0)), 2)
0.71
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

from deconfliction.core.borders import Country
from deconfliction.core.bounds import bbox_of, cap_of
from deconfliction.core.errors import ValidationError
from deconfliction.core.geodesy import FloatArray, forward, inverse
from deconfliction.core.objects import Zone
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.volume import Volume4D

__all__ = ["MAX_EXTENT_M", "STEP_M", "clip_outline", "clip_volumes", "clip_zone", "outside_bound_m"]

#: the longest piece of arc or edge between two vertices of a clipped outline
STEP_M = 300.0
#: added to every radius and polygon (covers geodesic edges drawn straight in the projection)
MARGIN_M = 0.5
#: added to the bound: the round trip through the projection (nanometres, in fact)
_ROUND_TRIP_M = 1e-3
_A = 6_378_137.0
_MIN_SIDES = 64
#: the most vertices along a circle's rim (a longer rim gets longer steps)
_MAX_SIDES = 2_048
#: the largest outline clipped: its cap radius plus its own radius, metres
MAX_EXTENT_M = 1_000_000.0


def _extent_m(outline: Outline) -> float:
    return (0.0 if isinstance(outline, Circle) else cap_of(outline).radius_m) + outline.radius_m


def _step(outline: Outline, step_m: float) -> float:
    """``step_m``, longer for outlines so large that the rim would need too many vertices."""
    return max(step_m, 2 * math.pi * _extent_m(outline) / _MAX_SIDES)


def _sides(radius_m: float, step_m: float) -> int:
    """Vertices of a circle's circumscribed polygon: a multiple of 4, one per ``step_m``."""
    n = max(_MIN_SIDES, math.ceil(2 * math.pi * radius_m / step_m))
    return 4 * math.ceil(n / 4)


def _grown(radius_m: float, step_m: float) -> tuple[float, int]:
    """The vertex radius of the polygon whose edge midpoints are at ``radius_m``, and the
    ``quad_segs`` that makes shapely draw it."""
    n = _sides(radius_m, step_m)
    return radius_m / math.cos(math.pi / n) + MARGIN_M, n // 4


def _stretch(outline: Outline) -> float:
    """The largest scale of the projection over ``outline`` (1 at its centre)."""
    rho = cap_of(outline).radius_m + outline.radius_m
    x = min(rho / _A, 3.0)
    return (x / math.sin(x) if x > 1e-9 else 1.0) * (1 + 1e-3)


def outside_bound_m(outline: Outline, step_m: float = STEP_M) -> float:
    """How far (metres) the clipped outline may reach beyond ``outline`` at most."""
    if isinstance(outline, Polygon):
        return MARGIN_M + _ROUND_TRIP_M
    step_m = _step(outline, step_m)
    grown, _ = _grown(outline.radius_m * (_stretch(outline) if isinstance(outline, Corridor)
                                          else 1.0), step_m)
    return grown - outline.radius_m + _ROUND_TRIP_M


def densify(lat: FloatArray, lon: FloatArray, step_m: float, closed: bool,
            only: npt.NDArray[np.bool_] | None = None) -> FloatArray:
    """``(lat, lon)`` rows of a path with points added along each geodesic edge (each edge
    where ``only`` is true) so that no piece is longer than ``step_m``.

    >>> densify(np.array([0.0, 0.0]), np.array([0.0, 0.01]), 300.0, False).shape
    (5, 2)
    """
    if closed:
        lat2, lon2 = np.roll(lat, -1), np.roll(lon, -1)
    else:
        lat, lon, lat2, lon2 = lat[:-1], lon[:-1], lat[1:], lon[1:]
    az, _, d = inverse(lat, lon, lat2, lon2)
    pieces = np.maximum(1, np.ceil(d / step_m)).astype(np.intp)
    if only is not None:
        pieces[~only] = 1
    edge = np.repeat(np.arange(lat.size), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    frac = (np.arange(edge.size) - first) / pieces[edge]
    plat, plon, _ = forward(lat[edge], lon[edge], az[edge], frac * d[edge])
    out = np.column_stack([plat, plon])
    if not closed and lat2.size:
        out = np.vstack([out, [[lat2[-1], lon2[-1]]]])
    return out


class _Plane:
    """The local azimuthal equidistant projection about ``(lat, lon)``."""

    def __init__(self, lat: float, lon: float) -> None:
        crs = f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +ellps=WGS84 +units=m +no_defs"
        self.t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def xy(self, latlon: FloatArray) -> FloatArray:
        x, y = self.t.transform(latlon[:, 1], latlon[:, 0])
        return np.column_stack([x, y])

    def latlon(self, xy: FloatArray) -> list[tuple[float, float]]:
        lon, lat = self.t.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
        return list(zip(np.asarray(lat).tolist(), np.asarray(lon).tolist(), strict=True))


def _outline_shape(outline: Outline, plane: _Plane, step_m: float) -> shapely.Geometry:
    """``outline`` in the plane, grown so that it holds the true one."""
    if isinstance(outline, Circle):
        grown, q = _grown(outline.radius_m, step_m)
        return shapely.Point(0.0, 0.0).buffer(grown, quad_segs=q)
    if isinstance(outline, Polygon):
        rings = [plane.xy(densify(r.lat, r.lon, step_m, True)) for r in outline.rings]
        return shapely.make_valid(shapely.Polygon(rings[0], rings[1:])).buffer(
            MARGIN_M, join_style="mitre")
    grown, q = _grown(outline.radius_m * _stretch(outline), step_m)
    path = plane.xy(densify(outline.line.lat, outline.line.lon, step_m, False))
    return shapely.LineString(path).buffer(grown, quad_segs=q)


def _country_shape(country: Country, outline: Outline, plane: _Plane,
                   step_m: float) -> shapely.Geometry:
    """The country's polygons near ``outline``, in the plane."""
    pad = 0.25 * cap_of(outline).radius_m + outline.radius_m + 10_000.0
    boxes = bbox_of(outline, pad).parts()
    lo, hi = country.bounds()
    shapes = []
    for part, (plo, phi) in zip(country.parts, zip(lo, hi, strict=True), strict=True):
        for min_lon, min_lat, max_lon, max_lat in boxes:
            if plo[0] > max_lat or phi[0] < min_lat or plo[1] > max_lon or phi[1] < min_lon:
                continue
            # the geodesic edges near the box cut short first, so that cutting by the box
            # in degrees changes nothing within the outline
            dense = [densify(r[:, 0], r[:, 1], step_m, True,
                             _near_box(r, (min_lon, min_lat, max_lon, max_lat)))[:, ::-1]
                     for r in part]
            # (made valid after the cut: a whole large country takes long)
            near = shapely.make_valid(shapely.clip_by_rect(
                shapely.Polygon(dense[0], dense[1:]), min_lon, min_lat, max_lon, max_lat))
            for p in _polygons(near):
                rings = [np.asarray(p.exterior.coords)] + [np.asarray(h.coords)
                                                           for h in p.interiors]
                xy = [plane.xy(np.ascontiguousarray(r[:, ::-1])) for r in rings]
                shapes.append(shapely.make_valid(shapely.Polygon(xy[0], xy[1:])))
    return shapely.union_all(shapes) if shapes else shapely.Polygon()


def _near_box(ring: FloatArray, box: tuple[float, float, float, float]
              ) -> npt.NDArray[np.bool_]:
    """The edges of a closed ring whose end points' box comes within a degree of ``box``
    (a degree holds the bulge of any geodesic edge shorter than 1,000 km)."""
    nxt = np.roll(ring, -1, axis=0)
    lo, hi = np.minimum(ring, nxt), np.maximum(ring, nxt)
    min_lon, min_lat, max_lon, max_lat = box
    return np.asarray((lo[:, 0] <= max_lat + 1) & (hi[:, 0] >= min_lat - 1)
                      & (lo[:, 1] <= max_lon + 1) & (hi[:, 1] >= min_lon - 1))


def _polygons(geom: shapely.Geometry) -> list[shapely.Polygon]:
    """The polygons in ``geom`` (lines and points left by an intersection dropped)."""
    if isinstance(geom, shapely.Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, shapely.MultiPolygon | shapely.GeometryCollection):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def clip_outline(outline: Outline, country: Country, step_m: float = STEP_M) -> list[Polygon]:
    """The pieces of ``outline`` inside ``country`` (empty when they do not meet);
    ``CLIP_TOO_LARGE`` beyond :data:`MAX_EXTENT_M`."""
    if _extent_m(outline) > MAX_EXTENT_M:
        raise ValidationError(
            "CLIP_TOO_LARGE", f"only outlines within {MAX_EXTENT_M / 1000:,.0f} km of their "
            "centre can be clipped to a country", "clip_to")
    step_m = _step(outline, step_m)
    if isinstance(outline, Circle):
        centre = (outline.lat, outline.lon)
    else:
        cap = cap_of(outline)
        centre = (cap.lat, cap.lon)
    plane = _Plane(*centre)
    inside = shapely.intersection(_outline_shape(outline, plane, step_m),
                                  _country_shape(country, outline, plane, step_m))
    out = []
    for p in sorted(_polygons(inside), key=lambda g: -g.area):
        ext = plane.latlon(np.asarray(p.exterior.coords)[:-1])
        holes = tuple(tuple(plane.latlon(np.asarray(h.coords)[:-1])) for h in p.interiors)
        out.append(Polygon(tuple(ext), holes))
    return out


def clip_volumes(volumes: tuple[Volume4D, ...], country: Country,
                 step_m: float = STEP_M) -> tuple[Volume4D, ...]:
    """One volume per piece of each volume inside ``country``; ``EMPTY_CLIP`` if none."""
    out = [replace(v, outline=piece)
           for v in volumes for piece in clip_outline(v.outline, country, step_m)]
    if not out:
        raise ValidationError(
            "EMPTY_CLIP", f"no part of the zone is inside {country.name}", "clip_to")
    return tuple(out)


def clip_zone(zone: Zone, country: Country, step_m: float = STEP_M) -> Zone:
    """``zone`` with its volumes clipped to ``country`` (from the volumes it was clipped
    from, if it already was), remembering the country and those volumes."""
    source = zone.unclipped or zone.volumes
    return replace(zone, volumes=clip_volumes(source, country, step_m),
                   clip_to=country.name, unclipped=source)
