"""A real, throwaway PostgreSQL 15 + PostGIS server for tests and benchmarks.

Usage::

    with PostgresServer() as server:
        psycopg.connect(server.dsn)  # postgresql://postgres@127.0.0.1:<port>/deconfliction

The server lives in a fresh temporary directory, listens only on 127.0.0.1 (trust auth)
and on a unix socket inside that directory, runs with fsync off, and is stopped and
deleted on exit. PostgreSQL refuses to run as root, so when this process is root the
server runs as the unprivileged ``postgres`` system user (created if missing).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from deconfliction.testing.ports import free_port

PG_MAJOR = 15
SERVICE_USER = "postgres"
DATABASE = "deconfliction"
_INSTALL_HINT = "install it with `make system-deps` (Debian: postgresql-15 postgresql-15-postgis-3)"
_SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 50
logging_collector = off
"""
_TOOLS = ("initdb", "pg_ctl", "postgres", "psql", "pg_isready", "pg_config")
_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"


def find_bindir() -> Path:
    """Return the directory holding ``initdb``/``pg_ctl``; raise ``RuntimeError`` if absent."""
    candidates: list[Path] = []
    if env := os.environ.get("DECONFLICTION_PG_BINDIR"):
        candidates.append(Path(env))
    candidates.append(Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin"))
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    for path in candidates:
        if all((path / tool).is_file() for tool in _TOOLS):
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise RuntimeError(f"PostgreSQL server binaries not found (tried {tried}); {_INSTALL_HINT}")


class PostgresServer:
    """Context manager running a private PostgreSQL + PostGIS server.

    Attributes available after ``start()`` / ``__enter__``: ``port``, ``dsn``, ``base_dir``.
    """

    def __init__(self, *, start_timeout: float = 60.0, durable: bool = False) -> None:
        self.bindir = find_bindir()
        self.start_timeout = start_timeout
        #: fsync, synchronous_commit and full_page_writes on (a commit is on disk when it
        #: returns) and PostgreSQL's default 128 MB of shared buffers, for benchmarks; tests
        #: run without them
        self.durable = durable
        self.port = 0
        self.base_dir: Path | None = None
        self._running = False
        self._as_root = os.geteuid() == 0

    @property
    def dsn(self) -> str:
        """Connection URL (psycopg 3 / libpq) of the ``deconfliction`` database."""
        if not self._running:
            raise RuntimeError("PostgresServer is not running")
        return f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def running(self) -> bool:
        """Whether the server was started and not yet stopped."""
        return self._running

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _check_postgis(self) -> None:
        out = self._run([str(self.bindir / "pg_config"), "--sharedir"], as_service=False)
        control = Path(out.strip()) / "extension" / "postgis.control"
        if not control.is_file():
            raise RuntimeError(f"PostGIS is not installed ({control} missing); {_INSTALL_HINT}")

    def _run(self, cmd: list[str], *, as_service: bool) -> str:
        """Run ``cmd`` (as the service user when root and ``as_service``); return stdout."""
        if as_service and self._as_root:
            if shutil.which("runuser"):
                cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
            else:
                cmd = ["su", SERVICE_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", PGCONNECT_TIMEOUT="10")
        cwd = self.base_dir if self.base_dir is not None else "/"
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
        if proc.returncode != 0:
            raise RuntimeError(
                f"command failed ({proc.returncode}): {shlex.join(cmd)}\n{proc.stdout}{proc.stderr}"
            )
        return proc.stdout

    def _ensure_service_user(self) -> None:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            self._run(
                ["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", SERVICE_USER],
                as_service=False,
            )

    def start(self) -> None:
        """Create the cluster, start the server, create the database and PostGIS."""
        if self._running:
            return
        self._check_postgis()
        if self._as_root:
            self._ensure_service_user()
        # As root use /tmp: $TMPDIR may not be traversable by the service user.
        parent = "/tmp" if self._as_root else None
        self.base_dir = Path(tempfile.mkdtemp(prefix="deconfliction-pg-", dir=parent))
        atexit.register(self.stop)
        try:
            self._init_cluster()
            self._start_server()
            psql = [str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
            psql += ["-h", "127.0.0.1", "-p", str(self.port), "-U", SERVICE_USER]
            self._run(
                [*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DATABASE}"], as_service=False
            )
            self._run([*psql, "-d", DATABASE, "-c", "CREATE EXTENSION postgis"], as_service=False)
        except BaseException:
            self.stop()
            raise

    def _init_cluster(self) -> None:
        assert self.base_dir is not None
        data, sock = self.base_dir / "data", self.base_dir / "socket"
        sock.mkdir()
        if self._as_root:
            pw = pwd.getpwnam(SERVICE_USER)
            for path in (self.base_dir, sock):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        initdb = [str(self.bindir / "initdb"), "-D", str(data), "-U", SERVICE_USER, "-E", "UTF8"]
        self._run([*initdb, "--no-locale", "--auth=trust", "--no-sync"], as_service=True)
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            settings = _SETTINGS.format(socket_dir=sock)
            if self.durable:
                for name in ("fsync", "synchronous_commit", "full_page_writes"):
                    settings = settings.replace(f"{name} = off", f"{name} = on")
                # a benchmark's server: PostgreSQL's own default buffers, not the tests'
                # small ones (16 MB evicts dirty pages under a write load)
                settings = settings.replace("shared_buffers = 16MB", "shared_buffers = 128MB")
            conf.write(settings)
        (data / "pg_hba.conf").write_text(_HBA, encoding="utf-8")

    def _pg_ctl(self, *args: str) -> list[str]:
        assert self.base_dir is not None
        return [str(self.bindir / "pg_ctl"), "-D", str(self.base_dir / "data"), *args]

    def _start_server(self) -> None:
        assert self.base_dir is not None
        log = str(self.base_dir / "server.log")
        last_error: RuntimeError | None = None
        for _attempt in range(3):  # retry: another process may grab the free port first
            self.port = free_port()
            try:
                timeout = str(int(self.start_timeout))
                start = self._pg_ctl(
                    "start", "-w", "-t", timeout, "-l", log, "-o", f"-p {self.port}"
                )
                self._run(start, as_service=True)
            except RuntimeError as err:
                log_text = Path(log).read_text(errors="replace") if Path(log).exists() else ""
                last_error = RuntimeError(f"{err}\nserver log:\n{log_text}")
                continue
            self._running = True
            break
        else:
            assert last_error is not None
            raise last_error
        isready = [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        deadline = time.monotonic() + self.start_timeout
        while subprocess.run(isready).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on port {self.port} did not become ready")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (fast, then immediate) and delete its directory. Idempotent."""
        atexit.unregister(self.stop)
        if self.base_dir is None:
            return
        if self._running or (self.base_dir / "data" / "postmaster.pid").exists():
            try:
                self._run(self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30"), as_service=True)
            except RuntimeError:
                # Already dead (e.g. it never came up): nothing else to do.
                with contextlib.suppress(RuntimeError):
                    self._run(self._pg_ctl("stop", "-m", "immediate", "-w"), as_service=True)
        self._running = False
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
