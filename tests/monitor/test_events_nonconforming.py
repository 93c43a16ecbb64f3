"""nonconforming: a track leaves the 4D volume of the operation its reports name."""

from __future__ import annotations

from evhelp import AT_TANF, T0, batch, operation, straight, zone

from deconfliction.core.objects import OperationState
from deconfliction.core.outline import Circle
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig

CFG = MonitorConfig(proximity_m=0.0, inside_interval_s=1e9)
EXERCISE = operation("exercise", Circle(*AT_TANF, 25_000.0), participants=["mat"],
                     lo=0.0, hi=6_000.0, start_s=0.0, end_s=3_600.0)


def _nonconforming(events: list) -> list[tuple[float, str]]:
    return [(e.t_s - T0, e.details["reason"]) for e in events if e.kind == "nonconforming"]


def test_once_per_excursion_with_the_dimension_at_fault() -> None:
    m = Monitor([EXERCISE], CFG)
    # out 30 km east and back, twice; then too high; then after the window
    r = [0, 10_000, 24_000, 26_000, 30_000, 26_000, 20_000, 27_000, 10_000, 10_000, 10_000,
         10_000]
    alt = [500.0] * 9 + [7_000.0, 500.0, 500.0]
    t = [0.0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 3_700]
    lat, lon = [], []
    for d in r:
        y, x = straight(*AT_TANF, 90.0, 1.0, [float(d)])
        lat.append(y[0])
        lon.append(x[0])
    out = m.ingest(batch("patrol", t, lat, lon, party="mat", alt=alt, operation="exercise"))
    assert _nonconforming(out) == [(180.0, "horizontal"), (420.0, "horizontal"),
                                   (540.0, "altitude"), (3_700.0, "time")]
    e = next(e for e in out if e.kind == "nonconforming")
    assert (e.object_id, e.object_kind, e.owner, e.party) == (
        "exercise", "operation", "coalition", "mat")


def test_split_batches_unknown_and_inactive_operations() -> None:
    m = Monitor([EXERCISE], CFG)
    far = straight(*AT_TANF, 90.0, 1.0, [40_000.0])
    assert m.ingest(batch("p", [0.0], list(far[0]), list(far[1]), operation="exercise")) != []
    assert _nonconforming(m.ingest(batch("p", [10.0], list(far[0]), list(far[1]),
                                         operation="exercise"))) == []
    # another operation named: a new excursion
    assert _nonconforming(m.ingest(batch("p", [20.0], list(far[0]), list(far[1]),
                                         operation="nope"))) == [(20.0, "unknown_operation")]
    # no operation named: nothing
    assert _nonconforming(m.ingest(batch("q", [0.0], list(far[0]), list(far[1])))) == []
    draft = operation("plan", Circle(*AT_TANF, 5_000.0), state=OperationState.DRAFT)
    m.set_objects([EXERCISE, draft], T0)
    assert _nonconforming(m.ingest(batch("r", [0.0], [AT_TANF[0]], [AT_TANF[1]],
                                         operation="plan"))) == [(0.0, "inactive")]


def test_inside_a_zone_is_not_conformance() -> None:
    z = zone("z", Circle(*AT_TANF, 50_000.0))
    m = Monitor([z, EXERCISE], CFG)
    far = straight(*AT_TANF, 90.0, 1.0, [40_000.0])
    out = m.ingest(batch("p", [0.0], list(far[0]), list(far[1]), operation="exercise"))
    assert _nonconforming(out) == [(0.0, "horizontal")]
