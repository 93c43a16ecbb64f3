"""Outlines clipped to a country: the At Tanf zone kept to Syria, checked against exact
geodesic containment (the country as a core polygon, points from the direct problem)."""

from __future__ import annotations

import numpy as np
import pytest

from deconfliction.core.borders import Atlas, Country
from deconfliction.core.clip import clip_outline, clip_volumes, clip_zone, outside_bound_m
from deconfliction.core.distance import point_in_area, separation
from deconfliction.core.engine import ConflictIndex
from deconfliction.core.errors import ValidationError
from deconfliction.core.geodesy import forward, inverse, point_segment_distance
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

AT_TANF = (33.50583, 38.61778)
R = 55_000.0
CIRCLE = Circle(*AT_TANF, R)
#: inside the circle: in Jordan (35.6 km south-west) and in Syria (22.8 km north-west)
IN_JORDAN = (33.2, 38.5)
IN_SYRIA = (33.6, 38.4)


def _area(country: Country) -> Polygon:
    """The country's one polygon as a core polygon (geodesic edges)."""
    (ext, *holes), = country.parts
    return Polygon(tuple(map(tuple, ext.tolist())), tuple(tuple(map(tuple, h.tolist()))
                                                          for h in holes))


def _inside(pieces: list[Polygon], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    out = np.zeros(lat.size, dtype=bool)
    for p in pieces:
        out |= point_in_area(lat, lon, p.edges)
    return out


def _disk_samples(outline: Circle, n_az: int = 720) -> tuple[np.ndarray, np.ndarray]:
    """Points of the closed disk: a polar grid, and the rim a hair inside."""
    az = np.linspace(0.0, 360.0, n_az, endpoint=False)
    dist = np.concatenate([np.linspace(0.0, outline.radius_m, 40)[1:-1],
                           [outline.radius_m - 1e-3]])
    a, d = np.meshgrid(az, dist)
    lat, lon, _ = forward(np.full(a.size, outline.lat), np.full(a.size, outline.lon),
                          a.ravel(), d.ravel())
    return lat, lon


def _edge_samples(p: Polygon, per_edge: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Points along every geodesic edge of ``p`` (its vertices included)."""
    e = p.edges
    f = np.arange(per_edge) / per_edge
    lat, lon, _ = forward(np.repeat(e.alat, per_edge), np.repeat(e.alon, per_edge),
                          np.repeat(e.az, per_edge), np.tile(f, e.az.size)
                          * np.repeat(e.length_m, per_edge))
    return lat, lon


@pytest.fixture(scope="module")
def syria(atlas: Atlas) -> Country:
    return atlas.country("Syria")


@pytest.fixture(scope="module")
def clipped(syria: Country) -> list[Polygon]:
    return clip_outline(CIRCLE, syria)


def test_the_bound_is_under_a_metre_for_55_km() -> None:
    assert 0.5 < outside_bound_m(CIRCLE) < 1.0
    assert outside_bound_m(Polygon(((33.0, 38.0), (34.0, 38.0), (34.0, 39.0)))) == 0.501


def test_every_point_of_circle_and_country_is_in_the_clip(
        syria: Country, clipped: list[Polygon]) -> None:
    lat, lon = _disk_samples(CIRCLE)
    in_syria = point_in_area(lat, lon, _area(syria).edges)
    assert 5_000 < in_syria.sum() < lat.size - 2_000  # both sides are sampled
    assert _inside(clipped, lat[in_syria], lon[in_syria]).all()


def test_the_clip_reaches_at_most_the_bound_beyond_the_circle(clipped: list[Polygon]) -> None:
    bound = outside_bound_m(CIRCLE)
    for p in clipped:
        lat, lon = _edge_samples(p)
        d = inverse(np.full(lat.size, AT_TANF[0]), np.full(lat.size, AT_TANF[1]), lat, lon)[2]
        assert d.max() <= R + bound
        assert d.max() > R  # the rim is kept, outside the circle by a hair


def test_the_clip_stays_in_the_country(syria: Country, clipped: list[Polygon]) -> None:
    area = _area(syria)
    for p in clipped:
        lat, lon = _edge_samples(p)
        out = ~point_in_area(lat, lon, area.edges)
        if out.any():  # only points on the border itself, within a millimetre
            e = area.edges
            m = int(out.sum())
            d = point_segment_distance(np.repeat(lat[out], e.az.size),
                                       np.repeat(lon[out], e.az.size),
                                       np.tile(e.alat, m), np.tile(e.alon, m),
                                       np.tile(e.blat, m), np.tile(e.blon, m))[0]
            assert d.reshape(m, -1).min(axis=1).max() < 0.01


def test_points_on_either_side_of_the_border(clipped: list[Polygon]) -> None:
    lat, lon = np.array([IN_JORDAN[0], IN_SYRIA[0]]), np.array([IN_JORDAN[1], IN_SYRIA[1]])
    assert _inside([Polygon(((32.0, 37.0), (35.0, 37.0), (35.0, 40.0), (32.0, 40.0)))],
                   lat, lon).all()
    assert _inside(clipped, lat, lon).tolist() == [False, True]


def test_the_clip_is_one_polygon_with_dense_arc(clipped: list[Polygon]) -> None:
    (p,) = clipped
    e = p.edges
    assert e.length_m.max() < 320.0  # the arc every ~300 m, the border cut as finely
    assert p.vertex_count < 2_000


@pytest.mark.parametrize("outline", [
    Polygon(((33.2, 38.3), (33.9, 38.4), (33.6, 39.2), (33.1, 38.9))),
    Corridor(((33.0, 38.2), (33.6, 38.6), (33.4, 39.3)), 4_000.0),
], ids=["polygon", "corridor"])
def test_polygons_and_corridors(syria: Country, outline: Outline) -> None:
    pieces = clip_outline(outline, syria)
    assert pieces
    # the clip holds the outline's points in Syria: sample a grid over the outline's cap
    g = np.mgrid[32.9:34.0:45j, 38.1:39.5:45j].reshape(2, -1)
    lat, lon = g[0], g[1]
    if isinstance(outline, Polygon):
        mine = point_in_area(lat, lon, outline.edges)
    else:
        mine = np.array([separation(Circle(a, b, 1e-3), outline).separation_m <= 0
                         for a, b in zip(lat, lon, strict=True)])
    mine &= point_in_area(lat, lon, _area(syria).edges)
    assert mine.sum() > 50 and _inside(pieces, lat[mine], lon[mine]).all()
    # and reaches no further than the bound beyond it
    bound = outside_bound_m(outline)
    for p in pieces:
        plat, plon = _edge_samples(p, 2)
        for a, b in zip(plat[::7], plon[::7], strict=True):
            assert separation(Circle(a, b, 1e-3), outline).separation_m <= bound + 1e-3


def test_a_zone_clipped_keeps_band_time_and_the_volumes_it_came_from(
        syria: Country, atlas: Atlas) -> None:
    v = Volume4D(CIRCLE, 0.0, 20_000.0, TimeInterval(None, None))
    zone = Zone(id="at-tanf", name="At Tanf", owner="coalition", volumes=(v,))
    z = clip_zone(zone, syria)
    assert z.clip_to == "Syria" and z.unclipped == (v,) and z.version == zone.version
    assert all(isinstance(w.outline, Polygon) and w.alt_upper_m == 20_000.0
               and w.time == v.time for w in z.volumes)
    # clipped again, to another country: from the original circle
    j = clip_zone(z, atlas.country("Jordan"))
    assert j.clip_to == "Jordan" and j.unclipped == (v,)
    assert _inside([w.outline for w in j.volumes  # type: ignore[misc]
                    ], np.array([IN_JORDAN[0]]), np.array([IN_JORDAN[1]])).all()


def test_no_part_in_the_country_is_empty_clip(atlas: Atlas) -> None:
    v = Volume4D(CIRCLE, 0.0, 20_000.0, TimeInterval(None, None))
    with pytest.raises(ValidationError) as info:
        clip_volumes((v,), atlas.country("France"))
    assert info.value.code == "EMPTY_CLIP" and info.value.field == "clip_to"


def test_a_clipped_zone_needs_its_unclipped_volumes() -> None:
    v = Volume4D(CIRCLE, 0.0, 20_000.0, TimeInterval(None, None))
    with pytest.raises(ValidationError) as info:
        Zone(id="z", name="", owner="coalition", volumes=(v,), clip_to="Syria")
    assert info.value.code == "BAD_CLIP"


def _op(at: tuple[float, float]) -> Operation:
    return Operation(id="patrol", name="", owner="russia", state=OperationState.PROPOSED,
                     volumes=(Volume4D(Circle(*at, 500.0), 0.0, 3_000.0,
                                       TimeInterval(None, None)),))


def test_the_engine_sees_only_the_clipped_zone(syria: Country) -> None:
    v = Volume4D(CIRCLE, 0.0, 20_000.0, TimeInterval(None, None))
    whole = Zone(id="at-tanf", name="At Tanf", owner="coalition", volumes=(v,))
    clipped = clip_zone(whole, syria)
    assert ConflictIndex([whole]).check(_op(IN_JORDAN))
    assert not ConflictIndex([clipped]).check(_op(IN_JORDAN))
    (c,) = ConflictIndex([clipped]).check(_op(IN_SYRIA))
    assert c.separation_m < 0


def test_large_outlines(syria: Country) -> None:
    big = Circle(*AT_TANF, 600_000.0)
    (p,) = clip_outline(big, syria)  # all of Syria is within 600 km of At Tanf
    assert p.vertex_count < 10_000 and 0.5 < outside_bound_m(big) < 2.0
    with pytest.raises(ValidationError) as info:
        clip_outline(Circle(*AT_TANF, 1_000_001.0), syria)
    assert info.value.code == "CLIP_TOO_LARGE"


def test_an_enclave_is_a_hole(atlas: Atlas) -> None:
    """South Africa around Lesotho: the clip has Lesotho as a hole."""
    (p,) = clip_outline(Circle(-29.6, 28.2, 200_000.0), atlas.country("South Africa"))
    assert len(p.holes) == 1
    maseru, free_state = (-29.31, 27.48), (-28.5, 28.5)
    assert _inside([p], np.array([maseru[0], free_state[0]]),
                   np.array([maseru[1], free_state[1]])).tolist() == [False, True]


def test_across_the_antimeridian(atlas: Atlas) -> None:
    """Fiji's islands either side of 180°: pieces on both sides, each a valid polygon."""
    pieces = clip_outline(Circle(-16.6, 179.9, 60_000.0), atlas.country("Fiji"))
    lons = np.concatenate([p.edges.vlon for p in pieces])
    assert lons.max() > 179.0 and lons.min() < -179.0
    east = [ext for ext, *_ in atlas.country("Fiji").parts if ext[:, 1].max() < 0]
    # Vanua Levu (west of 180°) and the middle of each island east of it within reach
    points = [(-16.45, 179.5)] + [tuple(ext.mean(axis=0)) for ext in east]
    checked = 0
    for lat, lon in points:
        a_, b_ = np.array([lat]), np.array([lon])
        part = _area_of(atlas, "Fiji", lat, lon)
        d = inverse(-16.6, 179.9, lat, lon)[2]
        if part is None or d > 59_000.0:
            continue
        assert _inside(pieces, a_, b_).all()
        checked += 1
    assert checked >= 2


def _area_of(atlas: Atlas, name: str, lat: float, lon: float) -> Polygon | None:
    """The core polygon of the part of a country holding (lat, lon), if any."""
    for ext, *_ in atlas.country(name).parts:
        p = Polygon(tuple(map(tuple, ext.tolist())))
        if point_in_area(np.array([lat]), np.array([lon]), p.edges).all():
            return p
    return None


def test_points_a_hair_inside_the_border_are_kept(syria: Country,
                                                   clipped: list[Polygon]) -> None:
    """Points 5 cm inside Syria's border, all along it within the circle."""
    e = _area(syria).edges
    f = np.linspace(0.0, 1.0, 201)[1:-1]
    n = f.size
    lat, lon, baz = forward(np.repeat(e.alat, n), np.repeat(e.alon, n), np.repeat(e.az, n),
                            np.tile(f, e.az.size) * np.repeat(e.length_m, n))
    near = inverse(np.full(lat.size, AT_TANF[0]), np.full(lat.size, AT_TANF[1]), lat, lon)[2]
    keep = near < R - 1.0
    lat, lon, heading = lat[keep], lon[keep], baz[keep] + 180.0
    assert lat.size > 200
    sides = [forward(lat, lon, heading + turn, np.full(lat.size, 0.05))[:2]
             for turn in (90.0, -90.0)]
    inner = [point_in_area(a, b, e) for a, b in sides]
    assert (inner[0] ^ inner[1]).all()  # one side each
    plat = np.where(inner[0], sides[0][0], sides[1][0])
    plon = np.where(inner[0], sides[0][1], sides[1][1])
    assert _inside(clipped, plat, plon).all()
