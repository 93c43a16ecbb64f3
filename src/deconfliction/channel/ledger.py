"""The verifiable ledger: an append-only, hash-chained, signed record of every write and message.

Each :class:`LedgerEntry` names who acted (``actor``), which key signed it (``signer``), what
happened (``kind``, ``subject``), whom it concerns (``parties``) and the sha256 of its
``payload``. Its ``hash`` is the sha256 of its *header* (every field but ``hash``,
``signature`` and ``payload``) in :func:`canonical_json`, the header includes the hash of the
entry before it (``prev_hash``; :data:`GENESIS_HASH` for the first), and ``signature`` is
Ed25519 over the ASCII bytes of ``hash``. So:

- a party may be given an entry with its payload withheld (:func:`withheld`): the header still
  binds the payload by its hash, and chain and signatures still verify;
- two parties hold the same record exactly when they hold the same head hash;
- :func:`verify` needs nothing but the entries and the signers' public keys, and stops at the
  first altered, re-signed, removed, repeated or reordered entry. Removing entries from the
  *end* leaves a valid shorter record; only a known head (``expect_head``) reveals it.

What verification proves is that the record is the one the signer signed, in the order it
signed it; not that the signer told the truth.

Throughput, measured on the 2-core development machine (one thread, cryptography 50 on
OpenSSL 4, 209-byte payloads, best of 5 runs of 5,000 entries): ``append`` about 11,000
entries/s (86 us each, 37 of them Ed25519 signing) and ``verify`` about 6,000-6,400 entries/s
(155-165 us each, 121 of them Ed25519 verification, which alone caps it near 8,000/s).
cryptography releases the GIL while verifying, so checking signatures on two threads would
roughly double ``verify``; it is not done here.

Examples
--------
>>> key = private_key_from_text("A" * 43)   # a fixed key, so the output below is stable
>>> e1 = append(None, at="2018-09-07T10:00:00.000Z", actor="coalition", kind="zone.created",
...             subject="at-tanf", parties=["russia", "coalition"],
...             payload={"radius_m": 55000}, signer="server", key=key)
>>> e2 = append(e1, at="2018-09-07T10:00:05.250Z", actor="russia", kind="message.acked",
...             subject="msg-1", parties=["russia"], payload={}, signer="server", key=key)
>>> (e1.seq, e1.parties, e1.prev_hash == GENESIS_HASH), (e2.seq, e2.prev_hash == e1.hash)
((1, ('coalition', 'russia'), True), (2, True))
>>> keys = {"server": key.public_key()}
>>> verify([e1, e2], keys)
VerifyReport(ok=True, count=2, head_seq=2, head_hash='...', first_bad_seq=None, code=None,
             problem=None)
>>> verify([withheld(e1), e2], keys).ok
True
>>> verify([e2, e1], keys).code
'NOT_GENESIS'
>>> verify([e2], keys, start_after=(e1.seq, e1.hash)).ok
True
>>> read_jsonl(to_jsonl([e1, e2])) == [e1, e2]
True
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconfliction.channel.canonical import (
    canonical_and_copy,
    canonical_json,
    canonical_with_raw,
    dumps_unchecked,
    loads_strict,
)
from deconfliction.channel.keys import (
    b64_bytes,
    b64_text,
    generate_key,
    keys_from_json,
    keys_to_json,
    private_key_from_text,
    private_key_text,
    public_key_from_text,
    public_key_text,
)
from deconfliction.core.errors import ValidationError
from deconfliction.core.timeinterval import require_utc

__all__ = [
    "GENESIS_HASH",
    "LedgerEntry",
    "VerifyReport",
    "append",
    "append_after",
    "canonical_json",
    "entry_from_dict",
    "entry_to_dict",
    "generate_key",
    "header_hash",
    "keys_from_json",
    "keys_to_json",
    "payload_hash",
    "private_key_from_text",
    "private_key_text",
    "public_key_from_text",
    "public_key_text",
    "read_jsonl",
    "to_jsonl",
    "utc_stamp",
    "verify",
    "withheld",
]

#: ``prev_hash`` of the first entry: the hash "before" a ledger's first entry
GENESIS_HASH = "0" * 64

_HEX64 = re.compile(r"[0-9a-f]{64}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_JSON_SPACE = " \t\r\n"
_FIELDS = ("seq", "at", "actor", "signer", "kind", "subject", "parties", "payload_hash",
           "prev_hash", "hash", "signature", "payload")
_ENTRY = "BAD_LEDGER_ENTRY"


def payload_hash(payload: Mapping[str, object]) -> str:
    """Return the hex sha256 of the payload's :func:`canonical_json`.

    >>> payload_hash({}) == payload_hash({}) != payload_hash({"a": 1})
    True
    >>> len(payload_hash({"a": 1}))
    64
    """
    return hashlib.sha256(canonical_json(_as_dict(payload, "payload"))).hexdigest()


def _as_dict(payload: object, field: str) -> dict[str, object]:
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, Mapping):
        return dict(payload)
    raise ValidationError("NOT_CANONICAL", "a payload must be a JSON object", field)


# -- entries --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One signed entry of the ledger; ``payload`` is ``None`` when withheld.

    ``seq`` counts 1, 2, 3, ...; ``at`` is UTC like ``2018-09-07T10:00:00.000Z``; ``actor`` is
    the party that acted (or ``"server"``) and ``signer`` the id of the key that signed;
    ``parties`` (sorted) are whom the entry concerns. ``hash`` is :func:`header_hash` and
    ``signature`` the signer's Ed25519 signature of it (base64url, no padding). Treat
    ``payload`` as read-only: the hashes are of the payload as appended.
    """

    seq: int
    at: str
    actor: str
    signer: str
    kind: str
    subject: str | None
    parties: tuple[str, ...]
    payload_hash: str
    prev_hash: str
    hash: str
    signature: str
    payload: dict[str, object] | None


