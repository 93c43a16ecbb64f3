"""Fixtures of the DSS tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dss.kit import Dss, open_dss


@pytest.fixture
def dss(tmp_path: Path) -> Iterator[Dss]:
    """A world serving the DSS over SQLite, with the test's token issuer."""
    with open_dss(tmp_path) as d:
        yield d


@pytest.fixture
def any_dss(tmp_path: Path, store_url: str) -> Iterator[Dss]:
    """The same on each backend (SQLite and PostgreSQL)."""
    with open_dss(tmp_path, store_url) as d:
        yield d
