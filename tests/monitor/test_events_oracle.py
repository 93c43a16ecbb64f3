"""Oracle: enter/exit events of straight tracks against brute force with GeographicLib.

The shapes of ``test_grid_oracle`` (the 55 km At Tanf zone, zones of tens of metres, a
polygon with a hole, corridors, buffers, an antimeridian polygon, a zone near the pole;
time windows in phases and altitude bands) are crossed by straight tracks with 100 reports
each, some spanning the end of a time window. For every (track, volume) the expected
events follow from the brute-force membership of each report (``oracle.member``, time and
band): ``enter`` at the first report inside after one outside, ``exit`` (``left``) at the
first outside after inside, ``exit`` (``expired``) at the window's end when a report comes
after it. The monitor (no hysteresis) must give exactly those: none missed, none invented,
same times and positions. A (track, volume) with a report within ``oracle.TOL_M`` (5 mm)
of the boundary is left out, and the test checks that such pairs are few.
"""

from __future__ import annotations

import itertools

import numpy as np
import oracle
import pytest
from test_grid_oracle import DAY, T0, _centre, _objects

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig

CFG = MonitorConfig(proximity_m=0.0, inside_interval_s=1e12, stale_s=1e9)
PER_TRACK = 100


def _tracks(objs: list, per_shape: int, rng: np.random.Generator) -> TrackBatch:
    names, lats, lons, alts, ts = [], [], [], [], []
    for n, obj in enumerate(objs):
        o, buf = obj.volumes[0].outline, obj.buffer_m
        lat, lon, size = _centre(o)
        size += buf
        for k in range(per_shape):
            start = oracle.GEOD.fwd(lon, lat, rng.uniform(0, 360), 1.2 * size * rng.random())
            az = rng.uniform(0, 360)
            back = oracle.GEOD.fwd(start[0], start[1], az + 180.0, 1.6 * size)
            s = np.linspace(0.0, 3.2 * size, PER_TRACK)
            x, y, _ = oracle.GEOD.fwd(np.full(PER_TRACK, back[0]), np.full(PER_TRACK, back[1]),
                                      np.full(PER_TRACK, az), s)
            t0 = T0 + DAY * rng.choice([-0.5, 0.5, 1.0 - 500 / DAY, 2.5 - 300 / DAY])
            names += [f"s{n}t{k}"] * PER_TRACK
            lats.append(y)
            lons.append(x)
            alts.append(np.full(PER_TRACK, rng.choice([400.0, 1_000.0, 4_000.0, 8_000.0])))
            ts.append(t0 + 10.0 * np.arange(PER_TRACK))
    lon_all = (np.concatenate(lons) + 180.0) % 360.0 - 180.0
    return TrackBatch.of(track=names, party=["russia"] * len(names), t_s=np.concatenate(ts),
                         lat=np.concatenate(lats), lon=lon_all, alt_m=np.concatenate(alts))


def _expected(objs: list, b: TrackBatch, monitor: Monitor,
              ) -> tuple[set[tuple], set[tuple[str, str, int]]]:
    """(expected (kind, track, object, volume, t, reason) events, doubtful pairs)."""
    want: set[tuple] = set()
    doubtful: set[tuple[str, str, int]] = set()
    tracks = b.track
    starts = np.nonzero(np.r_[True, tracks[1:] != tracks[:-1]])[0]
    ends = np.r_[starts[1:], tracks.size]
    for obj in objs:
        for vi, v in enumerate(obj.volumes):
            when = (v.time.start_s <= b.t_s) & (b.t_s < v.time.end_s)
            band = (v.alt_lower_m <= b.alt_m) & (b.alt_m <= v.alt_upper_m)
            idx = np.nonzero(when & band)[0]
            inside = np.zeros(len(b), dtype=bool)
            close = np.zeros(len(b), dtype=bool)
            m, c = oracle.member(b.lat[idx], b.lon[idx], v.outline, obj.buffer_m)
            inside[idx], close[idx] = m, c
            for s, e in zip(starts, ends, strict=True):
                name = tracks[s]
                if close[s:e].any():
                    doubtful.add((name, obj.id, vi))
                    continue
                state = False
                for k in range(s, e):
                    t = float(b.t_s[k])
                    if state and t >= v.time.end_s:
                        want.add(("exit", name, obj.id, vi, v.time.end_s, "expired"))
                        state = False
                    if inside[k] and not state:
                        want.add(("enter", name, obj.id, vi, t, None))
                        state = True
                    elif not inside[k] and state:
                        want.add(("exit", name, obj.id, vi, t, "left"))
                        state = False
    return want, doubtful


@pytest.mark.parametrize("seed", [1, 2])
def test_enter_exit_match_geographiclib(seed: int) -> None:
    rng = np.random.default_rng(seed)
    objs = _objects(rng)
    b = _tracks(objs, 12, rng)
    m = Monitor(objs, CFG)
    events = m.ingest(b)
    got = {(e.kind, e.track, e.object_id, e.volume, e.t_s, e.details.get("reason"))
           for e in events if e.kind in ("enter", "exit")}
    assert len(got) == sum(e.kind in ("enter", "exit") for e in events)  # no repeats
    want, doubtful = _expected(objs, b, m)
    got = {g for g in got if (g[1], g[2], g[3]) not in doubtful}
    missed, invented = want - got, got - want
    assert not missed, sorted(missed)[:5]
    assert not invented, sorted(invented)[:5]
    assert len(want) > 250
    assert sum(1 for w in want if w[5] == "expired") >= 3
    assert len(doubtful) <= 3
    # positions are the reports' (or the last one before an expiry)
    pos = {(e.track, e.t_s): (e.lat, e.lon) for e in events if e.kind == "enter"}
    rep = {(str(b.track[i]), float(b.t_s[i])): (b.lat[i], b.lon[i]) for i in range(len(b))}
    assert all(rep[k] == v for k, v in pos.items())


def test_same_events_whatever_the_batching() -> None:
    rng = np.random.default_rng(3)
    objs = _objects(rng)
    b = _tracks(objs, 4, rng)
    whole = [e.to_dict() for e in Monitor(objs, CFG).ingest(b)]
    m = Monitor(objs, CFG)
    cuts = np.quantile(b.t_s, [0.0, 0.3, 0.31, 0.7, 1.0])
    parts = []
    for lo, hi in itertools.pairwise(cuts):
        sel = np.nonzero((b.t_s >= lo) & ((b.t_s < hi) | (hi == cuts[-1])))[0]
        parts += [e.to_dict() for e in m.ingest(b.take(rng.permutation(sel)))]
    key = lambda e: (e["t_s"], e["track"], e["kind"], e["object_id"], e["volume"])  # noqa: E731
    assert sorted(parts, key=key) == sorted(whole, key=key)
    assert len(whole) > 50
