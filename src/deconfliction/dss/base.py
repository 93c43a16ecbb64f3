"""What the DSS's endpoints share: the service, the clock, group-commit jobs, entity ids of
native objects, references as JSON, USS availability and subscription rows."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from deconfliction.channel.commit import Pending
from deconfliction.channel.service import Service
from deconfliction.core.objects import Operation, new_version
from deconfliction.core.volume import Volume4D
from deconfliction.dss.auth import Caller
from deconfliction.dss.errors import DssError
from deconfliction.dss.limits import DSS_LIMITS, DssLimits
from deconfliction.dss.notify import SubscriptionVolumes, lat_band, subscribers
from deconfliction.dss.refs import (
    constraint_ref,
    entity_id,
    operation_ref,
    time_json,
)
from deconfliction.dss.rows import SubRow, Tables
from deconfliction.formats.f3548 import volume_to_f3548
from deconfliction.store.port import StoredObject
from deconfliction.store.tx import ObjectRow, Tx

__all__ = ["NATIVE_BASE_URL", "DssBase", "bad", "dt"]

T = TypeVar("T")
#: the USS base URL shown for objects written through the native API
NATIVE_BASE_URL = "https://deconfliction.invalid/native"


def bad(message: str, code: str = "BAD_REQUEST") -> DssError:
    """A 400 answer."""
    return DssError(400, message, code)


class DssBase:
    """The state and helpers of the DSS's endpoints, over one :class:`Service`."""

    def __init__(self, service: Service, *, limits: DssLimits = DSS_LIMITS) -> None:
        self.service = service
        self.limits = limits
        self.volumes = SubscriptionVolumes()
        self._derived: dict[str, str] = {}
        self._derived_gen: int | None = None
        #: USS availability read lately: uss -> (valid until, state); a change made by
        #: another process on this database is seen within this many seconds
        self.availability_cache_s = 1.0
        self._availability: dict[str, tuple[float, str]] = {}
        self._random = b""
        self._random_lock = threading.Lock()
        # writes made through the native API advance the subscriptions that cover them too
        service.write_hooks.append(self._native_write)

    def _native_write(self, tx: Tx, pending: Pending, kind: str,
                      volumes: tuple[Volume4D, ...]) -> None:
        subscribers(Tables(tx.conn), self.volumes, pending, volumes, kind,
                    self.now().timestamp())

    # -- helpers ----------------------------------------------------------------------------

    def new_ovn(self) -> str:
        """A fresh OVN: 12 random bytes in hex, as :func:`~deconfliction.core.objects.
        new_version` makes them, from a pool of ``os.urandom`` bytes refilled 4 KiB at a
        time. (One ``getrandom`` call per write releases the GIL on the event loop, and
        getting it back from the busy writer thread costs up to a switch interval.)"""
        with self._random_lock:
            if len(self._random) < 12:
                self._random = os.urandom(4096)
            out, self._random = self._random[:12], self._random[12:]
        return out.hex()

    def now(self) -> datetime:
        """The service's clock."""
        return self.service.clock()

    async def _run(self, fn: Callable[[Tx, Pending], T]) -> T:
        return await self.service.run_job(fn)

    def _resolve(self, eid: str) -> ObjectRow | None:
        """The object behind an entity id (its own id, or a native id it derives from)."""
        row = self.service.row(eid)
        if row is not None:
            return row
        gen, objs = self.service.live_objects(self._derived_gen)
        if objs is not None:
            self._derived = {entity_id(o.id): o.id for o in objs}
            self._derived_gen = gen
        found = self._derived.get(eid)
        return None if found is None else self.service.row(found)

    def _refs(self, t: Tables, objs: Iterable[StoredObject], viewer: str
              ) -> list[dict[str, Any]]:
        objs = list(objs)
        rows = t.refs(o.id for o in objs)
        managers = {rows[o.id].manager if o.id in rows else o.owner for o in objs}
        avail = t.availability(managers)
        out = []
        for o in objs:
            r = rows.get(o.id)
            manager = r.manager if r is not None else o.owner
            common: dict[str, Any] = {
                "manager": manager,
                "base_url": r.uss_base_url if r is not None else f"{NATIVE_BASE_URL}/{o.owner}",
                "version": r.version if r is not None else 1,
                "availability": avail.get(manager, ("Unknown", ""))[0],
                # a USS gets an OVN from the details of the entity's manager; of an object
                # written through the native API, the DSS is that source (every party of
                # the native API reads every version): its OVN is shown to every caller
                "show_ovn": r is None or viewer == o.owner,
            }
            if isinstance(o, Operation):
                out.append(operation_ref(
                    o, state=r.state if r is not None else None,
                    subscription_id=r.subscription_id if r is not None else None, **common))
            else:
                out.append(constraint_ref(o, **common))
        return out

    def _kind_objs(self, rows: Iterable[ObjectRow], kind: str) -> list[StoredObject]:
        return [r.obj for r in rows if r.kind == kind and r.obj is not None]

    def _state_of(self, t: Tables, uss: str) -> str:
        """A USS's availability (from a cache of :attr:`availability_cache_s`)."""
        now = time.monotonic()
        hit = self._availability.get(uss)
        if hit is not None and hit[0] > now:
            return hit[1]
        state = t.availability([uss]).get(uss, ("Unknown", ""))[0]
        if len(self._availability) > 100_000:
            self._availability.clear()
        self._availability[uss] = (now + self.availability_cache_s, state)
        return state

    def _check_down(self, t: Tables, caller: Caller, what: str) -> None:
        if self._state_of(t, caller.sub) == "Down":
            raise DssError(412, f"{caller.sub} is marked Down in the DSS: it may not {what}",
                           "USS_DOWN")

    # -- subscription rows ------------------------------------------------------------------

    def _put_sub(self, t: Tables, old: SubRow | None, volumes: Iterable[Volume4D],
                 url: str, ops: bool, constraints: bool, *, implicit: bool, exists: bool,
                 sub_id: str | None = None, manager: str | None = None) -> SubRow:
        vols = tuple(volumes)
        row = SubRow(
            id=old.id if old is not None else str(sub_id),
            manager=old.manager if old is not None else str(manager),
            version=new_version(),
            notification_index=old.notification_index if old is not None else 0,
            uss_base_url=url, notify_ops=ops, notify_constraints=constraints,
            implicit=implicit, extents=[volume_to_f3548(v) for v in vols],
            min_lat=lat_band(vols)[0], max_lat=lat_band(vols)[1],
            time_start_s=min(v.time.start_s for v in vols),
            time_end_s=max(v.time.end_s for v in vols))
        t.put_subscription(row, exists=exists)
        self.volumes.invalidate()
        return row

    def _drop_implicit(self, t: Tables, sub_id: str, eid: str) -> None:
        sub = t.subscription(sub_id)
        if sub is not None and sub.implicit and set(t.dependents(sub_id)) <= {eid}:
            t.delete_subscription(sub_id)
            self.volumes.invalidate()

    def _sub_json(self, t: Tables, s: SubRow) -> dict[str, Any]:
        return {
            "id": s.id, "version": s.version, "notification_index": s.notification_index,
            "time_start": time_json(dt(s.time_start_s)),
            "time_end": time_json(dt(s.time_end_s), end=True),
            "uss_base_url": s.uss_base_url,
            "notify_for_operational_intents": s.notify_ops,
            "notify_for_constraints": s.notify_constraints,
            "implicit_subscription": s.implicit,
            "dependent_operational_intents": t.dependents(s.id),
        }



def dt(epoch_s: float) -> datetime | None:
    """An epoch time as a UTC datetime (``None`` for an open end)."""
    if epoch_s in (float("inf"), float("-inf")):
        return None
    return datetime.fromtimestamp(epoch_s, UTC)
