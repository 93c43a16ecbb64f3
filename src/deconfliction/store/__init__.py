"""Storage of zones and operations behind one port (:class:`~deconfliction.store.port.Store`).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     with open_store(pathlib.Path(tmp) / "d.db") as store:
...         store.list_zones()
[]
>>> open_store("postgresql://localhost/deconfliction")
Traceback (most recent call last):
...
deconfliction.core.errors.StoreError: store: PostgreSQL is not supported yet; use a SQLite path
"""

from __future__ import annotations

from pathlib import Path

from deconfliction.core.errors import StoreError
from deconfliction.store.port import ObjectKind, Store, StoredObject
from deconfliction.store.sqlite import SqliteStore

__all__ = ["ObjectKind", "SqliteStore", "Store", "StoredObject", "open_store"]


def open_store(url_or_path: str | Path) -> Store:
    """A store for a SQLite path or ``sqlite:///path`` URL (``postgresql://`` not yet)."""
    if isinstance(url_or_path, Path):
        return SqliteStore(url_or_path)
    text = str(url_or_path)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return SqliteStore(text)
    if scheme == "sqlite" or scheme.startswith("sqlite+"):
        if not rest.startswith("/") or rest in ("/", "/:memory:"):
            raise StoreError("UNSUPPORTED_STORE", f"{text}: give a file, sqlite:///path", "store")
        return SqliteStore(rest[1:])
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        raise StoreError(
            "UNSUPPORTED_STORE", "PostgreSQL is not supported yet; use a SQLite path", "store"
        )
    raise StoreError("UNSUPPORTED_STORE", f"unknown store scheme {scheme!r}", "store")
