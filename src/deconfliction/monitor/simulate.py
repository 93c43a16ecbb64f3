"""The At Tanf scenario's live tracks (``shared/SCENARIO.md``), as batches of reports.

Three stories, on 2018-09-13 from 06:00Z (the exercise is on), a report from every track
every ``step_s`` seconds:

* ``rf-su24`` (``russia``, 4,000 m, 200 m/s) flies south-east on a course passing 40 km
  north-east of the garrison: a *predicted* incursion into the At Tanf zone about five
  minutes before it crosses the 55 km rim, then *enter*, then *exit* on the far side (it
  stays clear of the 27 km exercise area);
* ``mat-patrol-3`` (``mat``, declared in the ``exercise`` operation, 10 m/s on the ground)
  drives east from 20 km east of the garrison and leaves the exercise area (25 km + 2 km
  buffer) after about 700 s: *nonconforming*;
* ``co-f15`` (``coalition``, 7,000 m) and ``rf-su35`` (``russia``, 7,100 m) fly head-on
  130 km north of the garrison, 2.2 km apart laterally, at 220 m/s each: *proximity* (their
  closest approach, about 2 km, is 250 s ahead at the start).

:func:`~deconfliction.monitor.alerting.alerts` keeps the events a channel would raise:
``enter`` and ``predicted`` where the party is not allowed, ``nonconforming`` and
``proximity``.

>>> from deconfliction.monitor.alerting import alerts
>>> from deconfliction.monitor.engine import Monitor
>>> m = Monitor(attanf_objects())
>>> found = []
>>> for b in attanf_tracks():
...     found += alerts(m.ingest(b) + m.flush(float(b.t_s.max())))
>>> sorted({(e.kind, e.track, e.object_id or e.other_track) for e in found})
... # doctest: +NORMALIZE_WHITESPACE
[('enter', 'rf-su24', 'at-tanf-zone'), ('nonconforming', 'mat-patrol-3', 'exercise'),
 ('predicted', 'rf-su24', 'at-tanf-zone'), ('proximity', 'co-f15', 'rf-su35'),
 ('proximity', 'rf-su35', 'co-f15')]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from deconfliction.core.geodesy import forward
from deconfliction.core.objects import Operation, Zone
from deconfliction.monitor.batch import TrackBatch
from deconfliction.scenario.attanf import (
    GARRISON,
    at_tanf_zone,
    convoy,
    exercise,
    naval_drills,
    pursuit_revised,
)

__all__ = ["START", "Leg", "attanf_legs", "attanf_objects", "attanf_tracks"]

#: when the simulation starts
START = datetime(2018, 9, 13, 6, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Leg:
    """A track flying a geodesic from ``(lat, lon)`` at ``heading_deg``, ``speed_mps``."""

    track: str
    party: str
    lat: float
    lon: float
    heading_deg: float
    speed_mps: float
    alt_m: float
    operation: str = ""


def _from(lat: float, lon: float, az: float, d: float) -> tuple[float, float, float]:
    """The point ``d`` m from (lat, lon) along ``az``, and the azimuth back."""
    la, lo, back = forward(lat, lon, az, d)
    return float(la), float(lo), float(back)


def attanf_legs() -> list[Leg]:
    """The four tracks of the scenario (see the module doc)."""
    # rf-su24: through the point 40 km NE of the garrison, on the perpendicular course
    c_lat, c_lon, _ = _from(*GARRISON, 45.0, 40_000.0)
    s_lat, s_lon, back = _from(c_lat, c_lon, 315.0, 100_000.0)
    # the patrol: 20 km east of the garrison, driving on east
    p_lat, p_lon, p_back = _from(*GARRISON, 90.0, 20_000.0)
    return [
        Leg("rf-su24", "russia", s_lat, s_lon, back % 360.0, 200.0, 4_000.0),
        Leg("mat-patrol-3", "mat", p_lat, p_lon, (p_back + 180.0) % 360.0, 10.0, 700.0,
            "exercise"),
        Leg("co-f15", "coalition", 34.70, 37.40, 90.0, 220.0, 7_000.0),
        Leg("rf-su35", "russia", 34.72, 38.60, 270.0, 220.0, 7_100.0),
    ]


def attanf_objects() -> list[Zone | Operation]:
    """The scenario's zone and operations (those binding on the day count)."""
    return [at_tanf_zone(), exercise(), naval_drills(), pursuit_revised(), convoy()]


def attanf_tracks(start: datetime = START, step_s: float = 10.0, duration_s: float = 800.0,
                  legs: Sequence[Leg] | None = None) -> Iterator[TrackBatch]:
    """One batch per ``step_s``: every leg's report at that time (exact geodesic motion)."""
    legs = list(attanf_legs() if legs is None else legs)
    n = len(legs)
    lat0 = np.array([g.lat for g in legs])
    lon0 = np.array([g.lon for g in legs])
    head = np.array([g.heading_deg for g in legs])
    speed = np.array([g.speed_mps for g in legs])
    t0 = start.timestamp()
    for k in range(int(duration_s // step_s) + 1):
        dt = k * step_s
        lat, lon, back = forward(lat0, lon0, head, speed * dt)
        yield TrackBatch.of(
            track=[g.track for g in legs], party=[g.party for g in legs],
            t_s=np.full(n, t0 + dt), lat=lat, lon=lon, alt_m=[g.alt_m for g in legs],
            speed_mps=speed, heading_deg=(back + 180.0) % 360.0,
            operation=[g.operation for g in legs])
