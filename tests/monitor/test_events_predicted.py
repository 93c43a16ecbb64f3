"""predicted: the time to the boundary against brute-force stepping with GeographicLib."""

from __future__ import annotations

import numpy as np
import oracle
import pytest
from evhelp import AT_TANF, AT_TANF_ZONE, GEOD, T0, batch, zone

from deconfliction.core.errors import ValidationError
from deconfliction.core.outline import Circle, Polygon
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig
from deconfliction.monitor.predict import PAD_M, SPACING_M, course_points, first_entry

CFG = MonitorConfig(proximity_m=0.0, lookahead_s=300.0)
STEP_S = 0.25


def _zones() -> list:
    rng = np.random.default_rng(11)
    az = np.sort(rng.uniform(0, 360, 9))
    x, y, _ = GEOD.fwd(np.full(9, 38.3), np.full(9, 33.0), az, rng.uniform(3_000, 9_000, 9))
    concave = tuple(zip(y.tolist(), x.tolist(), strict=True))
    hole = ((32.99, 38.29), (32.99, 38.31), (33.01, 38.31), (33.01, 38.29))
    return [AT_TANF_ZONE,
            zone("tiny", Circle(33.0, 39.3, 40.0)),
            zone("square", Polygon(((32.5, 38.9), (32.5, 38.9006), (32.5006, 38.9006),
                                    (32.5006, 38.9)))),
            zone("holed", Polygon(concave, (hole,)), buffer_m=50.0)]


