"""The verifiable ledger: every single alteration, removal, repeat or swap is caught.

The chain below is built once (Ed25519 signatures are deterministic, so it is the same
every run) and copied with one change at a time.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.channel.ledger import (
    GENESIS_HASH,
    LedgerEntry,
    append,
    append_after,
    canonical_json,
    entry_from_dict,
    entry_to_dict,
    generate_key,
    header_hash,
    keys_from_json,
    keys_to_json,
    payload_hash,
    private_key_from_text,
    private_key_text,
    public_key_from_text,
    public_key_text,
    read_jsonl,
    to_jsonl,
    utc_stamp,
    verify,
    withheld,
)
from deconfliction.core.errors import ValidationError

KEY = private_key_from_text(base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("="))
OTHER_KEY = private_key_from_text(base64.urlsafe_b64encode(bytes(32 * [7])).decode().rstrip("="))
KEYS = {"server": KEY.public_key()}
N = 50
T0 = datetime(2018, 9, 7, 10, 0, tzinfo=UTC)
PARTIES = ("coalition", "russia", "syria-gov", "un")
KINDS = ("operation.created", "operation.state", "zone.created", "message.sent",
         "message.acked", "message.escalated")
TEXTS = ("leaving the zone", "التنف garrison", "Тартус", "line\nbreak\ttab", 'quote " and \\',
         "\u2028 line separator \u2029", "\x1f control", "emoji 🛩️", "")
NUMBERS = (0, -1, 2**53 + 1, 55_000.0, -0.0, 0.1, 1e16, 1e-05, 1.0000000000000002, 33.50583)


def _payload(i: int) -> dict[str, object]:
    """Payloads of varied shapes: empty, flat, nested, lists, every awkward number and text."""
    if i % 7 == 0:
        return {}
    return {
        "n": i,
        "text": TEXTS[i % len(TEXTS)],
        "x": NUMBERS[i % len(NUMBERS)],
        "ok": i % 2 == 0,
        "none": None,
        "volumes": [{"alt_lower_m": 0.0, "alt_upper_m": 1500.0 + i,
                     "centre": [33.50583, 38.61778], "radius_m": 55_000}] * (i % 3),
        "nested": {"b": [TEXTS[(i + 1) % len(TEXTS)], {"c": NUMBERS[(i + 3) % len(NUMBERS)]}]},
    }


def build_chain(n: int = N, *, key: Any = KEY, signer: str = "server") -> list[LedgerEntry]:
    chain: list[LedgerEntry] = []
    for i in range(n):
        chain.append(append(
            chain[-1] if chain else None,
            at=utc_stamp(T0 + timedelta(seconds=7 * i, milliseconds=i)),
            actor=PARTIES[i % 3] if i % 5 else "server",
            kind=KINDS[i % len(KINDS)],
            subject=None if i % 4 == 0 else f"obj-{i % 9}",
            parties=PARTIES[: i % 4] if i % 6 else ("un", "coalition", "un"),
            payload=_payload(i),
            signer=signer,
            key=key,
        ))
    return chain


@cache
def _chain() -> tuple[LedgerEntry, ...]:
    return tuple(build_chain())


@pytest.fixture
def chain() -> list[LedgerEntry]:
    return list(_chain())


def assert_bad(entries: list[LedgerEntry], first_bad_seq: int | None, code: str,
               **kwargs: Any) -> str:
    report = verify(entries, KEYS, **kwargs)
    assert (report.ok, report.first_bad_seq, report.code) == (False, first_bad_seq, code), report
    assert report.problem and "\n" not in report.problem
    return report.problem


# -- building and verifying a good chain ----------------------------------------------------


def test_a_good_chain_verifies(chain: list[LedgerEntry]) -> None:
    report = verify(chain, KEYS, expect_head=chain[-1].hash)
    assert report.ok
    assert (report.count, report.head_seq, report.head_hash) == (N, N, chain[-1].hash)
    assert (report.first_bad_seq, report.code, report.problem) == (None, None, None)


def test_entries_are_numbered_and_linked(chain: list[LedgerEntry]) -> None:
    assert [e.seq for e in chain] == list(range(1, N + 1))
    assert chain[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    for e in chain:
        assert e.hash == header_hash(e)
        assert e.payload is not None and e.payload_hash == payload_hash(e.payload)
        assert list(e.parties) == sorted(set(e.parties))
        assert len(e.signature) == 86 and "=" not in e.signature
    assert chain[6].parties == ("coalition", "un")  # sorted and deduplicated


def test_the_hash_is_of_the_header_and_the_signature_of_the_hash(
    chain: list[LedgerEntry],
) -> None:
    e = chain[3]
    header = {k: v for k, v in entry_to_dict(e).items()
              if k not in ("hash", "signature", "payload")}
    assert len(header) == 9
    assert e.hash == hashlib.sha256(canonical_json(header)).hexdigest()
    signature = base64.urlsafe_b64decode(e.signature + "==")
    KEY.public_key().verify(signature, e.hash.encode("ascii"))  # raises if wrong


def test_append_after_is_append_from_the_head(chain: list[LedgerEntry]) -> None:
    args: dict[str, Any] = dict(at="2018-09-08T00:00:00.000Z", actor="un", kind="message.sent",
                                subject="m1", parties=["un"], payload={"t": "x"},
                                signer="server", key=KEY)
    prev = chain[-1]
    assert append_after(prev.seq, prev.hash, **args) == append(prev, **args)
    assert append_after(0, GENESIS_HASH, **args) == append(None, **args)


def test_the_entry_keeps_its_own_copy_of_the_payload() -> None:
    payload: dict[str, Any] = {"list": [1, 2], "tuple": (3, 4)}
    e = append(None, at="2018-09-07T10:00:00.000Z", actor="a", kind="k", subject=None,
               parties=[], payload=payload, signer="server", key=KEY)
    payload["list"].append(3)
    assert e.payload == {"list": [1, 2], "tuple": [3, 4]}
    assert verify([e], KEYS).ok


def test_an_empty_ledger_is_a_valid_record_that_ends_at_the_genesis() -> None:
    report = verify([], KEYS)
    assert (report.ok, report.count, report.head_seq, report.head_hash) == (
        True, 0, 0, GENESIS_HASH)
    assert verify([], KEYS, expect_head="1" * 64).code == "HEAD_MISMATCH"


# -- every single alteration --------------------------------------------------------------

ALTERATIONS: dict[str, tuple[Callable[[LedgerEntry], dict[str, Any]], str]] = {
    "seq": (lambda e: {"seq": e.seq + 1}, "HASH_MISMATCH"),
    "seq-far": (lambda e: {"seq": e.seq + 1000}, "HASH_MISMATCH"),
    "at": (lambda e: {"at": "2030-01-01T00:00:00.000Z"}, "HASH_MISMATCH"),
    "actor": (lambda e: {"actor": e.actor + "x"}, "HASH_MISMATCH"),
    "signer": (lambda e: {"signer": "server2"}, "HASH_MISMATCH"),
    "kind": (lambda e: {"kind": "zone.deleted"}, "HASH_MISMATCH"),
    "subject": (lambda e: {"subject": "other" if e.subject is None else None}, "HASH_MISMATCH"),
    "parties": (lambda e: {"parties": tuple(sorted({*e.parties, "mallory"}))}, "HASH_MISMATCH"),
    "payload_hash": (lambda e: {"payload_hash": payload_hash({"forged": True})},
                     "HASH_MISMATCH"),
    "prev_hash": (lambda e: {"prev_hash": "f" * 64}, "HASH_MISMATCH"),
    "hash": (lambda e: {"hash": "0" * 63 + "1"}, "HASH_MISMATCH"),
    "signature": (lambda e: {"signature": append(
        None, at=e.at, actor=e.actor, kind="forged", subject=None, parties=[], payload={},
        signer="server", key=KEY).signature}, "BAD_SIGNATURE"),
    "signature-one-char": (lambda e: {"signature": ("B" if e.signature[0] == "A" else "A")
                                      + e.signature[1:]}, "BAD_SIGNATURE"),
    "payload": (lambda e: {"payload": {**(e.payload or {}), "n": -1}}, "PAYLOAD_MISMATCH"),
    "payload-withheld-then-forged": (lambda e: {"payload": {"forged": True}},
                                     "PAYLOAD_MISMATCH"),
    # an attacker who recomputes the hash still cannot sign it
    "at-rehashed": (lambda e: _rehashed(e, at="2030-01-01T00:00:00.000Z"), "BAD_SIGNATURE"),
    "payload-rehashed": (lambda e: _rehashed(e, payload={"forged": 1},
                                             payload_hash=payload_hash({"forged": 1})),
                         "BAD_SIGNATURE"),
}


def _rehashed(e: LedgerEntry, **changes: Any) -> dict[str, Any]:
    changed = dataclasses.replace(e, **changes)
    return {**changes, "hash": header_hash(changed)}


@pytest.mark.parametrize("what", list(ALTERATIONS))
def test_changing_any_field_of_any_entry_is_caught_there(
    chain: list[LedgerEntry], what: str
) -> None:
    alter, code = ALTERATIONS[what]
    for i, entry in enumerate(chain):
        tampered = [*chain[:i], dataclasses.replace(entry, **alter(entry)), *chain[i + 1:]]
        report = verify(tampered, KEYS)
        assert (report.ok, report.first_bad_seq, report.code) == (False, i + 1, code), (i, report)
        assert (report.count, report.head_seq) == (i, i)
        assert report.head_hash == (chain[i - 1].hash if i else GENESIS_HASH)


def test_the_alterations_cover_every_field() -> None:
    covered = {what.split("-")[0] for what in ALTERATIONS}
    assert covered == {f.name for f in dataclasses.fields(LedgerEntry)}


# -- removals, repeats, swaps -------------------------------------------------------------


def test_removing_any_entry_but_the_last_is_caught(chain: list[LedgerEntry]) -> None:
    assert_bad(chain[1:], 2, "NOT_GENESIS")
    for k in range(2, N):  # remove entry k
        problem = assert_bad([*chain[: k - 1], *chain[k:]], k + 1, "BROKEN_CHAIN")
        assert problem == f"entry {k} is missing: entry {k + 1} follows entry {k - 1}"
    assert_bad([chain[0], *chain[4:]], 5, "BROKEN_CHAIN")


def test_removing_the_last_entry_is_caught_only_against_the_expected_head(
    chain: list[LedgerEntry],
) -> None:
    report = verify(chain[:-1], KEYS)
    assert report.ok and report.head_seq == N - 1
    assert_bad(chain[:-1], None, "HEAD_MISMATCH", expect_head=chain[-1].hash)
    assert_bad(chain[:-5], None, "HEAD_MISMATCH", expect_head=chain[-1].hash)


def test_swapping_any_two_adjacent_entries_is_caught(chain: list[LedgerEntry]) -> None:
    for k in range(1, N):  # swap entries k and k + 1
        swapped = [*chain[: k - 1], chain[k], chain[k - 1], *chain[k + 1:]]
        if k == 1:
            assert_bad(swapped, 2, "NOT_GENESIS")
        else:
            problem = assert_bad(swapped, k + 1, "BROKEN_CHAIN")
            assert problem == f"the order was changed: entry {k + 1} comes before entry {k}"


def test_repeating_any_entry_is_caught(chain: list[LedgerEntry]) -> None:
    for k in range(1, N + 1):
        problem = assert_bad([*chain[:k], chain[k - 1], *chain[k:]], k, "BROKEN_CHAIN")
        assert problem == f"entry {k} appears twice in a row"
    problem = assert_bad([*chain[:10], chain[2], *chain[10:]], 3, "BROKEN_CHAIN")
    assert problem == "entry 3 comes after entry 10: the order was changed or it is repeated"


def test_an_entry_from_another_record_is_caught(chain: list[LedgerEntry]) -> None:
    other_11 = append(chain[9], at=chain[10].at, actor="un", kind="zone.created", subject="z",
                      parties=["un"], payload={"fork": True}, signer="server", key=KEY)
    other_12 = append(other_11, at=chain[11].at, actor="un", kind="zone.created", subject="z",
                      parties=["un"], payload={}, signer="server", key=KEY)
    assert verify([*chain[:10], other_11, other_12], KEYS).ok  # a record of its own
    problem = assert_bad([*chain[:11], other_12, *chain[12:]], 12, "BROKEN_CHAIN")
    assert problem.startswith("entry 12 does not link to entry 11: that entry was replaced")
    problem = assert_bad([*chain[:10], other_11, *chain[11:]], 12, "BROKEN_CHAIN")
    assert problem.startswith("entry 12 does not link to entry 11")


# -- signers and keys ----------------------------------------------------------------------


def test_a_chain_signed_with_another_key_is_refused() -> None:
    forged = build_chain(5, key=OTHER_KEY)
    assert_bad(forged, 1, "BAD_SIGNATURE")
    assert verify(forged, {"server": OTHER_KEY.public_key()}).ok
    assert_bad(build_chain(5, key=OTHER_KEY, signer="mallory"), 1, "UNKNOWN_SIGNER")


def test_one_entry_re_signed_with_another_key_is_refused(chain: list[LedgerEntry]) -> None:
    e = chain[20]
    forged = append_after(e.seq - 1, e.prev_hash, at=e.at, actor=e.actor, kind=e.kind,
                          subject=e.subject, parties=e.parties, payload=e.payload or {},
                          signer="server", key=OTHER_KEY)
    assert forged.hash == e.hash and forged.signature != e.signature
    assert_bad([*chain[:20], forged, *chain[21:]], 21, "BAD_SIGNATURE")


def test_several_signers_verify_with_all_their_keys(chain: list[LedgerEntry]) -> None:
    rotated = append(chain[-1], at="2018-09-08T00:00:00.000Z", actor="server", kind="key.rotated",
                     subject=None, parties=[], payload={}, signer="server-2", key=OTHER_KEY)
    both = {"server": KEY.public_key(), "server-2": OTHER_KEY.public_key()}
    assert verify([*chain, rotated], both).ok
    assert_bad([*chain, rotated], N + 1, "UNKNOWN_SIGNER")


def test_a_signature_has_exactly_one_spelling(chain: list[LedgerEntry]) -> None:
    """The last base64url character of a 64-byte signature has 4 unused bits: setting them
    decodes to the same bytes, and is still refused."""
    e = chain[0]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(e.signature[-1])
    assert last % 16 == 0
    respelled = e.signature[:-1] + alphabet[last + 1]
    assert base64.urlsafe_b64decode(respelled + "==") == base64.urlsafe_b64decode(
        e.signature + "==")
    assert_bad([dataclasses.replace(e, signature=respelled), *chain[1:]], 1, "BAD_SIGNATURE")


# -- withheld payloads and suffixes ----------------------------------------------------------


def test_withheld_payloads_still_verify(chain: list[LedgerEntry]) -> None:
    partial = [withheld(e) if e.seq % 2 else e for e in chain]
    assert verify(partial, KEYS, expect_head=chain[-1].hash).ok
    assert verify([withheld(e) for e in chain], KEYS).ok
    back = read_jsonl(to_jsonl(partial))
    assert back == partial and back[0].payload is None
    assert verify(back, KEYS).ok
    e = partial[4]
    assert_bad([*partial[:4], dataclasses.replace(e, payload_hash="a" * 64), *partial[5:]],
               5, "HASH_MISMATCH")


def test_a_suffix_verifies_from_a_known_checkpoint(chain: list[LedgerEntry]) -> None:
    suffix = chain[20:]
    report = verify(suffix, KEYS, start_after=(20, chain[19].hash), expect_head=chain[-1].hash)
    assert report.ok and (report.count, report.head_seq) == (30, N)
    assert_bad(suffix, 21, "NOT_GENESIS")
    assert_bad(suffix, 21, "BROKEN_CHAIN", start_after=(20, chain[18].hash))
    assert_bad(suffix, 21, "SEQ_GAP", start_after=(19, chain[19].hash))
    tampered = [*suffix[:5], dataclasses.replace(suffix[5], actor="x"), *suffix[6:]]
    assert_bad(tampered, 26, "HASH_MISMATCH", start_after=(20, chain[19].hash))
    assert_bad(suffix[:4] + suffix[5:], 26, "BROKEN_CHAIN", start_after=(20, chain[19].hash))


def test_a_signer_that_numbers_wrongly_is_caught(chain: list[LedgerEntry]) -> None:
    head = chain[4]
    args: dict[str, Any] = dict(at="2018-09-08T00:00:00.000Z", actor="a", kind="k",
                                subject=None, parties=[], payload={}, signer="server", key=KEY)
    skipped = append_after(head.seq + 1, head.hash, **args)
    assert skipped.seq == 7
    assert_bad([*chain[:5], skipped], 7, "SEQ_GAP")
    backwards = append_after(head.seq - 2, head.hash, **args)
    assert_bad([*chain[:5], backwards], 4, "SEQ_ORDER")


# -- JSON lines ----------------------------------------------------------------------------


def test_json_lines_round_trip_exactly(chain: list[LedgerEntry]) -> None:
    text = to_jsonl(chain)
    lines = text.split("\n")
    assert len(lines) == N + 1 and lines[-1] == ""
    for line, e in zip(lines, chain, strict=False):
        assert line.encode("utf-8") == canonical_json(entry_to_dict(e))
    assert "التنف" in text and "🛩️" in text and "\u2028" in text and "\\u001f" in text
    assert read_jsonl(text) == chain
    assert to_jsonl(read_jsonl(text)) == text
    assert read_jsonl(text.encode("utf-8")) == chain
    assert read_jsonl(io.StringIO(text)) == chain
    assert read_jsonl(io.BytesIO(text.encode("utf-8"))) == chain
    assert read_jsonl("\n\n" + text.replace("\n", "\n \n")) == chain
    assert verify(read_jsonl(text), KEYS).ok


def _line(chain: list[LedgerEntry], **changes: Any) -> str:
    d = entry_to_dict(chain[0])
    d.update(changes)
    return json.dumps({k: v for k, v in d.items() if v is not ...}, ensure_ascii=False)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"seq": "1"}, "seq", "seq must be an integer >= 1, not '1'"),
    ({"seq": True}, "seq", "seq must be an integer >= 1"),
    ({"seq": 0}, "seq", "seq must be an integer >= 1"),
    ({"seq": 1.0}, "seq", "seq must be an integer >= 1"),
    ({"at": "2018-09-07T10:00:00Z"}, "at", "at must be UTC to the millisecond"),
    ({"at": "2018-02-30T10:00:00.000Z"}, "at", "at must be UTC to the millisecond"),
    ({"at": "2018-09-07T10:00:00.000+00:00"}, "at", "at must be UTC to the millisecond"),
    ({"actor": ""}, "actor", "actor must be a non-empty string"),
    ({"signer": None}, "signer", "signer must be a non-empty string"),
    ({"kind": 3}, "kind", "kind must be a non-empty string"),
    ({"subject": 5}, "subject", "subject must be a non-empty string"),
    ({"parties": "un"}, "parties", "parties must be a list"),
    ({"parties": ["un", 1]}, "parties[1]", "parties[1] must be a non-empty string"),
    ({"parties": ["un", "coalition"]}, "parties", "parties must be sorted"),
    ({"parties": ["un", "un"]}, "parties", "parties must be sorted, without repeats"),
    ({"payload_hash": "A" * 64}, "payload_hash", "payload_hash must be 64 lower-case hex"),
    ({"prev_hash": "0" * 63}, "prev_hash", "prev_hash must be 64 lower-case hex"),
    ({"hash": None}, "hash", "hash must be 64 lower-case hex"),
    ({"signature": "abc="}, "signature", "signature must be base64url"),
    ({"signature": 7}, "signature", "signature must be base64url"),
    ({"payload": [1]}, "payload", "payload must be a JSON object or null"),
    ({"payload": ...}, "payload", "missing"),
    ({"hash": ...}, "hash", "missing"),
    ({"extra": 1}, "extra", "unknown field"),
])
def test_read_jsonl_names_the_line_and_field_at_fault(
    chain: list[LedgerEntry], changes: dict[str, Any], field: str, message: str
) -> None:
    text = to_jsonl(chain[:2]) + _line(chain, **changes) + "\n"
    with pytest.raises(ValidationError) as info:
        read_jsonl(text)
    assert info.value.code == "BAD_LEDGER_ENTRY"
    assert info.value.field == f"line 3.{field}"
    assert info.value.message.startswith(message)


@pytest.mark.parametrize(("line", "message"), [
    ("{", "not JSON: Expecting property name enclosed in double quotes at column 2"),
    ("[1]", "an entry must be a JSON object, not list"),
    ('{"seq": 1, "seq": 2}', "not strict JSON: key 'seq' appears twice"),
    ('{"seq": NaN}', "not strict JSON: NaN is not a JSON number"),
    ('{"seq": -Infinity}', "not strict JSON: -Infinity is not a JSON number"),
    ("[" * 100_000, "not strict JSON: maximum recursion depth exceeded"),
])
def test_read_jsonl_refuses_what_is_not_strict_json(
    chain: list[LedgerEntry], line: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        read_jsonl(to_jsonl(chain[:1]) + line + "\n")
    assert (info.value.code, info.value.field) == ("BAD_LEDGER_ENTRY", "line 2")
    assert info.value.message.startswith(message)


def test_read_jsonl_refuses_bad_utf8_and_inf_payloads(chain: list[LedgerEntry]) -> None:
    data = to_jsonl(chain[:2]).encode("utf-8")
    with pytest.raises(ValidationError, match="not UTF-8") as info:
        read_jsonl(data + b'{"a": "\xff"}\n')
    assert info.value.field == "line 3"
    line = _line(chain, payload={"x": [1.5]}).replace("1.5", "1e999")
    with pytest.raises(ValidationError) as info:
        read_jsonl(line)
    assert (info.value.field, info.value.message) == ("line 1.payload.x[0]",
                                                      "inf is not a finite number")


def test_entry_from_dict_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(ValidationError, match="an entry must be a JSON object, not str"):
        entry_from_dict("{}")


# -- canonical JSON ------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8() -> None:
    value = {"b": {"z": 1, "a": [1.5, None, True]}, "a": "التنف \u2028 \x1f \"q\""}
    out = canonical_json(value)
    assert out == ('{"a":"التنف \u2028 \\u001f \\"q\\"","b":{"a":[1.5,null,true],"z":1}}'
                   .encode())
    assert canonical_json({"t": (1, 2)}) == canonical_json({"t": [1, 2]}) == b'{"t":[1,2]}'
    assert json.loads(out) == value


@pytest.mark.parametrize(("value", "field", "message"), [
    ({"x": float("nan")}, "x", "nan is not a finite number"),
    ({"x": [1, {"y": float("-inf")}]}, "x[1].y", "-inf is not a finite number"),
    ({"x": {1: "a"}}, "x", "key 1 is not a string"),
    ({"x": {True: "a"}}, "x", "key True is not a string"),
    ({"x": {1, 2}}, "x", "a set is not JSON"),
    ({"x": b"bytes"}, "x", "a bytes is not JSON"),
    ({"x": datetime(2018, 9, 7, tzinfo=UTC)}, "x", "a datetime is not JSON"),
    ({"x": "\ud800"}, None, "not UTF-8 text"),
    ({"x": 10**5000}, None, "not canonical JSON: Exceeds the limit"),
])
def test_canonical_json_refuses_what_json_cannot_hold_exactly(
    value: object, field: str | None, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        canonical_json(value)
    assert (info.value.code, info.value.field) == ("NOT_CANONICAL", field)
    assert info.value.message.startswith(message)


def test_canonical_json_refuses_a_cycle() -> None:
    cyclic: dict[str, object] = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValidationError, match="nested deeper than"):
        canonical_json(cyclic)


# -- append's arguments ----------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"at": "2018-09-07T10:00:00"}, "BAD_LEDGER_ENTRY", "at"),
    ({"at": "2018-09-07T10:00:00.000+03:00"}, "BAD_LEDGER_ENTRY", "at"),
    ({"at": "2018-13-07T10:00:00.000Z"}, "BAD_LEDGER_ENTRY", "at"),
    ({"at": "٢٠١٨-09-07T10:00:00.000Z"}, "BAD_LEDGER_ENTRY", "at"),
    ({"actor": ""}, "BAD_LEDGER_ENTRY", "actor"),
    ({"signer": ""}, "BAD_LEDGER_ENTRY", "signer"),
    ({"kind": None}, "BAD_LEDGER_ENTRY", "kind"),
    ({"subject": ""}, "BAD_LEDGER_ENTRY", "subject"),
    ({"parties": "un"}, "BAD_LEDGER_ENTRY", "parties"),
    ({"parties": ["un", ""]}, "BAD_LEDGER_ENTRY", "parties"),
    ({"payload": {"x": [float("nan")]}}, "NOT_CANONICAL", "payload.x[0]"),
    ({"payload": [1, 2]}, "NOT_CANONICAL", "payload"),
    ({"key": KEY.public_key()}, "BAD_LEDGER_ENTRY", "key"),
])
def test_append_refuses_bad_arguments(changes: dict[str, Any], code: str, field: str) -> None:
    args: dict[str, Any] = dict(at="2018-09-07T10:00:00.000Z", actor="a", kind="k",
                                subject=None, parties=[], payload={}, signer="server", key=KEY)
    with pytest.raises(ValidationError) as info:
        append(None, **{**args, **changes})
    assert (info.value.code, info.value.field) == (code, field)


@pytest.mark.parametrize(("seq", "prev_hash", "field"), [
    (-1, GENESIS_HASH, "seq"),
    (0, "a" * 64, "prev_hash"),
    (3, GENESIS_HASH, "prev_hash"),
    (3, "A" * 64, "prev_hash"),
    (True, "a" * 64, "seq"),
])
def test_append_after_refuses_a_bad_head(seq: int, prev_hash: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        append_after(seq, prev_hash, at="2018-09-07T10:00:00.000Z", actor="a", kind="k",
                     subject=None, parties=[], payload={}, signer="server", key=KEY)
    assert (info.value.code, info.value.field) == ("BAD_LEDGER_ENTRY", field)


def test_utc_stamp_refuses_naive_datetimes() -> None:
    assert utc_stamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000Z"
    with pytest.raises(ValidationError) as info:
        utc_stamp(datetime(2018, 9, 7))
    assert info.value.code == "NAIVE_DATETIME"


# -- keys ------------------------------------------------------------------------------------


def test_keys_round_trip_through_text() -> None:
    key = generate_key()
    assert private_key_text(private_key_from_text(private_key_text(key))) == private_key_text(key)
    text = public_key_text(key)
    assert len(text) == 43 and text == public_key_text(key.public_key())
    assert public_key_text(public_key_from_text(text)) == text
    file = keys_to_json({"server": key.public_key(), "server-2": OTHER_KEY.public_key()})
    back = keys_from_json(file)
    assert {k: public_key_text(v) for k, v in back.items()} == {
        "server": text, "server-2": public_key_text(OTHER_KEY)}
    assert keys_from_json(file.encode()).keys() == back.keys()


@pytest.mark.parametrize(("text", "code", "field"), [
    ("", "BAD_KEY", None),
    ("A" * 42, "BAD_KEY", None),
    ("A" * 44, "BAD_KEY", None),
    ("A" * 42 + "B", "BAD_KEY", None),  # unused bits set: not the one spelling
    ("A" * 42 + "=", "BAD_KEY", None),
    ("A" * 41 + "+A", "BAD_KEY", None),
])
def test_bad_key_text_is_refused(text: str, code: str, field: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        public_key_from_text(text)
    assert (info.value.code, info.value.field) == (code, field)
    with pytest.raises(ValidationError):
        private_key_from_text(text)


@pytest.mark.parametrize(("text", "code", "field"), [
    ("not json", "BAD_KEY_FILE", None),
    ("[]", "BAD_KEY_FILE", None),
    ('{"keys": {}, "more": 1}', "BAD_KEY_FILE", None),
    ('{"keys": []}', "BAD_KEY_FILE", "keys"),
    ('{"keys": {"": "x"}}', "BAD_KEY_FILE", "keys"),
    ('{"keys": {"server": 1}}', "BAD_KEY_FILE", "keys.server"),
    ('{"keys": {"server": "abc"}}', "BAD_KEY", "keys.server"),
    ('{"keys": {"a": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik", '
     '"a": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}}', "BAD_KEY_FILE", None),
    (b'{"keys": {"\xff": "x"}}', "BAD_KEY_FILE", None),
])
def test_bad_key_files_are_refused(text: str | bytes, code: str, field: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        keys_from_json(text)
    assert (info.value.code, info.value.field) == (code, field)


def test_an_empty_key_file_knows_no_signer(chain: list[LedgerEntry]) -> None:
    assert keys_from_json('{"keys": {}}') == {}
    assert verify(chain, {}).code == "UNKNOWN_SIGNER"


# -- one byte changed anywhere in the file ---------------------------------------------------

_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ESCAPE = re.compile(rb"\\u[0-9a-fA-F]{4}")


def _same_float(token: bytes, changed: bytes) -> bool:
    """``changed`` is a JSON number and reads as the same float as ``token`` (also a float)."""
    if not _NUMBER.fullmatch(changed) or not any(c in token for c in b".eE"):
        return False
    return any(c in changed for c in b".eE") and repr(float(token)) == repr(float(changed))


def neutral(data: bytes, at: int, new: int) -> bool:
    """Whether replacing byte ``at`` of canonical JSON lines by ``new`` leaves every value as
    it was. Canonical JSON has no optional bytes except these three kinds:

    - the final newline may become other JSON whitespace (space, tab, carriage return);
    - a hex digit of a ``\\uXXXX`` escape may change case;
    - a float may be spelled differently and read the same: ``1e+16`` as ``1E+16`` or
      ``1e016``, a last digit that rounds to the same double.
    """
    if at == len(data) - 1:
        return new in b" \t\r"
    changed = data[:at] + bytes([new]) + data[at + 1:]
    for m in _ESCAPE.finditer(data, max(0, at - 5), at + 6):
        if m.start() <= at < m.end():
            return data[at] in b"abcdef" and new == data[at] - 32  # upper case
    for m in _NUMBER.finditer(data, max(0, at - 30)):
        if m.start() > at:
            break
        if m.end() > at and data[m.start() - 1] in b":,[":
            return _same_float(m.group(), changed[m.start():m.end()])
    return False


@cache
def _small_chain_text() -> bytes:
    chain = build_chain(8)
    chain[3] = withheld(chain[3])
    return to_jsonl(chain).encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_single_byte_change_is_refused_caught_or_neutral(data: st.DataObject) -> None:
    original = _small_chain_text()
    at = data.draw(st.integers(0, len(original) - 1), label="at")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != original[at]), label="new")
    changed = original[:at] + bytes([new]) + original[at + 1:]
    try:
        entries = read_jsonl(changed)
    except ValidationError:
        assert not neutral(original, at, new), (at, new)
        return  # refused
    report = verify(entries, KEYS)
    same = to_jsonl(entries).encode("utf-8") == original
    assert report.ok == same, (at, new, report)  # never a valid but different record
    assert same == neutral(original, at, new), (at, chr(original[at]), chr(new))


@pytest.mark.parametrize(("old", "new"), [
    (b'1e+16', b'1E+16'), (b'1e+16', b'1e016'), (b'1e-05', b'1E-05'),
    (b'1.0000000000000002', b'1.0000000000000003'), (b'\\u001f', b'\\u001F'),
])
def test_the_neutral_changes_are_neutral(old: bytes, new: bytes) -> None:
    original = _small_chain_text()
    at = original.index(old)
    changed = original[:at] + new + original[at + len(old):]
    differ = [i for i, (a, b) in enumerate(zip(original, changed, strict=True)) if a != b]
    assert len(differ) == 1
    assert neutral(original, differ[0], changed[differ[0]])
    assert to_jsonl(read_jsonl(changed)).encode() == original
    assert verify(read_jsonl(changed), KEYS).ok


def test_a_float_changed_in_value_is_caught() -> None:
    original = _small_chain_text()
    at = original.index(b"1e+16")
    entries = read_jsonl(original[:at] + b"2e+16" + original[at + 5:])
    assert verify(entries, KEYS).code == "PAYLOAD_MISMATCH"
