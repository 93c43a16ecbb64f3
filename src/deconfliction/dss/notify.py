"""Which subscriptions a write must be told to: those whose extents meet the entity's old
or new volumes exactly in 4D and that ask for that kind of entity; each one's
``notification_index`` advances, and they are grouped by USS base URL as F3548's
``SubscriberToNotify``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from deconfliction.core.bounds import bbox_of
from deconfliction.core.engine import check_volumes
from deconfliction.core.volume import Volume4D
from deconfliction.dss.rows import SubRow, Tables
from deconfliction.formats.f3548 import volume_from_f3548

__all__ = ["SubscriptionVolumes", "lat_band", "subscribers"]


def lat_band(volumes: Iterable[Volume4D]) -> tuple[float, float]:
    """The latitude band holding every volume's outline.

    >>> from deconfliction.core.outline import Circle
    >>> from deconfliction.core.timeinterval import TimeInterval
    >>> lo, hi = lat_band([Volume4D(Circle(33.5, 38.6, 1_000.0), 0, 100, TimeInterval(None, None))])
    >>> round(lo, 3), round(hi, 3)
    (33.491, 33.509)
    """
    boxes = [bbox_of(v.outline) for v in volumes]
    return min(b.min_lat for b in boxes), max(b.max_lat for b in boxes)


class SubscriptionVolumes:
    """The live subscriptions of this process's memory, with their volumes parsed once per
    (id, version); reloaded when the subscriptions' generation in the database moved,
    which is checked once per group-commit batch (every write job of one batch shares its
    ``batch`` object) and after :meth:`invalidate` (this process wrote a subscription)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[Volume4D, ...]] = {}
        self._batch: object | None = None
        self._generation: str | None = None
        self._subs: list[SubRow] = []

    def invalidate(self) -> None:
        """A subscription was written: read them again before the next use."""
        self._batch = None
        self._generation = None

    def live(self, tables: Tables, batch: object, now_s: float) -> list[SubRow]:
        """The live subscriptions (as of this batch)."""
        if batch is not self._batch:
            self._batch = batch
            generation = tables.generation()
            if generation != self._generation:
                self._subs = tables.live_subscriptions(now_s)
                self._generation = generation
        return [s for s in self._subs if s.time_end_s > now_s]

    def of(self, sub: SubRow) -> tuple[Volume4D, ...]:
        """``sub``'s volumes."""
        key = (sub.id, sub.version)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > 100_000:
                self._cache.clear()
            found = self._cache[key] = tuple(volume_from_f3548(e) for e in sub.extents)
        return found

    def meets(self, sub: SubRow, volumes: Sequence[Volume4D]) -> bool:
        """Whether ``sub``'s extents meet any of ``volumes`` in 4D (exactly)."""
        return any(check_volumes(a, b) is not None for a in self.of(sub) for b in volumes)


def subscribers(tables: Tables, cache: SubscriptionVolumes, batch: object,
                volumes: Sequence[Volume4D], kind: str, now_s: float) -> list[dict[str, Any]]:
    """Advance the index of every subscription to notify of a change of a ``kind``
    ("operation" or "zone") entity over ``volumes``; the ``SubscriberToNotify`` list."""
    if not volumes:
        return []
    t0 = min(v.time.start_s for v in volumes)
    t1 = max(v.time.end_s for v in volumes)
    lat0, lat1 = lat_band(volumes)
    found = [s for s in cache.live(tables, batch, now_s)
             if s.time_start_s < t1 and s.time_end_s > t0 and s.max_lat >= lat0
             and s.min_lat <= lat1]
    hits = [s for s in found
            if (s.notify_ops if kind == "operation" else s.notify_constraints)
            and cache.meets(s, volumes)]
    index = tables.bump(s.id for s in hits)
    by_url: dict[str, list[dict[str, Any]]] = {}
    for s in hits:
        by_url.setdefault(s.uss_base_url, []).append(
            {"subscription_id": s.id, "notification_index": index[s.id]})
    return [{"uss_base_url": u, "subscriptions": subs} for u, subs in sorted(by_url.items())]
