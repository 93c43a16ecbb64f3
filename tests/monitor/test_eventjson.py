"""Events encoded column by column (eventjson.event_texts) are byte for byte the canonical
JSON of each event's dict; alerting.alert_rows picks exactly the events alerts() picks."""

from __future__ import annotations

import numpy as np
import pytest

from deconfliction.channel.alerts import AlertRows
from deconfliction.channel.canonical import dumps_unchecked
from deconfliction.monitor.alerting import alert_mask, alert_rows, alerts
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.eventjson import event_texts
from deconfliction.monitor.events import KINDS, EventTable, MonitorConfig
from deconfliction.monitor.simulate import attanf_objects, attanf_tracks

_NAMES = ["rf01", "coalition", "a\"quoted\\name", "tab\there", "ünïcode-التنف", "nl\nx",
          "\x00\x1f", "%s%d", None]


def _random_table(n: int, seed: int, details: dict[str, float]) -> EventTable:
    """``n`` events of every kind with columns drawn at random; each details column is nan
    (absent) with the given probability."""
    rng = np.random.default_rng(seed)

    def names() -> np.ndarray:
        return np.array([_NAMES[i] for i in rng.integers(0, len(_NAMES), n)], dtype=object)

    def floats(scale: float) -> np.ndarray:
        v = rng.uniform(-scale, scale, n)
        v[rng.random(n) < 0.05] = 0.0
        v[rng.random(n) < 0.05] *= 1e-9  # written with an exponent
        return v

    alt = floats(1e4)
    alt[rng.random(n) < 0.2] = np.nan
    cols = {}
    for k, p_absent in details.items():
        v = floats(1e5)
        v[rng.random(n) < p_absent] = np.nan
        cols[k] = v
    return EventTable.build(
        n, rng.integers(0, len(KINDS), n).astype(np.int8),
        np.array([f"t{i}" for i in range(n)], dtype=object), names(), 1.7e9 + floats(1e6),
        floats(90), floats(180), alt, object_id=names(), object_kind=names(), owner=names(),
        volume=rng.integers(-1, 4, n), other_track=names(), other_party=names(),
        allowed=rng.integers(-1, 2, n).astype(np.int8),
        reason=np.array([None, "left", "expired", "stale"], dtype=object)[
            rng.integers(0, 4, n)], **cols)


def _expected(t: EventTable) -> list[str]:
    return [dumps_unchecked(e.to_dict()) for e in t.events()]


@pytest.mark.parametrize("details", [
    {},
    {"margin_m": 0.0},  # every event has it: one template
    {"margin_m": 0.5, "cpa_m": 0.9, "time_to_boundary_s": 0.3, "entry_lat": 0.99},
    {"z_last": 1.0, "a_first": 0.5},  # sorted around "allowed" and "reason"
])
def test_random_tables_are_encoded_as_their_events_dicts(details: dict[str, float]) -> None:
    for seed in range(3):
        t = _random_table(3_000, seed, details)
        assert event_texts(t) == _expected(t)


def test_no_details_and_no_events() -> None:
    t = EventTable.build(2, 0, ["a", "b"], "p", 1.0, 2.0, 3.0, 4.0)
    assert event_texts(t) == _expected(t)
    assert '"details":{}' in event_texts(t)[0]
    assert event_texts(EventTable.empty()) == []


def test_a_float_that_is_not_finite_is_refused_as_dumps_refuses_it() -> None:
    t = EventTable.build(1, 0, "a", "p", 1.0, 2.0, 3.0, 4.0, margin_m=np.inf)
    with pytest.raises(ValueError):
        _expected(t)
    with pytest.raises(ValueError):
        event_texts(t)


def _simulated() -> EventTable:
    m = Monitor(attanf_objects(), MonitorConfig(inside_interval_s=30.0))
    tables = []
    for b in attanf_tracks(step_s=5.0, duration_s=1_200.0):
        tables += [m.ingest_table(b), m.flush_table(float(b.t_s.max()))]
    tables.append(m.flush_table(float(b.t_s.max()) + 1e4))  # everything goes stale
    return EventTable.concat(tables)


def test_the_monitors_own_events_and_alerts() -> None:
    t = _simulated()
    assert {KINDS[k] for k in t.kind.tolist()} >= {"enter", "exit", "inside", "predicted",
                                                   "proximity", "nonconforming", "stale"}
    assert event_texts(t) == _expected(t)
    rows = alert_rows(t)
    assert rows == AlertRows.of(alerts(t.events()))
    assert 0 < len(rows) < len(t)
    assert int(alert_mask(t).sum()) == len(rows)


def test_alert_rows_of_random_tables() -> None:
    t = _random_table(5_000, 11, {"margin_m": 0.5})
    assert alert_rows(t) == AlertRows.of(alerts(t.events()))
