"""Limits on the size of input, declared once.

>>> DEFAULT_LIMITS.max_vertices
10000
"""

from __future__ import annotations

from dataclasses import dataclass

from deconfliction.core.geodesy import HALF_CIRCUMFERENCE_M

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """What an outline may be at most (or at least)."""

    #: vertices in one polygon (all rings) or corridor
    max_vertices: int = 10_000
    #: a circle's radius or a corridor's half width
    max_radius_m: float = HALF_CIRCUMFERENCE_M
    #: lowest and highest altitude accepted, metres above the WGS84 ellipsoid
    min_alt_m: float = -1_000.0
    max_alt_m: float = 100_000.0
    #: volumes in one zone or operation
    max_volumes: int = 1_000


DEFAULT_LIMITS = Limits()
