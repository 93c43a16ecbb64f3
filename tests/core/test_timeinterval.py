"""Half-open UTC intervals: validation, overlap, intersection, shift and parsing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deconfliction.core.errors import ValidationError
from deconfliction.core.timeinterval import TimeInterval, parse_utc, require_utc, to_epoch_s


def t(day: int, hour: int = 0) -> datetime:
    return datetime(2018, 9, day, hour, tzinfo=UTC)


# --- validation ---------------------------------------------------------------------------


def test_zero_length_window_is_refused(zero_length_window: tuple[datetime, datetime]) -> None:
    start, end = zero_length_window
    with pytest.raises(ValidationError) as info:
        TimeInterval(start, end)
    assert (info.value.code, info.value.field) == ("EMPTY_TIME_INTERVAL", "time_end")


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        TimeInterval(t(15), t(7))
    assert (info.value.code, info.value.field) == ("EMPTY_TIME_INTERVAL", "time_end")


def test_one_microsecond_is_enough() -> None:
    iv = TimeInterval(t(7), t(7) + timedelta(microseconds=1))
    assert iv.contains(t(7))
    assert not iv.contains(t(7) + timedelta(microseconds=1))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(2018, 9, 7), None, "time_start"),
        (None, datetime(2018, 9, 7), "time_end"),
        (t(1), datetime(2018, 9, 7), "time_end"),
    ],
)
def test_naive_datetimes_are_refused(
    start: datetime | None, end: datetime | None, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        TimeInterval(start, end)
    assert (info.value.code, info.value.field) == ("NAIVE_DATETIME", field)


def test_aware_datetimes_in_another_zone_are_converted_to_utc() -> None:
    plus5 = timezone(timedelta(hours=5))
    minus3 = timezone(timedelta(hours=-3))
    iv = TimeInterval(
        datetime(2018, 9, 7, 5, tzinfo=plus5), datetime(2018, 9, 7, 21, tzinfo=minus3)
    )
    assert iv.start == t(7, 0) and iv.end == t(8, 0)
    assert iv.start is not None and iv.start.utcoffset() == timedelta(0)
    assert iv.start.tzinfo is UTC and iv.end is not None and iv.end.tzinfo is UTC


def test_ordering_is_checked_after_conversion_to_utc() -> None:
    # 10:00+05:00 is 05:00Z, which is before 08:00Z: a valid interval despite "10 > 08"
    plus5 = timezone(timedelta(hours=5))
    iv = TimeInterval(datetime(2018, 9, 7, 10, tzinfo=plus5), t(7, 8))
    assert iv.start == t(7, 5)
    # 03:00-05:00 is 08:00Z, the same instant as the end: empty although "03 < 08"
    with pytest.raises(ValidationError) as info:
        TimeInterval(datetime(2018, 9, 7, 3, tzinfo=timezone(timedelta(hours=-5))), t(7, 8))
    assert info.value.code == "EMPTY_TIME_INTERVAL"


def test_non_datetime_ends_raise_a_validation_error() -> None:
    """BUG (minor): a string end raises ``AttributeError`` from ``require_utc`` instead of a
    ``ValidationError`` with a stable code."""
    with pytest.raises(ValidationError) as info:
        TimeInterval("2018-09-07T00:00:00Z", None)  # type: ignore[arg-type]
    assert info.value.field == "time_start"


# --- half-open semantics --------------------------------------------------------------------


def test_touching_intervals_do_not_overlap() -> None:
    a, b = TimeInterval(t(1), t(7)), TimeInterval(t(7), t(15))
    assert not a.overlaps(b)
    assert not b.overlaps(a)
    assert a.intersection(b) is None


def test_contains_is_half_open() -> None:
    iv = TimeInterval(t(7), t(15))
    assert iv.contains(t(7))
    assert iv.contains(t(15) - timedelta(microseconds=1))
    assert not iv.contains(t(15))
    assert not iv.contains(t(6))


def test_overlap_by_one_microsecond() -> None:
    a = TimeInterval(t(1), t(7) + timedelta(microseconds=1))
    b = TimeInterval(t(7), t(15))
    assert a.overlaps(b) and b.overlaps(a)
    assert a.intersection(b) == TimeInterval(t(7), t(7) + timedelta(microseconds=1))


def test_contains_refuses_naive_instants() -> None:
    with pytest.raises(ValidationError) as info:
        TimeInterval(t(1), None).contains(datetime(2018, 9, 2))
    assert info.value.code == "NAIVE_DATETIME"


# --- open ends -------------------------------------------------------------------------------


def test_open_ends_are_infinite() -> None:
    assert TimeInterval(None, None).start_s == -math.inf
    assert TimeInterval(None, None).end_s == math.inf
    assert TimeInterval(t(7), None).start_s == t(7).timestamp()
    assert TimeInterval(None, t(7)).end_s == t(7).timestamp()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (TimeInterval(None, None), TimeInterval(t(7), t(8)), TimeInterval(t(7), t(8))),
        (TimeInterval(t(7), None), TimeInterval(None, t(9)), TimeInterval(t(7), t(9))),
        (TimeInterval(t(7), None), TimeInterval(t(9), None), TimeInterval(t(9), None)),
        (TimeInterval(None, t(7)), TimeInterval(None, t(9)), TimeInterval(None, t(7))),
        (TimeInterval(None, None), TimeInterval(None, None), TimeInterval(None, None)),
    ],
)
def test_intersection_with_open_ends(
    a: TimeInterval, b: TimeInterval, expected: TimeInterval
) -> None:
    assert a.intersection(b) == expected
    assert b.intersection(a) == expected


def test_open_ended_intervals_that_do_not_meet() -> None:
    before, after = TimeInterval(None, t(7)), TimeInterval(t(7), None)
    assert not before.overlaps(after)
    assert before.intersection(after) is None
    assert TimeInterval(None, t(5)).intersection(TimeInterval(t(6), t(8))) is None


def test_open_ended_contains_anything_after_start() -> None:
    iv = TimeInterval(datetime(2016, 3, 3, tzinfo=UTC), None)
    assert iv.contains(datetime(2100, 1, 1, tzinfo=UTC))
    assert not iv.contains(datetime(2016, 3, 2, 23, 59, tzinfo=UTC))


# --- intersection and shift -----------------------------------------------------------------


def test_intersection_of_nested_and_staggered_intervals() -> None:
    outer, inner = TimeInterval(t(7), t(15)), TimeInterval(t(10), t(12))
    assert outer.intersection(inner) == inner
    staggered = TimeInterval(t(12), t(20))
    assert outer.intersection(staggered) == TimeInterval(t(12), t(15))
    assert staggered.intersection(outer) == TimeInterval(t(12), t(15))


def test_shifted_moves_both_ends() -> None:
    iv = TimeInterval(t(7), t(15))
    assert iv.shifted(86_400) == TimeInterval(t(8), t(16))
    assert iv.shifted(-3_600.5) == TimeInterval(
        t(7) - timedelta(seconds=3_600.5), t(15) - timedelta(seconds=3_600.5)
    )
    assert iv.shifted(0) == iv


def test_shifted_keeps_open_ends_open() -> None:
    assert TimeInterval(t(7), None).shifted(3_600) == TimeInterval(t(7, 1), None)
    assert TimeInterval(None, t(7)).shifted(-3_600) == TimeInterval(None, t(6, 23))
    assert TimeInterval(None, None).shifted(1e6) == TimeInterval(None, None)


def test_shift_makes_touching_intervals_overlap() -> None:
    a, b = TimeInterval(t(1), t(7)), TimeInterval(t(7), t(15))
    assert not a.overlaps(b)
    assert a.shifted(1).overlaps(b)
    assert not a.shifted(-1).overlaps(b)


def test_to_dict() -> None:
    assert TimeInterval(t(7), None).to_dict() == {
        "time_start": "2018-09-07T00:00:00Z",
        "time_end": None,
    }


# --- parsing and helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-09-07T00:00:00Z", t(7)),
        ("2018-09-07T00:00:00z", t(7)),
        ("2018-09-07T05:00:00+05:00", t(7)),
        ("  2018-09-06T21:00:00-03:00 ", t(7)),
    ],
)
def test_parse_utc(text: str, expected: datetime) -> None:
    value = parse_utc(text)
    assert value == expected
    assert value.utcoffset() == timedelta(0)


def test_parse_utc_refuses_naive_text() -> None:
    with pytest.raises(ValidationError) as info:
        parse_utc("2018-09-07T00:00:00", "time_start")
    assert (info.value.code, info.value.field) == ("NAIVE_DATETIME", "time_start")


@pytest.mark.parametrize("text", ["yesterday", "", "2018-13-01T00:00:00Z", 1536278400])
def test_parse_utc_refuses_non_timestamps(text: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_utc(text, "time_end")  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == ("BAD_TIME", "time_end")


def test_require_utc_and_to_epoch() -> None:
    assert require_utc(t(7)) is not None
    assert to_epoch_s(None, -math.inf) == -math.inf
    assert to_epoch_s(datetime(1970, 1, 1, 0, 1, tzinfo=UTC), 0.0) == 60.0
