"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

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
