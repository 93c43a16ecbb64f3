"""Fixtures: each file format in turn."""

from __future__ import annotations

import pytest
from adsb_samples import Writer, write_csv, write_jsonl, write_parquet


@pytest.fixture(params=["csv", "jsonl", "parquet"])
def fmt(request: pytest.FixtureRequest) -> str:
    """Each file format in turn."""
    name: str = request.param
    return name


@pytest.fixture
def write(fmt: str) -> Writer:
    """Writes rows as a file of the format under test."""
    return {"csv": write_csv, "jsonl": write_jsonl, "parquet": write_parquet}[fmt]
