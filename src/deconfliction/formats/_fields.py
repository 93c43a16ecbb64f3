"""Reading untrusted JSON values with field paths: the helpers every format shares.

Each helper takes the value and the path that names it (relative to whatever the caller
wraps it in) and raises :class:`~deconfliction.core.errors.ValidationError` with
``MISSING_FIELD`` or ``BAD_TYPE`` instead of letting a ``KeyError`` or ``TypeError`` escape.
:func:`prefixed` puts a path before the field of any error raised inside it, so nested
readers compose paths such as ``volumes[1].outline.radius_m``.

>>> number("12", "radius_m")
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: radius_m: expected a number, got a string
>>> with prefixed("volumes[1].outline"):
...     number(None, "radius_m")
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: volumes[1].outline.radius_m: expected a number, ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from deconfliction.core.errors import DeconflictionError, ValidationError
from deconfliction.core.objects import OperationState
from deconfliction.core.timeinterval import parse_utc

__all__ = [
    "at",
    "center_part",
    "integer",
    "iso_z",
    "mapping",
    "number",
    "optional",
    "prefixed",
    "remapped",
    "require",
    "sequence",
    "state",
    "string",
    "string_list",
    "time_or_none",
]

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def type_name(value: object) -> str:
    """The JSON name of ``value``'s type, for messages."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def bad_type(expected: str, value: object, field: str) -> ValidationError:
    """A ``BAD_TYPE`` error."""
    return ValidationError("BAD_TYPE", f"expected {expected}, got {type_name(value)}", field)


def at(path: str, key: str | int) -> str:
    """``path`` extended by a key or an index.

    >>> at("", "volumes"), at("volumes", 2), at("volumes[2]", "outline")
    ('volumes', 'volumes[2]', 'volumes[2].outline')
    """
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


@contextmanager
def prefixed(prefix: str) -> Iterator[None]:
    """Put ``prefix`` before the field path of any deconfliction error raised inside."""
    if not prefix:
        yield
        return
    try:
        yield
    except DeconflictionError as err:
        raise err.with_field_prefix(prefix) from None


@contextmanager
def remapped(rename: Callable[[DeconflictionError], str | None]) -> Iterator[None]:
    """Give any deconfliction error raised inside the field path ``rename(error)``."""
    try:
        yield
    except DeconflictionError as err:
        err.field = rename(err)
        raise


def center_part(err: DeconflictionError) -> str:
    """``"lat"`` or ``"lon"``: which half of a point the core's error about a centre blames."""
    lon = err.code == "LON_OUT_OF_RANGE" or err.message.startswith("lon")
    return "lon" if lon else "lat"


def mapping(value: object, field: str) -> Mapping[str, object]:
    """``value`` as a JSON object, else ``BAD_TYPE``."""
    if not isinstance(value, Mapping):
        raise bad_type("an object", value, field)
    return value


def sequence(value: object, field: str) -> list[object]:
    """``value`` as a JSON array, else ``BAD_TYPE``."""
    if not isinstance(value, list | tuple):
        raise bad_type("an array", value, field)
    return list(value)


def require(data: Mapping[str, object], key: str, path: str = "") -> object:
    """``data[key]``, else ``MISSING_FIELD`` (a JSON ``null`` counts as missing)."""
    value = data.get(key)
    if value is None:
        raise ValidationError("MISSING_FIELD", f"{key} is required", at(path, key))
    return value


def optional(data: Mapping[str, object], key: str) -> object:
    """``data[key]`` or ``None``."""
    return data.get(key)


def number(value: object, field: str) -> float:
    """``value`` as a float, else ``BAD_TYPE`` (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_type("a number", value, field)
    try:
        return float(value)
    except OverflowError:
        raise ValidationError("NOT_FINITE", f"{value} is too large", field) from None


def finite(value: object, field: str) -> float:
    """``value`` as a finite float."""
    x = number(value, field)
    if not math.isfinite(x):
        raise ValidationError("NOT_FINITE", f"{field.rsplit('.', 1)[-1]} is {x}", field)
    return x


def integer(value: object, field: str) -> int:
    """``value`` as an int (``3.0`` is accepted), else ``BAD_TYPE``."""
    if isinstance(value, bool):
        raise bad_type("an integer", value, field)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int):
        raise bad_type("an integer", value, field)
    return value


def string(value: object, field: str) -> str:
    """``value`` as a str, else ``BAD_TYPE``."""
    if not isinstance(value, str):
        raise bad_type("a string", value, field)
    return value


def string_list(value: object, field: str) -> list[str]:
    """``value`` as a list of strings, else ``BAD_TYPE`` (a bare string is refused)."""
    return [string(v, at(field, i)) for i, v in enumerate(sequence(value, field))]


def time_or_none(value: object, field: str) -> datetime | None:
    """An ISO 8601 timestamp with a zone, or ``None`` for an open end."""
    if value is None:
        return None
    return parse_utc(string(value, field), field)


def state(value: object, field: str) -> OperationState:
    """An operation state by name, else ``BAD_STATE``."""
    name = string(value, field)
    try:
        return OperationState(name)
    except ValueError:
        names = ", ".join(s.value for s in OperationState)
        raise ValidationError(
            "BAD_STATE", f"state {name!r} is not one of {names}", field
        ) from None


def iso_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, or ``None``.

    >>> from datetime import datetime, timezone
    >>> iso_z(datetime(2018, 9, 7, tzinfo=timezone.utc))
    '2018-09-07T00:00:00Z'
    """
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
