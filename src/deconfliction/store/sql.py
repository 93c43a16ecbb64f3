"""The SQL store: SQLite (embedded default, WAL) or PostgreSQL + PostGIS, through SQLAlchemy 2.

One class for both databases; they differ only in how a connection is set up and how writes
are serialised:

* SQLite: every write transaction is ``BEGIN IMMEDIATE`` (one writer at a time, across
  processes), taken after an exclusive ``flock`` on ``<db>-writer.lock`` so that waiting
  writers queue instead of polling; reads see one snapshot.
* PostgreSQL: every write transaction first takes a transaction-scoped advisory lock, so the
  check-then-write of the service is serialised across processes just as on SQLite.

The schema is created and upgraded by Alembic (:mod:`deconfliction.store.migrations`) when
the store is opened. A failure inside a transaction rolls everything back: a failed request
leaves no trace.

The simple object port (:class:`~deconfliction.store.port.Store`: ``put``/``get``/``list``/
``delete``) is kept on top for the library and the CLI; the service works with
:meth:`SqlStore.write` and :meth:`SqlStore.read`, which yield a :class:`~deconfliction.store.tx.Tx`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection

from deconfliction.core.errors import StoreError
from deconfliction.core.objects import Operation, Zone
from deconfliction.formats.rawjson import serialize
from deconfliction.store.port import ObjectKind, StoredObject
from deconfliction.store.tx import Tx

__all__ = ["HEAD_REVISION", "SqlStore", "migrate"]

T = TypeVar("T", Zone, Operation)
_BUSY_TIMEOUT_MS = 30_000
#: the advisory lock that serialises writers on PostgreSQL ("deco" in ASCII)
_PG_WRITE_LOCK = 0x6465636F
_PG_LOCK_SQL = f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})"
#: the newest schema revision this code knows
HEAD_REVISION = "0004"
_MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # let SQLAlchemy's "begin" event, not the driver, open transactions
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        f"busy_timeout={_BUSY_TIMEOUT_MS}",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def migrate(conn: Connection) -> None:
    """Bring the schema on ``conn`` to :data:`HEAD_REVISION` (inside the caller's transaction).

    A database written by release 0.1 (a ``schema_version`` table, no Alembic) is taken as
    revision 0001. A database newer than this code is refused with ``SCHEMA_TOO_NEW``.
    """
    insp = sa.inspect(conn)
    names = set(insp.get_table_names())
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    if "alembic_version" in names:
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if found is not None and found > HEAD_REVISION:
            raise StoreError(
                "SCHEMA_TOO_NEW",
                f"the database has schema revision {found}; this program knows "
                f"{HEAD_REVISION}: upgrade deconfliction",
            )
        if found == HEAD_REVISION:
            return
    elif "schema_version" in names:
        found = conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar()
        if found is not None and found > 1:
            raise StoreError(
                "SCHEMA_TOO_NEW",
                f"the database has schema version {found}: upgrade deconfliction",
            )
        command.stamp(cfg, "0001")
    command.upgrade(cfg, "head")


class _WriterLock:
    """SQLite writers of all processes queue on an exclusive ``flock`` of a file next to the
    database before ``BEGIN IMMEDIATE``: a waiting writer wakes as soon as the lock is free,
    where SQLite's busy handler would poll with sleeps of up to 100 ms."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()  # flock is per open file: threads queue here
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError as err:
            self._thread_lock.release()
            raise StoreError("STORE_FAILURE", f"{self.path}: {err}") from err
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Checkpointer:
    """A thread copying a SQLite database's write-ahead log into it every ``every_s``
    (passive checkpoints, on a connection of its own: no reader or writer waits for it)."""

    def __init__(self, path: Path, every_s: float) -> None:
        self._stop = threading.Event()
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, args=(path, every_s),
                                        name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self, path: Path, every_s: float) -> None:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            while not self._stop.wait(every_s):
                # busy (another process checkpointing) or failing: the next round goes on
                with suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.rounds += 1
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10.0)


