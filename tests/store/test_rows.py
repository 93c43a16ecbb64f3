"""Row columns: the lat/lon box holds the whole grown outline; validity in epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconfliction.core.objects import Operation
from deconfliction.core.outline import Circle
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.formats.native import object_from_dict
from deconfliction.store.rows import row_of

GEOD = Geod(ellps="WGS84")
T0 = datetime(2018, 9, 7, tzinfo=UTC)


def _op(lat: float, lon: float, radius_m: float, buffer_m: float, hours: int | None) -> Operation:
    end = None if hours is None else T0 + timedelta(hours=hours)
    return Operation(
        id="op", name="", owner="russia", buffer_m=buffer_m,
        volumes=(Volume4D(Circle(lat, lon, radius_m), 0.0, 100.0, TimeInterval(T0, end)),),
    )


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-180, 180),
    radius_m=st.floats(1.0, 500_000.0),
    buffer_m=st.floats(0.0, 50_000.0),
    hours=st.one_of(st.none(), st.integers(1, 1000)),
)
def test_the_box_holds_the_grown_circle(
    lat: float, lon: float, radius_m: float, buffer_m: float, hours: int | None
) -> None:
    op = _op(lat, lon, radius_m, buffer_m, hours)
    row = row_of(op, T0)
    az = np.linspace(0.0, 360.0, 721)
    plon, plat, _ = GEOD.fwd(np.full(az.size, lon), np.full(az.size, lat), az,
                             np.full(az.size, radius_m + buffer_m))
    assert row["min_lat"] <= plat.min() and plat.max() <= row["max_lat"]
    assert row["min_lat"] <= row["max_lat"] and row["min_lon"] <= row["max_lon"]
    if row["max_lon"] - row["min_lon"] < 360.0:  # not the full band
        assert np.all((row["min_lon"] <= plon) & (plon <= row["max_lon"]))
    assert row["time_start_s"] == T0.timestamp()
    assert row["time_end_s"] == (None if hours is None else T0.timestamp() + 3600 * hours)
    assert object_from_dict(row["body"]) == op
