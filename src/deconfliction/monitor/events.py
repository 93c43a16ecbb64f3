"""What the monitor says: :class:`Event`, its settings :class:`MonitorConfig`, and
:class:`EventTable`, the same events as columns (how the engine builds them, and how a
caller with millions of them per second should read them).

Kinds, in the order they sort at equal times for one track:

=================  =================================================================
``exit``           the track left a zone or operation volume (``details["reason"]``:
                   ``"left"``, ``"expired"``, ``"deleted"``, ``"inactive"``, ``"stale"``)
``enter``          the track entered a volume (after the hysteresis, if configured)
``inside``         the track is still inside (at most every ``inside_interval_s``)
``nonconforming``  the track left the 4D volume of the operation its report names
``predicted``      the track will enter a volume within ``lookahead_s`` on its course
``proximity``      a track of another party will come (or is) too close
``stale``          the track fell silent for ``stale_s`` and was dropped
=================  =================================================================

>>> e = Event("enter", "rf01", "russia", 1.5e9, 33.9, 38.2, 3_000.0, "at-tanf", "zone",
...           "coalition", 0, details={"allowed": False})
>>> e.to_dict()["details"], e.to_dict()["object_id"]
({'allowed': False}, 'at-tanf')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["KINDS", "Event", "EventTable", "MonitorConfig"]

#: event kinds in their order at equal times (an ``exit`` sorts before an ``enter``)
KINDS = ("exit", "enter", "inside", "nonconforming", "predicted", "proximity", "stale")
EXIT, ENTER, INSIDE, NONCONFORMING, PREDICTED, PROXIMITY, STALE = range(len(KINDS))


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    """Settings of :class:`~deconfliction.monitor.engine.Monitor` (seconds and metres).

    * ``inside_interval_s``: an ``inside`` event at most this often per (track, volume); the
      ``enter`` counts as the first;
    * ``dwell_enter_s``, ``dwell_enter_m``: an ``enter`` counts once the track has been inside
      without a break for this long *and* its report is this far inside (the least of the
      horizontal and vertical clearances); ``dwell_exit_s``, ``dwell_exit_m`` the same for an
      ``exit`` (the larger of the horizontal and vertical distances outside). Zeros: at once;
    * ``lookahead_s``: how far ahead ``predicted`` and ``proximity`` look (0: no
      ``predicted`` events, and none of their cost; ``proximity`` on current separation);
    * ``proximity_m``, ``proximity_vertical_m``: tracks of different parties closer than both
      (horizontally, vertically) at some time in ``[now, now + lookahead_s]`` are in proximity
      (``proximity_m`` 0: no proximity events, and none of their cost);
    * ``stale_s``: :meth:`~deconfliction.monitor.engine.Monitor.flush` drops a track silent
      this long.

    >>> MonitorConfig(dwell_enter_s=5.0).lookahead_s
    300.0
    """

    inside_interval_s: float = 60.0
    dwell_enter_s: float = 0.0
    dwell_enter_m: float = 0.0
    dwell_exit_s: float = 0.0
    dwell_exit_m: float = 0.0
    lookahead_s: float = 300.0
    proximity_m: float = 5_000.0
    proximity_vertical_m: float = 300.0
    stale_s: float = 120.0

    def __post_init__(self) -> None:
        from deconfliction.core.errors import ValidationError

        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not v >= 0.0 \
                    or v == float("inf"):
                raise ValidationError("BAD_CONFIG", f"{f.name} must be a finite number >= 0",
                                      f.name)


@dataclass(frozen=True, slots=True)
class Event:
    """One event: which track, where and when, and which volume (or other track) it concerns.

    ``object_id``/``object_kind``/``owner``/``volume`` name the zone or operation volume
    (``volume`` is the index in the object's ``volumes``; ``None`` for ``nonconforming``
    naming a whole operation, and for ``proximity`` and ``stale``). ``details`` holds what
    the kind adds: ``allowed`` (may the track's party be there, under
    :mod:`deconfliction.core.rules`), ``reason``, ``since_t_s``, ``margin_m``,
    ``time_to_boundary_s``, ``entry_t_s``/``entry_lat``/``entry_lon``, ``cpa_m``,
    ``cpa_t_s``, ``vertical_m``, ``distance_m``.
    """

    kind: str
    track: str
    party: str
    t_s: float
    lat: float
    lon: float
    alt_m: float
    object_id: str | None
    object_kind: str | None
    owner: str | None
    volume: int | None
    other_track: str | None = None
    other_party: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The event as plain JSON-ready values (``nan`` altitudes become ``None``)."""
        out: dict[str, object] = {name: getattr(self, name) for name in _EVENT_FIELDS}
        out["details"] = dict(self.details)
        if out["alt_m"] != out["alt_m"]:
            out["alt_m"] = None
        return out


#: the fields of :class:`Event`, in order (``fields()`` is slow on every alert of a storm)
_EVENT_FIELDS = tuple(f.name for f in fields(Event))


