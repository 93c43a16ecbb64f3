"""Volume rows: every volume of every zone and operation as one row of flat arrays.

A row keeps what the classifier needs (time window in epoch seconds, altitude band, the
outline grown by the object's buffer) and what a caller needs to act on a hit
(:class:`RowInfo`: the object, the volume, owner and parties). Rows are numbered in the
order volumes are added and never renumbered; removing an object only retires its rows.

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Zone
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> rows = VolumeRows()
>>> z = Zone(id="at-tanf", name="At Tanf", owner="coalition", allowed=frozenset({"mat"}),
...          volumes=(Volume4D(Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0,
...                   TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None)),))
>>> rows.add(z)
[0]
>>> info = rows.info(0)
>>> info.obj_id, info.kind, sorted(info.parties), info.grown_m
('at-tanf', 'zone', ['coalition', 'mat'], 55000.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deconfliction.core.errors import NotFoundError, ValidationError
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Circle, Outline
from deconfliction.core.packed import ROW_FLOATS, ROW_INTS, Grow, PackedOutlines
from deconfliction.monitor import kernels as k
from deconfliction.monitor.chords import KAPPA, ecef

__all__ = ["RowInfo", "VolumeRows"]


@dataclass(frozen=True, slots=True)
class RowInfo:
    """What a volume row stands for.

    ``parties`` are a zone's allowed parties (owner included) or an operation's
    participants (owner included); ``grown_m`` is how far the outline's core is grown
    (circle radius, corridor half width, plus the object's buffer).
    """

    obj_id: str
    volume: int
    kind: str  # "zone" | "operation"
    owner: str
    parties: frozenset[str]
    buffer_m: float
    shape: str  # "circle" | "polygon" | "corridor"
    grown_m: float
    alive: bool


#: where a packed row holds what a volume row copies (its centre; its kind and ranges)
_CLAT, _CLON = ROW_FLOATS.index("clat"), ROW_FLOATS.index("clon")
_INTS = tuple(ROW_INTS.index(n) for n in ("kind", "v0", "v1", "e0", "e1"))


class VolumeRows:
    """Rows of volumes in flat arrays, added per object and retired per object."""

    def __init__(self) -> None:
        self._packed = PackedOutlines()
        self._f: list[list[float]] = []
        self._i: list[list[int]] = []
        self._info: list[RowInfo] = []
        self._outlines: list[Outline] = []
        self._by_id: dict[str, list[int]] = {}
        self._alive = Grow(np.bool_)

    @property
    def alive(self) -> np.ndarray:
        """Per row: still indexed (not retired)? (A view: assigning to it writes through.)"""
        return self._alive.view()

    def __len__(self) -> int:
        return len(self._info)

    def add(self, obj: Zone | Operation) -> list[int]:
        """Append a row per volume of ``obj``; returns the new rows."""
        if not isinstance(obj, Zone | Operation):
            raise ValidationError("BAD_OBJECT", "expected a Zone or an Operation", "objects")
        if obj.id in self._by_id:
            raise ValidationError("DUPLICATE_ID", f"{obj.id!r} is already in the grid", "id")
        kind = "zone" if isinstance(obj, Zone) else "operation"
        parties = obj.allowed if isinstance(obj, Zone) else obj.participants
        new = []
        for n, v in enumerate(obj.volumes):
            o = v.outline
            row = self._packed.add(o)
            g = o.radius_m + obj.buffer_m
            rf, ri = self._packed.row(row)
            cx = cy = cz = 0.0
            clat, clon = float(rf[_CLAT]), float(rf[_CLON])
            if isinstance(o, Circle):
                cx, cy, cz = ecef(o.lat, o.lon)
            inner = g - k.EPS_M
            cin2 = (2.0 / KAPPA * math.sin(min(KAPPA * inner / 2.0, math.pi / 2))) ** 2
            self._f.append([v.time.start_s, v.time.end_s, v.alt_lower_m, v.alt_upper_m, g,
                            cx, cy, cz, cin2 if inner > 0 else -1.0, (g + k.EPS_M) ** 2,
                            clat, clon])
            self._i.append([int(ri[i]) for i in _INTS])
            self._info.append(RowInfo(obj.id, n, kind, obj.owner, frozenset(parties),
                                      obj.buffer_m, o.kind, g, True))
            self._outlines.append(o)
            new.append(row)
        self._by_id[obj.id] = new
        self._alive.extend(np.ones(len(new), dtype=bool))
        return new

    def remove(self, obj_id: str) -> list[int]:
        """Retire the rows of ``obj_id``; returns them (``NOT_FOUND`` if it is not here)."""
        rows = self._by_id.pop(obj_id, None)
        if rows is None:
            raise NotFoundError(f"no object {obj_id!r} in the grid", "id")
        for r in rows:
            self.alive[r] = False
            i = self._info[r]
            self._info[r] = RowInfo(i.obj_id, i.volume, i.kind, i.owner, i.parties, i.buffer_m,
                                    i.shape, i.grown_m, False)
        return rows

    def rows_of(self, obj_id: str) -> list[int]:
        """The live rows of ``obj_id`` (empty if it is not here)."""
        return list(self._by_id.get(obj_id, []))

    def info(self, row: int) -> RowInfo:
        """What ``row`` stands for (``NOT_FOUND`` for a row never added)."""
        if not 0 <= row < len(self._info):
            raise NotFoundError(f"no volume row {row}", "row")
        return self._info[row]

    def outline(self, row: int) -> Outline:
        """The outline of ``row`` (not grown by the buffer)."""
        return self._outlines[row]

    def arrays(self) -> dict[str, np.ndarray]:
        """``rowf``, ``rowi``, ``ef`` (edge chords) and the packed vertex and edge columns."""
        cols = dict(self._packed.arrays())
        n = len(self._info)
        rowf = np.array(self._f, dtype=np.float64).reshape(n, k.ROWF)
        rowi = np.array(self._i, dtype=np.int64).reshape(n, k.ROWI)
        counts = rowi[:, k.E1] - rowi[:, k.E0]
        v0_of_edge = np.repeat(rowi[:, k.V0], counts).astype(np.int64)
        cols["ef"] = k.edge_columns(cols["vlat"], cols["vlon"], cols["start"], cols["end"],
                                    cols["length"], v0_of_edge)
        cols["rowf"], cols["rowi"] = rowf, rowi
        return cols
