"""Live-monitoring alerts as channel messages: per write, one message per recipient listing
its alerts (at most :data:`ALERTS_PER_MESSAGE` a message).

An alert concerns the owner of the zone or operation, the track's party and, for
``proximity``, the other track's party. A message per alert and recipient would cost a
signed ledger entry each: an alert storm (a million tracks appearing at once, a zone drawn
over a busy road) would then take minutes to write while later alerts wait. Alerts written
together (one batch of reports, or one commit of a monitor worker) are instead grouped: each
recipient gets one message, acknowledged once, whose ``details["events"]`` lists them in the
order they were raised. The ledger entry of the message holds them all.

Alerts come as :class:`AlertRows`: columns, each alert with its canonical JSON text (a
monitor encodes a storm's column by column, :mod:`deconfliction.monitor.eventjson`; any
events with a ``to_dict`` go through :meth:`AlertRows.of`).

>>> from types import SimpleNamespace as E
>>> def ev(kind, track, party, owner, obj):
...     return E(kind=kind, track=track, party=party, owner=owner, other_party=None,
...              object_id=obj, other_track=None, to_dict=lambda: {"kind": kind, "track": track})
>>> rows = AlertRows.of([ev("enter", "rf1", "russia", "coalition", "at-tanf"),
...                      ev("enter", "rf2", "russia", "coalition", "at-tanf")])
>>> out = digests(rows, {"russia", "coalition"})
>>> [(d.recipient, d.subject, d.summary, d.count) for d in out]
... # doctest: +NORMALIZE_WHITESPACE
[('coalition', 'at-tanf', '2 alerts (2 enter): tracks rf1, rf2; at-tanf', 2),
 ('russia', 'at-tanf', '2 alerts (2 enter): tracks rf1, rf2; at-tanf', 2)]
>>> one = AlertRows.of([ev("enter", "rf1", "russia", "coalition", "z")])
>>> [d.summary for d in digests(one, {"russia"})]
['enter: track rf1 (russia), z']
>>> out[0].events_json
'[{"kind":"enter","track":"rf1"},{"kind":"enter","track":"rf2"}]'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass, fields
from itertools import chain
from operator import itemgetter
from typing import Protocol, TypeVar

from deconfliction.channel.canonical import dumps_unchecked

__all__ = ["ALERTS_PER_MESSAGE", "AlertEvent", "AlertRows", "Digest", "digests"]

#: the most alerts one message lists (a storm is split into messages of this many)
ALERTS_PER_MESSAGE = 500
#: how many tracks and objects a summary names
_NAMED = 3
T = TypeVar("T")


class AlertEvent(Protocol):
    """What an alert needs of a monitor event (:class:`deconfliction.monitor.events.Event`)."""

    @property
    def kind(self) -> str: ...
    @property
    def track(self) -> str: ...
    @property
    def party(self) -> str: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def other_party(self) -> str | None: ...
    @property
    def object_id(self) -> str | None: ...
    @property
    def other_track(self) -> str | None: ...
    def to_dict(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class AlertRows:
    """Alerts as columns (one entry per alert, in the order raised), each with ``text``:
    its canonical JSON (what ``dumps_unchecked(event.to_dict())`` gives)."""

    kind: list[str]
    track: list[str]
    party: list[str | None]
    owner: list[str | None]
    other_party: list[str | None]
    object_id: list[str | None]
    other_track: list[str | None]
    text: list[str]

    def __len__(self) -> int:
        return len(self.text)

    @classmethod
    def of(cls, events: Iterable[AlertEvent]) -> AlertRows:
        """The rows of ``events`` (each encoded from its ``to_dict``)."""
        events = list(events)
        return cls([e.kind for e in events], [e.track for e in events],
                   [e.party for e in events], [e.owner for e in events],
                   [e.other_party for e in events], [e.object_id for e in events],
                   [e.other_track for e in events],
                   [dumps_unchecked(e.to_dict()) for e in events])

    @classmethod
    def concat(cls, parts: Iterable[AlertRows]) -> AlertRows:
        """The rows of ``parts``, one after the other."""
        parts = [p for p in parts if len(p)]
        if len(parts) == 1:
            return parts[0]
        return cls(*([x for p in parts for x in getattr(p, f.name)] for f in fields(cls)))


@dataclass(frozen=True)
class Digest:
    """One alert message: its recipient, subject, summary, and its ``count`` events as their
    canonical JSON array (each event is encoded once, whichever messages list it)."""

    recipient: str
    subject: str | None
    summary: str
    count: int
    events_json: str


def _names(values: tuple[str, ...]) -> str:
    unique = list(dict.fromkeys(values))
    more = len(unique) - _NAMED
    return ", ".join(unique[:_NAMED]) + (f" and {more} more" if more > 0 else "")


def _picked(column: list[T], idx: list[int]) -> tuple[T, ...]:
    """``column`` at ``idx``, at C speed."""
    return itemgetter(*idx)(column) if len(idx) > 1 else (column[idx[0]],)


class _Digester:
    """What the summary and subject of a message need, per alert: its kind, track,
    what it is about (the zone or operation, else the other track) and its subject (the
    zone or operation, else the track)."""

    def __init__(self, rows: AlertRows) -> None:
        self.rows = rows
        self.about = [o if o is not None else f"track {t}"
                      for o, t in zip(rows.object_id, rows.other_track, strict=True)]
        self.subject = [o or t for o, t in zip(rows.object_id, rows.track, strict=True)]

    def digest(self, recipient: str, idx: list[int]) -> Digest:
        rows = self.rows
        subjects = set(_picked(self.subject, idx))
        return Digest(recipient, subjects.pop() if len(subjects) == 1 else None,
                      self.summary(idx), len(idx),
                      "[" + ",".join(_picked(rows.text, idx)) + "]")

    def summary(self, idx: list[int]) -> str:
        rows = self.rows
        if len(idx) == 1:
            i = idx[0]
            return (f"{rows.kind[i]}: track {rows.track[i]} "
                    f"({rows.party[i] or 'unknown party'}), {self.about[i]}")
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(_picked(rows.kind, idx)).items()))
        return (f"{len(idx)} alerts ({kinds}): tracks {_names(_picked(rows.track, idx))}; "
                f"{_names(_picked(self.about, idx))}")


def digests(rows: AlertRows, known: Container[str],
            per_message: int = ALERTS_PER_MESSAGE) -> list[Digest]:
    """The messages for ``rows``: per recipient among the ``known`` parties (sorted), its
    alerts in order, in chunks of ``per_message``."""
    # the alerts of each (owner, party, other party): most share a few
    by_trio: dict[tuple[str | None, str | None, str | None], list[int]] = {}
    for i, trio in enumerate(zip(rows.owner, rows.party, rows.other_party, strict=True)):
        got = by_trio.get(trio)
        if got is None:
            by_trio[trio] = [i]
        else:
            got.append(i)
    by: dict[str, list[list[int]]] = {}
    for trio, idx in by_trio.items():
        for r in set(trio):
            if r is not None and r in known:
                by.setdefault(r, []).append(idx)
    out = []
    digester = _Digester(rows)
    for r in sorted(by):
        groups = by[r]
        mine = groups[0] if len(groups) == 1 else sorted(chain.from_iterable(groups))
        for start in range(0, len(mine), per_message):
            out.append(digester.digest(r, mine[start:start + per_message]))
    return out
