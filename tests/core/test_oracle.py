"""An independent brute-force oracle for :func:`deconfliction.core.distance.separation`.

Nothing here calls the engine's geometry: outlines are built with the public constructors,
``separation`` is called, and every expected number comes from ``pyproj.Geod(ellps="WGS84")``
(GeographicLib) on densely sampled outlines, plus shapely in a local projection.

How the oracle measures two outlines
------------------------------------
Every outline is a *core* (a circle's centre, a corridor's path, a polygon's area) grown by
its radius, so ``separation = core distance - ra - rb`` and the oracle only needs the core
distance, which is zero when the cores meet and otherwise the least distance between the
cores' boundaries (points, paths and rings).

* **Sampling.** Each geodesic edge is sampled with ``Geod.inv`` (its azimuth and length) and
  ``Geod.fwd`` (points along it). Coarse: about 200 samples per outline.
* **Coarse to fine.** Chord lengths between ECEF points never exceed the geodesic distance,
  so with ``G`` the best exact distance among the closest chords, every sample pair near the
  true minimum has a chord of at most ``G + (spacing)/2``: those, and only those, are refined.
  Refinement evaluates ``Geod.inv`` on shrinking windows of points around each candidate:
  (a) every vertex against every candidate edge of the other outline, 17 points a window
  down to 1 cm (1-D, robust along long near-parallel edges), and (b) a 2-D search around
  the best sample pairs, 9 x 9 points a window down to 5 cm (any interior-interior minimum).
* **Point in area.** The azimuth of ``Geod.inv(P, Q)`` is the polar angle of ``Q`` in the
  azimuthal equidistant projection centred at ``P``; summing the azimuth steps along a ring's
  samples gives the ring's winding number around ``P`` in that projection (a homeomorphism
  of the region, so topology is kept). A chord of the sampled ring differs from the projected
  geodesic by its sagitta (sub-centimetre here), so the verdict is right whenever ``P`` is
  further than that from the ring. Holes count like any ring: inside iff the winding
  numbers add up to an odd number.
* **Areas and paths meeting.** Both cores are densified to at most 1 km, projected with
  ``pyproj.Proj(proj="aeqd")`` centred at the closest point found, and tested with shapely
  ``intersects``. The chords' deviation from the projected geodesics is *measured* (each
  sub-edge's geodesic midpoint against its chord) and asserted below 5 cm, so the topology
  is exact wherever the shapes are further apart than that.

The verdicts are compared unless the oracle says the pair is within 0.5 m of flipping (its
*margin*); separations are compared within 1 m (1 mm for two circles) in both argument
orders, and the witness is checked: inside (within 1 m of) both outlines when they overlap,
otherwise about ``separation / 2`` from each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from pyproj import Geod, Proj

from deconfliction.core.distance import separation
from deconfliction.core.errors import ValidationError
from deconfliction.core.outline import Circle, Corridor, Polygon

Outline = Circle | Polygon | Corridor
Arr = npt.NDArray[np.float64]
LatLon = tuple[float, float]

GEOD = Geod(ellps="WGS84")
_A = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)

_MAX_SAMPLES = 200  # coarse samples per outline
_K1 = 17  # window points for a 1-D refinement (shrinks 8x a level)
_K2 = 9  # window points per side for a 2-D refinement (shrinks 4x a level)
_TOL_M = 0.01  # refinement stops when windows are this small (1-D)
_TOL2_M = 0.05  # (2-D)
_DENSE_M = 1000.0  # densification for the projected topology test
_MAX_CHORD_ERR_M = 0.05

AMBIGUOUS_M = 0.5  # the oracle's sampling resolution for verdicts
SEP_TOL_M = 1.0
CIRCLE_TOL_M = 1e-3
WITNESS_TOL_M = 1.0


# --------------------------------------------------------------------------------------------
# geodesic primitives (GeographicLib through pyproj), broadcasting
# --------------------------------------------------------------------------------------------


def _inv(lat1: object, lon1: object, lat2: object, lon2: object) -> tuple[Arr, Arr]:
    """``(azimuth 1→2, distance)`` with numpy broadcasting."""
    a = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (lon1, lat1, lon2, lat2)))
    shape = a[0].shape
    az, _, d = GEOD.inv(*(np.ascontiguousarray(x).ravel() for x in a))
    return np.reshape(az, shape), np.reshape(d, shape)


def _fwd(lat: object, lon: object, az: object, dist: object) -> tuple[Arr, Arr, Arr]:
    """``(lat2, lon2, forward azimuth at 2)`` with numpy broadcasting."""
    a = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (lon, lat, az, dist)))
    shape = a[0].shape
    lon2, lat2, baz = GEOD.fwd(*(np.ascontiguousarray(x).ravel() for x in a))
    return np.reshape(lat2, shape), np.reshape(lon2, shape), np.reshape(baz, shape) + 180.0


def _ecef(lat: Arr, lon: Arr) -> Arr:
    phi, lam = np.radians(lat), np.radians(lon)
    n = _A / np.sqrt(1 - _E2 * np.sin(phi) ** 2)
    return np.stack(
        [n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - _E2) * np.sin(phi)],
        axis=-1,
    )


def _wrap180(x: Arr) -> Arr:
    return np.asarray((x + 180.0) % 360.0 - 180.0)


def geodesic_distance(a: LatLon, b: LatLon) -> float:
    """Distance between two points (GeographicLib)."""
    return float(_inv(a[0], a[1], b[0], b[1])[1])


# --------------------------------------------------------------------------------------------
# sampled cores
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sampled:
    """The core of an outline: its edges and coarse samples along them."""

    kind: str  # "point", "path" or "area"
    radius: float
    chains: tuple[Arr, ...]  # vertices (n, 2) lat/lon of each ring (areas) or of the path
    lat0: Arr  # per edge: start, azimuth, length, first sample, sample spacing
    lon0: Arr
    az: Arr
    length: Arr
    first: npt.NDArray[np.intp]
    spacing: Arr
    chain_of: npt.NDArray[np.intp]  # per edge: its chain
    e: npt.NDArray[np.intp]  # per sample: edge, distance along it, spacing, position
    s: Arr
    h: Arr
    lat: Arr
    lon: Arr
    vertex: npt.NDArray[np.bool_]
    xyz: Arr

    def at(self, e: npt.NDArray[np.intp], s: Arr) -> tuple[Arr, Arr]:
        """Points ``s`` metres along edges ``e``."""
        lat, lon, _ = _fwd(self.lat0[e], self.lon0[e], self.az[e], s)
        return lat, lon


def outline_radius(o: Outline) -> float:
    """The grown part of an outline, read from its defining fields."""
    if isinstance(o, Circle):
        return float(o.radius_m)
    if isinstance(o, Corridor):
        return float(o.half_width_m)
    return 0.0


def _chains(o: Outline | LatLon) -> tuple[str, tuple[Arr, ...]]:
    if isinstance(o, tuple):
        return "point", (np.array([o], dtype=np.float64),)
    if isinstance(o, Circle):
        return "point", (np.array([[o.lat, o.lon]], dtype=np.float64),)
    if isinstance(o, Corridor):
        return "path", (np.array(o.path, dtype=np.float64),)
    rings = (o.exterior, *o.holes)
    return "area", tuple(np.array(r, dtype=np.float64) for r in rings)


def sample(o: Outline | LatLon) -> Sampled:
    """Coarse samples of the core of ``o`` (an outline, or a bare ``(lat, lon)`` point)."""
    kind, chains = _chains(o)
    radius = 0.0 if isinstance(o, tuple) else outline_radius(o)
    if kind == "point":
        lat, lon = chains[0][0]
        one = np.array([lat]), np.array([lon])
        z, zi = np.zeros(1), np.zeros(1, dtype=np.intp)
        return Sampled(
            kind, radius, chains, one[0], one[1], z, z, zi, z, zi, zi, z, z, one[0], one[1],
            np.ones(1, dtype=bool), _ecef(*one),
        )
    starts, ends, chain_of = [], [], []
    for k, c in enumerate(chains):
        nxt = np.roll(c, -1, axis=0) if kind == "area" else c[1:]
        starts.append(c[: len(nxt)])
        ends.append(nxt)
        chain_of.append(np.full(len(nxt), k, dtype=np.intp))
    a, b = np.concatenate(starts), np.concatenate(ends)
    az, length = _inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    target = max(float(length.sum()) / _MAX_SAMPLES, _TOL_M)
    counts = np.maximum(2, np.ceil(length / target).astype(np.intp))
    spacing = length / counts
    first = np.concatenate([[0], np.cumsum(counts + 1)[:-1]]).astype(np.intp)
    e = np.repeat(np.arange(length.size, dtype=np.intp), counts + 1)
    frac = np.concatenate([np.linspace(0.0, 1.0, n + 1) for n in counts])
    s = frac * length[e]
    lat, lon, _ = _fwd(a[e, 0], a[e, 1], az[e], s)
    vertex = (frac == 0.0) | (frac == 1.0)
    return Sampled(
        kind, radius, chains, a[:, 0], a[:, 1], az, length, first, spacing,
        np.concatenate(chain_of), e, s, spacing[e], lat, lon, vertex, _ecef(lat, lon),
    )


# --------------------------------------------------------------------------------------------
# refinement
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Near:
    """A pair of points, one on each core, and their geodesic distance."""

    distance: float
    a: LatLon
    b: LatLon


def _refine_point_edge(
    plat: Arr, plon: Arr, q: Sampled, e: npt.NDArray[np.intp], s: Arr, h: Arr
) -> Near:
    """Least distance from points P (one per candidate) to edges ``e`` of ``q``, searched on
    shrinking windows ``s ± h`` of :data:`_K1` points each."""
    off = np.linspace(-1.0, 1.0, _K1)
    length = q.length[e]
    while True:
        ss = np.clip(s[:, None] + h[:, None] * off, 0.0, length[:, None])
        lat, lon = q.at(e[:, None], ss)
        _, d = _inv(plat[:, None], plon[:, None], lat, lon)
        k = np.argmin(d, axis=1)
        r = np.arange(k.size)
        s, best, blat, blon = ss[r, k], d[r, k], lat[r, k], lon[r, k]
        if float(h.max()) <= _TOL_M:
            break
        keep = best <= best.min() + 2.0 * h + 1e-6
        h = h[keep] * 2.0 / (_K1 - 1)
        plat, plon, e, s, length = plat[keep], plon[keep], e[keep], s[keep], length[keep]
    j = int(np.argmin(best))
    return Near(float(best[j]), (float(plat[j]), float(plon[j])), (float(blat[j]), float(blon[j])))


def _refine_edge_edge(
    p: Sampled, ep: npt.NDArray[np.intp], sp: Arr, hp: Arr,
    q: Sampled, eq: npt.NDArray[np.intp], sq: Arr, hq: Arr,
) -> Near:
    """Least distance between edges ``ep`` of ``p`` and ``eq`` of ``q`` (pairwise candidates),
    searched on shrinking :data:`_K2` x :data:`_K2` windows."""
    off = np.linspace(-1.0, 1.0, _K2)
    lp, lq = p.length[ep], q.length[eq]
    while True:
        ssp = np.clip(sp[:, None] + hp[:, None] * off, 0.0, lp[:, None])
        ssq = np.clip(sq[:, None] + hq[:, None] * off, 0.0, lq[:, None])
        plat, plon = p.at(ep[:, None], ssp)
        qlat, qlon = q.at(eq[:, None], ssq)
        _, d = _inv(plat[:, :, None], plon[:, :, None], qlat[:, None, :], qlon[:, None, :])
        flat = d.reshape(d.shape[0], -1)
        k = np.argmin(flat, axis=1)
        i, j = np.divmod(k, _K2)
        r = np.arange(k.size)
        sp, sq, best = ssp[r, i], ssq[r, j], flat[r, k]
        pa = plat[r, i], plon[r, i]
        pb = qlat[r, j], qlon[r, j]
        if max(float(hp.max()), float(hq.max())) <= _TOL2_M:
            break
        keep = best <= best.min() + 2.0 * (hp + hq) + 1e-6
        hp, hq = hp[keep] * 2.0 / (_K2 - 1), hq[keep] * 2.0 / (_K2 - 1)
        ep, eq, sp, sq, lp, lq = ep[keep], eq[keep], sp[keep], sq[keep], lp[keep], lq[keep]
    m = int(np.argmin(best))
    return Near(
        float(best[m]), (float(pa[0][m]), float(pa[1][m])), (float(pb[0][m]), float(pb[1][m]))
    )


def _grouped_best(
    ii: npt.NDArray[np.intp], jj: npt.NDArray[np.intp], key: npt.NDArray[np.intp],
    value: Arr, cap: int,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Per distinct ``key``, the (i, j) with the least ``value``; at most ``cap`` of them."""
    order = np.argsort(value, kind="stable")
    _, first = np.unique(key[order], return_index=True)
    pick = order[np.sort(first)][:cap]
    return ii[pick], jj[pick]


