"""Region partitioning: fixed lat/lon cells hashed to partitions, with a halo of ghost copies.

The globe is cut into ``cell_deg`` x ``cell_deg`` cells (row from the south pole, column from
the antimeridian; ``cell_deg`` divides 360, so the columns wrap round); each cell belongs to
partition ``mix(row, column) % partitions`` (a fixed 64-bit mix: stable across processes and
machines, independent of the number of workers, and neighbouring cells scattered over the
partitions, so a regional workload spreads). Each
report has, per partition, a status (:func:`region_status`):

* ``OWNED``: the partition of the report's own cell (exactly one per report);
* ``GHOST``: another partition with a cell within ``near_m = min(fringe_m, halo_m)`` of
  the report: the partition follows the track (its state is there before the track crosses
  in: the handover) but
  raises none of its events;
* ``FAR``: another partition with a cell within ``halo_m`` but none within ``near_m``: a
  ``GHOST`` whose entries are not predicted (see 4. below);
* ``LEAVE``: a partition with a cell within ``halo_m + fringe_m`` but none within
  ``halo_m``: a notice to forget the track (it left the partition's halo);
* ``NONE`` (-1): the report is not sent there.

"Within ``r``" is measured conservatively: a cell counts if it meets the lat/lon box of
half-sides ``r`` (plus 1 %) around the report, the longitude side taken at the box's
poleward edge, so the box holds the geodesic disc of radius ``r``.

Why the bounds (:func:`min_halo_m`, :func:`min_fringe_m`) make a partition's events those of
one monitor over the whole stream, with ``v`` the fastest track and ``g`` the longest
silence of a live track (``stale_s``: a track silent longer is dropped), so two consecutive
reports of a track are at most ``v * g`` apart:

1. *Leave notices.* A track whose report falls outside a partition's halo has that report
   within ``v * g`` of the last one the partition holds, so with ``fringe_m >= v * g`` it
   lands in the fringe and the partition forgets the track: every track a partition holds
   is at its latest report, the same state as in one monitor. (A track back in the halo
   starts afresh.)
2. *Proximity.* Two tracks raise ``proximity`` only if their latest reports are at most
   ``proximity_m + 100 + 2 v (lookahead_s + stale_s)`` apart (each track's reach is its
   speed times the time since its report, up to ``stale_s``, plus the look-ahead, plus
   half the separation and 50 m; see ``Monitor._proximity``). With ``halo_m`` that wide,
   the owner of either track holds the other one.
3. *Handover.* A track starts afresh in a partition at a report at least ``halo_m - v g``
   from the partition's cells. Its fences, predictions and conformance are right after
   one report, or after ``max(dwell_enter_s, dwell_exit_s) + g`` seconds of reports (plus
   the dwell distances) with hysteresis; and it is then out of proximity reach of every
   track the partition owns, so no proximity pair is taken as new there that one monitor
   already had. Hence ``halo_m >= max(proximity reach, v (dwell_s + g) + dwell_m) + v g``.

4. *Predictions far out.* ``predicted`` is raised once per track and volume: whether a
   report raises it depends on the report and on what the track's report before it
   predicted, nothing older. The report before one a partition owns is at most ``v * g``
   from it, so within ``near_m >= v * g`` of the partition's cells: a ``GHOST`` (or owned)
   report, predicted as in one monitor. A ``FAR`` report is not predicted (the track's
   last predictions are forgotten instead): a ghost's predictions are never raised, and
   the costliest step is spared where most ghosts are (a halo is some hundreds of
   kilometres, ``near_m`` tens).

Then every partition holding a track computes the same events for it, and the partition
that owns the track's latest report emits them (see
:meth:`~deconfliction.monitor.live.LiveMonitor.step`).

>>> st = region_status(np.array([33.5]), np.array([38.6]), 6, 1.0, 50_000.0, 42_000.0)
>>> st.tolist()
[[1, 2, 2, 2, -1, 0]]
>>> int(cell_partition(np.array([123]), np.array([218]), 6)[0])
5
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from deconfliction.monitor.events import MonitorConfig

__all__ = ["FAR", "GHOST", "LEAVE", "NONE", "OWNED", "cell_partition", "cells_of",
           "min_fringe_m", "min_halo_m", "region_status"]

OWNED, GHOST, LEAVE, FAR, NONE = 0, 1, 2, 3, -1
#: metres per degree of latitude on the 6,371 km sphere
M_PER_DEG = 6_371_000.0 * math.pi / 180.0
#: boxes are grown by this factor (the ellipsoid's distances differ from the sphere's by
#: under 0.6 %)
MARGIN = 1.01

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def min_halo_m(config: MonitorConfig, max_speed_mps: float) -> float:
    """The least ``halo_m`` for ``config`` and tracks no faster than ``max_speed_mps``
    (see the module doc for the reasoning).

    >>> round(min_halo_m(MonitorConfig(), 100.0))
    101100
    >>> round(min_halo_m(MonitorConfig(proximity_m=0.0), 100.0))
    24000
    """
    c, v = config, max_speed_mps
    reach = (c.proximity_m + 100.0 + 2.0 * v * (c.lookahead_s + c.stale_s)
             if c.proximity_m > 0 else 0.0)
    dwell = v * (max(c.dwell_enter_s, c.dwell_exit_s) + c.stale_s) + max(c.dwell_enter_m,
                                                                       c.dwell_exit_m)
    return max(reach, dwell) + v * c.stale_s


def min_fringe_m(config: MonitorConfig, max_speed_mps: float) -> float:
    """The least ``fringe_m``: the farthest a track moves between two reports.

    >>> min_fringe_m(MonitorConfig(), 100.0)
    12000.0
    """
    return max_speed_mps * config.stale_s


def _mix(key: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: a stable, well spread 64-bit hash."""
    with np.errstate(over="ignore"):
        z = key + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        out: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


