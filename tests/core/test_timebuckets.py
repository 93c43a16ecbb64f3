"""The time index: a superset of the rows live in a window, compacted as rows are removed."""

from __future__ import annotations

import math
import random

import pytest

from deconfliction.core.timebuckets import TimeBuckets


def _live_in(windows: dict[int, tuple[float, float]], t0: float, t1: float) -> set[int]:
    return {r for r, (a, b) in windows.items() if a < t1 and t0 < b}


@pytest.mark.parametrize("seed", range(5))
def test_rows_hold_every_row_live_in_the_window(seed: int) -> None:
    rnd = random.Random(seed)
    tb = TimeBuckets(bucket_s=100.0, max_span=8)
    windows: dict[int, tuple[float, float]] = {}
    for r in range(500):
        t0 = rnd.uniform(-5_000.0, 5_000.0)
        t1 = math.inf if r % 37 == 0 else t0 + rnd.choice([1.0, 50.0, 100.0, 700.0, 3_000.0])
        tb.add(r, t0, t1)
        windows[r] = (t0, t1)
    for _ in range(300):
        q0 = rnd.uniform(-5_500.0, 5_500.0)
        q1 = q0 + rnd.choice([0.5, 100.0, 250.0])
        got = tb.rows(q0, q1, limit=10_000)
        assert got is not None
        assert _live_in(windows, q0, q1) <= set(got.tolist())


def test_bucket_edges_and_half_open_windows() -> None:
    tb = TimeBuckets(bucket_s=10.0, max_span=4)
    tb.add(1, 10.0, 20.0)  # ends where bucket 2 starts
    tb.add(2, -15.0, -5.0)  # before the epoch
    assert 1 in tb.rows(19.999, 20.0, limit=9).tolist()  # type: ignore[union-attr]
    assert 2 in tb.rows(-6.0, -5.5, limit=9).tolist()  # type: ignore[union-attr]
    assert tb.rows(-100.0, math.inf, limit=9) is None  # an open query: ask elsewhere


def test_limit_counts_wide_rows_and_refuses_rather_than_truncates() -> None:
    tb = TimeBuckets(bucket_s=10.0, max_span=4)
    for r in range(5):
        tb.add(r, -math.inf, math.inf)
    assert tb.rows(0.0, 1.0, limit=4) is None
    assert sorted(tb.rows(0.0, 1.0, limit=5).tolist()) == [0, 1, 2, 3, 4]  # type: ignore[union-attr]


def test_removed_rows_are_compacted_away_as_the_lists_grow() -> None:
    tb = TimeBuckets(bucket_s=10.0, max_span=4)
    dead: set[int] = set()

    def live(rows: list[int]) -> list[int]:
        return [r for r in rows if r not in dead]

    for r in range(1_000):  # one object replaced 1,000 times in the same bucket
        tb.add(r, 0.0, 5.0)
        dead.add(r - 1)
        got = tb.rows(0.0, 5.0, limit=10_000, live=live)
        assert got is not None and r in got.tolist()
    got = tb.rows(0.0, 5.0, limit=10_000, live=live)
    assert got is not None and len(got) < 130  # not 1,000: the dead were dropped