def _vertex_edges(p: Sampled, q: Sampled, chord: Arr, bound: float) -> Near | None:
    """(a): vertices of ``p`` against the edges of ``q`` that may hold the minimum."""
    if q.kind == "point":
        return None
    ok = (chord <= bound + q.h[None, :] / 2.0) & p.vertex[:, None]
    ii, jj = np.nonzero(ok)
    if ii.size == 0:
        return None
    ii, jj = _grouped_best(ii, jj, ii * q.length.size + q.e[jj], chord[ii, jj], 256)
    return _refine_point_edge(p.lat[ii], p.lon[ii], q, q.e[jj], q.s[jj], 1.5 * q.h[jj])


def boundary_distance(p: Sampled, q: Sampled) -> Near:
    """Least geodesic distance between the boundaries (points, paths, rings) of two cores."""
    xp, xq = p.xyz - p.xyz[0], q.xyz - p.xyz[0]
    c2 = sum(np.subtract.outer(xp[:, k], xq[:, k]) ** 2 for k in range(3))
    chord = np.sqrt(c2)
    k = min(16, chord.size)
    top = np.argpartition(chord.ravel(), k - 1)[:k]
    ti, tj = np.unravel_index(top, chord.shape)
    _, g = _inv(p.lat[ti], p.lon[ti], q.lat[tj], q.lon[tj])
    m = int(np.argmin(g))
    best = Near(float(g[m]), (float(p.lat[ti[m]]), float(p.lon[ti[m]])),
                (float(q.lat[tj[m]]), float(q.lon[tj[m]])))
    bound = best.distance + 1e-6 * best.distance + 1e-3
    found = [best]
    a = _vertex_edges(p, q, chord, bound)
    if a is not None:
        found.append(a)
    b = _vertex_edges(q, p, chord.T, bound)
    if b is not None:
        found.append(Near(b.distance, b.b, b.a))
    if p.kind != "point" and q.kind != "point":
        # (b) interior-interior: a 2-D search around the best sample pairs of distinct edges
        ii, jj = np.nonzero(chord <= bound + (p.h[:, None] + q.h[None, :]) / 2.0)
        key = p.e[ii] * q.length.size + q.e[jj]
        ii, jj = _grouped_best(ii, jj, key, chord[ii, jj], 3)
        found.append(
            _refine_edge_edge(
                p, p.e[ii], p.s[ii], 1.5 * p.h[ii], q, q.e[jj], q.s[jj], 1.5 * q.h[jj]
            )
        )
    return min(found, key=lambda n: n.distance)