def header_hash(entry: LedgerEntry) -> str:
    """Return the hash ``entry`` should carry: sha256 of the canonical JSON of its header.

    The header is every field except ``hash``, ``signature`` and ``payload``.
    """
    return _hash_header(entry.seq, entry.at, entry.actor, entry.signer, entry.kind,
                        entry.subject, entry.parties, entry.payload_hash, entry.prev_hash)


def _hash_header(seq: int, at: str, actor: str, signer: str, kind: str, subject: str | None,
                 parties: tuple[str, ...], payload_hash: str, prev_hash: str) -> str:
    header = {"seq": seq, "at": at, "actor": actor, "signer": signer, "kind": kind,
              "subject": subject, "parties": parties, "payload_hash": payload_hash,
              "prev_hash": prev_hash}
    # The header's own keys are strings, so plain dumps is canonical_json here (and faster).
    try:
        return hashlib.sha256(dumps_unchecked(header).encode("utf-8")).hexdigest()
    except (TypeError, ValueError) as err:
        raise ValidationError("NOT_CANONICAL", f"the header is not JSON: {err}") from None


def append(
    prev: LedgerEntry | None,
    *,
    at: str,
    actor: str,
    kind: str,
    subject: str | None,
    parties: Iterable[str],
    payload: Mapping[str, object],
    signer: str,
    key: Ed25519PrivateKey,
) -> LedgerEntry:
    """Return the entry that follows ``prev`` (``None``: the first entry), signed with ``key``.

    ``parties`` are sorted and deduplicated; the entry keeps its own copy of ``payload``. Bad
    arguments raise :class:`ValidationError` (``BAD_LEDGER_ENTRY``, or ``NOT_CANONICAL`` for a
    payload JSON cannot hold) naming the argument.

    >>> key = generate_key()
    >>> first = append(None, at="2018-09-07T10:00:00.000Z", actor="server", kind="ledger.opened",
    ...                subject=None, parties=[], payload={}, signer="server", key=key)
    >>> first.seq, first.prev_hash == GENESIS_HASH
    (1, True)
    >>> append(first, at="2018-09-07 10:00", actor="server", kind="x", subject=None,
    ...        parties=[], payload={}, signer="server", key=key)
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: at: at must be UTC to the millisecond, like
    2018-09-07T10:00:00.000Z, not '2018-09-07 10:00'
    """
    seq, prev_hash = (0, GENESIS_HASH) if prev is None else (prev.seq, prev.hash)
    return append_after(seq, prev_hash, at=at, actor=actor, kind=kind, subject=subject,
                        parties=parties, payload=payload, signer=signer, key=key)


