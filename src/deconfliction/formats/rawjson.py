"""JSON text encoded once and written as is inside larger values.

An alert storm lists the same events in several places: each recipient's message, its
signed ledger entry (hashed as canonical JSON), the ledger row and the outbox row. Encoding
the events again for each (and reading them back) cost most of a monitor worker's time.
:class:`RawJson` holds text already encoded; :func:`dumps_with_raw` encodes a value around
it, pasting the text in where the :class:`RawJson` stands, so the result is exactly what
encoding the decoded value would give (for canonical text inside a canonical encoding).

>>> inner = RawJson('[{"a":1,"b":"x"}]')
>>> dumps_with_raw({"z": 2, "events": inner, "n": None}, sort_keys=True, separators=(",", ":"))
'{"events":[{"a":1,"b":"x"}],"n":null,"z":2}'
>>> serialize({"k": [RawJson("1.5"), "t"]})  # what the database engines write
'{"k": [1.5, "t"]}'
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

__all__ = ["RawJson", "dumps_with_raw", "serialize"]


@dataclass(frozen=True, slots=True)
class RawJson:
    """A JSON value as text, trusted to be valid JSON (whoever built it encoded it)."""

    text: str


def dumps_with_raw(value: object, **options: Any) -> str:
    """``json.dumps(value, **options)`` with every :class:`RawJson` inside written as its text.

    Each one is first encoded as a placeholder string carrying a random token (so no string
    of the value can be mistaken for it), then the placeholder is replaced by the text.
    """
    raws: list[str] = []
    token = secrets.token_hex(8)

    def placeholder(obj: object) -> object:
        if isinstance(obj, RawJson):
            raws.append(obj.text)
            return f"\x00{token}:{len(raws) - 1}\x00"
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    text = json.dumps(value, default=placeholder, **options)
    for i, raw in enumerate(raws):
        text = text.replace(f'"\\u0000{token}:{i}\\u0000"', raw, 1)
    return text


def serialize(value: object) -> str:
    """The text of a JSON column's value (the engines' ``json_serializer``): ``json.dumps``,
    with :class:`RawJson` pasted in."""
    if isinstance(value, RawJson):
        return value.text
    return dumps_with_raw(value)
