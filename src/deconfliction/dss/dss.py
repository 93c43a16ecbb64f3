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

import uuid
from typing import Any

from deconfliction.channel.commit import Pending
from deconfliction.channel.service import Principal
from deconfliction.core.engine import Prepared
from deconfliction.core.objects import Operation, Zone
from deconfliction.dss import params
from deconfliction.dss.auth import CP, Caller
from deconfliction.dss.base import bad
from deconfliction.dss.errors import DssError
from deconfliction.dss.notify import subscribers
from deconfliction.dss.refs import (
    CORE_STATE,
    NEXT_STATES,
    REQUIRES_KEY,
    constraint_ref,
    f3548_state,
    operation_ref,
    party_for,
)
from deconfliction.dss.rows import RefRow, SubRow, Tables
from deconfliction.dss.subscriptions import SubscriptionEndpoints
from deconfliction.store.port import StoredObject
from deconfliction.store.tx import ObjectRow, Tx

__all__ = ["ATTESTATION", "Dss"]

#: recorded as the override of an F3548 write that meets other parties' objects
ATTESTATION = ("ASTM F3548-21 strategic coordination: the USS proved awareness with its key "
               "and is responsible for deconfliction")


class Dss(SubscriptionEndpoints):
    """The DSS endpoints' logic, over one :class:`Service`."""

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
        if not isinstance(state, str) or state not in CORE_STATE:
            raise bad(f"state must be one of {', '.join(CORE_STATE)}", "BAD_STATE")
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
            raise bad(f"an intent {state} needs subscription_id or new_subscription",
                       "SUBSCRIPTION_REQUIRED")
        party = party_for(caller.sub)
        who = Principal(party, frozenset())
        op = Operation(id=eid, name="", owner=party, volumes=ext.volumes,
                       version=self.new_ovn(),
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
                    # the spec names no 404 for an update: no current version matches
                    raise DssError(409, f"no operational intent {eid} at OVN {ovn}",
                                   "NOT_FOUND")
                if cur.obj.owner != party:
                    raise DssError(403, f"operational intent {eid} is managed by another USS",
                                   "NOT_OWNER")
                if cur.obj.version != ovn:
                    raise DssError(409, f"operational intent {eid} is not at OVN {ovn}",
                                   "VERSION_MISMATCH")
                was = ref.state if ref is not None and ref.state else f3548_state(
                    cur.obj.state)
                if state not in NEXT_STATES.get(was, frozenset()):
                    raise bad(f"an intent {was} cannot become {state}", "BAD_TRANSITION")
            if state in REQUIRES_KEY:
                self._check_down(t, caller, f"put an intent in state {state}")
            sub: SubRow | None = None
            if sub_id is not None:
                sub = t.subscription(str(sub_id))
                if sub is None or sub.manager != caller.sub:
                    raise bad(f"no subscription {sub_id} of {caller.sub}", "BAD_SUBSCRIPTION")
                if not sub.notify_ops:
                    raise bad(f"subscription {sub_id} does not notify for operational "
                               "intents", "BAD_SUBSCRIPTION")
            constraints = (sub.notify_constraints if sub is not None
                           else new_sub is not None and new_sub[1])
            lookups: Prepared = {}  # one index lookup for the key check and the save
            relevant = self.service.meeting(op, lookups)
            if state in REQUIRES_KEY:
                self._key_check(t, relevant, key, eid, constraints, party)
            seen = {r.id: r.obj.version for r in relevant if r.obj is not None}
            self.service.save_job(who, op, expected_version=ovn, create=ovn is None,
                                  seen=seen, override=ATTESTATION,
                                  prepared=lookups, hooks=False).fn(tx, pending)
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
            notify = subscribers(t, self.volumes, pending, (*old_vols, *ext.volumes),
                                 "operation",
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
        zone = Zone(id=eid, name="", owner=party, volumes=ext.volumes, version=self.new_ovn())

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            cur = self.service.row(eid)
            ref = t.ref(eid) if cur is not None else None
            if ovn is None and cur is not None:
                raise DssError(409, f"constraint {eid} already exists", "ID_IN_USE")
            if ovn is not None:
                if cur is None or not isinstance(cur.obj, Zone):
                    raise DssError(409, f"no constraint {eid} at OVN {ovn}", "NOT_FOUND")
                if cur.obj.owner != party:
                    raise DssError(403, f"constraint {eid} is managed by another USS",
                                   "NOT_OWNER")
                if cur.obj.version != ovn:
                    raise DssError(409, f"constraint {eid} is not at OVN {ovn}",
                                   "VERSION_MISMATCH")
            relevant = self.service.meeting(zone)
            seen = {r.id: r.obj.version for r in relevant if r.obj is not None}
            self.service.save_job(who, zone, expected_version=ovn, create=ovn is None,
                                  seen=seen, override=ATTESTATION, hooks=False).fn(tx, pending)
            old_vols = cur.obj.volumes if cur is not None and cur.obj is not None else ()
            notify = subscribers(t, self.volumes, pending, (*old_vols, *ext.volumes), "zone",
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
                                   else "zone", eid, ovn, binding_too=True, hooks=False)
            t.delete_ref(eid)
            if ref is not None and ref.subscription_id is not None:
                self._drop_implicit(t, ref.subscription_id, eid)
            notify = subscribers(t, self.volumes, pending, obj.volumes, kind,
                                 now.timestamp())
            name = ("operational_intent_reference" if kind == "operation"
                    else "constraint_reference")
            return {"subscribers": notify, name: shown}

        return await self._run(job)


def _what(kind: str) -> str:
    return "operational intent" if kind == "operation" else "constraint"


def _key(raw: object) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise bad("key must be a list of OVNs", "BAD_KEY")
    return frozenset(raw)