def winding_inside(lat: float, lon: float, area: Sampled) -> bool:
    """Is the point inside ``area`` (holes excluded)? Winding numbers in aeqd(P), see above."""
    az, _ = _inv(lat, lon, area.lat, area.lon)
    total = 0
    for k in range(len(area.chains)):
        idx = np.nonzero(area.chain_of[area.e] == k)[0]
        a = np.append(az[idx], az[idx[0]])
        turns = float(np.sum(_wrap180(np.diff(a)))) / 360.0
        total += abs(round(turns))
    return total % 2 == 1


def _densified(o: Sampled, proj: Proj) -> tuple[list[Arr], float]:
    """Projected chains densified to ≤ :data:`_DENSE_M`, and the largest chord deviation."""
    chains, worst = [], 0.0
    for k in range(len(o.chains)):
        edges = np.nonzero(o.chain_of == k)[0]
        counts = np.maximum(1, np.ceil(o.length[edges] / _DENSE_M).astype(np.intp))
        e = np.repeat(edges, counts)
        step = o.length[e] / np.repeat(counts, counts)
        j = np.concatenate([np.arange(n) for n in counts])
        s0 = j * step
        lat0, lon0 = o.at(e, s0)
        lat1, lon1 = o.at(e, s0 + step)
        latm, lonm = o.at(e, s0 + step / 2.0)
        x0, y0 = proj(lon0, lat0)
        x1, y1 = proj(lon1, lat1)
        xm, ym = proj(lonm, latm)
        dx, dy = x1 - x0, y1 - y0
        seg = np.hypot(dx, dy)
        dev = np.abs(dx * (ym - y0) - dy * (xm - x0)) / np.where(seg > 0, seg, 1.0)
        worst = max(worst, float(dev.max()))
        xy = np.column_stack([x0, y0])
        if o.kind == "path":
            xy = np.vstack([xy, [[x1[-1], y1[-1]]]])
        chains.append(xy)
    return chains, worst


def _shape(o: Sampled, proj: Proj) -> shapely.Geometry:
    chains, worst = _densified(o, proj)
    assert worst < _MAX_CHORD_ERR_M, f"oracle: chords deviate {worst} m from the geodesics"
    if o.kind == "path":
        return shapely.LineString(chains[0])
    return shapely.Polygon(chains[0], chains[1:])


