"""The throwaway PostgreSQL + PostGIS harness really starts, serves PostGIS, and stops."""

from __future__ import annotations

import psycopg
import pytest

from deconfliction.testing import PostgresServer, postgres

# Two points on the equator 0.001° of longitude apart: ~111.3 m on the WGS84 ellipsoid.
_DWITHIN = """
SELECT ST_DWithin(a, b, 120), ST_DWithin(a, b, 100), ST_Distance(a, b)
FROM (SELECT 'SRID=4326;POINT(0 0)'::geography AS a,
             'SRID=4326;POINT(0.001 0)'::geography AS b) AS p
"""


@pytest.mark.postgres
def test_server_lifecycle() -> None:
    with PostgresServer() as server:
        assert server.running
        assert server.dsn.startswith("postgresql://postgres@127.0.0.1:")
        base_dir = server.base_dir
        assert base_dir is not None and base_dir.is_dir()
        dsn = server.dsn
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT postgis_version()").fetchone()
            assert row is not None and str(row[0]).startswith("3.")
            row = conn.execute(_DWITHIN).fetchone()
            assert row is not None
            within_120, within_100, distance = row
            assert within_120 is True and within_100 is False
            assert distance == pytest.approx(111.32, abs=0.05)
    assert not server.running
    assert not base_dir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2).close()


@pytest.mark.postgres
def test_session_fixture(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        sql = "SELECT current_database(), ST_AsText('POINT(1 2)'::geometry)"
        row = conn.execute(sql).fetchone()
    assert row == ("deconfliction", "POINT(1 2)")


def test_missing_postgresql_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DECONFLICTION_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(postgres, "PG_MAJOR", 0)
    with pytest.raises(RuntimeError, match="PostgreSQL server binaries not found"):
        PostgresServer()
