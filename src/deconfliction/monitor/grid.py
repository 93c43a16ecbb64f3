"""``ZoneGrid``: which zone and operation volumes hold each of a batch of position reports.

A report at ``(lat, lon, alt_m, t_s)`` is in a volume when ``time_start <= t_s < time_end``
(open ends allowed), ``alt_lower_m <= alt_m <= alt_upper_m`` (metres above the WGS84
ellipsoid) and its horizontal position is in the outline grown by the object's ``buffer_m``:
within ``radius_m + buffer_m`` geodesic metres of a circle's centre, inside a polygon (holes
excluded) or within ``buffer_m`` of its geodesic edges, within ``half_width_m + buffer_m`` of
a corridor's path. The answers are those of the exact ellipsoidal computation.

How, so that the cost per report does not grow with the number of zones:

1. a uniform lat/lon grid of ``cell_deg`` cells lists, per cell, the volume rows whose grown
   bounding box meets it, each marked ``INSIDE`` (the whole cell is inside, proven with the
   cell's radius) or ``EDGE`` (with the few polygon or corridor edges that reach the cell);
   rows that certainly miss the cell are not listed;
2. reports are sorted by cell (a counting sort) and each is tested against its cell's list:
   time and altitude first, then ``INSIDE`` rows are hits and ``EDGE`` rows get the chord
   test of :mod:`deconfliction.monitor.chords`, whose doubt is a few millimetres to
   decimetres; only reports within that doubt of a boundary get the exact computation
   (Vincenty's iterations on WGS84, meridian-ray parity with exact azimuth tests).

The grid spans the latitude rows that any volume reaches and every longitude; a cell near a
pole is narrow, and the chord tests have no singularity there or at the antimeridian, so
polar and antimeridian volumes are handled like any other (their cells are many but small).
Building costs about a microsecond per (cell, row) pair; :meth:`ZoneGrid.add` and
:meth:`ZoneGrid.remove` only mark the grid stale and the next :meth:`ZoneGrid.classify`
rebuilds it (zones change rarely compared with reports).

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Zone
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> since = TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None)
>>> zone = Zone(id="at-tanf", name="At Tanf", owner="coalition", allowed=frozenset({"mat"}),
...     volumes=(Volume4D(Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0, since),))
>>> grid = ZoneGrid([zone])
>>> t = datetime(2018, 9, 10, tzinfo=timezone.utc).timestamp()
>>> reports, rows = grid.classify(np.array([33.30, 34.10]), np.array([38.64, 38.62]),
...                               np.array([500.0, 500.0]), np.array([t, t]))
>>> reports.tolist(), [grid.row_info(r).obj_id for r in rows]
([0], ['at-tanf'])
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconfliction.core.bounds import bbox_of
from deconfliction.core.distance import core_distance
from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Circle
from deconfliction.monitor import kernels as k
from deconfliction.monitor.chords import sag
from deconfliction.monitor.reports import Reports, check_reports
from deconfliction.monitor.rows import RowInfo, VolumeRows

__all__ = ["GridStats", "ZoneGrid"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GridStats:
    """The size of a built grid and how long building it took."""

    rows: int
    cells: int
    pairs: int
    inside_pairs: int
    edge_pairs: int
    exact_pairs: int
    edge_pieces: int
    build_s: float


@dataclass(frozen=True, slots=True)
class _Built:
    nx: int
    iy0: int
    cell_off: IntArray
    cand_row: IntArray
    cand_status: npt.NDArray[np.int8]
    cand_par: npt.NDArray[np.int8]
    cand_f: npt.NDArray[np.float64]
    poff: IntArray
    pieces: IntArray
    row_hq: npt.NDArray[np.float64]
    cols: dict[str, np.ndarray]
    stats: GridStats


class ZoneGrid:
    """Volumes of zones and operations, indexed to classify batches of position reports.

    ``objects`` may mix zones and operations (every one is indexed, whatever its state:
    pass only those that should count). ``cell_deg`` must divide 180 evenly.
    """

    def __init__(self, objects: Iterable[Zone | Operation] = (), *, cell_deg: float = 0.1,
                 threads: int = 1) -> None:
        ny = round(180.0 / cell_deg) if cell_deg > 0 else 0
        if not (0.001 <= cell_deg <= 10.0) or abs(ny * cell_deg - 180.0) > 1e-9:
            raise ValidationError("BAD_CELL_SIZE",
                                  f"cell_deg {cell_deg} must be in [0.001, 10] and divide 180",
                                  "cell_deg")
        if not isinstance(threads, int) or threads < 1:
            raise ValidationError("BAD_THREADS", "threads must be a positive integer", "threads")
        self.cell_deg = float(cell_deg)
        self.threads = threads
        self._rows = VolumeRows()
        self._built: _Built | None = None
        self._pool: ThreadPoolExecutor | None = None
        #: the rows are shared with a fork: copy them before changing them
        self._shared = False
        #: exact ellipsoidal computations the last :meth:`classify` needed
        self.last_exact = 0
        for obj in objects:
            self._rows.add(obj)

    def __len__(self) -> int:
        """Volume rows ever added (retired ones included: rows are never renumbered)."""
        return len(self._rows)

    def fork(self) -> ZoneGrid:
        """A grid of the same volumes sharing this one's rows and cell lists (each copies
        the rows before its first change; the cell lists are never changed in place). The
        cell lists are built first, once, for both."""
        self.build()
        new = copy.copy(self)
        new._pool = None
        self._shared = new._shared = True
        return new

    def _own_rows(self) -> None:
        if self._shared:
            self._rows = copy.deepcopy(self._rows)
            self._shared = False

    def add(self, obj: Zone | Operation) -> list[int]:
        """Index ``obj``'s volumes (from the next :meth:`classify`); returns their rows."""
        self._own_rows()
        rows = self._rows.add(obj)
        self._built = None
        return rows

    def remove(self, obj_id: str) -> list[int]:
        """Stop matching ``obj_id``'s volumes (from the next :meth:`classify`)."""
        self._own_rows()
        rows = self._rows.remove(obj_id)
        self._built = None
        return rows

    def rows_of(self, obj_id: str) -> list[int]:
        """The rows of ``obj_id``'s volumes, in volume order."""
        return self._rows.rows_of(obj_id)

    def row_info(self, row: int) -> RowInfo:
        """Object id, volume index, kind, owner, parties and buffer of ``row``."""
        return self._rows.info(row)

    @property
    def stats(self) -> GridStats:
        """Sizes of the grid (building it first if needed)."""
        return self.build().stats

    def build(self) -> _Built:
        """Build the cell lists now (``classify`` does it when needed)."""
        if self._built is None:
            self._built = _build(self._rows, self.cell_deg)
        return self._built

    def classify(self, lat: object, lon: object, alt_m: object, t_s: object,
                 ) -> tuple[IntArray, IntArray]:
        """Every (report index, volume row) with the report inside the row's 4D volume.

        ``lat``, ``lon`` in degrees, ``alt_m`` metres above the WGS84 ellipsoid, ``t_s``
        epoch seconds: equal-length 1-D arrays. Pairs come sorted by report, then row.
        Bad input raises :class:`~deconfliction.core.errors.ValidationError`
        (``BAD_REPORTS``, ``NOT_FINITE``, ``LAT_OUT_OF_RANGE``, ``LON_OUT_OF_RANGE``).
        """
        rep = check_reports(lat, lon, alt_m, t_s)
        b = self.build()
        cells = k.cells_of(rep.lat, rep.lon, self.cell_deg, b.nx, b.iy0,
                           b.iy0 + b.row_hq.size - 1)
        n_cells = b.cell_off.size - 1
        if cells.size * 16 < n_cells:  # a small batch: don't sweep every cell of the grid
            idx = np.flatnonzero(cells >= 0)
            order = idx[np.argsort(cells[idx], kind="stable")]  # what the counting sort gives
        else:
            order = k.sort_by_cell(cells, n_cells)
        counts, rows = self._run(rep, b, cells, order)
        idx, out = k.assemble(order, counts, rows, rep.lat.size)
        if out.size and out.min() < 0:
            idx, out = self._settle(rep, idx, out)
        return idx, out

    def _run(self, rep: Reports, b: _Built, cells: IntArray, order: IntArray,
             ) -> tuple[IntArray, IntArray]:
        c = b.cols

        def part(lo: int, hi: int) -> tuple[IntArray, IntArray, int]:
            return k.classify_sorted(
                order, cells, lo, hi, rep.lat, rep.lon, rep.alt, rep.t, b.cell_off,
                b.cand_row, b.cand_status, b.cand_par, b.cand_f, b.poff, b.pieces,
                self.cell_deg, b.nx, b.iy0, b.row_hq, c["rowf"], c["rowi"], c["ef"],
                c["vlat"], c["vlon"], c["vu"], c["start"], c["end"], c["normal"], c["az"],
                c["length"])

        n = order.size
        if self.threads == 1 or n < 20_000:
            counts, rows, self.last_exact = part(0, n)
            return counts, rows
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads)
        bounds = np.linspace(0, n, self.threads + 1).astype(int)
        parts = list(self._pool.map(part, bounds[:-1], bounds[1:]))
        self.last_exact = sum(p[2] for p in parts)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _settle(self, rep: Reports, idx: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
        """Redo with GeographicLib the pairs whose compiled iteration did not converge."""
        keep = np.ones(rows.size, dtype=bool)
        for n in np.nonzero(rows < 0)[0]:
            r = int(-rows[n] - 1)
            i = int(idx[n])
            point = Circle(float(rep.lat[i]), float(rep.lon[i]), 1.0)
            info = self._rows.info(r)
            d = core_distance(point, self._rows.outline(r), info.grown_m).distance_m
            rows[n] = r
            keep[n] = d <= info.grown_m
        return idx[keep], rows[keep]

    def close(self) -> None:
        """Stop the worker threads (if any were started)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _cell_ranges(rows: VolumeRows, cell_deg: float, nx: int, ny: int,
                 ) -> tuple[IntArray, IntArray, IntArray]:
    """Every (row, cell row iy, cell column ix) whose cell meets the row's grown box: per
    part of a box, its cell rows in order, each with its columns in increasing order."""
    part_r: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    for r in np.nonzero(rows.alive)[0]:
        info = rows.info(int(r))
        for box in bbox_of(rows.outline(int(r)), info.buffer_m).parts():
            part_r.append(int(r))
            boxes.append(box)
    if not part_r:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    b = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    y0 = np.maximum(0, np.floor((b[:, 1] + 90.0) / cell_deg).astype(np.int64) - 1)
    y1 = np.minimum(ny - 1, np.floor((b[:, 3] + 90.0) / cell_deg).astype(np.int64) + 1)
    x0 = np.floor((b[:, 0] + 180.0) / cell_deg).astype(np.int64) - 1
    x1 = np.floor((b[:, 2] + 180.0) / cell_deg).astype(np.int64) + 1
    full = x1 - x0 + 1 >= nx
    x0, x1 = np.where(full, 0, x0), np.where(full, nx - 1, x1)
    # the columns x0..x1 modulo nx, in increasing order: [0, low) then [high, nx) when the
    # range wraps, else [x0, x1]
    wraps = (x0 < 0) | (x1 >= nx)
    low = np.where(x0 < 0, x1 + 1, x1 - nx + 1)
    high = np.where(x0 < 0, x0 + nx, x0)
    width = x1 - x0 + 1
    height = y1 - y0 + 1
    count = height * width
    pi = np.repeat(np.arange(len(part_r)), count)  # the part of each (row, cell)
    k = np.arange(pi.size) - np.repeat(np.cumsum(count) - count, count)
    w = width[pi]
    xi = k % w
    y_all = y0[pi] + k // w
    x_all = np.where(wraps[pi], np.where(xi < low[pi], xi, high[pi] + xi - low[pi]),
                     x0[pi] + xi)
    r_all = np.asarray(part_r, dtype=np.int64)[pi]
    # a row's parts may share cells (both sides of the antimeridian): keep each pair once
    key = (r_all * ny + y_all) * nx + x_all
    _, first = np.unique(key, return_index=True)
    first.sort()
    return r_all[first], y_all[first], x_all[first]


def _build(rows: VolumeRows, cell_deg: float) -> _Built:
    t = time.perf_counter()
    nx, ny = round(360.0 / cell_deg), round(180.0 / cell_deg)
    cols = rows.arrays()
    r_of, iy, ix = _cell_ranges(rows, cell_deg, nx, ny)
    iy0 = int(iy.min()) if iy.size else 0
    iy1 = int(iy.max()) if iy.size else 0
    cell = (iy - iy0) * nx + ix
    lat_lo = -90.0 + np.arange(iy0, iy1 + 1) * cell_deg
    row_r = np.array([k.cell_radius(a, a + cell_deg, cell_deg) for a in lat_lo])
    row_hq = np.array([sag(r) for r in row_r])
    clat = -90.0 + (iy0 + cell // nx + 0.5) * cell_deg
    clon = -180.0 + (cell % nx + 0.5) * cell_deg
    status, parity, mask = k.classify_cells(
        clat, clon, row_r[cell // nx], r_of, cols["rowf"], cols["rowi"], cols["ef"],
        cols["vlat"], cols["vlon"], cols["start"], cols["end"], cols["az"])
    # the listed edges of each pair, as global edge numbers
    e0 = cols["rowi"][r_of, k.E0]
    nedge = cols["rowi"][r_of, k.E1] - e0
    moff = np.concatenate([[0], np.cumsum(nedge)])
    pos = np.nonzero(mask)[0]
    pair_of = np.searchsorted(moff, pos, side="right") - 1
    edge_of = e0[pair_of] + pos - moff[pair_of]
    # keep the pairs that can hold a report, sorted by cell then row
    keep = np.nonzero(status != k.OUTSIDE)[0]
    keep = keep[np.lexsort((r_of[keep], cell[keep]))]
    is_edge = status[keep] == k.EDGE
    new_pos = np.full(status.size, -1, dtype=np.int64)
    new_pos[keep[is_edge]] = np.nonzero(is_edge)[0]
    listed = new_pos[pair_of] >= 0
    piece_pair, piece_edge = new_pos[pair_of][listed], edge_of[listed]
    srt = np.argsort(piece_pair, kind="stable")
    pieces = piece_edge[srt].astype(np.int64)
    poff = np.searchsorted(piece_pair[srt], np.arange(keep.size + 1)).astype(np.int64)
    n_cells = (iy1 - iy0 + 1) * nx
    cell_off = np.searchsorted(cell[keep], np.arange(n_cells + 1)).astype(np.int64)
    st = status[keep]
    stats = GridStats(
        rows=int(rows.alive.sum()), cells=n_cells, pairs=int(keep.size),
        inside_pairs=int((st == k.INSIDE).sum()), edge_pairs=int(is_edge.sum()),
        exact_pairs=int((st == k.EXACT).sum()), edge_pieces=int(pieces.size),
        build_s=time.perf_counter() - t)
    cand_row = r_of[keep].astype(np.int64)
    cand_f = np.ascontiguousarray(cols["rowf"][cand_row][:, [k.T0, k.T1, k.LO, k.HI]])
    return _Built(nx, iy0, cell_off, cand_row, st, parity[keep], cand_f, poff, pieces,
                  row_hq, cols, stats)