class SqlStore:
    """Zones, operations, parties, messages and the ledger in one SQL database."""

    def __init__(self, url: str | sa.URL, *, label: str | None = None) -> None:
        self.url = sa.make_url(url)
        self.dialect = self.url.get_backend_name()
        self.label = label or self.url.render_as_string(hide_password=True)
        self._closed = False
        self._flock: _WriterLock | None = None
        self._checkpointer: _Checkpointer | None = None
        if self.dialect == "sqlite":
            self._engine = sa.create_engine(self.url, pool_size=8, max_overflow=32,
                                            json_serializer=serialize)
            event.listen(self._engine, "connect", self._sqlite_connect)
            event.listen(self._engine, "begin", _sqlite_begin)
            self._writer = self._engine.execution_options(sqlite_begin="IMMEDIATE")
            db = self.url.database
            if db and db != ":memory:" and not db.startswith("file:"):
                self._flock = _WriterLock(Path(db).with_name(Path(db).name + "-writer.lock"))
        elif self.dialect == "postgresql":
            if self.url.drivername == "postgresql":
                self.url = self.url.set(drivername="postgresql+psycopg")
            self._engine = sa.create_engine(
                self.url, pool_size=8, max_overflow=32, pool_pre_ping=True,
                json_serializer=serialize,
            )
            self._writer = self._engine.execution_options()
        else:
            raise StoreError("UNSUPPORTED_STORE", f"unknown database {self.dialect!r}", "store")
        try:
            with self._tx(write=True) as conn:
                migrate(conn)
        except BaseException:
            self._engine.dispose()
            raise

    def _sqlite_connect(self, dbapi_conn: Any, record: Any) -> None:
        _sqlite_connect(dbapi_conn, record)
        if self._checkpointer is not None:
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint_in_background(self, every_s: float = 0.25) -> bool:
        """SQLite: checkpoint the write-ahead log from a thread of its own every ``every_s``
        rather than in whichever commit takes the log past 1,000 pages, where the copy and
        its fsync hold that commit (and a stream worker waiting on it) for as long as the
        disk takes. Whether it applies (not to PostgreSQL or an in-memory database)."""
        if self._flock is None or self._closed:  # (the lock is there for a SQLite file)
            return False
        if self._checkpointer is None:
            self._checkpointer = _Checkpointer(Path(str(self.url.database)), every_s)
            self._engine.dispose()  # pooled connections come back without checkpoints
        return True

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        if self._closed:
            raise StoreError("STORE_CLOSED", f"the store {self.label} is closed")
        if write and self._flock is not None:
            with self._flock, self._tx_inner(write) as conn:
                yield conn
        else:
            with self._tx_inner(write) as conn:
                yield conn

    @contextmanager
    def _tx_inner(self, write: bool) -> Iterator[Connection]:
        try:
            with (self._writer if write else self._engine).begin() as conn:
                if write and self.dialect == "postgresql":
                    conn.exec_driver_sql(_PG_LOCK_SQL)  # before every batch: plain SQL
                yield conn
        except sa.exc.SQLAlchemyError as err:
            detail = getattr(err, "orig", None) or err
            raise StoreError(
                "STORE_FAILURE", f"{self.label}: {type(detail).__name__}: {detail}"
            ) from err

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction, serialised with every other writer (all processes)."""
        with self._tx(write=True) as conn:
            yield Tx(conn, self.label)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """One read transaction."""
        with self._tx(write=False) as conn:
            yield Tx(conn, self.label)

    # -- the object port --------------------------------------------------------------------

    def put(self, obj: T, expected_version: str | None = None) -> T:
        """Insert or replace ``obj``; see :meth:`deconfliction.store.port.Store.put`."""
        with self.write() as tx:
            tx.put_object(obj, expected_version=expected_version)
        return obj

    def put_many(self, objects: Iterable[StoredObject]) -> list[StoredObject]:
        """Insert or replace every object in one transaction."""
        objs = list(objects)
        with self.write() as tx:
            for obj in objs:
                tx.put_object(obj)
        return objs

    def delete(self, kind: ObjectKind, obj_id: str, expected_version: str | None = None) -> None:
        """Remove an object; ``NotFoundError`` if absent, ``VERSION_MISMATCH`` if stale."""
        with self.write() as tx:
            tx.delete_object(kind, obj_id, expected_version=expected_version)

    def get_zone(self, zone_id: str) -> Zone:
        """The zone with ``zone_id``, else ``NotFoundError``."""
        with self.read() as tx:
            return tx.get_zone(zone_id)

    def get_operation(self, operation_id: str) -> Operation:
        """The operation with ``operation_id``, else ``NotFoundError``."""
        with self.read() as tx:
            return tx.get_operation(operation_id)

    def list_zones(self) -> list[Zone]:
        """Every zone, by id."""
        with self.read() as tx:
            return [r.obj for r in tx.objects("zone") if isinstance(r.obj, Zone)]

    def list_operations(self) -> list[Operation]:
        """Every operation, by id."""
        with self.read() as tx:
            return [r.obj for r in tx.objects("operation") if isinstance(r.obj, Operation)]

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release every connection."""
        if not self._closed:
            self._closed = True
            if self._checkpointer is not None:
                self._checkpointer.stop()
            self._engine.dispose()
            if self._flock is not None:
                self._flock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"

