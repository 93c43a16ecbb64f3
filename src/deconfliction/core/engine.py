"""The conflict engine: an index of stored volumes and the exact 4D check against it.

``ConflictIndex`` keeps every volume of every stored zone and operation as a row of numpy
tables (time, altitude band, buffer, rule facts; the packed outline with its bounding cap)
and a shapely ``STRtree`` of conservative lat/lon boxes. Checking an object goes, per
volume (2 and 3–4 are one compiled pass each):

1. the volumes whose grown boxes meet the grown query box: from the tree, or, when the
   query's window is short and few volumes are stored for it, from the hourly time index
   (:mod:`deconfliction.core.timebuckets`) with a vectorised box test: in a crowded area
   booked in slots of time, the tree would return every volume in the area;
2. time, altitude, binding state and the rules (:mod:`deconfliction.core.rules`) cut them;
3. bounding caps give an exact lower bound of the distance (triangle inequality), which
   settles circle–circle pairs exactly and drops pairs that are certainly far apart;
4. the rest get the exact separation (:func:`deconfliction.core.distance.separation`).

New volumes wait in an unindexed batch, scanned with numpy, until there are enough of them
(an eighth of the tree, at least 512) to rebuild the tree; removed ones are masked out.

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
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from deconfliction.core import kernels
from deconfliction.core.bounds import bbox_of, cap_of
from deconfliction.core.candidates import (
    CANDIDATE_FLOATS,
    CANDIDATE_INTS,
    RULE_KIND_OPERATION,
    RULE_KIND_ZONE,
    candidates,
)
from deconfliction.core.conflict import Conflict, ObjectKind
from deconfliction.core.distance import separation
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Cap
from deconfliction.core.packed import Grow as _Grow
from deconfliction.core.packed import PackedOutlines, QueryArrays, query_arrays
from deconfliction.core.rules import Party, PartyBits, parties_of, rule_for
from deconfliction.core.timebuckets import TimeBuckets
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

__all__ = ["ConflictIndex", "Outlined", "Prepared", "check", "check_volumes"]


@dataclass(slots=True)
class Outlined:
    """What one check computed for one outline: its grown box, the rows the tree says the
    box meets (once asked), and (once needed) its bounding cap and query arrays."""

    parts: list[tuple[float, float, float, float]]
    found: npt.NDArray[np.intp] | None = None
    arrays: tuple[Cap, QueryArrays] | None = None
    #: what the time index answered, by window (epoch seconds)
    near: dict[tuple[float, float], npt.NDArray[np.intp] | None] = field(default_factory=dict)


#: per-outline work of one check, reusable for another object with the same outlines and
#: buffer against the same, unchanged index (see ConflictIndex.check)
Prepared = dict[int, Outlined]

Obj = Zone | Operation
_REBUILD_AT = 512
_TIME_PATH_MAX = 2048  # the time index answers a query when it returns at most this many rows
_RULES_KEPT = 1024  # distinct checked parties whose rules are remembered


class _Entry(NamedTuple):
    """Which stored volume a row is: in the order of a conflict's ``b_*`` fields."""

    obj_id: str
    kind: ObjectKind
    volume: int


#: a row's conflict fields: its entry, its window (also in epoch seconds), its band
_About = tuple[str, ObjectKind, int, TimeInterval, float, float, float, float]


_NO_RULE: tuple[str, tuple[str, ...]] = ("", ())
_new = tuple.__new__


class _Columns:
    """Growable tables, one row per stored volume: its floats and its integers.

    A check reads a few hundred scattered rows; with each row's values side by side that is
    a cache line or two per row, not one per column. ``data`` has each column as a view.
    """

    floats = CANDIDATE_FLOATS
    ints = CANDIDATE_INTS

    def __init__(self) -> None:
        self.size = 0
        self.f = np.empty((1024, len(self.floats)))
        self.i = np.zeros((1024, len(self.ints)), dtype=np.int64)
        self._views()

    def _views(self) -> None:
        self.data: dict[str, npt.NDArray[Any]] = {
            n: self.f[:, j] for j, n in enumerate(self.floats)
        }
        self.data.update({n: self.i[:, j] for j, n in enumerate(self.ints)})

    def append(self, row: dict[str, float | int]) -> int:
        if self.size == len(self.f):
            self.f = np.concatenate([self.f, np.empty_like(self.f)])
            self.i = np.concatenate([self.i, np.zeros_like(self.i)])
            self._views()
        i = self.size
        self.f[i] = [row[n] for n in self.floats]
        self.i[i] = [row[n] for n in self.ints]
        self.size += 1
        return i