@dataclass(frozen=True)
class CoreDistance:
    """The oracle's view of two cores."""

    distance: float  # 0 when the cores meet
    near: Near  # the closest points of the boundaries
    depth: float  # when the cores meet: how far (m) from not meeting, at least

    def separation(self, ra: float, rb: float) -> float:
        """Separation of the cores grown by ``ra`` and ``rb``."""
        return self.distance - ra - rb

    def margin(self, ra: float, rb: float) -> float:
        """How far the verdict is from flipping (m)."""
        if self.distance == 0.0:
            return ra + rb + self.depth
        return abs(self.distance - ra - rb)


def core_distance(p: Sampled, q: Sampled) -> CoreDistance:
    """Brute-force distance between two cores."""
    near = boundary_distance(p, q)
    d = near.distance
    if p.kind == "point" or q.kind == "point":
        point, other = (p, q) if p.kind == "point" else (q, p)
        if other.kind == "area" and winding_inside(point.lat[0], point.lon[0], other):
            return CoreDistance(0.0, near, d)
        return CoreDistance(d, near, 0.0)
    proj = Proj(proj="aeqd", lat_0=near.a[0], lon_0=near.a[1], ellps="WGS84")
    gp, gq = _shape(p, proj), _shape(q, proj)
    if not shapely.intersects(gp, gq):
        return CoreDistance(d, near, 0.0)
    if d >= AMBIGUOUS_M:  # one holds the other, boundaries apart
        return CoreDistance(0.0, near, d)
    inner = shapely.buffer(shapely.intersection(gp, gq), -AMBIGUOUS_M / 2)
    return CoreDistance(0.0, near, 0.0 if shapely.is_empty(inner) else AMBIGUOUS_M)


def distance_to_outline(point: LatLon, o: Sampled) -> float:
    """Geodesic distance from a point to the grown outline (0 inside)."""
    cd = core_distance(sample(point), o)
    return max(0.0, cd.distance - o.radius)


# --------------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------------


def source(o: Outline) -> str:
    """Python source that rebuilds ``o``."""
    if isinstance(o, Circle):
        return f"Circle({o.lat!r}, {o.lon!r}, {o.radius_m!r})"
    if isinstance(o, Corridor):
        return f"Corridor({o.path!r}, {o.half_width_m!r})"
    holes = f", holes={o.holes!r}" if o.holes else ""
    return f"Polygon({o.exterior!r}{holes})"


@dataclass
class Outcome:
    """One pair's comparison."""

    expected: float
    margin: float
    error: float
    problems: list[str]

    @property
    def ambiguous(self) -> bool:
        """Within the oracle's resolution of flipping."""
        return self.margin < AMBIGUOUS_M


def compare(a: Outline, b: Outline, cd: CoreDistance | None = None,
            pa: Sampled | None = None, pb: Sampled | None = None) -> Outcome:
    """Compare ``separation`` (both argument orders) and its witness with the oracle."""
    pa = pa or sample(a)
    pb = pb or sample(b)
    cd = cd or core_distance(pa, pb)
    ra, rb = outline_radius(a), outline_radius(b)
    want = cd.separation(ra, rb)
    margin = cd.margin(ra, rb)
    tol = CIRCLE_TOL_M if isinstance(a, Circle) and isinstance(b, Circle) else SEP_TOL_M
    problems, error = [], 0.0
    first = None
    for x, y in ((a, b), (b, a)):
        got = separation(x, y)
        first = first or got
        err = abs(got.separation_m - want)
        error = max(error, err)
        case = f"separation({source(x)}, {source(y)})"
        if not err <= tol:
            problems.append(f"{case} = {got.separation_m!r}, oracle {want!r} (error {err:.3f} m)")
        if margin >= AMBIGUOUS_M and got.overlaps != (want <= 0.0):
            problems.append(
                f"{case}: overlaps={got.overlaps}, oracle {want!r} (margin {margin:.3f} m)"
            )
    assert first is not None
    wa = distance_to_outline(first.witness, pa)
    wb = distance_to_outline(first.witness, pb)
    w = f"witness {first.witness!r} of separation({source(a)}, {source(b)})"
    if first.overlaps:
        if max(wa, wb) > WITNESS_TOL_M:
            problems.append(f"{w}: {wa:.3f} m and {wb:.3f} m from the outlines, not in both")
    else:
        half = first.separation_m / 2.0
        if abs(wa - half) > WITNESS_TOL_M or abs(wb - half) > WITNESS_TOL_M:
            problems.append(f"{w}: {wa:.3f} m and {wb:.3f} m from the outlines, not ~{half:.3f}")
    return Outcome(want, margin, error, problems)


# --------------------------------------------------------------------------------------------
# random outlines and pairs
# --------------------------------------------------------------------------------------------

COMBOS = (
    ("circle", "circle"),
    ("circle", "polygon"),
    ("polygon", "polygon"),
    ("corridor", "polygon"),
    ("corridor", "circle"),
    ("corridor", "corridor"),
)


def _site(rng: np.random.Generator) -> LatLon:
    u = rng.random()
    if u < 0.25:  # high latitudes, either hemisphere
        lat = float(rng.choice([-1.0, 1.0]) * rng.uniform(60.0, 75.0))
        return lat, float(rng.uniform(-180.0, 180.0))
    if u < 0.45:  # on the antimeridian
        lon = float(_wrap180(np.array(180.0 + rng.uniform(-1.5, 1.5))))
        return float(rng.uniform(-70.0, 70.0)), lon
    return float(rng.uniform(-60.0, 60.0)), float(rng.uniform(-180.0, 180.0))


def _size(rng: np.random.Generator) -> float:
    return float(np.exp(rng.uniform(math.log(50.0), math.log(200_000.0))))


def _around(lat: float, lon: float, az: Arr, dist: Arr) -> tuple[tuple[float, float], ...]:
    la, lo, _ = _fwd(lat, lon, az, dist)
    return tuple((float(x), float(y)) for x, y in zip(la, lo, strict=True))


def sliver(lat: float, lon: float, heading: float, length: float, width: float) -> Polygon:
    """A triangle: a geodesic base ``length`` long through ``(lat, lon)`` and an apex
    ``width`` metres off its middle, at right angles."""
    ends = _around(lat, lon, np.array([heading, heading + 180.0]), np.full(2, length / 2))
    apex = _around(lat, lon, np.array([heading + 90.0]), np.array([width]))
    return Polygon((ends[0], *apex, ends[1]))


