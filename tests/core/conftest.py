"""Named fixtures for the tricky geometry and times the core tests share.

Each fixture is a plain value (an outline, a zone, a pair of datetimes) so that a test
says in its signature which awkward case it exercises.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconfliction.core.objects import Zone
from deconfliction.core.outline import Circle, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

#: At Tanf: the 55 km deconfliction zone around the coalition garrison in Syria
AT_TANF = (33.50583, 38.61778)
AT_TANF_RADIUS_M = 55_000.0


@pytest.fixture
def antimeridian_polygon() -> Polygon:
    """A 2°×1° box straddling 180° at 10°N (two vertices on each side)."""
    return Polygon(((10.0, 179.0), (10.0, -179.0), (11.0, -179.0), (11.0, 179.0)))


@pytest.fixture
def polygon_with_hole() -> Polygon:
    """A 1° square at the origin with a 0.2° square hole in the middle."""
    return Polygon(
        ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)),
        holes=(((0.4, 0.4), (0.4, 0.6), (0.6, 0.6), (0.6, 0.4)),),
    )


@pytest.fixture
def high_latitude_polygon() -> Polygon:
    """A triangle at 70°N whose 60°-long southern edge bulges poleward to about 72.5°N."""
    return Polygon(((70.0, 0.0), (70.0, 60.0), (75.0, 30.0)))


@pytest.fixture
def zero_length_window() -> tuple[datetime, datetime]:
    """A start and an end at the same instant: an empty ``[t, t)`` window."""
    t = datetime(2018, 9, 7, 12, 0, tzinfo=UTC)
    return t, t


@pytest.fixture
def at_tanf_zone() -> Zone:
    """The At Tanf zone: coalition's, mat allowed, 0–20,000 m, open-ended from 2016-03-03."""
    return Zone(
        id="at-tanf",
        name="At Tanf",
        owner="coalition",
        allowed=frozenset({"mat"}),
        volumes=(
            Volume4D(
                Circle(*AT_TANF, AT_TANF_RADIUS_M),
                0.0,
                20_000.0,
                TimeInterval(datetime(2016, 3, 3, tzinfo=UTC), None),
            ),
        ),
    )
