"""proximity: closest point of approach against brute force, once per pair, by party."""

from __future__ import annotations

from typing import Any

import numpy as np
from evhelp import AT_TANF, GEOD, T0, batch, hot_spot

from deconfliction.monitor import engine
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig
from deconfliction.monitor.proximity import candidate_pairs

CFG = MonitorConfig(proximity_m=5_000.0, proximity_vertical_m=300.0, lookahead_s=300.0)


def _brute_cpa(a: tuple, b: tuple, now: float) -> tuple[float, float]:
    """Minimum GeographicLib distance of two dead-reckoned tracks over [now, now + 300]:
    1 s steps, then 2 ms steps around the best."""
    def dist(ts: np.ndarray) -> np.ndarray:
        pos = []
        for (t, lat, lon, v, h) in (a, b):
            x, y, _ = GEOD.fwd(np.full(ts.size, lon), np.full(ts.size, lat), np.full(ts.size, h),
                               v * (ts - t))
            pos.append((x, y))
        return np.asarray(GEOD.inv(pos[0][0], pos[0][1], pos[1][0], pos[1][1])[2])

    coarse = now + np.arange(0.0, 301.0)
    d = dist(coarse)
    k = int(np.argmin(d))
    fine = np.clip(coarse[k] + np.arange(-1.0, 1.0005, 0.002), now, now + 300.0)
    f = dist(fine)
    j = int(np.argmin(f))
    return float(f[j]), float(fine[j])


def _scattered(rng: np.random.Generator, n: int, spread_deg: float, max_speed: float,
               alts: list[float], parties: list[str]) -> tuple[np.ndarray, ...]:
    """``n`` tracks around At Tanf: lat, lon, speed, heading, altitude, party."""
    lat = AT_TANF[0] + rng.uniform(-spread_deg, spread_deg, n)
    lon = AT_TANF[1] + rng.uniform(-spread_deg, spread_deg, n)
    speed = rng.uniform(0.0, max_speed, n)
    head = rng.uniform(0.0, 360.0, n)
    return lat, lon, speed, head, rng.choice(alts, n), rng.choice(parties, n)


def test_cpa_and_alerts_match_brute_force() -> None:
    rng = np.random.default_rng(4)
    n = 50
    lat, lon, speed, head, alt, party = _scattered(
        rng, n, 0.3, 250.0, [1_000.0, 1_200.0, 1_400.0], ["coalition", "russia", "syria"])
    t = rng.uniform(-20.0, 0.0, n)  # reports of different ages
    m = Monitor([], CFG)
    out = m.ingest(batch([f"a{i}" for i in range(n)], t, lat, lon, party=list(party), alt=alt,
                         speed=speed, heading=head))
    now = T0 + t.max()
    got = {}
    for e in out:
        assert e.kind == "proximity" and e.t_s == now and e.party != e.other_party
        got[(e.track, e.other_track)] = e
    checked = 0
    for i in range(n):
        for j in range(i + 1, n):
            if party[i] == party[j] or abs(alt[i] - alt[j]) >= 300.0:
                assert (f"a{i}", f"a{j}") not in got
                continue
            d = GEOD.inv(lon[i], lat[i], lon[j], lat[j])[2]
            if d > 5_000.0 + 300.0 * (speed[i] + speed[j]) + 1_000.0:
                assert (f"a{i}", f"a{j}") not in got
                continue
            cpa, when = _brute_cpa((T0 + t[i], lat[i], lon[i], speed[i], head[i]),
                                   (T0 + t[j], lat[j], lon[j], speed[j], head[j]), now)
            e = got.get((f"a{i}", f"a{j}"))
            if cpa < 5_000.0 - 0.01:
                assert e is not None, (i, j, cpa)
                assert got[(f"a{j}", f"a{i}")].details["cpa_m"] == e.details["cpa_m"]
                assert e.details["cpa_m"] <= cpa + 1e-6
                assert cpa - e.details["cpa_m"] < 0.05
                if cpa > 1.0:
                    assert abs(e.details["cpa_t_s"] - when) < 0.5
                checked += 1
            elif cpa > 5_000.0 + 0.01:
                assert e is None, (i, j, cpa)
    assert checked >= 15


def test_once_per_pair_until_they_separate() -> None:
    m = Monitor([], CFG)
    lon3, lat3, _ = GEOD.fwd(AT_TANF[1], AT_TANF[0], 90.0, 3_000.0)
    close = batch(["c1", "r1"], [0.0, 0.0], [AT_TANF[0], lat3], [AT_TANF[1], lon3],
                  party=["coalition", "russia"], speed=0.0, heading=0.0)
    first = m.ingest(close)
    assert sorted((e.track, e.other_track) for e in first) == [("c1", "r1"), ("r1", "c1")]
    assert abs(first[0].details["distance_m"] - 3_000.0) < 1e-6
    assert m.ingest(batch("c1", [10.0], [AT_TANF[0]], [AT_TANF[1]], party="coalition",
                          speed=0.0, heading=0.0)) == []
    # c1 jumps 100 km away: separated, no event; comes back: a new alert
    far = GEOD.fwd(AT_TANF[1], AT_TANF[0], 0.0, 100_000.0)
    assert m.ingest(batch("c1", [20.0], [far[1]], [far[0]], party="coalition", speed=0.0,
                          heading=0.0)) == []
    back = m.ingest(batch("c1", [30.0], [AT_TANF[0]], [AT_TANF[1]], party="coalition",
                          speed=0.0, heading=0.0))
    assert len(back) == 2
    # same party, or too far apart vertically: never
    m2 = Monitor([], CFG)
    assert m2.ingest(batch(["a", "b"], [0.0, 0.0], [AT_TANF[0]] * 2, [AT_TANF[1]] * 2,
                           party="russia")) == []
    assert m2.ingest(batch(["c", "d"], [0.0, 0.0], [AT_TANF[0]] * 2, [AT_TANF[1]] * 2,
                           party=["x", "y"], alt=[1_000.0, 1_400.0])) == []


