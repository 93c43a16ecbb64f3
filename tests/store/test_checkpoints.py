"""SQLite checkpoints in a thread of their own (``SqlStore.checkpoint_in_background``):
commits no longer copy the write-ahead log, the thread does, and nothing is lost."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

from deconfliction.store import SqliteStore, open_store


def _wal_frames(db: Path) -> tuple[int, int]:
    """(frames in the log, frames copied into the database), asked from outside."""
    with sqlite3.connect(db) as conn:
        _busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return log, done


def _fill(store: SqliteStore, rows: int) -> None:
    with store.write() as tx:
        tx.conn.execute(sa.text("CREATE TABLE IF NOT EXISTS filler (k INTEGER, v BLOB)"))
    for k in range(rows):
        with store.write() as tx:  # many commits, as a worker makes
            tx.conn.execute(sa.text("INSERT INTO filler VALUES (:k, :v)"),
                            {"k": k, "v": b"x" * 40_000})


def test_commits_leave_the_log_to_the_thread(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    store = open_store(db)
    assert store.checkpoint_in_background(every_s=3600.0)  # the thread waits an hour
    with store.read() as tx:
        assert tx.conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    _fill(store, 120)  # ~1,200 pages of 4 KiB: past SQLite's 1,000-page mark
    assert (tmp_path / "c.db-wal").stat().st_size > 4_000_000  # no commit copied it
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM filler").fetchone() == (120,)


def test_the_thread_checkpoints_and_stops_with_the_store(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    store = open_store(db)
    assert store.checkpoint_in_background(every_s=0.05)
    _fill(store, 60)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:  # the thread copies every frame in
        log, done = _wal_frames(db)
        if log == done and checkpointer.rounds > 1:
            break
        time.sleep(0.05)
    assert log == done
    store.close()
    assert not checkpointer._thread.is_alive()


def test_without_it_commits_checkpoint_as_sqlite_does(tmp_path: Path) -> None:
    """The default: SQLite's own checkpoints (the log is copied by the commit past 1,000
    pages, so it never grows past about that)."""
    db = tmp_path / "c.db"
    store = open_store(db)
    with store.read() as tx:
        assert tx.conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    _fill(store, 120)
    assert (tmp_path / "c.db-wal").stat().st_size < 4_600_000
    store.close()
