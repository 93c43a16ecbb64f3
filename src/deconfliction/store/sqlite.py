"""The embedded store: :class:`~deconfliction.store.sql.SqlStore` on one SQLite file (WAL).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     with SqliteStore(pathlib.Path(tmp) / "d.db") as store:
...         store.dialect, store.list_operations()
('sqlite', [])
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from deconfliction.store.sql import SqlStore

__all__ = ["SqliteStore"]


class SqliteStore(SqlStore):
    """A store in one SQLite file (created if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(sa.URL.create("sqlite+pysqlite", database=str(self.path)),
                         label=str(self.path))

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"
