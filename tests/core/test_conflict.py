"""Conflicts are plain data: their fields, the explanation and the JSON form."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deconfliction.core.conflict import REASONS, Conflict
from deconfliction.core.timeinterval import TimeInterval

WINDOW = TimeInterval(datetime(2018, 9, 10, tzinfo=UTC), datetime(2018, 9, 12, tzinfo=UTC))


def conflict(**kw: object) -> Conflict:
    args: dict[str, object] = {
        "a_id": "pursuit", "a_kind": "operation", "a_volume": 0,
        "b_id": "at-tanf", "b_kind": "zone", "b_volume": 2,
        "reason": "ZONE_ENTRY_NOT_ALLOWED", "parties": ("russia",), "time": WINDOW,
        "alt_lower_m": 0.0, "alt_upper_m": 10_000.0, "separation_m": -12_000.0,
        "required_separation_m": 0.0, "witness": (33.7, 38.5),
    }
    args.update(kw)
    return Conflict(**args)  # type: ignore[arg-type]


def test_to_dict_has_every_field() -> None:
    d = conflict().to_dict()
    assert d == {
        "a": {"id": "pursuit", "kind": "operation", "volume": 0},
        "b": {"id": "at-tanf", "kind": "zone", "volume": 2},
        "reason": "ZONE_ENTRY_NOT_ALLOWED",
        "parties": ["russia"],
        "time_start": "2018-09-10T00:00:00Z",
        "time_end": "2018-09-12T00:00:00Z",
        "alt_lower_m": 0.0,
        "alt_upper_m": 10_000.0,
        "separation_m": -12_000.0,
        "required_separation_m": 0.0,
        "witness": {"lat": 33.7, "lon": 38.5},
        "explanation": d["explanation"],
    }
    json.dumps(d)  # plain data all the way down


def test_open_ended_time_is_null() -> None:
    d = conflict(time=TimeInterval(datetime(2016, 3, 3, tzinfo=UTC), None)).to_dict()
    assert d["time_end"] is None


def test_explanation_when_overlapping() -> None:
    text = conflict().explanation
    assert text.startswith("operation pursuit and zone at-tanf overlap (separation -12,000.0 m)")
    assert text.endswith(REASONS["ZONE_ENTRY_NOT_ALLOWED"])


def test_explanation_when_touching_counts_as_overlap() -> None:
    assert "overlap (separation 0.0 m)" in conflict(separation_m=0.0).explanation


def test_explanation_when_within_the_buffer() -> None:
    c = conflict(
        a_kind="operation", b_id="convoy", b_kind="operation", reason="OPERATIONS_OVERLAP",
        parties=("coalition", "russia"), separation_m=1_500.0, required_separation_m=2_000.0,
    )
    assert c.explanation == (
        "operation pursuit and operation convoy come within 1,500.0 m (required 2,000.0 m): "
        + REASONS["OPERATIONS_OVERLAP"]
    )


def test_unknown_reason_is_shown_as_is() -> None:
    assert conflict(reason="SOMETHING_NEW").explanation.endswith(": SOMETHING_NEW")


def test_conflicts_are_frozen_and_comparable() -> None:
    c = conflict()
    with pytest.raises(AttributeError):  # an immutable named tuple
        c.separation_m = 0.0  # type: ignore[misc]
    assert c == conflict()
    assert c != conflict(b_volume=3)


def test_every_rule_reason_is_explained() -> None:
    assert set(REASONS) == {"ZONE_ENTRY_NOT_ALLOWED", "OPERATIONS_OVERLAP"}
    assert all(isinstance(text, str) and text for text in REASONS.values())
