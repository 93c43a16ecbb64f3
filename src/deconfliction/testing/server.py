"""A real ``deconfliction serve`` process for tests and benchmarks.

Usage::

    with ServerProcess("sqlite:////tmp/x.db", admin_token="adm") as srv:
        httpx.get(srv.url + "/healthz")

Several processes may serve one database (each keeps its own in-memory index and catches up
by ledger seq). :meth:`ServerProcess.kill` sends SIGKILL, for crash tests; the process's
output goes to a log file whose tail is shown when it fails to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from deconfliction.testing.ports import free_port

__all__ = ["ServerProcess", "free_port"]


class ServerProcess:
    """``deconfliction serve --db DB --port PORT --admin-token TOKEN`` in a child process."""

    def __init__(self, db: str, *, admin_token: str, port: int | None = None,
                 settings: Mapping[str, object] | None = None,
                 start_timeout_s: float = 60.0) -> None:
        self.db = db
        self.admin_token = admin_token
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = dict(settings or {})
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        fd, name = tempfile.mkstemp(prefix="deconfliction-serve-", suffix=".log")
        os.close(fd)
        self.log_path = Path(name)

    def command(self) -> list[str]:
        """The command line run."""
        args = [sys.executable, "-c", "from deconfliction.cli import main; main()", "serve",
                "--db", self.db, "--port", str(self.port), "--admin-token", self.admin_token,
                "--log-level", "warning"]
        for name, value in self.settings.items():
            args += ["--" + name.replace("_", "-"), str(value)]
        return args

    def start(self) -> ServerProcess:
        """Start the process and wait until ``/healthz`` answers."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                if httpx.get(self.url + "/healthz", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not answer within {self.start_timeout_s} s:\n"
                           + self.log_tail())

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the process's output."""
        return self.log_path.read_text(errors="replace")[-chars:]

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; what is committed is what survives."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL after 15 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
