"""Service.alert_once: the alerts of a track stream's messages are written once, with each
partition's offset in the same transaction, on SQLite and PostgreSQL; Service.alert groups
the alerts written together into one message per recipient."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from deconfliction.channel.alerts import ALERTS_PER_MESSAGE
from deconfliction.channel.canonical import canonical_json
from deconfliction.channel.service import Service
from deconfliction.formats.records import message_to_dict
from deconfliction.monitor.alerting import alerts
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import Event
from deconfliction.monitor.simulate import attanf_objects, attanf_tracks
from deconfliction.scenario.service_load import load_attanf
from deconfliction.store import open_store


def _found() -> list[Event]:
    m = Monitor(attanf_objects())
    found: list[Event] = []
    for b in attanf_tracks():
        found += alerts(m.ingest(b) + m.flush(float(b.t_s.max())))
    assert len(found) >= 3
    return found


def _listed(service: Service) -> Counter[tuple[str, str, str]]:
    """(recipient, kind, track) of every alert in every alert message."""
    out: Counter[tuple[str, str, str]] = Counter()
    with service.store.read() as tx:
        for party in service.parties_by_id():
            for _, m in tx.messages(recipient=party, limit=100_000):
                if m.kind.value == "alert":
                    for e in m.details["events"]:
                        out[(m.recipient, str(e["kind"]), str(e["track"]))] += 1
    return out


def test_a_message_alerts_once_and_offsets_are_per_partition(store_url: str) -> None:
    service = Service(open_store(store_url))
    try:
        load_attanf(service)
        found = _found()
        first = service.alert_once("S", {3: (10, found[:2])})
        assert first
        assert service.alert_once("S", {3: (10, found[:2])}) == []
        assert service.alert_once("S", {3: (7, found[2:3])}) == []
        # one transaction: partition 3 is past seq 9, partition 4 is new
        both = service.alert_once("S", {3: (9, found[:1]), 4: (7, found[:1])})
        assert both
        assert service.alert_once("T", {3: (7, found[:1])})  # other stream
        assert service.alert_once("S", {3: (11, found[2:3])})
        with service.store.read() as tx:
            assert tx.stream_offset("S", 3) == 11
            assert tx.stream_offset("S", 4) == 7
            assert tx.stream_offset("S", 5) == 0
        want: Counter[tuple[str, str, str]] = Counter()
        parties = set(service.parties_by_id())
        for e in found[:2] + found[:1] + found[:1] + found[2:3]:
            for r in {e.owner, e.party, e.other_party} & parties:
                assert r is not None
                want[(r, e.kind, e.track)] += 1
        assert _listed(service) == want
    finally:
        service.store.close()


def test_alerts_written_together_are_one_message_per_recipient(store_url: str) -> None:
    service = Service(open_store(store_url))
    try:
        load_attanf(service)
        found = _found()
        parties = set(service.parties_by_id())
        recipients = {r for e in found for r in {e.owner, e.party, e.other_party} & parties}
        ids = service.alert(found)
        assert len(ids) == len(recipients)
        with service.store.read() as tx:
            for r in recipients:
                (m,) = [m for _, m in tx.messages(recipient=r) if m.kind.value == "alert"]
                listed = m.details["events"]
                mine = [e for e in found if r in {e.owner, e.party, e.other_party}]
                # every alert of the recipient, in order, as plain JSON values
                assert listed == [json.loads(json.dumps(e.to_dict())) for e in mine]
                assert m.deadline_at is not None and m.state.value == "pending"
                if len(mine) > 1:
                    assert m.summary.startswith(f"{len(mine)} alerts (")
        # the ledger holds each message with its events (encoded once, pasted into the
        # hashed payload, the ledger row and the outbox row), and verifies
        with service.store.read() as tx:
            sent = {e["subject"]: e for e in tx.ledger_entries()
                    if e["kind"] == "message.sent"}
            for r in recipients:
                (m,) = [m for _, m in tx.messages(recipient=r) if m.kind.value == "alert"]
                entry = sent[m.id]
                assert entry["payload"] == message_to_dict(m)
                assert entry["payload_hash"] == hashlib.sha256(
                    canonical_json(entry["payload"])).hexdigest()
        assert service.verify_ledger().ok
    finally:
        service.store.close()


def test_a_storm_is_split_into_messages_of_at_most_the_limit(tmp_path: Any) -> None:
    service = Service(open_store(tmp_path / "s.db"))
    try:
        load_attanf(service)
        e = next(e for e in _found() if e.kind == "enter")
        storm = [Event(e.kind, f"t{i}", e.party, e.t_s + i, e.lat, e.lon, e.alt_m,
                       e.object_id, e.object_kind, e.owner, e.volume, details=e.details)
                 for i in range(ALERTS_PER_MESSAGE * 2 + 1)]
        ids = service.alert(storm)
        assert len(ids) == 3 * 2  # owner and party, each 500 + 500 + 1
        got = _listed(service)
        assert sum(got.values()) == len(storm) * 2
        assert set(got.values()) == {1}
    finally:
        service.store.close()


def test_a_service_without_its_conflict_index_builds_it_when_first_needed(
        tmp_path: Any) -> None:
    path = tmp_path / "s.db"
    full = Service(open_store(path))
    lazy = Service(open_store(path), conflict_index=False)  # as a monitor worker opens it
    try:
        load_attanf(full)  # written by the other process: the lazy one catches up
        lazy.alert(_found()[:2])  # alerts never need the index
        assert lazy._index is None
        for obj in attanf_objects():
            assert lazy.check(obj) == full.check(obj)
        assert lazy._index is not None
        assert any(lazy.check(obj) for obj in attanf_objects())  # not vacuous
    finally:
        full.store.close()
        lazy.store.close()
