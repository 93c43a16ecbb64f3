"""The DSS's subscriptions, USS availability and reports (F3548's ``/dss/v1/subscriptions``,
``/uss_availability``, ``/reports``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from deconfliction.channel.commit import Pending
from deconfliction.core.errors import DeconflictionError
from deconfliction.core.objects import Operation, new_version
from deconfliction.core.timeinterval import TimeInterval, parse_utc
from deconfliction.core.volume import Volume4D
from deconfliction.dss import params
from deconfliction.dss.auth import CP, SC, Caller
from deconfliction.dss.base import DssBase, bad
from deconfliction.dss.errors import DssError
from deconfliction.dss.notify import lat_band
from deconfliction.dss.refs import (
    party_for,
)
from deconfliction.dss.rows import Tables
from deconfliction.store.tx import Tx

__all__ = ["SubscriptionEndpoints"]

_AVAILABILITY = ("Unknown", "Normal", "Down")


class SubscriptionEndpoints(DssBase):
    """Subscriptions (explicit; implicit ones are made by intents), availability, reports."""

    def _sub_extents(self, body: Mapping[str, Any], now: datetime) -> Volume4D:
        raw = body.get("extents")
        if raw is None:
            raise bad("extents is required", "MISSING_FIELD")
        try:
            v = params.area_of_interest({"area_of_interest": raw},
                                        limits=self.limits).volumes[0]
        except DssError as err:  # the spec names no 413 for subscriptions: 400
            raise bad(err.message.replace("area_of_interest", "extents"),
                      err.code) from None
        start = v.time.start or now
        end = v.time.end or start + timedelta(seconds=self.limits.max_subscription_s)
        if end <= now:
            raise bad("extents: the end time may not be in the past", "ENDS_IN_PAST")
        if end <= start:
            raise bad("extents: time_end must be after time_start", "BAD_TIME")
        if (end - start).total_seconds() > self.limits.max_subscription_s:
            raise bad(f"extents: a subscription lasts at most "
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
            raise bad("ask for notifications of operational intents or constraints (or both)",
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
                    # the spec names no 404 for an update: no current version matches
                    raise DssError(409, f"no subscription {sid} at version {version}",
                                   "NOT_FOUND")
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
                raise bad(f"operational intents depend on subscription {sid}",
                           "SUBSCRIPTION_IN_USE")
            t.delete_subscription(sid)
            self.volumes.invalidate()
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
        if not isinstance(availability, str) or availability not in _AVAILABILITY:
            raise bad(f"availability must be one of {', '.join(_AVAILABILITY)}",
                       "BAD_AVAILABILITY")
        old_version = body.get("old_version", "")
        if not isinstance(old_version, str):
            raise bad("old_version must be a string", "BAD_VERSION")

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            t = Tables(tx.conn)
            cur = t.availability([uss]).get(uss)
            if (cur[1] if cur is not None else "") != old_version:
                raise bad(f"the availability of {uss} is not at version {old_version!r}",
                           "VERSION_MISMATCH")
            version = new_version()
            t.set_availability(uss, str(availability), version, exists=cur is not None)
            self._availability.pop(uss, None)
            return {"status": {"uss": uss, "availability": availability}, "version": version}

        return await self._run(job)

    async def report(self, caller: Caller, data: object) -> dict[str, Any]:
        """Keep a USS's report of a communication problem; it gets an id."""
        body = params.body_of(data)
        _exchange(body.get("exchange"))
        out = {**body, "report_id": str(uuid.uuid4())}
        at = self.now().isoformat()

        def job(tx: Tx, pending: Pending) -> dict[str, Any]:
            Tables(tx.conn).add_report(out["report_id"], caller.sub, at, out)
            return out

        return await self._run(job)


def _exchange(raw: object) -> None:
    """Check an ``ExchangeRecord`` (400 naming the first field at fault)."""
    if not isinstance(raw, Mapping):
        raise bad("exchange is required", "MISSING_FIELD")
    for key in ("url", "method", "request_source"):
        if not isinstance(raw.get(key), str):
            raise bad(f"exchange.{key} must be a string", "BAD_REPORT")
    if raw.get("recorder_role") not in ("Client", "Server"):
        raise bad("exchange.recorder_role must be Client or Server", "BAD_REPORT")
    for key in ("request_time", "response_time"):
        t = raw.get(key)
        if key == "request_time" or t is not None:
            if not (isinstance(t, Mapping) and t.get("format") == "RFC3339"
                    and isinstance(t.get("value"), str)):
                raise bad(f"exchange.{key} must be an RFC3339 Time", "BAD_REPORT")
            try:
                parse_utc(str(t["value"]), f"exchange.{key}")
            except DeconflictionError:
                raise bad(f"exchange.{key} is not an RFC3339 time", "BAD_REPORT") from None
    headers = raw.get("headers", [])
    if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
        raise bad("exchange.headers must be a list of strings", "BAD_REPORT")
    for key in ("request_body", "response_body", "problem"):
        if key in raw and not isinstance(raw[key], str):
            raise bad(f"exchange.{key} must be a string", "BAD_REPORT")
    code = raw.get("response_code", 0)
    if not isinstance(code, int) or isinstance(code, bool) or not -2**31 <= code < 2**31:
        raise bad("exchange.response_code must be a 32-bit integer", "BAD_REPORT")
