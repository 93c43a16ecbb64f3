"""``NearIndex``: the tracks by speed class, each class sorted by latitude, kept up to date
as tracks report, so that the proximity candidates of a few updated tracks cost what those
tracks can reach, not a sort of every track.

A track moving at ``v`` (0 at rest or with an unknown course) reaches at most
``v (stale_s + lookahead_s) + proximity_m / 2 + 50`` metres from its last report while it is
live (:mod:`~deconfliction.monitor.proximity` grows each box the same way, with the time
since the report in place of ``stale_s``). Class ``c`` holds the speeds under ``2**c`` m/s
(class 0: under 1 m/s), so one latitude window per class, as wide as the updated track's
box plus the widest box of the class, holds every track whose box can meet it. Each
candidate is then tested exactly as :func:`~deconfliction.monitor.proximity.candidate_pairs`
tests it (boxes, parties, altitudes, the flat-Earth CPA), and the pairs are the same.

>>> idx = NearIndex()
>>> lat, lon = np.array([33.50, 33.52, 40.0]), np.array([38.60, 38.61, 20.0])
>>> t, speed, heading = np.full(3, 100.0), np.array([10.0, 0.0, 5.0]), np.zeros(3)
>>> party, alt = np.array([0, 1, 2]), np.zeros(3)
>>> idx.update(np.arange(3), lat, speed, heading)
>>> keys = idx.pairs(np.array([1]), np.array([False, True, False]), lat, lon, t, speed,
...                  heading, party, alt, 100.0, 300.0, 120.0, 5_000.0, 300.0)
>>> [(int(k) >> 32, int(k) & 0xFFFFFFFF) for k in keys]
[(0, 1)]
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from deconfliction.monitor.fences import merged
from deconfliction.monitor.proximity import box_of, flat_far, kept_apart, lon_apart, push

__all__ = ["NearIndex", "speed_class"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: speed classes: class ``c`` holds speeds under ``2**c`` m/s; the last one every speed
N_CLASSES = 24
#: the composite sort key is ``class * _SPAN + latitude + 90``
_SPAN = 256.0
#: a window's edges are widened by this much (the key's rounding, in degrees)
_EPS_DEG = 1e-9
#: the speed bound of each class, m/s
_VMAX = np.append(np.exp2(np.arange(N_CLASSES - 1, dtype=np.float64)), np.inf)


def speed_class(speed_mps: FloatArray, heading_deg: FloatArray) -> IntArray:
    """The class of each track: 0 at rest (under 1 m/s, or an unknown speed or course),
    else ``floor(log2(v)) + 1`` (speeds under ``2**class``), at most ``N_CLASSES - 1``.

    >>> speed_class(np.array([0.0, 0.5, 1.0, 3.0, 250.0, np.nan]), np.zeros(6)).tolist()
    [0, 0, 1, 2, 8, 0]
    """
    moving = np.isfinite(speed_mps) & np.isfinite(heading_deg) & (speed_mps >= 1.0)
    v = np.where(moving, speed_mps, 1.0)
    c = np.where(moving, np.floor(np.log2(v)) + 1.0, 0.0)
    out: IntArray = np.minimum(c, N_CLASSES - 1).astype(np.int64)
    return out


class NearIndex:
    """The indexed tracks (by slot): composite keys ``class * 256 + lat + 90``, sorted."""

    def __init__(self) -> None:
        self.key = np.zeros(0)
        self.slot = np.zeros(0, dtype=np.int64)
        #: each slot's key in the index (NaN: not indexed)
        self.at = np.zeros(0)

    def __len__(self) -> int:
        return int(self.key.size)

    def update(self, slots: IntArray, lat: FloatArray, speed_mps: FloatArray,
               heading_deg: FloatArray) -> None:
        """Index ``slots`` (distinct) where they are now (columns by slot), in place of
        where they were."""
        slots = np.asarray(slots, dtype=np.int64)
        if slots.size == 0:
            return
        self._grow(int(slots.max()) + 1)
        new = speed_class(speed_mps[slots], heading_deg[slots]) * _SPAN + (lat[slots] + 90.0)
        keep = self._without(slots)
        order = np.argsort(new, kind="stable")
        self.key, cols = merged(self.key, {"slot": self.slot}, keep, new[order],
                                {"slot": slots[order]})
        self.slot = cols["slot"]
        self.at[slots] = new

    def remove(self, slots: IntArray) -> None:
        """Forget ``slots`` (those not indexed are ignored)."""
        slots = np.asarray(slots, dtype=np.int64)
        slots = slots[slots < self.at.size]
        if slots.size == 0:
            return
        keep = self._without(slots)
        self.key, self.slot = self.key[keep], self.slot[keep]
        self.at[slots] = np.nan

    def _grow(self, need: int) -> None:
        if need > self.at.size:
            at = np.full(max(need, 2 * self.at.size), np.nan)
            at[: self.at.size] = self.at
            self.at = at

    def _without(self, slots: IntArray) -> npt.NDArray[np.bool_]:
        """A mask over the entries, false at those of ``slots`` (each below ``at.size``)."""
        keep = np.ones(self.key.size, dtype=bool)
        mine = slots[~np.isnan(self.at[slots])]
        if mine.size:
            _unmark(keep, self.key, self.slot, mine, self.at[mine])
        return keep

    def pairs(self, updated: IntArray, upd: npt.NDArray[np.bool_], lat: FloatArray,
              lon: FloatArray, t: FloatArray, speed: FloatArray, heading: FloatArray,
              party: IntArray, alt: FloatArray, now: float, lookahead_s: float,
              stale_s: float, limit_m: float, vertical_m: float) -> IntArray:
        """Keys ``min(slot) << 32 | max(slot)`` (sorted, distinct) of the candidate pairs
        with one of the ``updated`` slots (indexed; ``upd`` marks them by slot) among the
        live indexed tracks (reported less than ``stale_s`` before ``now``): the pairs
        :func:`~deconfliction.monitor.proximity.candidate_pairs` finds (columns by slot;
        ``party`` -1 unknown, ``alt`` NaN unknown)."""
        if self.key.size < 2 or updated.size == 0:
            return np.zeros(0, dtype=np.int64)
        bounds = np.searchsorted(self.key, np.arange(N_CLASSES + 1) * _SPAN)
        keys = _pairs(np.asarray(updated, dtype=np.int64), upd, self.key, self.slot,
                      bounds.astype(np.int64), _VMAX, lat, lon, t, speed, heading,
                      np.asarray(party, dtype=np.int64), alt, now, lookahead_s, stale_s,
                      limit_m, vertical_m)
        out: IntArray = np.unique(keys)
        return out


@numba.njit(cache=True, nogil=True)
def _unmark(keep: np.ndarray, key: np.ndarray, slot: np.ndarray, slots: np.ndarray,
            at: np.ndarray) -> None:  # pragma: no cover - compiled
    """Clear ``keep`` at each of ``slots``' entries (key ``at``)."""
    for n in range(slots.size):
        k = np.searchsorted(key, at[n])
        while k < key.size and key[k] == at[n] and slot[k] != slots[n]:
            k += 1
        if k < key.size and slot[k] == slots[n]:
            keep[k] = False