class ConflictIndex:
    """Zones and operations, indexed for exact 4D conflict checks.

    ``time_index_max``: the most rows the time index may return for a query before the tree
    is asked instead; ``None`` never asks the time index (the answers are the same).
    """

    def __init__(self, objects: Iterable[Obj] = (), *,
                 time_index_max: int | None = _TIME_PATH_MAX) -> None:
        self._time_max = time_index_max
        self._objects: dict[str, Obj] = {}
        self._parties: dict[str, Party] = {}
        self._rows: dict[str, list[int]] = {}
        self._entries: list[_Entry] = []
        self._volumes: list[Volume4D] = []
        self._about: list[_About] = []
        self._cols = _Columns()
        self._packed = PackedOutlines()
        self._party_key = _Grow(np.intp)
        self._key_of_party: dict[Party, int] = {}
        self._party_of_key: list[Party] = []
        self._bits = PartyBits()
        # rule_for(checked parties, stored party key), per checked parties: there are few
        self._rules_of: dict[Party, dict[int, tuple[str, tuple[str, ...]] | None]] = {}
        self._packed_cache: tuple[npt.NDArray[Any], ...] | None = None
        self._tree: shapely.STRtree | None = None
        self._tree_rows = np.empty(0, dtype=np.intp)
        self._tree_mark = 0  # rows from here on were added after the tree was built
        # each row's one or two boxes (NaN when one): for the tree, the rows added since it
        # was built and the time index's candidates
        self._row_boxes = _Grow(np.float64, (2, 4))
        self._time = TimeBuckets()
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
            i = self._cols.append(
                {
                    "t0": vol.time.start_s, "t1": vol.time.end_s,
                    "lo": vol.alt_lower_m, "hi": vol.alt_upper_m, "buf": obj.buffer_m,
                    "alive": binding,
                    "kind": RULE_KIND_ZONE if kind == "zone" else RULE_KIND_OPERATION,
                    "owner": self._bits.bit(party[1]), "mask": self._bits.mask(party[2]),
                }
            )
            assert self._packed.add(vol.outline) == i
            self._packed_cache = None
            self._party_key.extend(np.array([key]))
            self._entries.append(_Entry(obj.id, kind, k))
            self._volumes.append(vol)
            self._about.append((obj.id, kind, k, vol.time, vol.time.start_s, vol.time.end_s,
                                vol.alt_lower_m, vol.alt_upper_m))
            parts = bbox_of(vol.outline, obj.buffer_m).parts()
            self._row_boxes.extend(np.array([parts if len(parts) == 2 else
                                             [parts[0], (math.nan,) * 4]]))
            if binding:  # only binding rows are ever candidates
                self._time.add(i, vol.time.start_s, vol.time.end_s)
            rows.append(i)
        self._rows[obj.id] = rows

    def remove(self, obj_id: str) -> None:
        """Forget the object with ``obj_id`` (nothing happens if it is not stored)."""
        if self._objects.pop(obj_id, None) is None:
            return
        self._parties.pop(obj_id, None)
        for i in self._rows.pop(obj_id, []):
            self._cols.data["alive"][i] = False

    def _refresh(self) -> None:
        n = self._cols.size
        if self._tree is not None and n - self._tree_mark < max(_REBUILD_AT,
                                                                len(self._tree_rows) // 8):
            return
        # removed and non-binding rows are never candidates: the tree holds the others
        live = np.nonzero(self._cols.data["alive"][:n])[0]
        boxes = self._row_boxes.data[live].reshape(-1, 4)
        rows = np.repeat(live, 2)
        real = ~np.isnan(boxes[:, 0])
        boxes, rows = boxes[real], rows[real]
        geoms = shapely.box(*boxes.T) if rows.size else np.empty(0, dtype=object)
        self._tree = shapely.STRtree(geoms)
        self._tree_rows = rows
        self._tree_mark = n

    def _live(self, rows: list[int]) -> list[int]:
        """The live ones of ``rows`` (for the time index to drop removed rows)."""
        a = np.array(rows, dtype=np.intp)
        return a[self._cols.data["alive"][a].astype(bool)].tolist()  # type: ignore[no-any-return]

    def _near_in_time(self, parts: list[tuple[float, float, float, float]], t0: float,
                      t1: float) -> npt.NDArray[np.intp] | None:
        """Rows live in ``[t0, t1)`` (a superset) whose boxes meet ``parts``, from the time
        index; ``None`` when the time index has too many rows for that window."""
        if self._time_max is None:
            return None
        rows = self._time.rows(t0, t1, limit=self._time_max, live=self._live)
        if rows is None or rows.size == 0:
            return rows
        return rows[self._meets(self._row_boxes.data[rows], parts)]

    @staticmethod
    def _meets(b: npt.NDArray[np.float64],
               parts: list[tuple[float, float, float, float]]) -> npt.NDArray[np.bool_]:
        """Which rows' boxes ``b`` (n, 2 boxes, 4; NaN for none) meet any of ``parts``."""
        return _boxes_meet(b, np.array(parts, dtype=np.float64))

    def _spatial(self, parts: list[tuple[float, float, float, float]]) -> npt.NDArray[np.intp]:
        """Rows whose boxes meet the boxes ``parts`` (any time), in no particular order and
        perhaps more than once (a row may have two boxes)."""
        self._refresh()
        assert self._tree is not None
        found = [self._tree_rows[self._tree.query(shapely.box(*p))] for p in parts]
        n = self._cols.size
        if n > self._tree_mark:  # rows added since the tree was built: scanned
            new = np.arange(self._tree_mark, n, dtype=np.intp)
            found.append(new[self._meets(self._row_boxes.data[self._tree_mark:n], parts)])
        return found[0] if len(found) == 1 else np.concatenate(found)

    def _rule_bits(self, me: Party) -> tuple[int, int, int, bool]:
        """The checked object's rule facts as bits (see :func:`candidates`)."""
        kind, owner, parties = me
        ob, pm = self._bits.bit(owner), self._bits.mask(parties)
        return (RULE_KIND_ZONE if kind == "zone" else RULE_KIND_OPERATION, ob, pm,
                ob >= 0 and pm >= 0)

    def _packed_args(self) -> tuple[npt.NDArray[Any], ...]:
        """The stored outlines' arguments of :func:`kernels.separations` (kept until an add)."""
        if self._packed_cache is None:
            p = self._packed.arrays()
            self._packed_cache = (
                p["rows_f"], p["rows_i"], p["vlat"], p["vlon"], p["vu"], p["start"], p["end"],
                p["normal"], p["az"], p["length"],
            )
        return self._packed_cache

    def check(self, obj: Obj, *, prepared: Prepared | None = None) -> list[Conflict]:
        """Every conflict between ``obj`` and the stored objects (other than itself).

        ``prepared`` (a dict, empty at first) keeps what is computed per outline, to be
        passed again when checking another object with the same outlines and buffer against
        this index before it changes."""
        me = parties_of(obj)
        out: list[Conflict] = []
        own = self._rows.get(obj.id)
        rules = self._rules_of.get(me)
        if rules is None:
            if len(self._rules_of) >= _RULES_KEPT:
                self._rules_of.clear()
            rules = self._rules_of[me] = {}
        bits: tuple[int, int, int, bool] | None = None
        cols = self._cols
        q_buf = float(obj.buffer_m)
        # volumes often share one outline (phases of an operation): search each once
        if prepared is None:
            prepared = {}
        for k, vol in enumerate(obj.volumes):
            key = id(vol.outline)
            slot = prepared.get(key)
            if slot is None:
                # the subject's buffer grows its box; stored buffers are in their boxes
                slot = prepared[key] = Outlined(bbox_of(vol.outline, obj.buffer_m).parts())
            window = (vol.time.start_s, vol.time.end_s)
            if window in slot.near:
                found = slot.near[window]
            else:
                found = slot.near[window] = self._near_in_time(slot.parts, *window)
            if found is None:
                if slot.found is None:
                    slot.found = self._spatial(slot.parts)
                found = slot.found
            if found.size == 0:
                continue
            if bits is None:
                bits = self._rule_bits(me)
            rows, required, undecided = candidates(
                found, cols.f, cols.i, float(vol.time.start_s), float(vol.time.end_s),
                float(vol.alt_lower_m), float(vol.alt_upper_m), q_buf, *bits,
            )
            if undecided.any():  # more parties than bits: these one by one
                allowed = ~undecided
                for j in np.nonzero(undecided)[0].tolist():
                    pk = int(self._party_key.data[rows[j]])
                    if pk not in rules:
                        rules[pk] = rule_for(me, self._party_of_key[pk])
                    allowed[j] = rules[pk] is not None
                rows, required = rows[allowed], required[allowed]
            if own:
                keep = ~np.isin(rows, own)
                rows, required = rows[keep], required[keep]
            if rows.size == 0:
                continue
            if slot.arrays is None:
                slot.arrays = (cap_of(vol.outline), query_arrays(vol.outline))
            out.extend(self._exact(obj, me, k, vol, rows, required, rules, *slot.arrays))
        return out

    def _exact(
        self,
        obj: Obj,
        me: Party,
        k: int,
        vol: Volume4D,
        rows: npt.NDArray[np.intp],
        req_m: npt.NDArray[np.float64],
        rules: dict[int, tuple[str, tuple[str, ...]] | None],
        qcap: Cap,
        qarrays: QueryArrays,
    ) -> list[Conflict]:
        sep_m, wlat, wlon, status = kernels.separations(
            rows, req_m, *qarrays, qcap.lat, qcap.lon, qcap.radius_m, *self._packed_args()
        )
        volumes = self._volumes
        for j in np.nonzero(status == 2)[0].tolist():  # a kernel did not converge
            s = separation(vol.outline, volumes[int(rows[j])].outline, limit_m=float(req_m[j]))
            status[j] = 0 if s.exact else 1
            sep_m[j], (wlat[j], wlon[j]) = s.separation_m, s.witness
        hit = np.nonzero((status == 0) & (sep_m <= req_m))[0]
        if hit.size == 0:
            return []
        rows = rows[hit]
        keys = self._party_key.data[rows].tolist()
        for pk in set(keys).difference(rules):
            rules[pk] = rule_for(me, self._party_of_key[pk])
        about = self._about
        a_kind: ObjectKind = "zone" if isinstance(obj, Zone) else "operation"
        lo, hi, time, oid = vol.alt_lower_m, vol.alt_upper_m, vol.time, obj.id
        q0, q1 = time.start_s, time.end_s
        out: list[Conflict] = []
        append = out.append
        # plain Python numbers from here: far cheaper than numpy scalars one at a time; each
        # conflict is made the way ``Conflict._make`` makes it, without its Python frame
        for i, pk, req, sep, witness in zip(
            rows.tolist(), keys, req_m[hit].tolist(), sep_m[hit].tolist(),
            zip(wlat[hit].tolist(), wlon[hit].tolist(), strict=True), strict=True,
        ):
            b_id, b_kind, b_volume, b_time, s0, s1, b_lo, b_hi = about[i]
            # the shared window, without building a new interval when one holds the other
            if s0 <= q0 and q1 <= s1:
                shared = time
            elif q0 <= s0 and s1 <= q1:
                shared = b_time
            else:
                shared = time.overlap_of(b_time)
            reason, parties = rules[pk] or _NO_RULE
            append(_new(Conflict, (
                oid, a_kind, k, b_id, b_kind, b_volume, reason, parties, shared,
                b_lo if b_lo > lo else lo, b_hi if b_hi < hi else hi,  # max(), min()
                sep, req, witness,
            )))
        return out


@kernels.jit
def _boxes_meet(b: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Whether each row's one or two boxes ``b[i]`` (``(min_lon, min_lat, max_lon,
    max_lat)``, NaN for none) meet one of the query boxes ``q``."""
    n = b.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        for j in range(2):
            for k in range(q.shape[0]):
                if (q[k, 0] <= b[i, j, 2] and b[i, j, 0] <= q[k, 2]
                        and q[k, 1] <= b[i, j, 3] and b[i, j, 1] <= q[k, 3]):
                    out[i] = True
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
