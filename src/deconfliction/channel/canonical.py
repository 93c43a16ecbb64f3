"""Canonical JSON: the one byte string a JSON value hashes as, and strict JSON reading.

Canonical means UTF-8, keys sorted, no insignificant whitespace, non-ASCII text as itself and
only finite numbers, so that equal values always give equal bytes. Reading is strict the
other way round: a repeated key or ``NaN`` is refused, not quietly resolved.
"""

from __future__ import annotations

import json
import math

import numpy as np
import numpy.typing as npt
import orjson

from deconfliction.core.errors import ValidationError
from deconfliction.formats.rawjson import dumps_with_raw

__all__ = [
    "NotStrictJsonError",
    "canonical_and_copy",
    "canonical_json",
    "canonical_with_raw",
    "dumps_unchecked",
    "float_texts",
    "loads_strict",
]

_MAX_DEPTH = 500  # where the walk that names a fault gives up (a cycle, or deeper than dumps goes)


def canonical_json(value: object) -> bytes:
    """Return ``value`` as canonical JSON: UTF-8, sorted keys, no spaces, no escapes beyond JSON's.

    Only ``dict`` (with ``str`` keys), ``list``/``tuple``, ``str``, ``int``, finite ``float``,
    ``bool`` and ``None`` are allowed; anything else raises :class:`ValidationError`
    ``NOT_CANONICAL`` with the path of the offending value as its field.

    >>> canonical_json({"b": [1, 2.5, None], "a": "Tanf – التنف"}).decode()
    '{"a":"Tanf – التنف","b":[1,2.5,null]}'
    >>> canonical_json({"x": [0.0, float("nan")]})
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: x[1]: nan is not a finite number
    """
    return canonical_and_copy(value)[0]


def canonical_and_copy(value: object) -> tuple[bytes, object]:
    """:func:`canonical_json` of ``value``, and ``value`` read back from it (a deep copy)."""
    error: str | None = None
    try:
        text = dumps_unchecked(value)
    except (TypeError, ValueError, RecursionError) as err:
        text, error = "", f"not canonical JSON: {err}"
    # dumps quietly turns non-string keys into strings; reading back shows it (fast, in C)
    copy = None if error is not None else json.loads(text)
    if error is not None or copy != value:
        found = _json_problem(value, 0)  # slow path: name the value at fault
        if found is not None:
            raise ValidationError("NOT_CANONICAL", found[1], found[0].removeprefix(".") or None)
        if error is not None:
            raise ValidationError("NOT_CANONICAL", error)
        # else only tuples differed, and a tuple is a JSON array
    try:
        return text.encode("utf-8"), copy
    except UnicodeEncodeError as err:  # a lone surrogate
        raise ValidationError("NOT_CANONICAL", f"not UTF-8 text: {err.reason}") from None


def canonical_with_raw(value: object) -> bytes:
    """Canonical JSON of a value the server built, which may hold
    :class:`~deconfliction.formats.rawjson.RawJson` of
    canonical text (pasted in as is): encoded once, without :func:`canonical_json`'s
    read-back check, so equal to :func:`canonical_json` of the decoded value only when every
    key is a string and every :class:`RawJson` is canonical.

    >>> from deconfliction.formats.rawjson import RawJson
    >>> events = RawJson(dumps_unchecked([{"b": 1, "a": "é"}]))
    >>> canonical_with_raw({"summary": "1 alert", "details": {"events": events}}).decode()
    '{"details":{"events":[{"a":"é","b":1}]},"summary":"1 alert"}'
    >>> canonical_with_raw({"x": float("inf")})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: not canonical JSON: Out of range float values...
    """
    try:
        return dumps_with_raw(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as err:  # UnicodeEncodeError (a lone surrogate) included
        raise ValidationError("NOT_CANONICAL", f"not canonical JSON: {err}") from None


def dumps_unchecked(value: object) -> str:
    """Canonical JSON text of ``value``, without :func:`canonical_json`'s read-back check.

    Only for values whose keys are known to be strings; ``TypeError``/``ValueError`` else.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def float_texts(values: npt.ArrayLike) -> list[str]:
    """Canonical JSON of each float of ``values`` (each one what :func:`dumps_unchecked`
    writes for it: Python's ``repr``), for many at once: ~20x faster than ``repr`` one by one
    (``orjson``, whose shortest round-trip digits are ``repr``'s; ``repr`` itself where the
    two write the exponent differently). ``ValueError`` for a value that is not finite.

    >>> float_texts([0.1, 33.5, -0.0, 1e16, 2.5e-05, 1_700_000_000.25])
    ['0.1', '33.5', '-0.0', '1e+16', '2.5e-05', '1700000000.25']
    """
    v = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        return []
    if not np.isfinite(v).all():
        raise ValueError("Out of range float values are not JSON compliant")
    out = orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")
    size = np.abs(v)
    # repr writes an exponent below 1e-4 and from 1e16 on, orjson in other places
    for i in np.nonzero(((size < 1e-4) & (size != 0.0)) | (size >= 1e16))[0].tolist():
        out[i] = float.__repr__(float(v[i]))
    return out


def _json_problem(value: object, depth: int) -> tuple[str, str] | None:
    """``(path, problem)`` for the first value that JSON cannot hold exactly, else ``None``."""
    if value is None or isinstance(value, (str, int)):  # bool is an int
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else ("", f"{value} is not a finite number")
    if depth >= _MAX_DEPTH:
        return ("", f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return ("", f"key {key!r} is not a string")
            found = _json_problem(item, depth + 1)
            if found is not None:
                return (f".{key}{found[0]}", found[1])
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _json_problem(item, depth + 1)
            if found is not None:
                return (f"[{i}]{found[0]}", found[1])
        return None
    return ("", f"a {type(value).__name__} is not JSON")


class NotStrictJsonError(ValueError):
    """Valid for Python's json module but not strict JSON: a repeated key, NaN or Infinity."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise NotStrictJsonError(f"key {key!r} appears twice")
            seen.add(key)
    return out


def _no_constant(name: str) -> object:
    raise NotStrictJsonError(f"{name} is not a JSON number")


def loads_strict(text: str | bytes) -> object:
    """Parse JSON text, refusing repeated keys and ``NaN``/``Infinity`` (``ValueError``).

    >>> loads_strict('{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    deconfliction.channel.canonical.NotStrictJsonError: key 'a' appears twice
    """
    return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
