"""Unit tests of ZoneGrid: each outline kind, holes, buffers, times, altitudes, bad input."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.bounds import bbox_of
from deconfliction.core.errors import NotFoundError, ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.monitor import ZoneGrid
from deconfliction.monitor.grid import _cell_ranges

GEOD = Geod(ellps="WGS84")
T = datetime(2018, 9, 10, tzinfo=UTC)
TS = T.timestamp()
ALWAYS = TimeInterval(None, None)


def _zone(o: Outline, buffer_m: float = 0.0, zid: str = "z", lo: float = 0.0,
          hi: float = 1_000.0, when: TimeInterval = ALWAYS) -> Zone:
    return Zone(id=zid, name="", owner="coalition", allowed=frozenset({"mat"}),
                volumes=(Volume4D(o, lo, hi, when),), buffer_m=buffer_m)


def _at(lat: float, lon: float, az: float, dist: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, az, dist)
    return y, x


def _hits(grid: ZoneGrid, pts: list[tuple[float, float]], alt: float = 100.0,
          t: float = TS) -> list[int]:
    lat = np.array([p[0] for p in pts])
    lon = np.array([p[1] for p in pts])
    idx, _ = grid.classify(lat, lon, np.full(lat.size, alt), np.full(lat.size, t))
    return idx.tolist()


def test_circle_rim_to_a_centimetre_in_every_direction() -> None:
    grid = ZoneGrid([_zone(Circle(33.50583, 38.61778, 55_000.0))])
    az = np.arange(0.0, 360.0, 5.0)
    inside = [_at(33.50583, 38.61778, a, 54_999.99) for a in az]
    outside = [_at(33.50583, 38.61778, a, 55_000.01) for a in az]
    assert _hits(grid, inside) == list(range(az.size))
    assert _hits(grid, outside) == []


def test_tiny_circle_with_buffer() -> None:
    grid = ZoneGrid([_zone(Circle(33.3, 38.64, 20.0), buffer_m=10.0)])
    assert _hits(grid, [_at(33.3, 38.64, 45.0, 29.99), _at(33.3, 38.64, 45.0, 30.01)]) == [0]


def test_polygon_with_hole_and_buffer() -> None:
    outer = ((34.0, 38.0), (34.0, 38.2), (34.2, 38.2), (34.2, 38.0))
    hole = ((34.05, 38.05), (34.05, 38.15), (34.15, 38.15), (34.15, 38.05))
    grid = ZoneGrid([_zone(Polygon(outer, (hole,)))])
    assert _hits(grid, [(34.02, 38.1), (34.1, 38.1), (34.3, 38.1)]) == [0]
    buffered = ZoneGrid([_zone(Polygon(outer, (hole,)), buffer_m=500.0)])
    # 300 m inside the hole and 300 m outside the exterior are within the buffer
    pts = [_at(34.05, 38.1, 0.0, 300.0), _at(34.0, 38.1, 180.0, 300.0),
           _at(34.0, 38.1, 180.0, 700.0), (34.1, 38.1)]
    assert _hits(buffered, pts) == [0, 1]


def test_corridor_half_width_and_buffer() -> None:
    path = ((34.2, 38.0), (33.7, 38.4))
    az, _, _ = GEOD.inv(38.0, 34.2, 38.4, 33.7)
    mid = _at(34.2, 38.0, az, 30_000.0)
    grid = ZoneGrid([_zone(Corridor(path, 1_000.0), buffer_m=200.0)])
    pts = [_at(*mid, az + 90.0, 1_199.9), _at(*mid, az + 90.0, 1_200.1),
           _at(*mid, az - 90.0, 1_000.0)]
    assert _hits(grid, pts) == [0, 2]


def test_antimeridian_polygon() -> None:
    grid = ZoneGrid([_zone(Polygon(((10.0, 179.0), (10.0, -179.0), (11.0, -179.0),
                                    (11.0, 179.0))))])
    assert _hits(grid, [(10.5, 179.9), (10.5, -179.9), (10.5, 180.0), (10.5, 178.9)]) == [
        0, 1, 2]


def test_near_the_pole() -> None:
    grid = ZoneGrid([_zone(Circle(89.95, 10.0, 20_000.0))])
    pts = [(90.0, 0.0), (89.9, -170.0), _at(89.95, 10.0, 200.0, 19_999.9),
           _at(89.95, 10.0, 200.0, 20_000.1)]
    assert _hits(grid, pts) == [0, 1, 2]


def test_time_is_half_open_and_ends_may_be_open() -> None:
    when = TimeInterval(T, datetime(2018, 9, 11, tzinfo=UTC))
    grid = ZoneGrid([_zone(Circle(33.5, 38.6, 1_000.0), when=when, zid="a"),
                     _zone(Circle(33.5, 38.6, 1_000.0), zid="b",
                           when=TimeInterval(None, T)),
                     _zone(Circle(33.5, 38.6, 1_000.0), zid="c",
                           when=TimeInterval(T, None))])
    lat, lon, alt = np.full(3, 33.5), np.full(3, 38.6), np.full(3, 10.0)
    t = np.array([TS - 1.0, TS, TS + 86_400.0])
    idx, rows = grid.classify(lat, lon, alt, t)
    got = [(int(i), grid.row_info(int(r)).obj_id) for i, r in zip(idx, rows, strict=True)]
    assert got == [(0, "b"), (1, "a"), (1, "c"), (2, "c")]


def test_altitude_band_is_closed() -> None:
    grid = ZoneGrid([_zone(Circle(33.5, 38.6, 1_000.0), lo=100.0, hi=200.0)])
    lat, lon, t = np.full(4, 33.5), np.full(4, 38.6), np.full(4, TS)
    idx, _ = grid.classify(lat, lon, np.array([99.9, 100.0, 200.0, 200.1]), t)
    assert idx.tolist() == [1, 2]


def test_row_info_add_and_remove() -> None:
    op = Operation(id="op", name="", owner="russia", participants=frozenset({"syria"}),
                   volumes=(Volume4D(Circle(33.5, 38.6, 500.0), 0.0, 50.0, ALWAYS),
                            Volume4D(Circle(33.5, 38.6, 500.0), 50.0, 90.0, ALWAYS)),
                   state=OperationState.PROPOSED)
    grid = ZoneGrid([_zone(Circle(33.5, 38.6, 1_000.0))])
    assert grid.add(op) == [1, 2]
    info = grid.row_info(2)
    assert (info.obj_id, info.volume, info.kind, info.owner) == ("op", 1, "operation", "russia")
    assert info.parties == frozenset({"russia", "syria"})
    assert _hits(grid, [(33.5, 38.6)], alt=60.0) == [0, 0]
    grid.remove("op")
    assert _hits(grid, [(33.5, 38.6)], alt=60.0) == [0]
    assert not grid.row_info(2).alive
    with pytest.raises(NotFoundError):
        grid.remove("op")
    with pytest.raises(NotFoundError):
        grid.row_info(9)


def test_empty_inputs() -> None:
    idx, rows = ZoneGrid().classify([], [], [], [])
    assert idx.size == 0 and rows.size == 0
    idx, rows = ZoneGrid([_zone(Circle(33.5, 38.6, 1_000.0))]).classify([], [], [], [])
    assert idx.size == 0 and rows.dtype == np.int64


@pytest.mark.parametrize(("args", "code", "field"), [
    (([np.nan], [38.0], [0.0], [TS]), "NOT_FINITE", "lat[0]"),
    (([33.0, 33.0], [38.0, np.inf], [0.0, 0.0], [TS, TS]), "NOT_FINITE", "lon[1]"),
    (([33.0], [38.0], [0.0], [np.nan]), "NOT_FINITE", "t_s[0]"),
    (([91.0], [38.0], [0.0], [TS]), "LAT_OUT_OF_RANGE", "lat[0]"),
    (([33.0], [180.5], [0.0], [TS]), "LON_OUT_OF_RANGE", "lon[0]"),
    (([33.0], [38.0, 39.0], [0.0], [TS]), "BAD_REPORTS", "lon"),
    ((["x"], [38.0], [0.0], [TS]), "BAD_REPORTS", "lat"),
    (([[33.0]], [38.0], [0.0], [TS]), "BAD_REPORTS", "lat"),
])
def test_bad_reports_are_refused(args: tuple[list[float], ...], code: str, field: str) -> None:
    grid = ZoneGrid([_zone(Circle(33.5, 38.6, 1_000.0))])
    with pytest.raises(ValidationError) as err:
        grid.classify(*args)
    assert (err.value.code, err.value.field) == (code, field)


def test_bad_grid_settings() -> None:
    with pytest.raises(ValidationError, match="cell_deg") as err:
        ZoneGrid(cell_deg=0.07)
    assert err.value.code == "BAD_CELL_SIZE"
    with pytest.raises(ValidationError) as err:
        ZoneGrid([_zone(Circle(1.0, 1.0, 5.0)), _zone(Circle(1.0, 1.0, 5.0))])
    assert err.value.code == "DUPLICATE_ID"


@pytest.mark.parametrize("cell_deg", [0.05, 0.1, 0.5])
def test_cell_size_does_not_change_answers(cell_deg: float) -> None:
    rng = np.random.default_rng(7)
    zones = [_zone(Circle(33.0 + rng.random(), 38.0 + rng.random(), 30_000.0 * rng.random()
                          + 10.0), zid=f"z{i}") for i in range(30)]
    lat, lon = 33.0 + rng.random(5_000), 38.0 + rng.random(5_000)
    alt, t = np.full(5_000, 10.0), np.full(5_000, TS)
    base = ZoneGrid(zones, cell_deg=1.0).classify(lat, lon, alt, t)
    got = ZoneGrid(zones, cell_deg=cell_deg).classify(lat, lon, alt, t)
    assert np.array_equal(base[0], got[0]) and np.array_equal(base[1], got[1])


def _cell_ranges_reference(rows: Any, cell_deg: float, nx: int, ny: int
                           ) -> set[tuple[int, int, int]]:
    """Every (row, iy, ix) the plain way: each box part's cells, one by one."""
    out = set()
    for r in np.nonzero(rows.alive)[0]:
        box = bbox_of(rows.outline(int(r)), rows.info(int(r)).buffer_m)
        for lon0, lat0, lon1, lat1 in box.parts():
            y0 = max(0, math.floor((lat0 + 90.0) / cell_deg) - 1)
            y1 = min(ny - 1, math.floor((lat1 + 90.0) / cell_deg) + 1)
            x0 = math.floor((lon0 + 180.0) / cell_deg) - 1
            x1 = math.floor((lon1 + 180.0) / cell_deg) + 1
            xs = range(nx) if x1 - x0 + 1 >= nx else [x % nx for x in range(x0, x1 + 1)]
            out |= {(int(r), y, x) for y in range(y0, y1 + 1) for x in xs}
    return out


@pytest.mark.parametrize("cell_deg", [0.1, 1.0, 5.0])
def test_cell_ranges_cover_each_box_once_across_the_antimeridian(cell_deg: float) -> None:
    zones = [_zone(Circle(33.5, 38.6, 55_000.0), zid="tanf"),
             _zone(Circle(10.0, 179.95, 20_000.0), zid="east"),  # both sides of 180
             _zone(Circle(-20.0, -179.99, 5_000.0), buffer_m=3_000.0, zid="west"),
             _zone(Circle(85.0, 0.0, 900_000.0), zid="polar"),  # every column
             _zone(Polygon(((0.0, 170.0), (0.0, -170.0), (5.0, -170.0), (5.0, 170.0))),
                   zid="strip")]
    grid = ZoneGrid(zones, cell_deg=cell_deg)
    grid.build()
    rows = grid._rows
    nx, ny = round(360.0 / cell_deg), round(180.0 / cell_deg)
    r, y, x = _cell_ranges(rows, cell_deg, nx, ny)
    got = list(zip(r.tolist(), y.tolist(), x.tolist(), strict=True))
    assert len(got) == len(set(got))  # each (row, cell) once
    assert set(got) == _cell_ranges_reference(rows, cell_deg, nx, ny)
