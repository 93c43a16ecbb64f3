"""RawJson: text encoded once and pasted into larger values gives exactly the encoding of
the decoded value, wherever it stands, whatever strings surround it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deconfliction.channel.canonical import canonical_json, canonical_with_raw, dumps_unchecked
from deconfliction.core.errors import ValidationError
from deconfliction.formats.rawjson import RawJson, dumps_with_raw, serialize

EVENTS = [{"kind": "enter", "track": "rf1", "lat": 33.5, "alt_m": None, "details": {}},
          {"kind": "exit", "track": "التنف – \u2028", "lat": -0.0, "alt_m": 1e16,
           "details": {"dwell_s": 30.25}}]


def _raw(value: object) -> RawJson:
    return RawJson(dumps_unchecked(value))


def _decoded(value: Any) -> Any:
    """``value`` with every RawJson replaced by what its text decodes to."""
    if isinstance(value, RawJson):
        return json.loads(value.text)
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decoded(v) for v in value]
    return value


@pytest.mark.parametrize("value", [
    {"details": {"events": _raw(EVENTS)}, "summary": "2 alerts", "id": "m7"},
    [_raw(EVENTS), _raw(EVENTS[0]), "x", _raw([])],
    {"a": _raw(1.5), "b": [{"c": _raw("text \x00 with a NUL")}], "z": None},
    _raw(EVENTS),
    # strings shaped like the placeholders are left alone
    {"s": "\x00deadbeefdeadbeef:0\x00", "r": _raw([1]), "t": "\\u0000"},
])
def test_pasted_text_encodes_as_the_decoded_value(value: Any) -> None:
    plain = _decoded(value)
    assert canonical_with_raw(value) == canonical_json(plain)
    assert json.loads(serialize(value)) == plain
    assert json.loads(dumps_with_raw(value, indent=2)) == plain


def test_anything_else_that_is_not_json_is_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        dumps_with_raw({"a": {1, 2}})
    with pytest.raises(ValidationError, match="not canonical"):
        canonical_with_raw({"a": float("nan"), "b": _raw([1])})
    with pytest.raises(ValidationError):
        canonical_with_raw({"a": "\ud800"})  # a lone surrogate is not UTF-8
