"""``LiveMonitor``: a :class:`~deconfliction.monitor.engine.Monitor` that follows the zones
and operations stored by a :class:`~deconfliction.channel.service.Service` (rebuilt only when
the ledger moved), shared by ``POST /reports`` and the stream workers.

Its clock is the reports': after each batch the monitor is flushed at the batch's latest
report time, so the events of a sequence of batches are the same in every run (a worker that
replays a partition after a restart finds the events it found before).
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING

import numpy as np

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import DEFAULT_CONFIG, Monitor
from deconfliction.monitor.events import Event, MonitorConfig

if TYPE_CHECKING:
    from deconfliction.channel.service import Service

__all__ = ["LiveMonitor"]


class LiveMonitor:
    """A monitor following ``service``'s objects; ``step`` is safe from several threads."""

    def __init__(self, monitor: Monitor | None = None, objects_gen: int = -1,
                 config: MonitorConfig = DEFAULT_CONFIG) -> None:
        self._lock = threading.Lock()
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
            return self._follow(service, now_s)

    def _follow(self, service: Service, now_s: float) -> list[Event]:
        seq, objects = service.live_objects(None if self.monitor is None else self.objects_gen)
        self.objects_gen = seq
        if objects is None:
            return []
        # the ledger moves with every message too (alerts among them): re-index only when
        # an object's version changed
        versions = {o.id: o.version for o in objects}
        if self.monitor is not None and versions == self._versions:
            return []
        self._versions = versions
        self.objects_key = hashlib.sha256(
            json.dumps(sorted(versions.items())).encode()).hexdigest()
        if self.monitor is None:
            self.monitor = Monitor(objects, self.config)
            return []
        return self.monitor.set_objects(objects, now_s)

    def step(self, service: Service, batch: TrackBatch) -> list[Event]:
        """The events of ``batch`` (after following the objects), then of a flush at its
        latest report time (the service's clock for an empty batch)."""
        with self._lock:
            now_s = float(np.max(batch.t_s)) if len(batch) else service.clock().timestamp()
            events = self._follow(service, now_s)
            assert self.monitor is not None
            if len(batch):
                events += self.monitor.ingest(batch)
            events += self.monitor.flush(now_s)
        return events
