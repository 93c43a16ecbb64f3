"""The store port: what the domain needs from a database of zones and operations.

Adapters (:class:`~deconfliction.store.sqlite.SqliteStore`, later PostgreSQL) implement
:class:`Store`; one contract test suite runs against each. The store never makes version
tokens: callers pass objects whose ``version`` is already new (``obj.revised()``,
``op.transition(...)``) and, to guard against lost updates, the version they last read as
``expected_version``.

Ids are unique across zones and operations (``ID_IN_USE``): the conflict engine and the
ledger name objects by id alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Literal, Protocol, Self, TypeVar

from deconfliction.core.objects import Operation, Zone

__all__ = ["ObjectKind", "Store", "StoredObject"]

ObjectKind = Literal["zone", "operation"]
StoredObject = Zone | Operation
T = TypeVar("T", Zone, Operation)


class Store(Protocol):
    """Zones and operations by id; every write is one transaction."""

    def put(self, obj: T, expected_version: str | None = None) -> T:
        """Insert or replace ``obj`` and return it.

        With ``expected_version``, the stored object must exist and have that version, else
        ``ConflictStateError("VERSION_MISMATCH")``. ``ID_IN_USE`` if an object of the other
        kind has the id.
        """
        ...

    def put_many(self, objects: Iterable[StoredObject]) -> list[StoredObject]:
        """Insert or replace every object in one transaction: all are written or none."""
        ...

    def get_zone(self, zone_id: str) -> Zone:
        """The zone with ``zone_id``, else ``NotFoundError``."""
        ...

    def get_operation(self, operation_id: str) -> Operation:
        """The operation with ``operation_id``, else ``NotFoundError``."""
        ...

    def list_zones(self) -> list[Zone]:
        """Every zone, by id."""
        ...

    def list_operations(self) -> list[Operation]:
        """Every operation, by id."""
        ...

    def delete(self, kind: ObjectKind, obj_id: str, expected_version: str | None = None) -> None:
        """Remove an object; ``NotFoundError`` if absent, ``VERSION_MISMATCH`` if stale."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
