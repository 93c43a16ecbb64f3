"""The embedded store: SQLite in WAL mode through SQLAlchemy 2 Core.

Each write runs in one ``BEGIN IMMEDIATE`` transaction, so the version check and the write
cannot interleave with another process's; a failure rolls everything back. Reads run in a
deferred transaction and see one snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from deconfliction.core.errors import (
    ConflictStateError,
    DeconflictionError,
    NotFoundError,
    StoreError,
)
from deconfliction.core.objects import Operation, Zone
from deconfliction.formats.native import operation_from_dict, zone_from_dict
from deconfliction.store.port import ObjectKind, StoredObject
from deconfliction.store.rows import row_of
from deconfliction.store.tables import SCHEMA_VERSION, metadata, operations, schema_version, zones

__all__ = ["SqliteStore"]

T = TypeVar("T", Zone, Operation)
_BUSY_TIMEOUT_MS = 30_000


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
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


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


class SqliteStore:
    """A :class:`~deconfliction.store.port.Store` in one SQLite file (created if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._closed = False
        url = sa.URL.create("sqlite+pysqlite", database=str(self.path))
        self._engine = sa.create_engine(url)
        event.listen(self._engine, "connect", _on_connect)
        event.listen(self._engine, "begin", _on_begin)
        self._writer = self._engine.execution_options(sqlite_begin="IMMEDIATE")
        try:
            self._migrate()
        except BaseException:
            self._engine.dispose()
            raise

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        if self._closed:
            raise StoreError("STORE_CLOSED", f"the store {self.path} is closed")
        try:
            with (self._writer if write else self._engine).begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as err:
            detail = getattr(err, "orig", None) or err
            raise StoreError(
                "STORE_FAILURE", f"{self.path}: {type(detail).__name__}: {detail}"
            ) from err

    def _migrate(self) -> None:
        with self._tx(write=True) as conn:
            metadata.create_all(conn)
            found = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            if found is None:
                conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            elif found > SCHEMA_VERSION:
                raise StoreError(
                    "SCHEMA_TOO_NEW",
                    f"{self.path} has schema version {found}; this program knows "
                    f"{SCHEMA_VERSION}: upgrade deconfliction",
                )

    @staticmethod
    def _tables(kind: ObjectKind) -> tuple[sa.Table, sa.Table]:
        return (zones, operations) if kind == "zone" else (operations, zones)

    # -- writes -----------------------------------------------------------------------------

    def _write(self, conn: Connection, obj: StoredObject, expected_version: str | None) -> None:
        kind: ObjectKind = "zone" if isinstance(obj, Zone) else "operation"
        table, other = self._tables(kind)
        if conn.execute(sa.select(other.c.id).where(other.c.id == obj.id)).first():
            raise ConflictStateError(
                "ID_IN_USE", f"id {obj.id!r} is already used by an object of another kind", "id"
            )
        current = conn.execute(
            sa.select(table.c.version).where(table.c.id == obj.id)
        ).scalar_one_or_none()
        if expected_version is not None:
            if current is None:
                raise NotFoundError(f"no {kind} with id {obj.id!r}", "id")
            if current != expected_version:
                raise ConflictStateError(
                    "VERSION_MISMATCH",
                    f"{kind} {obj.id!r} is at version {current}, not {expected_version}",
                    "version",
                )
            if obj.version == expected_version:
                raise ConflictStateError(
                    "VERSION_NOT_NEW",
                    f"the new {kind} {obj.id!r} must carry a new version (use revised())",
                    "version",
                )
        row = row_of(obj, datetime.now(UTC))
        if current is None:
            conn.execute(table.insert().values(**row))
        else:
            conn.execute(table.update().where(table.c.id == obj.id).values(**row))

    def put(self, obj: T, expected_version: str | None = None) -> T:
        """Insert or replace ``obj``; see :meth:`deconfliction.store.port.Store.put`."""
        with self._tx(write=True) as conn:
            self._write(conn, obj, expected_version)
        return obj

    def put_many(self, objects: Iterable[StoredObject]) -> list[StoredObject]:
        """Insert or replace every object in one transaction."""
        objs = list(objects)
        with self._tx(write=True) as conn:
            for obj in objs:
                self._write(conn, obj, None)
        return objs

    def delete(self, kind: ObjectKind, obj_id: str, expected_version: str | None = None) -> None:
        """Remove an object; ``NotFoundError`` if absent, ``VERSION_MISMATCH`` if stale."""
        table, _ = self._tables(kind)
        with self._tx(write=True) as conn:
            current = conn.execute(
                sa.select(table.c.version).where(table.c.id == obj_id)
            ).scalar_one_or_none()
            if current is None:
                raise NotFoundError(f"no {kind} with id {obj_id!r}", "id")
            if expected_version is not None and current != expected_version:
                raise ConflictStateError(
                    "VERSION_MISMATCH",
                    f"{kind} {obj_id!r} is at version {current}, not {expected_version}",
                    "version",
                )
            conn.execute(table.delete().where(table.c.id == obj_id))

    # -- reads ------------------------------------------------------------------------------

    def _bodies(self, table: sa.Table, obj_id: str | None = None) -> list[tuple[str, Any]]:
        query = sa.select(table.c.id, table.c.body).order_by(table.c.id)
        if obj_id is not None:
            query = query.where(table.c.id == obj_id)
        with self._tx(write=False) as conn:
            return [(row.id, row.body) for row in conn.execute(query)]

    def _decode(self, kind: ObjectKind, obj_id: str, body: Any) -> StoredObject:
        try:
            return zone_from_dict(body) if kind == "zone" else operation_from_dict(body)
        except DeconflictionError as err:
            raise StoreError(
                "CORRUPT_ROW", f"{self.path}: stored {kind} {obj_id!r} cannot be read: {err}"
            ) from err

    def get_zone(self, zone_id: str) -> Zone:
        """The zone with ``zone_id``, else ``NotFoundError``."""
        for oid, body in self._bodies(zones, zone_id):
            zone = self._decode("zone", oid, body)
            assert isinstance(zone, Zone)
            return zone
        raise NotFoundError(f"no zone with id {zone_id!r}", "id")

    def get_operation(self, operation_id: str) -> Operation:
        """The operation with ``operation_id``, else ``NotFoundError``."""
        for oid, body in self._bodies(operations, operation_id):
            op = self._decode("operation", oid, body)
            assert isinstance(op, Operation)
            return op
        raise NotFoundError(f"no operation with id {operation_id!r}", "id")

    def list_zones(self) -> list[Zone]:
        """Every zone, by id."""
        out = [self._decode("zone", oid, body) for oid, body in self._bodies(zones)]
        return [z for z in out if isinstance(z, Zone)]

    def list_operations(self) -> list[Operation]:
        """Every operation, by id."""
        out = [self._decode("operation", oid, body) for oid, body in self._bodies(operations)]
        return [o for o in out if isinstance(o, Operation)]

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release every connection."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

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
        return f"SqliteStore({str(self.path)!r})"