def _signed(z, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    o = z.volumes[0].outline
    g = o.radius_m + z.buffer_m
    if isinstance(o, Circle):
        return np.asarray(GEOD.inv(lon, lat, np.full(lat.size, o.lon),
                                   np.full(lat.size, o.lat))[2]) - g
    d = oracle.edge_distance(lat, lon, o, 2_000.0)
    inside = oracle.polygon_parity(lat, lon, o)
    return np.where(inside, -d - g, d - g)


def test_time_to_boundary_matches_brute_force_stepping() -> None:
    zones = _zones()
    rng = np.random.default_rng(5)
    n = 48
    # tracks aimed roughly at each zone (some miss), from 5 to 60 km off its edge
    targets = [(AT_TANF[0], AT_TANF[1], 55_000.0), (33.0, 39.3, 40.0), (32.5003, 38.9003, 40.0),
               (33.0, 38.3, 8_000.0)]
    lat0, lon0, head, speed = [], [], [], []
    for k in range(n):
        tl, to, r = targets[k % 4]
        d = r + rng.uniform(2_000.0, 60_000.0)
        back = rng.uniform(0, 360)
        x, y, baz = GEOD.fwd(to, tl, back, d)
        lat0.append(y)
        lon0.append(x)
        head.append((baz + rng.normal(0, 3.0 if k % 4 else 40.0)) % 360)
        speed.append(rng.uniform(60.0, 320.0))
    m = Monitor(zones, CFG)
    out = m.ingest(batch([f"p{k}" for k in range(n)], [0.0] * n, lat0, lon0, alt=1_000.0,
                         speed=speed, heading=head))
    got = {(e.track, e.object_id): e for e in out if e.kind == "predicted"}
    taus = np.arange(0.0, 300.0 + 1e-9, STEP_S)
    found = 0
    for k in range(n):
        x, y, _ = GEOD.fwd(np.full(taus.size, lon0[k]), np.full(taus.size, lat0[k]),
                           np.full(taus.size, head[k]), speed[k] * taus)
        for z in zones:
            e = got.get((f"p{k}", z.id))
            s = _signed(z, np.asarray(y), np.asarray(x))
            inside = np.nonzero(s <= 0.0)[0]
            if s[0] <= 0.01:  # in it (or on its edge) now: not predicted
                assert e is None or s[0] > 0.0
                continue
            if e is None:
                assert inside.size == 0, (k, z.id, taus[inside[0]])
                continue
            found += 1
            tau = e.details["time_to_boundary_s"]
            # nothing inside before the predicted time, the boundary at it
            assert inside.size == 0 or taus[inside[0]] >= tau - 1e-6, (k, z.id)
            assert inside.size == 0 or taus[inside[0]] - tau <= STEP_S + 1e-6
            ex, ey, _ = GEOD.fwd(lon0[k], lat0[k], head[k], speed[k] * tau)
            assert abs(_signed(z, np.array([ey]), np.array([ex]))[0]) < 0.01
            assert abs(e.details["entry_lat"] - ey) < 1e-7
            assert e.details["entry_t_s"] == e.t_s + tau
    assert found >= 20
    # the same reports again: no new predicted events (once per track and volume)
    again = m.ingest(batch([f"p{k}" for k in range(n)], [1.0] * n,
                           *straight_on(lat0, lon0, head, speed), alt=1_000.0,
                           speed=speed, heading=head))
    assert not [e for e in again if e.kind == "predicted" and (e.track, e.object_id) not in got]
    assert len([e for e in again if e.kind == "predicted"]) == 0


def straight_on(lat0: list, lon0: list, head: list, speed: list) -> tuple[list, list]:
    x, y, _ = GEOD.fwd(lon0, lat0, head, speed)
    return list(y), list(x)


def test_prediction_lapses_then_fires_again_and_stops_inside() -> None:
    m = Monitor([AT_TANF_ZONE], CFG)
    lat, lon = GEOD.fwd(AT_TANF[1], AT_TANF[0], 0.0, 70_000.0)[1::-1]
    first = m.ingest(batch("a", [0.0], [lat], [lon], speed=200.0, heading=180.0))
    assert [(e.kind, round(e.details["time_to_boundary_s"], 3)) for e in first] == [
        ("predicted", 75.0)]
    assert m.ingest(batch("a", [1.0], [lat], [lon], speed=200.0, heading=0.0)) == []
    again = m.ingest(batch("a", [2.0], [lat], [lon], speed=200.0, heading=180.0))
    assert [e.kind for e in again] == ["predicted"]
    inside = m.ingest(batch("a", [100.0], [AT_TANF[0]], [AT_TANF[1]], speed=200.0,
                            heading=180.0))
    assert [e.kind for e in inside] == ["enter"]


def test_window_opening_over_a_stationary_track_and_unknown_speed() -> None:
    later = zone("later", Circle(*AT_TANF, 1_000.0), start_s=120.0)
    m = Monitor([later], CFG)
    out = m.ingest(batch("s", [0.0], [AT_TANF[0]], [AT_TANF[1]], speed=0.0))
    assert [(e.kind, e.details["time_to_boundary_s"]) for e in out] == [("predicted", 120.0)]
    assert m.ingest(batch("u", [0.0], [AT_TANF[0]], [AT_TANF[1]])) == []
    # out of the band: never
    assert m.ingest(batch("h", [0.0], [AT_TANF[0]], [AT_TANF[1]], speed=0.0,
                          alt=30_000.0)) == []


def test_course_points_stay_within_the_bound() -> None:
    rng = np.random.default_rng(2)
    n = 3_000
    lat, lon = rng.uniform(-80, 80, n), rng.uniform(-180, 180, n)
    head, reach = rng.uniform(0, 360, n), rng.uniform(0, 400_000.0, n)
    rep, plat, plon = course_points(lat, lon, head, reach)
    counts = np.bincount(rep, minlength=n)
    j = np.arange(rep.size) - np.repeat(np.cumsum(counts) - counts, counts)
    s = reach[rep] * j / np.maximum(counts[rep] - 1, 1)
    x, y, _ = GEOD.fwd(lon[rep], lat[rep], head[rep], s)
    err = np.asarray(GEOD.inv(x, y, plon, plat)[2])
    assert np.all(err <= SPACING_M / 2 * 0 + (PAD_M - SPACING_M / 2) / 2 + 1e-6)
    assert np.all(reach[rep] / np.maximum(counts[rep] - 1, 1) <= SPACING_M + 1e-9)



def _crowd(rng: np.random.Generator, n: int) -> list:
    """Zones of every size packed round one place, with bands and windows of all kinds."""
    out = []
    for k in range(n):
        lat, lon = 33.0 + rng.uniform(-0.7, 0.7), 38.5 + rng.uniform(-0.8, 0.8)
        if k % 3:
            outline = Circle(lat, lon, float(rng.choice([40.0, 400.0, 3_000.0, 25_000.0])))
        else:  # a pentagon round its centre, convex or not
            az = np.arange(5) * 72.0 + rng.uniform(0.0, 60.0, 5)
            x, y, _ = GEOD.fwd(np.full(5, lon), np.full(5, lat), az,
                               rng.uniform(1.0, 3.0, 5) * float(rng.choice([100.0, 4_000.0])))
            outline = Polygon(tuple(zip(y.tolist(), x.tolist(), strict=True)))
        lo = float(rng.choice([0.0, 0.0, 2_000.0, 8_000.0]))
        start = rng.choice([None, None, -500.0, 60.0, 240.0])
        end = rng.choice([None, None, 30.0, 200.0, -10.0])
        if start is not None and end is not None and end <= start:
            end = None
        out.append(zone(f"z{k:03d}", outline, lo=lo, hi=lo + float(rng.uniform(500, 9_000)),
                        start_s=start, end_s=end, buffer_m=float(rng.choice([0.0, 150.0]))))
    return out


def test_candidates_lose_no_entry_against_marching_every_row() -> None:
    """The engine's predictions (candidates from the course's points, rows skipped by band,
    window or being inside) equal the march over every (report, row) pair along the whole
    look-ahead: fails if a row is skipped wrongly or a candidate's range is cut short."""
    rng = np.random.default_rng(23)
    zones = _crowd(rng, 90)
    n = 400
    lat = 33.0 + rng.uniform(-1.0, 1.0, n)
    lon = 38.5 + rng.uniform(-1.1, 1.1, n)
    speed = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(5.0, 300.0, n))
    alt = np.where(rng.random(n) < 0.15, np.nan, rng.uniform(0.0, 12_000.0, n))
    head = rng.uniform(0, 360, n)
    m = Monitor(zones, CFG)
    out = m.ingest(batch([f"p{k:03d}" for k in range(n)], [0.0] * n, lat.tolist(),
                         lon.tolist(), alt=alt, speed=speed, heading=head))
    got = {(e.track, e.object_id): e.details["time_to_boundary_s"]
           for e in out if e.kind == "predicted"}
    # the march along the whole look-ahead for every pair not already inside
    rows = [zones.index(next(z for z in zones if z.id == obj)) for obj in m._row_obj]
    assert rows == list(range(len(zones)))  # one row per zone, in order
    t = np.full(n, T0)
    fin = np.isfinite(alt)
    ir, rr = m._grid.classify(lat[fin], lon[fin], alt[fin], t[fin])
    own = {(int(np.nonzero(fin)[0][i]), int(r)) for i, r in zip(ir, rr, strict=True)}
    for i in np.nonzero(~fin)[0]:  # unknown altitude: in a volume whatever its band
        for r, z in enumerate(zones):
            w = z.volumes[0].time
            now = (w.start is None or w.start.timestamp() <= T0) and (
                w.end is None or w.end.timestamp() > T0)
            if now and _signed(z, lat[i:i + 1], lon[i:i + 1])[0] <= 0.0:
                own.add((int(i), r))
    pairs = [(i, r) for i in range(n) for r in range(len(zones)) if (i, r) not in own]
    crep = np.array([p[0] for p in pairs], dtype=np.int64)
    crow = np.array([p[1] for p in pairs], dtype=np.int64)
    geom = m._geom()
    tau, _, _ = first_entry(crep, crow, np.zeros(crep.size), np.full(crep.size, 1e12), t, lat,
                            lon, alt, speed, head, CFG.lookahead_s, *geom,
                            m._grid.build().cols["ef"])
    want = {(f"p{crep[k]:03d}", zones[crow[k]].id): tau[k] for k in range(crep.size)
            if np.isfinite(tau[k])}
    assert len(want) >= 100
    assert got.keys() == want.keys()
    for key, w in want.items():
        assert abs(got[key] - w) * max(float(speed[int(key[0][1:])]), 1.0) < 0.01, key


