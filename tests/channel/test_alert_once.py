"""Service.alert_once: the alerts of a track stream's message are written once, with the
partition's offset in the same transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from deconfliction.channel.service import Service
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.simulate import alerts, attanf_objects, attanf_tracks
from deconfliction.scenario.service_load import load_attanf
from deconfliction.store import open_store


def test_a_message_alerts_once_and_offsets_are_per_partition(store_url: str) -> None:
    service = Service(open_store(store_url))
    try:
        load_attanf(service)
        m = Monitor(attanf_objects())
        found = []
        for b in attanf_tracks():
            found += alerts(m.ingest(b) + m.flush(float(b.t_s.max())))
        assert found
        first = service.alert_once(found[:2], stream="S", partition=3, seq=10)
        assert first and len(first) >= 2
        assert service.alert_once(found[:2], stream="S", partition=3, seq=10) is None
        assert service.alert_once(found[2:3], stream="S", partition=3, seq=7) is None
        assert service.alert_once(found[:1], stream="S", partition=4, seq=7)  # other partition
        assert service.alert_once(found[:1], stream="T", partition=3, seq=7)  # other stream
        assert service.alert_once(found[2:3], stream="S", partition=3, seq=11)
        with service.store.read() as tx:
            assert tx.stream_offset("S", 3) == 11
            assert tx.stream_offset("S", 4) == 7
            assert tx.stream_offset("S", 5) == 0
    finally:
        service.store.close()
