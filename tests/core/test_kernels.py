"""The compiled geodesic kernels agree with GeographicLib (pyproj) to under a millimetre."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core import kernels
from deconfliction.core.geodesy import forward, inverse

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 50_000
    lat1 = rng.uniform(-89.5, 89.5, n)
    lon1 = rng.uniform(-180, 180, n)
    scale = 10 ** rng.uniform(-5, 2.2, n)  # from a metre to across the globe
    lat2 = np.clip(lat1 + rng.normal(0, 1, n) * scale, -89.9, 89.9)
    lon2 = (lon1 + rng.normal(0, 1, n) * scale + 180) % 360 - 180
    return lat1, lon1, lat2, lon2


def test_inverse_agrees_with_geographiclib(pairs: tuple[np.ndarray, ...]) -> None:
    lat1, lon1, lat2, lon2 = pairs
    az1, _, s, ok = kernels.inverse_many(lat1, lon1, lat2, lon2)
    ref_az, _, ref_s = GEOD.inv(lon1, lat1, lon2, lat2)
    assert ok.mean() > 0.999
    assert np.max(np.abs(s - ref_s)[ok]) < 1e-3  # metres
    long_enough = ok & (ref_s > 1.0)
    daz = (az1 - ref_az + 180) % 360 - 180
    assert np.max(np.abs(daz[long_enough])) < 1e-6  # degrees


def test_direct_agrees_with_geographiclib(pairs: tuple[np.ndarray, ...]) -> None:
    lat1, lon1, _, _ = pairs
    rng = np.random.default_rng(8)
    az = rng.uniform(-180, 180, lat1.size)
    dist = 10 ** rng.uniform(0, 7.2, lat1.size)
    lat2, lon2, _ = kernels.direct_many(lat1, lon1, az, dist)
    ref_lon, ref_lat, _ = GEOD.fwd(lon1, lat1, az, dist)
    _, _, miss = GEOD.inv(lon2, lat2, ref_lon, ref_lat)
    assert np.max(miss) < 1e-3


def test_antipodal_falls_back_to_geographiclib() -> None:
    # Vincenty's inverse iteration fails for nearly antipodal points; the wrapper must not
    lat1, lon1, lat2, lon2 = 0.0, 0.0, 0.5, 179.7
    *_, ok = kernels.inverse_one(lat1, lon1, lat2, lon2)
    assert not ok
    _, _, d = inverse(lat1, lon1, lat2, lon2)
    assert float(d) == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], abs=1e-6)


def test_forward_back_azimuth_matches_pyproj() -> None:
    lat, lon, baz = forward(33.5, 38.6, 45.0, 100_000.0)
    ref_lon, ref_lat, ref_baz = GEOD.fwd(38.6, 33.5, 45.0, 100_000.0)
    assert float(lat) == pytest.approx(ref_lat, abs=1e-9)
    assert float(lon) == pytest.approx(ref_lon, abs=1e-9)
    assert ((float(baz) - ref_baz + 180) % 360 - 180) == pytest.approx(0.0, abs=1e-7)


def test_point_segment_matches_dense_sampling() -> None:
    alat, alon, blat, blon = 60.0, 10.0, 61.0, 30.0
    az, _, length = GEOD.inv(alon, alat, blon, blat)
    pts = np.array(GEOD.npts(alon, alat, blon, blat, 20_000))
    for plat, plon in ((62.0, 20.0), (59.0, 5.0), (60.9, 29.0), (55.0, 20.0)):
        d, *_rest, ok = kernels.point_segment_one(plat, plon, alat, alon, az, length)
        assert ok
        _, _, ds = GEOD.inv(np.full(len(pts), plon), np.full(len(pts), plat), pts[:, 0], pts[:, 1])
        _, _, da = GEOD.inv(plon, plat, alon, alat)
        _, _, db = GEOD.inv(plon, plat, blon, blat)
        brute = min(ds.min(), da, db)
        assert d <= brute + 1e-3  # never longer than any sampled point
        assert d == pytest.approx(brute, abs=0.5)  # sampling spacing is ~60 m
