"""The deconfliction service: every write of every party goes through here.

One :class:`Service` per process, over one :class:`~deconfliction.store.sql.SqlStore`.
A write is one store transaction that holds the database's writer lock (so several server
processes on one database stay consistent) and, inside it:

1. catches the in-memory :class:`~deconfliction.core.engine.ConflictIndex` up with what other
   processes wrote (every row carries the ledger sequence number of its last write);
2. runs the exact conflict check and the proof-of-awareness check;
3. writes the object, one ledger entry for the write and one for every message it causes,
   and the messages themselves (the durable per-recipient outbox).

Either all of it is committed or none of it. Readers waiting on a party's outbox are woken
after the commit.

Creations and updates of zones and operations go through a group commit
(:mod:`deconfliction.channel.commit`): one writer thread decides every queued write in order
in one such transaction, each against memory that already holds the writes accepted before
it, and answers each after the commit. Reads catch memory up first (:meth:`Service.catch_up`:
one look at the ledger head), so they see what other processes wrote.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconfliction.channel import ledger as ledger_mod
from deconfliction.channel.alerts import AlertEvent, AlertRows, digests
from deconfliction.channel.commit import GroupCommit, Job, Pending
from deconfliction.channel.events import Wakeups
from deconfliction.channel.views import conflict_parties, payload_in_full, view_object
from deconfliction.core.conflict import Conflict
from deconfliction.core.engine import ConflictIndex, Prepared
from deconfliction.core.errors import (
    ConflictStateError,
    DeconflictionError,
    NotFoundError,
    ValidationError,
)
from deconfliction.core.messages import Answer, Message, MessageKind, MessageState, check_reason
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.parties import PartyProfile, party_id
from deconfliction.core.volume import Volume4D
from deconfliction.formats.native import object_to_dict
from deconfliction.formats.rawjson import RawJson
from deconfliction.formats.records import message_to_dict, party_to_dict
from deconfliction.store.port import ObjectKind, StoredObject
from deconfliction.store.sql import SqlStore
from deconfliction.store.tx import ObjectRow, TokenRow, Tx, ledger_row, message_row, object_row

__all__ = [
    "ALL_SCOPES",
    "Principal",
    "RefusedError",
    "Service",
    "WriteResult",
]

#: every scope a token may carry
ALL_SCOPES = frozenset({
    "zones:read", "zones:write", "operations:read", "operations:write",
    "messages:read", "messages:write", "ledger:read", "events:read", "admin",
})
#: what a new party's token gets
PARTY_SCOPES = ALL_SCOPES - {"admin"}
SERVER = "server"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_KEY_META = "server_signing_key"
T = TypeVar("T")
_NOTIFY_KINDS = (MessageKind.OPERATION, MessageKind.LIVE_FIRE, MessageKind.CONFLICT,
                 MessageKind.OVERRIDE)
#: ledger entries that change a party
_PARTY_KINDS = ("party.created", "party.updated")
#: operation kinds whose notices are live-fire or exercise notices
_NOTICE_KINDS = {"live_fire", "exercise"}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and what its token allows."""

    party: str
    scopes: frozenset[str]
    admin: bool = False


class RefusedError(ConflictStateError):
    """A write refused with details: the conflicts, or what the caller has not seen."""

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(code, message, None)
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), **self.details}


@dataclass(slots=True)
class WriteResult:
    """What a write did: the object as the caller sees it, conflicts, messages sent."""

    object: dict[str, Any]
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    ledger_seq: int = 0


