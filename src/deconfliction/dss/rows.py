"""The DSS's tables (``dss_refs``, ``dss_subscriptions``, ``dss_availability``), read and
written on the connection of a service transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconfliction.store.tables import (
    dss_availability,
    dss_refs,
    dss_reports,
    dss_subscriptions,
    meta,
)

__all__ = ["RefRow", "SubRow", "Tables"]

# the statements of every write, built once (SQLAlchemy then reuses their compiled form
# without rebuilding them and their cache keys on every call)
_C = dss_subscriptions.c
_SUBS_NEAR = sa.select(dss_subscriptions).where(
    _C.time_end_s > sa.bindparam("t0"), _C.time_start_s < sa.bindparam("t1"),
    _C.max_lat >= sa.bindparam("lat0"), _C.min_lat <= sa.bindparam("lat1")).order_by(_C.id)
_REF = sa.select(dss_refs).where(dss_refs.c.id == sa.bindparam("ref_id"))
_AVAILABILITY = sa.select(dss_availability).where(
    dss_availability.c.uss == sa.bindparam("uss_id"))
_INSERT_REF = dss_refs.insert()
_LIVE_SUBS = sa.select(dss_subscriptions).where(_C.time_end_s > sa.bindparam("now_s"))
#: changes (to a fresh token) with every write of a subscription: processes keeping the
#: subscriptions in memory read it to know theirs are current
_GENERATION = "dss_subscriptions_generation"
_GET_GENERATION = sa.select(meta.c.value).where(meta.c.key == _GENERATION)


@dataclass(frozen=True, slots=True)
class RefRow:
    """What the DSS keeps of a reference besides the object."""

    id: str
    kind: str
    manager: str
    uss_base_url: str
    state: str | None
    version: int
    subscription_id: str | None


@dataclass(frozen=True, slots=True)
class SubRow:
    """A subscription."""

    id: str
    manager: str
    version: str
    notification_index: int
    uss_base_url: str
    notify_ops: bool
    notify_constraints: bool
    implicit: bool
    extents: list[dict[str, Any]]
    min_lat: float
    max_lat: float
    time_start_s: float
    time_end_s: float


class Tables:
    """Queries on ``conn`` (inside a service transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- references -------------------------------------------------------------------------

    def refs(self, ids: Iterable[str]) -> dict[str, RefRow]:
        """The rows of ``ids`` that exist."""
        wanted = sorted(set(ids))
        out: dict[str, RefRow] = {}
        for i in range(0, len(wanted), 500):
            q = sa.select(dss_refs).where(dss_refs.c.id.in_(wanted[i:i + 500]))
            for r in self.conn.execute(q):
                out[r.id] = RefRow(r.id, r.kind, r.manager, r.uss_base_url, r.state,
                                   int(r.version), r.subscription_id)
        return out

    def ref(self, ref_id: str) -> RefRow | None:
        """One row, or ``None``."""
        r = self.conn.execute(_REF, {"ref_id": ref_id}).first()
        return None if r is None else RefRow(r.id, r.kind, r.manager, r.uss_base_url,
                                             r.state, int(r.version), r.subscription_id)

    def put_ref(self, row: RefRow, *, exists: bool) -> None:
        """Insert (or, if it ``exists``, replace) a row."""
        values = asdict(row)
        if exists:
            values.pop("id")
            self.conn.execute(dss_refs.update().where(dss_refs.c.id == row.id), values)
        else:
            self.conn.execute(_INSERT_REF, values)

    def delete_ref(self, ref_id: str) -> None:
        """Remove a row."""
        self.conn.execute(dss_refs.delete().where(dss_refs.c.id == ref_id))

    def dependents(self, sub_id: str) -> list[str]:
        """Ids of the operational intents that use subscription ``sub_id``."""
        q = sa.select(dss_refs.c.id).where(dss_refs.c.subscription_id == sub_id)
        return sorted(r.id for r in self.conn.execute(q))

    # -- USS availability -------------------------------------------------------------------

    def availability(self, usses: Iterable[str]) -> dict[str, tuple[str, str]]:
        """uss -> (availability, version), for those with a row."""
        wanted = sorted(set(usses))
        if not wanted:
            return {}
        if len(wanted) == 1:
            r = self.conn.execute(_AVAILABILITY, {"uss_id": wanted[0]}).first()
            return {} if r is None else {r.uss: (r.availability, r.version)}
        q = sa.select(dss_availability).where(dss_availability.c.uss.in_(wanted))
        return {r.uss: (r.availability, r.version) for r in self.conn.execute(q)}

    def set_availability(self, uss: str, availability: str, version: str, *,
                         exists: bool) -> None:
        """Insert or replace a USS's availability."""
        if exists:
            self.conn.execute(dss_availability.update().where(dss_availability.c.uss == uss),
                              {"availability": availability, "version": version})
        else:
            self.conn.execute(dss_availability.insert(),
                              {"uss": uss, "availability": availability, "version": version})

    # -- reports ----------------------------------------------------------------------------

    def add_report(self, report_id: str, reporter: str, received_at: str,
                   body: dict[str, Any]) -> None:
        """Keep a USS's report."""
        self.conn.execute(dss_reports.insert(), {"id": report_id, "reporter": reporter,
                                                 "received_at": received_at, "body": body})

    def report(self, report_id: str) -> dict[str, Any] | None:
        """A kept report's body, or ``None``."""
        r = self.conn.execute(sa.select(dss_reports.c.body).where(
            dss_reports.c.id == report_id)).first()
        return None if r is None else dict(r.body)

    # -- subscriptions ----------------------------------------------------------------------

    @staticmethod
    def _sub(r: Any) -> SubRow:
        return SubRow(r.id, r.manager, r.version, int(r.notification_index), r.uss_base_url,
                      bool(r.notify_ops), bool(r.notify_constraints), bool(r.implicit),
                      list(r.extents), float(r.min_lat), float(r.max_lat),
                      float(r.time_start_s), float(r.time_end_s))

    def subscription(self, sub_id: str) -> SubRow | None:
        """One subscription, or ``None``."""
        r = self.conn.execute(
            sa.select(dss_subscriptions).where(dss_subscriptions.c.id == sub_id)).first()
        return None if r is None else self._sub(r)

    def subscriptions_near(self, *, lat: tuple[float, float], time_s: tuple[float, float],
                           now_s: float, manager: str | None = None) -> list[SubRow]:
        """Live subscriptions whose latitude band and time window meet these (coarse)."""
        binds = {"t0": max(now_s, time_s[0]), "t1": time_s[1], "lat0": lat[0],
                 "lat1": lat[1]}
        q = _SUBS_NEAR if manager is None else _SUBS_NEAR.where(_C.manager == manager)
        return [self._sub(r) for r in self.conn.execute(q, binds)]

    def live_subscriptions(self, now_s: float) -> list[SubRow]:
        """Every subscription that has not ended."""
        return [self._sub(r) for r in self.conn.execute(_LIVE_SUBS, {"now_s": now_s})]

    def generation(self) -> str:
        """The subscriptions' generation token ("" before the first write)."""
        found = self.conn.execute(_GET_GENERATION).scalar_one_or_none()
        return str(found) if found is not None else ""

    def _touch(self) -> None:
        token = uuid.uuid4().hex
        if self.generation():
            self.conn.execute(meta.update().where(meta.c.key == _GENERATION), {"value": token})
        else:
            self.conn.execute(meta.insert(), {"key": _GENERATION, "value": token})

    def count_subscriptions(self, manager: str, now_s: float) -> int:
        """Live subscriptions of ``manager``."""
        c = dss_subscriptions.c
        q = sa.select(sa.func.count()).select_from(dss_subscriptions).where(
            c.manager == manager, c.time_end_s > now_s)
        return int(self.conn.execute(q).scalar_one())

    def put_subscription(self, row: SubRow, *, exists: bool) -> None:
        """Insert (or replace) a subscription."""
        values = asdict(row)
        if exists:
            values.pop("id")
            self.conn.execute(
                dss_subscriptions.update().where(dss_subscriptions.c.id == row.id), values)
        else:
            self.conn.execute(dss_subscriptions.insert(), values)
        self._touch()

    def delete_subscription(self, sub_id: str) -> None:
        """Remove a subscription."""
        self.conn.execute(dss_subscriptions.delete().where(dss_subscriptions.c.id == sub_id))
        self._touch()

    def bump(self, sub_ids: Iterable[str]) -> dict[str, int]:
        """Advance the notification index of each subscription; the new indexes."""
        ids = sorted(set(sub_ids))
        if not ids:
            return {}
        c = dss_subscriptions.c
        self.conn.execute(dss_subscriptions.update().where(c.id.in_(ids)).values(
            notification_index=c.notification_index + 1))
        q = sa.select(c.id, c.notification_index).where(c.id.in_(ids))
        return {r.id: int(r.notification_index) for r in self.conn.execute(q)}
