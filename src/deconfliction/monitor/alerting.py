"""Which events the channel alerts on, and those alerts as rows for it.

``enter`` and ``predicted`` where the track's party may not be there (``allowed`` false),
``nonconforming`` and ``proximity``: the rule, on one event (:func:`is_alert`), on a list
(:func:`alerts`) and on a whole :class:`~.events.EventTable` at once (:func:`alert_rows`,
with each alert's canonical JSON, for
:meth:`Service.alert <deconfliction.channel.service.Service.alert>`).

>>> from deconfliction.monitor.events import ENTER, EventTable
>>> t = EventTable.build(2, ENTER, ["a", "b"], "russia", 0.0, 33.5, 38.6, 100.0,
...                      object_id="at-tanf", owner="coalition", allowed=[1, 0])
>>> rows = alert_rows(t)
>>> rows.track, [is_alert(e.kind, e.details) for e in t.events()]
(['b'], [False, True])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from deconfliction.channel.alerts import AlertRows
from deconfliction.monitor.eventjson import event_texts
from deconfliction.monitor.events import KINDS, Event, EventTable

__all__ = ["alert_mask", "alert_rows", "alerts", "is_alert"]

#: kinds that always alert
_ALWAYS = ("nonconforming", "proximity")
#: kinds that alert where the party is not allowed
_UNLESS_ALLOWED = ("enter", "predicted")


def is_alert(kind: str, details: Mapping[str, object]) -> bool:
    """Whether a channel alerts on an event of ``kind`` with ``details``."""
    return kind in _ALWAYS or (kind in _UNLESS_ALLOWED and details.get("allowed") is False)


def alerts(events: Sequence[Event]) -> list[Event]:
    """The events a channel alerts on (:func:`is_alert`)."""
    return [e for e in events if is_alert(e.kind, e.details)]


def alert_mask(t: EventTable) -> npt.NDArray[np.bool_]:
    """:func:`is_alert` of each event of ``t``."""
    always = np.isin(t.kind, [KINDS.index(k) for k in _ALWAYS])
    unless = np.isin(t.kind, [KINDS.index(k) for k in _UNLESS_ALLOWED]) & (t.allowed == 0)
    return np.asarray(always | unless, dtype=bool)


def alert_rows(t: EventTable) -> AlertRows:
    """The alerts of ``t`` (:func:`is_alert`), in order, as rows for the channel."""
    a = t.take(np.nonzero(alert_mask(t))[0])
    return AlertRows(
        [KINDS[k] for k in a.kind.tolist()], a.track.tolist(), a.party.tolist(),
        a.owner.tolist(), a.other_party.tolist(), a.object_id.tolist(),
        a.other_track.tolist(), event_texts(a))
