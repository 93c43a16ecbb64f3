"""The SQLite store against real files: round trips, versions, atomic writes, WAL."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import sample_objects as samples
from deconfliction.core.errors import ConflictStateError, NotFoundError, StoreError
from deconfliction.core.objects import OperationState
from deconfliction.store import SqliteStore, Store, open_store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "deconfliction.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    with SqliteStore(db) as s:
        yield s


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_it_is_a_store(store: SqliteStore) -> None:
    s: Store = store
    assert s.list_zones() == [] and s.list_operations() == []


def test_round_trip_every_outline(store: SqliteStore) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    pursuit = samples.pursuit()
    convoy = samples.convoy()
    antimeridian_zone = samples.antimeridian_zone()
    for obj in (at_tanf_zone, exercise, pursuit, convoy, antimeridian_zone):
        assert store.put(obj) is obj
    assert store.get_zone("at-tanf") == at_tanf_zone
    assert store.get_operation("pursuit") == pursuit
    assert store.list_zones() == [at_tanf_zone, antimeridian_zone]
    assert store.list_operations() == [convoy, exercise, pursuit]


def test_survives_close_and_reopen(db: Path) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    with SqliteStore(db) as s:
        s.put(at_tanf_zone)
        s.put(exercise)
    with open_store(f"sqlite:///{db}") as s2:
        assert s2.get_zone(at_tanf_zone.id).version == at_tanf_zone.version
        assert s2.get_operation(exercise.id) == exercise


def test_wal_mode_and_schema(store: SqliteStore, db: Path) -> None:
    exercise = samples.exercise()
    store.put(exercise)
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]
    assert _rows(db, "SELECT version FROM schema_version") == [(1,)]
    [(owner, version, state, t0, t1)] = _rows(
        db, "SELECT owner, version, state, time_start_s, time_end_s FROM operations"
    )
    assert (owner, version, state) == ("coalition", exercise.version, "accepted")
    assert (t0, t1) == (exercise.validity.start_s, exercise.validity.end_s)


def test_bbox_columns_are_conservative(store: SqliteStore, db: Path) -> None:
    exercise = samples.exercise()
    at_tanf_zone = samples.at_tanf_zone()
    antimeridian_zone = samples.antimeridian_zone()
    store.put_many([exercise, at_tanf_zone, antimeridian_zone])
    boxes = {r[0]: r[1:] for r in _rows(
        db, "SELECT id, min_lat, min_lon, max_lat, max_lon, time_start_s, time_end_s "
            "FROM zones UNION ALL SELECT id, min_lat, min_lon, max_lat, max_lon, "
            "time_start_s, time_end_s FROM operations")}
    # 25 km + a 2 km buffer is at least 0.2435° of latitude (111 km per degree at most)
    min_lat, min_lon, max_lat, max_lon, _, _ = boxes["exercise"]
    assert min_lat < 33.50583 - 27_000 / 111_700 and max_lat > 33.50583 + 27_000 / 111_700
    assert min_lon < 38.61778 - 27_000 / (111_700 * 0.83) and max_lon > 38.61778 + 0.29
    # across the antimeridian: the full band of longitudes, never a wrapped box
    _, min_lon, _, max_lon, t0, t1 = boxes["dateline"]
    assert (min_lon, max_lon) == (-180.0, 180.0)
    assert t0 is None and t1 is not None
    assert boxes["at-tanf"][5] is None


def test_version_mismatch_and_not_new(store: SqliteStore) -> None:
    exercise = samples.exercise()
    store.put(exercise)
    moved = exercise.transition(OperationState.ACTIVE)
    with pytest.raises(ConflictStateError) as err:
        store.put(moved, expected_version="stale")
    assert err.value.code == "VERSION_MISMATCH"
    with pytest.raises(ConflictStateError) as err:
        store.put(exercise, expected_version=exercise.version)
    assert err.value.code == "VERSION_NOT_NEW"
    assert store.put(moved, expected_version=exercise.version) is moved
    assert store.get_operation(exercise.id).state is OperationState.ACTIVE
    with pytest.raises(ConflictStateError):
        store.put(moved.revised(), expected_version=exercise.version)  # lost update refused
    assert store.put(exercise) is exercise  # without expected_version: plain replace


def test_expected_version_of_a_missing_object(store: SqliteStore) -> None:
    exercise = samples.exercise()
    with pytest.raises(NotFoundError):
        store.put(exercise, expected_version="abc")


def test_not_found(store: SqliteStore) -> None:
    with pytest.raises(NotFoundError) as err:
        store.get_zone("nowhere")
    assert (err.value.code, err.value.field) == ("NOT_FOUND", "id")
    with pytest.raises(NotFoundError):
        store.get_operation("nothing")
    with pytest.raises(NotFoundError):
        store.delete("zone", "nowhere")


def test_delete(store: SqliteStore) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    store.put_many([at_tanf_zone, exercise])
    with pytest.raises(ConflictStateError) as err:
        store.delete("zone", "at-tanf", expected_version="old")
    assert err.value.code == "VERSION_MISMATCH"
    with pytest.raises(NotFoundError):
        store.delete("operation", "at-tanf")  # a zone, not an operation
    store.delete("zone", "at-tanf", expected_version=at_tanf_zone.version)
    store.delete("operation", "exercise")
    assert store.list_zones() == [] and store.list_operations() == []


def test_ids_are_unique_across_kinds(store: SqliteStore) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    store.put(at_tanf_zone)
    with pytest.raises(ConflictStateError) as err:
        store.put(dataclasses.replace(exercise, id="at-tanf"))
    assert (err.value.code, err.value.field) == ("ID_IN_USE", "id")


def test_a_failing_batch_writes_nothing(store: SqliteStore) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    convoy = samples.convoy()
    store.put(convoy)
    clash = dataclasses.replace(exercise, id="convoy-zone")
    zone_with_clashing_id = dataclasses.replace(at_tanf_zone, id="convoy")
    with pytest.raises(ConflictStateError):
        store.put_many([clash, zone_with_clashing_id])
    assert store.list_operations() == [convoy]
    assert store.list_zones() == []


def test_a_database_constraint_rolls_the_batch_back(store: SqliteStore) -> None:
    # the core forbids an empty version token; force one past it to reach the table's CHECK
    at_tanf_zone = samples.at_tanf_zone()
    unversioned = samples.exercise()
    object.__setattr__(unversioned, "version", "")
    with pytest.raises(StoreError) as err:
        store.put_many([at_tanf_zone, unversioned])
    assert err.value.code == "STORE_FAILURE" and "CHECK" in err.value.message
    assert store.list_zones() == [] and store.list_operations() == []
    store.put(at_tanf_zone)  # the store still works
    assert store.list_zones() == [at_tanf_zone]


def test_two_stores_on_one_file_see_each_other(db: Path) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    with SqliteStore(db) as a, SqliteStore(db) as b:
        a.put(at_tanf_zone)
        assert b.get_zone("at-tanf") == at_tanf_zone
        revised = at_tanf_zone.revised(name="At Tanf (revised)")
        b.put(revised, expected_version=at_tanf_zone.version)
        with pytest.raises(ConflictStateError):
            a.put(at_tanf_zone.revised(), expected_version=at_tanf_zone.version)
        assert a.get_zone("at-tanf").name == "At Tanf (revised)"


def test_closed_store_refuses(db: Path) -> None:
    s = SqliteStore(db)
    s.close()
    s.close()
    with pytest.raises(StoreError) as err:
        s.list_zones()
    assert err.value.code == "STORE_CLOSED"


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        SqliteStore(tmp_path / "no" / "such" / "dir.db")
    assert err.value.code == "STORE_FAILURE"
    with pytest.raises(StoreError):
        SqliteStore(tmp_path)  # a directory


def test_a_newer_schema_is_refused(db: Path) -> None:
    SqliteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError) as err:
        SqliteStore(db)
    assert err.value.code == "SCHEMA_TOO_NEW"


def test_a_corrupt_row_is_a_store_error(store: SqliteStore, db: Path) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    store.put(at_tanf_zone)
    with sqlite3.connect(db) as conn:
        conn.execute("""UPDATE zones SET body = '{"object": "zone"}'""")
    with pytest.raises(StoreError) as err:
        store.get_zone("at-tanf")
    assert err.value.code == "CORRUPT_ROW"
