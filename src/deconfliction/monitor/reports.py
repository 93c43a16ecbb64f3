"""Batches of position reports: checked once at the edge, then plain float arrays.

>>> r = check_reports([33.3], [38.64], [500.0], [1.5e9])
>>> r.lat.dtype.name, r.lat.size
('float64', 1)
>>> check_reports([33.3, 95.0], [38.6, 38.6], [0.0, 0.0], [0.0, 0.0])
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: lat[1]: latitude 95.0 is outside [-90, 90]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconfliction.core.errors import ValidationError

__all__ = ["Reports", "check_reports"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Reports:
    """Latitudes and longitudes (degrees), altitudes (m above WGS84) and times (epoch s)."""

    lat: FloatArray
    lon: FloatArray
    alt: FloatArray
    t: FloatArray


def _column(values: object, name: str) -> FloatArray:
    try:
        a = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("BAD_REPORTS", f"{name} must be an array of numbers", name) from None
    if a.ndim != 1:
        raise ValidationError("BAD_REPORTS", f"{name} must be one-dimensional", name)
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValidationError("NOT_FINITE", f"{name} is {a[i]}", f"{name}[{i}]")
    return a


def check_reports(lat: object, lon: object, alt_m: object, t_s: object) -> Reports:
    """The four columns as float64 arrays; refuses bad input with a stable code.

    Codes: ``BAD_REPORTS`` (not numbers, not 1-D, lengths differ), ``NOT_FINITE``,
    ``LAT_OUT_OF_RANGE`` (outside [-90, 90]), ``LON_OUT_OF_RANGE`` (outside [-180, 180]).
    """
    r = Reports(_column(lat, "lat"), _column(lon, "lon"), _column(alt_m, "alt_m"),
                _column(t_s, "t_s"))
    n = r.lat.size
    for name, a in (("lon", r.lon), ("alt_m", r.alt), ("t_s", r.t)):
        if a.size != n:
            raise ValidationError(
                "BAD_REPORTS", f"{name} has {a.size} values, lat has {n}", name)
    for name, a, lim, code, what in (
        ("lat", r.lat, 90.0, "LAT_OUT_OF_RANGE", "latitude"),
        ("lon", r.lon, 180.0, "LON_OUT_OF_RANGE", "longitude"),
    ):
        bad = np.abs(a) > lim
        if bad.any():
            i = int(np.argmax(bad))
            raise ValidationError(code, f"{what} {a[i]} is outside [-{lim:g}, {lim:g}]",
                                  f"{name}[{i}]")
    return r
