"""The HTTP batch endpoint's body: JSON lines with the native field names, checked strictly.

One report per line::

    {"track": "rf01", "party": "russia", "t_s": 1714564800, "lat": 33.3, "lon": 38.6,
     "alt_m": 500, "speed_mps": 120, "heading_deg": 90, "operation": "patrol"}

``track``, ``lat``, ``lon`` and one of ``t_s`` (epoch s) / ``time`` (epoch s or ISO 8601
with a UTC offset) are required; ``alt_m`` (m above the WGS84 ellipsoid), ``speed_mps``,
``heading_deg`` (true course, [0, 360]) may be null or absent (unknown); ``party`` and
``operation`` are strings. Anything else is refused: the first bad line raises
:class:`~deconfliction.monitor.sources.options.RowError` (a ``ValidationError``) naming the
line, the field and a stable code; nothing of the body is taken.

>>> b = batch_from_jsonl(b'{"track": "a", "t_s": 10, "lat": 1, "lon": 2}\\n')
>>> len(b), b.track[0], float(b.alt_m[0])
(1, 'a', nan)
>>> batch_from_jsonl(b'{"track": "a", "t_s": 10, "lat": 91, "lon": 2}')
Traceback (most recent call last):
...
deconfliction.monitor.sources.options.RowError: line 1: lat: 91 is outside [-90, 90]
"""

from __future__ import annotations

import json
import math

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources.convert import parse_time
from deconfliction.monitor.sources.options import RowError

__all__ = ["batch_from_jsonl", "batch_to_jsonl"]

_NUMBERS = ("lat", "lon", "alt_m", "speed_mps", "heading_deg")
_STRINGS = ("track", "party", "operation")
_KNOWN = frozenset(("t_s", "time", *_NUMBERS, *_STRINGS))
_RANGES = {"lat": (-90.0, 90.0, "LAT_OUT_OF_RANGE"), "lon": (-180.0, 180.0, "LON_OUT_OF_RANGE"),
           "speed_mps": (0.0, math.inf, "SPEED_NEGATIVE"),
           "heading_deg": (0.0, 360.0, "HEADING_OUT_OF_RANGE")}


def _number(obj: dict[str, object], key: str, line: int, required: bool) -> float:
    v = obj.get(key)
    if v is None:
        if required:
            raise RowError("MISSING_VALUE", f"{key} is required", key, line)
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise RowError("BAD_TYPE", f"{key} must be a number, not {v!r}", key, line)
    x = float(v)
    if not math.isfinite(x):
        raise RowError("NOT_FINITE", f"{key} is {x}", key, line)
    if key in _RANGES:
        lo, hi, code = _RANGES[key]
        if not lo <= x <= hi:
            raise RowError(code, f"{v} is outside [{lo:g}, {hi:g}]", key, line)
    return x


def batch_from_jsonl(data: bytes) -> TrackBatch:
    """The reports in ``data`` (UTF-8 JSON lines; blank lines ignored) as one batch."""
    cols: dict[str, list[object]] = {k: [] for k in ("t_s", *_NUMBERS, *_STRINGS)}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RowError("BAD_ENCODING", f"not UTF-8 at byte {exc.start}", "*", 1) from None
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RowError("BAD_JSON", f"not JSON: {exc.msg}", "*", line) from None
        if not isinstance(obj, dict):
            raise RowError("NOT_AN_OBJECT", "a line must be a JSON object", "*", line)
        unknown = sorted(set(obj) - _KNOWN)
        if unknown:
            raise RowError("UNKNOWN_FIELD", f"unknown field (known: {sorted(_KNOWN)})",
                           unknown[0], line)
        for key in _STRINGS:
            v = obj.get(key, "")
            if not isinstance(v, str) or (key == "track" and not v):
                code = "MISSING_VALUE" if key == "track" and v in ("", None) else "BAD_TYPE"
                raise RowError(code, f"{key} must be a non-empty string" if key == "track"
                               else f"{key} must be a string", key, line)
            cols[key].append(v)
        if ("t_s" in obj) == ("time" in obj):
            raise RowError("MISSING_VALUE" if "t_s" not in obj else "BAD_FIELD",
                           "give exactly one of t_s and time", "t_s", line)
        if "t_s" in obj:
            cols["t_s"].append(_number(obj, "t_s", line, True))
        else:
            try:
                cols["t_s"].append(parse_time(obj["time"]))
            except ValueError as exc:
                raise RowError(str(exc), f"{obj['time']!r} is not epoch seconds nor ISO 8601 "
                               "with a UTC offset", "time", line) from None
        for key in _NUMBERS:
            cols[key].append(_number(obj, key, line, key in ("lat", "lon")))
    return TrackBatch.of(**cols)  # type: ignore[arg-type]


def batch_to_jsonl(batch: TrackBatch) -> bytes:
    """``batch`` as the JSON lines :func:`batch_from_jsonl` reads (unknown values null).

    >>> b = TrackBatch.of(track=["a"], party=["p"], t_s=[10], lat=[1], lon=[2])
    >>> batch_from_jsonl(batch_to_jsonl(b)).party.tolist()
    ['p']
    """
    def num(x: float) -> float | None:
        return None if math.isnan(x) else float(x)

    rows = []
    for i in range(len(batch)):
        rows.append(json.dumps({
            "track": str(batch.track[i]), "party": str(batch.party[i]),
            "t_s": float(batch.t_s[i]), "lat": float(batch.lat[i]), "lon": float(batch.lon[i]),
            "alt_m": num(batch.alt_m[i]), "speed_mps": num(batch.speed_mps[i]),
            "heading_deg": num(batch.heading_deg[i]), "operation": str(batch.operation[i])}))
    return ("\n".join(rows) + "\n").encode() if rows else b""