def random_sliver(rng: np.random.Generator, lat: float, lon: float, size: float) -> Polygon:
    """A triangle ``size`` long and 0.1-20 m wide at its middle."""
    for _ in range(100):
        width = float(np.exp(rng.uniform(math.log(0.1), math.log(20.0))))
        try:
            return sliver(lat, lon, float(rng.uniform(0, 360)), size, width)
        except ValidationError:  # see test_a_thin_geodesic_triangle_is_a_valid_polygon
            continue
    raise AssertionError("could not make a sliver")


def random_polygon(rng: np.random.Generator, lat: float, lon: float, size: float) -> Polygon:
    """A star-shaped polygon about ``size`` across: convex or concave, 3-12 vertices, and
    sometimes a hole around its centre; one in ten is a sliver."""
    if rng.random() < 0.1:
        return random_sliver(rng, lat, lon, size)
    for _ in range(100):
        n = int(rng.integers(3, 13))
        step = 360.0 / n
        jitter = (0.2 if n == 3 else 0.3) * step
        ang = rng.uniform(0, 360) + step * np.arange(n) + rng.uniform(-jitter, jitter, n)
        r = size / 2.0
        radii = np.full(n, r) if rng.random() < 0.4 else r * rng.uniform(0.45, 1.0, n)
        holes: tuple[tuple[tuple[float, float], ...], ...] = ()
        if n >= 5 and rng.random() < 0.3:
            m = int(rng.integers(3, 7))
            hang = rng.uniform(0, 360) + 360.0 / m * np.arange(m)
            holes = (_around(lat, lon, hang, r * rng.uniform(0.08, 0.18, m)),)
        try:
            return Polygon(_around(lat, lon, ang, radii), holes=holes)
        except ValidationError:
            continue
    raise AssertionError("could not make a random polygon")


def random_corridor(rng: np.random.Generator, lat: float, lon: float, size: float) -> Corridor:
    """A path of 1-5 legs of about ``size`` in all, with a half width of 2-30 % of it."""
    k = int(rng.integers(2, 7))
    heading = rng.uniform(0, 360)
    pts = [(lat, lon)]
    for _ in range(k - 1):
        leg = size / (k - 1) * rng.uniform(0.5, 1.5)
        la, lo, _ = _fwd(pts[-1][0], pts[-1][1], heading, leg)
        pts.append((float(la), float(lo)))
        heading += rng.uniform(-120, 120)
    half = size * float(np.exp(rng.uniform(math.log(0.02), math.log(0.3))))
    return Corridor(tuple(pts), half)


def random_outline(rng: np.random.Generator, kind: str, lat: float, lon: float,
                   size: float) -> Outline:
    """A random outline of ``kind`` near ``(lat, lon)``."""
    if kind == "circle":
        return Circle(lat, lon, size / 2.0)
    if kind == "polygon":
        return random_polygon(rng, lat, lon, size)
    return random_corridor(rng, lat, lon, size)


def with_radius(o: Outline, radius: float) -> Outline:
    """``o`` grown by ``radius`` instead (circles and corridors)."""
    if isinstance(o, Circle):
        return Circle(o.lat, o.lon, radius)
    if isinstance(o, Corridor):
        return Corridor(o.path, radius)
    raise TypeError(o)


def translate(o: Polygon, origin: LatLon, az: float, dist: float) -> Polygon:
    """``o`` moved ``dist`` metres along the geodesic from ``origin`` at azimuth ``az``,
    keeping each vertex's geodesic polar coordinates about the moving origin."""
    lat2, lon2, az2 = _fwd(origin[0], origin[1], az, dist)
    turn = float(az2) - az

    def move(ring: tuple[LatLon, ...]) -> tuple[LatLon, ...]:
        v = np.array(ring)
        vaz, vd = _inv(origin[0], origin[1], v[:, 0], v[:, 1])
        return _around(float(lat2), float(lon2), vaz + turn, vd)

    return Polygon(move(o.exterior), holes=tuple(move(h) for h in o.holes))


@dataclass
class Pair:
    """Two outlines and, when already known, the oracle's view of their cores."""

    a: Outline
    b: Outline
    mode: str
    cd: CoreDistance | None = None


def _place(rng: np.random.Generator, kind_a: str, kind_b: str, near: float,
           far: float) -> tuple[Outline, Outline, float, float]:
    lat, lon = _site(rng)
    sa, sb = _size(rng), _size(rng)
    a = random_outline(rng, kind_a, lat, lon, sa)
    dist = rng.uniform(near, far) * (sa + sb) / 2.0
    blat, blon, _ = _fwd(lat, lon, rng.uniform(0, 360), dist)
    b = random_outline(rng, kind_b, float(blat), float(blon), sb)
    return a, b, sa, sb


def _touching(rng: np.random.Generator, kind_a: str, kind_b: str) -> Pair | None:
    """A pair whose grown outlines are ±0.5-5 m from touching (by the oracle)."""
    a, b, _, _ = _place(rng, kind_a, kind_b, 0.3, 1.5)
    gap = float(rng.choice([-1.0, 1.0]) * rng.uniform(AMBIGUOUS_M, 5.0))
    pa, pb = sample(a), sample(b)
    cd = core_distance(pa, pb)
    if cd.distance < 20.0:
        return None
    total = cd.distance - gap  # the radii that put the grown outlines `gap` apart
    if isinstance(a, Polygon) and not isinstance(b, Polygon):
        return Pair(a, with_radius(b, total), "touching", cd)
    if isinstance(b, Polygon) and not isinstance(a, Polygon):
        return Pair(with_radius(a, total), b, "touching", cd)
    if not isinstance(a, Polygon):
        f = float(rng.uniform(0.1, 0.9))
        return Pair(with_radius(a, f * total), with_radius(b, (1 - f) * total), "touching", cd)
    # two polygons: move b along the geodesic between the closest points
    assert isinstance(b, Polygon)
    approach = gap if gap > 0 else 2.0
    near = cd.near
    for _ in range(5):
        az, _ = _inv(near.b[0], near.b[1], near.a[0], near.a[1])
        try:
            b = translate(b, near.b, float(az), near.distance - approach)
        except ValidationError:
            return None
        near = boundary_distance(pa, sample(b))
        if abs(near.distance - approach) < 0.01:
            break
    else:
        return None
    if gap < 0:
        az, _ = _inv(near.b[0], near.b[1], near.a[0], near.a[1])
        b = translate(b, near.b, float(az), approach - gap)
    return Pair(a, b, "touching")


