"""A flush looks at every fence pair and track only when something may have expired or
fallen silent (``Monitor._due``); the events are exactly those of a full look at every
flush: random tracks, short-lived zones, silences, flushes out of time order, tracks
dropped, a snapshot restored and zones replaced midway."""

from __future__ import annotations

import numpy as np
import pytest
from evhelp import AT_TANF, T0, batch, zone

from deconfliction.core.outline import Circle
from deconfliction.monitor.engine import Monitor, _Due
from deconfliction.monitor.events import Event, MonitorConfig

CFG = MonitorConfig(proximity_m=0.0, lookahead_s=0.0, stale_s=30.0, inside_interval_s=45.0)


def _zones(k: int) -> list:
    rng = np.random.default_rng(k)
    return [zone(f"z{k}-{i}", Circle(AT_TANF[0] + rng.uniform(-0.3, 0.3),
                                     AT_TANF[1] + rng.uniform(-0.3, 0.3),
                                     rng.uniform(2_000.0, 20_000.0)),
                 start_s=float(rng.uniform(-100, 200)), end_s=float(rng.uniform(200, 900)))
            for i in range(12)]


def _seen(events: list[Event]) -> list[tuple[object, ...]]:
    return [(e.kind, e.track, e.object_id, round(e.t_s - T0, 6), e.details.get("reason"))
            for e in events]


class _FullLook:
    """A monitor that forgets its bounds before every flush (the plain way)."""

    def __init__(self, m: Monitor) -> None:
        self.m = m

    def flush(self, now_s: float) -> list[Event]:
        self.m._due = _Due()
        return self.m.flush(now_s)


@pytest.mark.parametrize("seed", range(6))
def test_flushes_find_exactly_what_a_full_look_finds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    fast, plain = Monitor(_zones(0), CFG), Monitor(_zones(0), CFG)
    full = _FullLook(plain)
    names = [f"t{i}" for i in range(40)]
    now = 0.0
    found: list[tuple[object, ...]] = []
    for step in range(160):
        now += float(rng.uniform(0.0, 12.0))
        speaking = [n for n in names if rng.random() < 0.3]  # the others stay silent
        if speaking:
            # some late, some out of order, a few very late (older than a track's silence)
            t = now - rng.uniform(0.0, 20.0, len(speaking)) - rng.uniform(
                0.0, 80.0, len(speaking)) * (rng.random(len(speaking)) < 0.1)
            lat = AT_TANF[0] + rng.uniform(-0.4, 0.4, len(speaking))
            lon = AT_TANF[1] + rng.uniform(-0.4, 0.4, len(speaking))
            b = batch(speaking, list(t), list(lat), list(lon))
            assert _seen(fast.ingest(b)) == _seen(plain.ingest(b))
        at = T0 + now - float(rng.uniform(0.0, 40.0)) * (rng.random() < 0.2)  # sometimes back
        got = _seen(fast.flush(at))
        assert got == _seen(full.flush(at)), step
        found += got
        if step == 60:  # some tracks leave (a region's handover)
            gone = names[:5]
            assert fast.drop_tracks(gone) == plain.drop_tracks(gone)
        if step == 90:  # a restart from a snapshot
            fast.restore_tracks(fast.track_state())
        if step == 120:  # the zones change
            z = _zones(1)
            assert _seen(fast.set_objects(z, T0 + now)) == _seen(plain.set_objects(z, T0 + now))
    # the flushes found silent tracks and zones that ended under tracks
    assert {("stale", "stale"), ("exit", "stale"), ("exit", "expired")} <= {
        (k, r) for k, *_, r in found}


def test_a_flush_with_nothing_due_looks_at_nothing() -> None:
    m = Monitor(_zones(0), CFG)
    names = [f"t{i}" for i in range(30)]
    m.ingest(batch(names, [0.0] * 30, [AT_TANF[0]] * 30, [AT_TANF[1]] * 30))
    m.flush(T0)  # the first full look
    watched = m._due.watch.size
    assert watched == 0 and m._due.until_s > T0
    m._tracks.live = None  # type: ignore[method-assign, assignment]  # a full look would fail
    assert m.flush(T0 + 5.0) == []
