"""Straight chords through the WGS84 ellipsoid that bound geodesic lengths from both sides.

The monitor's fast path works with Earth-centred, Earth-fixed (ECEF) coordinates of points
on the ellipsoid's surface. It needs no trigonometry per candidate and has no singularity at
the poles or the antimeridian, and its error is *proven*, not sampled:

* a geodesic is a curve on the surface, so its length ``s`` is at least the straight chord
  ``c`` between its ends: ``s >= c``;
* a geodesic's curvature in space equals the surface's normal curvature along it, at most
  ``KAPPA = 1 / (a (1 - e²))`` (the meridional curvature at the equator). By Schur's
  comparison theorem a curve of curvature <= ``KAPPA`` and length ``s <= π / KAPPA`` has a
  chord at least that of a circular arc of radius ``1 / KAPPA``, so
  ``s <= arc(c) = 2 / KAPPA · asin(KAPPA · c / 2)`` (:func:`arc_upper`);
* a geodesic edge of length ``L`` stays within its comparison arc's sagitta
  ``(1 - cos(KAPPA · L / 2)) / KAPPA`` of its chord; :func:`sag` doubles that for safety.

So ``c <= s <= c + c³·KAPPA²/24 + …``: 0.17 m of doubt on 55 km, 1 mm on 10 km.
``tests/monitor/test_chords.py`` checks both bounds against GeographicLib.

>>> import math
>>> a = ecef(33.50583, 38.61778)
>>> b = ecef(33.30, 38.64)
>>> c = math.dist(a, b)
>>> c <= 22922.333 <= arc_upper(c), round(arc_upper(c) - c, 4)
(True, 0.0125)
"""

from __future__ import annotations

import math

from deconfliction.core.kernels import jit

__all__ = ["A_M", "E2", "KAPPA", "MAX_CHORD_RADIUS_M", "arc_upper", "ecef", "sag"]

A_M = 6378137.0
_F = 1 / 298.257223563
E2 = _F * (2 - _F)
#: the greatest normal curvature of the WGS84 ellipsoid (1/m): the meridian at the equator
KAPPA = 1.0 / (A_M * (1 - E2))
#: beyond this radius (or half width) a row is always decided by the exact computation: the
#: chord bounds need geodesics shorter than π / KAPPA (19,903 km) with room to spare
MAX_CHORD_RADIUS_M = 5_000_000.0


@jit
def ecef(lat: float, lon: float) -> tuple[float, float, float]:
    """ECEF coordinates (metres) of the surface point at geodetic ``lat``, ``lon`` (degrees)."""
    la, lo = math.radians(lat), math.radians(lon)
    s, c = math.sin(la), math.cos(la)
    n = A_M / math.sqrt(1.0 - E2 * s * s)
    return n * c * math.cos(lo), n * c * math.sin(lo), n * (1.0 - E2) * s


@jit
def arc_upper(c: float) -> float:
    """An upper bound (metres) of a geodesic's length whose chord is ``c`` metres."""
    x = KAPPA * c / 2.0
    if x >= 1.0:
        return math.inf
    if x < 0.5:  # asin(x) <= x + x³ / (6 (1 - x²)): every further term of asin is smaller
        return c + (2.0 / KAPPA) * x * x * x / (6.0 * (1.0 - x * x))
    return 2.0 / KAPPA * math.asin(x)


@jit
def sag(length_m: float) -> float:
    """How far (metres) a geodesic of ``length_m`` may stray from its chord, doubled."""
    half = min(KAPPA * length_m / 4.0, math.pi / 4)  # 1 - cos(2h) = 2 sin²(h), without loss
    return 4.0 * math.sin(half) ** 2 / KAPPA + 1e-6