def test_head_on_closing_is_predicted_and_stale_tracks_are_dropped() -> None:
    m = Monitor([], CFG)
    a = GEOD.fwd(AT_TANF[1], AT_TANF[0], 270.0, 30_000.0)
    b = GEOD.fwd(AT_TANF[1], AT_TANF[0], 90.0, 30_000.0)
    out = m.ingest(batch(["c1", "r1"], [0.0, 0.0], [a[1], b[1]], [a[0], b[0]],
                         party=["coalition", "russia"], speed=200.0,
                         heading=[a[2], b[2]]))
    assert len(out) == 2
    e = out[0]
    assert e.details["cpa_m"] < 100.0 and abs(e.details["cpa_t_s"] - T0 - 150.0) < 1.0
    assert e.details["distance_m"] > 59_000.0
    assert [x.kind for x in m.flush(T0 + 500.0)] == ["stale", "stale"]
    assert m.tracks == 0


def test_pairs_kept_close_without_an_exact_cpa_give_the_same_events(monkeypatch: Any) -> None:
    """A pair already close whose flat CPA is surely within the limit is not solved again;
    the events over many batches are those of solving every pair every batch."""
    rng = np.random.default_rng(11)
    n = 120
    lat, lon, speed, head, alt, parties = _scattered(
        rng, n, 0.15, 80.0, [1_000.0, 1_100.0, 1_500.0, np.nan],
        ["coalition", "russia", "syria", ""])
    party = list(parties)
    names = [f"a{i}" for i in range(n)]

    def run() -> list[tuple[object, ...]]:
        m = Monitor([], CFG)
        seen = []
        for k in range(12):
            turn = rng_k.uniform(-40.0, 40.0, n) * (rng_k.random(n) < 0.3)
            step_lon, step_lat, _ = GEOD.fwd(lon, lat, head + turn, speed * 10.0 * k)
            out = m.ingest(batch(names, [10.0 * k] * n, step_lat, step_lon, party=party,
                                 alt=alt, speed=speed, heading=(head + turn) % 360.0))
            seen += [(k, e.track, e.other_track, e.details["cpa_m"], e.details["cpa_t_s"])
                     for e in out]
        return seen

    calls: list[int] = []
    real = engine.planar_close

    def counted(*args: Any) -> np.ndarray:
        out = real(*args)
        calls.append(int(out.sum()))
        return out

    monkeypatch.setattr(engine, "planar_close", counted)
    rng_k = np.random.default_rng(5)
    fast = run()
    monkeypatch.setattr(engine, "planar_close",
                        lambda i, *_: np.zeros(i.size, dtype=bool))  # solve every pair
    rng_k = np.random.default_rng(5)
    plain = run()
    assert fast == plain
    assert len(fast) > 50 and sum(calls) > 100  # pairs were raised, and many kept unsolved


def test_candidates_of_a_few_updated_tracks_are_those_of_all_that_involve_them() -> None:
    """Only the cells of updated tracks are sorted and searched: the candidates are exactly
    the pairs found with every track updated that involve an updated one."""
    rng = np.random.default_rng(3)
    n = 600
    lat, lon, speed, head = hot_spot(rng, n, 0.5, 0.2, (50.0, 250.0), (0.0, 30.0))
    alt = rng.choice([0.0, 200.0, 3_000.0, np.nan], n)
    party = rng.integers(-1, 4, n)
    slot = rng.permutation(10 * n)[:n].astype(np.int64)
    t = T0 - rng.uniform(0.0, 30.0, n)
    reach = speed * (T0 - t + 300.0) + 2_550.0

    def pairs(updated: np.ndarray) -> set[int]:
        return set(candidate_pairs(slot, lat, lon, reach, updated, party, t, speed, head,
                                   T0, 300.0, 5_000.0, alt, 300.0).tolist())

    every = pairs(np.ones(n, dtype=bool))
    assert len(every) > 200
    for k in (1, 7, 60):
        updated = np.zeros(n, dtype=bool)
        updated[rng.choice(n, k, replace=False)] = True
        mine = set(slot[updated].tolist())
        want = {p for p in every if p >> 32 in mine or p & 0xFFFFFFFF in mine}
        assert pairs(updated) == want
    assert pairs(np.zeros(n, dtype=bool)) == set()
