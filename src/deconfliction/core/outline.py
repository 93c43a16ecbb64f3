"""Horizontal outlines: geodesic circles, polygons with holes and corridors.

Every outline is a *core* (a point, a path or a polygon) grown by ``radius_m``:

* :class:`Circle`: the points within ``radius_m`` geodesic metres of its centre;
* :class:`Polygon`: vertices joined by geodesics (the shortest paths on the WGS84
  ellipsoid, as in PostGIS ``geography`` and S2), with optional holes; ``radius_m`` is 0;
* :class:`Corridor`: the points within ``half_width_m`` of a path of geodesic legs
  (a route with a buffer, such as a convoy's).

Coordinates are ``(lat, lon)`` degrees on WGS84. Polygons may cross the antimeridian;
polygons that contain a pole are refused (``POLE_IN_POLYGON``), as are edges spanning
180° or more of longitude (``EDGE_TOO_LONG``), whose shortest path is ambiguous.

Examples
--------
>>> Circle(33.50583, 38.61778, 55_000.0).radius_m
55000.0
>>> p = Polygon(((34.0, 38.0), (34.0, 39.0), (33.0, 39.0)))
>>> len(p.exterior)
3
>>> Polygon(((0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)))
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: exterior: the ring crosses itself (Self-intersection)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
import shapely

from deconfliction.core import kernels
from deconfliction.core.errors import ValidationError
from deconfliction.core.geodesy import WGS84, FloatArray, inverse, wrap180
from deconfliction.core.limits import DEFAULT_LIMITS, Limits
from deconfliction.core.sphere import unit_vectors

__all__ = ["BBox", "Cap", "Circle", "Corridor", "Edges", "LatLon", "Outline", "Polygon", "Ring",
           "stored_outlines"]

LatLon = tuple[float, float]
_T = TypeVar("_T", bound=np.generic)


@dataclass(frozen=True, slots=True)
class Cap:
    """A geodesic disk that holds a whole outline: every point is within ``radius_m``."""

    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class BBox:
    """A lat/lon box; ``min_lon > max_lon`` means it wraps over the antimeridian."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def parts(self) -> list[tuple[float, float, float, float]]:
        """``(min_lon, min_lat, max_lon, max_lat)`` boxes that never wrap."""
        if self.min_lon <= self.max_lon:
            return [(self.min_lon, self.min_lat, self.max_lon, self.max_lat)]
        return [
            (self.min_lon, self.min_lat, 180.0, self.max_lat),
            (-180.0, self.min_lat, self.max_lon, self.max_lat),
        ]


def _check_latlon(lat: float, lon: float, where: str | None) -> None:
    """Check a coordinate; errors name ``where`` (a vertex) or else ``lat``/``lon``."""
    for value, name in ((lat, "lat"), (lon, "lon")):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValidationError("BAD_COORDINATE", f"{name} must be a number", where or name)
        if not math.isfinite(value):
            raise ValidationError("NOT_FINITE", f"{name} is {value}", where or name)
    if not -90.0 <= lat <= 90.0:
        raise ValidationError(
            "LAT_OUT_OF_RANGE", f"latitude {lat} is outside [-90, 90]", where or "lat"
        )
    if not -180.0 <= lon <= 180.0:
        raise ValidationError(
            "LON_OUT_OF_RANGE", f"longitude {lon} is outside [-180, 180]", where or "lon"
        )


def _check_radius(radius_m: float, name: str, limits: Limits) -> None:
    if not isinstance(radius_m, int | float) or isinstance(radius_m, bool):
        raise ValidationError("BAD_RADIUS", f"{name} must be a number", name)
    if not math.isfinite(radius_m):
        raise ValidationError("NOT_FINITE", f"{name} is {radius_m}", name)
    if radius_m <= 0:
        raise ValidationError("BAD_RADIUS", f"{name} must be positive, got {radius_m}", name)
    if radius_m > limits.max_radius_m:
        raise ValidationError(
            "TOO_LARGE",
            f"{name} {radius_m:.0f} m is beyond half the Earth's circumference "
            f"({limits.max_radius_m:.0f} m)",
            name,
        )


