"""The conflict engine: an index of stored volumes and the exact 4D check against it.

``ConflictIndex`` keeps every volume of every stored zone and operation in flat numpy
arrays (time, altitude band, buffer, bounding cap) and a shapely ``STRtree`` of
conservative lat/lon boxes. Checking an object goes, per volume:

1. the tree gives the volumes whose grown boxes meet the grown query box;
2. time, altitude, binding state and the rules (:mod:`deconfliction.core.rules`) cut them;
3. bounding caps give an exact lower bound of the distance (triangle inequality), which
   settles circle–circle pairs exactly and drops pairs that are certainly far apart;
4. the rest get the exact separation (:func:`deconfliction.core.distance.separation`).

New volumes wait in a small unindexed batch, scanned with numpy, until there are enough
of them to rebuild the tree; removed ones are masked out.

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Operation, Zone
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.volume import Volume4D
>>> from deconfliction.core.timeinterval import TimeInterval
>>> always = TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None)
>>> zone = Zone(id="at-tanf", name="At Tanf", owner="coalition", allowed=frozenset({"mat"}),
...     volumes=(Volume4D(Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0, always),))
>>> index = ConflictIndex([zone])
>>> def visit(lat, party):
...     t = TimeInterval(datetime(2018, 9, 10, tzinfo=timezone.utc),
...                      datetime(2018, 9, 11, tzinfo=timezone.utc))
...     return Operation.new(owner=party, volumes=[Volume4D(Circle(lat, 38.61778, 100.0),
...                          0.0, 100.0, t)], state="proposed")
>>> [c.reason for c in index.check(visit(33.8, "russia"))]
['ZONE_ENTRY_NOT_ALLOWED']
>>> index.check(visit(33.8, "mat")), index.check(visit(35.0, "russia"))
([], [])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from deconfliction.core import kernels
from deconfliction.core.bounds import bbox_of, cap_of
from deconfliction.core.conflict import Conflict, ObjectKind
from deconfliction.core.distance import separation
from deconfliction.core.geodesy import inverse
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Cap, Outline
from deconfliction.core.packed import Grow as _Grow
from deconfliction.core.packed import PackedOutlines, QueryArrays, query_arrays
from deconfliction.core.rules import Party, PartyBits, parties_of, rule_for, rule_mask
from deconfliction.core.volume import Volume4D

__all__ = ["ConflictIndex", "Prepared", "check", "check_volumes"]

#: per-outline candidates and query arrays of one check, reusable (see ConflictIndex.check)
Prepared = dict[int, tuple[npt.NDArray[np.intp], Cap, QueryArrays]]

Obj = Zone | Operation
_REBUILD_AT = 512


@dataclass(frozen=True, slots=True)
class _Entry:
    obj_id: str
    volume: int
    kind: ObjectKind


class _Columns:
    """Growable flat arrays, one row per stored volume."""

    names = ("t0", "t1", "lo", "hi", "buf", "clat", "clon", "crad", "rad")

    def __init__(self) -> None:
        self.size = 0
        self.cap = 1024
        self.data = {n: np.empty(self.cap) for n in self.names}
        self.alive = np.zeros(self.cap, dtype=bool)

    def append(self, row: dict[str, float]) -> int:
        if self.size == self.cap:
            self.cap *= 2
            for n in self.names:
                self.data[n] = np.resize(self.data[n], self.cap)
            self.alive = np.resize(self.alive, self.cap)
        i = self.size
        for n in self.names:
            self.data[n][i] = row[n]
        self.alive[i] = True
        self.size += 1
        return i


class ConflictIndex:
    """Zones and operations, indexed for exact 4D conflict checks."""

    def __init__(self, objects: Iterable[Obj] = ()) -> None:
        self._objects: dict[str, Obj] = {}
        self._parties: dict[str, Party] = {}
        self._rows: dict[str, list[int]] = {}
        self._entries: list[_Entry] = []
        self._volumes: list[Volume4D] = []
        self._cols = _Columns()
        self._packed = PackedOutlines()
        self._party_key = _Grow(np.intp)
        self._key_of_party: dict[Party, int] = {}
        self._party_of_key: list[Party] = []
        self._bits = PartyBits()
        self._rule_cols = {"kind": _Grow(np.int8), "owner": _Grow(np.int64),
                           "mask": _Grow(np.int64)}
        self._tree: shapely.STRtree | None = None
        self._tree_rows = np.empty(0, dtype=np.intp)
        self._pending: list[int] = []
        self._boxes: list[list[tuple[float, float, float, float]]] = []
        # the pending rows' boxes as arrays, for one vectorised scan (grown lazily)
        self._pend_rows = np.empty(0, dtype=np.intp)
        self._pend_boxes = np.empty((0, 4))
        self._pend_new: list[tuple[int, tuple[float, float, float, float]]] = []
        for obj in objects:
            self.add(obj)

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, obj_id: object) -> bool:
        return obj_id in self._objects

    def get(self, obj_id: str) -> Obj | None:
        """The stored object with ``obj_id``, if any."""
        return self._objects.get(obj_id)

    def objects(self) -> list[Obj]:
        """Everything stored."""
        return list(self._objects.values())

    def add(self, obj: Obj) -> None:
        """Store ``obj`` (replacing a stored object with the same id)."""
        if obj.id in self._objects:
            self.remove(obj.id)
        self._objects[obj.id] = obj
        party = self._parties[obj.id] = parties_of(obj)
        key = self._key_of_party.setdefault(party, len(self._party_of_key))
        if key == len(self._party_of_key):
            self._party_of_key.append(party)
        rows = []
        binding = isinstance(obj, Zone) or obj.binding
        kind: ObjectKind = "zone" if isinstance(obj, Zone) else "operation"
        for k, vol in enumerate(obj.volumes):
            cap = cap_of(vol.outline)
            i = self._cols.append(
                {
                    "t0": vol.time.start_s, "t1": vol.time.end_s,
                    "lo": vol.alt_lower_m, "hi": vol.alt_upper_m, "buf": obj.buffer_m,
                    "clat": cap.lat, "clon": cap.lon, "crad": cap.radius_m,
                    "rad": vol.outline.radius_m,
                }
            )
            assert self._packed.add(vol.outline) == i
            self._party_key.extend(np.array([key]))
            self._rule_cols["kind"].extend(np.array([0 if kind == "zone" else 1]))
            self._rule_cols["owner"].extend(np.array([self._bits.bit(party[1])]))
            self._rule_cols["mask"].extend(np.array([self._bits.mask(party[2])]))
            self._cols.alive[i] = binding
            self._entries.append(_Entry(obj.id, k, kind))
            self._volumes.append(vol)
            self._boxes.append(bbox_of(vol.outline, obj.buffer_m).parts())
            self._pending.append(i)
            self._pend_new.extend((i, b) for b in self._boxes[-1])
            rows.append(i)
        self._rows[obj.id] = rows

    def remove(self, obj_id: str) -> None:
        """Forget the object with ``obj_id`` (nothing happens if it is not stored)."""
        if self._objects.pop(obj_id, None) is None:
            return
        self._parties.pop(obj_id, None)
        for i in self._rows.pop(obj_id, []):
            self._cols.alive[i] = False

    def _refresh(self) -> None:
        if len(self._pending) < _REBUILD_AT and self._tree is not None:
            return
        rows, boxes = [], []
        for i in range(self._cols.size):
            if self._cols.alive[i] or self._entries[i].obj_id in self._objects:
                for b in self._boxes[i]:
                    rows.append(i)
                    boxes.append(b)
        geoms = shapely.box(*np.asarray(boxes).T) if boxes else np.empty(0, dtype=object)
        self._tree = shapely.STRtree(geoms)
        self._tree_rows = np.asarray(rows, dtype=np.intp)
        self._pending = []
        self._pend_rows = np.empty(0, dtype=np.intp)
        self._pend_boxes = np.empty((0, 4))
        self._pend_new = []

    def _spatial(self, outline: Outline, grow_m: float) -> npt.NDArray[np.intp]:
        """Rows whose boxes meet the box of ``outline`` grown by ``grow_m`` (any time)."""
        self._refresh()
        assert self._tree is not None
        parts = bbox_of(outline, grow_m).parts()
        found = [self._tree_rows[self._tree.query(shapely.box(*p))] for p in parts]
        if self._pend_new:
            self._pend_rows = np.concatenate(
                [self._pend_rows, np.array([i for i, _ in self._pend_new], dtype=np.intp)])
            self._pend_boxes = np.concatenate(
                [self._pend_boxes, np.array([b for _, b in self._pend_new], dtype=float)])
            self._pend_new = []
        if self._pend_rows.size:
            b = self._pend_boxes
            for p in parts:
                hit = (p[0] <= b[:, 2]) & (b[:, 0] <= p[2]) & (p[1] <= b[:, 3]) & (b[:, 1] <= p[3])
                found.append(self._pend_rows[hit])
        if not found:
            return np.empty(0, dtype=np.intp)
        return np.unique(np.concatenate(found))

    def _in_4d(self, rows: npt.NDArray[np.intp], vol: Volume4D) -> npt.NDArray[np.intp]:
        """The ``rows`` that are live and share time and altitude with ``vol``."""
        c = self._cols.data
        t0, t1 = vol.time.start_s, vol.time.end_s
        keep = (
            self._cols.alive[rows]
            & (c["t0"][rows] < t1) & (t0 < c["t1"][rows])
            & (c["lo"][rows] <= vol.alt_upper_m) & (vol.alt_lower_m <= c["hi"][rows])
        )
        return np.asarray(rows[keep])

    def check(self, obj: Obj, *, prepared: Prepared | None = None) -> list[Conflict]:
        """Every conflict between ``obj`` and the stored objects (other than itself).

        ``prepared`` (a dict, empty at first) keeps what is computed per outline, to be
        passed again when checking another object with the same outlines and buffer against
        this index before it changes."""
        me = parties_of(obj)
        out: list[Conflict] = []
        own = self._rows.get(obj.id)
        rules: dict[int, tuple[str, tuple[str, ...]] | None] = {}
        # volumes often share one outline (phases of an operation): prepare each once
        if prepared is None:
            prepared = {}
        for k, vol in enumerate(obj.volumes):
            key = id(vol.outline)
            if key not in prepared:
                # the subject's buffer grows its box; stored buffers are in their boxes
                prepared[key] = (
                    self._spatial(vol.outline, obj.buffer_m), cap_of(vol.outline),
                    query_arrays(vol.outline),
                )
            near, qcap, qarrays = prepared[key]
            rows = self._in_4d(near, vol)
            if rows.size == 0:
                continue
            # the rules depend only on (kind, owner, parties): decide once per distinct one
            rc = self._rule_cols
            allowed = rule_mask(me, self._bits, rc["kind"].data[rows], rc["owner"].data[rows],
                                rc["mask"].data[rows])
            if allowed is None:  # more parties than bits: one by one
                keys = self._party_key.view()[rows]
                for pk in np.unique(keys).tolist():
                    if pk not in rules:
                        rules[pk] = rule_for(me, self._party_of_key[pk])
                allowed = np.array([rules[pk] is not None for pk in keys.tolist()], dtype=bool)
            if own:
                allowed &= ~np.isin(rows, own)
            idx = rows[allowed]
            if idx.size:
                out.extend(self._exact(obj, k, vol, idx, rules, qcap, qarrays))
        return out

    def _exact(
        self,
        obj: Obj,
        k: int,
        vol: Volume4D,
        idx: npt.NDArray[np.intp],
        rules: dict[int, tuple[str, tuple[str, ...]] | None],
        qcap: Cap,
        qarrays: QueryArrays,
    ) -> list[Conflict]:
        c = self._cols.data
        me = parties_of(obj)
        required = np.maximum(c["buf"][idx], obj.buffer_m)
        n = idx.size
        _, _, d, ok = kernels.inverse_many(
            np.full(n, qcap.lat), np.full(n, qcap.lon), c["clat"][idx], c["clon"][idx]
        )
        if not ok.all():
            d = inverse(qcap.lat, qcap.lon, c["clat"][idx], c["clon"][idx])[2]
        lower = d - qcap.radius_m - c["crad"][idx] - vol.outline.radius_m - c["rad"][idx]
        near = np.nonzero(lower <= required)[0]
        if near.size == 0:
            return []
        rows, req_m = idx[near], required[near]
        p = self._packed.arrays()
        sep_m, wlat, wlon, status = kernels.separations(
            rows, req_m, *qarrays,
            p["kind"], p["clat"], p["clon"], p["rad"], p["v0"], p["v1"], p["e0"], p["e1"],
            p["vlat"], p["vlon"], p["vu"], p["start"], p["end"], p["normal"], p["az"],
            p["length"],
        )
        out: list[Conflict] = []
        append = out.append
        a_kind: ObjectKind = "zone" if isinstance(obj, Zone) else "operation"
        keys, entries, volumes = self._party_key.data, self._entries, self._volumes
        lo, hi, time, oid = vol.alt_lower_m, vol.alt_upper_m, vol.time, obj.id
        q0, q1 = time.start_s, time.end_s
        for j in np.nonzero(status == 2)[0].tolist():  # a kernel did not converge
            s = separation(vol.outline, volumes[int(rows[j])].outline, limit_m=float(req_m[j]))
            status[j] = 0 if s.exact else 1
            sep_m[j], (wlat[j], wlon[j]) = s.separation_m, s.witness
        hit = np.nonzero((status == 0) & (sep_m <= req_m))[0]
        rows = rows[hit]
        # plain Python numbers from here: far cheaper than numpy scalars one at a time
        for i, req, sep, w_lat, w_lon, s0, s1 in zip(
            rows.tolist(), req_m[hit].tolist(), sep_m[hit].tolist(), wlat[hit].tolist(),
            wlon[hit].tolist(), c["t0"][rows].tolist(), c["t1"][rows].tolist(), strict=True,
        ):
            other = volumes[i]
            entry = entries[i]
            pk = int(keys[i])
            if pk not in rules:
                rules[pk] = rule_for(me, self._party_of_key[pk])
            reason, parties = rules[pk] or ("", ())
            # the shared window, without building a new interval when one holds the other
            if s0 <= q0 and q1 <= s1:
                shared = time
            elif q0 <= s0 and s1 <= q1:
                shared = other.time
            else:
                shared = time.overlap_of(other.time)
            append(Conflict(
                oid, a_kind, k, entry.obj_id, entry.kind, entry.volume, reason, parties,
                shared, max(lo, other.alt_lower_m),
                min(hi, other.alt_upper_m), sep, req, (w_lat, w_lon),
            ))
        return out


def check_volumes(
    a: Volume4D, b: Volume4D, required_m: float = 0.0
) -> tuple[float, tuple[float, float]] | None:
    """``(separation_m, witness)`` when ``a`` and ``b`` conflict in 4D, else ``None``.

    They conflict when their times overlap, their altitude bands meet and their outlines are
    no further apart than ``required_m``.
    """
    if not a.time.overlaps(b.time) or a.alt_overlap(b) is None:
        return None
    s = separation(a.outline, b.outline, limit_m=required_m)
    if not s.exact or s.separation_m > required_m or math.isnan(s.separation_m):
        return None
    return s.separation_m, s.witness


def check(subject: Obj, others: Iterable[Obj]) -> list[Conflict]:
    """Every conflict between ``subject`` and ``others``."""
    return ConflictIndex(others).check(subject)