def cell_partition(row: IntArray, col: IntArray, partitions: int) -> IntArray:
    """The partition of each cell ``(row, col)``."""
    key = (row.astype(np.uint64) << np.uint64(32)) | col.astype(np.uint64)
    out: IntArray = (_mix(key) % np.uint64(partitions)).astype(np.int64)
    return out


def _grid(cell_deg: float) -> tuple[int, int]:
    return math.ceil(180.0 / cell_deg), math.ceil(360.0 / cell_deg)


def cells_of(lat: FloatArray, lon: FloatArray, cell_deg: float) -> tuple[IntArray, IntArray]:
    """The cell ``(row, col)`` of each position.

    >>> [a.tolist() for a in cells_of(np.array([-90.0, 33.5]), np.array([180.0, 38.6]), 1.0)]
    [[0, 123], [0, 218]]
    """
    rows, cols = _grid(cell_deg)
    row = np.clip(np.floor((lat + 90.0) / cell_deg), 0, rows - 1).astype(np.int64)
    col = (np.floor(np.mod(lon + 180.0, 360.0) / cell_deg).astype(np.int64)) % cols
    return row, col


def _box(lat: FloatArray, lon: FloatArray, radius_m: float, cell_deg: float
         ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Rows ``r0..r1`` and columns ``c0 .. c0 + nc - 1`` (mod the columns) of the cells
    meeting the box of half-side ``radius_m`` around each position."""
    rows, cols = _grid(cell_deg)
    dlat = radius_m * MARGIN / M_PER_DEG
    r0 = np.clip(np.floor((lat - dlat + 90.0) / cell_deg), 0, rows - 1).astype(np.int64)
    r1 = np.clip(np.floor((lat + dlat + 90.0) / cell_deg), 0, rows - 1).astype(np.int64)
    pole = np.minimum(np.abs(lat) + dlat, 90.0)
    cos = np.cos(np.radians(pole))
    wide = cos * 180.0 <= dlat  # the box goes round the globe
    dlon = np.where(wide, 180.0, dlat / np.where(wide, 1.0, cos))
    west = np.floor((lon - dlon + 180.0) / cell_deg).astype(np.int64)
    east = np.floor((lon + dlon + 180.0) / cell_deg).astype(np.int64)
    nc = np.minimum(east - west + 1, cols)
    nc[wide] = cols
    return r0, r1, west % cols, nc


def _reached(box: IntArray, partitions: int, cols: int) -> npt.NDArray[np.bool_]:
    """Per box (``r0, r1, c0, nc``), which partitions have a cell in it: the cells are
    walked for narrow boxes, and whole rows looked up for boxes round the globe."""
    n = box.shape[0]
    out = np.zeros((n, partitions), dtype=bool)
    r0, r1, c0, nc = box.T
    narrow = np.nonzero(nc < cols)[0]
    if narrow.size:  # every cell of every narrow box, at once
        h, w = r1[narrow] - r0[narrow] + 1, nc[narrow]
        count = h * w
        which = np.repeat(narrow, count)
        k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        wr = np.repeat(w, count)
        part = cell_partition(r0[which] + k // wr, (c0[which] + k % wr) % cols, partitions)
        out[which, part] = True
    wide = np.nonzero(nc >= cols)[0]
    if wide.size:
        rows = np.unique(np.concatenate([np.arange(r0[i], r1[i] + 1) for i in wide]))
        table = np.zeros((int(rows.max()) + 1, partitions), dtype=bool)
        for r in rows.tolist():
            table[r, cell_partition(np.full(cols, r), np.arange(cols), partitions)] = True
        for i in wide.tolist():
            out[i] = table[r0[i]:r1[i] + 1].any(axis=0)
    return out


def _distinct_rows(box: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct rows of ``box`` (boxes of 4 values under 2**16 each) and each row's
    index among them (``np.unique(axis=0)`` is ten times slower)."""
    b = box.astype(np.uint64)
    s16, s32, s48 = np.uint64(16), np.uint64(32), np.uint64(48)
    keys = [(b[:, k] << s48) | (b[:, k + 1] << s32) | (b[:, k + 2] << s16) | b[:, k + 3]
            for k in range(0, b.shape[1], 4)]
    order = np.lexsort(keys[::-1])
    new = np.ones(order.size, dtype=bool)
    new[1:] = np.any([key[order][1:] != key[order][:-1] for key in keys], axis=0)
    inv = np.empty(order.size, dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return box[order[new]], inv


def region_status(lat: FloatArray, lon: FloatArray, partitions: int, cell_deg: float,
                  halo_m: float, fringe_m: float) -> npt.NDArray[np.int8]:
    """Each report's status in each partition: an ``(n, partitions)`` array of ``OWNED``,
    ``GHOST``, ``FAR``, ``LEAVE`` or ``NONE`` (see the module doc).

    Vectorised: the cells around are walked once per distinct pair of boxes (a regional
    stream has few), not per report.
    """
    n = lat.size
    _, cols = _grid(cell_deg)
    row, col = cells_of(lat, lon, cell_deg)
    out = np.full((n, partitions), NONE, dtype=np.int8)
    if n == 0:
        return out
    box = np.stack(_box(lat, lon, halo_m + fringe_m, cell_deg)
                   + _box(lat, lon, halo_m, cell_deg)
                   + _box(lat, lon, min(fringe_m, halo_m), cell_deg), axis=1)
    uniq, inv = _distinct_rows(box)
    marks = np.full((uniq.shape[0], partitions), NONE, dtype=np.int8)
    marks[_reached(uniq[:, :4], partitions, cols)] = LEAVE
    marks[_reached(uniq[:, 4:8], partitions, cols)] = FAR
    marks[_reached(uniq[:, 8:], partitions, cols)] = GHOST
    out[:] = marks[inv]
    out[np.arange(n), cell_partition(row, col, partitions)] = OWNED
    return out