def utc_now() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    """How an API token is stored (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_object_id(obj_id: str) -> None:
    """Ids the service accepts: URL-safe, at most 128 characters."""
    if not _ID.match(obj_id):
        raise ValidationError(
            "BAD_ID", "id must be 1-128 of letters, digits, '.', '_', ':', '-'", "id"
        )


def _rows(alerts: AlertRows | Iterable[AlertEvent]) -> AlertRows:
    return alerts if isinstance(alerts, AlertRows) else AlertRows.of(alerts)


class Service:
    """Zones, operations, parties, the channel and the ledger, over one store."""

    def __init__(self, store: SqlStore, *, clock: Callable[[], datetime] = utc_now,
                 conflict_index: bool = True) -> None:
        """``conflict_index=False``: the conflict index of the stored objects is built on
        first use, not now (a monitor worker, which only writes alerts, never builds it)."""
        self.store = store
        self.clock = clock
        self.wakeups = Wakeups()
        self._lock = threading.RLock()
        #: the stored objects' conflict index (``None``: not built yet, see
        #: :meth:`_conflicts_index`)
        self._index: ConflictIndex | None = ConflictIndex() if conflict_index else None
        self._interests = ConflictIndex()
        self._rows: dict[str, ObjectRow] = {}
        self._parties: dict[str, PartyProfile] = {}
        self._seen_seq = 0
        #: moves whenever a zone or operation in memory changes (the ledger also moves with
        #: every message; :meth:`live_objects` callers only care about the objects)
        self._objects_gen = 0
        #: seconds from a message's creation to its first delivery, for the metrics
        self.delivery_latencies: deque[float] = deque(maxlen=10_000)
        #: creations and updates of zones and operations are decided in batches
        self.commits = GroupCommit(self._run_batch)
        #: called inside every write of a zone or binding operation made through this
        #: service's own API (not by a hook's owner): ``hook(tx, pending, kind, volumes)``
        #: with the old and new volumes (the F3548 DSS advances its subscriptions with it)
        self.write_hooks: list[Callable[[Tx, Pending, ObjectKind, tuple[Volume4D, ...]],
                                        object]] = []
        #: API tokens looked up lately: hash -> (valid until, row, party); a token revoked in
        #: the database stops working here within this many seconds
        self.token_cache_s = 1.0
        self._tokens: dict[str, tuple[float, TokenRow, PartyProfile]] = {}
        #: reads compare the ledger head with this process's memory at most this often (0:
        #: every read, one indexed query), and catch up with other processes' writes
        self.read_sync_s = 0.0
        self._read_checked = 0.0
        with self.store.write() as tx:
            self._key = self._load_key(tx)
            self._sync(tx, full=True)

    # -- keys -------------------------------------------------------------------------------

    @staticmethod
    def _load_key(tx: Tx) -> Ed25519PrivateKey:
        text = tx.get_meta(_KEY_META)
        if text is None:
            key = ledger_mod.generate_key()
            tx.set_meta(_KEY_META, ledger_mod.private_key_text(key))
            return key
        return ledger_mod.private_key_from_text(text)

    @property
    def public_key(self) -> str:
        """The server's Ed25519 public key (base64url), which signs the ledger."""
        return ledger_mod.public_key_text(self._key)

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        """The server's private key (for JWTs issued by this deployment)."""
        return self._key

    def public_keys(self) -> dict[str, str]:
        """Key id -> public key, as ``ledger verify --keys`` reads them."""
        return {SERVER: self.public_key}

    # -- memory kept in step with the database ----------------------------------------------

    def _sync(self, tx: Tx, *, full: bool = False) -> tuple[int, str | None]:
        """Catch up with rows written (by any process) after what this one has seen; the
        ledger's head (seq, hash)."""
        head, head_hash = tx.ledger_head()
        if not full and head <= self._seen_seq:
            return head, head_hash
        since = None if full else self._seen_seq
        for kind in ("zone", "operation"):
            kind_: ObjectKind = "zone" if kind == "zone" else "operation"
            for row in tx.objects(kind_, since_seq=since):
                self._apply_row(row)
        # parties change only through put_party, which ledgers it: reload them only then
        if full or tx.ledger_has_kinds(self._seen_seq, _PARTY_KINDS):
            self._parties = {p.id: p for p in tx.parties()}
            self._interests = ConflictIndex(self._interest_zones())
        self._seen_seq = head
        return head, head_hash

    def catch_up(self) -> None:
        """For reads: catch memory up with writes of other processes on this database (when
        the ledger head moved; checked at most every :attr:`read_sync_s`)."""
        now = time.monotonic()
        if self.read_sync_s > 0 and now - self._read_checked < self.read_sync_s:
            return
        self._read_checked = now
        with self.store.read() as tx:
            head, _ = tx.ledger_head()
            if head <= self._seen_seq:
                return
            with self._lock:
                self._sync(tx)

    def live_objects(self, known_gen: int | None = None
                     ) -> tuple[int, list[StoredObject] | None]:
        """(the generation of the objects in memory, every stored zone and operation), after
        catching up; the objects are ``None`` when they are still at generation ``known_gen``
        (no zone or operation changed since; messages and other ledger entries do not count).
        """
        self.catch_up()
        if known_gen == self._objects_gen:  # no lock (an int read): not behind a writer
            return known_gen, None
        with self._lock:
            if known_gen == self._objects_gen:
                return known_gen, None
            return self._objects_gen, [r.obj for r in self._rows.values() if r.obj is not None]

    def versions(self) -> dict[str, str]:
        """Every stored object's current version (what every party may read: the proof of
        awareness of a caller that has read the whole picture)."""
        self.catch_up()
        with self._lock:
            return {i: r.obj.version for i, r in self._rows.items() if r.obj is not None}

    def alert(self, events: AlertRows | Iterable[AlertEvent]) -> list[str]:
        """Live-monitoring alerts (``monitor.Event``, or their rows) into the channel,
        ledgered: to the owner of the zone or operation, the track's party (and the other
        track's party for ``proximity``), one message per recipient listing its alerts
        (:func:`~deconfliction.channel.alerts.digests`), each with a deadline. The message
        ids."""
        rows = _rows(events)
        if not len(rows):
            return []
        with self._write() as (tx, pending):
            return self._alerts(tx, pending, rows)

    def alert_once(self, stream: str,
                   batches: Mapping[int, tuple[int, AlertRows | Sequence[AlertEvent]]]
                   ) -> list[str]:
        """:meth:`alert` for messages of a track stream, at most once, in one transaction:
        ``batches`` maps a partition to (the seq of its last message handled, the alerts of
        its messages up to there). Each partition's offset moves to that seq with its alerts;
        a partition already at or past it is not alerted again (its alerts are dropped).
        Messages of one partition must come in increasing seq (one writer per partition).
        The message ids written."""
        with self._write() as (tx, pending):
            parts: list[AlertRows] = []
            at = ledger_mod.utc_stamp(self.clock())
            for partition, (seq, alerts) in sorted(batches.items()):
                if tx.stream_offset(stream, partition) >= seq:
                    continue
                parts.append(_rows(alerts))
                tx.set_stream_offset(stream, partition, seq, at=at)
            return self._alerts(tx, pending, AlertRows.concat(parts))

    def _alerts(self, tx: Tx, pending: Pending, rows: AlertRows) -> list[str]:
        # the events' JSON is pasted as is into the ledger payload (hashed), the ledger row
        # and the outbox row: a storm's alerts are encoded once
        return [self._send(tx, pending, recipient=d.recipient, sender=SERVER,
                           kind=MessageKind.ALERT, subject=d.subject, subject_version=None,
                           summary=d.summary, details={"events": RawJson(d.events_json)},
                           built=True).id
                for d in digests(rows, self._parties)]

    def _apply_row(self, row: ObjectRow) -> None:
        self._objects_gen += 1
        if row.obj is None:
            self._rows.pop(row.id, None)
            self._unindex(row.id)
        else:
            self._rows[row.id] = row
            self._reindex(row.obj)

    def _interest_zones(self) -> Iterator[Zone]:
        for p in self._parties.values():
            if p.interests:
                yield Zone(id=f"interest.{p.id}", name="", owner=p.id, volumes=p.interests,
                           severity="notify")

    @contextmanager
    def _write(self) -> Iterator[tuple[Tx, Pending]]:
        """One write: the process lock, then the database's writer lock; memory after commit."""
        with self._lock:
            with self.store.write() as tx:
                seq, head = self._sync(tx)
                pending = Pending(seq, head)
                yield tx, pending
                pending.flush(tx)
            self._apply(pending, 0, 0, None)
            self._seen_seq = pending.seq
        self.wakeups.notify(pending.notify)

    def _apply(self, pending: Pending, put_from: int, removed_from: int,
               undo: list[tuple[str, ObjectRow | None]] | None) -> None:
        """Put what ``pending`` wrote (from those positions) in memory; with ``undo``, note
        what each id held before."""
        if len(pending.put) > put_from or len(pending.removed) > removed_from:
            self._objects_gen += 1
        for obj, shared in pending.put[put_from:]:
            if undo is not None:
                undo.append((obj.id, self._rows.get(obj.id)))
            self._rows[obj.id] = ObjectRow(
                obj.id, "zone" if isinstance(obj, Zone) else "operation", obj, pending.seq,
                shared, "")
            self._reindex(obj)
        for obj_id in pending.removed[removed_from:]:
            if undo is not None:
                undo.append((obj_id, self._rows.get(obj_id)))
            self._rows.pop(obj_id, None)
            self._unindex(obj_id)

    def _undo(self, undo: list[tuple[str, ObjectRow | None]]) -> None:
        self._objects_gen += 1
        for obj_id, old in reversed(undo):
            if old is None or old.obj is None:
                self._rows.pop(obj_id, None)
                self._unindex(obj_id)
            else:
                self._rows[obj_id] = old
                self._reindex(old.obj)

    def _reindex(self, obj: StoredObject) -> None:
        """Put ``obj`` in the conflict index (if it is built; else it will be, from memory)."""
        if self._index is not None:
            self._index.add(obj)

    def _unindex(self, obj_id: str) -> None:
        """Take ``obj_id`` out of the conflict index (if it is built)."""
        if self._index is not None:
            self._index.remove(obj_id)

    def _conflicts_index(self) -> ConflictIndex:
        """The stored objects' conflict index, built from memory now if it was not."""
        with self._lock:
            if self._index is None:
                index = ConflictIndex()
                for row in self._rows.values():
                    if row.obj is not None:
                        index.add(row.obj)
                self._index = index
            return self._index

    def _run_batch(self, jobs: list[Job[Any]]) -> None:
        """Decide ``jobs`` in order in one transaction; each sees the ones accepted before
        it (in memory at once). A refused job is rewound and leaves no trace; if the
        transaction fails, every job gets its error and memory is restored."""
        undo: list[tuple[str, ObjectRow | None]] = []
        pending = Pending(0, None)
        with self._lock:
            try:
                with self.store.write() as tx:
                    seq, head = self._sync(tx)
                    pending = Pending(seq, head)
                    for job in jobs:
                        mark = pending.mark()
                        try:
                            job.value = job.fn(tx, pending)
                        except Exception as err:  # refuses this request only
                            pending.rewind(mark)
                            job.error = err
                            continue
                        self._apply(pending, mark.put, mark.removed, undo)
                    pending.flush(tx)
            except Exception as err:
                self._undo(undo)
                for job in jobs:
                    if job.error is None:
                        job.value, job.error = None, err
                return
            self._seen_seq = pending.seq
        self.wakeups.notify(pending.notify)

    def _record(
        self,
        tx: Tx,
        pending: Pending,
        *,
        actor: str,
        kind: str,
        subject: str | None,
        parties: Iterable[str],
        payload: Mapping[str, object],
        built: bool = False,
    ) -> int:
        """Append one signed ledger entry; its seq. ``built``: see
        :func:`~deconfliction.channel.ledger.append_after`."""
        entry = ledger_mod.append_after(
            pending.seq, pending.head, at=ledger_mod.utc_stamp(self.clock()), actor=actor,
            kind=kind, subject=subject, parties=parties, payload=payload, signer=SERVER,
            key=self._key, built=built,
        )
        pending.ledger.append(ledger_row(ledger_mod.entry_to_dict(entry)))
        pending.seq, pending.head = entry.seq, entry.hash
        return entry.seq

    def _send(
        self,
        tx: Tx,
        pending: Pending,
        *,
        recipient: str,
        sender: str,
        kind: MessageKind,
        subject: str | None,
        subject_version: str | None,
        summary: str,
        details: dict[str, Any],
        deadline_at: datetime | None = None,
        needs_answer: bool = True,
        built: bool = False,
    ) -> Message:
        """Put one message in ``recipient``'s outbox, with its ledger entry. ``built``: the
        details were built here and may hold
        :class:`~deconfliction.formats.rawjson.RawJson` (the returned message then does)."""
        now = self.clock()
        party = self._parties.get(recipient)
        if needs_answer and deadline_at is None:
            window = party.ack_window_s if party is not None else 3600.0
            deadline_at = now + timedelta(seconds=window)
        seq = pending.seq + 1
        msg = Message(
            id=f"m{seq}", recipient=recipient, sender=sender, kind=kind, subject=subject,
            subject_version=subject_version, summary=summary, created_at=now,
            deadline_at=deadline_at if needs_answer else None, details=details,
            state=MessageState.PENDING if needs_answer else MessageState.ACKED,
        )
        got = self._record(tx, pending, actor=sender, kind="message.sent", subject=msg.id,
                           parties=[recipient, sender], payload=message_to_dict(msg), built=built)
        assert got == seq
        pending.messages.append(message_row(
            msg, seq=seq, webhook=party is not None and party.webhook_url is not None))
        pending.notify.add(recipient)
        return msg

    # -- parties and tokens -----------------------------------------------------------------

    def party(self, party: str) -> PartyProfile:
        """A party's profile, else ``NOT_FOUND``."""
        with self._lock:
            found = self._parties.get(party)
        if found is None:
            raise NotFoundError(f"no party {party!r}", "party")
        return found

    def parties_by_id(self) -> dict[str, PartyProfile]:
        """Every party by id (a copy)."""
        with self._lock:
            return dict(self._parties)

    def parties(self) -> list[PartyProfile]:
        """Every party."""
        with self._lock:
            return sorted(self._parties.values(), key=lambda p: p.id)

    def put_party(self, actor: str, profile: PartyProfile, *, create: bool) -> PartyProfile:
        """Create (``create``) or replace a party; recorded in the ledger."""
        with self._write() as (tx, pending):
            exists = tx.party(profile.id) is not None
            if profile.id == SERVER:
                raise ValidationError("RESERVED_PARTY", f"{SERVER!r} is not a party", "id")
            if create and exists:
                raise ConflictStateError("PARTY_EXISTS", f"party {profile.id!r} exists", "id")
            if not create and not exists:
                raise NotFoundError(f"no party {profile.id!r}", "party")
            if profile.escalation_to is not None and tx.party(profile.escalation_to) is None:
                raise ValidationError("UNKNOWN_PARTY", f"no party {profile.escalation_to!r}",
                                      "escalation_to")
            tx.put_party(profile, created_at=ledger_mod.utc_stamp(self.clock()))
            self._record(tx, pending, actor=actor,
                         kind="party.created" if create else "party.updated",
                         subject=profile.id, parties=[profile.id],
                         payload={"party": party_to_dict(profile)})
            self._parties[profile.id] = profile
            self._interests = ConflictIndex(self._interest_zones())
        return profile

    def issue_token(self, actor: str, party: str, scopes: Iterable[str] | None = None,
                    *, ttl_s: float | None = None) -> str:
        """A new API token for ``party`` (shown once; only its hash is kept)."""
        wanted = frozenset(scopes) if scopes is not None else None
        with self._write() as (tx, pending):
            profile = tx.party(party)
            if profile is None:
                raise NotFoundError(f"no party {party!r}", "party")
            default = ALL_SCOPES if profile.admin else PARTY_SCOPES
            granted = default if wanted is None else wanted
            unknown = granted - ALL_SCOPES
            if unknown:
                raise ValidationError("BAD_SCOPE", f"unknown scopes {sorted(unknown)}", "scopes")
            if "admin" in granted and not profile.admin:
                raise ValidationError("BAD_SCOPE", "only an admin party gets 'admin'", "scopes")
            token = "dcf_" + secrets.token_urlsafe(32)
            now = self.clock()
            expires = None if ttl_s is None else ledger_mod.utc_stamp(
                now + timedelta(seconds=ttl_s))
            tx.add_token(hash_token(token), party, granted,
                         created_at=ledger_mod.utc_stamp(now), expires_at=expires)
            self._record(tx, pending, actor=actor, kind="token.issued", subject=party,
                         parties=[party], payload={"party": party, "scopes": sorted(granted),
                                                   "expires_at": expires})
        return token

    def authenticate_token(self, token: str) -> Principal | None:
        """The principal of a live API token, or ``None``."""
        found = self.cached_token(token)
        if found is not None:
            return found
        key = hash_token(token)
        with self.store.read() as tx:
            row = tx.token(key)
            if row is None or row.revoked:
                return None
            # a party created by another process on this database is not in memory until
            # this one writes: read it then
            profile = self._parties.get(row.party) or tx.party(row.party)
        if profile is None:
            return None
        self._tokens[key] = (time.monotonic() + self.token_cache_s, row, profile)
        return self._principal_of(row, profile)

    def cached_token(self, token: str) -> Principal | None:
        """The principal of an API token looked up less than :attr:`token_cache_s` ago
        (expiry is checked every time), else ``None`` (look it up: :meth:`authenticate_token`)."""
        hit = self._tokens.get(hash_token(token))
        if hit is None or hit[0] < time.monotonic():
            return None
        return self._principal_of(hit[1], hit[2])

    def _principal_of(self, row: TokenRow, profile: PartyProfile) -> Principal | None:
        if row.expires_at is not None and row.expires_at <= ledger_mod.utc_stamp(self.clock()):
            return None
        return Principal(row.party, row.scopes, admin=profile.admin and "admin" in row.scopes)

    def principal(self, party: str, scopes: Iterable[str]) -> Principal | None:
        """The principal for a verified JWT's subject, or ``None`` if no such party."""
        profile = self._parties.get(party)
        if profile is None:
            return None
        s = frozenset(scopes) & ALL_SCOPES
        return Principal(party, s, admin=profile.admin and "admin" in s)

    # -- reading objects --------------------------------------------------------------------

    def _contact(self, owner: str) -> str:
        p = self._parties.get(owner)
        return p.contact if p is not None else ""

    def view(self, who: Principal, row: ObjectRow) -> dict[str, Any]:
        """An object as ``who`` may see it."""
        assert row.obj is not None
        return view_object(row.obj, viewer=who.party, admin=who.admin,
                           shared_with=row.shared_with, contact=self._contact(row.obj.owner))

    def get(self, who: Principal, obj_id: str, kind: ObjectKind | None = None) -> dict[str, Any]:
        """One object as ``who`` sees it; ``NOT_FOUND`` if absent (or of the other kind)."""
        self.catch_up()
        with self._lock:
            row = self._rows.get(obj_id)
        if row is None or row.obj is None or (kind is not None and row.kind != kind):
            raise NotFoundError(f"no {kind or 'object'} with id {obj_id!r}", "id")
        return self.view(who, row)

    def list_objects(
        self,
        who: Principal,
        kind: ObjectKind,
        *,
        owner: str | None = None,
        state: str | None = None,
        near: Zone | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Objects of ``kind``, filtered: ``near`` keeps those whose volumes come within zero
        metres of its volumes (exactly; any time unless ``start``/``end``), ``start``/``end``
        keep those whose validity overlaps ``[start, end)``."""
        self.catch_up()
        with self._lock:
            rows = [r for r in self._rows.values() if r.kind == kind and r.obj is not None]
            hits: set[str] | None = None
            if near is not None:
                # binding objects are in the index; drafts (few) get a small one of their own
                drafts = ConflictIndex(r.obj.transition(OperationState.PROPOSED) for r in rows
                                       if isinstance(r.obj, Operation) and not r.obj.binding
                                       and r.obj.state is OperationState.DRAFT)
                hits = {c.b_id for c in _all_meeting(self._conflicts_index(), near)}
                hits |= {c.b_id for c in _all_meeting(drafts, near)}
        out = []
        for r in sorted(rows, key=lambda r: r.id):
            obj = r.obj
            assert obj is not None
            if owner is not None and obj.owner != owner:
                continue
            if state is not None and (not isinstance(obj, Operation) or obj.state.value != state):
                continue
            if hits is not None and r.id not in hits:
                continue
            v = obj.validity
            if start is not None and v.end is not None and v.end <= start:
                continue
            if end is not None and v.start is not None and v.start >= end:
                continue
            out.append(self.view(who, r))
        return out

    def conflicts(self, who: Principal) -> list[dict[str, Any]]:
        """Current conflicts between stored objects that involve ``who`` (all for an admin)."""
        # every conflict involves an operation; one involving ``who`` involves an operation or
        # zone it owns, or an operation it takes part in (the parties to blame): check those
        self.catch_up()
        with self._lock:
            owner_of = {i: r.obj.owner for i, r in self._rows.items() if r.obj is not None}
            seen: set[tuple[str, int, str, int]] = set()
            out = []
            for r in sorted(self._rows.values(), key=lambda r: r.id):
                obj = r.obj
                if obj is None or (isinstance(obj, Operation) and not obj.binding):
                    continue
                if who.admin:
                    if not isinstance(obj, Operation):
                        continue
                elif obj.owner != who.party and not (
                    isinstance(obj, Operation) and who.party in obj.participants
                ):
                    continue
                for c in self._conflicts_index().check(obj):
                    key = min((c.a_id, c.a_volume, c.b_id, c.b_volume),
                              (c.b_id, c.b_volume, c.a_id, c.a_volume))
                    if key in seen:
                        continue
                    if not who.admin and who.party not in conflict_parties(c, owner_of):
                        continue
                    seen.add(key)
                    out.append(c.to_dict())
        return out

    def check(self, obj: StoredObject) -> list[Conflict]:
        """The conflicts ``obj`` would have with what is stored now (nothing is written)."""
        with self._lock, self.store.write() as tx:
            self._sync(tx)
            return self._conflicts_index().check(obj)

    # -- writing objects --------------------------------------------------------------------

    def _authorise_owner(self, who: Principal, owner: str) -> None:
        if owner != who.party and not who.admin:
            raise DeconflictionError(
                "NOT_OWNER", f"{who.party} cannot write an object owned by {owner}", "owner"
            )

    def _awareness(self, who: Principal, obj: Operation, seen: Mapping[str, str],
                   meeting: list[Conflict]) -> list[dict[str, Any]]:
        """Other parties' objects that ``obj`` meets in 4D (``meeting``) whose current
        version the caller has not presented."""
        missing = []
        for oid in sorted({c.b_id for c in meeting}):
            row = self._rows.get(oid)
            if row is None or row.obj is None or row.obj.owner == obj.owner:
                continue
            if seen.get(oid) != row.obj.version:
                missing.append({"id": oid, "kind": row.kind, "owner": row.obj.owner,
                                "version": row.obj.version, "presented": seen.get(oid)})
        return missing

    def _interested(self, obj: StoredObject, conflicts: list[Conflict],
                    meeting: list[Conflict]) -> set[str]:
        """Parties to tell about ``obj``: owners of what it meets (``meeting``) and declared
        interests."""
        out: set[str] = set()
        for c in meeting:
            row = self._rows.get(c.b_id)
            if row is not None and row.obj is not None:
                out.add(row.obj.owner)
        for c in _all_meeting(self._interests, obj) if len(self._interests) else ():
            out.add(c.b_id.removeprefix("interest."))
        for c in conflicts:
            out.update(c.parties)
        if isinstance(obj, Operation):
            out.update(obj.participants)
        out.discard(obj.owner)
        return {p for p in out if p in self._parties}

    def save(
        self,
        who: Principal,
        obj: StoredObject,
        *,
        expected_version: str | None,
        create: bool,
        seen: Mapping[str, str] | None = None,
        override: str | None = None,
        shared_with: Iterable[str] | None = None,
    ) -> WriteResult:
        """Create or update a zone or operation, with every check; see the module doc."""
        return self.commits.submit(self.save_job(
            who, obj, expected_version=expected_version, create=create, seen=seen,
            override=override, shared_with=shared_with))

    async def save_async(
        self,
        who: Principal,
        obj: StoredObject,
        *,
        expected_version: str | None,
        create: bool,
        seen: Mapping[str, str] | None = None,
        override: str | None = None,
        shared_with: Iterable[str] | None = None,
    ) -> WriteResult:
        """:meth:`save` for a coroutine: awaits the commit instead of blocking a thread."""
        job = self.save_job(who, obj, expected_version=expected_version, create=create,
                            seen=seen, override=override, shared_with=shared_with)
        return await self.commits.run_async(job)

    def save_job(
        self,
        who: Principal,
        obj: StoredObject,
        *,
        expected_version: str | None,
        create: bool,
        seen: Mapping[str, str] | None = None,
        override: str | None = None,
        shared_with: Iterable[str] | None = None,
        prepared: Prepared | None = None,
        hooks: bool = True,
    ) -> Job[WriteResult]:
        """The checks that need no lock, then the write as a job for the group commit.
        ``prepared``: the index lookups of ``obj``'s outlines made earlier in the same job
        (see :meth:`meeting`), reused."""
        check_object_id(obj.id)
        _refuse_reserved(obj)
        self._authorise_owner(who, obj.owner)
        kind: ObjectKind = "zone" if isinstance(obj, Zone) else "operation"
        shared_given = frozenset(party_id(p, "shared_with") for p in (shared_with or ()))
        justification = None if override is None else check_reason(
            override, required=True, what="an override", field_name="override")

        # decided in a batch, in order, under the process lock and the database's writer lock
        def job(tx: Tx, pending: Pending) -> WriteResult:
            shared = shared_given
            current = self._rows.get(obj.id)
            if current is not None and current.kind != kind:
                raise ConflictStateError(
                    "ID_IN_USE", f"id {obj.id!r} is used by a {current.kind}", "id")
            if create and current is not None:
                raise ConflictStateError("ID_IN_USE", f"id {obj.id!r} is in use", "id")
            if not create:
                if current is None or current.kind != kind or current.obj is None:
                    raise NotFoundError(f"no {kind} with id {obj.id!r}", "id")
                self._authorise_owner(who, current.obj.owner)
                if expected_version is None:
                    raise ValidationError(
                        "VERSION_REQUIRED",
                        "an update names the version it replaces (If-Match or 'version')",
                        "version",
                    )
                if current.obj.version != expected_version:
                    raise ConflictStateError(
                        "VERSION_MISMATCH",
                        f"{kind} {obj.id!r} is at version {current.obj.version}, "
                        f"not {expected_version}", "version")
                if obj.version == expected_version:
                    raise ConflictStateError(
                        "VERSION_NOT_NEW",
                        f"the new {kind} {obj.id!r} must carry a new version (use revised())",
                        "version")
                if shared_with is None:
                    shared = current.shared_with
            # one spatial query for both checks (and the caller's, if it made one)
            shared_lookups: Prepared = {} if prepared is None else prepared
            conflicts = self._conflicts_index().check(obj, prepared=shared_lookups)
            binding = isinstance(obj, Zone) or obj.binding
            meeting = _all_meeting(self._conflicts_index(), obj, shared_lookups) if binding else []
            if isinstance(obj, Operation) and binding:
                missing = self._awareness(who, obj, seen or {}, meeting)
                if missing:
                    raise RefusedError(
                        "AWARENESS_REQUIRED",
                        f"present the current version of {len(missing)} object(s) of other "
                        "parties that this operation meets in 4D",
                        {"missing": missing},
                    )
            blocking = conflicts if binding else []
            if blocking and justification is None:
                raise RefusedError(
                    "CONFLICTS",
                    f"{len(blocking)} conflict(s); change the request or override with a "
                    "written justification",
                    {"conflicts": [c.to_dict() for c in blocking]},
                )
            action = f"{kind}.{'created' if create else 'updated'}"
            recipients = self._interested(obj, conflicts, meeting) if binding else set()
            involved = sorted({who.party, obj.owner, *recipients})
            seq = self._record(tx, pending, actor=who.party, kind=action, subject=obj.id,
                               parties=involved,
                               payload={"object": object_to_dict(obj),
                                        "shared_with": sorted(shared),
                                        "override": justification,
                                        "conflicts": [c.to_dict() for c in blocking]})
            pending.objects.append((kind, object_row(obj, seq=seq, shared_with=shared)))
            sent = self._notify(tx, pending, who, obj, shared, action, blocking,
                                justification, recipients)
            pending.put.append((obj, shared))
            if hooks and self.write_hooks:
                old = current.obj if current is not None else None
                touched = (*(old.volumes if old is not None and _takes_space(old) else ()),
                           *(obj.volumes if binding else ()))
                if touched:
                    for hook in self.write_hooks:
                        hook(tx, pending, kind, touched)
            row = ObjectRow(obj.id, kind, obj, seq, shared, "")
            return WriteResult(self.view(who, row), [c.to_dict() for c in conflicts],
                               [m.id for m in sent], seq)

        return Job(job)

    def _notify(self, tx: Tx, pending: Pending, who: Principal, obj: StoredObject,
                shared: frozenset[str], action: str, conflicts: list[Conflict],
                justification: str | None, recipients: set[str]) -> list[Message]:
        sent = []
        by_party: dict[str, list[Conflict]] = {}
        # the owners of what conflicts (not of every row: a write stays O(what it meets))
        owner_of = {obj.id: obj.owner}
        for c in conflicts:
            for i in (c.a_id, c.b_id):
                r = self._rows.get(i)
                if r is not None and r.obj is not None and i != obj.id:
                    owner_of[i] = r.obj.owner
        for c in conflicts:
            for p in conflict_parties(c, owner_of):
                by_party.setdefault(p, []).append(c)
        deadline = None
        if isinstance(obj, Operation):
            start = obj.validity.start
            now = self.clock()
            if start is not None and start > now:
                deadline = start
        for p in sorted(recipients):
            mine = by_party.get(p, [])
            if justification is not None and mine:
                kind = MessageKind.OVERRIDE
                summary = f"{obj.owner} overrode {len(mine)} conflict(s) with {obj.id}"
            elif mine:
                kind = MessageKind.CONFLICT
                summary = f"{obj.id} of {obj.owner} conflicts with your objects"
            elif isinstance(obj, Operation) and obj.kind in _NOTICE_KINDS:
                kind = MessageKind.LIVE_FIRE
                summary = f"{obj.kind.replace('_', ' ')} notice: {obj.id} of {obj.owner}"
            elif isinstance(obj, Zone):
                kind = MessageKind.ZONE
                summary = f"zone {obj.id} of {obj.owner} {action.split('.')[1]}"
            else:
                kind = MessageKind.OPERATION
                summary = f"operation {obj.id} of {obj.owner} {action.split('.')[1]}"
            party = self._parties[p]
            dl = self.clock() + timedelta(seconds=party.ack_window_s)
            if deadline is not None and deadline < dl:
                dl = max(deadline, self.clock() + timedelta(seconds=60))
            view = view_object(obj, viewer=p, admin=False, shared_with=shared,
                               contact=self._contact(obj.owner))
            details: dict[str, Any] = {"action": action, "object": view,
                                       "conflicts": [c.to_dict() for c in mine]}
            if justification is not None:
                details["override"] = justification
            sent.append(self._send(tx, pending, recipient=p, sender=who.party, kind=kind,
                                   subject=obj.id, subject_version=obj.version,
                                   summary=summary, details=details, deadline_at=dl))
        return sent

    def transition(
        self,
        who: Principal,
        op_id: str,
        to: str,
        *,
        expected_version: str | None,
        override: str | None = None,
        seen: Mapping[str, str] | None = None,
    ) -> WriteResult:
        """Move an operation through its lifecycle; going ``active`` needs every notice about it
        acknowledged (``UNACKNOWLEDGED_NOTICES``) unless overridden."""
        self.catch_up()
        with self._lock:
            row = self._rows.get(op_id)
        if row is None or not isinstance(row.obj, Operation):
            raise NotFoundError(f"no operation with id {op_id!r}", "id")
        # before any check whose answer tells about the operation (its notices, its state)
        self._authorise_owner(who, row.obj.owner)
        new = row.obj.transition(to)
        if new.state is OperationState.ACTIVE:
            with self.store.read() as tx:
                open_ = [m for _, m in tx.messages(subject=op_id)
                         if m.kind in _NOTIFY_KINDS and m.state is not MessageState.ACKED]
            if open_ and override is None:
                raise RefusedError(
                    "UNACKNOWLEDGED_NOTICES",
                    f"{len(open_)} notice(s) about {op_id} are not acknowledged",
                    {"messages": [{"id": m.id, "recipient": m.recipient,
                                   "state": m.state.value} for m in open_]},
                )
        if new.state is OperationState.CANCELLED or new.state is OperationState.ENDED:
            return self._retire(who, row, new, expected_version)
        if seen is None and row.obj.binding:
            # a change between binding states does not move the operation: what it meets was
            # presented when it became binding. Making a draft binding needs the proof.
            with self._lock:
                seen = {r.id: r.obj.version for r in self._rows.values() if r.obj is not None}
        return self.save(who, new, expected_version=expected_version, create=False,
                         seen=seen, override=override)

    def _retire(self, who: Principal, row: ObjectRow, new: Operation,
                expected_version: str | None) -> WriteResult:
        """Cancel or end an operation: no checks; parties that were told are told again."""
        assert isinstance(row.obj, Operation)
        self._authorise_owner(who, row.obj.owner)
        with self._write() as (tx, pending):
            if expected_version is None:
                raise ValidationError("VERSION_REQUIRED", "name the version it replaces",
                                      "version")
            cur = self._rows.get(new.id)
            if cur is None or cur.obj is None or cur.obj.version != expected_version:
                raise ConflictStateError(
                    "VERSION_MISMATCH", f"operation {new.id!r} is not at {expected_version}",
                    "version")
            told = sorted({m.recipient for _, m in tx.messages(subject=new.id)} - {who.party})
            action = f"operation.{new.state.value}"
            seq = self._record(tx, pending, actor=who.party, kind=action, subject=new.id,
                               parties=[who.party, new.owner, *told],
                               payload={"object": object_to_dict(new)})
            tx.put_object(new, seq=seq, shared_with=row.shared_with,
                          expected_version=expected_version)
            sent = [self._send(tx, pending, recipient=p, sender=who.party,
                               kind=MessageKind.CANCELLATION, subject=new.id,
                               subject_version=new.version,
                               summary=f"operation {new.id} of {new.owner} {new.state.value}",
                               details={"action": action}, needs_answer=True)
                    for p in told if p in self._parties]
            pending.put.append((new, row.shared_with))
        view = self.view(who, replace(row, obj=new))
        return WriteResult(view, [], [m.id for m in sent], seq)

    def delete(self, who: Principal, kind: ObjectKind, obj_id: str,
               expected_version: str | None) -> WriteResult:
        """Withdraw a zone (or a draft operation); the parties told about it are told."""
        with self._write() as (tx, pending):
            return self.delete_in(tx, pending, who, kind, obj_id, expected_version)

    def delete_in(self, tx: Tx, pending: Pending, who: Principal, kind: ObjectKind,
                  obj_id: str, expected_version: str | None, *,
                  binding_too: bool = False, hooks: bool = True) -> WriteResult:
        """:meth:`delete` inside a write (a group-commit job, or :meth:`_write`);
        ``binding_too`` deletes a binding operation too (an F3548 intent's reference)."""
        row = self._rows.get(obj_id)
        if row is None or row.kind != kind or row.obj is None:
            raise NotFoundError(f"no {kind} with id {obj_id!r}", "id")
        self._authorise_owner(who, row.obj.owner)
        if (isinstance(row.obj, Operation) and row.obj.binding and not who.admin
                and not binding_too):
            raise ConflictStateError(
                "CANNOT_DELETE", "cancel or end a binding operation instead", "state")
        if expected_version is None:
            raise ValidationError("VERSION_REQUIRED", "name the version it replaces",
                                  "version")
        if row.obj.version != expected_version:
            raise ConflictStateError(
                "VERSION_MISMATCH", f"{kind} {obj_id!r} is at version {row.obj.version}, "
                f"not {expected_version}", "version")
        # nothing below refuses: write what the batch buffered, so the tombstone lands
        # after an upsert of the same id earlier in the batch
        pending.flush(tx)
        told = sorted({m.recipient for _, m in tx.messages(subject=obj_id)} - {who.party})
        seq = self._record(tx, pending, actor=who.party, kind=f"{kind}.deleted",
                           subject=obj_id, parties=[who.party, row.obj.owner, *told],
                           payload={"id": obj_id, "version": expected_version})
        tx.delete_object(kind, obj_id, expected_version=expected_version, seq=seq)
        sent = [self._send(tx, pending, recipient=p, sender=who.party,
                           kind=MessageKind.CANCELLATION, subject=obj_id,
                           subject_version=expected_version,
                           summary=f"{kind} {obj_id} of {row.obj.owner} withdrawn",
                           details={"action": f"{kind}.deleted"})
                for p in told if p in self._parties]
        pending.removed.append(obj_id)
        if hooks and _takes_space(row.obj):
            for hook in self.write_hooks:
                hook(tx, pending, kind, row.obj.volumes)
        return WriteResult({"id": obj_id, "deleted": True}, [], [m.id for m in sent], seq)

    # -- for the ASTM F3548 DSS (deconfliction.dss): reads of memory, jobs of its own ------

    def row(self, obj_id: str) -> ObjectRow | None:
        """The stored zone or operation with ``obj_id`` in memory (``None`` if absent);
        inside a job this is the state the job decides against."""
        with self._lock:
            found = self._rows.get(obj_id)
        return found if found is not None and found.obj is not None else None

    def meeting(self, probe: StoredObject, prepared: Prepared | None = None
                ) -> list[ObjectRow]:
        """Every stored binding zone and operation that ``probe``'s volumes meet in 4D
        (exactly; within the larger buffer), by id; memory as it is (call :meth:`catch_up`
        first outside a job). ``prepared`` keeps the index lookups, for a :meth:`save_job`
        of ``probe`` in the same job to reuse."""
        with self._lock:
            ids = sorted({c.b_id for c in _all_meeting(self._conflicts_index(), probe, prepared)}
                         - {probe.id})
            return [r for i in ids if (r := self._rows.get(i)) is not None
                    and r.obj is not None]

    async def run_job(self, fn: Callable[[Tx, Pending], T]) -> T:
        """Run ``fn(tx, pending)`` as one job of the group commit (in order with every other
        write, under the process lock and the database's writer lock); its outcome."""
        return await self.commits.run_async(Job(fn))

    # -- messages ---------------------------------------------------------------------------

    def inbox(self, who: Principal, *, after_seq: int = 0, pending_only: bool = False,
              limit: int = 100, mark_delivered: bool = True) -> list[tuple[int, Message]]:
        """``who``'s messages after ``after_seq``, oldest first; marks them delivered."""
        states = [MessageState.PENDING] if pending_only else None
        with self.store.read() as tx:
            found = tx.messages(recipient=who.party, states=states, after_seq=after_seq,
                                limit=limit)
        fresh = [m for _, m in found if m.delivered_at is None]
        if mark_delivered and fresh:
            self._mark_delivered(fresh)
        return found

    def note_delivered(self, msg: Message) -> None:
        """A message reached its recipient by some path (first delivery counts)."""
        self._mark_delivered([msg])

    def _mark_delivered(self, msgs: list[Message]) -> None:
        now = self.clock()
        with self._lock, self.store.write() as tx:
            for m in msgs:
                cur = tx.message(m.id)
                if cur is not None and cur.delivered_at is None:
                    tx.update_message(replace(cur, delivered_at=now))
                    self.delivery_latencies.append((now - cur.created_at).total_seconds())

    def sent(self, who: Principal, *, after_seq: int = 0, limit: int = 100
             ) -> list[tuple[int, Message]]:
        """Messages ``who`` sent (the sender's view: answers and escalations)."""
        with self.store.read() as tx:
            return tx.messages(sender=who.party, after_seq=after_seq, limit=limit)

    def message(self, who: Principal, msg_id: str) -> Message:
        """One message, to its recipient or sender (or an admin)."""
        with self.store.read() as tx:
            msg = tx.message(msg_id)
        if msg is None or not (who.admin or who.party in (msg.recipient, msg.sender)):
            raise NotFoundError(f"no message {msg_id!r}", "id")
        return msg

    def answer(self, who: Principal, msg_id: str, answer: str, reason: str = "") -> Message:
        """The recipient answers a message; the sender is told of objections and requests."""
        with self._write() as (tx, pending):
            msg = tx.message(msg_id)
            if msg is None or msg.recipient != who.party:
                raise NotFoundError(f"no message {msg_id!r} in your inbox", "id")
            now = self.clock()
            done = msg.answered(answer, reason, now)
            if done.delivered_at is None:
                done = replace(done, delivered_at=now)
            tx.update_message(done)
            self._record(tx, pending, actor=who.party, kind=f"message.{done.state.value}",
                         subject=msg_id, parties=[msg.recipient, msg.sender],
                         payload={"id": msg_id, "answer": Answer(answer).value,
                                  "reason": done.answer_reason})
            pending.notify.add(msg.sender)
        return done

    def escalate_overdue(self) -> list[Message]:
        """Escalate every pending message past its deadline (once each); the escalations."""
        now = self.clock()
        out: list[Message] = []
        with self._write() as (tx, pending):
            for msg in tx.overdue_messages(now.timestamp()):
                tx.update_message(replace(msg, escalated_at=now))
                self._record(tx, pending, actor=SERVER, kind="message.escalated",
                             subject=msg.id, parties=[msg.recipient, msg.sender],
                             payload={"id": msg.id, "deadline_at": ledger_mod.utc_stamp(
                                 msg.deadline_at or now)})
                rec = self._parties.get(msg.recipient)
                targets = []
                if rec is not None and rec.escalation_to in self._parties:
                    targets.append(rec.escalation_to)
                if msg.sender in self._parties and msg.sender not in targets:
                    targets.append(msg.sender)
                for t in targets:
                    assert t is not None
                    out.append(self._send(
                        tx, pending, recipient=t, sender=SERVER, kind=MessageKind.ESCALATION,
                        subject=msg.id, subject_version=None,
                        summary=f"{msg.recipient} did not answer {msg.id} ({msg.summary}) "
                                "by its deadline",
                        details={"message": message_to_dict(msg)},
                        needs_answer=t != msg.sender))
        return out

    # -- the ledger -------------------------------------------------------------------------

    def ledger_entries(self, who: Principal, *, after_seq: int = 0, limit: int | None = None
                       ) -> list[ledger_mod.LedgerEntry]:
        """The ledger as ``who`` may read it: every entry, payloads only where it is involved."""
        with self.store.read() as tx:
            raw = tx.ledger_entries(after_seq, limit)
        out = []
        for d in raw:
            e = ledger_mod.entry_from_dict(d)
            if not who.admin and (who.party not in e.parties
                                  or not payload_in_full(e.payload, who.party)):
                e = ledger_mod.withheld(e)
            out.append(e)
        return out

    def verify_ledger(self) -> ledger_mod.VerifyReport:
        """Verify the whole stored ledger with the server's public key."""
        with self.store.read() as tx:
            raw = tx.ledger_entries()
        keys = {SERVER: ledger_mod.public_key_from_text(self.public_key)}
        return ledger_mod.verify([ledger_mod.entry_from_dict(d) for d in raw], keys)


def _all_meeting(index: ConflictIndex, obj: StoredObject,
                 prepared: Prepared | None = None) -> list[Conflict]:
    """Every stored object ``obj`` meets in 4D (within the buffers), whatever the rules say.

    The index applies the deconfliction rules; a probe owned by the reserved party
    ``server`` (no party has that id, no zone allows it: :meth:`Service.save` refuses both)
    conflicts, under those rules, with every binding object it meets: exactly the set
    wanted here.
    """
    probe = Operation(id=obj.id, name="", owner=SERVER, volumes=obj.volumes,
                      participants=frozenset({SERVER}), state=OperationState.PROPOSED,
                      buffer_m=obj.buffer_m)
    return index.check(probe, prepared=prepared)


def _takes_space(obj: StoredObject) -> bool:
    """A zone, or a binding operation (what conflicts and what F3548 reports)."""
    return isinstance(obj, Zone) or obj.binding


def _refuse_reserved(obj: StoredObject) -> None:
    named = {obj.owner} | (obj.allowed if isinstance(obj, Zone) else obj.participants)
    if SERVER in named:
        raise ValidationError("RESERVED_PARTY", f"{SERVER!r} is not a party", "owner")