def test_an_entry_in_the_last_half_metre_of_the_look_ahead_is_found() -> None:
    """Courses that graze a circle (slow convergence: the march's last steps are its least
    step) and reach it less than that step before the end of the look-ahead."""
    rng = np.random.default_rng(31)
    centre, radius = (33.2, 38.9), 3_000.0
    cases = []
    for k in range(40):
        # start 4 km off the edge, aimed 2-40 degrees off the tangent
        bearing = rng.uniform(0, 360)
        lon0, lat0, back = GEOD.fwd(centre[1], centre[0], bearing, radius + 4_000.0)
        tangent = np.degrees(np.arcsin(radius / (radius + 4_000.0)))
        head = (back + tangent - rng.uniform(2.0, 40.0)) % 360

        def dist(s: float, lon0: float = lon0, lat0: float = lat0, head: float = head) -> float:
            x, y, _ = GEOD.fwd(lon0, lat0, head, s)
            return float(GEOD.inv(x, y, centre[1], centre[0])[2]) - radius

        lo, hi = 0.0, 4_000.0 / np.sin(np.radians(2.0))
        while dist(hi) > 0.0:
            hi *= 0.9
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if dist(mid) > 0.0 else (lo, mid)
        delta = rng.uniform(0.005, 0.45)  # the entry this far before the look-ahead's end
        cases.append((lat0, lon0, head, hi, (hi + delta) / CFG.lookahead_s, k))
    m = Monitor([zone("c", Circle(*centre, radius))], CFG)
    out = m.ingest(batch([f"g{c[5]}" for c in cases], [0.0] * len(cases),
                         [c[0] for c in cases], [c[1] for c in cases], alt=1_000.0,
                         speed=[c[4] for c in cases], heading=[c[2] for c in cases]))
    got = {e.track: e.details["time_to_boundary_s"] for e in out if e.kind == "predicted"}
    for _, _, _, s_e, v, k in cases:
        assert f"g{k}" in got, (k, s_e, v)
        assert abs(got[f"g{k}"] * v - s_e) < 0.01


def test_predict_flags_of_the_wrong_length_are_refused_before_any_change() -> None:
    m = Monitor([AT_TANF_ZONE], CFG)
    lat, lon = GEOD.fwd(AT_TANF[1], AT_TANF[0], 0.0, 70_000.0)[1::-1]
    b = batch("a", [0.0], [lat], [lon], speed=200.0, heading=180.0)
    with pytest.raises(ValidationError, match="2 predict flags for 1 reports") as err:
        m.ingest_table(b, np.array([True, False]))
    assert err.value.code == "BAD_REPORTS"
    assert m.tracks == 0 and m.stats.batches == 0
    # a report left out predicts nothing; flagged in, it does
    assert m.ingest_table(b, np.array([False])).counts() == {}
    again = batch("a", [1.0], [lat], [lon], speed=200.0, heading=180.0)
    assert m.ingest_table(again, np.array([True])).counts() == {"predicted": 1}
