"""The At Tanf live tracks raise exactly the scenario's alerts, at the right moments."""

from __future__ import annotations

from deconfliction.monitor.alerting import alerts
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.simulate import START, attanf_objects, attanf_tracks


def test_attanf_alerts() -> None:
    m = Monitor(attanf_objects())
    events = []
    for b in attanf_tracks():
        events += m.ingest(b)
        events += m.flush(float(b.t_s.max()))
    t0 = START.timestamp()
    got = [(e.kind, e.track, e.object_id or e.other_track) for e in alerts(events)]
    assert sorted(got) == [("enter", "rf-su24", "at-tanf-zone"),
                           ("nonconforming", "mat-patrol-3", "exercise"),
                           ("predicted", "rf-su24", "at-tanf-zone"),
                           ("proximity", "co-f15", "rf-su35"),
                           ("proximity", "rf-su35", "co-f15")]
    by = {(e.kind, e.track): e for e in events}
    pred, enter = by[("predicted", "rf-su24")], by[("enter", "rf-su24")]
    exit_ = by[("exit", "rf-su24")]
    assert 120.0 <= enter.t_s - pred.t_s <= 300.0  # minutes before
    assert abs(pred.details["entry_t_s"] - enter.t_s) <= 10.0  # reports every 10 s
    assert enter.t_s < exit_.t_s and exit_.details["reason"] == "left"
    assert enter.owner == "coalition" and enter.details["allowed"] is False
    nc = by[("nonconforming", "mat-patrol-3")]
    assert 650.0 <= nc.t_s - t0 <= 720.0 and nc.details["reason"] == "horizontal"
    prox = by[("proximity", "co-f15")]
    assert prox.t_s == t0 and prox.details["cpa_m"] < 5_000.0
    assert 240.0 <= prox.details["cpa_t_s"] - t0 <= 260.0
    # the patrol's own zone and exercise: entered, allowed, no alert
    mat = [e for e in events if e.track == "mat-patrol-3" and e.kind == "enter"]
    assert {e.object_id for e in mat} == {"at-tanf-zone", "exercise"}
    assert all(e.details["allowed"] for e in mat)
