"""CSV, JSON lines and Parquet readers: the same rows give the same reports in each format."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from adsb_samples import Rows, Writer, opensky_rows, write_csv, write_jsonl, write_parquet

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources import (
    ReadOptions,
    ReadStats,
    RowError,
    read_csv,
    read_jsonl,
    read_parquet,
)

KT = 1852 / 3600
FT = 0.3048


def read(path: Path, options: ReadOptions | None = None,
         stats: ReadStats | None = None) -> Iterator[TrackBatch]:
    reader = {".csv": read_csv, ".jsonl": read_jsonl, ".parquet": read_parquet}[path.suffix]
    return reader(path, options or ReadOptions(), stats)


def read_all(path: Path, options: ReadOptions | None = None,
             stats: ReadStats | None = None) -> TrackBatch:
    return TrackBatch.concat(list(read(path, options, stats)))


def test_opensky_columns(write: Writer, tmp_path: Path) -> None:
    b = read_all(write(opensky_rows(), tmp_path / "a"), ReadOptions(party="coalition"))
    assert len(b) == 10
    assert b.track.tolist()[:4] == ["4ca000", "4ca001", "4ca002", "4ca000"]
    np.testing.assert_allclose(b.t_s, 1_714_564_800 + np.arange(10))
    np.testing.assert_allclose(b.lat, 33.3 + np.arange(10) * 0.01)
    np.testing.assert_allclose(b.alt_m, 3050.0 + np.arange(10))  # geoaltitude, metres
    np.testing.assert_allclose(b.speed_mps, 100.0 + np.arange(10))  # velocity is m/s
    np.testing.assert_allclose(b.heading_deg, 90.0 + np.arange(10))
    assert set(b.party) == {"coalition"} and set(b.operation) == {""}


def test_feet_knots_iso_time_and_callsign_fallback(write: Writer, tmp_path: Path) -> None:
    rows: Rows = [{"timestamp": "2024-05-01T12:00:00Z", "icao24": None, "callsign": "RFF01",
                   "latitude": 33.3, "longitude": 38.6, "altitude": 10000, "groundspeed": 250,
                   "track": 370, "party": "russia", "operation": "patrol"},
                  {"timestamp": "2024-05-01T14:00:01+02:00", "icao24": "abc123",
                   "callsign": "X", "latitude": -33.3, "longitude": -38.6, "altitude": None,
                   "groundspeed": None, "track": None, "party": None, "operation": None}]
    b = read_all(write(rows, tmp_path / "a"), ReadOptions(party="unknown"))
    assert b.track.tolist() == ["RFF01", "abc123"]
    assert b.t_s.tolist() == [1714564800.0, 1714564801.0]
    assert b.alt_m[0] == pytest.approx(10000 * FT) and np.isnan(b.alt_m[1])
    assert b.speed_mps[0] == pytest.approx(250 * KT) and np.isnan(b.speed_mps[1])
    assert b.heading_deg[0] == pytest.approx(10.0) and np.isnan(b.heading_deg[1])
    assert b.party.tolist() == ["russia", "unknown"]
    assert b.operation.tolist() == ["patrol", ""]


def test_units_and_columns_are_configurable(write: Writer, tmp_path: Path) -> None:
    rows: Rows = [{"Time": 5, "Hex": "a1", "Y": 1.0, "X": 2.0, "H": 100.0, "V": 10.0}]
    opts = ReadOptions(columns={"time": "Time", "id": "Hex", "lat": "Y", "lon": "X", "alt": "H",
                                "speed": "V"}, altitude_unit="ft", speed_unit="kt")
    b = read_all(write(rows, tmp_path / "a"), opts)
    assert (b.track[0], b.t_s[0], b.lat[0], b.lon[0]) == ("a1", 5.0, 1.0, 2.0)
    assert b.alt_m[0] == pytest.approx(30.48) and b.speed_mps[0] == pytest.approx(10 * KT)
    # A mapped altitude column without a unit is metres; m/s for speed.
    b = read_all(write(rows, tmp_path / "b"), ReadOptions(columns={**opts.columns}))
    assert (b.alt_m[0], b.speed_mps[0]) == (100.0, 10.0)


def test_geometric_preferred_barometric_fallback_with_geoid_offset(write: Writer,
                                                                   tmp_path: Path) -> None:
    rows = opensky_rows(3)
    rows[1]["geoaltitude"] = None
    b = read_all(write(rows, tmp_path / "a"), ReadOptions(msl_to_ellipsoid_m=20.0))
    assert b.alt_m.tolist() == [3050.0, 3001.0 + 20.0, 3052.0]


def test_chunks_stream_in_order(write: Writer, tmp_path: Path) -> None:
    path = write(opensky_rows(10), tmp_path / "a")
    stats = ReadStats()
    sizes = [len(b) for b in read(path, ReadOptions(chunk_size=3), stats)]
    assert sum(sizes) == 10 and max(sizes) <= 3 and len(sizes) >= 4
    assert (stats.rows, stats.reports, sum(stats.skipped.values())) == (10, 10, 0)
    assert read_all(path, ReadOptions(chunk_size=3)).t_s.tolist() == read_all(path).t_s.tolist()


BAD = [
    ("lat", 95.0, "LAT_OUT_OF_RANGE"),
    ("lon", -181.0, "LON_OUT_OF_RANGE"),
    ("lat", None, "MISSING_VALUE"),
    ("time", None, "MISSING_VALUE"),
    ("time", "yesterday", "BAD_TIME"),
    ("time", "2024-05-01T12:00:00", "NAIVE_TIME"),
    ("velocity", -3.0, "SPEED_NEGATIVE"),
]


@pytest.mark.parametrize(("column", "value", "code"), BAD)
def test_bad_row_names_code_line_and_column(write: Writer, fmt: str, tmp_path: Path,
                                             column: str, value: object, code: str) -> None:
    rows = opensky_rows(6)
    rows[4][column] = value
    if fmt == "parquet" and column == "time":  # one column type per Parquet column
        for r in rows:
            r["time"] = str(r["time"]) if r["time"] is not None else None
        rows[4][column] = value
    path = write(rows, tmp_path / "a")
    with pytest.raises(RowError) as err:
        read_all(path, ReadOptions(chunk_size=2))
    line = 5 if fmt == "parquet" else 6 if fmt == "csv" else 5  # header is CSV's line 1
    assert (err.value.code, err.value.line, err.value.column) == (code, line, column)
    assert isinstance(err.value, ValidationError)
    where = "row" if fmt == "parquet" else "line"
    assert str(err.value).startswith(f"{where} {line}: {column}: ")
    stats = ReadStats()
    b = read_all(path, ReadOptions(chunk_size=2, skip_bad=True), stats)
    assert len(b) == 5 and 1_714_564_804 not in b.t_s.tolist()
    assert (stats.rows, stats.reports, dict(stats.skipped)) == (6, 5, {code: 1})


def test_bad_number_and_no_id(tmp_path: Path) -> None:
    rows = opensky_rows(3)
    rows[1]["baroaltitude"] = "high"
    with pytest.raises(RowError) as err:
        read_all(write_csv(rows, tmp_path / "a"))
    assert (err.value.code, err.value.line, err.value.column) == ("BAD_NUMBER", 3,
                                                                  "baroaltitude")
    rows = opensky_rows(3)
    rows[2]["icao24"] = rows[2]["callsign"] = " "
    with pytest.raises(RowError) as err:
        read_all(write_jsonl(rows, tmp_path / "b"))
    assert (err.value.code, err.value.line) == ("MISSING_VALUE", 3)


def test_naive_times_may_be_declared_utc(tmp_path: Path) -> None:
    rows = opensky_rows(2)
    rows[0]["time"] = "2024-05-01 12:00:00"
    b = read_all(write_csv(rows, tmp_path / "a"), ReadOptions(naive_time_utc=True))
    assert b.t_s[0] == 1714564800.0


def test_csv_and_jsonl_broken_lines() -> None:
    text = "time,icao24,lat,lon\n1,a,1,2\n2,b,1\n\n3,c,1,2\n"
    with pytest.raises(RowError) as err:
        list(read_csv(io.StringIO(text)))
    assert (err.value.code, err.value.line) == ("BAD_ROW", 3)
    stats = ReadStats()
    b = TrackBatch.concat(list(read_csv(io.StringIO(text), ReadOptions(skip_bad=True), stats)))
    assert b.track.tolist() == ["a", "c"] and stats.skipped == {"BAD_ROW": 1}
    text = '{"time": 1, "icao24": "a", "lat": 1, "lon": 2}\n{"time": 2,\n[1]\n'
    with pytest.raises(RowError) as err:
        list(read_jsonl(io.StringIO(text)))
    assert (err.value.code, err.value.line) == ("BAD_JSON", 2)
    stats = ReadStats()
    assert len(TrackBatch.concat(list(read_jsonl(io.StringIO(text),
                                                  ReadOptions(skip_bad=True), stats)))) == 1
    assert stats.skipped == {"BAD_JSON": 1, "NOT_AN_OBJECT": 1}


def test_missing_column_is_refused(write: Writer, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "lat"} for r in opensky_rows(2)]
    with pytest.raises(ValidationError) as err:
        read_all(write(rows, tmp_path / "a"))
    assert err.value.code == "MISSING_COLUMN"
    with pytest.raises(ValidationError) as err:
        ReadOptions(columns={"latitude": "y"})
    assert err.value.code == "BAD_OPTION"


def test_parquet_timestamp_and_integer_ids(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.array([1714564800_000_000, 1714564801_500_000], pa.timestamp("us", "UTC"))
    table = pa.table({"timestamp": t, "mmsi": pa.array([366053209, 2], pa.int64()),
                      "lat": [1.0, 2.0], "lon": [3.0, 4.0],
                      "geoaltitude": pa.array([None, 5], pa.int32())})
    pq.write_table(table, tmp_path / "a.parquet")
    b = read_all(tmp_path / "a.parquet")
    assert b.t_s.tolist() == [1714564800.0, 1714564801.5]
    assert b.track.tolist() == ["366053209", "2"]
    assert np.isnan(b.alt_m[0]) and b.alt_m[1] == 5.0


def test_big_file_streams_by_row_group(tmp_path: Path) -> None:
    path = write_parquet(opensky_rows(50), tmp_path / "a")  # row groups of 4
    sizes = [len(b) for b in read_parquet(path, ReadOptions(chunk_size=8))]
    assert sum(sizes) == 50 and max(sizes) <= 8
