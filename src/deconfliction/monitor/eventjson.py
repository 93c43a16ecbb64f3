"""Events as canonical JSON text, straight from an :class:`~.events.EventTable`'s columns.

An alert storm (a million tracks seen for the first time, most inside a zone their party may
not enter) raises hundreds of thousands of alerts a second; each is written into its
recipients' messages as canonical JSON. Building an :class:`~.events.Event`, its dict and
its JSON one by one cost ~15 us an alert (Python writes a float in ~0.6 us); here each
column is encoded at once (:func:`~deconfliction.channel.canonical.float_texts`) and each
event's text pasted together from them: the same bytes as
``dumps_unchecked(event.to_dict())``.

>>> from deconfliction.monitor.events import ENTER, EventTable
>>> t = EventTable.build(1, ENTER, "rf01", "russia", 1.5e9, 33.5, 38.6, float("nan"),
...                      object_id="at-tanf", object_kind="zone", owner="coalition",
...                      volume=0, allowed=0, margin_m=120.5)
>>> event_texts(t)[0]  # doctest: +NORMALIZE_WHITESPACE
'{"alt_m":null,"details":{"allowed":false,"margin_m":120.5},"kind":"enter","lat":33.5,"lon":38.6,"object_id":"at-tanf","object_kind":"zone","other_party":null,"other_track":null,"owner":"coalition","party":"russia","t_s":1500000000.0,"track":"rf01","volume":0}'
"""

from __future__ import annotations

from collections.abc import Sequence
from json.encoder import encode_basestring

import numpy as np
import numpy.typing as npt

from deconfliction.channel.canonical import dumps_unchecked, float_texts
from deconfliction.monitor.events import KINDS, EventTable

__all__ = ["event_texts"]

_KIND_TEXTS = [encode_basestring(k) for k in KINDS]
#: an event's keys, sorted
_EVENT = ('{"alt_m":%s,"details":%s,"kind":%s,"lat":%s,"lon":%s,"object_id":%s,'
          '"object_kind":%s,"other_party":%s,"other_track":%s,"owner":%s,"party":%s,"t_s":%s,'
          '"track":%s,"volume":%s}')


def _strings(values: list[object]) -> list[str]:
    """The JSON of each value (strings, ``None``), each distinct one encoded once."""
    texts = {v: "null" if v is None else encode_basestring(v) if type(v) is str
             else dumps_unchecked(v) for v in dict.fromkeys(values)}
    return list(map(texts.__getitem__, values))


def _floats(values: npt.NDArray[np.float64], nan: str | None) -> list[str | None]:
    """The JSON of each float; a ``nan`` becomes ``nan`` (the text, or ``None``: absent)."""
    missing = np.isnan(values)
    if not missing.any():
        return list(float_texts(values))
    out: list[str | None] = [nan] * values.size
    keep = np.nonzero(~missing)[0]
    for i, text in zip(keep.tolist(), float_texts(values[keep]), strict=True):
        out[i] = text
    return out


def _details(t: EventTable) -> list[str]:
    """Each event's ``details`` object: ``allowed`` (where not -1), ``reason`` (where not
    ``None``) and each details column (where not ``nan``), keys sorted. The events with the
    same keys share one template."""
    n = len(t)
    reason = t.reason.tolist()
    cols: dict[str, tuple[npt.NDArray[np.bool_], Sequence[str | None]]] = {
        # -1: none (the last item)
        "allowed": (t.allowed >= 0, list(map(("false", "true", None).__getitem__,
                                             t.allowed.tolist()))),
        "reason": (np.array([r is not None for r in reason], dtype=bool), _strings(reason)),
    }
    for k, v in t.details.items():
        values = np.asarray(v, dtype=np.float64)
        cols[k] = (~np.isnan(values), _floats(values, None))
    keys = sorted(k for k, (has, _) in cols.items() if has.any())
    if not keys:
        return ["{}"] * n
    has = np.stack([cols[k][0] for k in keys])
    code = np.zeros(n, dtype=np.int64)
    for row in has:  # which keys each event has, as bits
        code = (code << 1) | row
    groups, which = np.unique(code, return_inverse=True)
    out: list[str] = [""] * n
    for g, bits in enumerate(groups.tolist()):
        mine = [k for i, k in enumerate(keys) if bits >> (len(keys) - 1 - i) & 1]
        template = "{" + ",".join(encode_basestring(k).replace("%", "%%") + ":%s"
                                  for k in mine) + "}"
        columns = [cols[k][1] for k in mine]
        if groups.size == 1:
            return list(map(template.__mod__, zip(*columns, strict=True)))
        idx = np.nonzero(which == g)[0].tolist()
        texts = [template % tuple(c[i] for c in columns) for i in idx]
        for i, text in zip(idx, texts, strict=True):
            out[i] = text
    return out


def event_texts(t: EventTable) -> list[str]:
    """Each event of ``t`` as canonical JSON text: what ``dumps_unchecked(e.to_dict())``
    gives for the :class:`~.events.Event` at the same place in ``t.events()``."""
    if len(t) == 0:
        return []
    kind = list(map(_KIND_TEXTS.__getitem__, t.kind.tolist()))
    alt = _floats(t.alt_m, "null")
    t_s, lat, lon = float_texts(t.t_s), float_texts(t.lat), float_texts(t.lon)
    volume = _strings([None if v < 0 else v for v in t.volume.tolist()])
    track, party, obj, okind, owner, otrack, oparty = (_strings(c.tolist()) for c in (
        t.track, t.party, t.object_id, t.object_kind, t.owner, t.other_track, t.other_party))
    return list(map(_EVENT.__mod__, zip(
        alt, _details(t), kind, lat, lon, obj, okind, oparty, otrack, owner, party, t_s, track,
        volume, strict=True)))
