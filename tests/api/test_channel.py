"""The deconfliction channel through the API: answers, escalation of unanswered messages
(on a fake clock), webhook delivery with retries to a real HTTP receiver, and the
resumable event stream."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.world import FAR, HERE, World, circle, open_world
from deconfliction.channel import ledger as ledger_mod
from deconfliction.channel.webhooks import deliver_due


def _notice_to_bravo(w: World) -> dict[str, Any]:
    """alpha's operation enters bravo's zone (overridden): bravo gets a notice from alpha."""
    r = w.client.post("/zones", headers=w.auth("bravo"), json={
        "id": "z-bravo", "volumes": [circle(*HERE, 10_000.0)]})
    assert r.status_code == 201
    r = w.client.post("/operations", headers=w.auth("alpha"), json={
        "id": "op", "state": "proposed", "volumes": [circle(*HERE, 1_000.0)],
        "seen": w.seen("alpha"), "override": "urgent resupply"})
    assert r.status_code == 201, r.text
    (msg,) = [m for m in w.inbox("bravo") if m["subject"] == "op"]
    return msg


def test_unanswered_messages_escalate_after_their_deadline(any_world: World) -> None:
    w = any_world
    msg = _notice_to_bravo(w)
    assert msg["sender"] == "alpha" and msg["state"] == "pending"
    assert w.service.escalate_overdue() == []
    w.clock.advance(3599)
    assert w.service.escalate_overdue() == []
    w.clock.advance(2)
    escalations = w.service.escalate_overdue()
    assert sorted(m.recipient for m in escalations) == ["alpha", "echo"]
    # bravo's escalation party must answer; the sender is told
    (to_echo,) = [m for m in w.inbox("echo") if m["kind"] == "escalation"]
    assert to_echo["subject"] == msg["id"] and to_echo["state"] == "pending"
    assert to_echo["details"]["message"]["recipient"] == "bravo"
    (to_alpha,) = [m for m in w.inbox("alpha") if m["kind"] == "escalation"]
    assert to_alpha["state"] == "acked"  # for information
    sent = w.client.get("/sent", headers=w.auth("alpha")).json()["items"]
    (mine,) = [m for m in sent if m["id"] == msg["id"]]
    assert mine["escalated_at"] is not None and mine["state"] == "pending"
    # once each
    w.clock.advance(10)
    assert w.service.escalate_overdue() == []
    # nobody else hears of it
    assert not [m for m in w.inbox("delta") if m["kind"] == "escalation"]
    assert w.client.get(f"/messages/{msg['id']}", headers=w.auth("echo")).status_code == 404


def test_answered_messages_do_not_escalate_and_the_sender_sees_the_answer(
        world: World) -> None:
    w = world
    msg = _notice_to_bravo(w)
    url = f"/messages/{msg['id']}/ack"
    r = w.client.post(url, headers=w.auth("bravo"), json={"answer": "object"})
    assert r.status_code == 422  # an objection gives a reason
    r = w.client.post(url, headers=w.auth("bravo"), json={"answer": "maybe"})
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST")
    r = w.client.post(url, headers=w.auth("bravo"),
                      json={"answer": "request-change", "reason": "move it 5 km east"})
    assert r.status_code == 200 and r.json()["state"] == "change_requested"
    r = w.client.post(url, headers=w.auth("bravo"))
    assert (r.status_code, r.json()["code"]) == (409, "ALREADY_ANSWERED")
    (mine,) = [m for m in w.client.get("/sent", headers=w.auth("alpha")).json()["items"]
               if m["id"] == msg["id"]]
    assert (mine["state"], mine["answer_reason"]) == ("change_requested", "move it 5 km east")
    w.clock.advance(10 * 3600)
    assert w.service.escalate_overdue() == []
    # pending-only inbox and the cursor
    assert not [m for m in w.client.get("/inbox?pending=true", headers=w.auth("bravo"))
                .json()["items"] if m["id"] == msg["id"]]
    everything = w.client.get("/inbox", headers=w.auth("bravo")).json()
    later = w.client.get(f"/inbox?after={everything['next']}", headers=w.auth("bravo"))
    assert later.json()["count"] == 0


class _Receiver:
    """A webhook receiver on 127.0.0.1 that fails its first ``failures`` requests."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[int, dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if len(receiver.received) < receiver.failures else 204
                receiver.received.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    with _Receiver(failures=2) as r:
        yield r


