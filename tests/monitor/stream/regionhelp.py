"""The region-partitioning scenario shared by the in-process and the nats-server tests.

The At Tanf tracks (an incursion, a nonconforming patrol, and ``co-f15``/``rf-su35``, two
parties closing head-on), copies of them 2 degrees south (where the close pair is found in
cells of different partitions, of 6) and 4 degrees west (out of each other's halo), and
``zz-1``/``zz-2``, which zig-zag across the 38.0 E cell border and the At Tanf zone's
western rim every few minutes (enter, exit and a handover between partitions each time).
The monitor looks 60 s ahead and drops tracks after 60 s, so with tracks no faster than
250 m/s the halo is about 80 km, well under the 2-degree cells: a report goes to a few
partitions, not to all.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.events import Event, MonitorConfig
from deconfliction.monitor.simulate import attanf_legs, attanf_tracks
from deconfliction.monitor.stream.region import min_fringe_m, min_halo_m

MONITOR = MonitorConfig(lookahead_s=60.0, stale_s=60.0)
MAX_SPEED_MPS = 250.0
CELL_DEG = 2.0
HALO_M = min_halo_m(MONITOR, MAX_SPEED_MPS)
FRINGE_M = min_fringe_m(MONITOR, MAX_SPEED_MPS)
#: the event kinds compared with one monitor's
KINDS = ("enter", "exit", "nonconforming", "predicted", "proximity")


def region_batches() -> list[TrackBatch]:
    """One batch every 10 s for 800 s (see the module doc)."""
    shift = [(0.0, 0.0), (-2.0, 0.0), (0.0, -4.0)]  # (lat, lon) degrees
    legs = [dataclasses.replace(g, track=f"{g.track}.{k}", lat=g.lat + dlat, lon=g.lon + dlon)
            for k, (dlat, dlon) in enumerate(shift) for g in attanf_legs()]
    out = []
    for b in attanf_tracks(legs=legs):
        t = float(b.t_s[0])
        k = (t - float(out[0].t_s[0]) if out else 0.0) / 10.0
        # zz-1 sweeps 37.90..38.10 E at 33.5 N (the zone's rim is near 38.02 E); zz-2 the
        # same, out of phase, 400 m higher
        swing = 0.1 * np.sin(np.array([k, k + 7.0]) * 2.0 * np.pi / 24.0)
        zz = TrackBatch.of(
            track=["zz-1", "zz-2"], party=["russia", "russia"], t_s=[t, t],
            lat=[33.5, 33.45], lon=38.0 + swing, alt_m=[3_000.0, 3_400.0],
            speed_mps=[40.0, 40.0], heading_deg=np.where(np.cos(
                np.array([k, k + 7.0]) * 2.0 * np.pi / 24.0) > 0, 90.0, 270.0))
        out.append(TrackBatch.concat([b, zz]))
    return out


def event_keys(events: list[Event]) -> list[str]:
    """The events of :data:`KINDS` as sorted JSON lines (a multiset to compare)."""
    import json

    return sorted(json.dumps(e.to_dict(), sort_keys=True) for e in events if e.kind in KINDS)
