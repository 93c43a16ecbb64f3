"""``NearIndex``: the candidates of a few updated tracks, searched over the index kept up
to date as tracks move, come and go, are exactly those ``candidate_pairs`` finds over every
live track; and the engine's events do not depend on which of the two found them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from evhelp import AT_TANF, T0, hot_spot

from deconfliction.monitor import engine
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig
from deconfliction.monitor.nearindex import NearIndex
from deconfliction.monitor.proximity import candidate_pairs

LOOKAHEAD_S, STALE_S, LIMIT_M, VERTICAL_M = 300.0, 120.0, 5_000.0, 300.0


def _reference(alive: np.ndarray, upd: np.ndarray, cols: dict[str, np.ndarray],
               now: float) -> set[int]:
    """``candidate_pairs`` over every live track, as the engine calls it."""
    live = np.nonzero(alive)[0]
    live = live[now - cols["t"][live] < STALE_S]
    sp_ok = np.isfinite(cols["speed"][live]) & np.isfinite(cols["heading"][live])
    sp = np.where(sp_ok, cols["speed"][live], 0.0)
    reach = sp * (now - cols["t"][live] + LOOKAHEAD_S) + LIMIT_M / 2 + 50.0
    got = candidate_pairs(live, cols["lat"][live], cols["lon"][live], reach, upd[live],
                          cols["party"][live], cols["t"][live], sp,
                          np.where(sp_ok, cols["heading"][live], 0.0), now, LOOKAHEAD_S,
                          LIMIT_M, cols["alt"][live], VERTICAL_M)
    return set(got.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_index_pairs_are_those_over_every_live_track(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cap = 3_000
    alive = np.zeros(cap, dtype=bool)
    cols = {"lat": np.zeros(cap), "lon": np.zeros(cap), "t": np.full(cap, -np.inf),
            "speed": np.zeros(cap), "heading": np.zeros(cap),
            "party": np.zeros(cap, dtype=np.int64), "alt": np.zeros(cap)}
    idx = NearIndex()
    now = T0
    found = 0

    def move(slots: np.ndarray) -> None:
        k = slots.size
        # a hot spot, a few far away, one near the pole and one across the antimeridian
        where = rng.random(k)
        cols["lat"][slots] = np.where(where < 0.9, AT_TANF[0] + rng.normal(0, 0.4, k),
                                      np.where(where < 0.95, rng.uniform(-60, 60, k), 89.7))
        cols["lon"][slots] = np.where(where < 0.9, AT_TANF[1] + rng.normal(0, 0.4, k),
                                      np.where(where < 0.97, rng.uniform(-180, 180, k),
                                               179.99))
        fast = rng.random(k) < 0.2
        speed = np.where(fast, rng.uniform(50, 300, k), rng.uniform(0, 30, k))
        speed[rng.random(k) < 0.05] = np.nan  # unknown speed
        speed[rng.random(k) < 0.05] = 0.0
        cols["speed"][slots] = speed
        heading = rng.uniform(0, 360, k)
        heading[rng.random(k) < 0.05] = np.nan  # unknown course
        cols["heading"][slots] = heading
        cols["party"][slots] = rng.integers(-1, 4, k)
        cols["alt"][slots] = rng.choice([0.0, 150.0, 3_000.0, np.nan], k)
        cols["t"][slots] = now - rng.choice([0.0, 5.0, 60.0, 119.0, 125.0], k)
        alive[slots] = True
        idx.update(slots, cols["lat"], cols["speed"], cols["heading"])

    move(rng.permutation(cap)[:2_000])
    for _ in range(40):
        now += 1.0
        op = rng.random()
        if op < 0.2:  # some tracks gone (stale or left the partition)
            gone = rng.choice(np.nonzero(alive)[0], 30, replace=False)
            alive[gone] = False
            idx.remove(gone)
            continue
        # a few tracks report (some of them new, in free slots)
        slots = np.unique(rng.choice(cap, rng.integers(1, 60), replace=False))
        move(slots)
        upd = np.zeros(cap, dtype=bool)
        upd[slots] = True
        assert len(idx) == int(alive.sum())
        got = idx.pairs(slots, upd, cols["lat"], cols["lon"], cols["t"], cols["speed"],
                        cols["heading"], cols["party"], cols["alt"], now, LOOKAHEAD_S,
                        STALE_S, LIMIT_M, VERTICAL_M)
        want = _reference(alive, upd, cols, now)
        assert set(got.tolist()) == want
        assert got.size == len(want)  # distinct
        found += len(want)
    assert found > 300  # the comparisons had pairs to find


def test_events_are_the_same_whichever_search_finds_the_pairs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream of small batches (the index) and the same with every search over all
    tracks (``FEW_UPDATED`` 0) give the same events, through tracks going stale, a
    snapshot restored and tracks dropped."""
    rng = np.random.default_rng(11)
    n = 400
    lat0, lon0, speed, head = hot_spot(rng, n, 0.3, 0.3, (60.0, 250.0), (0.0, 20.0))
    party = np.array(["a", "b", "c", ""], dtype=object)[rng.integers(0, 4, n)]
    alt = rng.choice([0.0, 100.0, 2_000.0], n)
    names = np.array([f"T{i:04d}" for i in range(n)], dtype=object)

    def run(few: float) -> list[tuple[Any, ...]]:
        monkeypatch.setattr(engine, "FEW_UPDATED", few)
        m = Monitor([], MonitorConfig())
        out = []
        for k in range(30):
            pick = rng_run.choice(n, 20, replace=False)
            pick = pick[(k < 10) | (pick % 3 != 0)]  # a third fall silent after 10 s
            d = speed[pick] * k * 4.0
            b = TrackBatch.of(
                track=names[pick].tolist(), party=party[pick].tolist(),
                t_s=(T0 + k * 4.0 + np.zeros(pick.size)).tolist(),
                lat=(lat0[pick] + d * np.cos(np.radians(head[pick])) / 111_000).tolist(),
                lon=(lon0[pick] + d * np.sin(np.radians(head[pick])) / 92_000).tolist(),
                alt_m=alt[pick].tolist(), speed_mps=speed[pick].tolist(),
                heading_deg=head[pick].tolist())
            events = m.ingest(b) + m.flush(T0 + k * 4.0)
            if k == 15:
                again = Monitor([], MonitorConfig())
                again.restore_tracks(m.track_state())
                m = again
            if k == 20:
                m.drop_tracks(names[:40].tolist())
            out += [(e.kind, e.track, e.other_track, round(e.t_s, 6)) for e in events]
        return out

    rng_run = np.random.default_rng(5)
    with_index = run(1 / 16)
    rng_run = np.random.default_rng(5)
    over_all = run(0.0)
    assert with_index == over_all
    assert sum(1 for e in with_index if e[0] == "proximity") > 20
