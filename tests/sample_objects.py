"""Named objects from the At Tanf scenario, one per kind of outline, for format/store/CLI tests.

Plain builders rather than fixtures: ``conftest.py`` files in several test folders clash
under ``--doctest-modules`` (the folders are not packages).
"""

from __future__ import annotations

from datetime import UTC, datetime

from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

AT_TANF = (33.50583, 38.61778)


def utc(day: int, hour: int = 0) -> datetime:
    return datetime(2018, 9, day, hour, tzinfo=UTC)


def at_tanf_zone() -> Zone:
    """The 55 km zone: coalition's, mat allowed, open-ended from 2016-03-03."""
    return Zone(
        id="at-tanf", name="At Tanf", owner="coalition", allowed=frozenset({"mat"}),
        volumes=(Volume4D(Circle(*AT_TANF, 55_000.0), 0.0, 20_000.0,
                          TimeInterval(datetime(2016, 3, 3, tzinfo=UTC), None)),),
    )


def exercise() -> Operation:
    """The coalition's live-fire exercise: a 25 km circle with a 2 km buffer."""
    return Operation(
        id="exercise", name="Live fire", owner="coalition", participants=frozenset({"mat"}),
        kind="live_fire", priority=3, state=OperationState.ACCEPTED, buffer_m=2_000.0,
        volumes=(Volume4D(Circle(*AT_TANF, 25_000.0), 0.0, 6_000.0,
                          TimeInterval(utc(7), utc(15))),),
    )


def pursuit() -> Operation:
    """Russia's pursuit: two polygon volumes, the first with a hole, odd times."""
    return Operation(
        id="pursuit", name="Pursuit", owner="russia", kind="patrol",
        state=OperationState.PROPOSED,
        volumes=(
            Volume4D(
                Polygon(((34.5, 38.3), (34.5, 39.0), (33.7, 39.0), (33.7, 38.3)),
                        holes=(((34.2, 38.5), (34.2, 38.7), (34.0, 38.7)),)),
                0.0, 10_000.0,
                TimeInterval(datetime(2018, 9, 10, 6, 30, 15, 123456, tzinfo=UTC), utc(11)),
            ),
            Volume4D(Polygon(((34.0, 38.0), (34.0, 38.3), (33.8, 38.3))), 500.5, 9_000.25,
                     TimeInterval(utc(11), utc(12))),
        ),
    )


def convoy() -> Operation:
    """The UN convoy to Rukban: a corridor with a 1 km half width, no end time."""
    return Operation(
        id="convoy", name="Convoy to Rukban", owner="ocha", kind="convoy",
        state=OperationState.DRAFT,
        volumes=(Volume4D(Corridor(((34.0, 38.0), (33.7, 38.4), (33.30, 38.64)), 1_000.0),
                          0.0, 50.0, TimeInterval(utc(12), None)),),
    )


def antimeridian_zone() -> Zone:
    """A zone straddling 180° at 10°N, no start time."""
    return Zone(
        id="dateline", name="", owner="ocha", severity="notify", buffer_m=10.0,
        volumes=(Volume4D(Polygon(((10.0, 179.0), (10.0, -179.0), (11.0, -179.0),
                                   (11.0, 179.0))), -100.0, 100.0,
                          TimeInterval(None, utc(1))),),
    )


SAMPLES = {
    "at_tanf_zone": at_tanf_zone,
    "exercise": exercise,
    "pursuit": pursuit,
    "convoy": convoy,
    "antimeridian_zone": antimeridian_zone,
}
