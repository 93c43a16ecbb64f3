"""One transaction on the SQL store: every query the service runs, in one place.

A :class:`Tx` wraps one SQLAlchemy connection inside a transaction opened by
:class:`~deconfliction.store.sql.SqlStore` (``write()`` or ``read()``); it commits when the
``with`` block ends and rolls back if it raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from deconfliction.core.errors import (
    ConflictStateError,
    DeconflictionError,
    NotFoundError,
    StoreError,
)
from deconfliction.core.messages import Message, MessageState
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import stored_outlines
from deconfliction.core.parties import PartyProfile
from deconfliction.formats.native import operation_from_dict, zone_from_dict
from deconfliction.formats.records import (
    message_from_dict,
    message_to_dict,
    party_from_dict,
    party_to_dict,
)
from deconfliction.store.port import ObjectKind, StoredObject
from deconfliction.store.rows import row_of
from deconfliction.store.tables import (
    ledger,
    messages,
    meta,
    operations,
    parties,
    stream_offsets,
    tokens,
    zones,
)

__all__ = ["ObjectRow", "TokenRow", "Tx", "ledger_row", "message_row", "object_row"]


@dataclass(frozen=True, slots=True)
class ObjectRow:
    """A stored object with its bookkeeping; ``obj`` is ``None`` for a tombstone."""

    id: str
    kind: ObjectKind
    obj: StoredObject | None
    seq: int
    shared_with: frozenset[str]
    updated_at: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token's record (the token itself is never stored)."""

    party: str
    scopes: frozenset[str]
    expires_at: str | None
    revoked: bool


def _kind_of(obj: StoredObject) -> ObjectKind:
    return "zone" if isinstance(obj, Zone) else "operation"


def _tables(kind: ObjectKind) -> tuple[sa.Table, sa.Table]:
    return (zones, operations) if kind == "zone" else (operations, zones)