def _clean_path(points: Sequence[LatLon], where: str, closed: bool) -> tuple[LatLon, ...]:
    """Validate coordinates, drop repeated consecutive vertices (and the closing one)."""
    if isinstance(points, str | bytes) or not isinstance(points, Sequence):
        raise ValidationError("BAD_GEOMETRY", "expected a list of [lat, lon] pairs", where)
    out: list[LatLon] = []
    for i, pt in enumerate(points):
        if not isinstance(pt, Sequence) or len(pt) != 2:
            raise ValidationError("BAD_COORDINATE", "expected a [lat, lon] pair", f"{where}[{i}]")
        lat, lon = pt
        _check_latlon(lat, lon, f"{where}[{i}]")
        p = (float(lat), float(lon))
        if not out or p != out[-1]:
            out.append(p)
    if closed and len(out) > 1 and out[0] == out[-1]:
        out.pop()
    for i in range(len(out) - (0 if closed else 1)):
        (la1, lo1), (la2, lo2) = out[i], out[(i + 1) % len(out)]
        if abs(float(wrap180(lo2 - lo1))) >= 180.0 - 1e-9 and abs(la1) < 90 and abs(la2) < 90:
            raise ValidationError(
                "EDGE_TOO_LONG",
                f"the edge from vertex {i} spans 180° of longitude: its path is ambiguous",
                where,
            )
    return tuple(out)


def _densified(ring: Sequence[LatLon], piece_m: float = 1_000.0) -> FloatArray:
    """Unit vectors of a closed ring's vertices and of points along each geodesic edge."""
    r = Ring.of(ring)
    return np.asarray(kernels.densify(r.lat, r.lon, r.az, r.length_m, piece_m, 512))


@dataclass(frozen=True, slots=True)
class Ring:
    """A closed ring of vertices as arrays, with each edge's azimuth and length cached."""

    lat: FloatArray
    lon: FloatArray
    az: FloatArray = field(repr=False)
    length_m: FloatArray = field(repr=False)

    @classmethod
    def of(cls, vertices: Sequence[LatLon], closed: bool = True) -> Ring:
        """Arrays for ``vertices``; a closed ring gets an edge from the last vertex back."""
        lat = np.array([v[0] for v in vertices], dtype=np.float64)
        lon = np.array([v[1] for v in vertices], dtype=np.float64)
        if closed:
            nlat, nlon = _next(lat), _next(lon)
        else:
            nlat, nlon = lat[1:], lon[1:]
        m = nlat.size
        az, _, length, ok = kernels.inverse_many(lat[:m], lon[:m], nlat, nlon)
        if not ok.all():
            az, _, length = inverse(lat[:m], lon[:m], nlat, nlon)
        return cls(lat, lon, az, length)

    @property
    def end_lat(self) -> FloatArray:
        """Latitude of each edge's end vertex."""
        return _next(self.lat)[: self.az.size]

    @property
    def end_lon(self) -> FloatArray:
        """Longitude of each edge's end vertex."""
        return _next(self.lon)[: self.az.size]


@dataclass(frozen=True, slots=True)
class Edges:
    """All the geodesic edges of a polygon (every ring) or a corridor, as flat arrays.

    ``start``/``end`` index each edge's end points in the vertex arrays; unit vectors and
    great-circle normals serve the spherical pruning in :mod:`deconfliction.core.sphere`.
    """

    vlat: FloatArray
    vlon: FloatArray
    start: npt.NDArray[np.intp]
    end: npt.NDArray[np.intp]
    az: FloatArray
    length_m: FloatArray
    is_area: bool
    vunit: FloatArray = field(repr=False)
    normal: FloatArray = field(repr=False)

    @classmethod
    def of(cls, rings: Sequence[Ring], is_area: bool) -> Edges:
        """Concatenate ``rings`` (closed when ``is_area``)."""
        starts, ends, offset = [], [], 0
        for r in rings:
            n = r.lat.size
            idx = np.arange(n, dtype=np.intp) + offset
            if is_area:
                starts.append(idx)
                ends.append(_next(idx))
            else:
                starts.append(idx[:-1])
                ends.append(idx[1:])
            offset += n
        vlat = np.concatenate([r.lat for r in rings])
        vlon = np.concatenate([r.lon for r in rings])
        start, end = np.concatenate(starts), np.concatenate(ends)
        _, _, vunit, normal, _ = kernels.edge_arrays(vlat, vlon, start, end)
        return cls(
            vlat, vlon, start, end,
            np.concatenate([r.az for r in rings]),
            np.concatenate([r.length_m for r in rings]),
            is_area, vunit, normal,
        )

    @property
    def alat(self) -> FloatArray:
        """Latitude of each edge's start."""
        return np.asarray(self.vlat[self.start])

    @property
    def alon(self) -> FloatArray:
        """Longitude of each edge's start."""
        return np.asarray(self.vlon[self.start])

    @property
    def blat(self) -> FloatArray:
        """Latitude of each edge's end."""
        return np.asarray(self.vlat[self.end])

    @property
    def blon(self) -> FloatArray:
        """Longitude of each edge's end."""
        return np.asarray(self.vlon[self.end])