def append_after(
    seq: int,
    prev_hash: str,
    *,
    at: str,
    actor: str,
    kind: str,
    subject: str | None,
    parties: Iterable[str],
    payload: Mapping[str, object],
    signer: str,
    key: Ed25519PrivateKey,
    built: bool = False,
) -> LedgerEntry:
    """Return the entry that follows the head ``(seq, prev_hash)``; ``(0, GENESIS_HASH)`` starts.

    For callers that keep only the head of the ledger; otherwise as :func:`append`. With
    ``built``, ``payload`` is one the caller built and will not change, which may hold
    :class:`~deconfliction.formats.rawjson.RawJson` of canonical text (a storm of alerts,
    encoded once): it is hashed as :func:`canonical_with_raw` encodes it, without being read
    back, and the entry keeps it as it is.

    >>> key = generate_key()
    >>> e = append_after(41, "ab" * 32, at="2018-09-07T10:00:00.000Z", actor="russia",
    ...                  kind="message.sent", subject="msg-7", parties=["coalition", "russia"],
    ...                  payload={"text": "leaving the zone"}, signer="server", key=key)
    >>> e.seq, e.prev_hash == "ab" * 32
    (42, True)
    """
    if type(seq) is not int or seq < 0:
        raise ValidationError(_ENTRY, f"seq must be an integer >= 0, not {seq!r}", "seq")
    _hex64(prev_hash, "prev_hash")
    if (seq == 0) != (prev_hash == GENESIS_HASH):
        raise ValidationError(
            _ENTRY, "the head before the first entry is (0, GENESIS_HASH), and only it",
            "prev_hash",
        )
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError(_ENTRY, "key must be an Ed25519 private key", "key")
    if isinstance(parties, str):
        raise ValidationError(_ENTRY, "parties must be a list of party ids, not one string",
                              "parties")
    body = _as_dict(payload, "payload")
    copy: object = body
    try:
        if built:
            raw = canonical_with_raw(body)
        else:  # the copy is the entry's own: exactly what was hashed
            raw, copy = canonical_and_copy(body)
    except ValidationError as err:
        raise err.with_field_prefix("payload") from None
    sorted_parties = tuple(sorted({_name(p, "parties") for p in parties}))
    p_hash = hashlib.sha256(raw).hexdigest()
    h = _hash_header(seq + 1, _at(at, "at"), _name(actor, "actor"), _name(signer, "signer"),
                     _name(kind, "kind"), _subject(subject, "subject"), sorted_parties, p_hash,
                     prev_hash)
    return LedgerEntry(
        seq=seq + 1, at=at, actor=actor, signer=signer, kind=kind, subject=subject,
        parties=sorted_parties, payload_hash=p_hash, prev_hash=prev_hash, hash=h,
        signature=b64_text(key.sign(h.encode("ascii"))),
        payload=cast(dict[str, object], copy),
    )


def withheld(entry: LedgerEntry) -> LedgerEntry:
    """Return ``entry`` without its payload, for a party it does not concern.

    >>> key = generate_key()
    >>> e = append(None, at="2018-09-07T10:00:00.000Z", actor="coalition", kind="zone.created",
    ...            subject="z1", parties=["coalition"], payload={"secret": 1}, signer="server",
    ...            key=key)
    >>> w = withheld(e)
    >>> w.payload is None, w.hash == e.hash, w.payload_hash == e.payload_hash
    (True, True, True)
    """
    return replace(entry, payload=None)


def utc_stamp(when: datetime) -> str:
    """Return an aware datetime as an entry's ``at``: UTC, to the millisecond (truncated).

    >>> from datetime import timedelta, timezone
    >>> utc_stamp(datetime(2018, 9, 7, 13, 0, 0, 123999, tzinfo=timezone(timedelta(hours=3))))
    '2018-09-07T10:00:00.123Z'
    """
    t = require_utc(when, "at")
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:"
            f"{t.second:02d}.{t.microsecond // 1000:03d}Z")


# -- field checks shared by append and entry_from_dict -------------------------------------


