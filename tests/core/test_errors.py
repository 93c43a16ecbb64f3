"""The error tree: stable codes, fields, plain-data form and field prefixes."""

from __future__ import annotations

import pytest

from deconfliction.core.errors import (
    ConflictStateError,
    DeconflictionError,
    NotFoundError,
    StoreError,
    ValidationError,
)


@pytest.mark.parametrize("cls", [ValidationError, ConflictStateError, StoreError])
def test_every_error_derives_from_the_base_and_keeps_code_message_field(cls: type) -> None:
    err = cls("SOME_CODE", "what went wrong", "volumes[0].alt_lower_m")
    assert isinstance(err, DeconflictionError)
    assert isinstance(err, Exception)
    assert (err.code, err.message, err.field) == (
        "SOME_CODE",
        "what went wrong",
        "volumes[0].alt_lower_m",
    )


def test_not_found_has_a_fixed_code() -> None:
    err = NotFoundError("no zone 'x'", "id")
    assert isinstance(err, DeconflictionError)
    assert (err.code, err.message, err.field) == ("NOT_FOUND", "no zone 'x'", "id")


def test_str_puts_the_field_first_when_there_is_one() -> None:
    assert str(ValidationError("LAT_OUT_OF_RANGE", "latitude 91", "lat")) == "lat: latitude 91"
    assert str(ValidationError("NO_VOLUMES", "at least one volume")) == "at least one volume"


def test_to_dict_is_plain_data() -> None:
    assert ValidationError("BAD_KIND", "unknown kind", "kind").to_dict() == {
        "code": "BAD_KIND",
        "message": "unknown kind",
        "field": "kind",
    }
    assert StoreError("STORE_FAILURE", "disk full").to_dict()["field"] is None


def test_with_field_prefix_nests_the_field_and_keeps_the_class() -> None:
    err = ValidationError("LAT_OUT_OF_RANGE", "latitude 91", "center")
    nested = err.with_field_prefix("volumes[2].outline")
    assert type(nested) is ValidationError
    assert nested.field == "volumes[2].outline.center"
    assert (nested.code, nested.message) == (err.code, err.message)
    assert ValidationError("NO_VOLUMES", "none").with_field_prefix("zone").field == "zone"


def test_with_field_prefix_on_a_conflict_state_error() -> None:
    err = ConflictStateError("ILLEGAL_TRANSITION", "draft to active", "state")
    nested = err.with_field_prefix("operations[0]")
    assert isinstance(nested, ConflictStateError)
    assert nested.field == "operations[0].state"


def test_with_field_prefix_on_not_found() -> None:
    """BUG: ``NotFoundError.__init__`` takes ``(message, field)``, but ``with_field_prefix``
    calls ``type(self)(code, message, field)`` and so raises ``TypeError``."""
    err = NotFoundError("no zone 'x'", "id")
    nested = err.with_field_prefix("zones[0]")
    assert isinstance(nested, NotFoundError)
    assert (nested.code, nested.field) == ("NOT_FOUND", "zones[0].id")


def test_errors_can_be_caught_by_the_base_class() -> None:
    with pytest.raises(DeconflictionError) as info:
        raise ValidationError("EMPTY_TIME_INTERVAL", "end before start", "time_end")
    assert info.value.code == "EMPTY_TIME_INTERVAL"