def _at_boundary(rng: np.random.Generator, kind_a: str) -> Pair:
    """A polygon ``b`` and a small ``a`` (circle, corridor or triangle) whose core starts
    0.7-5 m inside or outside ``b``'s boundary (rings and holes alike), or right on it."""
    lat, lon = _site(rng)
    size = _size(rng)
    b = random_polygon(rng, lat, lon, size)
    pb = sample(b)
    e = int(rng.integers(pb.length.size))
    s = 0.0 if rng.random() < 0.2 else float(rng.uniform(0.0, pb.length[e]))
    elat, elon, eaz = _fwd(pb.lat0[e], pb.lon0[e], pb.az[e], s)
    side = float(rng.choice([-90.0, 90.0]))
    offset = 0.0 if rng.random() < 0.1 else float(rng.uniform(0.7, 5.0))
    qlat, qlon, _ = _fwd(elat, elon, eaz + side, offset)
    q = (float(qlat), float(qlon))
    body = float(eaz + rng.choice([-90.0, 90.0]) + rng.uniform(-60.0, 60.0))
    reach = float(rng.uniform(10.0, size))
    thin = float(rng.uniform(0.001, 0.2))
    a: Outline
    if kind_a == "circle":
        a = Circle(q[0], q[1], thin)
    elif kind_a == "corridor":
        a = Corridor((q, *_around(q[0], q[1], np.array([body]), np.array([reach]))), thin)
    else:
        far = _around(q[0], q[1], np.array([body - 20.0, body + 20.0]), np.full(2, reach))
        a = Polygon((q, *far))
    return Pair(a, b, "boundary")


def random_pair(rng: np.random.Generator, kind_a: str, kind_b: str) -> Pair:
    """Most are near touching (within 0.5-5 m, by growing radii or sliding polygons, or with
    a core placed just inside or outside a polygon's boundary); the rest are anywhere from
    nested to well apart."""
    u = rng.random()
    if u < (0.35 if kind_a == "polygon" else 0.2) and kind_b == "polygon":
        return _at_boundary(rng, kind_a)
    if u < 0.6:
        for _ in range(20):
            pair = _touching(rng, kind_a, kind_b)
            if pair is not None:
                return pair
    if u < 0.7:  # b small, at a's centre (inside a hole when a has one)
        a, b, _, _ = _place(rng, kind_a, kind_b, 0.0, 0.02)
        return Pair(a, b, "nested")
    a, b, _, _ = _place(rng, kind_a, kind_b, 0.0, 1.3)
    return Pair(a, b, "random")


# --------------------------------------------------------------------------------------------
# the runs
# --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a run saw."""

    pairs: int = 0
    ambiguous: int = 0
    touching: int = 0
    overlapping: int = 0
    max_error: float = 0.0
    max_error_clear: float = 0.0  # over the pairs that are not ambiguous

    def add(self, pair: Pair, out: Outcome) -> None:
        self.pairs += 1
        self.ambiguous += out.ambiguous
        self.touching += pair.mode in ("touching", "boundary")
        self.overlapping += out.expected <= 0
        self.max_error = max(self.max_error, out.error)
        if not out.ambiguous:
            self.max_error_clear = max(self.max_error_clear, out.error)


def run_random(seed: int, kind_a: str, kind_b: str, n: int) -> tuple[Tally, list[str]]:
    """``n`` random pairs of the given kinds, compared with the oracle."""
    rng = np.random.default_rng(seed)
    tally, problems = Tally(), []
    for _ in range(n):
        pair = random_pair(rng, kind_a, kind_b)
        out = compare(pair.a, pair.b, pair.cd)
        tally.add(pair, out)
        problems.extend(out.problems)
    return tally, problems


def _report(tally: Tally, problems: list[str]) -> str:
    head = (
        f"{tally.pairs} pairs ({tally.touching} near touching, {tally.overlapping} overlapping, "
        f"{tally.ambiguous} within {AMBIGUOUS_M} m of flipping); max |error| "
        f"{tally.max_error:.2e} m ({tally.max_error_clear:.2e} m on the others)"
    )
    shown = "\n".join(problems[:8])
    return f"{head}\n{len(problems)} problems:\n{shown}" if problems else head