def _name(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(_ENTRY, f"{field} must be a non-empty string, not {value!r}", field)
    return value


def _subject(value: object, field: str) -> str | None:
    return None if value is None else _name(value, field)


def _at(value: object, field: str) -> str:
    if isinstance(value, str) and _AT.fullmatch(value):
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise ValidationError(
        _ENTRY, f"at must be UTC to the millisecond, like 2018-09-07T10:00:00.000Z, not {value!r}",
        field,
    )


def _hex64(value: object, field: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise ValidationError(
            _ENTRY, f"{field} must be 64 lower-case hex digits, not {value!r}", field
        )
    return value


# -- plain data and JSON lines -------------------------------------------------------------


def entry_to_dict(entry: LedgerEntry) -> dict[str, object]:
    """Return the entry as plain JSON data: ``parties`` a list, ``payload`` ``None`` if withheld.

    >>> key = private_key_from_text("A" * 43)
    >>> e = append(None, at="2018-09-07T10:00:00.000Z", actor="russia", kind="op.created",
    ...            subject="op-1", parties=["russia"], payload={"n": 1}, signer="server",
    ...            key=key)
    >>> sorted(entry_to_dict(e))  # doctest: +NORMALIZE_WHITESPACE
    ['actor', 'at', 'hash', 'kind', 'parties', 'payload', 'payload_hash', 'prev_hash', 'seq',
     'signature', 'signer', 'subject']
    >>> entry_from_dict(entry_to_dict(e)) == e
    True
    """
    return {
        "seq": entry.seq, "at": entry.at, "actor": entry.actor, "signer": entry.signer,
        "kind": entry.kind, "subject": entry.subject, "parties": list(entry.parties),
        "payload_hash": entry.payload_hash, "prev_hash": entry.prev_hash, "hash": entry.hash,
        "signature": entry.signature, "payload": entry.payload,
    }


def entry_from_dict(d: object) -> LedgerEntry:
    """Return the entry that plain data ``d`` describes, checking every field's presence and type.

    Raises :class:`ValidationError` ``BAD_LEDGER_ENTRY`` with the path of the field at fault.
    It checks form, not integrity: that is :func:`verify`'s job.

    >>> entry_from_dict({"seq": "1"})
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: at: missing
    """
    if not isinstance(d, Mapping):
        raise ValidationError(_ENTRY, f"an entry must be a JSON object, not {type(d).__name__}")
    for name in d:
        if name not in _FIELDS:
            raise ValidationError(_ENTRY, "unknown field", str(name))
    for name in _FIELDS:
        if name not in d:
            raise ValidationError(_ENTRY, "missing", name)
    seq = d["seq"]
    if type(seq) is not int or seq < 1:
        raise ValidationError(_ENTRY, f"seq must be an integer >= 1, not {seq!r}", "seq")
    parties = d["parties"]
    if not isinstance(parties, (list, tuple)):
        raise ValidationError(_ENTRY, "parties must be a list of party ids", "parties")
    for i, party in enumerate(parties):
        _name(party, f"parties[{i}]")
    if list(parties) != sorted(set(parties)):
        raise ValidationError(_ENTRY, "parties must be sorted, without repeats", "parties")
    signature = d["signature"]
    if not isinstance(signature, str) or not _B64URL.fullmatch(signature):
        raise ValidationError(_ENTRY, "signature must be base64url text", "signature")
    payload = d["payload"]
    if payload is not None:
        if not isinstance(payload, dict):
            raise ValidationError(_ENTRY, "payload must be a JSON object or null", "payload")
        try:
            canonical_json(payload)  # JSON text can still hold 1e999, which reads as inf
        except ValidationError as err:
            raise ValidationError(_ENTRY, err.message, "payload" + (
                "." + err.field if err.field and err.field[0] != "[" else err.field or "")
            ) from None
    return LedgerEntry(
        seq=seq,
        at=_at(d["at"], "at"),
        actor=_name(d["actor"], "actor"),
        signer=_name(d["signer"], "signer"),
        kind=_name(d["kind"], "kind"),
        subject=_subject(d["subject"], "subject"),
        parties=tuple(parties),
        payload_hash=_hex64(d["payload_hash"], "payload_hash"),
        prev_hash=_hex64(d["prev_hash"], "prev_hash"),
        hash=_hex64(d["hash"], "hash"),
        signature=signature,
        payload=payload,
    )


def to_jsonl(entries: Iterable[LedgerEntry]) -> str:
    """Return the entries as JSON lines: one canonical JSON object per line, each ending in ``\\n``.

    >>> to_jsonl([])
    ''
    """
    return "".join(canonical_json(entry_to_dict(e)).decode("utf-8") + "\n" for e in entries)


def _lines(text_or_lines: str | bytes | Iterable[str | bytes]) -> Iterator[str | bytes]:
    if isinstance(text_or_lines, str):
        return iter(text_or_lines.split("\n"))  # not splitlines(): U+2028 may sit in a string
    if isinstance(text_or_lines, bytes):
        return iter(text_or_lines.split(b"\n"))
    return iter(text_or_lines)


def read_jsonl(text_or_lines: str | bytes | Iterable[str | bytes]) -> list[LedgerEntry]:
    """Return the entries in JSON-lines text (a string, UTF-8 bytes, or an iterable of lines).

    Blank lines are skipped. Anything else that is not a strict JSON entry (duplicate keys,
    ``NaN``, bad UTF-8, a wrong field) raises :class:`ValidationError` ``BAD_LEDGER_ENTRY``
    whose field starts with the line number.

    >>> read_jsonl('\\n{"seq": 1}\\n')
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: line 2.at: missing
    >>> read_jsonl(b'{"seq": 1,}')
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: line 1: not JSON: Expecting property name
    enclosed in double quotes at column 11
    """
    entries: list[LedgerEntry] = []
    for number, raw in enumerate(_lines(text_or_lines), 1):
        where = f"line {number}"
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValidationError(_ENTRY, f"not UTF-8 (byte {err.start + 1})", where) from None
        else:
            line = raw
        if not line.strip(_JSON_SPACE):
            continue
        try:
            data = loads_strict(line)
        except json.JSONDecodeError as err:
            raise ValidationError(_ENTRY, f"not JSON: {err.msg} at column {err.colno}",
                                  where) from None
        except (ValueError, RecursionError) as err:  # NotStrictJsonError, huge numbers, nesting
            raise ValidationError(_ENTRY, f"not strict JSON: {err}", where) from None
        try:
            entries.append(entry_from_dict(data))
        except ValidationError as err:
            raise err.with_field_prefix(where) from None
    return entries


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` found.

    ``count`` entries were verified good, the last of them being ``head_seq``/``head_hash``
    (the checkpoint, or ``0``/:data:`GENESIS_HASH`, when none was). When ``ok`` is false,
    ``code`` and ``problem`` (one sentence) say what is wrong and ``first_bad_seq`` which
    entry: its ``seq`` when its header is authentic, else the seq its position calls for
    (the 1-based position, counted on from ``start_after``). A head mismatch blames no
    entry (``first_bad_seq`` is ``None``).
    """

    ok: bool
    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    code: str | None = None
    problem: str | None = None


def verify(
    entries: Iterable[LedgerEntry],
    keys: Mapping[str, Ed25519PublicKey],
    *,
    expect_head: str | None = None,
    start_after: tuple[int, str] | None = None,
) -> VerifyReport:
    """Check hashes, signatures, payloads and the chain of ``entries``; stop at the first problem.

    Each entry must hash to its ``hash`` (else ``HASH_MISMATCH``), be signed by a key in
    ``keys`` (``UNKNOWN_SIGNER``) with a good signature (``BAD_SIGNATURE``), carry a payload
    that hashes to ``payload_hash`` unless withheld (``PAYLOAD_MISMATCH``), and link to the
    entry before it (``BROKEN_CHAIN``: the problem says whether entries are missing, repeated
    or out of order) with the next ``seq`` (``SEQ_GAP``/``SEQ_ORDER``: the link holds but the
    signer numbered it wrongly). The first entry must be seq 1 after :data:`GENESIS_HASH`
    (``NOT_GENESIS``) unless ``start_after=(seq, hash)`` names the checkpoint it follows.
    With ``expect_head``, the last hash must be it (``HEAD_MISMATCH``: entries removed from
    the end, or a different record).

    >>> key = generate_key()
    >>> chain = [append(None, at="2018-09-07T10:00:00.000Z", actor="server", kind="k",
    ...                 subject=None, parties=[], payload={"n": 0}, signer="server", key=key)]
    >>> for n in range(1, 4):
    ...     chain.append(append(chain[-1], at="2018-09-07T10:00:00.000Z", actor="server",
    ...                         kind="k", subject=None, parties=[], payload={"n": n},
    ...                         signer="server", key=key))
    >>> keys = {"server": key.public_key()}
    >>> verify(chain, keys, expect_head=chain[-1].hash).ok
    True
    >>> r = verify(chain[:1] + chain[2:], keys)
    >>> r.ok, r.count, r.first_bad_seq, r.code, r.problem
    (False, 1, 3, 'BROKEN_CHAIN', 'entry 2 is missing: entry 3 follows entry 1')
    >>> verify(chain[:-1], keys, expect_head=chain[-1].hash).code
    'HEAD_MISMATCH'
    >>> verify(chain, {"other": key.public_key()}).problem
    "entry 1 is signed by 'server', whose public key is not given"
    """
    head_seq, head_hash = (0, GENESIS_HASH) if start_after is None else start_after
    count = 0

    def failed(bad_seq: int | None, code: str, problem: str) -> VerifyReport:
        return VerifyReport(False, count, head_seq, head_hash, bad_seq, code, problem)

    rest = iter(entries)
    for entry in rest:
        due = head_seq + 1  # the seq this position calls for
        try:
            intact = header_hash(entry) == entry.hash
        except ValidationError:
            intact = False
        if not intact:
            return failed(due, "HASH_MISMATCH",
                          f"entry {due} was altered: its header does not hash to its hash")
        public = keys.get(entry.signer)
        if public is None:
            return failed(due, "UNKNOWN_SIGNER", f"entry {due} is signed by {entry.signer!r}, "
                                                 "whose public key is not given")
        if not _signed(public, entry):
            return failed(due, "BAD_SIGNATURE", f"entry {due}'s signature is not "
                                                f"{entry.signer!r}'s signature of its hash")
        seq = entry.seq  # authentic from here on: the signer wrote it
        if entry.payload is not None and not _payload_matches(entry):
            return failed(seq, "PAYLOAD_MISMATCH",
                          f"entry {seq}'s payload was altered: it does not hash to payload_hash")
        if start_after is None and count == 0 and (seq != 1 or entry.prev_hash != GENESIS_HASH):
            return failed(seq, "NOT_GENESIS", f"the record starts at entry {seq}, which does not "
                                              "follow the genesis: entries before it are missing "
                                              "(give start_after to verify from a checkpoint)")
        if entry.prev_hash != head_hash:
            return failed(seq, "BROKEN_CHAIN", _chain_problem(entry, head_seq, head_hash, rest))
        if seq != due:
            code = "SEQ_GAP" if seq > due else "SEQ_ORDER"
            return failed(seq, code, f"entry {seq} links to entry {head_seq} but is not "
                                     f"numbered {due}: the signer numbered it wrongly")
        head_seq, head_hash = seq, entry.hash
        count += 1
    if expect_head is not None and expect_head != head_hash:
        return failed(None, "HEAD_MISMATCH",
                      f"the record ends at entry {head_seq} ({head_hash[:12]}...), not at the "
                      f"expected head {expect_head[:12]}...: entries were removed from the end, "
                      "or it is a different record")
    return VerifyReport(True, count, head_seq, head_hash)


def _signed(public: Ed25519PublicKey, entry: LedgerEntry) -> bool:
    signature = b64_bytes(entry.signature)
    if signature is None or len(signature) != 64:
        return False
    try:
        public.verify(signature, entry.hash.encode("ascii"))
    except InvalidSignature:
        return False
    return True


def _payload_matches(entry: LedgerEntry) -> bool:
    assert entry.payload is not None
    try:
        return payload_hash(entry.payload) == entry.payload_hash
    except ValidationError:
        return False


def _chain_problem(
    entry: LedgerEntry, head_seq: int, head_hash: str, rest: Iterator[LedgerEntry]
) -> str:
    """Why authentic ``entry`` does not link to the head: missing, repeated or reordered entries.

    Peeks at the next entry (verification stops here anyway) to tell a swap from a gap.
    """
    seq, due = entry.seq, head_seq + 1
    after = f"entry {head_seq}" if head_seq else "the genesis"
    if entry.hash == head_hash:
        return f"entry {seq} appears twice in a row"
    if seq < due:
        return f"entry {seq} comes after entry {head_seq}: the order was changed or it is repeated"
    if seq > due:
        following = next(rest, None)
        if following is not None and following.seq == due:
            return f"the order was changed: entry {seq} comes before entry {due}"
        missing = f"entry {due} is" if seq == due + 1 else f"entries {due}-{seq - 1} are"
        return f"{missing} missing: entry {seq} follows {after}"
    return (f"entry {seq} does not link to {after}: that entry was replaced, or this one comes "
            "from a different record")
