"""``LiveMonitor``: a :class:`~deconfliction.monitor.engine.Monitor` that follows the zones
and operations stored by a :class:`~deconfliction.channel.service.Service` (rebuilt only when
the ledger moved), shared by ``POST /reports`` and the stream workers.

Its clock is the reports': after each batch the monitor is flushed at the batch's latest
report time, so the events of a sequence of batches are the same in every run (a worker that
replays a partition after a restart finds the events it found before).

A partition of a region-partitioned stream passes each report's status
(:mod:`deconfliction.monitor.stream.region`) to :meth:`LiveMonitor.step`: owned and ghost
reports are ingested alike, a leave notice drops its track, and only the events of the
tracks it owns (:attr:`LiveMonitor.owned`: their latest report here was owned) come out.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import DEFAULT_CONFIG, Monitor
from deconfliction.monitor.events import STALE, Event, EventTable, MonitorConfig
from deconfliction.monitor.stream.region import FAR, LEAVE, OWNED

if TYPE_CHECKING:
    from deconfliction.channel.service import Service

__all__ = ["LiveMonitor", "latest_per_track"]


class LiveMonitor:
    """A monitor following ``service``'s objects; ``step`` is safe from several threads."""

    def __init__(self, monitor: Monitor | None = None, objects_gen: int = -1,
                 config: MonitorConfig = DEFAULT_CONFIG) -> None:
        self._lock = threading.Lock()
        #: the tracks whose latest report with a status was owned (their events come out)
        self.owned: set[str] = set()
        self.config = config
        self.monitor = monitor
        #: the service's generation of objects (:meth:`Service.live_objects`) last looked at
        self.objects_gen = objects_gen
        #: a digest of the watched objects' ids and versions (what a track snapshot needs)
        self.objects_key = ""
        self._versions: dict[str, str] = {}

    def fork(self) -> LiveMonitor:
        """A live monitor of the same objects with no tracks (shares the built grids)."""
        with self._lock:
            new = LiveMonitor(None if self.monitor is None else self.monitor.fork(),
                              self.objects_gen, self.config)
            new.objects_key, new._versions = self.objects_key, dict(self._versions)
            return new

    def follow(self, service: Service, now_s: float) -> list[Event]:
        """Catch up with the stored objects; ``exit`` events of volumes that went away."""
        with self._lock:
            return self._follow(service, now_s).events()

    def _follow(self, service: Service, now_s: float) -> EventTable:
        seq, objects = service.live_objects(None if self.monitor is None else self.objects_gen)
        self.objects_gen = seq
        if objects is None:
            return EventTable.empty()
        # the ledger moves with every message too (alerts among them): re-index only when
        # an object's version changed
        versions = {o.id: o.version for o in objects}
        if self.monitor is not None and versions == self._versions:
            return EventTable.empty()
        self._versions = versions
        self.objects_key = hashlib.sha256(
            json.dumps(sorted(versions.items())).encode()).hexdigest()
        if self.monitor is None:
            self.monitor = Monitor(objects, self.config)
            return EventTable.empty()
        return self.monitor.set_objects_table(objects, now_s)

    def step(self, service: Service, batch: TrackBatch,
             status: npt.NDArray[np.int8] | None = None) -> list[Event]:
        """The events of ``batch`` (after following the objects), then of a flush at its
        latest report time (the service's clock for an empty batch).

        With ``status`` (each report's, in a region-partitioned stream): a track with a
        leave notice in ``batch`` is forgotten, and its reports up to its last leave notice
        are skipped (any later one starts it afresh); the other reports are ingested; and
        only the events of owned tracks are returned, after :attr:`owned` takes each track's
        latest report here into account.
        """
        return self.step_table(service, batch, status).events()

    def step_table(self, service: Service, batch: TrackBatch,
                   status: npt.NDArray[np.int8] | None = None) -> EventTable:
        """:meth:`step` with the events as columns (no Python object per event)."""
        with self._lock:
            now_s = float(np.max(batch.t_s)) if len(batch) else service.clock().timestamp()
            tables = [self._follow(service, now_s)]
            assert self.monitor is not None
            predict = None
            if status is not None:
                batch, status = self._sort_out(batch, status)
                predict = status != FAR
            if len(batch):
                tables.append(self.monitor.ingest_table(batch, predict))
            tables.append(self.monitor.flush_table(now_s))
            events = EventTable.concat(tables)
            if status is not None:
                events = self._owned_only(events)
        return events

    def _sort_out(self, batch: TrackBatch, status: npt.NDArray[np.int8],
                  ) -> tuple[TrackBatch, npt.NDArray[np.int8]]:
        """Forget the tracks with a leave notice, take each track's latest status; the
        reports to ingest and their statuses."""
        assert self.monitor is not None
        leave = status == LEAVE
        if leave.any():
            gone, last = latest_per_track(batch.track[leave], batch.t_s[leave])
            self.monitor.drop_tracks(gone.tolist())
            self.owned.difference_update(gone.tolist())
            at = np.minimum(np.searchsorted(gone, batch.track), gone.size - 1)
            cut = np.where(np.asarray(gone[at] == batch.track, dtype=bool),
                           batch.t_s[leave][last][at], -np.inf)
            keep = np.nonzero(~leave & (batch.t_s > cut))[0]
            batch, status = batch.take(keep), status[keep]
        names, last = latest_per_track(batch.track, batch.t_s)
        self.owned.difference_update(names[status[last] != OWNED].tolist())
        self.owned.update(names[status[last] == OWNED].tolist())
        return batch, status

    def _owned_only(self, events: EventTable) -> EventTable:
        owned = self.owned
        tracks = events.track.tolist()
        out = events.take(np.nonzero([t in owned for t in tracks])[0])
        owned.difference_update(events.track[events.kind == STALE].tolist())
        return out


def latest_per_track(track: npt.NDArray[np.object_], t_s: npt.NDArray[np.float64]
                     ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """Each distinct track id and the index of its latest report (the last of equal times).

    >>> names, last = latest_per_track(np.array(["b", "a", "b"], dtype=object),
    ...                                np.array([5.0, 1.0, 5.0]))
    >>> names.tolist(), last.tolist()
    (['a', 'b'], [1, 2])
    """
    names, inv = np.unique(track, return_inverse=True)
    inv = inv.reshape(-1)
    order = np.lexsort((np.arange(inv.size), t_s, inv))
    ends = np.searchsorted(inv[order], np.arange(names.size), side="right") - 1
    last: npt.NDArray[np.int64] = order[ends].astype(np.int64)
    return names, last
