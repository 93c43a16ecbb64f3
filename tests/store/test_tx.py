"""The service's queries (parties, tokens, messages, ledger, tombstones), on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import sample_objects as samples
from deconfliction.core.errors import StoreError
from deconfliction.core.messages import Answer, Message, MessageKind, MessageState
from deconfliction.core.parties import PartyProfile
from deconfliction.formats.records import message_to_dict
from deconfliction.store import SqlStore, open_store
from deconfliction.store.tables import messages
from deconfliction.store.tx import Tx, ledger_row

T0 = datetime(2018, 9, 7, 10, tzinfo=UTC)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with open_store(store_url) as s:
        yield s


def _msg(i: int, recipient: str = "russia", deadline_h: float | None = 1.0) -> Message:
    return Message(
        id=f"m{i}", recipient=recipient, sender="coalition", kind=MessageKind.OPERATION,
        subject="exercise", subject_version="v1", summary=f"notice {i}", created_at=T0,
        deadline_at=None if deadline_h is None else T0 + timedelta(hours=deadline_h),
        details={"n": i, "text": "ünïcode"},
    )


def _add(tx: Tx, msg: Message, *, seq: int, webhook: bool) -> None:
    """``msg`` with the ledger entry that sends it (where its details are kept)."""
    tx.append_ledger_rows([ledger_row({"seq": seq, "subject": msg.id, "kind": "message.sent",
                                       "hash": f"h{seq}", "payload": message_to_dict(msg)})])
    tx.add_message(msg, seq=seq, webhook=webhook)


def test_a_messages_details_are_kept_once_in_its_ledger_entry(store: SqlStore) -> None:
    with store.write() as tx:
        _add(tx, _msg(1), seq=1, webhook=False)
        _add(tx, _msg(2), seq=2, webhook=False)
        tx.add_message(_msg(3), seq=2, webhook=False)  # names the entry of another message
        tx.add_message(_msg(4), seq=9, webhook=False)  # no such entry
    with store.read() as tx:
        bodies = dict(tx.conn.execute(sa.select(messages.c.id, messages.c.body)).all())
        assert all("details" not in b for b in bodies.values())
        assert tx.message("m1") == _msg(1)
        for bad in ("m3", "m4"):
            with pytest.raises(StoreError, match=f"message {bad}: its ledger entry"):
                tx.message(bad)
    with store.write() as tx:  # a row written when the body held the details
        tx.conn.execute(messages.update().where(messages.c.id == "m4").values(
            body=message_to_dict(_msg(4))))
    with store.read() as tx:
        assert tx.message("m4") == _msg(4)


def test_parties_and_tokens(store: SqlStore) -> None:
    ru = PartyProfile(id="russia", name="Russia", contact="line", ack_window_s=60.0)
    with store.write() as tx:
        tx.put_party(ru, created_at="2018-09-01T00:00:00.000Z")
        tx.add_token("h1", "russia", ["zones:read", "zones:read", "operations:write"],
                     created_at="x")
    with store.read() as tx:
        assert tx.party("russia") == ru
        assert tx.party("nobody") is None
        tok = tx.token("h1")
        assert tok is not None and tok.scopes == {"zones:read", "operations:write"}
        assert not tok.revoked
    with store.write() as tx:
        tx.put_party(replace(ru, contact="new line"), created_at="ignored")
        assert tx.revoke_tokens("russia") == 1
    with store.read() as tx:
        assert [p.contact for p in tx.parties()] == ["new line"]
        assert tx.token("h1").revoked  # type: ignore[union-attr]


def test_a_token_of_an_unknown_party_is_refused(store: SqlStore) -> None:
    with pytest.raises(StoreError), store.write() as tx:
        tx.add_token("h2", "ghost", ["zones:read"], created_at="x")


def test_messages_round_trip_filter_and_answer(store: SqlStore) -> None:
    with store.write() as tx:
        for i in range(1, 6):
            _add(tx, _msg(i, "russia" if i % 2 else "ocha"), seq=i, webhook=i == 1)
    with store.read() as tx:
        assert [m.id for _, m in tx.messages(recipient="russia")] == ["m1", "m3", "m5"]
        assert [s for s, _ in tx.messages(recipient="russia", after_seq=1)] == [3, 5]
        assert tx.message("m2") == _msg(2, "ocha")
        assert tx.message_seq("m4") == 4
        assert [m.id for m in tx.webhook_due(T0.timestamp())] == ["m1"]
    answered = _msg(3).answered(Answer.OBJECT, "too close", T0)
    with store.write() as tx:
        tx.update_message(answered)
        tx.webhook_result("m1", ok=False, next_s=T0.timestamp() + 60, error="HTTP 500")
    with store.read() as tx:
        assert tx.message("m3") == answered
        pending = tx.messages(recipient="russia", states=[MessageState.PENDING])
        assert [m.id for _, m in pending] == ["m1", "m5"]
        assert tx.webhook_due(T0.timestamp()) == []
        assert [m.id for m in tx.webhook_due(T0.timestamp() + 60)] == ["m1"]
        assert tx.webhook_attempts("m1") == 1
        counts = tx.message_counts()
    assert counts["pending"] == 4 and counts["objected"] == 1 and counts["webhook_pending"] == 1


def test_overdue_messages_are_found_once_escalated_flag_is_set(store: SqlStore) -> None:
    with store.write() as tx:
        _add(tx, _msg(1, deadline_h=1), seq=1, webhook=False)
        _add(tx, _msg(2, deadline_h=5), seq=2, webhook=False)
        _add(tx, _msg(3, deadline_h=None), seq=3, webhook=False)
    later = (T0 + timedelta(hours=2)).timestamp()
    with store.read() as tx:
        assert [m.id for m in tx.overdue_messages(later)] == ["m1"]
    with store.write() as tx:
        tx.update_message(replace(_msg(1), escalated_at=T0 + timedelta(hours=2)))
    with store.read() as tx:
        assert tx.overdue_messages(later) == []
        assert [m.id for m in tx.overdue_messages((T0 + timedelta(hours=6)).timestamp())] == [
            "m2"]


def test_ledger_rows_and_head(store: SqlStore) -> None:
    with store.read() as tx:
        assert tx.ledger_head() == (0, None)
    entries = [{"seq": i, "hash": f"{i:064x}", "kind": "x.y", "subject": None, "n": i}
               for i in range(1, 4)]
    with store.write() as tx:
        for e in entries:
            tx.append_ledger(e)
    with store.read() as tx:
        assert tx.ledger_head() == (3, f"{3:064x}")
        assert tx.ledger_entries(1) == entries[1:]
        assert tx.ledger_entries(0, limit=1) == entries[:1]
    with pytest.raises(StoreError), store.write() as tx:  # a seq is never written twice
        tx.append_ledger(entries[0])


def test_tombstones_are_seen_by_since_seq(store: SqlStore) -> None:
    zone, op = samples.at_tanf_zone(), samples.exercise()
    with store.write() as tx:
        tx.put_object(zone, seq=1, shared_with=["ocha"])
        tx.put_object(op, seq=2)
    with store.write() as tx:
        tx.delete_object("zone", zone.id, seq=3)
    with store.read() as tx:
        assert tx.object_row(zone.id) is None
        rows = tx.objects("zone", since_seq=2)
        assert [(r.id, r.obj, r.seq) for r in rows] == [(zone.id, None, 3)]
        assert tx.objects("zone") == []
        [live] = tx.objects("operation", since_seq=0)
        assert live.obj == op and live.seq == 2
    with store.write() as tx:  # the id can be used again after a delete
        tx.put_object(zone, seq=4, shared_with=["ocha", "mat"])
    with store.read() as tx:
        row = tx.object_row(zone.id)
        assert row is not None and row.shared_with == {"ocha", "mat"} and row.seq == 4


def test_meta(store: SqlStore) -> None:
    with store.write() as tx:
        assert tx.get_meta("k") is None
        tx.set_meta("k", "v1")
        tx.set_meta("k", "v2")
    with store.read() as tx:
        assert tx.get_meta("k") == "v2"


def test_objects_filters(store: SqlStore) -> None:
    zone, ex, convoy = samples.at_tanf_zone(), samples.exercise(), samples.convoy()
    with store.write() as tx:
        for i, o in enumerate((zone, ex, convoy)):
            tx.put_object(o, seq=i + 1)
    with store.read() as tx:
        assert [r.id for r in tx.objects("operation", owner="ocha")] == ["convoy"]
        far = (0.0, 0.0, 1.0, 1.0)
        assert tx.objects("operation", bbox=far) == []
        near = (38.5, 33.4, 38.7, 33.6)
        assert {r.id for r in tx.objects("operation", bbox=near)} == {"convoy", "exercise"}
        ex_t = ex.validity
        before = (None, ex_t.start_s)
        assert "exercise" not in {r.id for r in tx.objects("operation", time_s=before)}
        assert [r.id for r in tx.objects("operation", limit=1)] == ["convoy"]
        assert [r.id for r in tx.objects("operation", after_id="convoy")] == ["exercise"]
