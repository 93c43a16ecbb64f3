"""enter / exit / inside: ordering, duplicates, stale tracks, expiry, deletion, hysteresis."""

from __future__ import annotations

import numpy as np
from evhelp import AT_TANF, AT_TANF_ZONE, T0, batch, kinds, operation, straight, zone

from deconfliction.core.objects import OperationState
from deconfliction.core.outline import Circle, Polygon
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig

NO_PROX = MonitorConfig(proximity_m=0.0, inside_interval_s=1e9)


def _across(n: int = 40, step_s: float = 60.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A track at 200 m/s from 80 km north of At Tanf due south through the zone."""
    t = np.arange(n) * step_s
    lat, lon = straight(*straight(*AT_TANF, 0.0, 1.0, [80_000.0]), 180.0, 200.0, t)
    return t, lat, lon


def test_enter_inside_exit_in_time_order() -> None:
    m = Monitor([AT_TANF_ZONE], MonitorConfig(inside_interval_s=120.0, proximity_m=0.0))
    t, lat, lon = _across()
    # one batch, shuffled: the monitor sorts each track's reports by time
    order = np.random.default_rng(1).permutation(t.size)
    out = m.ingest(batch("rf01", t[order], lat[order], lon[order]))
    assert [e.kind for e in out] == ["enter"] + ["inside"] * 4 + ["exit"]
    assert [e.t_s for e in out] == sorted(e.t_s for e in out)
    enter, exit_ = out[0], out[-1]
    d_in = GEOD_DIST(enter.lat, enter.lon)
    d_prev = GEOD_DIST(*straight(*AT_TANF, 0.0, 1.0, [80_000.0 - 200.0 * (enter.t_s - T0 - 60)]))
    assert d_in <= 55_000.0 < d_prev
    assert enter.details["allowed"] is False and enter.owner == "coalition"
    assert exit_.details["reason"] == "left" and GEOD_DIST(exit_.lat, exit_.lon) > 55_000.0
    # the inside events are 120 s apart
    ins = [e.t_s for e in out if e.kind == "inside"]
    assert np.all(np.diff(ins) == 120.0) and ins[0] - enter.t_s == 120.0


def GEOD_DIST(lat: float | np.ndarray, lon: float | np.ndarray) -> float:  # noqa: N802
    from evhelp import GEOD
    return float(GEOD.inv(lon, lat, AT_TANF[1], AT_TANF[0])[2])


def test_batches_split_anywhere_give_the_same_events() -> None:
    t, lat, lon = _across()
    whole = Monitor([AT_TANF_ZONE], NO_PROX).ingest(batch("rf01", t, lat, lon))
    m = Monitor([AT_TANF_ZONE], NO_PROX)
    parts = []
    for lo, hi in ((0, 7), (7, 8), (8, 25), (25, 40)):
        parts += m.ingest(batch("rf01", t[lo:hi], lat[lo:hi], lon[lo:hi]))
    assert [e.to_dict() for e in parts] == [e.to_dict() for e in whole]


def test_allowed_party_and_operation_participants() -> None:
    ex = operation("exercise", Circle(*AT_TANF, 25_000.0), participants=["mat"])
    m = Monitor([AT_TANF_ZONE, ex], NO_PROX)
    out = m.ingest(batch(["mat1", "rf1"], [0, 0], [AT_TANF[0]] * 2, [AT_TANF[1]] * 2,
                         party=["mat", "russia"]))
    got = {(e.track, e.object_id): e.details["allowed"] for e in out}
    assert got == {("mat1", "at-tanf"): True, ("mat1", "exercise"): True,
                   ("rf1", "at-tanf"): False, ("rf1", "exercise"): False}


def test_out_of_order_and_duplicates_are_ignored_and_counted() -> None:
    m = Monitor([AT_TANF_ZONE], NO_PROX)
    t, lat, lon = _across()
    assert kinds(m.ingest(batch("rf01", t[:10], lat[:10], lon[:10]))) == [("enter", "at-tanf")]
    # an old report from outside the zone, a duplicate, and a same-time conflicting report
    late = batch("rf01", [t[0], t[9], t[9]], [lat[0], lat[9], lat[0]],
                 [lon[0], lon[9], lon[0]])
    assert m.ingest(late) == []
    s = m.stats
    assert (s.out_of_order, s.duplicates, s.accepted, s.reports) == (2, 1, 10, 13)
    # duplicates within one batch
    again = batch("rf01", [t[10]] * 3, [lat[10]] * 3, [lon[10]] * 3)
    assert m.ingest(again) == []
    assert m.stats.duplicates == 3 and m.stats.accepted == 11


def test_stale_track_exits_and_is_dropped() -> None:
    m = Monitor([AT_TANF_ZONE], NO_PROX)
    m.ingest(batch("rf01", [0.0], [AT_TANF[0]], [AT_TANF[1]]))
    m.ingest(batch("other", [100.0], [40.0], [40.0]))
    assert m.flush(T0 + 119.0) == [] and m.tracks == 2
    out = m.flush(T0 + 125.0)
    assert [(e.kind, e.track, e.t_s - T0) for e in out] == [("exit", "rf01", 120.0),
                                                            ("stale", "rf01", 120.0)]
    assert out[0].details["reason"] == "stale" and m.tracks == 1
    # it comes back as a new track: enter again
    assert kinds(m.ingest(batch("rf01", [200.0], [AT_TANF[0]], [AT_TANF[1]]))) == [
        ("enter", "at-tanf")]


def test_expiry_while_inside() -> None:
    short = zone("short", Circle(*AT_TANF, 10_000.0), start_s=0.0, end_s=300.0)
    cfg = MonitorConfig(proximity_m=0.0, stale_s=1_000.0)
    m = Monitor([short], cfg)
    assert kinds(m.ingest(batch("a", [10.0], [AT_TANF[0]], [AT_TANF[1]]))) == [
        ("enter", "short")]
    out = m.flush(T0 + 301.0)
    assert [(e.kind, e.t_s - T0, e.details["reason"]) for e in out] == [
        ("exit", 300.0, "expired")]
    assert m.flush(T0 + 400.0) == []
    # found by ingest too when the track reports after the end
    m2 = Monitor([short], cfg)
    m2.ingest(batch("a", [10.0], [AT_TANF[0]], [AT_TANF[1]]))
    out = m2.ingest(batch("a", [20.0, 350.0], [AT_TANF[0]] * 2, [AT_TANF[1]] * 2))
    assert [(e.kind, e.t_s - T0, e.details.get("reason")) for e in out] == [
        ("exit", 300.0, "expired")]


def test_deleted_and_inactive_objects_exit() -> None:
    ex = operation("exercise", Circle(*AT_TANF, 25_000.0), participants=["mat"])
    m = Monitor([AT_TANF_ZONE, ex], NO_PROX)
    m.ingest(batch("a", [0.0], [AT_TANF[0]], [AT_TANF[1]]))
    ended = ex.transition(OperationState.ENDED)
    out = m.set_objects([ended], T0 + 50.0)
    assert sorted((e.object_id, e.details["reason"], e.t_s - T0) for e in out) == [
        ("at-tanf", "deleted", 50.0), ("exercise", "inactive", 50.0)]
    assert m.ingest(batch("a", [60.0], [AT_TANF[0]], [AT_TANF[1]])) == []
    # a revised zone keeps tracks inside it (no exit/enter flap), and a new one is entered
    m.set_objects([AT_TANF_ZONE], T0 + 70.0)
    assert kinds(m.ingest(batch("a", [80.0], [AT_TANF[0]], [AT_TANF[1]]))) == [
        ("enter", "at-tanf")]
    assert m.set_objects([AT_TANF_ZONE.revised(name="renamed")], T0 + 90.0) == []
    assert m.ingest(batch("a", [100.0], [AT_TANF[0]], [AT_TANF[1]])) == []


def test_draft_operations_do_not_count() -> None:
    draft = operation("d", Circle(*AT_TANF, 25_000.0), state=OperationState.DRAFT)
    m = Monitor([draft], NO_PROX)
    assert m.ingest(batch("a", [0.0], [AT_TANF[0]], [AT_TANF[1]])) == []


def test_jitter_on_the_boundary_does_not_flap() -> None:
    """A track parked on the rim with 8 m GPS noise: without hysteresis it flaps; with
    dwell 30 s / 20 m it enters once, when it really goes in, and exits once."""
    rng = np.random.default_rng(7)
    t = np.arange(0.0, 600.0, 1.0)
    r = 55_000.0 + rng.normal(0.0, 8.0, t.size)
    r[400:] = 54_900.0 + rng.normal(0.0, 8.0, 200)  # then goes 100 m inside
    r[550:] = 55_100.0 + rng.normal(0.0, 8.0, 50)  # and 100 m out
    x, y, _ = __import__("evhelp").GEOD.fwd(np.full(t.size, AT_TANF[1]),
                                            np.full(t.size, AT_TANF[0]), np.full(t.size, 30.0), r)
    b = batch("j", t, y, x)
    flappy = Monitor([AT_TANF_ZONE], NO_PROX).ingest(b)
    assert sum(e.kind == "enter" for e in flappy) > 20
    cfg = MonitorConfig(dwell_enter_s=30.0, dwell_enter_m=20.0, dwell_exit_s=30.0,
                        dwell_exit_m=20.0, proximity_m=0.0, inside_interval_s=1e9)
    calm = Monitor([AT_TANF_ZONE], cfg).ingest(b)
    assert [e.kind for e in calm] == ["enter", "exit"]
    enter, exit_ = calm
    assert 420.0 <= enter.t_s - T0 < 440.0 and enter.details["margin_m"] >= 20.0
    assert enter.t_s - enter.details["since_t_s"] == 30.0
    assert 580.0 <= exit_.t_s - T0 < 590.0 and exit_.details["margin_m"] >= 20.0


def test_polygon_with_hole_and_altitude_band() -> None:
    outer = ((33.0, 38.0), (33.0, 39.0), (34.0, 39.0), (34.0, 38.0))
    hole = ((33.4, 38.4), (33.4, 38.6), (33.6, 38.6), (33.6, 38.4))
    z = zone("ring", Polygon(outer, (hole,)), lo=1_000.0, hi=2_000.0)
    m = Monitor([z], NO_PROX)
    lat = [32.9, 33.2, 33.5, 33.7, 33.7, 33.7, 33.7]
    lon = [38.5] * 7
    alt = [1_500.0, 1_500.0, 1_500.0, 1_500.0, 2_500.0, np.nan, 1_500.0]
    out = m.ingest(batch("p", list(range(7)), lat, lon, alt=alt))
    assert [(e.kind, e.t_s - T0) for e in out] == [
        ("enter", 1.0), ("exit", 2.0), ("enter", 3.0), ("exit", 4.0), ("enter", 5.0)]


def test_many_tracks_one_batch_and_empty_monitor() -> None:
    assert Monitor().ingest(batch("a", [0.0], [1.0], [1.0])) == []
    n = 500
    rng = np.random.default_rng(3)
    lat = AT_TANF[0] + rng.uniform(-1, 1, n)
    lon = AT_TANF[1] + rng.uniform(-1, 1, n)
    names = [f"t{i}" for i in range(n)]
    m = Monitor([AT_TANF_ZONE], NO_PROX)
    out = m.ingest(TrackBatch.of(track=names, party=["x"] * n, t_s=np.full(n, T0), lat=lat,
                                 lon=lon, alt_m=np.full(n, 100.0)))
    d = np.asarray(__import__("evhelp").GEOD.inv(lon, lat, np.full(n, AT_TANF[1]),
                                                 np.full(n, AT_TANF[0]))[2])
    assert sorted(e.track for e in out) == sorted(np.array(names)[d <= 55_000.0].tolist())
    assert m.tracks == n
