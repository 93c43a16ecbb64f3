"""Party identifiers.

>>> party_id("coalition")
'coalition'
>>> party_id("Bad Name")
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: party: 'Bad Name' is not a party id (...)
"""

from __future__ import annotations

import re

from deconfliction.core.errors import ValidationError

__all__ = ["party_id", "party_set"]

_PARTY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def party_id(value: object, field: str = "party") -> str:
    """Return ``value`` if it is a valid party id, else raise ``BAD_PARTY``."""
    if not isinstance(value, str) or not _PARTY.match(value):
        raise ValidationError(
            "BAD_PARTY",
            f"{value!r} is not a party id (lower-case letters, digits, '-', '_', '.'; at most 64)",
            field,
        )
    return value


def party_set(values: object, field: str) -> frozenset[str]:
    """A frozen set of valid party ids."""
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise ValidationError("BAD_PARTY", "expected a list of party ids", field)
    return frozenset(party_id(v, field) for v in values)
