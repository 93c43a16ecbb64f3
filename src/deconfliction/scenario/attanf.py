"""The At Tanf scenario (September 2018) as domain objects.

Built from public reporting; places marked approximate in ``shared/SCENARIO.md`` are
approximate here too. All times UTC.

>>> zone = at_tanf_zone()
>>> zone.volumes[0].outline.radius_m, sorted(zone.allowed)
(55000.0, ['coalition', 'mat'])
"""

from __future__ import annotations

from datetime import UTC, datetime

from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

__all__ = [
    "GARRISON",
    "PARTIES",
    "RUKBAN",
    "at_tanf_zone",
    "convoy",
    "exercise",
    "naval_drills",
    "pursuit",
    "pursuit_revised",
]

GARRISON = (33.50583, 38.61778)
RUKBAN = (33.30, 38.64)
PALMYRA = (34.556, 38.267)
PARTIES = ("coalition", "mat", "russia", "syria", "ocha")


def _t(day: int, hour: int = 0) -> datetime:
    return datetime(2018, 9, day, hour, tzinfo=UTC)


def at_tanf_zone() -> Zone:
    """The 55 km deconfliction zone around the garrison, surface to 20,000 m, from 2016."""
    return Zone(
        id="at-tanf-zone",
        name="At Tanf deconfliction zone",
        owner="coalition",
        allowed=frozenset({"mat"}),
        volumes=(
            Volume4D(
                Circle(*GARRISON, 55_000.0), 0.0, 20_000.0,
                TimeInterval(datetime(2016, 3, 3, tzinfo=UTC), None),
            ),
        ),
    )


def exercise(paused: tuple[datetime, datetime] | None = None) -> Operation:
    """Eight days of live fire and ground assault, 25 km around the garrison, 2 km buffer.

    With ``paused`` the exercise stops for that window (two volumes around it).
    """
    area = Circle(*GARRISON, 25_000.0)
    start, end = _t(7), _t(15)
    windows = [(start, end)] if paused is None else [(start, paused[0]), (paused[1], end)]
    return Operation(
        id="exercise",
        name="Live-fire and ground-assault exercise",
        owner="coalition",
        participants=frozenset({"mat"}),
        kind="live_fire",
        priority=2,
        buffer_m=2_000.0,
        state=OperationState.PROPOSED,
        volumes=tuple(Volume4D(area, 0.0, 6_000.0, TimeInterval(a, b)) for a, b in windows),
    )


def naval_drills() -> Operation:
    """Russian naval and amphibious drills at sea off Tartus and Latakia."""
    sea = Polygon(((34.60, 35.20), (35.80, 35.20), (35.80, 35.65), (34.60, 35.75)))
    return Operation(
        id="naval-drills",
        name="Naval and amphibious drills",
        owner="russia",
        kind="naval",
        state=OperationState.PROPOSED,
        volumes=(Volume4D(sea, 0.0, 10_000.0, TimeInterval(_t(1), _t(8))),),
    )


def pursuit() -> Operation:
    """Russia's pursuit of militants, from east of Palmyra south into the zone."""
    area = Polygon(((34.55, 38.45), (34.55, 38.95), (33.70, 38.85), (33.65, 38.50)))
    return Operation(
        id="pursuit",
        name="Pursuit of militants near At Tanf",
        owner="russia",
        participants=frozenset({"syria"}),
        kind="patrol",
        priority=1,
        state=OperationState.PROPOSED,
        volumes=(Volume4D(area, 0.0, 10_000.0, TimeInterval(_t(10), _t(12))),),
    )


def pursuit_revised() -> Operation:
    """The pursuit revised to stay at least 5 km outside the zone's edge."""
    area = Polygon(((34.55, 38.45), (34.55, 38.95), (34.07, 38.85), (34.07, 38.45)))
    return pursuit().revised(volumes=(Volume4D(area, 0.0, 10_000.0, TimeInterval(_t(10), _t(12))),))


def convoy(window: tuple[datetime, datetime] = (_t(12, 0), _t(13, 0))) -> Operation:
    """The UN convoy to Rukban: a route from the north-west with a 1 km buffer."""
    route = Corridor(((33.75, 38.20), (33.55, 38.45), (33.40, 38.58), RUKBAN), 1_000.0)
    return Operation(
        id="convoy",
        name="Humanitarian convoy to Rukban",
        owner="ocha",
        kind="convoy",
        priority=3,
        state=OperationState.PROPOSED,
        volumes=(Volume4D(route, 0.0, 100.0, TimeInterval(*window)),),
    )
