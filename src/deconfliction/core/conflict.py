"""Conflicts are data: which two objects, when, at what heights, how close, and why.

>>> from datetime import datetime, timezone
>>> c = Conflict(
...     a_id="pursuit", a_kind="operation", a_volume=0, b_id="at-tanf", b_kind="zone", b_volume=0,
...     reason="ZONE_ENTRY_NOT_ALLOWED", parties=("russia",),
...     time=TimeInterval(datetime(2018, 9, 10, tzinfo=timezone.utc),
...                       datetime(2018, 9, 12, tzinfo=timezone.utc)),
...     alt_lower_m=0.0, alt_upper_m=10_000.0, separation_m=-12_000.0,
...     required_separation_m=0.0, witness=(33.7, 38.5))
>>> c.to_dict()["separation_m"]
-12000.0
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from deconfliction.core.outline import LatLon
from deconfliction.core.timeinterval import TimeInterval

__all__ = ["REASONS", "Conflict", "ObjectKind"]

ObjectKind = Literal["zone", "operation"]

#: why two objects conflict
REASONS = {
    "ZONE_ENTRY_NOT_ALLOWED": "the operation enters a zone its parties are not allowed in",
    "OPERATIONS_OVERLAP": "operations of different parties come closer than their separation",
}


class Conflict(NamedTuple):
    """One pair of volumes, of two objects, that come too close in 4D.

    ``separation_m`` is the minimum horizontal geodesic distance between the two outlines:
    positive when they are apart, zero or negative when they overlap (minus how far the
    grown parts reach into each other: for two circles, ``distance between centres − r1 − r2``).
    ``witness`` is a point that shows it: inside both outlines when they overlap, otherwise
    half-way across the gap. ``parties`` are the parties whose presence makes it a conflict.

    An immutable named tuple: a check may return hundreds, and a tuple is the cheapest
    immutable record Python builds.
    """

    a_id: str
    a_kind: ObjectKind
    a_volume: int
    b_id: str
    b_kind: ObjectKind
    b_volume: int
    reason: str
    parties: tuple[str, ...]
    time: TimeInterval
    alt_lower_m: float
    alt_upper_m: float
    separation_m: float
    required_separation_m: float
    witness: LatLon

    @property
    def explanation(self) -> str:
        """A sentence for people."""
        if self.separation_m <= 0:
            gap = f"overlap (separation {self.separation_m:,.1f} m)"
        else:
            gap = (
                f"come within {self.separation_m:,.1f} m "
                f"(required {self.required_separation_m:,.1f} m)"
            )
        return f"{self.a_kind} {self.a_id} and {self.b_kind} {self.b_id} {gap}: " + REASONS.get(
            self.reason, self.reason
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "a": {"id": self.a_id, "kind": self.a_kind, "volume": self.a_volume},
            "b": {"id": self.b_id, "kind": self.b_kind, "volume": self.b_volume},
            "reason": self.reason,
            "parties": list(self.parties),
            **self.time.to_dict(),
            "alt_lower_m": self.alt_lower_m,
            "alt_upper_m": self.alt_upper_m,
            "separation_m": self.separation_m,
            "required_separation_m": self.required_separation_m,
            "witness": {"lat": self.witness[0], "lon": self.witness[1]},
            "explanation": self.explanation,
        }
