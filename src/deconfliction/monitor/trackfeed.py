"""``TrackFeed``: the latest position of every live track, for the common picture.

The monitor decides events; the page also wants the tracks themselves, moving. Every
accepted batch of reports is published here; readers ask for the tracks that changed since
the version they last saw (a stream sends those at a few hertz, so 5,000 tracks reporting
every second cost one message per tick, not 5,000). A track whose latest report is older than
``stale_s`` (by report time, against the newest report seen) is no longer live.

What a party sees of a track (:meth:`TrackFeed.view`): its own tracks in full; another
party's as position only (no declared operation), as other parties' objects are shown by
their volumes and not their purpose.

>>> from deconfliction.monitor.batch import TrackBatch
>>> feed = TrackFeed(stale_s=60.0)
>>> feed.publish(TrackBatch.of(track=["rf01", "rf01", "c17"],
...                            party=["russia", "russia", "coalition"],
...                            t_s=[100.0, 90.0, 100.0], lat=[33.9, 34.0, 33.5],
...                            lon=[38.4, 38.3, 38.6], operation=["pursuit", "", ""]))
>>> version, tracks = feed.since(0, "coalition")
>>> [(t["track"], t["lat"], "operation" in t) for t in tracks]
[('rf01', 33.9, False), ('c17', 33.5, True)]
>>> feed.since(version, "coalition")[1]
[]
>>> feed.publish(TrackBatch.of(track=["c17"], party=["coalition"], t_s=[200.0], lat=[33.6],
...                            lon=[38.6]))
>>> changed = feed.since(version, "russia")[1]
>>> [t["track"] for t in changed], [t["track"] for t in feed.live("russia")]
(['c17'], ['c17'])
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

from deconfliction.monitor.batch import TrackBatch

__all__ = ["TrackFeed"]

_FIELDS = ("party", "t_s", "lat", "lon", "alt_m", "speed_mps", "heading_deg", "operation")


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


class TrackFeed:
    """Latest report per track, versioned (see the module doc)."""

    def __init__(self, *, stale_s: float = 300.0) -> None:
        self.stale_s = stale_s
        self._lock = threading.Lock()
        # track -> (version, record); the most recently changed last
        self._tracks: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._version = 0
        self._newest_t = -math.inf

    @property
    def version(self) -> int:
        """Bumped by every publish that changed a track."""
        return self._version

    def publish(self, batch: TrackBatch) -> None:
        """Take each track's latest report of ``batch`` (an older one than the track's
        current report changes nothing)."""
        if not len(batch):
            return
        cols = [batch.track.tolist(), *(getattr(batch, f).tolist() for f in _FIELDS)]
        with self._lock:
            tracks = self._tracks
            changed = False
            for track, party, t, lat, lon, alt, speed, heading, op in zip(*cols, strict=True):
                old = tracks.get(track)
                if old is not None and old[1]["t_s"] >= t:
                    continue
                if not changed:
                    self._version += 1
                    changed = True
                tracks[track] = (self._version, {
                    "track": track, "party": party, "t_s": t, "lat": lat, "lon": lon,
                    "alt_m": _num(alt), "speed_mps": _num(speed),
                    "heading_deg": _num(heading), "operation": op or None})
                tracks.move_to_end(track)
                self._newest_t = max(self._newest_t, t)
            self._drop_stale()

    def _drop_stale(self) -> None:
        # the least recently changed first: stop at the first live one (a track changed
        # later with an older report time goes at the next look)
        limit = self._newest_t - self.stale_s
        tracks = self._tracks
        while tracks:
            k, (_, r) = next(iter(tracks.items()))
            if r["t_s"] >= limit:
                break
            del tracks[k]

    @staticmethod
    def view(record: dict[str, Any], party: str) -> dict[str, Any]:
        """What ``party`` sees of a track (the module doc)."""
        if record["party"] == party:
            return record
        return {k: v for k, v in record.items() if k != "operation"}

    def since(self, version: int, party: str) -> tuple[int, list[dict[str, Any]]]:
        """``(current version, the live tracks changed after version)`` as ``party`` sees
        them, oldest change first."""
        with self._lock:
            out: list[dict[str, Any]] = []
            for v, record in reversed(self._tracks.values()):
                if v <= version:
                    break
                out.append(self.view(record, party))
            return self._version, out[::-1]

    def live(self, party: str) -> list[dict[str, Any]]:
        """Every live track as ``party`` sees it."""
        return self.since(0, party)[1]