CHUNKS = 4
#: pairs per combination, 10,200 in all (more where the oracle is cheap)
PAIRS = {
    ("circle", "circle"): 2_400,
    ("circle", "polygon"): 2_000,
    ("polygon", "polygon"): 1_200,
    ("corridor", "polygon"): 1_400,
    ("corridor", "circle"): 2_000,
    ("corridor", "corridor"): 1_200,
}


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.parametrize(("kind_a", "kind_b"), COMBOS, ids=["-".join(c) for c in COMBOS])
def test_separation_matches_brute_force(kind_a: str, kind_b: str, chunk: int) -> None:
    assert sum(PAIRS.values()) >= 10_000
    seed = 20_240_000 + 100 * COMBOS.index((kind_a, kind_b)) + chunk
    tally, problems = run_random(seed, kind_a, kind_b, PAIRS[(kind_a, kind_b)] // CHUNKS)
    print(_report(tally, problems))
    assert not problems, _report(tally, problems)


@pytest.mark.parametrize(("kind_a", "kind_b"), COMBOS, ids=["-".join(c) for c in COMBOS])
def test_separation_matches_brute_force_quick(kind_a: str, kind_b: str) -> None:
    seed = 7 + COMBOS.index((kind_a, kind_b))
    tally, problems = run_random(seed, kind_a, kind_b, 15)
    assert not problems, _report(tally, problems)


# --------------------------------------------------------------------------------------------
# named tricky cases
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sliver_polygon() -> Polygon:
    """A triangle one degree of meridian long and about 11 cm wide at its widest."""
    return Polygon(((10.0, 20.0), (11.0, 20.0), (10.5, 20.000001)))


@pytest.fixture
def at_tanf_circle() -> Circle:
    """The 55 km At Tanf deconfliction zone."""
    return Circle(33.50583, 38.61778, 55_000.0)


def _ring_of_circles(o: Outline, n: int, gaps: tuple[float, ...]) -> list[Outline]:
    """Circles around ``o``: centres on a ring outside its core, radii set by the oracle so
    that each grown circle is ``gap`` metres from ``o``."""
    po = sample(o)
    lat = float(np.mean(po.lat))
    lon = float(po.lon[0] + np.mean(_wrap180(po.lon - po.lon[0])))
    reach = float(np.max(_inv(lat, lon, po.lat, po.lon)[1]))
    out: list[Outline] = []
    for k in range(n):
        clat, clon, _ = _fwd(lat, lon, 360.0 * k / n, 1.5 * reach + outline_radius(o) + 1_000.0)
        c = (float(clat), float(clon))
        d = core_distance(sample(c), po).distance - outline_radius(o)
        out.extend(Circle(c[0], c[1], d - g) for g in gaps)
    return out


def _expect_agreement(o: Outline, others: list[Outline]) -> list[Outcome]:
    outs = [compare(o, x) for x in others]
    problems = [p for out in outs for p in out.problems]
    assert not problems, "\n".join(problems[:8])
    return outs


def _touching_by_radius(o: Outline, centre: LatLon, gap: float) -> Circle:
    """A circle at ``centre`` whose edge is ``gap`` metres from ``o`` (by the oracle)."""
    d = core_distance(sample(centre), sample(o)).distance - outline_radius(o)
    return Circle(centre[0], centre[1], d - gap)


GAPS = (-3.0, -0.6, 0.6, 3.0, 500.0)


def test_antimeridian_polygon(antimeridian_polygon: Polygon) -> None:
    p = antimeridian_polygon
    outs = _expect_agreement(p, _ring_of_circles(p, 24, GAPS))
    assert sum(o.expected <= 0 for o in outs) == 24 * 2
    # a small circle inside, on either side of the line, and one just outside each side
    for lon in (179.9, -179.9):
        inside = Circle(10.5, lon, 100.0)
        assert separation(p, inside).overlaps
        assert separation(inside, p).separation_m == pytest.approx(-100.0, abs=SEP_TOL_M)
    # a polygon on the far side of the line, its western edge 2 m clear of p's eastern edge
    east = Polygon(((10.2, -178.9), (10.2, -178.0), (10.8, -178.0), (10.8, -178.9)))
    pair = _slide(p, east, 2.0)
    out = compare(pair.a, pair.b, pair.cd)
    assert not out.problems, out.problems
    assert not separation(pair.a, pair.b).overlaps
    overlapping = _slide(p, east, -2.0)
    assert separation(overlapping.a, overlapping.b).overlaps


def _slide(a: Polygon, b: Polygon, gap: float) -> Pair:
    """``b`` moved towards ``a`` until they are ``gap`` metres apart (negative: overlapping
    by that much along the approach)."""
    pa = sample(a)
    approach = gap if gap > 0 else 2.0
    cd = core_distance(pa, sample(b))
    for _ in range(6):
        az, _ = _inv(cd.near.b[0], cd.near.b[1], cd.near.a[0], cd.near.a[1])
        b = translate(b, cd.near.b, float(az), cd.distance - approach)
        cd = core_distance(pa, sample(b))
        if abs(cd.distance - approach) < 0.01:
            break
    assert abs(cd.distance - approach) < 0.01
    if gap > 0:
        return Pair(a, b, "slid", cd)
    az, _ = _inv(cd.near.b[0], cd.near.b[1], cd.near.a[0], cd.near.a[1])
    return Pair(a, translate(b, cd.near.b, float(az), approach - gap), "slid")


def test_object_inside_a_hole(polygon_with_hole: Polygon) -> None:
    p = polygon_with_hole
    hole = np.array(p.holes[0])
    centre = (float(hole[:, 0].mean()), float(hole[:, 1].mean()))
    to_hole = core_distance(sample(centre), sample(p)).distance
    assert to_hole > 1_000.0  # the centre is in the hole, far from its edges
    small = Circle(centre[0], centre[1], 1_000.0)
    s = separation(p, small)
    assert not s.overlaps
    assert s.separation_m == pytest.approx(to_hole - 1_000.0, abs=SEP_TOL_M)
    for gap in GAPS:
        c = _touching_by_radius(p, centre, gap)
        out = compare(p, c)
        assert not out.problems, out.problems
        assert separation(c, p).overlaps == (gap <= 0)
    # a polygon in the hole, and a corridor across it with both ends in the hole
    d = 0.25 * to_hole / 111_000.0
    inner = Polygon(((centre[0] - d, centre[1] - d), (centre[0] - d, centre[1] + d),
                     (centre[0] + d, centre[1] + d), (centre[0] + d, centre[1] - d)))
    across = Corridor(((centre[0] - d, centre[1]), (centre[0] + d, centre[1])), 50.0)
    outs = _expect_agreement(p, [inner, across, *_ring_of_circles(p, 12, GAPS)])
    assert outs[0].expected > 0 and outs[1].expected > 0


def test_high_latitude_long_edges(high_latitude_polygon: Polygon) -> None:
    p = high_latitude_polygon
    (lat1, lon1), (lat2, lon2) = p.exterior[0], p.exterior[1]
    # the geodesic edge bulges poleward of the rhumb line (the parallel) between its ends
    mid = GEOD.npts(lon1, lat1, lon2, lat2, 1)[0]
    bulge_lat = mid[1]
    assert bulge_lat > max(lat1, lat2) + 1.0
    # a point between the parallel and the geodesic is outside the polygon, though a
    # rhumb-line polygon would hold it
    between = ((max(lat1, lat2) + bulge_lat) / 2.0, mid[0])
    c = Circle(between[0], between[1], 10.0)
    s = separation(p, c)
    assert not s.overlaps
    truth = core_distance(sample(between), sample(p)).distance - 10.0
    assert s.separation_m == pytest.approx(truth, abs=SEP_TOL_M)
    assert truth > 50_000.0
    # circles just touching the long edge from the south, along its length
    along = GEOD.npts(lon1, lat1, lon2, lat2, 9)
    others: list[Outline] = []
    for lon, lat in along:
        south = _fwd(lat, lon, 180.0, 20_000.0)
        for gap in (-2.0, 2.0):
            others.append(_touching_by_radius(p, (float(south[0]), float(south[1])), gap))
    outs = _expect_agreement(p, [*others, *_ring_of_circles(p, 16, GAPS)])
    assert [o.expected <= 0 for o in outs[: len(others)]] == [True, False] * len(along)
    # a polygon hugging the bulge from the south, just clear and just overlapping
    lid = Polygon(tuple((float(la) - 0.3, float(lo)) for lo, la in along[2:7]) + tuple(
        (float(la) - 0.7, float(lo)) for lo, la in reversed(along[2:7])))
    for gap in (2.0, -2.0):
        pair = _slide(p, lid, gap)
        out = compare(pair.a, pair.b, pair.cd)
        assert not out.problems, out.problems
        assert separation(pair.a, pair.b).overlaps == (gap < 0)


def test_sliver_polygon(sliver_polygon: Polygon) -> None:
    p = sliver_polygon
    # a point a few centimetres inside the sliver's widest part is inside
    inner = Circle(10.5, 20.0000005, 0.01)
    assert separation(p, inner).overlaps
    outer = Circle(10.5, 20.00001, 0.01)  # about a metre east of the sliver
    s = separation(p, outer)
    assert not s.overlaps
    truth = core_distance(sample((10.5, 20.00001)), sample(p)).distance - 0.01
    assert s.separation_m == pytest.approx(truth, abs=0.05)
    crossing = Polygon(((10.4, 19.99), (10.4, 20.01), (10.41, 20.01), (10.41, 19.99)))
    across = Corridor(((10.6, 19.99), (10.6, 20.01)), 1.0)
    beside = Polygon(((10.2, 20.00002), (10.8, 20.00002), (10.5, 20.001)))
    outs = _expect_agreement(p, [crossing, across, beside, *_ring_of_circles(p, 16, GAPS)])
    assert outs[0].expected <= 0 and outs[1].expected <= 0 and outs[2].expected > 0


def test_at_tanf_every_degree(at_tanf_circle: Circle) -> None:
    zone = at_tanf_circle
    az = np.arange(360.0)
    for dist, inside in ((54_999.0, True), (55_001.0, False)):
        lat, lon, _ = _fwd(zone.lat, zone.lon, az, np.full(az.shape, dist))
        for k in range(az.size):
            point = Circle(float(lat[k]), float(lon[k]), 0.001)
            want = geodesic_distance((zone.lat, zone.lon), (point.lat, point.lon))
            want -= zone.radius_m + point.radius_m
            for x, y in ((zone, point), (point, zone)):
                s = separation(x, y)
                assert s.overlaps is inside, (az[k], dist, s)
                assert s.separation_m == pytest.approx(want, abs=CIRCLE_TOL_M), (az[k], dist)


# --------------------------------------------------------------------------------------------
# the oracle itself
# --------------------------------------------------------------------------------------------


def test_oracle_knows_simple_facts() -> None:
    """The brute force against cases with answers known without it."""
    # along a meridian, a point 0.1° north of an east-west edge on the equator
    edge = Corridor(((0.0, 0.0), (0.0, 1.0)), 1.0)
    cd = core_distance(sample((0.1, 0.5)), sample(edge))
    assert cd.distance == pytest.approx(geodesic_distance((0.1, 0.5), (0.0, 0.5)), abs=1e-3)
    square = Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)))
    assert winding_inside(0.5, 0.5, sample(square))
    assert not winding_inside(1.5, 0.5, sample(square))
    held = Polygon(((0.2, 0.2), (0.2, 0.3), (0.3, 0.3)))
    assert core_distance(sample(square), sample(held)).distance == 0.0
    far = Polygon(((2.0, 0.0), (2.0, 1.0), (3.0, 1.0)))
    want = geodesic_distance((1.0, 0.0), (2.0, 0.0))
    assert core_distance(sample(square), sample(far)).distance == pytest.approx(want, abs=0.01)


