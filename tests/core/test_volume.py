"""``Volume4D``: altitude rules, the closed altitude band, time shift and outline limits."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from deconfliction.core.errors import ValidationError
from deconfliction.core.limits import DEFAULT_LIMITS, Limits
from deconfliction.core.outline import Circle, Corridor, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

WINDOW = TimeInterval(datetime(2018, 9, 7, tzinfo=UTC), datetime(2018, 9, 15, tzinfo=UTC))
DISK = Circle(33.50583, 38.61778, 1_000.0)


def volume(lo: object, hi: object, outline: object = DISK, time: object = WINDOW) -> Volume4D:
    return Volume4D(outline, lo, hi, time)  # type: ignore[arg-type]


def code_and_field(make: object) -> tuple[str, str | None]:
    assert callable(make)
    with pytest.raises(ValidationError) as info:
        make()
    return info.value.code, info.value.field


def test_a_valid_volume() -> None:
    v = volume(0.0, 6_000.0)
    assert (v.alt_lower_m, v.alt_upper_m) == (0.0, 6_000.0)
    assert v.outline is DISK


def test_a_flat_band_is_allowed() -> None:
    assert volume(1_000.0, 1_000.0).alt_overlap(volume(1_000.0, 1_000.0)) == (1_000.0, 1_000.0)


def test_inverted_band() -> None:
    assert code_and_field(lambda: volume(6_000.0, 5_999.0)) == ("ALT_BAND_INVERTED", "alt_lower_m")


@pytest.mark.parametrize("field", ["alt_lower_m", "alt_upper_m"])
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (math.nan, "NOT_FINITE"),
        (math.inf, "NOT_FINITE"),
        (-math.inf, "NOT_FINITE"),
        (True, "BAD_ALTITUDE"),
        ("100", "BAD_ALTITUDE"),
        (None, "BAD_ALTITUDE"),
        (DEFAULT_LIMITS.min_alt_m - 0.001, "ALT_OUT_OF_RANGE"),
        (DEFAULT_LIMITS.max_alt_m + 0.001, "ALT_OUT_OF_RANGE"),
    ],
)
def test_altitude_rules(field: str, value: object, code: str) -> None:
    lo, hi = (value, 100_000.0) if field == "alt_lower_m" else (-1_000.0, value)
    assert code_and_field(lambda: volume(lo, hi)) == (code, field)


def test_altitude_limits_are_inclusive() -> None:
    v = volume(DEFAULT_LIMITS.min_alt_m, DEFAULT_LIMITS.max_alt_m)
    assert v.alt_upper_m - v.alt_lower_m == 101_000.0
    assert volume(0, 10).alt_upper_m == 10  # ints are numbers


def test_time_must_be_an_interval() -> None:
    when = datetime(2018, 9, 7, tzinfo=UTC)
    assert code_and_field(lambda: volume(0.0, 10.0, time=(when, None))) == ("BAD_TIME", "time")


def test_outline_errors_surface_with_their_own_field() -> None:
    assert code_and_field(lambda: volume(0.0, 10.0, outline=Circle(0.0, 0.0, -5.0))) == (
        "BAD_RADIUS",
        "radius_m",
    )


def test_validate_with_custom_limits() -> None:
    v = volume(0.0, 5_000.0, outline=Polygon(((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0))))
    v.validate(Limits(max_alt_m=5_000.0, max_vertices=4))
    with pytest.raises(ValidationError) as info:
        v.validate(Limits(max_alt_m=4_999.0))
    assert (info.value.code, info.value.field) == ("ALT_OUT_OF_RANGE", "alt_upper_m")
    with pytest.raises(ValidationError) as info:
        v.validate(Limits(min_alt_m=1.0))
    assert (info.value.code, info.value.field) == ("ALT_OUT_OF_RANGE", "alt_lower_m")
    with pytest.raises(ValidationError) as info:
        v.validate(Limits(max_vertices=3))
    assert (info.value.code, info.value.field) == ("TOO_MANY_VERTICES", "exterior")
    with pytest.raises(ValidationError) as info:
        volume(0.0, 1.0).validate(Limits(max_radius_m=999.0))
    assert (info.value.code, info.value.field) == ("TOO_LARGE", "radius_m")
    corridor = Corridor(((0.0, 0.0), (0.0, 1.0), (0.0, 2.0)), 10.0)
    with pytest.raises(ValidationError) as info:
        volume(0.0, 1.0, outline=corridor).validate(Limits(max_vertices=2))
    assert (info.value.code, info.value.field) == ("TOO_MANY_VERTICES", "path")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 100.0), (50.0, 200.0), (50.0, 100.0)),
        ((0.0, 100.0), (100.0, 200.0), (100.0, 100.0)),  # the band is closed: touching meets
        ((0.0, 100.0), (100.001, 200.0), None),
        ((0.0, 20_000.0), (19_000.0, 30_000.0), (19_000.0, 20_000.0)),
        ((-500.0, 500.0), (0.0, 10.0), (0.0, 10.0)),
    ],
)
def test_alt_overlap_is_symmetric_and_closed(
    a: tuple[float, float], b: tuple[float, float], expected: tuple[float, float] | None
) -> None:
    va, vb = volume(*a), volume(*b)
    assert va.alt_overlap(vb) == expected
    assert vb.alt_overlap(va) == expected


def test_shifted_moves_only_the_time() -> None:
    v = volume(0.0, 10.0)
    later = v.shifted(3_600.0)
    assert later.time == WINDOW.shifted(3_600.0)
    assert (later.outline, later.alt_lower_m, later.alt_upper_m) == (DISK, 0.0, 10.0)
    assert v.time == WINDOW  # frozen: the original is unchanged


def test_open_ended_volume() -> None:
    v = volume(0.0, 20_000.0, time=TimeInterval(datetime(2016, 3, 3, tzinfo=UTC), None))
    assert v.time.end is None
    assert v.shifted(60.0).time.end is None
