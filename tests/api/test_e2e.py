"""End to end: ``deconfliction serve`` as a real process (uvicorn, background workers), on
SQLite and on PostgreSQL, driven over HTTP as the At Tanf parties would."""

from __future__ import annotations

import json
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# the console script installed next to this interpreter (cli.py has no __main__ guard)
DECONFLICTION = str(Path(sys.executable).parent / "deconfliction")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, db: str, cwd: Path) -> None:
        self.port = _free_port()
        self.admin_token = "dcf_" + secrets.token_urlsafe(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = cwd / "serve.log"
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(
            [DECONFLICTION, "serve", "--db", db, "--port", str(self.port), "--scenario",
             "attanf", "--admin-token", self.admin_token, "--log-level", "info"],
            cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT)
        self.tokens_file = Path(db + ".tokens.json") if "://" not in db else (
            cwd / "deconfliction.tokens.json")

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}:\n"
                                     + self.log.read_text())
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("serve did not answer /healthz:\n" + self.log.read_text())

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError("serve did not stop on SIGTERM") from None
            finally:
                self._log.close()
        self._log.close()
        return self.proc.returncode


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    db = str(tmp_path / "attanf.db") if request.param == "sqlite" else \
        request.getfixturevalue("fresh_postgres_url")
    s = Server(db, tmp_path)
    try:
        s.wait_ready()
        yield s
    finally:
        s.stop()


@pytest.mark.slow
def test_a_party_logs_in_answers_and_writes_through_a_real_server(server: Server) -> None:
    tokens = json.loads(server.tokens_file.read_text())
    assert {"coalition", "russia", "ocha", "mat", "syria", "admin"} <= tokens.keys()
    with httpx.Client(base_url=server.base, timeout=30) as http:
        assert http.get("/inbox").status_code == 401
        # log in: exchange the API token for a JWT
        r = http.post("/token", headers={"Authorization": f"Bearer {tokens['russia']}"})
        assert r.status_code == 200, r.text
        ru = {"Authorization": f"Bearer {r.json()['token']}"}
        # the inbox holds the story's notices; acknowledge one
        inbox = http.get("/inbox?pending=true", headers=ru).json()["items"]
        assert inbox and all(m["recipient"] == "russia" for m in inbox)
        r = http.post(f"/messages/{inbox[0]['id']}/ack", headers=ru)
        assert r.status_code == 200 and r.json()["state"] == "acked"
        # the coalition's zone, as russia sees it: volumes and a contact, not the purpose
        zone = http.get("/zones/at-tanf-zone", headers=ru).json()
        assert zone["shared"] == "volumes" and "name" not in zone and zone["contact"]
        # a patrol into the zone: awareness first, then the conflict, then an override
        op = {"id": "e2e-patrol", "kind": "patrol", "state": "proposed",
              "volumes": [{"outline": {"type": "circle", "lat": 33.5, "lon": 38.62,
                                       "radius_m": 2000.0},
                           "alt_lower_m": 0.0, "alt_upper_m": 500.0,
                           "time_start": "2018-09-12T00:00:00Z",
                           "time_end": "2018-09-13T00:00:00Z"}]}
        r = http.post("/operations", headers=ru, json=op)
        assert (r.status_code, r.json()["code"]) == (409, "AWARENESS_REQUIRED")
        assert "at-tanf-zone" in {m["id"] for m in r.json()["missing"]}
        seen = {m["id"]: m["version"] for m in r.json()["missing"]}
        r = http.post("/operations", headers=ru, json={**op, "seen": seen})
        assert (r.status_code, r.json()["code"]) == (409, "CONFLICTS"), r.text
        r = http.post("/operations", headers=ru,
                      json={**op, "seen": seen, "override": "search and rescue"})
        assert r.status_code == 201, r.text
        conflicts = http.get("/conflicts", headers=ru).json()["items"]
        assert any("e2e-patrol" in (c["a"]["id"], c["b"]["id"]) for c in conflicts)
        co = {"Authorization": f"Bearer {tokens['coalition']}"}
        told = [m for m in http.get("/inbox", headers=co).json()["items"]
                if m["subject"] == "e2e-patrol"]
        assert told and told[0]["kind"] == "override"
        # the admin's token given at start works; the ledger verifies on the server
        admin = {"Authorization": f"Bearer {server.admin_token}"}
        assert http.post("/parties", headers=admin, json={"id": "e2e"}).status_code == 201
        r = http.get("/ledger/verify", headers=ru).json()
        assert r["ok"] is True and r["count"] > 20
        assert http.get("/metrics").status_code == 200
    # uvicorn shuts down gracefully (the lifespan stops the workers), then re-raises the
    # signal so that the exit status says what ended it
    assert server.stop() in (0, -signal.SIGTERM)
    log = server.log.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log, log
