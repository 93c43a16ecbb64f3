"""Fence state per (track, volume row): ``enter``, ``exit``, ``inside``, with hysteresis and
expiry, run over a whole batch in one compiled pass.

A (track, row) pair is *in* once an ``enter`` has counted and until an ``exit`` counts. For
each of a track's reports in time order (``raw`` = the classifier puts the report in the
row's 4D volume):

* out, raw inside: a streak starts at the first such report; the ``enter`` counts at the
  first report with ``t - streak_start >= dwell_enter_s`` and at least ``dwell_enter_m``
  inside (:func:`~deconfliction.monitor.margins.inside_margin`); a raw-outside report ends
  the streak. The event has the confirming report's time and position and
  ``details["since_t_s"]`` (streak start) and ``margin_m`` (when measured);
* in, raw outside: the same with ``dwell_exit_s``/``dwell_exit_m`` for the ``exit``
  (reason ``"left"``);
* in, and a report at or after the row's end time: ``exit`` at the end time (reason
  ``"expired"``) at the last position known before it, whatever the hysteresis;
* in: an ``inside`` when ``inside_interval_s`` has passed since the ``enter`` or the last
  ``inside`` (at a report's time: a silent track gets none).

Pairs out with no streak are not stored, so the state grows with the (track, row) pairs in
or near an edge, not with tracks × rows. Keys are ``slot << 32 | row`` in one sorted array.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from deconfliction.core.kernels import jit
from deconfliction.monitor.kernels import T1
from deconfliction.monitor.margins import inside_margin, outside_margin, signed_distance

__all__ = ["PairStore", "advance", "expand_ranges"]

IntArray = npt.NDArray[np.int64]
SHIFT = np.int64(32)
OUT, IN = 0, 1
#: event codes of :func:`advance` (those of :mod:`deconfliction.monitor.events`)
EV_EXIT, EV_ENTER, EV_INSIDE = 0, 1, 2
R_LEFT, R_EXPIRED = 0, 1


def expand_ranges(lo: IntArray, hi: IntArray) -> IntArray:
    """``concatenate([arange(l, h) for l, h in zip(lo, hi)])``, vectorised.

    >>> expand_ranges(np.array([0, 5]), np.array([2, 8])).tolist()
    [0, 1, 5, 6, 7]
    """
    n = hi - lo
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    out: IntArray = (np.arange(total) + starts).astype(np.int64)
    return out


class PairStore:
    """Sorted ``slot << 32 | row`` keys with per-pair columns (``float`` or ``int8``)."""

    def __init__(self, **columns: type) -> None:
        self.keys = np.zeros(0, dtype=np.int64)
        self.cols: dict[str, np.ndarray] = {k: np.zeros(0, dtype=v) for k, v in columns.items()}

    def __len__(self) -> int:
        return int(self.keys.size)

    def positions_of(self, slots: IntArray) -> IntArray:
        """Positions of the pairs of track ``slots`` (any order), in key order per slot."""
        lo = np.searchsorted(self.keys, slots.astype(np.int64) << SHIFT)
        hi = np.searchsorted(self.keys, (slots.astype(np.int64) + 1) << SHIFT)
        return expand_ranges(lo, hi)

    def replace(self, drop: IntArray, keys: IntArray, **values: np.ndarray) -> None:
        """Remove the pairs at positions ``drop`` (unique) and add ``keys`` (unique; no
        key may remain).

        The same keys as those dropped (a batch that changed states, not pairs) are written
        in place; otherwise the kept pairs and the new ones are merged without sorting: the
        cost is a few copies of the store, not a sort of it.

        >>> s = PairStore(v=np.int8)
        >>> s.replace(np.zeros(0, dtype=np.int64), np.array([5, 9]), v=np.array([1, 2]))
        >>> s.replace(np.array([0]), np.array([1, 7]), v=np.array([3, 4]))
        >>> s.keys.tolist(), s.cols["v"].tolist()
        ([1, 7, 9], [3, 4, 2])
        >>> s.replace(np.array([1, 2]), np.array([7, 9]), v=np.array([5, 6]))  # in place
        >>> s.keys.tolist(), s.cols["v"].tolist()
        ([1, 7, 9], [3, 5, 6])
        """
        if keys.size == drop.size and np.array_equal(self.keys[drop], keys):
            for name, col in self.cols.items():
                col[drop] = values[name]
            return
        if keys.size > 1 and not (keys[1:] > keys[:-1]).all():
            order = np.argsort(keys)
            keys = keys[order]
            values = {name: v[order] for name, v in values.items()}
        keep = np.ones(self.keys.size, dtype=bool)
        keep[drop] = False
        kept = self.keys[keep]
        # where each new key goes among the kept ones, then in the merged store
        at = np.searchsorted(kept, keys) + np.arange(keys.size)
        old = np.ones(kept.size + keys.size, dtype=bool)
        old[at] = False
        self.keys = _merged(kept, keys, at, old)
        for name, col in self.cols.items():
            self.cols[name] = _merged(col[keep], values[name], at, old)

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        """Keep only the pairs where ``mask``."""
        self.keys = self.keys[mask]
        for name, col in self.cols.items():
            self.cols[name] = col[mask]

    def rekey(self, keys: IntArray) -> None:
        """Give every pair a new key (then sort)."""
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        for name, col in self.cols.items():
            self.cols[name] = col[order]


def _merged(kept: np.ndarray, new: np.ndarray, at: IntArray,
            old: npt.NDArray[np.bool_]) -> np.ndarray:
    out = np.empty(old.size, dtype=kept.dtype)
    out[old] = kept
    out[at] = new
    return out


@numba.njit(cache=True, nogil=True)
def _has(hit_rows: np.ndarray, lo: int, hi: int, r: int) -> bool:
    k = lo
    while k < hi and hit_rows[k] != r:
        k += 1
    return k < hi


@jit
def advance(
    pgroup: np.ndarray, prow: np.ndarray, state: np.ndarray, since: np.ndarray,
    emit: np.ndarray, goff: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
    alt: np.ndarray, hit_off: np.ndarray, hit_rows: np.ndarray,
    rowf: np.ndarray, rowi: np.ndarray, vlat: np.ndarray, vlon: np.ndarray, vu: np.ndarray,
    start: np.ndarray, end: np.ndarray, normal: np.ndarray, az: np.ndarray,
    length: np.ndarray, enter_s: float, enter_m: float, exit_s: float, exit_m: float,
    interval_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
           np.ndarray]:
    """Run every pair through its track's reports (the module doc); updates ``state``,
    ``since`` and ``emit`` in place. Returns ``(pair, report, code, t, reason, since_t,
    margin_m)`` per event; ``report`` is ``-1 - group`` for the track's position before the
    batch."""
    cap = 1024 + pgroup.size // 8  # grows by doubling: events are few in steady state
    ev_pair = np.empty(cap, dtype=np.int64)
    ev_rep = np.empty(cap, dtype=np.int64)
    ev_code = np.empty(cap, dtype=np.int8)
    ev_t = np.empty(cap)
    ev_reason = np.empty(cap, dtype=np.int8)
    ev_since = np.empty(cap)
    ev_margin = np.empty(cap)
    m = 0
    for k in range(pgroup.size):
        g, r = pgroup[k], prow[k]
        st, sn, em = state[k], since[k], emit[k]
        end_t = rowf[r, T1]
        prev = -1 - g
        for p in range(goff[g], goff[g + 1]):
            if m + 3 > ev_pair.size:
                n2 = 2 * ev_pair.size
                ev_pair = np.concatenate((ev_pair, np.empty(n2, dtype=np.int64)))
                ev_rep = np.concatenate((ev_rep, np.empty(n2, dtype=np.int64)))
                ev_code = np.concatenate((ev_code, np.empty(n2, dtype=np.int8)))
                ev_t = np.concatenate((ev_t, np.empty(n2)))
                ev_reason = np.concatenate((ev_reason, np.empty(n2, dtype=np.int8)))
                ev_since = np.concatenate((ev_since, np.empty(n2)))
                ev_margin = np.concatenate((ev_margin, np.empty(n2)))
            tp = t[p]
            if st == IN and tp >= end_t:
                ev_pair[m], ev_rep[m], ev_code[m], ev_t[m] = k, prev, EV_EXIT, end_t
                ev_reason[m], ev_since[m], ev_margin[m] = R_EXPIRED, math.nan, math.nan
                m += 1
                st, sn = OUT, math.nan
            raw = _has(hit_rows, hit_off[p], hit_off[p + 1], r)
            if st == OUT:
                if raw:
                    if math.isnan(sn):
                        sn = tp
                    margin = math.nan
                    ok = tp - sn >= enter_s
                    if ok and enter_m > 0.0:
                        d, conv = signed_distance(r, lat[p], lon[p], rowf, rowi, vlat, vlon,
                                                  vu, start, end, normal, az, length)
                        margin = inside_margin(d, alt[p], rowf, r) if conv else math.inf
                        ok = margin >= enter_m
                    if ok:
                        ev_pair[m], ev_rep[m], ev_code[m], ev_t[m] = k, p, EV_ENTER, tp
                        ev_reason[m], ev_since[m], ev_margin[m] = -1, sn, margin
                        m += 1
                        st, sn, em = IN, math.nan, tp
                else:
                    sn = math.nan
            else:
                if not raw:
                    if math.isnan(sn):
                        sn = tp
                    margin = math.nan
                    ok = tp - sn >= exit_s
                    if ok and exit_m > 0.0:
                        d, conv = signed_distance(r, lat[p], lon[p], rowf, rowi, vlat, vlon,
                                                  vu, start, end, normal, az, length)
                        margin = outside_margin(d, alt[p], rowf, r) if conv else math.inf
                        ok = margin >= exit_m
                    if ok:
                        ev_pair[m], ev_rep[m], ev_code[m], ev_t[m] = k, p, EV_EXIT, tp
                        ev_reason[m], ev_since[m], ev_margin[m] = R_LEFT, sn, margin
                        m += 1
                        st, sn = OUT, math.nan
                else:
                    sn = math.nan
                if st == IN and tp - em >= interval_s:
                    ev_pair[m], ev_rep[m], ev_code[m], ev_t[m] = k, p, EV_INSIDE, tp
                    ev_reason[m], ev_since[m], ev_margin[m] = -1, math.nan, math.nan
                    m += 1
                    em = tp
            prev = p
        state[k], since[k], emit[k] = st, sn, em
    return (ev_pair[:m], ev_rep[:m], ev_code[:m], ev_t[:m], ev_reason[:m], ev_since[:m],
            ev_margin[:m])
