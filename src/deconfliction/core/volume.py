"""``Volume4D``: an outline, an altitude band and a half-open time interval.

Altitudes are metres above the WGS84 ellipsoid; the band ``[alt_lower_m, alt_upper_m]``
is closed. Times are UTC, ``[time_start, time_end)``, either end may be open.

>>> from datetime import datetime, timezone
>>> v = Volume4D(Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0,
...              TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None))
>>> v.alt_overlap(Volume4D(v.outline, 19_000.0, 30_000.0, v.time))
(19000.0, 20000.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from deconfliction.core.errors import ValidationError
from deconfliction.core.limits import DEFAULT_LIMITS, Limits
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval

__all__ = ["Circle", "Corridor", "Polygon", "TimeInterval", "Volume4D"]


@dataclass(frozen=True)
class Volume4D:
    """A horizontal outline between two altitudes during a time interval."""

    outline: Outline
    alt_lower_m: float
    alt_upper_m: float
    time: TimeInterval

    def __post_init__(self) -> None:
        self.validate(DEFAULT_LIMITS)

    def validate(self, limits: Limits) -> None:
        """Check the altitude band and the outline against ``limits``."""
        if not isinstance(self.outline, Circle | Polygon | Corridor):
            raise ValidationError("BAD_OUTLINE", "outline must be a circle, polygon or corridor",
                                  "outline")
        for name in ("alt_lower_m", "alt_upper_m"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValidationError("BAD_ALTITUDE", f"{name} must be a number", name)
            if not math.isfinite(value):
                raise ValidationError("NOT_FINITE", f"{name} is {value}", name)
            if not limits.min_alt_m <= value <= limits.max_alt_m:
                raise ValidationError(
                    "ALT_OUT_OF_RANGE",
                    f"{name} {value} m is outside [{limits.min_alt_m}, {limits.max_alt_m}]",
                    name,
                )
        if self.alt_lower_m > self.alt_upper_m:
            raise ValidationError(
                "ALT_BAND_INVERTED",
                f"alt_lower_m {self.alt_lower_m} is above alt_upper_m {self.alt_upper_m}",
                "alt_lower_m",
            )
        if not isinstance(self.time, TimeInterval):
            raise ValidationError("BAD_TIME", "time must be a TimeInterval", "time")
        self.outline.validate(limits)

    def alt_overlap(self, other: Volume4D) -> tuple[float, float] | None:
        """The shared altitude band, or ``None`` when the bands are apart."""
        lo = max(self.alt_lower_m, other.alt_lower_m)
        hi = min(self.alt_upper_m, other.alt_upper_m)
        return (lo, hi) if lo <= hi else None

    def shifted(self, seconds: float) -> Volume4D:
        """The same volume moved in time by ``seconds``."""
        return replace(self, time=self.time.shifted(seconds))
