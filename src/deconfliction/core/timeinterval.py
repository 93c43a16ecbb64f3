"""Half-open UTC time intervals ``[start, end)`` with open ends.

Times are timezone-aware ``datetime`` objects in UTC; naive datetimes are refused,
aware ones in another zone are converted. ``None`` as an end means unbounded.

Examples
--------
>>> from datetime import datetime, timezone
>>> t = lambda d: datetime(2018, 9, d, tzinfo=timezone.utc)
>>> a = TimeInterval(t(7), t(15))
>>> b = TimeInterval(t(10), t(12))
>>> a.overlaps(b), a.intersection(b) == b
(True, True)
>>> TimeInterval(t(1), t(7)).overlaps(a)  # half-open: touching ends do not overlap
False
>>> TimeInterval(t(1), None).contains(t(30))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from deconfliction.core.errors import ValidationError

__all__ = ["TimeInterval", "format_utc", "parse_utc", "require_utc", "to_epoch_s"]


def require_utc(value: datetime, field: str = "time") -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes with ``NAIVE_DATETIME``."""
    if not isinstance(value, datetime):
        raise ValidationError("BAD_TIME", f"expected a datetime, got {value!r}", field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            "NAIVE_DATETIME", f"{value.isoformat()} has no time zone; give it in UTC", field
        )
    return value.astimezone(UTC)


def parse_utc(text: str, field: str = "time") -> datetime:
    """Parse an ISO 8601 timestamp that states its zone (``Z`` or an offset).

    >>> parse_utc("2018-09-07T00:00:00Z").isoformat()
    '2018-09-07T00:00:00+00:00'
    """
    if not isinstance(text, str):
        raise ValidationError("BAD_TIME", f"expected an ISO 8601 string, got {text!r}", field)
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValidationError("BAD_TIME", f"{text!r} is not an ISO 8601 timestamp", field) from None
    return require_utc(value, field)


def format_utc(value: datetime | None) -> str | None:
    """ISO 8601 with a ``Z`` (``None`` stays ``None``).

    >>> format_utc(datetime(2018, 9, 7, tzinfo=UTC))
    '2018-09-07T00:00:00Z'
    """
    if value is None:
        return None
    return require_utc(value).isoformat().replace("+00:00", "Z")


def to_epoch_s(value: datetime | None, default: float) -> float:
    """Seconds since the Unix epoch, or ``default`` for an open end.

    >>> to_epoch_s(None, math.inf)
    inf
    """
    return default if value is None else value.timestamp()


@dataclass(frozen=True, slots=True)
class TimeInterval:
    """The half-open interval ``[start, end)`` in UTC; ``None`` is an open end."""

    start: datetime | None
    end: datetime | None

    def __post_init__(self) -> None:
        if self.start is not None:
            object.__setattr__(self, "start", require_utc(self.start, "time_start"))
        if self.end is not None:
            object.__setattr__(self, "end", require_utc(self.end, "time_end"))
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError(
                "EMPTY_TIME_INTERVAL",
                f"time_end {self.end.isoformat()} is not after time_start "
                f"{self.start.isoformat()}",
                "time_end",
            )

    @property
    def start_s(self) -> float:
        """Start in epoch seconds (``-inf`` when open)."""
        return to_epoch_s(self.start, -math.inf)

    @property
    def end_s(self) -> float:
        """End in epoch seconds (``inf`` when open)."""
        return to_epoch_s(self.end, math.inf)

    def overlaps(self, other: TimeInterval) -> bool:
        """True when the two half-open intervals share an instant."""
        return self.start_s < other.end_s and other.start_s < self.end_s

    def contains(self, instant: datetime) -> bool:
        """True when ``instant`` lies in ``[start, end)``."""
        t = require_utc(instant).timestamp()
        return self.start_s <= t < self.end_s

    def intersection(self, other: TimeInterval) -> TimeInterval | None:
        """The shared part, or ``None`` when they do not overlap."""
        if not self.overlaps(other):
            return None
        starts = [s for s in (self.start, other.start) if s is not None]
        ends = [e for e in (self.end, other.end) if e is not None]
        return TimeInterval(max(starts) if starts else None, min(ends) if ends else None)

    def overlap_of(self, other: TimeInterval) -> TimeInterval:
        """The shared part of two intervals already known to overlap (no re-validation)."""
        start = self.start if other.start is None or (
            self.start is not None and self.start >= other.start) else other.start
        end = self.end if other.end is None or (
            self.end is not None and self.end <= other.end) else other.end
        out = object.__new__(TimeInterval)
        object.__setattr__(out, "start", start)
        object.__setattr__(out, "end", end)
        return out

    def shifted(self, seconds: float) -> TimeInterval:
        """The same interval moved by ``seconds``."""
        from datetime import timedelta

        delta = timedelta(seconds=seconds)
        return TimeInterval(
            None if self.start is None else self.start + delta,
            None if self.end is None else self.end + delta,
        )

    def to_dict(self) -> dict[str, str | None]:
        """ISO 8601 strings (``None`` for open ends)."""
        return {"time_start": format_utc(self.start), "time_end": format_utc(self.end)}
