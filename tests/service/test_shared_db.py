"""Two services on one database (as two server processes would be): reads catch up with
the other's writes, and each webhook delivery is sent by one of them only."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconfliction.channel.service import ALL_SCOPES, Principal, Service
from deconfliction.channel.webhooks import deliver_due
from deconfliction.core.parties import PartyProfile
from deconfliction.formats.native import object_from_dict
from deconfliction.store.sql import SqlStore

T0 = datetime(2031, 6, 1, tzinfo=UTC)


@pytest.fixture
def pair(store_url: str) -> Iterator[tuple[Service, Service]]:
    a = Service(SqlStore(store_url))
    b = Service(SqlStore(store_url))
    yield a, b
    a.store.close()
    b.store.close()


def _op(obj_id: str, owner: str, lat: float, minutes: int = 0, radius_m: float = 500.0
        ) -> Any:
    start = T0 + timedelta(minutes=minutes)
    return object_from_dict({
        "object": "operation", "id": obj_id, "kind": "flight", "state": "proposed",
        "volumes": [{"outline": {"type": "circle", "lat": lat, "lon": 38.6, "radius_m": radius_m},
                     "alt_lower_m": 0.0, "alt_upper_m": 150.0,
                     "time_start": start.isoformat(),
                     "time_end": (start + timedelta(minutes=30)).isoformat()}],
    }, owner=owner)


def test_reads_see_the_other_process_writes(pair: tuple[Service, Service]) -> None:
    a, b = pair
    a.put_party("server", PartyProfile(id="alpha", name="A"), create=True)
    a.put_party("server", PartyProfile(id="bravo", name="B"), create=True)
    alpha, bravo = Principal("alpha", ALL_SCOPES), Principal("bravo", ALL_SCOPES)
    assert b.list_objects(bravo, "operation") == []
    a.save(alpha, _op("one", "alpha", 33.5), expected_version=None, create=True)
    # b has not written since: its reads catch up all the same
    assert [o["id"] for o in b.list_objects(bravo, "operation")] == ["one"]
    assert b.get(bravo, "one")["id"] == "one"
    seen = {"one": b.get(bravo, "one")["version"]}
    a.save(bravo, _op("two", "bravo", 33.5, minutes=10), expected_version=None, create=True,
           seen=seen, override="exercise, accepted risk")
    assert len(b.conflicts(alpha)) == 1
    # throttled: at most one look at the ledger head per read_sync_s
    b.read_sync_s = 3600.0
    a.save(alpha, _op("three", "alpha", 34.5), expected_version=None, create=True)
    assert {o["id"] for o in b.list_objects(bravo, "operation")} == {"one", "two"}


class _Receiver:
    def __init__(self) -> None:
        self.got: Counter[str] = Counter()
        lock = threading.Lock()
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    got[self.headers["X-Deconfliction-Message"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_each_webhook_delivery_is_sent_by_one_process(pair: tuple[Service, Service]) -> None:
    a = pair[0]
    receiver = _Receiver()
    try:
        a.put_party("server", PartyProfile(id="alpha", name="A"), create=True)
        for i in range(6):
            a.put_party("server", PartyProfile(id=f"w{i}", name="W", webhook_url=receiver.url),
                        create=True)
        seen = {}
        for i in range(6):
            seen[f"watch{i}"] = a.save(Principal(f"w{i}", ALL_SCOPES),
                                       _op(f"watch{i}", f"w{i}", 36.0 + 0.05 * i),
                                       expected_version=None, create=True).object["version"]
        alpha = Principal("alpha", ALL_SCOPES)
        for k in range(10):  # each meets every watcher's operation: 6 notices each
            a.save(alpha, _op(f"op{k}", "alpha", 36.1, radius_m=30_000.0),
                   expected_version=None, create=True, seen=seen, override="drill, accepted")
        with a.store.read() as tx:
            due = tx.webhook_due(a.clock().timestamp() + 1, limit=10_000)
        assert len(due) >= 6
        sent = [0, 0]
        barrier = threading.Barrier(2)

        def run(k: int, svc: Service) -> None:
            with httpx.Client(timeout=5.0) as client:
                barrier.wait()
                sent[k] = deliver_due(svc, client, limit=10_000)

        threads = [threading.Thread(target=run, args=(k, s)) for k, s in enumerate(pair)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(sent) == len(due)
        assert set(receiver.got) == {m.id for m in due}
        assert max(receiver.got.values()) == 1
        with a.store.read() as tx:
            assert tx.webhook_due(a.clock().timestamp() + 1e6) == []
    finally:
        receiver.close()


@pytest.mark.slow
def test_serve_with_two_workers(tmp_path: Path) -> None:
    """``serve --workers 2``: two processes on one port and one database; every write is
    seen by every read, whichever process answers."""
    from deconfliction.testing.server import ServerProcess

    admin = "dcf_workers-admin"
    with ServerProcess(f"sqlite:///{tmp_path}/w.db", admin_token=admin,
                       settings={"workers": 2}) as srv:
        with httpx.Client(base_url=srv.url, timeout=30.0,
                          headers={"Authorization": f"Bearer {admin}"}) as http:
            token = http.post("/parties", json={"id": "alpha"}).json()["token"]
        for k in range(12):  # a new connection each time: both workers answer some
            with httpx.Client(base_url=srv.url, timeout=30.0,
                              headers={"Authorization": f"Bearer {token}"}) as http:
                start = T0 + timedelta(hours=k)
                r = http.post("/operations", json={
                    "id": f"w{k}", "kind": "flight", "state": "proposed",
                    "volumes": [{"outline": {"type": "circle", "lat": 33.5, "lon": 38.6,
                                             "radius_m": 500.0},
                                 "alt_lower_m": 0.0, "alt_upper_m": 150.0,
                                 "time_start": start.isoformat(),
                                 "time_end": (start + timedelta(minutes=30)).isoformat()}]})
                assert r.status_code == 201, r.text
                assert http.get("/operations").json()["count"] == k + 1
        with httpx.Client(base_url=srv.url, timeout=30.0,
                          headers={"Authorization": f"Bearer {admin}"}) as http:
            assert http.get("/ledger/verify").json()["ok"]
