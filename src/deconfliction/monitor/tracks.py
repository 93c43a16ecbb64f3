"""Track state as columns, and a batch of reports put in order for the engine.

Each track (by its id string) has a slot: an index into flat arrays holding its last accepted
report (time, position, altitude, speed, heading, party, declared operation) and whether it
is off its operation's volume. Slots of tracks dropped as stale are reused.

:func:`prepare` sorts a batch by (track, time) (stable: reports with equal times keep their
order) and drops what must not change state, counting it:

* ``out_of_order``: older than the track's last accepted report, or at the same time with
  different content (the first report for a time wins);
* ``duplicates``: the same time and the same content as the report before it.

>>> tt = TrackTable()
>>> from deconfliction.monitor.batch import TrackBatch
>>> b = TrackBatch.of(track=["a", "a", "b", "a"], t_s=[2.0, 1.0, 5.0, 2.0],
...                   lat=[0, 0, 1, 0], lon=[0, 0, 1, 0])
>>> p = prepare(b, tt)
>>> p.t.tolist(), p.duplicates, p.gtrack.tolist()
([1.0, 2.0, 5.0], 1, [0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt

from deconfliction.monitor.batch import TrackBatch

__all__ = ["Prepared", "TrackTable", "prepare"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_FLOATS = ("last_t", "lat", "lon", "alt", "speed", "heading")


class TrackTable:
    """Slots of live tracks and their last accepted report."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._free: list[int] = []
        self.size = 0
        cap = 16
        self.name = np.empty(cap, dtype=object)
        self.party = np.empty(cap, dtype=object)
        self.op = np.empty(cap, dtype=object)
        self.last_t = np.full(cap, -np.inf)
        self.lat, self.lon, self.alt, self.speed, self.heading = (
            np.zeros(cap) for _ in range(5))
        self.nonconf = np.zeros(cap, dtype=bool)
        self.alive = np.zeros(cap, dtype=bool)
        #: party as a small integer (``-1``: unknown), and the codes
        self.pcode = np.full(cap, -1, dtype=np.int64)
        self.party_codes: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def _grow(self, need: int) -> None:
        cap = self.alive.size
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in ("name", "party", "op", *_FLOATS, "nonconf", "alive", "pcode"):
            old = getattr(self, name)
            a = np.empty(new, dtype=old.dtype) if old.dtype == object else np.zeros(
                new, dtype=old.dtype)
            if name == "last_t":
                a[:] = -np.inf
            a[:cap] = old
            setattr(self, name, a)

    def slots(self, names: np.ndarray) -> IntArray:
        """The slot of each track id in ``names``, giving new tracks a slot (a freed one
        first, the last freed first, else the next new one; in order of first sight)."""
        ids = self.ids
        listed = names.tolist()
        idx = np.fromiter(map(ids.get, listed, repeat(-1)), dtype=np.int64, count=names.size)
        new = np.nonzero(idx < 0)[0]
        if new.size:
            unseen = names[new].tolist()
            fresh = list(dict.fromkeys(unseen))
            reused = self._free[::-1][:len(fresh)]
            del self._free[len(self._free) - len(reused):]
            start = self.size
            self.size += len(fresh) - len(reused)
            self._grow(self.size)
            got = np.array(reused + list(range(start, self.size)), dtype=np.int64)
            named = np.empty(len(fresh), dtype=object)
            named[:] = fresh  # the same str objects as the keys of ``ids``
            self.name[got], self.alive[got], self.last_t[got] = named, True, -np.inf
            self.party[got], self.op[got], self.nonconf[got] = "", "", False
            self.pcode[got] = -1  # the code of party "" (unknown)
            ids.update(zip(fresh, got.tolist(), strict=True))
            idx[new] = np.fromiter(map(ids.__getitem__, unseen), dtype=np.int64,
                                   count=new.size)
        return idx

    def drop(self, slots: IntArray) -> None:
        """Forget the tracks in ``slots`` (their slots are reused)."""
        for i in slots.tolist():
            del self.ids[self.name[i]]
            self.alive[i] = False
            self.name[i] = None
            self._free.append(i)

    def live(self) -> IntArray:
        """Slots of live tracks."""
        return np.nonzero(self.alive[: self.size])[0]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch's accepted reports sorted by (slot, time), grouped by track.

    Group ``g`` is track slot ``gtrack[g]`` with reports ``goff[g]:goff[g + 1]``.
    """

    slot: IntArray
    t: FloatArray
    lat: FloatArray
    lon: FloatArray
    alt: FloatArray
    speed: FloatArray
    heading: FloatArray
    party: np.ndarray
    op: np.ndarray
    group: IntArray
    goff: IntArray
    gtrack: IntArray
    received: int
    duplicates: int
    out_of_order: int
    #: each report's index in the batch it came from
    src: IntArray

    def __len__(self) -> int:
        return int(self.t.size)


def _same(a: np.ndarray, b: np.ndarray) -> npt.NDArray[np.bool_]:
    if a.dtype == object:
        return np.asarray(a == b, dtype=bool)
    return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)))


def prepare(batch: TrackBatch, tracks: TrackTable) -> Prepared:
    """Slots, order and the reports to drop (see the module doc); updates nothing else."""
    n = len(batch)
    slot = tracks.slots(batch.track)
    order = np.lexsort((batch.t_s, slot))
    s = slot[order]
    cols = {name: getattr(batch, name)[order] for name in
            ("t_s", "lat", "lon", "alt_m", "speed_mps", "heading_deg", "party", "operation")}
    first = np.ones(n, dtype=bool)
    first[1:] = s[1:] != s[:-1]
    # reports before the state's last time are out of order whatever comes between; the
    # first report after them is compared with the state
    stale = cols["t_s"] < tracks.last_t[s]
    first[1:] |= stale[:-1]
    # the report each one is compared with: the one before it, or the track's last state
    prev = {}
    for name, state in (("t_s", tracks.last_t), ("lat", tracks.lat), ("lon", tracks.lon),
                        ("alt_m", tracks.alt), ("speed_mps", tracks.speed),
                        ("heading_deg", tracks.heading), ("party", tracks.party),
                        ("operation", tracks.op)):
        c = cols[name]
        p = np.empty_like(c)
        p[1:] = c[:-1]
        p[first] = state[s[first]]
        prev[name] = p
    t, pt = cols["t_s"], prev["t_s"]
    equal_t = t == pt
    same = equal_t.copy()
    for name in ("lat", "lon", "alt_m", "speed_mps", "heading_deg", "party", "operation"):
        same &= _same(cols[name], prev[name])
    dup = same & ~stale
    bad = stale | (equal_t & ~same)
    keep = ~(dup | bad)
    k = np.nonzero(keep)[0]
    ks = s[k]
    newg = np.ones(k.size, dtype=bool)
    newg[1:] = ks[1:] != ks[:-1]
    starts = np.nonzero(newg)[0]
    goff = np.append(starts, k.size).astype(np.int64)
    group = np.cumsum(newg) - 1
    return Prepared(ks, t[k], cols["lat"][k], cols["lon"][k], cols["alt_m"][k],
                    cols["speed_mps"][k], cols["heading_deg"][k], cols["party"][k],
                    cols["operation"][k], group.astype(np.int64), goff, ks[starts],
                    n, int(dup.sum()), int(bad.sum()), order[k])


def commit(p: Prepared, tracks: TrackTable) -> None:
    """Make each group's last report its track's state."""
    last = p.goff[1:] - 1
    g = p.gtrack
    party = p.party[last]
    # a track's party code changes only with its party (a new track's is "", code -1)
    moved = np.nonzero(np.asarray(tracks.party[g] != party, dtype=bool))[0]
    tracks.last_t[g], tracks.lat[g], tracks.lon[g] = p.t[last], p.lat[last], p.lon[last]
    tracks.alt[g], tracks.speed[g], tracks.heading[g] = p.alt[last], p.speed[last], \
        p.heading[last]
    tracks.party[g], tracks.op[g] = party, p.op[last]
    if moved.size:
        codes = tracks.party_codes
        names = party[moved].tolist()
        for name in set(names):
            if name and name not in codes:
                codes[name] = len(codes)
        tracks.pcode[g[moved]] = np.fromiter((codes.get(x, -1) for x in names),
                                             dtype=np.int64, count=moved.size)
