"""The chord bounds hold against GeographicLib: chord <= geodesic <= arc_upper(chord)."""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod

from deconfliction.monitor.chords import arc_upper, ecef, sag

GEOD = Geod(ellps="WGS84")


def test_chord_bounds_the_geodesic_on_both_sides() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    lat = rng.uniform(-89.9, 89.9, n)
    lon = rng.uniform(-180, 180, n)
    dist = 10.0 ** rng.uniform(0, 6.5, n)  # 1 m to 3,000 km
    x, y, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360, n), dist)
    _, _, s = GEOD.inv(lon, lat, x, y)
    for i in range(n):
        c = math.dist(ecef(lat[i], lon[i]), ecef(y[i], x[i]))
        assert c <= s[i] + 1e-6
        assert s[i] <= arc_upper(c) + 1e-6


def test_geodesic_edges_stay_within_the_sag_of_their_chord() -> None:
    rng = np.random.default_rng(12)
    for _ in range(300):
        lat, lon = rng.uniform(-80, 80), rng.uniform(-180, 180)
        length = 10.0 ** rng.uniform(2, 6)
        az = rng.uniform(0, 360)
        s = np.linspace(0, length, 33)
        x, y, _ = GEOD.fwd(np.full(33, lon), np.full(33, lat), np.full(33, az), s)
        a = np.array(ecef(lat, lon))
        b = np.array(ecef(y[-1], x[-1]))
        d = b - a
        for k in range(33):
            p = np.array(ecef(y[k], x[k])) - a
            t = min(max(p @ d / (d @ d), 0.0), 1.0)
            assert np.linalg.norm(p - t * d) <= sag(length) / 2 + 1e-6  # sag is doubled
