"""The store contract, run on SQLite files and on a real PostgreSQL + PostGIS: round trips,
versions, atomic writes; then what is particular to each backend."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import sample_objects as samples
from deconfliction.core.errors import ConflictStateError, NotFoundError, StoreError
from deconfliction.core.objects import OperationState
from deconfliction.store import SqliteStore, SqlStore, Store, open_store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "deconfliction.db"


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with open_store(store_url) as s:
        yield s


def _rows(store: SqlStore, sql: str) -> list[tuple[object, ...]]:
    with store.read() as tx:
        return [tuple(r) for r in tx.conn.execute(sa.text(sql))]


def test_it_is_a_store(store: SqlStore) -> None:
    s: Store = store
    assert s.list_zones() == [] and s.list_operations() == []


def test_round_trip_every_outline(store: SqlStore) -> None:
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


def test_survives_close_and_reopen(store_url: str) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    with open_store(store_url) as s:
        s.put(at_tanf_zone)
        s.put(exercise)
    with open_store(store_url) as s2:
        assert s2.get_zone(at_tanf_zone.id).version == at_tanf_zone.version
        assert s2.get_operation(exercise.id) == exercise


def test_schema_and_columns(store: SqlStore) -> None:
    exercise = samples.exercise()
    store.put(exercise)
    assert _rows(store, "SELECT version_num FROM alembic_version") == [("0003",)]
    [(owner, version, state, t0, t1)] = _rows(
        store, "SELECT owner, version, state, time_start_s, time_end_s FROM operations"
    )
    assert (owner, version, state) == ("coalition", exercise.version, "accepted")
    assert (t0, t1) == (exercise.validity.start_s, exercise.validity.end_s)


def test_bbox_columns_are_conservative(store: SqlStore) -> None:
    exercise = samples.exercise()
    at_tanf_zone = samples.at_tanf_zone()
    antimeridian_zone = samples.antimeridian_zone()
    store.put_many([exercise, at_tanf_zone, antimeridian_zone])
    boxes = {r[0]: r[1:] for r in _rows(
        store, "SELECT id, min_lat, min_lon, max_lat, max_lon, time_start_s, time_end_s "
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


def test_version_mismatch_and_not_new(store: SqlStore) -> None:
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


def test_expected_version_of_a_missing_object(store: SqlStore) -> None:
    exercise = samples.exercise()
    with pytest.raises(NotFoundError):
        store.put(exercise, expected_version="abc")


def test_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFoundError) as err:
        store.get_zone("nowhere")
    assert (err.value.code, err.value.field) == ("NOT_FOUND", "id")
    with pytest.raises(NotFoundError):
        store.get_operation("nothing")
    with pytest.raises(NotFoundError):
        store.delete("zone", "nowhere")


def test_delete(store: SqlStore) -> None:
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


def test_ids_are_unique_across_kinds(store: SqlStore) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    store.put(at_tanf_zone)
    with pytest.raises(ConflictStateError) as err:
        store.put(dataclasses.replace(exercise, id="at-tanf"))
    assert (err.value.code, err.value.field) == ("ID_IN_USE", "id")


def test_a_failing_batch_writes_nothing(store: SqlStore) -> None:
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


def test_a_database_constraint_rolls_the_batch_back(store: SqlStore) -> None:
    # the core forbids an empty version token; force one past it to reach the table's CHECK
    at_tanf_zone = samples.at_tanf_zone()
    unversioned = samples.exercise()
    object.__setattr__(unversioned, "version", "")
    with pytest.raises(StoreError) as err:
        store.put_many([at_tanf_zone, unversioned])
    assert err.value.code == "STORE_FAILURE" and "check" in err.value.message.lower()
    assert store.list_zones() == [] and store.list_operations() == []
    store.put(at_tanf_zone)  # the store still works
    assert store.list_zones() == [at_tanf_zone]


def test_two_stores_on_one_database_see_each_other(store_url: str) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    with open_store(store_url) as a, open_store(store_url) as b:
        a.put(at_tanf_zone)
        assert b.get_zone("at-tanf") == at_tanf_zone
        revised = at_tanf_zone.revised(name="At Tanf (revised)")
        b.put(revised, expected_version=at_tanf_zone.version)
        with pytest.raises(ConflictStateError):
            a.put(at_tanf_zone.revised(), expected_version=at_tanf_zone.version)
        assert a.get_zone("at-tanf").name == "At Tanf (revised)"


def test_closed_store_refuses(store_url: str) -> None:
    s = open_store(store_url)
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


def test_a_newer_schema_is_refused(store_url: str) -> None:
    with open_store(store_url) as s, s.write() as tx:
        tx.conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError) as err:
        open_store(store_url)
    assert err.value.code == "SCHEMA_TOO_NEW"


def test_a_corrupt_row_is_a_store_error(store: SqlStore) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    store.put(at_tanf_zone)
    with store.write() as tx:
        tx.conn.execute(sa.text("""UPDATE zones SET body = '{"object": "zone"}'"""))
    with pytest.raises(StoreError) as err:
        store.get_zone("at-tanf")
    assert err.value.code == "CORRUPT_ROW"


# -- SQLite only -------------------------------------------------------------------------


def test_sqlite_is_in_wal_mode(db: Path) -> None:
    with SqliteStore(db) as s:
        assert _rows(s, "PRAGMA journal_mode") == [("wal",)]


def test_a_release_0_1_database_is_upgraded(db: Path) -> None:
    """A file written by the first release (schema_version 1, no Alembic) keeps its objects."""
    zone = samples.at_tanf_zone()
    with sqlite3.connect(db) as conn:
        conn.executescript(_RELEASE_0_1_SCHEMA)
        conn.execute("INSERT INTO schema_version VALUES (1)")
    with SqliteStore(db) as s:  # the first open stamps 0001 and upgrades
        s.put(zone)
    with SqliteStore(db) as s:
        assert s.get_zone("at-tanf") == zone
        assert _rows(s, "SELECT version_num FROM alembic_version") == [("0003",)]


_RELEASE_0_1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE zones (id VARCHAR(128) PRIMARY KEY, owner VARCHAR(64) NOT NULL,
  version VARCHAR(64) NOT NULL, updated_at VARCHAR(40) NOT NULL, body JSON NOT NULL,
  min_lat FLOAT NOT NULL, min_lon FLOAT NOT NULL, max_lat FLOAT NOT NULL,
  max_lon FLOAT NOT NULL, time_start_s FLOAT, time_end_s FLOAT);
CREATE TABLE operations (id VARCHAR(128) PRIMARY KEY, owner VARCHAR(64) NOT NULL,
  version VARCHAR(64) NOT NULL, updated_at VARCHAR(40) NOT NULL, body JSON NOT NULL,
  min_lat FLOAT NOT NULL, min_lon FLOAT NOT NULL, max_lat FLOAT NOT NULL,
  max_lon FLOAT NOT NULL, time_start_s FLOAT, time_end_s FLOAT, state VARCHAR(16) NOT NULL);
"""


def test_migrations_match_the_declared_schema(store: SqlStore) -> None:
    """What Alembic built is what tables.py declares (no drift between the two)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from deconfliction.store.tables import metadata

    with store.read() as tx:
        ctx = MigrationContext.configure(tx.conn)
        diff = [d for d in compare_metadata(ctx, metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table"
                        and d[1].name.startswith("spatial_ref_sys"))]
    assert diff == []


@pytest.mark.postgres
def test_postgres_has_postgis(fresh_postgres_url: str) -> None:
    with open_store(fresh_postgres_url) as s:
        [(version,)] = _rows(s, "SELECT postgis_version()")
        assert str(version).startswith("3")
