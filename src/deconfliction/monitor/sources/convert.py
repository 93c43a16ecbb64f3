"""Raw columns of one chunk (strings, JSON values or arrays) to a checked TrackBatch.

The common case is vectorised (numpy parses a whole column at once); only a column that
fails that is walked value by value, to name the first bad row or to drop bad rows when
``skip_bad`` is set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources.options import Plan, ReadOptions, ReadStats, RowError

__all__ = ["build_batch", "parse_time"]

FloatArray = npt.NDArray[np.float64]
Column = Sequence[object] | npt.NDArray[np.generic]
# (row index, code, message, column)
Problem = tuple[int, str, str, str]


def parse_time(value: object, naive_utc: bool = False) -> float:
    """Epoch seconds from a number or an ISO 8601 string; ``ValueError`` (with a code) if bad.

    >>> parse_time("2024-05-01T12:00:00Z"), parse_time("1714564800.5")
    (1714564800.0, 1714564800.5)
    >>> parse_time("2024-05-01 12:00:00")
    Traceback (most recent call last):
    ...
    ValueError: NAIVE_TIME
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("BAD_TIME")
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("BAD_TIME") from None
    if dt.tzinfo is None:
        if not naive_utc:
            raise ValueError("NAIVE_TIME")
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (
        isinstance(v, float) and math.isnan(v))


def _floats(col: Column, name: str, problems: list[Problem]) -> FloatArray:
    """Numbers (blank = nan); a value that is not a number is a problem (BAD_NUMBER)."""
    if isinstance(col, np.ndarray) and col.dtype.kind in "fiu":
        return col.astype(np.float64, copy=False)
    try:
        a = np.array(col)
        if a.dtype.kind == "U":
            a[np.char.str_len(np.char.strip(a)) == 0] = "nan"
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    out = np.full(len(col), np.nan)
    for i, v in enumerate(col):
        if _is_blank(v):
            continue
        try:
            if isinstance(v, bool):
                raise ValueError
            out[i] = float(v)
        except (TypeError, ValueError):
            problems.append((i, "BAD_NUMBER", f"{v!r} is not a number", name))
    return out


def _times(col: Column, name: str, naive_utc: bool, problems: list[Problem]) -> FloatArray:
    if isinstance(col, np.ndarray) and col.dtype.kind in "fiu":
        return col.astype(np.float64, copy=False)
    try:
        a = np.array(col)
        if a.dtype.kind in "fiuU":
            return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    out = np.full(len(col), np.nan)
    for i, v in enumerate(col):
        if _is_blank(v):
            continue
        try:
            out[i] = parse_time(v, naive_utc)
        except ValueError as err:
            hint = "; a time needs a UTC offset (or naive_time_utc)" if str(err) == "NAIVE_TIME"\
                else ""
            problems.append((i, str(err), f"{v!r} is not epoch seconds nor ISO 8601{hint}",
                             name))
    return out


def _texts(col: Column) -> list[str]:
    return ["" if _is_blank(v) else str(v).strip() for v in col]


def _mask_problems(a: FloatArray, bad: npt.NDArray[np.bool_], code: str, what: str, name: str,
                   problems: list[Problem]) -> None:
    for i in np.flatnonzero(bad):
        problems.append((int(i), code, f"{what} ({a[i]})", name))


def build_batch(plan: Plan, cols: Mapping[str, Column],
                lines: Sequence[int] | npt.NDArray[np.int64], options: ReadOptions,
                stats: ReadStats | None, where: str = "line") -> TrackBatch:
    """The chunk as a TrackBatch; a bad row raises :class:`RowError` or is dropped (skip_bad)."""
    n = len(lines)
    problems: list[Problem] = []
    t = _times(cols[plan.time], plan.time, options.naive_time_utc, problems)
    lat = _floats(cols[plan.lat], plan.lat, problems)
    lon = _floats(cols[plan.lon], plan.lon, problems)
    alt = np.full(n, np.nan)
    for src in reversed(plan.alts):  # the preferred column last, where it has a value
        v = _floats(cols[src.column], src.column, problems) * src.scale + src.offset
        alt = np.where(np.isnan(v), alt, v)
    speed = np.full(n, np.nan)
    if plan.speed is not None:
        speed = _floats(cols[plan.speed[0]], plan.speed[0], problems) * plan.speed[1]
    heading = np.full(n, np.nan)
    if plan.heading is not None:
        heading = np.mod(_floats(cols[plan.heading], plan.heading, problems), 360.0)
    ids = _texts(cols[plan.id]) if plan.id is not None else [""] * n
    if plan.callsign is not None:
        calls = _texts(cols[plan.callsign])
        ids = [i or c for i, c in zip(ids, calls, strict=True)]
    track = np.array(ids, dtype=object)
    _mask_problems(t, ~np.isfinite(t), "MISSING_VALUE", "no time", plan.time, problems)
    _mask_problems(lat, ~np.isfinite(lat), "MISSING_VALUE", "no latitude", plan.lat, problems)
    _mask_problems(lon, ~np.isfinite(lon), "MISSING_VALUE", "no longitude", plan.lon, problems)
    _mask_problems(lat, np.abs(lat) > 90, "LAT_OUT_OF_RANGE", "latitude outside [-90, 90]",
                   plan.lat, problems)
    _mask_problems(lon, np.abs(lon) > 180, "LON_OUT_OF_RANGE", "longitude outside [-180, 180]",
                   plan.lon, problems)
    _mask_problems(speed, speed < 0, "SPEED_NEGATIVE", "negative speed",
                   plan.speed[0] if plan.speed else "speed", problems)
    no_id = track == ""
    if no_id.any():
        name = plan.id or plan.callsign or "id"
        problems += [(int(i), "MISSING_VALUE", "no icao24 and no callsign", name)
                     for i in np.flatnonzero(no_id)]

    def strs(col: str | None, default: str) -> npt.NDArray[np.object_]:
        if col is None:
            return np.full(n, default, dtype=object)
        return np.array([v or default for v in _texts(cols[col])], dtype=object)

    batch = TrackBatch(track=track, party=strs(plan.party, options.party), t_s=t, lat=lat,
                       lon=lon, alt_m=alt, speed_mps=speed, heading_deg=heading,
                       operation=strs(plan.operation, options.operation))
    if stats is not None:
        stats.rows += n
    if problems:
        if not options.skip_bad:
            i, code, msg, col = min(problems, key=lambda p: p[0])  # first recorded wins
            raise RowError(code, msg, col, int(lines[i]), where)
        bad = np.zeros(n, dtype=bool)
        first: dict[int, str] = {}
        for i, code, _msg, _col in problems:
            first.setdefault(i, code)
            bad[i] = True
        if stats is not None:
            stats.skipped.update(first.values())
        batch = batch.take(np.flatnonzero(~bad))
    if stats is not None:
        stats.reports += len(batch)
    return batch
