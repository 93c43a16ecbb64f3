"""Storage of zones and operations behind one port (:class:`~deconfliction.store.port.Store`).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     with open_store(pathlib.Path(tmp) / "d.db") as store:
...         store.list_zones()
[]
>>> open_store("mysql://localhost/deconfliction")
Traceback (most recent call last):
...
deconfliction.core.errors.StoreError: store: unknown store scheme 'mysql'
"""

from __future__ import annotations

from pathlib import Path

from deconfliction.core.errors import StoreError
from deconfliction.store.port import ObjectKind, Store, StoredObject
from deconfliction.store.sql import SqlStore
from deconfliction.store.sqlite import SqliteStore

__all__ = ["ObjectKind", "SqlStore", "SqliteStore", "Store", "StoredObject", "open_store"]


def open_store(url_or_path: str | Path) -> SqlStore:
    """A store for a SQLite path, a ``sqlite:///path`` URL or a ``postgresql://`` URL."""
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
        return SqlStore("postgresql+psycopg://" + rest if "+" not in scheme else text)
    raise StoreError("UNSUPPORTED_STORE", f"unknown store scheme {scheme!r}", "store")
