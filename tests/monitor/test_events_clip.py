"""A zone clipped to a country fences only its part in that country: the At Tanf zone kept
to Syria raises ``enter`` for a track coming in from Syria, none for one inside the circle
but south of the border, in Jordan."""

from __future__ import annotations

import numpy as np
from evhelp import AT_TANF_ZONE, batch, kinds

from deconfliction.core.borders import Atlas
from deconfliction.core.clip import clip_zone
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig
from deconfliction.monitor.grid import ZoneGrid

NO_PROX = MonitorConfig(proximity_m=0.0, inside_interval_s=1e9)
T = [0.0, 60.0, 120.0, 180.0]
#: from 95 km north-west of the garrison (Syria) to 23 km from it (still Syria)
FROM_SYRIA = (np.linspace(34.2, 33.6, 4), np.linspace(38.0, 38.4, 4))
#: from 80 km south (Jordan) to 36 km south-west of the garrison (Jordan, in the circle)
IN_JORDAN = (np.linspace(32.8, 33.2, 4), np.linspace(38.4, 38.5, 4))


def test_enter_from_syria_and_nothing_in_jordan(atlas: Atlas) -> None:
    clipped = clip_zone(AT_TANF_ZONE, atlas.country("Syria"))
    events = Monitor([clipped], NO_PROX).ingest(batch("rf01", T, *FROM_SYRIA))
    assert kinds(events) == [("enter", "at-tanf")]
    assert events[0].details["allowed"] is False
    assert Monitor([clipped], NO_PROX).ingest(batch("rf02", T, *IN_JORDAN)) == []


def test_the_unclipped_zone_fences_jordan_too() -> None:
    events = Monitor([AT_TANF_ZONE], NO_PROX).ingest(batch("rf02", T, *IN_JORDAN))
    assert kinds(events) == [("enter", "at-tanf")]


def test_the_grid_classifies_against_the_clipped_outline(atlas: Atlas) -> None:
    clipped = clip_zone(AT_TANF_ZONE, atlas.country("Syria"))
    lat = np.array([33.6, 33.2, 33.50583])
    lon = np.array([38.4, 38.5, 38.61778])
    t = np.full(3, 1.6e9)
    alt = np.full(3, 1_000.0)
    grid = ZoneGrid([clipped])
    report, _ = grid.classify(lat, lon, alt, t)
    assert sorted(set(report.tolist())) == [0, 2]
