"""The throwaway nats-server harness really starts with JetStream, serves, and stops."""

from __future__ import annotations

import asyncio
import socket

import nats
import pytest

from deconfliction.testing import NatsServer
from deconfliction.testing import nats as nats_harness


async def _roundtrip(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream.lower()}.*"])
        ack = await js.publish(f"{stream.lower()}.x", b"hello")
        msg = await js.get_msg(stream, ack.seq)
        assert msg.data == b"hello"
        seq: int = ack.seq
        return seq
    finally:
        await nc.close()


async def _stored(url: str, stream: str, seq: int) -> bytes:
    nc = await nats.connect(url)
    try:
        msg = await nc.jetstream().get_msg(stream, seq)
        data: bytes = msg.data
        return data
    finally:
        await nc.close()


def test_server_lifecycle() -> None:
    with NatsServer() as server:
        assert server.running
        assert server.url.startswith("nats://127.0.0.1:")
        base_dir = server.base_dir
        assert base_dir is not None and base_dir.is_dir()
        assert asyncio.run(_roundtrip(server.url, "LIFE")) == 1
        port = server.port
        server.restart()  # same port, same store: the message is still there
        assert server.port == port
        assert asyncio.run(_stored(server.url, "LIFE", 1)) == b"hello"
    assert not server.running
    assert not base_dir.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_session_fixture(nats_url: str) -> None:
    assert asyncio.run(_roundtrip(nats_url, "FIXTURE")) == 1


def test_missing_binary_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("DECONFLICTION_NATS_SERVER", "/nonexistent/nats-server")
    monkeypatch.setattr(nats_harness.sys, "executable", "/nonexistent/bin/python")
    monkeypatch.setattr(nats_harness.sys, "prefix", "/nonexistent")
    with pytest.raises(RuntimeError, match=r"nats-server not found.*make venv"):
        NatsServer()