# --------------------------------------------------------------------------------------------
# core bugs found by the oracle (fixed; kept as regression tests)
# --------------------------------------------------------------------------------------------


def test_a_thin_geodesic_triangle_is_a_valid_polygon() -> None:
    (lat, lon), length, width = (60.31, 11.3), 100_000.0, 0.1
    ends = _around(lat, lon, np.array([45.0, 225.0]), np.full(2, length / 2))
    apex = _around(lat, lon, np.array([135.0]), np.array([width]))
    ring = (ends[0], *apex, ends[1])
    # the oracle: the apex is 0.1 m from the base geodesic, and the triangle densified to
    # 20 m in aeqd about its middle is a valid polygon of about 5,000 m²
    base = Corridor((ends[0], ends[1]), 1.0)
    assert core_distance(sample(apex[0]), sample(base)).distance == pytest.approx(width, abs=1e-3)
    proj = Proj(proj="aeqd", lat_0=lat, lon_0=lon, ellps="WGS84")
    dense = []
    for p, q in zip(ring, (*ring[1:], ring[0]), strict=True):
        pts = [(p[1], p[0]), *GEOD.npts(p[1], p[0], q[1], q[0], int(length / 20))]
        dense.extend(pts)
    x, y = proj(*np.array(dense).T)
    planar = shapely.Polygon(np.column_stack([x, y]))
    assert shapely.is_valid(planar) and 4_000 < planar.area < 6_000
    Polygon(ring)  # raises ValidationError SELF_INTERSECTING

