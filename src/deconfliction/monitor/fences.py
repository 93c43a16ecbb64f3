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

__all__ = ["PairStore", "advance", "expand_ranges", "merged"]

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
    """Sorted ``slot << 32 | row`` keys with per-pair columns (``float`` or ``int8``).

    A batch touches the pairs of its few tracks, so the store is kept in two parts: the
    *main* arrays, sorted, where a removed pair is only marked dead (and comes back to life
    in place when its key is added again), and a small sorted *delta* of the keys added
    since. The two are merged when the delta or the dead grow past a share of the main
    part, so a batch costs what it touches, not a copy of the store. Positions
    (:meth:`positions_of`, :meth:`find`) address both parts: ``i < main`` a main pair,
    else delta pair ``i - main``; they hold until the next change. :attr:`keys` and
    :attr:`cols` are the whole store compacted (sorted, no dead pairs): they merge first,
    for the rare passes over every pair.

    >>> s = PairStore(v=np.int8)
    >>> def pairs(keys): return [(int(k) >> 32, int(k) & 0xFFFFFFFF) for k in keys]
    >>> s.replace(np.zeros(0, dtype=np.int64), np.array([0 << 32 | 5, 1 << 32 | 2]),
    ...           v=np.array([1, 2]))
    >>> s.replace(s.positions_of(np.array([0])), np.array([0 << 32 | 1, 0 << 32 | 7]),
    ...           v=np.array([3, 4]))  # track 0 left row 5, is in rows 1 and 7
    >>> pairs(s.keys), s.cols["v"].tolist(), len(s)
    ([(0, 1), (0, 7), (1, 2)], [3, 4, 2], 3)
    """

    #: the delta is merged into the main part beyond this many pairs, or this share of it
    DELTA_MIN, DELTA_SHARE = 2048, 1 / 32

    def __init__(self, **columns: type) -> None:
        self._set_main(np.zeros(0, dtype=np.int64),
                       {k: np.zeros(0, dtype=v) for k, v in columns.items()})

    def _set_main(self, keys: IntArray, cols: dict[str, np.ndarray]) -> None:
        """Make ``keys`` (sorted) and ``cols`` the whole store: none dead, no delta."""
        self._keys, self._cols = keys, cols
        self._dead = np.zeros(keys.size, dtype=bool)
        self._n_dead = 0
        self._dkeys = keys[:0].copy()
        self._dcols = {k: v[:0].copy() for k, v in cols.items()}

    def __getstate__(self) -> dict[str, object]:
        return {"keys": self.keys, "cols": self.cols}

    def __setstate__(self, state: dict[str, object]) -> None:
        keys = state["keys"]
        cols = state["cols"]
        assert isinstance(keys, np.ndarray) and isinstance(cols, dict)
        self._set_main(keys, cols)

    def __len__(self) -> int:
        return int(self._keys.size - self._n_dead + self._dkeys.size)

    @property
    def keys(self) -> IntArray:
        """Every key, sorted (merges the store first)."""
        self._compact()
        return self._keys

    @property
    def cols(self) -> dict[str, np.ndarray]:
        """Every column in :attr:`keys` order (merges the store first)."""
        self._compact()
        return self._cols

    def positions_of(self, slots: IntArray) -> IntArray:
        """Positions of the pairs of track ``slots`` (distinct), grouped by slot in the
        order given, in key order per slot."""
        s = slots.astype(np.int64)
        lo_key, hi_key = s << SHIFT, (s + 1) << SHIFT
        main = self._ranges(self._keys, lo_key, hi_key)
        if self._n_dead:
            main = main[~self._dead[main]]
        if self._dkeys.size == 0:
            return main
        delta = self._ranges(self._dkeys, lo_key, hi_key) + self._keys.size
        if delta.size == 0:
            return main
        pos = np.concatenate((main, delta))
        keys = self.key_at(pos)
        rank = np.searchsorted(s, keys >> SHIFT) if (s[1:] > s[:-1]).all() else \
            np.argsort(s)[np.searchsorted(np.sort(s), keys >> SHIFT)]
        out: IntArray = pos[np.lexsort((keys, rank))]
        return out

    @staticmethod
    def _ranges(keys: IntArray, lo_key: IntArray, hi_key: IntArray) -> IntArray:
        return expand_ranges(np.searchsorted(keys, lo_key), np.searchsorted(keys, hi_key))

    def find(self, keys: IntArray) -> IntArray:
        """The position of each of ``keys``, ``-1`` for a key not stored.

        >>> s = PairStore()
        >>> s.replace(np.zeros(0, dtype=np.int64), np.array([4, 8]))
        >>> s.find(np.array([8, 5, 4])).tolist()
        [1, -1, 0]
        """
        out = np.full(keys.size, -1, dtype=np.int64)
        for base, stored, dead in ((0, self._keys, self._dead if self._n_dead else None),
                                   (self._keys.size, self._dkeys, None)):
            if stored.size == 0:
                continue
            at = np.minimum(np.searchsorted(stored, keys), stored.size - 1)
            hit = stored[at] == keys
            if dead is not None:
                hit &= ~dead[at]
            out[hit] = at[hit] + base
        return out

    def key_at(self, pos: IntArray) -> IntArray:
        """The keys at positions ``pos``."""
        return self._at(self._keys, self._dkeys, pos)

    def col_at(self, name: str, pos: IntArray) -> np.ndarray:
        """Column ``name`` at positions ``pos``."""
        return self._at(self._cols[name], self._dcols[name], pos)

    def _at(self, main: np.ndarray, delta: np.ndarray, pos: IntArray) -> np.ndarray:
        m = self._keys.size
        if delta.size == 0:
            return main[pos]
        in_main = pos < m
        out = np.empty(pos.size, dtype=main.dtype)
        out[in_main] = main[pos[in_main]]
        out[~in_main] = delta[pos[~in_main] - m]
        return out

    def replace(self, drop: IntArray, keys: IntArray, **values: np.ndarray) -> None:
        """Remove the pairs at positions ``drop`` (distinct) and add ``keys`` (distinct; no
        key may remain).

        A key added again where it was just removed (a batch that changed states, not
        pairs) is written in place; the others go into the delta.

        >>> s = PairStore(v=np.int8)
        >>> s.replace(np.zeros(0, dtype=np.int64), np.array([5, 9]), v=np.array([1, 2]))
        >>> s.replace(np.array([0]), np.array([1, 5]), v=np.array([3, 4]))
        >>> s.keys.tolist(), s.cols["v"].tolist()
        ([1, 5, 9], [3, 4, 2])
        """
        m = self._keys.size
        drop = np.asarray(drop, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.int64)
        if keys.size > 1 and not (keys[1:] > keys[:-1]).all():
            order = np.argsort(keys)
            keys = keys[order]
            values = {name: v[order] for name, v in values.items()}
        d_main = drop[drop < m]
        if d_main.size:
            self._dead[d_main] = True
        d_delta = drop[drop >= m] - m
        # the keys at a dead main position (just removed, or before): alive again in place
        add = np.ones(keys.size, dtype=bool)
        if m and keys.size:
            at = np.minimum(np.searchsorted(self._keys, keys), m - 1)
            back = (self._keys[at] == keys) & self._dead[at]
            if back.any():
                where = at[back]
                self._dead[where] = False
                for name, col in self._cols.items():
                    col[where] = values[name][back]
                add = ~back
        self._n_dead += int(d_main.size) - int(keys.size - add.sum())
        if d_delta.size or add.any():
            self._into_delta(d_delta, keys[add], {n: v[add] for n, v in values.items()})
        if (self._dkeys.size > max(self.DELTA_MIN, self.DELTA_SHARE * m)
                or self._n_dead > max(self.DELTA_MIN, m // 4)):
            self._compact()

    def _into_delta(self, drop: IntArray, keys: IntArray, values: dict[str, np.ndarray],
                    ) -> None:
        keep = np.ones(self._dkeys.size, dtype=bool)
        keep[drop] = False
        self._dkeys, self._dcols = merged(self._dkeys, self._dcols, keep, keys, values)

    def _compact(self) -> None:
        """Merge the delta into the main part and drop the dead pairs."""
        if self._n_dead == 0 and self._dkeys.size == 0:
            return
        self._set_main(*merged(self._keys, self._cols, ~self._dead, self._dkeys, self._dcols))

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        """Keep only the pairs where ``mask`` (over :attr:`keys`)."""
        self._compact()
        self._set_main(self._keys[mask], {n: col[mask] for n, col in self._cols.items()})

    def rekey(self, keys: IntArray) -> None:
        """Give every pair (in :attr:`keys` order) a new key (then sort)."""
        self._compact()
        order = np.argsort(keys, kind="stable")
        self._set_main(keys[order], {n: col[order] for n, col in self._cols.items()})


def merged(keys: np.ndarray, cols: dict[str, np.ndarray], keep: npt.NDArray[np.bool_],
           new: np.ndarray, values: dict[str, np.ndarray],
           ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sorted ``keys[keep]`` and sorted ``new`` merged (a new key before equal kept ones),
    with their columns: a few copies, no sort."""
    kept = keys[keep]
    # where each new key goes among the kept ones, then in the merged arrays
    at = np.searchsorted(kept, new) + np.arange(new.size)
    old = np.ones(kept.size + new.size, dtype=bool)
    old[at] = False

    def one(base: np.ndarray, add: np.ndarray) -> np.ndarray:
        out = np.empty(old.size, dtype=base.dtype)
        out[old] = base
        out[at] = add
        return out

    return one(kept, new), {name: one(col[keep], values[name]) for name, col in cols.items()}


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