@dataclass(slots=True)
class EventTable:
    """Events as columns, one entry per event (see :class:`Event` for the meaning).

    ``kind`` holds indices into :data:`KINDS`; ``volume`` is -1 where there is none;
    ``allowed`` is 1/0, or -1 where it does not apply; every ``details`` column is a float
    array with ``nan`` where the event has no such detail; ``reason`` holds strings or None.
    """

    kind: npt.NDArray[np.int8]
    track: np.ndarray
    party: np.ndarray
    t_s: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    alt_m: npt.NDArray[np.float64]
    object_id: np.ndarray
    object_kind: np.ndarray
    owner: np.ndarray
    volume: npt.NDArray[np.int64]
    other_track: np.ndarray
    other_party: np.ndarray
    allowed: npt.NDArray[np.int8]
    reason: np.ndarray
    #: an integer per track (the monitor's slot) that orders events of equal times
    slot: npt.NDArray[np.int64]
    details: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.kind.size)

    @classmethod
    def build(cls, n: int, kind: object, track: object, party: object, t_s: object,
              lat: object, lon: object, alt_m: object, *, object_id: object = None,
              object_kind: object = None, owner: object = None, volume: object = -1,
              other_track: object = None, other_party: object = None, allowed: object = -1,
              reason: object = None, slot: object = 0, **details: object) -> EventTable:
        """A table of ``n`` events; scalars are broadcast."""
        if n == 0:  # the common case, on every batch: no broadcasting
            return cls._none({k: np.zeros(0) for k in details})

        def o(v: object) -> np.ndarray:
            a = np.empty(n, dtype=object)
            a[:] = v
            return a

        def f(v: object, dtype: Any = np.float64) -> np.ndarray:
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        return cls(f(kind, np.int8), o(track), o(party), f(t_s), f(lat), f(lon), f(alt_m),
                   o(object_id), o(object_kind), o(owner), f(volume, np.int64),
                   o(other_track), o(other_party), f(allowed, np.int8), o(reason),
                   f(slot, np.int64), {k: f(v) for k, v in details.items()})

    @classmethod
    def empty(cls) -> EventTable:
        """No events."""
        return cls._none({})

    @classmethod
    def _none(cls, details: dict[str, npt.NDArray[np.float64]]) -> EventTable:
        obj, f8 = np.empty(0, dtype=object), np.zeros(0)
        i1, i8 = np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int64)
        return cls(i1, obj, obj.copy(), f8, f8.copy(), f8.copy(), f8.copy(), obj.copy(),
                   obj.copy(), obj.copy(), i8, obj.copy(), obj.copy(), i1.copy(), obj.copy(),
                   i8.copy(), details)

    @classmethod
    def concat(cls, tables: Sequence[EventTable]) -> EventTable:
        """All events of ``tables``, in order (details columns are merged)."""
        tables = [t for t in tables if len(t)]
        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        names = sorted({k for t in tables for k in t.details})
        cols = {f: np.concatenate([getattr(t, f) for t in tables]) for f in _COLUMNS}
        det = {k: np.concatenate([t.details.get(k, np.full(len(t), np.nan)) for t in tables])
               for k in names}
        return cls(**cols, details=det)

    def take(self, idx: npt.NDArray[np.intp]) -> EventTable:
        """The events at ``idx``, in that order."""
        cols = {f: getattr(self, f)[idx] for f in _COLUMNS}
        return EventTable(**cols, details={k: v[idx] for k, v in self.details.items()})

    def sorted(self) -> EventTable:
        """Ordered by time, then track (by ``slot``), then kind (:data:`KINDS` order): each
        track's events come in time order."""
        if len(self) < 2:
            return self
        return self.take(np.lexsort((self.kind, self.slot, self.t_s)))

    def counts(self) -> dict[str, int]:
        """How many events of each kind."""
        c = np.bincount(self.kind.astype(np.int64), minlength=len(KINDS))
        return {k: int(c[i]) for i, k in enumerate(KINDS) if c[i]}

    def events(self) -> list[Event]:
        """The events as :class:`Event` objects."""
        out = []
        names = list(self.details)
        cols = [self.details[k].tolist() for k in names]
        kinds, vols, allowed = self.kind.tolist(), self.volume.tolist(), self.allowed.tolist()
        t, lat, lon, alt = (a.tolist() for a in (self.t_s, self.lat, self.lon, self.alt_m))
        # as lists: indexing an object array costs more than building the event
        track, party, obj, okind, owner, otrack, oparty, reason = (a.tolist() for a in (
            self.track, self.party, self.object_id, self.object_kind, self.owner,
            self.other_track, self.other_party, self.reason))
        for i in range(len(self)):
            d: dict[str, object] = {}
            if allowed[i] >= 0:
                d["allowed"] = allowed[i] == 1
            if reason[i] is not None:
                d["reason"] = reason[i]
            for k, c in zip(names, cols, strict=True):
                if c[i] == c[i]:
                    d[k] = c[i]
            out.append(Event(KINDS[kinds[i]], track[i], party[i], t[i], lat[i], lon[i],
                             alt[i], obj[i], okind[i], owner[i],
                             None if vols[i] < 0 else vols[i], otrack[i], oparty[i], d))
        return out


_COLUMNS = ("kind", "track", "party", "t_s", "lat", "lon", "alt_m", "object_id", "object_kind",
            "owner", "volume", "other_track", "other_party", "allowed", "reason", "slot")