def _upsert(table: sa.Table, dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (id) DO UPDATE`` of every column (SQLite and PostgreSQL)."""
    ins = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))
    return ins.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={c.name: ins.excluded[c.name] for c in table.c if c.name != "id"})


_UPSERTS: dict[tuple[str, str], Any] = {}


def object_row(obj: StoredObject, *, seq: int, shared_with: Iterable[str]) -> dict[str, Any]:
    """The full row of ``obj`` as last written by ledger entry ``seq``."""
    row = row_of(obj, datetime.now(UTC))
    row.update(seq=seq, deleted=False, shared_with=sorted(set(shared_with)))
    return row


def message_row(msg: Message, *, seq: int, webhook: bool) -> dict[str, Any]:
    """The outbox row of a new message (queued for the webhook if ``webhook``)."""
    return {
        "id": msg.id, "seq": seq, **Tx.message_values(msg),
        "webhook_state": "pending" if webhook else "none",
        "webhook_next_s": msg.created_at.timestamp() if webhook else None,
    }


def ledger_row(entry: dict[str, Any]) -> dict[str, Any]:
    """The ledger row of one entry (as the JSON data of the ledger module)."""
    return {"seq": entry["seq"], "entry": entry, "hash": entry["hash"], "kind": entry["kind"],
            "subject": entry.get("subject")}


def _body(msg: Message) -> dict[str, Any]:
    """What the outbox row of ``msg`` holds of it: all but its details (an alert storm's
    events), which stay in the ledger entry that sent it (the row's ``seq``): written once."""
    body = message_to_dict(msg)
    del body["details"]
    return body


def _message(row: Any) -> Message:
    """The message of a row of :data:`_MESSAGE_SELECT`: the body, with the details from its
    ledger entry (a body written before they moved there still holds them)."""
    body = row.body
    if "details" not in body:
        entry = row.entry
        if entry is None or entry.get("subject") != body.get("id") or not isinstance(
                entry.get("payload"), dict):
            raise StoreError("STORE_FAILURE",
                             f"message {body.get('id')}: its ledger entry {row.seq} is missing")
        body = {**body, "details": entry["payload"]["details"]}
    return message_from_dict(body)


# statements of every write, built once
_LEDGER_HEAD = f"SELECT seq, hash FROM {ledger.name} ORDER BY seq DESC LIMIT 1"
_LEDGER_INSERT = ledger.insert()
_MESSAGES_INSERT = messages.insert()
#: messages with the ledger entry that sent each one (its details are there)
_MESSAGE_SELECT = sa.select(
    messages.c.id, messages.c.seq, messages.c.body, ledger.c.entry,
).select_from(messages.outerjoin(ledger, ledger.c.seq == messages.c.seq))


class Tx:
    """Queries inside one transaction."""

    def __init__(self, conn: Connection, label: str) -> None:
        self.conn = conn
        self.label = label

    # -- objects ----------------------------------------------------------------------------

    def _decode(self, kind: ObjectKind, obj_id: str, body: Any) -> StoredObject:
        try:
            with stored_outlines():  # checked when written
                return zone_from_dict(body) if kind == "zone" else operation_from_dict(body)
        except DeconflictionError as err:
            raise StoreError(
                "CORRUPT_ROW", f"{self.label}: stored {kind} {obj_id!r} cannot be read: {err}"
            ) from err

    def _row(self, kind: ObjectKind, r: Any) -> ObjectRow:
        obj = None if r.deleted else self._decode(kind, r.id, r.body)
        return ObjectRow(r.id, kind, obj, int(r.seq), frozenset(r.shared_with or ()),
                         r.updated_at)

    @staticmethod
    def _cols(table: sa.Table) -> list[sa.ColumnElement[Any]]:
        c = table.c
        return [c.id, c.body, c.seq, c.deleted, c.shared_with, c.updated_at]

    def object_row(self, obj_id: str) -> ObjectRow | None:
        """The live object with ``obj_id`` (zone or operation), or ``None``."""
        for kind in ("zone", "operation"):
            table = _tables(kind)[0]
            r = self.conn.execute(
                sa.select(*self._cols(table)).where(table.c.id == obj_id, ~table.c.deleted)
            ).first()
            if r is not None:
                return self._row(kind, r)
        return None

    def get_zone(self, zone_id: str) -> Zone:
        """The zone with ``zone_id``, else ``NotFoundError``."""
        row = self.object_row(zone_id)
        if row is None or not isinstance(row.obj, Zone):
            raise NotFoundError(f"no zone with id {zone_id!r}", "id")
        return row.obj

    def get_operation(self, operation_id: str) -> Operation:
        """The operation with ``operation_id``, else ``NotFoundError``."""
        row = self.object_row(operation_id)
        if row is None or not isinstance(row.obj, Operation):
            raise NotFoundError(f"no operation with id {operation_id!r}", "id")
        return row.obj

    def objects(
        self,
        kind: ObjectKind,
        *,
        owner: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        time_s: tuple[float | None, float | None] | None = None,
        since_seq: int | None = None,
        limit: int | None = None,
        after_id: str | None = None,
    ) -> list[ObjectRow]:
        """Objects by id. ``bbox`` is (min_lon, min_lat, max_lon, max_lat) and ``time_s`` a
        half-open [start, end) in epoch seconds: both coarse (rows that may meet them).
        With ``since_seq`` tombstones are included (the rows written after that ledger entry,
        in the order written), else only live objects."""
        table = _tables(kind)[0]
        c = table.c
        if since_seq is not None:
            # in write order; by id, SQLite would walk the whole table in id order (the
            # primary key) rather than the few rows past since_seq (ix_<kind>_seq)
            q = sa.select(*self._cols(table)).where(c.seq > since_seq).order_by(c.seq, c.id)
        else:
            q = sa.select(*self._cols(table)).where(~c.deleted).order_by(c.id)
        if owner is not None:
            q = q.where(c.owner == owner)
        if bbox is not None:
            lon0, lat0, lon1, lat1 = bbox
            q = q.where(c.max_lat >= lat0, c.min_lat <= lat1, c.max_lon >= lon0,
                        c.min_lon <= lon1)
        if time_s is not None:
            t0, t1 = time_s
            if t1 is not None:
                q = q.where(sa.or_(c.time_start_s.is_(None), c.time_start_s < t1))
            if t0 is not None:
                q = q.where(sa.or_(c.time_end_s.is_(None), c.time_end_s > t0))
        if after_id is not None:
            q = q.where(c.id > after_id)
        if limit is not None:
            q = q.limit(limit)
        return [self._row(kind, r) for r in self.conn.execute(q)]

    def put_object(
        self,
        obj: StoredObject,
        *,
        expected_version: str | None = None,
        seq: int = 0,
        shared_with: Iterable[str] = (),
    ) -> None:
        """Insert or replace ``obj``. With ``expected_version`` the live object must exist at
        that version (``VERSION_MISMATCH``) and ``obj`` must carry a new one
        (``VERSION_NOT_NEW``). ``ID_IN_USE`` if an object of the other kind has the id."""
        kind = _kind_of(obj)
        table, other = _tables(kind)
        if self.conn.execute(
            sa.select(other.c.id).where(other.c.id == obj.id, ~other.c.deleted)
        ).first():
            raise ConflictStateError(
                "ID_IN_USE", f"id {obj.id!r} is already used by an object of another kind", "id"
            )
        found = self.conn.execute(
            sa.select(table.c.version, table.c.deleted).where(table.c.id == obj.id)
        ).first()
        current = None if found is None or found.deleted else found.version
        if expected_version is not None:
            if current is None:
                raise NotFoundError(f"no {kind} with id {obj.id!r}", "id")
            if current != expected_version:
                raise ConflictStateError(
                    "VERSION_MISMATCH",
                    f"{kind} {obj.id!r} is at version {current}, not {expected_version}",
                    "version",
                )
            if obj.version == expected_version:
                raise ConflictStateError(
                    "VERSION_NOT_NEW",
                    f"the new {kind} {obj.id!r} must carry a new version (use revised())",
                    "version",
                )
        row = object_row(obj, seq=seq, shared_with=shared_with)
        # parameters passed apart from the statement: SQLAlchemy compiles it once and caches it
        if found is None:
            self.conn.execute(table.insert(), row)
        else:
            row["_id"] = row.pop("id")
            self.conn.execute(table.update().where(table.c.id == sa.bindparam("_id")), row)

    def upsert_objects(self, kind: ObjectKind, rows: list[dict[str, Any]]) -> None:
        """Insert or replace whole rows (from :func:`object_row`), in one executemany; the
        caller has checked versions and ids (the service does, under the writer lock)."""
        if not rows:
            return
        table = _tables(kind)[0]
        dialect = self.conn.dialect.name
        stmt = _UPSERTS.get((table.name, dialect))
        if stmt is None:
            stmt = _UPSERTS[(table.name, dialect)] = _upsert(table, dialect)
        self.conn.execute(stmt, rows)

    def delete_object(
        self, kind: ObjectKind, obj_id: str, *, expected_version: str | None = None,
        seq: int = 0,
    ) -> None:
        """Mark the object deleted (a tombstone); ``NOT_FOUND`` if absent, else
        ``VERSION_MISMATCH`` if ``expected_version`` is stale."""
        table = _tables(kind)[0]
        current = self.conn.execute(
            sa.select(table.c.version).where(table.c.id == obj_id, ~table.c.deleted)
        ).scalar_one_or_none()
        if current is None:
            raise NotFoundError(f"no {kind} with id {obj_id!r}", "id")
        if expected_version is not None and current != expected_version:
            raise ConflictStateError(
                "VERSION_MISMATCH",
                f"{kind} {obj_id!r} is at version {current}, not {expected_version}",
                "version",
            )
        self.conn.execute(
            table.update().where(table.c.id == obj_id).values(
                deleted=True, seq=seq, updated_at=datetime.now(UTC).isoformat()
            )
        )

    # -- parties and tokens -----------------------------------------------------------------

    def put_party(self, party: PartyProfile, *, created_at: str) -> None:
        """Insert or replace a party."""
        values = {"body": party_to_dict(party), "role": party.role}
        if self.conn.execute(sa.select(parties.c.id).where(parties.c.id == party.id)).first():
            self.conn.execute(parties.update().where(parties.c.id == party.id).values(**values))
        else:
            self.conn.execute(parties.insert().values(id=party.id, created_at=created_at,
                                                      **values))

    def party(self, party_id: str) -> PartyProfile | None:
        """The party with ``party_id``, or ``None``."""
        body = self.conn.execute(
            sa.select(parties.c.body).where(parties.c.id == party_id)
        ).scalar_one_or_none()
        return None if body is None else party_from_dict(body)

    def parties(self) -> list[PartyProfile]:
        """Every party, by id."""
        q = sa.select(parties.c.body).order_by(parties.c.id)
        return [party_from_dict(b) for b in self.conn.execute(q).scalars()]

    def add_token(self, token_hash: str, party: str, scopes: Iterable[str], *,
                  created_at: str, expires_at: str | None = None) -> None:
        """Record an API token by its hash."""
        self.conn.execute(tokens.insert().values(
            token_hash=token_hash, party=party, scopes=" ".join(sorted(set(scopes))),
            created_at=created_at, expires_at=expires_at,
        ))

    def token(self, token_hash: str) -> TokenRow | None:
        """The token with that hash, or ``None``."""
        r = self.conn.execute(
            sa.select(tokens).where(tokens.c.token_hash == token_hash)
        ).first()
        if r is None:
            return None
        return TokenRow(r.party, frozenset(r.scopes.split()), r.expires_at, bool(r.revoked))

    def revoke_tokens(self, party: str) -> int:
        """Revoke every token of ``party``; how many were live."""
        res = self.conn.execute(
            tokens.update().where(tokens.c.party == party, ~tokens.c.revoked).values(revoked=True)
        )
        return int(res.rowcount)

    # -- messages ---------------------------------------------------------------------------

    @staticmethod
    def message_values(msg: Message) -> dict[str, Any]:
        return {
            "recipient": msg.recipient,
            "sender": msg.sender,
            "body": _body(msg),
            "state": msg.state.value,
            "subject": msg.subject,
            "deadline_s": None if msg.deadline_at is None else msg.deadline_at.timestamp(),
            "escalated": msg.escalated_at is not None,
            "delivered": msg.delivered_at is not None,
        }

    def add_message(self, msg: Message, *, seq: int, webhook: bool) -> None:
        """Put ``msg`` in its recipient's outbox (and the webhook queue if ``webhook``).
        Its ledger entry ``seq`` (subject: its id; payload: the message) is where its
        details are read from: write it in the same transaction."""
        self.conn.execute(messages.insert(), message_row(msg, seq=seq, webhook=webhook))

    def add_messages(self, rows: list[dict[str, Any]]) -> None:
        """Insert outbox rows (from :func:`message_row`) in one executemany (see
        :meth:`add_message`)."""
        if rows:
            self.conn.execute(_MESSAGES_INSERT, rows)

    def update_message(self, msg: Message) -> None:
        """Store the new state of ``msg``."""
        self.conn.execute(
            messages.update().where(messages.c.id == msg.id).values(**self.message_values(msg))
        )

    def message(self, msg_id: str) -> Message | None:
        """The message with ``msg_id``, or ``None``."""
        row = self.conn.execute(_MESSAGE_SELECT.where(messages.c.id == msg_id)).one_or_none()
        return None if row is None else _message(row)

    def message_seq(self, msg_id: str) -> int | None:
        """The ledger entry that created the message."""
        s = self.conn.execute(
            sa.select(messages.c.seq).where(messages.c.id == msg_id)
        ).scalar_one_or_none()
        return None if s is None else int(s)

    def messages(
        self,
        *,
        recipient: str | None = None,
        sender: str | None = None,
        subject: str | None = None,
        states: Iterable[MessageState] | None = None,
        after_seq: int = 0,
        limit: int = 1000,
    ) -> list[tuple[int, Message]]:
        """Messages with their seq, oldest first, filtered."""
        c = messages.c
        q = _MESSAGE_SELECT.where(c.seq > after_seq).order_by(c.seq, c.id).limit(limit)
        if recipient is not None:
            q = q.where(c.recipient == recipient)
        if sender is not None:
            q = q.where(c.sender == sender)
        if subject is not None:
            q = q.where(c.subject == subject)
        if states is not None:
            q = q.where(c.state.in_([s.value for s in states]))
        return [(int(r.seq), _message(r)) for r in self.conn.execute(q)]

    def overdue_messages(self, now_s: float, limit: int = 500) -> list[Message]:
        """Pending, not yet escalated messages whose deadline has passed."""
        c = messages.c
        q = (
            _MESSAGE_SELECT
            .where(c.state == MessageState.PENDING.value, ~c.escalated,
                   c.deadline_s.is_not(None), c.deadline_s <= now_s)
            .order_by(c.deadline_s)
            .limit(limit)
        )
        return [_message(r) for r in self.conn.execute(q)]

    def webhook_due(self, now_s: float, limit: int = 100) -> list[Message]:
        """Messages whose webhook delivery is due."""
        c = messages.c
        q = (
            _MESSAGE_SELECT
            .where(c.webhook_state == "pending", c.webhook_next_s <= now_s)
            .order_by(c.webhook_next_s, c.seq)
            .limit(limit)
        )
        return [_message(r) for r in self.conn.execute(q)]

    def claim_webhooks(self, now_s: float, until_s: float, limit: int = 1) -> list[Message]:
        """Due webhook deliveries, claimed until ``until_s`` (a lease: their next try is
        pushed there, so no other process sends them meanwhile). In a write transaction."""
        c = messages.c
        rows = self.conn.execute(
            _MESSAGE_SELECT
            .where(c.webhook_state == "pending", c.webhook_next_s <= now_s)
            .order_by(c.webhook_next_s, c.seq)
            .limit(limit)
        ).all()
        if rows:
            self.conn.execute(messages.update().where(c.id.in_([r.id for r in rows]))
                              .values(webhook_next_s=until_s))
        return [_message(r) for r in rows]

    def webhook_attempts(self, msg_id: str) -> int:
        """How many webhook deliveries of ``msg_id`` were tried."""
        return int(self.conn.execute(
            sa.select(messages.c.webhook_attempts).where(messages.c.id == msg_id)
        ).scalar_one_or_none() or 0)

    def webhook_result(self, msg_id: str, *, ok: bool, next_s: float | None = None,
                       error: str | None = None) -> None:
        """Record one webhook attempt: delivered, or failed and retried at ``next_s``."""
        c = messages.c
        values: dict[str, Any] = {"webhook_attempts": c.webhook_attempts + 1}
        if ok:
            values.update(webhook_state="delivered", webhook_next_s=None, webhook_error=None)
        else:
            values.update(webhook_next_s=next_s, webhook_error=(error or "")[:400])
        self.conn.execute(messages.update().where(c.id == msg_id).values(**values))

    def message_counts(self) -> dict[str, int]:
        """Counts for the metrics: by state, and escalated, delivered, webhook pending."""
        c = messages.c
        out = {s.value: 0 for s in MessageState}
        for state, n in self.conn.execute(sa.select(c.state, sa.func.count()).group_by(c.state)):
            out[state] = int(n)
        for name, cond in (("escalated", c.escalated), ("delivered", c.delivered),
                           ("webhook_pending", c.webhook_state == "pending")):
            out[name] = int(self.conn.execute(
                sa.select(sa.func.count()).select_from(messages).where(cond)
            ).scalar_one())
        return out

    # -- the ledger -------------------------------------------------------------------------

    def ledger_head(self) -> tuple[int, str | None]:
        """(seq, hash) of the last ledger entry; ``(0, None)`` when empty."""
        # asked before every batch of writes: plain SQL, not a statement to build and compile
        r = self.conn.exec_driver_sql(_LEDGER_HEAD).first()
        return (0, None) if r is None else (int(r[0]), str(r[1]))

    def ledger_has_kinds(self, after_seq: int, kinds: Iterable[str]) -> bool:
        """Whether an entry of one of ``kinds`` follows entry ``after_seq``."""
        c = ledger.c
        return self.conn.execute(
            sa.select(c.seq).where(c.seq > after_seq, c.kind.in_(list(kinds))).limit(1)
        ).first() is not None

    def append_ledger(self, entry: dict[str, Any]) -> None:
        """Append one entry (as the JSON data of the ledger module)."""
        self.conn.execute(ledger.insert(), ledger_row(entry))

    def append_ledger_rows(self, rows: list[dict[str, Any]]) -> None:
        """Append entries (rows from :func:`ledger_row`, in seq order) in one executemany."""
        if rows:
            self.conn.execute(_LEDGER_INSERT, rows)

    def ledger_entries(self, after_seq: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries after ``after_seq``, in order."""
        q = sa.select(ledger.c.entry).where(ledger.c.seq > after_seq).order_by(ledger.c.seq)
        if limit is not None:
            q = q.limit(limit)
        return [dict(e) for e in self.conn.execute(q).scalars()]

    # -- metadata ---------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A deployment setting, or ``None``."""
        return self.conn.execute(
            sa.select(meta.c.value).where(meta.c.key == key)
        ).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        """Insert or replace a deployment setting."""
        if self.get_meta(key) is None:
            self.conn.execute(meta.insert().values(key=key, value=value))
        else:
            self.conn.execute(meta.update().where(meta.c.key == key).values(value=value))

    # -- track stream offsets -----------------------------------------------------------------

    def stream_offset(self, stream: str, partition: int) -> int:
        """The last message of ``partition`` whose alerts are written (0: none)."""
        got = self.conn.execute(
            sa.select(stream_offsets.c.seq).where(stream_offsets.c.stream == stream,
                                                  stream_offsets.c.partition == partition)
        ).scalar_one_or_none()
        return int(got) if got is not None else 0

    def set_stream_offset(self, stream: str, partition: int, seq: int, *, at: str) -> None:
        """Record ``seq`` as the last message of ``partition`` whose alerts are written."""
        where = (stream_offsets.c.stream == stream, stream_offsets.c.partition == partition)
        done = self.conn.execute(
            stream_offsets.update().where(*where).values(seq=seq, updated_at=at))
        if done.rowcount == 0:
            self.conn.execute(stream_offsets.insert().values(
                stream=stream, partition=partition, seq=seq, updated_at=at))
