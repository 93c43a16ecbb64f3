"""Fixtures of the DSS tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dss.kit import Dss, open_dss


@pytest.fixture(params=[True, False], ids=["fast", "framework"])
def dss(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Dss]:
    """A world serving the DSS over SQLite, with the test's token issuer; intent writes
    through the fast path and, again, through the framework's routes."""
    with open_dss(tmp_path, fast=request.param) as d:
        yield d


@pytest.fixture
def any_dss(tmp_path: Path, store_url: str) -> Iterator[Dss]:
    """The same on each backend (SQLite and PostgreSQL)."""
    with open_dss(tmp_path, store_url) as d:
        yield d