def _next(values: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """Each element's successor around a closed ring."""
    return np.concatenate([values[1:], values[:1]])


@dataclass(frozen=True, slots=True)
class Circle:
    """A geodesic circle: every point within ``radius_m`` of ``(lat, lon)``."""

    lat: float
    lon: float
    radius_m: float
    kind: Literal["circle"] = field(default="circle", init=False)

    def __post_init__(self) -> None:
        _check_latlon(self.lat, self.lon, "center")
        _check_radius(self.radius_m, "radius_m", DEFAULT_LIMITS)

    def validate(self, limits: Limits) -> None:
        """Check against ``limits`` (construction already checked the defaults)."""
        _check_radius(self.radius_m, "radius_m", limits)

    @property
    def vertex_count(self) -> int:
        """Number of vertices (a circle has none)."""
        return 0


def _cross3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross`` of two 3-vectors, the same numbers without its general machinery (every
    polygon read back from a store is checked again: 25,000 of them at a worker's start).

    >>> _cross3(np.array([1.0, 0, 0]), np.array([0, 1.0, 0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


#: set while outlines are read back from a store that checked them when they were written
_STORED: ContextVar[bool] = ContextVar("stored_outlines", default=False)


@contextmanager
def stored_outlines() -> Iterator[None]:
    """Outlines built inside were checked when first accepted (read back from a store):
    a polygon skips the self-crossing test, its costliest check (most of the time a worker
    takes to read 25,000 objects); every cheaper check still runs.

    >>> bow_tie = ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0))
    >>> with stored_outlines():
    ...     len(Polygon(bow_tie).exterior)
    4
    """
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


@dataclass(frozen=True)
class Polygon:
    """A polygon whose edges are geodesics, with optional holes; ``radius_m`` is 0."""

    exterior: tuple[LatLon, ...]
    holes: tuple[tuple[LatLon, ...], ...] = ()
    kind: Literal["polygon"] = field(default="polygon", init=False)

    def __post_init__(self) -> None:
        ext = _clean_path(self.exterior, "exterior", closed=True)
        holes = tuple(
            _clean_path(h, f"holes[{i}]", closed=True) for i, h in enumerate(self.holes)
        )
        object.__setattr__(self, "exterior", ext)
        object.__setattr__(self, "holes", holes)
        for ring, where in ((ext, "exterior"), *((h, f"holes[{i}]") for i, h in enumerate(holes))):
            if len(ring) < 3:
                raise ValidationError(
                    "TOO_FEW_VERTICES", f"a ring needs 3 distinct vertices, got {len(ring)}", where
                )
            lons = np.array([v[1] for v in ring])
            winding = float(np.sum(wrap180(np.diff(lons, append=lons[0]))))
            if abs(winding) > 180.0:
                raise ValidationError(
                    "POLE_IN_POLYGON",
                    "the ring goes around a pole; split it into parts that do not",
                    where,
                )
        self.validate(DEFAULT_LIMITS)
        if not _STORED.get():
            self._check_simple()

    def validate(self, limits: Limits) -> None:
        """Check the vertex count against ``limits``."""
        if self.vertex_count > limits.max_vertices:
            raise ValidationError(
                "TOO_MANY_VERTICES",
                f"{self.vertex_count} vertices; at most {limits.max_vertices} are accepted",
                "exterior",
            )

    @property
    def vertex_count(self) -> int:
        """Vertices in all rings."""
        return len(self.exterior) + sum(len(h) for h in self.holes)

    def _check_simple(self) -> None:
        """Refuse zero-area rings and rings that cross themselves or each other.

        The test runs on the real geodesic edges: each edge is densified along its geodesic
        and the rings are drawn in a gnomonic projection about the polygon's centre, where
        great circles are straight lines, so shapely's planar validity applies.
        """
        ext_lat = np.array([v[0] for v in self.exterior])
        ext_lon = np.array([v[1] for v in self.exterior])
        dense = [_densified(ring) for ring in (self.exterior, *self.holes)]
        centre = unit_vectors(ext_lat, ext_lon).sum(axis=0)
        centre /= np.linalg.norm(centre)
        if min(float((d @ centre).min()) for d in dense) < 0.05:
            raise ValidationError(
                "TOO_LARGE", "the polygon reaches more than 87 degrees from its centre",
                "exterior",
            )
        helper = np.array([0.0, 0.0, 1.0]) if abs(centre[2]) < 0.9 else np.array([1.0, 0, 0])
        e1 = _cross3(helper, centre)
        e1 /= np.linalg.norm(e1)
        e2 = _cross3(centre, e1)
        shells = [np.column_stack([d @ e1, d @ e2]) / (d @ centre)[:, None] for d in dense]
        planar = shapely.Polygon(shells[0], shells[1:])
        outer = shapely.Polygon(shells[0])
        flat = shapely.area(shapely.make_valid(outer)) <= 1e-9 * shapely.length(outer) ** 2
        if flat:
            raise ValidationError("ZERO_AREA", "the polygon has no area", "exterior")
        if not shapely.is_valid(planar):
            reason = shapely.is_valid_reason(planar).split("[")[0]
            where = "exterior" if not shapely.is_valid(outer) else "holes"
            code = "SELF_INTERSECTING" if where == "exterior" else "BAD_HOLE"
            msg = "the ring crosses itself" if where == "exterior" else "a hole is invalid"
            raise ValidationError(code, f"{msg} ({reason})", where)
        area, perimeter = WGS84.polygon_area_perimeter(ext_lon, ext_lat)
        if abs(area) <= 1e-9 * perimeter * perimeter + 1e-6:
            raise ValidationError("ZERO_AREA", "the polygon has no area", "exterior")

    @cached_property
    def rings(self) -> tuple[Ring, ...]:
        """The exterior ring then the holes, as arrays."""
        return tuple(Ring.of(r) for r in (self.exterior, *self.holes))

    @cached_property
    def edges(self) -> Edges:
        """Every edge of every ring, flat."""
        return Edges.of(self.rings, is_area=True)

    @property
    def radius_m(self) -> float:
        """A polygon is not grown: 0."""
        return 0.0


@dataclass(frozen=True)
class Corridor:
    """A route of geodesic legs with a buffer of ``half_width_m`` on each side."""

    path: tuple[LatLon, ...]
    half_width_m: float
    kind: Literal["corridor"] = field(default="corridor", init=False)

    def __post_init__(self) -> None:
        path = _clean_path(self.path, "path", closed=False)
        object.__setattr__(self, "path", path)
        if len(path) < 2:
            raise ValidationError(
                "TOO_FEW_VERTICES", "a corridor needs 2 distinct points", "path"
            )
        _check_radius(self.half_width_m, "half_width_m", DEFAULT_LIMITS)
        self.validate(DEFAULT_LIMITS)

    def validate(self, limits: Limits) -> None:
        """Check the vertex count and width against ``limits``."""
        _check_radius(self.half_width_m, "half_width_m", limits)
        if self.vertex_count > limits.max_vertices:
            raise ValidationError(
                "TOO_MANY_VERTICES",
                f"{self.vertex_count} vertices; at most {limits.max_vertices} are accepted",
                "path",
            )

    @property
    def vertex_count(self) -> int:
        """Points on the path."""
        return len(self.path)

    @cached_property
    def line(self) -> Ring:
        """The path as arrays (an open ring: no closing edge)."""
        return Ring.of(self.path, closed=False)

    @cached_property
    def edges(self) -> Edges:
        """The legs of the path, flat."""
        return Edges.of((self.line,), is_area=False)

    @property
    def radius_m(self) -> float:
        """The buffer around the path."""
        return self.half_width_m


Outline = Circle | Polygon | Corridor
