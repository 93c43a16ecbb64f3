"""``Monitor``: position reports in, events out (``enter``, ``exit``, ``inside``,
``predicted``, ``nonconforming``, ``proximity``, ``stale``).

What counts: zones, and operations in a binding state (proposed, accepted, active); other
operations are ignored (a track naming one is ``nonconforming``, reason ``"inactive"``).
Every batch is classified whole by :class:`~deconfliction.monitor.grid.ZoneGrid` (exact 4D
containment); track state lives in flat arrays keyed by a track slot, fence state in sorted
``(track, row)`` keys, and the per-report logic runs compiled. See
:mod:`deconfliction.monitor.fences` (enter/exit/inside, hysteresis, expiry),
:mod:`deconfliction.monitor.predict`, :mod:`deconfliction.monitor.proximity` and
:mod:`deconfliction.monitor.tracks` (ordering and duplicates) for the rules; in short:

* a batch may hold many reports per track, in any order: each track's reports are taken in
  time order; reports older than the track's last accepted one (from an earlier batch) are
  ignored and counted as ``out_of_order``, exact repeats as ``duplicates``;
* ``details["allowed"]`` on ``enter``/``exit``/``inside``: the track's party is the zone's
  owner or allowed (:func:`deconfliction.core.rules.rule_for` finds no conflict between the
  party and the zone), or a participant of the operation; a channel alerts on ``False``;
* ``nonconforming``: a report naming an operation is in none of its volumes (4D); once per
  excursion (``details["reason"]``: ``"horizontal"``, ``"altitude"``, ``"time"``,
  ``"inactive"``, ``"unknown_operation"``); a conforming report, or another operation,
  ends the excursion;
* ``predicted``: once per (track, volume) while each report keeps predicting it;
* ``proximity``: once per pair of tracks until a batch finds them apart; the event has the
  time the pair was found (the batch's latest report time) and each track's last position;
* staleness and volume expiry for tracks that do not report are decided by :meth:`flush`,
  which a runner calls with its clock (expiry for reporting tracks is found in
  :meth:`ingest` too).

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Zone
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> from deconfliction.monitor.batch import TrackBatch
>>> zone = Zone(id="at-tanf", name="At Tanf", owner="coalition", allowed=frozenset({"mat"}),
...     volumes=(Volume4D(Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0,
...              TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None)),))
>>> m = Monitor([zone])
>>> t = datetime(2018, 9, 10, tzinfo=timezone.utc).timestamp()
>>> b = TrackBatch.of(track=["rf01", "rf01"], party=["russia"] * 2, t_s=[t, t + 60],
...                   lat=[34.2, 33.9], lon=[38.2, 38.4], alt_m=[3000.0, 3000.0])
>>> [(e.kind, e.object_id, e.details["allowed"]) for e in m.ingest(b)]
[('enter', 'at-tanf', False)]
>>> [e.kind for e in m.flush(t + 600)]
['exit', 'stale']
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.rules import rule_for
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.monitor import events as ev
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.events import EventTable, MonitorConfig
from deconfliction.monitor.fences import IN, SHIFT, PairStore, advance
from deconfliction.monitor.grid import ZoneGrid
from deconfliction.monitor.kernels import T1
from deconfliction.monitor.margins import horizontal_member
from deconfliction.monitor.nearindex import NearIndex
from deconfliction.monitor.predict import PAD_M, course_candidates, first_entry, reach_m
from deconfliction.monitor.proximity import (
    FEW_UPDATED,
    candidate_pairs,
    closest_approach,
    planar_close,
)
from deconfliction.monitor.tracks import Prepared, TrackTable, commit, prepare

__all__ = ["Monitor", "MonitorStats"]

IntArray = npt.NDArray[np.int64]
_MASK = np.int64((1 << 32) - 1)
#: reports per step of the prediction (its candidates are many: this bounds their memory)
_CHUNK = 100_000


class Geom(NamedTuple):
    """The row and outline columns the compiled kernels read."""

    rowf: np.ndarray
    rowi: np.ndarray
    vlat: np.ndarray
    vlon: np.ndarray
    vu: np.ndarray
    start: np.ndarray
    end: np.ndarray
    normal: np.ndarray
    az: np.ndarray
    length: np.ndarray


@dataclass
class MonitorStats:
    """Counters since the monitor was made."""

    batches: int = 0
    reports: int = 0
    accepted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    tracks: int = 0
    fence_pairs: int = 0
    events: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: seconds spent per step of :meth:`Monitor.ingest` (prepare, classify, fences,
    #: nonconforming, predicted, proximity)
    phase_s: dict[str, float] = field(default_factory=dict)


def _counted(obj: Zone | Operation) -> bool:
    return isinstance(obj, Zone) or obj.binding


def _open(obj: Zone | Operation, pad_m: float) -> Zone | Operation:
    """``obj`` grown by ``pad_m``, every band and time window open: the candidate grid."""
    vols = tuple(Volume4D(v.outline, -1_000.0, 100_000.0, TimeInterval(None, None))
                 for v in obj.volumes)
    return dataclasses.replace(obj, volumes=vols, buffer_m=obj.buffer_m + pad_m)


#: the default settings (frozen, so one instance serves every monitor)
DEFAULT_CONFIG = MonitorConfig()


@dataclass
class _Due:
    """When a flush must look at every fence pair or every track again (bounds that make
    the usual flush, with nothing expiring or falling silent, cost nothing).

    No pair in a volume ends before :attr:`expiry_s`. Until :attr:`until_s`, only the
    tracks in :attr:`watch` can fall silent: every other track's last report is at least
    ``until_s - stale_s`` (it was at the last full look, or :meth:`reported` since).
    """

    expiry_s: float = -math.inf
    until_s: float = -math.inf
    watch: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: the earliest last report time a batch left since the last full look
    low_t: float = math.inf

    def entered(self, end_s: npt.NDArray[np.float64]) -> None:
        """Pairs are in volumes ending at ``end_s``."""
        if end_s.size:
            self.expiry_s = min(self.expiry_s, float(end_s.min()))

    def reported(self, last_t: npt.NDArray[np.float64]) -> None:
        """Tracks now have these last report times."""
        if last_t.size:
            self.low_t = min(self.low_t, float(last_t.min()))

    def silent(self, tr: TrackTable, now_s: float, stale_s: float) -> IntArray:
        """The live tracks silent ``stale_s`` or longer at ``now_s`` (ascending slots)."""
        if now_s < self.until_s and self.low_t >= self.until_s - stale_s:
            w = self.watch[tr.alive[self.watch]]
            return w[now_s - tr.last_t[w] >= stale_s]
        live = tr.live()
        silent = now_s - tr.last_t[live] >= stale_s
        rest = live[~silent]
        self.until_s = now_s + max(stale_s / 4.0, 1.0)
        self.watch = rest[tr.last_t[rest] < self.until_s - stale_s]
        self.low_t = math.inf
        return live[silent]


class Monitor:
    """Live monitoring of tracks against zones and operations (see the module doc)."""

    def __init__(self, objects: Iterable[Zone | Operation] = (),
                 config: MonitorConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._grid = ZoneGrid()
        self._pad = ZoneGrid()
        self._objects: dict[str, Zone | Operation] = {}
        self._given: dict[str, Zone | Operation] = {}
        self._tracks = TrackTable()
        self._fences = PairStore(state=np.int8, since=np.float64, emit=np.float64)
        self._predicted = PairStore()
        self._near = PairStore()
        self._near_index = NearIndex()
        self._due = _Due()
        self._row_obj: list[str] = []
        self._row_kind: list[str] = []
        self._row_owner: list[str] = []
        self._row_vol: list[int] = []
        self._row_parties: list[frozenset[str]] = []
        self._row_arrays: tuple[np.ndarray, ...] = ()
        self._allowed_cache: dict[tuple[int, str], bool] = {}
        self._stats = MonitorStats()
        self.set_objects(objects, -math.inf)

    def fork(self) -> Monitor:
        """A monitor of the same objects and settings with no tracks, sharing this one's
        built grids (until either one's objects change): one per partition of a track
        stream costs no rebuild."""
        new = copy.copy(self)
        new._grid, new._pad = self._grid.fork(), self._pad.fork()
        new._objects, new._given = dict(self._objects), dict(self._given)
        new._row_obj, new._row_kind = list(self._row_obj), list(self._row_kind)
        new._row_owner, new._row_vol = list(self._row_owner), list(self._row_vol)
        new._row_parties = list(self._row_parties)
        new._tracks = TrackTable()
        new._fences = PairStore(state=np.int8, since=np.float64, emit=np.float64)
        new._predicted, new._near = PairStore(), PairStore()
        new._near_index = NearIndex()
        new._due = _Due()
        new._allowed_cache = {}
        new._stats = MonitorStats()
        return new

    def track_state(self) -> dict[str, object]:
        """The tracks' state (picklable; valid only with the same objects, see
        :meth:`restore_tracks`)."""
        return {"tracks": self._tracks, "fences": self._fences, "predicted": self._predicted,
                "near": self._near, "stats": self._stats}

    def restore_tracks(self, state: dict[str, object]) -> None:
        """Take the tracks' state from :meth:`track_state` of a monitor that watched the
        same objects (the fence state refers to their volume rows)."""
        self._tracks = state["tracks"]  # type: ignore[assignment]
        self._fences = state["fences"]  # type: ignore[assignment]
        self._predicted = state["predicted"]  # type: ignore[assignment]
        self._near = state["near"]  # type: ignore[assignment]
        self._stats = state["stats"]  # type: ignore[assignment]
        self._due = _Due()
        self._near_index = NearIndex()
        if self.config.proximity_m > 0.0:
            tr = self._tracks
            self._near_index.update(tr.live(), tr.lat, tr.speed, tr.heading)

    def drop_tracks(self, names: Iterable[str]) -> int:
        """Forget the tracks ``names`` (those it has) without any event: their fences,
        predictions and proximity pairs go with them (a stream partition is told a track
        left its region). Returns how many it had."""
        tr = self._tracks
        slots = np.array(sorted({tr.ids[n] for n in names if n in tr.ids}), dtype=np.int64)
        if slots.size == 0:
            return 0
        empty = np.zeros(0, dtype=np.int64)
        self._fences.replace(self._fences.positions_of(slots), empty,
                             state=np.zeros(0, dtype=np.int8), since=np.zeros(0),
                             emit=np.zeros(0))
        self._predicted.replace(self._predicted.positions_of(slots), empty)
        dead = np.zeros(tr.alive.size, dtype=bool)
        dead[slots] = True
        near = self._near.keys
        self._near.keep(~(dead[near >> SHIFT] | dead[near & _MASK]))
        self._near_index.remove(slots)
        tr.drop(slots)
        return int(slots.size)

    # ----------------------------------------------------------------- objects
    @property
    def tracks(self) -> int:
        """Live tracks."""
        return len(self._tracks)

    @property
    def stats(self) -> MonitorStats:
        """A snapshot of the counters."""
        s = dataclasses.replace(self._stats, events=dict(self._stats.events),
                                phase_s=dict(self._stats.phase_s))
        s.tracks, s.fence_pairs = len(self._tracks), len(self._fences)
        return s

    def _add(self, obj: Zone | Operation) -> list[int]:
        rows = self._grid.add(obj)
        if self._pad.add(_open(obj, PAD_M)) != rows:  # pragma: no cover - same add order
            raise AssertionError("candidate grid out of step")
        kind = "zone" if isinstance(obj, Zone) else "operation"
        parties = obj.allowed if isinstance(obj, Zone) else obj.participants
        for n, _ in enumerate(obj.volumes):
            self._row_obj.append(obj.id)
            self._row_kind.append(kind)
            self._row_owner.append(obj.owner)
            self._row_vol.append(n)
            self._row_parties.append(frozenset(parties))
        self._objects[obj.id] = obj
        return rows

    def _remove(self, obj_id: str) -> list[int]:
        self._pad.remove(obj_id)
        del self._objects[obj_id]
        return self._grid.remove(obj_id)

    def set_objects(self, objects: Iterable[Zone | Operation], now_s: float) -> list[ev.Event]:
        """:meth:`set_objects_table`, its events as objects."""
        return self.set_objects_table(objects, now_s).events()

    def set_objects_table(self, objects: Iterable[Zone | Operation], now_s: float
                          ) -> EventTable:
        """Replace the zones and operations watched; returns the ``exit`` events at
        ``now_s`` for tracks inside volumes that no longer count (reason ``"deleted"``, or
        ``"inactive"`` for an operation no longer binding). An object whose version changed
        is re-indexed; tracks inside one of its volumes stay inside the volume with the same
        index (their next report decides), and get an ``exit`` (``"deleted"``) from volumes
        it no longer has."""
        given = {o.id: o for o in objects}
        self._given = given
        want = {k: o for k, o in given.items() if _counted(o)}
        gone: dict[int, str] = {}
        remap: dict[int, int] = {}
        for oid in list(self._objects):
            old = self._objects[oid]
            new = want.get(oid)
            if new is not None and new.version == old.version and new == old:
                continue
            rows = self._remove(oid)
            if new is None:
                reason = "inactive" if oid in given else "deleted"
                gone.update({r: reason for r in rows})
            else:
                new_rows = self._add(new)
                for n, r in enumerate(rows):
                    if n < len(new_rows):
                        remap[r] = new_rows[n]
                    else:
                        gone[r] = "deleted"
        for oid, obj in want.items():
            if oid not in self._objects:
                self._add(obj)
        self._row_arrays = (np.array(self._row_obj, dtype=object),
                            np.array(self._row_kind, dtype=object),
                            np.array(self._row_owner, dtype=object),
                            np.array(self._row_vol, dtype=np.int64))
        self._row_opid = np.array([o if k == "operation" else None for o, k in
                                   zip(self._row_obj, self._row_kind, strict=True)], dtype=object)
        out = self._retire_rows(gone, remap, now_s)
        self._due.expiry_s = -math.inf  # rows changed
        return self._finish(out, 0.0)

    def _retire_rows(self, gone: dict[int, str], remap: dict[int, int], now_s: float,
                     ) -> EventTable:
        f = self._fences
        if not (gone or remap) or len(f) == 0:
            return EventTable.empty()
        rows = f.keys & _MASK
        slots = f.keys >> SHIFT
        gone_rows = np.array(sorted(gone), dtype=np.int64)
        hit = np.isin(rows, gone_rows)
        out_k = np.nonzero(hit & (f.cols["state"] == IN))[0]
        table = self._exits(slots[out_k], rows[out_k], np.full(out_k.size, now_s),
                            np.array([gone[int(r)] for r in rows[out_k]], dtype=object))
        f.keep(~hit)
        if remap:
            rows = f.keys & _MASK
            new_rows = np.array([remap.get(int(r), int(r)) for r in rows], dtype=np.int64)
            f.rekey(((f.keys >> SHIFT) << SHIFT) | new_rows)
        for store in (self._predicted,):
            r = store.keys & _MASK
            store.keep(~np.isin(r, np.array(sorted(set(gone) | set(remap)), dtype=np.int64)))
        return table

    def build(self) -> None:
        """Build the zone grids now (otherwise the next batch does, after a change)."""
        self._grid.build()
        self._pad.build()

    # ----------------------------------------------------------------- helpers
    def _allowed(self, rows: IntArray, parties: np.ndarray) -> npt.NDArray[np.int8]:
        """1 where the party may be in the row's object, else 0."""
        out = np.empty(rows.size, dtype=np.int8)
        cache = self._allowed_cache
        for i, (r, p) in enumerate(zip(rows.tolist(), parties.tolist(), strict=True)):
            a = cache.get((r, p))
            if a is None:
                kind, owner, members = (self._row_kind[r], self._row_owner[r],
                                        self._row_parties[r])
                if kind == "zone":
                    a = bool(p) and rule_for(("operation", p, frozenset({p})),
                                             ("zone", owner, members)) is None
                else:
                    a = p in members
                cache[(r, p)] = a
            out[i] = a
        return out

    def _row_table(self, kind: object, slots: IntArray, rows: IntArray, t: object,
                   lat: object, lon: object, alt: object, **extra: object) -> EventTable:
        obj, okind, owner, vol = (a[rows] for a in self._row_arrays)
        tr = self._tracks
        party = tr.party[slots]
        return EventTable.build(
            rows.size, kind, tr.name[slots], party, t, lat, lon, alt, object_id=obj,
            object_kind=okind, owner=owner, volume=vol,
            allowed=self._allowed(rows, party), slot=slots, **extra)

    def _exits(self, slots: IntArray, rows: IntArray, t: np.ndarray, reason: np.ndarray,
               ) -> EventTable:
        tr = self._tracks
        return self._row_table(ev.EXIT, slots, rows, t, tr.lat[slots], tr.lon[slots],
                               tr.alt[slots], reason=reason)

    def _geom(self) -> Geom:
        cols = self._grid.build().cols
        return Geom(*(cols[k] for k in Geom._fields))

    def _classify(self, p: Prepared) -> tuple[IntArray, IntArray]:
        fin = np.isfinite(p.alt)
        if fin.all():
            return self._grid.classify(p.lat, p.lon, p.alt, p.t)
        a, b = np.nonzero(fin)[0], np.nonzero(~fin)[0]
        i1, r1 = self._grid.classify(p.lat[a], p.lon[a], p.alt[a], p.t[a])
        i2, r2 = self._pad.classify(p.lat[b], p.lon[b], np.zeros(b.size), np.zeros(b.size))
        i2 = b[i2]
        ok = horizontal_member(i2, r2, p.lat, p.lon, p.t, *self._geom())
        rep = np.concatenate([a[i1], i2[ok]])
        row = np.concatenate([r1, r2[ok]])
        order = np.lexsort((row, rep))
        return rep[order], row[order]

    def _finish(self, table: EventTable, started: float) -> EventTable:
        table = table.sorted()
        for k, n in table.counts().items():
            self._stats.events[k] = self._stats.events.get(k, 0) + n
        if started:
            self._stats.seconds += time.perf_counter() - started
        return table

    # ----------------------------------------------------------------- ingest
    def ingest(self, batch: TrackBatch) -> list[ev.Event]:
        """Evaluate a batch of reports; returns its events, sorted by time (each track's in
        time order, an ``exit`` before an ``enter`` at the same time)."""
        return self.ingest_table(batch).events()

    def ingest_table(self, batch: TrackBatch,
                     predict: npt.NDArray[np.bool_] | None = None) -> EventTable:
        """:meth:`ingest` with the events as columns (no Python object per event).

        ``predict`` (one flag per report of ``batch``): the reports whose entries are
        predicted (default all); a report left out predicts nothing, and its track's last
        predictions are forgotten (a region partition's far ghosts,
        :data:`~deconfliction.monitor.stream.region.FAR`)."""
        if predict is not None and np.shape(predict) != (len(batch),):
            raise ValidationError("BAD_REPORTS", f"{np.size(predict)} predict flags for "
                                  f"{len(batch)} reports", "predict")
        started = time.perf_counter()
        clock = [started]
        phase = self._stats.phase_s

        def lap(name: str) -> None:
            now = time.perf_counter()
            phase[name] = phase.get(name, 0.0) + now - clock[0]
            clock[0] = now

        p = prepare(batch, self._tracks)
        lap("prepare")
        s = self._stats
        s.batches += 1
        s.reports += p.received
        s.accepted += len(p)
        s.duplicates += p.duplicates
        s.out_of_order += p.out_of_order
        if len(p) == 0:
            return self._finish(EventTable.empty(), started)
        tr = self._tracks
        g = p.gtrack
        before = (tr.lat[g].copy(), tr.lon[g].copy(), tr.alt[g].copy())
        hit_rep, hit_row = self._classify(p)
        lap("classify")
        tables = [self._fence_events(p, hit_rep, hit_row, before)]
        lap("fences")
        tables.append(self._nonconforming(p, hit_rep, hit_row))
        lap("nonconforming")
        tables.append(self._predictions(p, hit_rep, hit_row,
                                        None if predict is None else predict[p.src]))
        lap("predicted")
        commit(p, tr)
        self._due.reported(tr.last_t[g])
        tables.append(self._proximity(p))
        lap("proximity")
        out = self._finish(EventTable.concat(tables), started)
        lap("events")
        return out

    def _fence_events(self, p: Prepared, hit_rep: IntArray, hit_row: IntArray,
                      before: tuple[np.ndarray, ...]) -> EventTable:
        f = self._fences
        c = self.config
        n = len(p)
        hit_off = np.searchsorted(hit_rep, np.arange(n + 1)).astype(np.int64)
        old_pos = f.positions_of(p.gtrack)
        keys = np.union1d(f.key_at(old_pos), (p.slot[hit_rep] << SHIFT) | hit_row)
        at = f.find(keys)
        found = at >= 0
        state = np.zeros(keys.size, dtype=np.int8)
        since = np.full(keys.size, np.nan)
        emit = np.full(keys.size, -np.inf)
        for name, col in (("state", state), ("since", since), ("emit", emit)):
            col[found] = f.col_at(name, at[found])
        pgroup = np.searchsorted(p.gtrack, keys >> SHIFT).astype(np.int64)
        prow = keys & _MASK
        geom = self._geom()
        e_pair, e_rep, e_code, e_t, e_reason, e_since, e_margin = advance(
            pgroup, prow, state, since, emit, p.goff, p.t, p.lat, p.lon, p.alt, hit_off,
            hit_row, *geom, c.dwell_enter_s,
            c.dwell_enter_m, c.dwell_exit_s, c.dwell_exit_m, c.inside_interval_s)
        keep = (state == IN) | ~np.isnan(since)
        f.replace(old_pos, keys[keep], state=state[keep], since=since[keep], emit=emit[keep])
        self._due.entered(geom.rowf[prow[state == IN], T1])
        if e_pair.size == 0:
            return EventTable.empty()
        slots = keys[e_pair] >> SHIFT
        rows = prow[e_pair]
        mine = e_rep >= 0
        r = np.where(mine, e_rep, 0)
        grp = np.where(mine, 0, -1 - e_rep)
        lat = np.where(mine, p.lat[r], before[0][grp])
        lon = np.where(mine, p.lon[r], before[1][grp])
        alt = np.where(mine, p.alt[r], before[2][grp])
        reason = np.array([None, "left", "expired"], dtype=object)[e_reason.astype(np.int64) + 1]
        reason[e_code != ev.EXIT] = None
        # the party of the report (the track's state is updated after)
        table = self._row_table(e_code, slots, rows, e_t, lat, lon, alt, reason=reason,
                                since_t_s=e_since, margin_m=e_margin)
        table.party = np.where(mine, p.party[r], self._tracks.party[slots])
        table.allowed = self._allowed(rows, table.party)
        return table

    def _nonconforming(self, p: Prepared, hit_rep: IntArray, hit_row: IntArray) -> EventTable:
        op = p.op
        has = op != ""
        tr = self._tracks
        if not has.any() and not tr.nonconf[p.gtrack].any():
            return EventTable.empty()
        conform = np.zeros(len(p), dtype=bool)
        match = self._row_opid[hit_row] == op[hit_rep]
        conform[hit_rep[match]] = True
        nonc = has & ~conform
        first = np.zeros(len(p), dtype=bool)
        first[p.goff[:-1]] = True
        prev = np.empty(len(p), dtype=bool)
        prev[1:] = nonc[:-1]
        prev_op = np.empty(len(p), dtype=object)
        prev_op[1:] = op[:-1]
        prev[first] = tr.nonconf[p.gtrack]
        prev_op[first] = tr.op[p.gtrack]
        prev &= np.asarray(prev_op == op, dtype=bool)
        tr.nonconf[p.gtrack] = nonc[p.goff[1:] - 1]
        idx = np.nonzero(nonc & ~prev)[0]
        if idx.size == 0:
            return EventTable.empty()
        ids, owners, reasons = [], [], []
        for i in idx.tolist():
            name = op[i]
            obj = self._given.get(name)
            ids.append(name)
            owners.append(obj.owner if obj is not None else None)
            reasons.append("inactive" if obj is not None and name not in self._objects
                           else self._why(obj, float(p.t[i]), float(p.alt[i])))
        return EventTable.build(
            idx.size, ev.NONCONFORMING, tr.name[p.slot[idx]], p.party[idx], p.t[idx],
            p.lat[idx], p.lon[idx], p.alt[idx], object_id=np.array(ids, dtype=object),
            object_kind="operation", owner=np.array(owners, dtype=object),
            reason=np.array(reasons, dtype=object), slot=p.slot[idx])

    @staticmethod
    def _why(obj: Zone | Operation | None, t: float, alt: float) -> str:
        if obj is None:
            return "unknown_operation"
        now = [v for v in obj.volumes if v.time.start_s <= t < v.time.end_s]
        if not now:
            return "time"
        if not math.isnan(alt) and not any(v.alt_lower_m <= alt <= v.alt_upper_m for v in now):
            return "altitude"
        return "horizontal"

    def _predictions(self, p: Prepared, hit_rep: IntArray, hit_row: IntArray,
                     predict: npt.NDArray[np.bool_] | None) -> EventTable:
        c = self.config
        sp, hd = p.speed, p.heading
        ok = np.isfinite(sp) & (sp >= 0.0) & (np.isfinite(hd) | (sp == 0.0))
        if predict is not None:
            ok &= predict
        store = self._predicted
        old_pos = store.positions_of(p.gtrack)
        # no look-ahead: nothing can be predicted (an entry at the report's own time is
        # the classifier's to find)
        every = np.nonzero(ok)[0] if len(self._objects) and c.lookahead_s > 0 else np.zeros(
            0, dtype=np.int64)
        if every.size == 0 and old_pos.size == 0:
            return EventTable.empty()  # nothing to predict, nothing predicted to forget
        geom = self._geom()
        ef = self._grid.build().cols["ef"]
        pad = self._pad.build()
        pc = pad.cols
        own_lo = np.searchsorted(hit_rep, every)
        own_hi = np.searchsorted(hit_rep, every, side="right")
        parts: list[tuple[np.ndarray, ...]] = []
        for lo in range(0, every.size, _CHUNK):  # bounded memory: candidates are many
            idx = every[lo:lo + _CHUNK]
            heading = np.where(np.isfinite(hd[idx]), hd[idx], 0.0)
            crep, crow, s_from, s_to = course_candidates(
                idx, p.t, p.lat, p.lon, p.alt, heading, reach_m(sp[idx], c.lookahead_s),
                c.lookahead_s, own_lo[lo:lo + _CHUNK], own_hi[lo:lo + _CHUNK], hit_row,
                geom.rowf, self._pad.cell_deg, pad.nx, pad.iy0, pad.cell_off, pad.cand_row,
                pad.cand_status, pad.cand_par, pad.poff, pad.pieces, pad.row_hq,
                pc["rowf"], pc["rowi"], pc["ef"], pc["vlat"], pc["vlon"], pc["vu"],
                pc["start"], pc["end"], pc["normal"], pc["az"], pc["length"])
            if crep.size == 0:
                continue
            tau, elat, elon = first_entry(crep, crow, s_from, s_to, p.t, p.lat, p.lon, p.alt,
                                          sp, hd, c.lookahead_s, *geom, ef)
            good = np.isfinite(tau)
            parts.append((crep[good], crow[good], tau[good], elat[good], elon[good]))
        empty = np.zeros(0, dtype=np.int64)
        pk, prow, tau, elat, elon = (
            (np.concatenate([x[i] for x in parts]) for i in range(5)) if parts
            else (empty, empty, np.zeros(0), np.zeros(0), np.zeros(0)))
        # once per (track, row): new unless the report before predicted it too
        group = p.group[pk]
        is_first = pk == p.goff[group]
        by_rep = (pk << SHIFT) | prow
        prev_rep = ((pk - 1) << SHIFT) | prow
        seen_in_batch = np.isin(prev_rep, by_rep) & ~is_first
        by_track = (p.slot[pk] << SHIFT) | prow
        seen_before = (store.find(by_track) >= 0) & is_first
        new = ~(seen_in_batch | seen_before)
        last = pk == p.goff[group + 1] - 1
        store.replace(old_pos, np.unique(by_track[last]))
        i = np.nonzero(new)[0]
        if i.size == 0:
            return EventTable.empty()
        r = pk[i]
        table = self._row_table(ev.PREDICTED, p.slot[r], prow[i], p.t[r], p.lat[r],
                                p.lon[r], p.alt[r], time_to_boundary_s=tau[i],
                                entry_t_s=p.t[r] + tau[i], entry_lat=elat[i],
                                entry_lon=elon[i])
        table.party = p.party[r]
        table.allowed = self._allowed(prow[i], table.party)
        return table

    def _proximity(self, p: Prepared) -> EventTable:
        c = self.config
        if c.proximity_m <= 0.0:
            return EventTable.empty()
        tr = self._tracks
        now = float(p.t.max())
        index = self._near_index
        index.update(p.gtrack, tr.lat, tr.speed, tr.heading)  # where they are now
        upd = np.zeros(tr.alive.size, dtype=bool)
        upd[p.gtrack] = True
        if p.gtrack.size <= FEW_UPDATED * len(index):
            # a few tracks moved: search from each over the index (no pass over every track)
            keys = index.pairs(p.gtrack, upd, tr.lat, tr.lon, tr.last_t, tr.speed,
                               tr.heading, tr.pcode, tr.alt, now, c.lookahead_s, c.stale_s,
                               c.proximity_m, c.proximity_vertical_m)
        else:
            live = tr.live()
            live = live[now - tr.last_t[live] < c.stale_s]
            moving = np.isfinite(tr.speed[live]) & np.isfinite(tr.heading[live])
            sp = np.where(moving, tr.speed[live], 0.0)
            reach = sp * (now - tr.last_t[live] + c.lookahead_s) + c.proximity_m / 2 + 50.0
            keys = candidate_pairs(live, tr.lat[live], tr.lon[live], reach, upd[live],
                                   tr.pcode[live], tr.last_t[live], sp,
                                   np.where(moving, tr.heading[live], 0.0), now,
                                   c.lookahead_s, c.proximity_m, tr.alt[live],
                                   c.proximity_vertical_m)
        i, j = keys >> SHIFT, keys & _MASK
        # each pair computed in the order of its track ids, not of their slots: the same
        # numbers to the last bit in every monitor holding both (a region partition's slots
        # are its own)
        swap = np.asarray(tr.name[i] > tr.name[j], dtype=bool)
        a_, b_ = np.where(swap, j, i), np.where(swap, i, j)
        store = self._near
        old = store.keys
        # a pair already close (no event to raise) whose flat CPA is certainly within the
        # limit needs no exact CPA: in a dense picture, most pairs each batch
        settled = np.zeros(keys.size, dtype=bool)
        is_known = np.isin(keys, old, assume_unique=True)
        known = np.nonzero(is_known)[0]
        settled[known] = planar_close(a_[known], b_[known], tr.last_t, tr.lat, tr.lon,
                                      tr.speed, tr.heading, now, c.lookahead_s, c.proximity_m)
        solve = np.nonzero(~settled)[0]
        d_now, cpa, cpa_t = np.full(keys.size, np.nan), np.full(keys.size, -np.inf), \
            np.full(keys.size, np.nan)
        d_now[solve], cpa[solve], cpa_t[solve] = closest_approach(
            a_[solve], b_[solve], tr.last_t, tr.lat, tr.lon, tr.speed, tr.heading, now,
            c.lookahead_s, c.proximity_m)
        vert = np.nan_to_num(np.abs(tr.alt[i] - tr.alt[j]))
        close = (cpa < c.proximity_m) & (vert < c.proximity_vertical_m)
        ck = keys[close]
        involved = upd[old >> SHIFT] | upd[old & _MASK]
        new = ~is_known[close]
        store.replace(np.nonzero(involved)[0], ck)
        k = np.nonzero(close)[0][new]
        if k.size == 0:
            return EventTable.empty()
        a = np.concatenate([i[k], j[k]])
        b = np.concatenate([j[k], i[k]])
        two = np.concatenate([k, k])
        return EventTable.build(
            a.size, ev.PROXIMITY, tr.name[a], tr.party[a], now, tr.lat[a], tr.lon[a],
            tr.alt[a], other_track=tr.name[b], other_party=tr.party[b], slot=a, cpa_m=cpa[two],
            cpa_t_s=cpa_t[two], distance_m=d_now[two], vertical_m=vert[two])

    # ----------------------------------------------------------------- flush
    def flush(self, now_s: float) -> list[ev.Event]:
        """Events due by ``now_s`` without a report: ``exit`` (reason ``"expired"``, at the
        end time) from volumes whose window ended while a track was inside, and for tracks
        silent ``stale_s`` or longer: ``exit`` (reason ``"stale"``) from every volume they
        are in and ``stale``, both at ``last report + stale_s``; stale tracks are dropped."""
        return self.flush_table(now_s).events()

    def flush_table(self, now_s: float) -> EventTable:
        """:meth:`flush` with the events as columns.

        Every pair and every track is looked at only when :attr:`_due` says one may have
        expired or fallen silent by ``now_s``; otherwise a flush costs nothing (it runs
        after every batch of a stream)."""
        started = time.perf_counter()
        tr, f, c, due = self._tracks, self._fences, self.config, self._due
        tables = [EventTable.empty()]
        if now_s >= due.expiry_s:
            slots = f.keys >> SHIFT
            rows = f.keys & _MASK
            stale_at = tr.last_t[slots] + c.stale_s
            end = self._geom().rowf[rows, T1] if rows.size else np.zeros(0)
            inside = f.cols["state"] == IN
            expired = inside & (end <= now_s) & (end <= stale_at)
            k = np.nonzero(expired)[0]
            tables.append(self._exits(slots[k], rows[k], end[k],
                                      np.full(k.size, "expired", dtype=object)))
            if k.size:
                f.keep(~expired)
            # an IN pair left ending at or before now_s is one of a silent track (below)
            rest = end[inside & ~expired]
            due.expiry_s = float(rest.min()) if rest.size else math.inf
        gone = due.silent(tr, now_s, c.stale_s)
        if gone.size:
            pos = f.positions_of(gone)
            inside = pos[f.col_at("state", pos) == IN]
            s_slots = f.key_at(inside) >> SHIFT
            tables.append(self._exits(s_slots, f.key_at(inside) & _MASK,
                                      tr.last_t[s_slots] + c.stale_s,
                                      np.full(inside.size, "stale", dtype=object)))
            tables.append(EventTable.build(
                gone.size, ev.STALE, tr.name[gone], tr.party[gone],
                tr.last_t[gone] + c.stale_s, tr.lat[gone], tr.lon[gone], tr.alt[gone],
                reason="stale", slot=gone, silent_s=now_s - tr.last_t[gone]))
            f.replace(pos, np.zeros(0, dtype=np.int64), state=np.zeros(0, dtype=np.int8),
                      since=np.zeros(0), emit=np.zeros(0))
            self._predicted.replace(self._predicted.positions_of(gone),
                                    np.zeros(0, dtype=np.int64))
            near = self._near.keys
            dead = np.zeros(tr.alive.size, dtype=bool)
            dead[gone] = True
            self._near.keep(~(dead[near >> SHIFT] | dead[near & _MASK]))
            table = EventTable.concat(tables)
            self._near_index.remove(gone)
            tr.drop(gone)
            return self._finish(table, started)
        return self._finish(EventTable.concat(tables), started)
