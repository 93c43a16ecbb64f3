"""The DSS's semantics over the service: references, keys and OVNs, versions,
subscriptions, USS availability.

Every write is one job of the service's group commit (:meth:`Service.enqueue_job`): it is
decided in order with every other write, native or F3548, under the database's writer lock,
and the object, its ledger entry, its channel messages, the reference's row and the
subscriptions' notification indexes are committed together or not at all.

F3548's rules, as applied here:

* an intent written in state ``Accepted`` or ``Activated`` needs a ``key`` holding the OVN of
  every other ``Accepted``/``Activated`` intent it meets in 4D (the caller's own included,
  the one being updated excepted) and, when its subscription asks for constraints, of every
  constraint it meets; else 409 listing ``missing_operational_intents`` and
  ``missing_constraints`` (OVNs shown only to their manager). ``Nonconforming`` and
  ``Contingent`` writes need no key. Intersection is the engine's: exact, geodesic, on the
  true outline.
* the OVN changes on every write and only the manager sees it; updates and deletes name the
  OVN (or, for subscriptions, the version) they replace: 409 when stale.
* a USS marked ``Down`` may not write an intent in ``Accepted``/``Activated`` nor delete one
  (412).
* every write returns the subscribers to notify and advances their ``notification_index``.

An F3548 write is the engine's write of an operation or zone: conflicts with the parties'
own objects are not refused (F3548 leaves deconfliction to the USSs, who prove awareness
with the key), they are recorded as an attested override and told on the channel.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from deconfliction.channel.commit import Pending
from deconfliction.channel.service import Principal, Service
from deconfliction.core.objects import Operation, Zone, new_version
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.dss import params
from deconfliction.dss.auth import CP, SC, Caller
from deconfliction.dss.errors import DssError
from deconfliction.dss.limits import DSS_LIMITS, DssLimits
from deconfliction.dss.notify import SubscriptionVolumes, lat_band, subscribers
from deconfliction.dss.refs import (
    CORE_STATE,
    REQUIRES_KEY,
    constraint_ref,
    entity_id,
    operation_ref,
    party_for,
    time_json,
)
from deconfliction.dss.rows import RefRow, SubRow, Tables
from deconfliction.formats.f3548 import volume_to_f3548
from deconfliction.store.port import StoredObject
from deconfliction.store.tx import ObjectRow, Tx

__all__ = ["ATTESTATION", "NATIVE_BASE_URL", "Dss"]

T = TypeVar("T")
#: recorded as the override of an F3548 write that meets other parties' objects
ATTESTATION = ("ASTM F3548-21 strategic coordination: the USS proved awareness with its key "
               "and is responsible for deconfliction")
#: the USS base URL shown for objects written through the native API
NATIVE_BASE_URL = "https://deconfliction.invalid/native"
_AVAILABILITY = ("Unknown", "Normal", "Down")


def _bad(message: str, code: str = "BAD_REQUEST") -> DssError:
    return DssError(400, message, code)


class Dss:
    """The DSS endpoints' logic, over one :class:`Service`."""

    def __init__(self, service: Service, *, limits: DssLimits = DSS_LIMITS) -> None:
        self.service = service
        self.limits = limits
        self.volumes = SubscriptionVolumes()
        self._derived: dict[str, str] = {}
        self._derived_seq: int | None = None
        #: USS availability read lately: uss -> (valid until, state); a change made by
        #: another process on this database is seen within this many seconds
        self.availability_cache_s = 1.0
        self._availability: dict[str, tuple[float, str]] = {}

    # -- helpers ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """The service's clock."""
        return self.service.clock()

    async def _run(self, fn: Callable[[Tx, Pending], T]) -> T:
        return await asyncio.wrap_future(self.service.enqueue_job(fn))

    def _resolve(self, eid: str) -> ObjectRow | None:
        """The object behind an entity id (its own id, or a native id it derives from)."""
        row = self.service.row(eid)
        if row is not None:
            return row
        seq, objs = self.service.live_objects(self._derived_seq)
        if objs is not None:
            self._derived = {entity_id(o.id): o.id for o in objs}
            self._derived_seq = seq
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

    # -- references: reads ------------------------------------------------------------------

    def query(self, caller: Caller, kind: str, body: object) -> list[dict[str, Any]]:
        """References of ``kind`` ("operation" or "zone") meeting the area of interest."""
        probe = params.area_of_interest(params.body_of(body), limits=self.limits)
        self.service.catch_up()
        objs = self._kind_objs(self.service.meeting(probe), kind)
        if len(objs) > self.limits.max_query_results:
            raise DssError(413, f"{len(objs)} references in the area; narrow it",
                           "AREA_TOO_LARGE")
        with self.service.store.read() as tx:
            return self._refs(Tables(tx.conn), objs, party_for(caller.sub))

    def get(self, caller: Caller, kind: str, eid: str) -> dict[str, Any]:
        """One reference."""
        params.entity(eid)
        self.service.catch_up()
        row = self._resolve(eid)
        if row is None or row.kind != kind or row.obj is None or (
                isinstance(row.obj, Operation) and not row.obj.binding):
            raise DssError(404, f"no {_what(kind)} {eid}", "NOT_FOUND")
        with self.service.store.read() as tx:
            return self._refs(Tables(tx.conn), [row.obj], party_for(caller.sub))[0]

    # -- operational intents ----------------------------------------------------------------

    async def put_intent(self, caller: Caller, eid: str, ovn: str | None, data: object
                         ) -> dict[str, Any]:
        """Create (``ovn`` None) or update an operational intent reference."""
        params.entity(eid)
        body = params.body_of(data)
        now = self.now()
        ext = params.extents(body, now, limits=self.limits)
        state = body.get("state")
        if state not in CORE_STATE:
            raise _bad(f"state must be one of {', '.join(CORE_STATE)}", "BAD_STATE")
        base = params.url(body)
        key = _key(body.get("key"))
        sub_id = body.get("subscription_id")
        if sub_id is not None:
            params.entity(str(sub_id), "subscription_id")
        raw_new = body.get("new_subscription")
        new_sub: tuple[str, bool] | None = None
        if raw_new is not None:
            nb = params.body_of(raw_new)
            new_sub = (params.url(nb), params.flag(nb, "notify_for_constraints"))
            if new_sub[1] and not caller.has(CP):
                raise DssError(403, "notify_for_constraints needs utm.constraint_processing",
                               "MISSING_SCOPE")
        if sub_id is None and new_sub is None and state != "Accepted":
            raise _bad(f"an intent {state} needs subscription_id or new_subscription",
                       "SUBSCRIPTION_REQUIRED")
        party = party_for(caller.sub)
        who = Principal(party, frozenset())
        op = Operation(id=eid, name="", owner=party, volumes=ext.volumes,
                       state=CORE_STATE[str(state)])

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            cur = self.service.row(eid)
            # a reference's row lives and dies with its object
            ref = t.ref(eid) if cur is not None else None
            if ovn is None and cur is not None:
                raise DssError(409, f"operational intent {eid} already exists", "ID_IN_USE")
            if ovn is not None:
                if cur is None or not isinstance(cur.obj, Operation) or not cur.obj.binding:
                    raise DssError(404, f"no operational intent {eid}", "NOT_FOUND")
                if cur.obj.owner != party:
                    raise DssError(403, f"operational intent {eid} is managed by another USS",
                                   "NOT_OWNER")
                if cur.obj.version != ovn:
                    raise DssError(409, f"operational intent {eid} is not at OVN {ovn}",
                                   "VERSION_MISMATCH")
            if state in REQUIRES_KEY:
                self._check_down(t, caller, f"put an intent in state {state}")
            sub: SubRow | None = None
            if sub_id is not None:
                sub = t.subscription(str(sub_id))
                if sub is None or sub.manager != caller.sub:
                    raise _bad(f"no subscription {sub_id} of {caller.sub}", "BAD_SUBSCRIPTION")
                if not sub.notify_ops:
                    raise _bad(f"subscription {sub_id} does not notify for operational "
                               "intents", "BAD_SUBSCRIPTION")
            constraints = (sub.notify_constraints if sub is not None
                           else new_sub is not None and new_sub[1])
            relevant = self.service.meeting(op)
            if state in REQUIRES_KEY:
                self._key_check(t, relevant, key, eid, constraints, party)
            seen = {r.id: r.obj.version for r in relevant if r.obj is not None}
            self.service.save_job(who, op, expected_version=ovn, create=ovn is None,
                                  seen=seen, override=ATTESTATION).fn(tx, pending)
            # the object is written (buffered): from here on nothing refuses
            final_sub = str(sub_id) if sub_id is not None else None
            old_sub = ref.subscription_id if ref is not None else None
            if new_sub is not None and sub_id is None:
                old = t.subscription(old_sub) if old_sub is not None else None
                if old is not None and old.implicit and old.manager == caller.sub:
                    final_sub = old.id  # the implicit subscription follows the intent
                    self._put_sub(t, old, ext.volumes, new_sub[0], True, new_sub[1],
                                  implicit=True, exists=True)
                else:
                    final_sub = str(uuid.uuid4())
                    self._put_sub(t, None, ext.volumes, new_sub[0], True, new_sub[1],
                                  implicit=True, exists=False, sub_id=final_sub,
                                  manager=caller.sub)
            if old_sub is not None and old_sub != final_sub:
                self._drop_implicit(t, old_sub, eid)
            old_vols = cur.obj.volumes if cur is not None and cur.obj is not None else ()
            notify = subscribers(t, self.volumes, (*old_vols, *ext.volumes), "operation",
                                 now.timestamp())
            row = RefRow(eid, "operation", caller.sub, base, str(state),
                         ref.version + 1 if ref is not None else 1, final_sub)
            t.put_ref(row, exists=ref is not None)
            avail = self._state_of(t, caller.sub)
            return {"subscribers": notify, "operational_intent_reference": operation_ref(
                op, manager=caller.sub, base_url=base, version=row.version,
                availability=avail, show_ovn=True, state=str(state),
                subscription_id=final_sub)}

        return await self._run(job)

    def _key_check(self, t: Tables, relevant: list[ObjectRow], key: frozenset[str],
                   eid: str, constraints: bool, viewer: str) -> None:
        unseen = [r for r in relevant
                  if r.obj is not None and r.id != eid and r.obj.version not in key]
        if not unseen:
            return
        refs = t.refs(r.id for r in unseen)
        missing_ops: list[StoredObject] = []
        missing_cons: list[StoredObject] = []
        for r in unseen:
            obj = r.obj
            if isinstance(obj, Operation):
                ref = refs.get(r.id)
                state = ref.state if ref is not None and ref.state else "Accepted"
                if state in REQUIRES_KEY:
                    missing_ops.append(obj)
            elif constraints and obj is not None:
                missing_cons.append(obj)
        if missing_ops or missing_cons:
            raise DssError(
                409, f"the key misses {len(missing_ops)} operational intent(s) and "
                f"{len(missing_cons)} constraint(s) this intent meets", "MISSING_OVNS",
                {"missing_operational_intents": self._refs(t, missing_ops, viewer),
                 "missing_constraints": self._refs(t, missing_cons, viewer)})

    async def delete_intent(self, caller: Caller, eid: str, ovn: str) -> dict[str, Any]:
        """Delete an operational intent reference at OVN ``ovn``."""
        return await self._delete(caller, "operation", eid, ovn)

    # -- constraints ------------------------------------------------------------------------

    async def put_constraint(self, caller: Caller, eid: str, ovn: str | None, data: object
                             ) -> dict[str, Any]:
        """Create (``ovn`` None) or update a constraint reference."""
        params.entity(eid)
        body = params.body_of(data)
        now = self.now()
        ext = params.extents(body, now, limits=self.limits)
        base = params.url(body)
        party = party_for(caller.sub)
        who = Principal(party, frozenset())
        zone = Zone(id=eid, name="", owner=party, volumes=ext.volumes)

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            cur = self.service.row(eid)
            ref = t.ref(eid) if cur is not None else None
            if ovn is None and cur is not None:
                raise DssError(409, f"constraint {eid} already exists", "ID_IN_USE")
            if ovn is not None:
                if cur is None or not isinstance(cur.obj, Zone):
                    raise DssError(404, f"no constraint {eid}", "NOT_FOUND")
                if cur.obj.owner != party:
                    raise DssError(403, f"constraint {eid} is managed by another USS",
                                   "NOT_OWNER")
                if cur.obj.version != ovn:
                    raise DssError(409, f"constraint {eid} is not at OVN {ovn}",
                                   "VERSION_MISMATCH")
            relevant = self.service.meeting(zone)
            seen = {r.id: r.obj.version for r in relevant if r.obj is not None}
            self.service.save_job(who, zone, expected_version=ovn, create=ovn is None,
                                  seen=seen, override=ATTESTATION).fn(tx, pending)
            old_vols = cur.obj.volumes if cur is not None and cur.obj is not None else ()
            notify = subscribers(t, self.volumes, (*old_vols, *ext.volumes), "zone",
                                 now.timestamp())
            row = RefRow(eid, "zone", caller.sub, base, None,
                         ref.version + 1 if ref is not None else 1, None)
            t.put_ref(row, exists=ref is not None)
            avail = self._state_of(t, caller.sub)
            return {"subscribers": notify, "constraint_reference": constraint_ref(
                zone, manager=caller.sub, base_url=base, version=row.version,
                availability=avail, show_ovn=True)}

        return await self._run(job)

    async def delete_constraint(self, caller: Caller, eid: str, ovn: str) -> dict[str, Any]:
        """Delete a constraint reference at OVN ``ovn``."""
        return await self._delete(caller, "zone", eid, ovn)

    async def _delete(self, caller: Caller, kind: str, eid: str, ovn: str) -> dict[str, Any]:
        params.entity(eid)
        party = party_for(caller.sub)
        who = Principal(party, frozenset())
        now = self.now()

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            cur = self.service.row(eid)
            obj = cur.obj if cur is not None else None
            if obj is None or (kind == "zone") != isinstance(obj, Zone) or (
                    isinstance(obj, Operation) and not obj.binding):
                raise DssError(404, f"no {_what(kind)} {eid}", "NOT_FOUND")
            if obj.owner != party:
                raise DssError(403, f"{_what(kind)} {eid} is managed by another USS",
                               "NOT_OWNER")
            if obj.version != ovn:
                raise DssError(409, f"{_what(kind)} {eid} is not at OVN {ovn}",
                               "VERSION_MISMATCH")
            if kind == "operation":
                self._check_down(t, caller, "delete an intent")
            shown = self._refs(t, [obj], party)[0]
            ref = t.ref(eid)
            self.service.delete_in(tx, pending, who, "operation" if kind == "operation"
                                   else "zone", eid, ovn, binding_too=True)
            t.delete_ref(eid)
            if ref is not None and ref.subscription_id is not None:
                self._drop_implicit(t, ref.subscription_id, eid)
            notify = subscribers(t, self.volumes, obj.volumes, kind, now.timestamp())
            name = ("operational_intent_reference" if kind == "operation"
                    else "constraint_reference")
            return {"subscribers": notify, name: shown}

        return await self._run(job)

    # -- subscriptions ----------------------------------------------------------------------

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
        return row

    def _drop_implicit(self, t: Tables, sub_id: str, eid: str) -> None:
        sub = t.subscription(sub_id)
        if sub is not None and sub.implicit and set(t.dependents(sub_id)) <= {eid}:
            t.delete_subscription(sub_id)

    def _sub_json(self, t: Tables, s: SubRow) -> dict[str, Any]:
        return {
            "id": s.id, "version": s.version, "notification_index": s.notification_index,
            "time_start": time_json(_dt(s.time_start_s)),
            "time_end": time_json(_dt(s.time_end_s), end=True),
            "uss_base_url": s.uss_base_url,
            "notify_for_operational_intents": s.notify_ops,
            "notify_for_constraints": s.notify_constraints,
            "implicit_subscription": s.implicit,
            "dependent_operational_intents": t.dependents(s.id),
        }

    def _sub_extents(self, body: Mapping[str, Any], now: datetime) -> Volume4D:
        raw = body.get("extents")
        if raw is None:
            raise _bad("extents is required", "MISSING_FIELD")
        v = params.area_of_interest({"area_of_interest": raw},
                                    limits=self.limits).volumes[0]
        start = v.time.start or now
        end = v.time.end or start + timedelta(seconds=self.limits.max_subscription_s)
        if end <= now:
            raise _bad("extents: the end time may not be in the past", "ENDS_IN_PAST")
        if end <= start:
            raise _bad("extents: time_end must be after time_start", "BAD_TIME")
        if (end - start).total_seconds() > self.limits.max_subscription_s:
            raise _bad(f"extents: a subscription lasts at most "
                       f"{self.limits.max_subscription_s / 3600:.0f} h", "TOO_LONG")
        return Volume4D(v.outline, v.alt_lower_m, v.alt_upper_m, TimeInterval(start, end))

    async def put_subscription(self, caller: Caller, sid: str, version: str | None,
                               data: object) -> dict[str, Any]:
        """Create (``version`` None) or update a subscription."""
        params.entity(sid, "subscriptionid")
        body = params.body_of(data)
        now = self.now()
        vol = self._sub_extents(body, now)
        url = params.url(body)
        ops = params.flag(body, "notify_for_operational_intents")
        cons = params.flag(body, "notify_for_constraints")
        if not ops and not cons:
            raise _bad("ask for notifications of operational intents or constraints (or both)",
                       "NO_NOTIFICATIONS")
        if ops and not caller.has(SC):
            raise DssError(403, "notify_for_operational_intents needs "
                           "utm.strategic_coordination", "MISSING_SCOPE")
        if cons and not caller.has(CP):
            raise DssError(403, "notify_for_constraints needs utm.constraint_processing",
                           "MISSING_SCOPE")
        probe = params.probe((vol,))
        party = party_for(caller.sub)

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            old = t.subscription(sid)
            if version is None and old is not None:
                raise DssError(409, f"subscription {sid} already exists", "ID_IN_USE")
            if version is not None:
                if old is None:
                    raise DssError(404, f"no subscription {sid}", "NOT_FOUND")
                if old.manager != caller.sub:
                    raise DssError(403, f"subscription {sid} belongs to another USS",
                                   "NOT_OWNER")
                if old.version != version:
                    raise DssError(409, f"subscription {sid} is not at version {version}",
                                   "VERSION_MISMATCH")
            elif (t.count_subscriptions(caller.sub, now.timestamp())
                  >= self.limits.max_subscriptions_per_uss):
                raise DssError(429, "too many subscriptions", "TOO_MANY_SUBSCRIPTIONS")
            row = self._put_sub(t, old, [vol], url, ops, cons,
                                implicit=old.implicit if old is not None else False,
                                exists=old is not None, sub_id=sid, manager=caller.sub)
            met = self.service.meeting(probe)
            out: dict[str, Any] = {"subscription": self._sub_json(t, row)}
            if ops:
                out["operational_intent_references"] = self._refs(
                    t, [o for o in self._kind_objs(met, "operation")
                        if isinstance(o, Operation) and o.binding], party)
            if cons:
                out["constraint_references"] = self._refs(t, self._kind_objs(met, "zone"),
                                                          party)
            return out

        return await self._run(job)

    def get_subscription(self, caller: Caller, sid: str) -> dict[str, Any]:
        """One subscription of the caller."""
        params.entity(sid, "subscriptionid")
        with self.service.store.read() as tx:
            t = Tables(tx.conn)
            sub = t.subscription(sid)
            if sub is None:
                raise DssError(404, f"no subscription {sid}", "NOT_FOUND")
            if sub.manager != caller.sub:
                raise DssError(403, f"subscription {sid} belongs to another USS", "NOT_OWNER")
            return self._sub_json(t, sub)

    def query_subscriptions(self, caller: Caller, data: object) -> list[dict[str, Any]]:
        """The caller's live subscriptions meeting the area of interest."""
        probe = params.area_of_interest(params.body_of(data), limits=self.limits)
        vols = probe.volumes
        with self.service.store.read() as tx:
            t = Tables(tx.conn)
            found = t.subscriptions_near(
                lat=lat_band(vols), time_s=(vols[0].time.start_s, vols[0].time.end_s),
                now_s=self.now().timestamp(), manager=caller.sub)
            return [self._sub_json(t, s) for s in found if self.volumes.meets(s, vols)]

    async def delete_subscription(self, caller: Caller, sid: str, version: str
                                  ) -> dict[str, Any]:
        """Delete a subscription at ``version`` (not while intents depend on it)."""
        params.entity(sid, "subscriptionid")

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            sub = t.subscription(sid)
            if sub is None:
                raise DssError(404, f"no subscription {sid}", "NOT_FOUND")
            if sub.manager != caller.sub:
                raise DssError(403, f"subscription {sid} belongs to another USS", "NOT_OWNER")
            if sub.version != version:
                raise DssError(409, f"subscription {sid} is not at version {version}",
                               "VERSION_MISMATCH")
            shown = self._sub_json(t, sub)
            if shown["dependent_operational_intents"]:
                raise _bad(f"operational intents depend on subscription {sid}",
                           "SUBSCRIPTION_IN_USE")
            t.delete_subscription(sid)
            return {"subscription": shown}

        return await self._run(job)

    # -- USS availability and reports -------------------------------------------------------

    def get_availability(self, uss: str) -> dict[str, Any]:
        """A USS's availability (``Unknown`` until set)."""
        with self.service.store.read() as tx:
            a, v = Tables(tx.conn).availability([uss]).get(uss, ("Unknown", ""))
        return {"status": {"uss": uss, "availability": a}, "version": v}

    async def set_availability(self, uss: str, data: object) -> dict[str, Any]:
        """Set a USS's availability, replacing ``old_version``."""
        body = params.body_of(data)
        availability = body.get("availability")
        if availability not in _AVAILABILITY:
            raise _bad(f"availability must be one of {', '.join(_AVAILABILITY)}",
                       "BAD_AVAILABILITY")
        old_version = body.get("old_version", "")
        if not isinstance(old_version, str):
            raise _bad("old_version must be a string", "BAD_VERSION")

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            cur = t.availability([uss]).get(uss)
            if (cur[1] if cur is not None else "") != old_version:
                raise _bad(f"the availability of {uss} is not at version {old_version!r}",
                           "VERSION_MISMATCH")
            version = new_version()
            t.set_availability(uss, str(availability), version, exists=cur is not None)
            self._availability.pop(uss, None)
            return {"status": {"uss": uss, "availability": availability}, "version": version}

        return await self._run(job)

    def report(self, caller: Caller, data: object) -> dict[str, Any]:
        """Take a USS's report of a communication problem; it gets an id."""
        body = params.body_of(data)
        if not isinstance(body.get("exchange"), Mapping):
            raise _bad("exchange is required", "MISSING_FIELD")
        return {**body, "report_id": str(uuid.uuid4())}


def _what(kind: str) -> str:
    return "operational intent" if kind == "operation" else "constraint"


def _key(raw: object) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise _bad("key must be a list of OVNs", "BAD_KEY")
    return frozenset(raw)


def _dt(epoch_s: float) -> datetime | None:
    if epoch_s in (float("inf"), float("-inf")):
        return None
    return datetime.fromtimestamp(epoch_s, UTC)
