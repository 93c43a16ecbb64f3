"""Live-monitoring alerts as channel messages: per write, one message per recipient listing
its alerts (at most :data:`ALERTS_PER_MESSAGE` a message).

An alert concerns the owner of the zone or operation, the track's party and, for
``proximity``, the other track's party. A message per alert and recipient would cost a
signed ledger entry each: an alert storm (a million tracks appearing at once, a zone drawn
over a busy road) would then take minutes to write while later alerts wait. Alerts written
together (one batch of reports, or one commit of a monitor worker) are instead grouped: each
recipient gets one message, acknowledged once, whose ``details["events"]`` lists them in the
order they were raised. The ledger entry of the message holds them all.

>>> from types import SimpleNamespace as E
>>> def ev(kind, track, party, owner, obj):
...     return E(kind=kind, track=track, party=party, owner=owner, other_party=None,
...              object_id=obj, other_track=None, to_dict=lambda: {"kind": kind, "track": track})
>>> out = digests([ev("enter", "rf1", "russia", "coalition", "at-tanf"),
...                ev("enter", "rf2", "russia", "coalition", "at-tanf")], {"russia", "coalition"})
>>> [(d.recipient, d.subject, d.summary, len(d.events)) for d in out]
... # doctest: +NORMALIZE_WHITESPACE
[('coalition', 'at-tanf', '2 alerts (2 enter): tracks rf1, rf2; at-tanf', 2),
 ('russia', 'at-tanf', '2 alerts (2 enter): tracks rf1, rf2; at-tanf', 2)]
>>> [d.summary for d in digests([ev("enter", "rf1", "russia", "coalition", "z")], {"russia"})]
['enter: track rf1 (russia), z']
>>> out[0].events_json
'[{"kind":"enter","track":"rf1"},{"kind":"enter","track":"rf2"}]'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from deconfliction.channel.canonical import dumps_unchecked

__all__ = ["ALERTS_PER_MESSAGE", "AlertEvent", "Digest", "digests"]

#: the most alerts one message lists (a storm is split into messages of this many)
ALERTS_PER_MESSAGE = 500
#: how many tracks and objects a summary names
_NAMED = 3


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
class Digest:
    """One alert message: its recipient, subject, summary and events (as plain dicts, and
    as their canonical JSON array: each event is encoded once, whichever messages list it).
    """

    recipient: str
    subject: str | None
    summary: str
    events: list[dict[str, object]]
    events_json: str


def _about(e: AlertEvent) -> str:
    return e.object_id if e.object_id is not None else f"track {e.other_track}"


def _names(values: Sequence[str]) -> str:
    unique = list(dict.fromkeys(values))
    more = len(unique) - _NAMED
    return ", ".join(unique[:_NAMED]) + (f" and {more} more" if more > 0 else "")


def _summary(events: Sequence[AlertEvent]) -> str:
    if len(events) == 1:
        e = events[0]
        return f"{e.kind}: track {e.track} ({e.party or 'unknown party'}), {_about(e)}"
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(e.kind for e in events).items()))
    return (f"{len(events)} alerts ({kinds}): tracks {_names([e.track for e in events])}; "
            f"{_names([_about(e) for e in events])}")


def _subject(events: Sequence[AlertEvent]) -> str | None:
    """The zone or operation (else the track) every event concerns; ``None`` if several."""
    subjects = {e.object_id or e.track for e in events}
    return subjects.pop() if len(subjects) == 1 else None


def digests(events: Iterable[AlertEvent], known: Container[str],
            per_message: int = ALERTS_PER_MESSAGE) -> list[Digest]:
    """The messages for ``events``: per recipient among the ``known`` parties (sorted), its
    alerts in order, in chunks of ``per_message``."""
    by: dict[str, list[AlertEvent]] = {}
    for e in events:
        for r in {e.owner, e.party, e.other_party}:
            if r is not None and r in known:
                by.setdefault(r, []).append(e)
    plain: dict[int, tuple[dict[str, object], str]] = {}
    out = []
    for r in sorted(by):
        mine = by[r]
        for start in range(0, len(mine), per_message):
            chunk = mine[start:start + per_message]
            for e in chunk:
                if id(e) not in plain:
                    d = e.to_dict()
                    plain[id(e)] = d, dumps_unchecked(d)
            encoded = [plain[id(e)] for e in chunk]
            out.append(Digest(r, _subject(chunk), _summary(chunk), [d for d, _ in encoded],
                              "[" + ",".join(t for _, t in encoded) + "]"))
    return out
