"""The DSS's limits, declared once (the values InterUSS's reference DSS uses where F3548
leaves them to the implementation).

>>> DSS_LIMITS.max_subscription_s / 3600, DSS_LIMITS.max_horizon_s / 86400
(24.0, 30.0)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DSS_LIMITS", "DssLimits"]


@dataclass(frozen=True, slots=True)
class DssLimits:
    """What a request may ask for at most."""

    #: a subscription's duration (400 beyond)
    max_subscription_s: float = 24 * 3600.0
    #: how far ahead an intent or constraint may end (400 beyond)
    max_horizon_s: float = 30 * 86400.0
    #: vertices of one polygon (400 beyond)
    max_vertices: int = 1_000
    #: volumes in one write's extents (400 beyond)
    max_extents: int = 100
    #: a query's or a write's horizontal extent: the radius of a circle, or the distance
    #: of a polygon vertex from the first one (413 beyond)
    max_span_m: float = 400_000.0
    #: subscriptions of one USS (429 beyond)
    max_subscriptions_per_uss: int = 10_000
    #: references returned by one query (413 beyond)
    max_query_results: int = 10_000


DSS_LIMITS = DssLimits()