@numba.njit(cache=True, nogil=True)
def _pairs(updated: np.ndarray, upd: np.ndarray, key: np.ndarray, kslot: np.ndarray,
           bounds: np.ndarray, vmax: np.ndarray, lat: np.ndarray, lon: np.ndarray,
           t: np.ndarray, speed: np.ndarray, heading: np.ndarray, party: np.ndarray,
           alt: np.ndarray, now: float, lookahead_s: float, stale_s: float, limit_m: float,
           vertical_m: float) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(16, dtype=np.int64)
    m = 0
    pad = limit_m / 2 + 50.0
    for u in updated:
        if not now - t[u] < stale_s:
            continue
        moving_u = math.isfinite(speed[u]) and math.isfinite(heading[u])
        su = speed[u] if moving_u else 0.0
        hu = heading[u] if moving_u else 0.0
        dlat_u, dlon_u = box_of(lat[u], su * (now - t[u] + lookahead_s) + pad)
        for c in range(vmax.size):
            lo_c, hi_c = bounds[c], bounds[c + 1]
            if lo_c == hi_c:
                continue
            win = dlat_u + (vmax[c] * (stale_s + lookahead_s) + pad) / 110_000.0 + _EPS_DEG
            base = c * _SPAN + 90.0
            lo = max(lo_c, np.searchsorted(key[lo_c:hi_c], base + lat[u] - win) + lo_c)
            hi = min(hi_c, np.searchsorted(key[lo_c:hi_c], base + lat[u] + win,
                                           side="right") + lo_c)
            for k in range(lo, hi):
                w = kslot[k]
                if w == u or (w < u and upd[w]):
                    continue
                if not now - t[w] < stale_s:
                    continue
                if kept_apart(party[u], party[w], alt[u], alt[w], vertical_m):
                    continue
                moving_w = math.isfinite(speed[w]) and math.isfinite(heading[w])
                sw = speed[w] if moving_w else 0.0
                hw = heading[w] if moving_w else 0.0
                reach_w = sw * (now - t[w] + lookahead_s) + pad
                if abs(lat[u] - lat[w]) > dlat_u + reach_w / 110_000.0:
                    continue
                _, dlon_w = box_of(lat[w], reach_w)  # (the cosine only for those left)
                i, j = min(u, w), max(u, w)
                if lon_apart(lon[i], lon[j], dlon_u + dlon_w):
                    continue
                si, hi_ = (su, hu) if i == u else (sw, hw)
                sj, hj = (sw, hw) if i == u else (su, hu)
                if flat_far(lat[i], lon[i], hi_, si, t[i], lat[j], lon[j], hj, sj, t[j], now,
                            lookahead_s, limit_m):
                    continue
                out = push(out, m, (i << 32) | j)
                m += 1
    return out[:m]