def test_webhooks_retry_with_backoff_until_the_receiver_answers(
        receiver: _Receiver, tmp_path: Path) -> None:
    with open_world(f"sqlite:///{tmp_path / 'hooks.db'}", webhook_url=receiver.url) as w, \
            httpx.Client(timeout=5) as client:
        r = w.client.post("/operations", headers=w.auth("alpha"), json={
            "id": "op", "participants": ["charlie"], "state": "proposed",
            "volumes": [circle(*FAR)]})
        assert r.status_code == 201
        (msg_id,) = r.json()["messages"]

        def attempt() -> int:
            return deliver_due(w.service, client, max_backoff_s=300.0)

        assert attempt() == 0 and len(receiver.received) == 1  # 503
        assert attempt() == 0 and len(receiver.received) == 1  # not due for 1 s
        w.clock.advance(1.0)
        assert attempt() == 0 and len(receiver.received) == 2  # 503 again
        w.clock.advance(1.5)
        assert attempt() == 0 and len(receiver.received) == 2  # the wait doubled: 2 s
        w.clock.advance(0.5)
        assert attempt() == 1 and len(receiver.received) == 3  # 204
        w.clock.advance(600)
        assert attempt() == 0 and len(receiver.received) == 3  # done: never sent again
        # every attempt carried the same message, its id and the server's signature
        key = ledger_mod.public_key_from_text(w.service.public_key)
        assert isinstance(key, Ed25519PublicKey)
        for _, headers, body in receiver.received:
            assert headers["X-Deconfliction-Message"] == msg_id
            sig = headers["X-Deconfliction-Signature"].removeprefix("ed25519=")
            key.verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)), body)
            assert json.loads(body)["id"] == msg_id
        # delivered by the webhook, still in the inbox
        got = w.client.get(f"/messages/{msg_id}", headers=w.auth("charlie")).json()
        assert got["delivered_at"] is not None
        assert any(m["id"] == msg_id for m in w.inbox("charlie"))


def _events(w: World, party: str, **headers: str) -> list[tuple[int, dict[str, Any]]]:
    r = w.client.get("/events?once=true", headers={**w.auth(party), **headers})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    out = []
    for block in r.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines()
                     if not line.startswith(":"))
        if lines:
            assert lines["event"] == "message"
            out.append((int(lines["id"]), json.loads(lines["data"])))
    return out


def test_events_resume_after_last_event_id(world: World) -> None:
    w = world
    for i in range(3):
        r = w.client.post("/operations", headers=w.auth("alpha"), json={
            "id": f"op{i}", "participants": ["charlie"], "state": "proposed",
            "volumes": [circle(FAR[0] + 5 * i, FAR[1])]})
        assert r.status_code == 201, r.text
    first = _events(w, "charlie")
    assert [m["subject"] for _, m in first] == ["op0", "op1", "op2"]
    assert all(m["recipient"] == "charlie" for _, m in first)
    ids = [seq for seq, _ in first]
    assert ids == sorted(ids) and ids == [m["seq"] for _, m in first]
    again = _events(w, "charlie", **{"Last-Event-ID": str(ids[0])})
    assert [seq for seq, _ in again] == ids[1:]
    assert _events(w, "charlie", **{"Last-Event-ID": str(ids[-1])}) == []
    r = w.client.get(f"/events?once=true&after={ids[1]}", headers=w.auth("charlie"))
    assert f"id: {ids[2]}\n" in r.text and f"id: {ids[1]}\n" not in r.text
    assert _events(w, "delta") == []
