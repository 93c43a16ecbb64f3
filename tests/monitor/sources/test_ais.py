"""Raw AIS NMEA sentences, made with pyais's encoder, decoded into reports."""

from __future__ import annotations

from functools import reduce
from pathlib import Path

import numpy as np
import pytest
from pyais import encode_dict

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources import ReadStats, read_ais

KT = 1852 / 3600
BASE = 1_714_564_800.0


def sentence(**fields: object) -> str:
    (one,) = encode_dict(fields, talker_id="AI", sentence_type="VDM")
    return one


def checksum(body: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), body, 0):02X}"


def split_in_two(one: str) -> list[str]:
    """The same message as a two-part sentence (as long messages are sent)."""
    fields = one[1:one.index("*")].split(",")
    payload, fill = fields[5], fields[6]
    half = len(payload) // 2
    out = []
    for k, (part, f) in enumerate(((payload[:half], "0"), (payload[half:], fill)), 1):
        body = f"AIVDM,2,{k},7,A,{part},{f}"
        out.append(f"!{body}*{checksum(body)}")
    return out


def tagged(line: str, t: int) -> str:
    body = f"s:rcv1,c:{t}"
    return f"\\{body}*{checksum(body)}\\{line}"


def read(lines: list[str], **kw: object) -> tuple[TrackBatch, ReadStats]:
    stats = ReadStats()
    chunks = list(read_ais(lines, stats=stats, **kw))  # type: ignore[arg-type]
    return TrackBatch.concat(chunks), stats


def test_position_types_and_units() -> None:
    lines = [
        sentence(type=1, mmsi=366053209, lat=33.3, lon=38.6, speed=10.5, course=123.4,
                 heading=120),
        sentence(type=2, mmsi=2, lat=-10.0, lon=-20.0, speed=0.0, course=360, heading=45),
        sentence(type=3, mmsi=3, lat=1.0, lon=2.0, speed=102.3, course=360, heading=511),
        sentence(type=18, mmsi=18, lat=5.0, lon=6.0, speed=3.0, course=10.0, heading=511),
        sentence(type=19, mmsi=19, lat=7.0, lon=8.0, speed=4.0, course=20.0, heading=511,
                 shipname="BOAT"),
        sentence(type=27, mmsi=27, lat=9.0, lon=10.0, speed=12, course=90),
    ]
    b, stats = read(lines, base_time_s=BASE, party="navy")
    assert b.track.tolist() == ["366053209", "2", "3", "18", "19", "27"]
    np.testing.assert_allclose(b.lat, [33.3, -10, 1, 5, 7, 9], atol=1e-4)
    np.testing.assert_allclose(b.lon, [38.6, -20, 2, 6, 8, 10], atol=1e-4)
    np.testing.assert_allclose(b.speed_mps, np.array([10.5, 0, np.nan, 3, 4, 12]) * KT,
                               atol=1e-6)
    # COG; the true heading when COG is not available (360); nan when neither is.
    np.testing.assert_allclose(b.heading_deg, [123.4, 45, np.nan, 10, 20, 90], atol=1e-6)
    assert b.alt_m.tolist() == [0.0] * 6 and b.t_s.tolist() == [BASE] * 6
    assert set(b.party) == {"navy"}
    assert (stats.rows, stats.reports, sum(stats.skipped.values())) == (6, 6, 0)


def test_skipped_messages_are_counted(tmp_path: Path) -> None:
    static = encode_dict({"type": 5, "mmsi": 5, "shipname": "FOO", "destination": "BAR"},
                         sentence_type="VDM")  # two sentences
    assert len(static) == 2
    good = sentence(type=1, mmsi=1, lat=1.0, lon=1.0, speed=1.0, course=1.0, heading=1)
    corrupt = good[:-2] + ("00" if good[-2:] != "00" else "01")
    lines = [*static, sentence(type=1, mmsi=9, lat=91.0, lon=181.0, speed=1, course=1,
                               heading=1),
             sentence(type=18, mmsi=8, lat=91.0, lon=181.0, speed=1, course=1, heading=1),
             "hello world", corrupt, good]
    path = tmp_path / "ais.nmea"
    path.write_text("\n".join(lines) + "\n")
    stats = ReadStats()
    b = TrackBatch.concat(list(read_ais(path, base_time_s=BASE, stats=stats)))
    assert b.track.tolist() == ["1"]
    assert dict(stats.skipped) == {"AIS_NOT_POSITION": 1, "AIS_NO_POSITION": 2,
                                   "AIS_NOT_NMEA": 1, "AIS_UNDECODABLE": 1}


def test_multi_part_position_report() -> None:
    one = sentence(type=1, mmsi=4242, lat=33.25, lon=38.75, speed=20.0, course=45.0,
                   heading=40)
    b, _ = read(split_in_two(one), base_time_s=BASE)
    assert b.track.tolist() == ["4242"]
    assert (b.lat[0], b.lon[0]) == pytest.approx((33.25, 38.75), abs=1e-4)


def test_receiver_times() -> None:
    a = sentence(type=1, mmsi=1, lat=1.0, lon=1.0, speed=1.0, course=1.0, heading=1)
    lines = [tagged(a, 1_700_000_000), tagged(a, 1_700_000_001_500), a + ",1700000002", a]
    b, _ = read(lines, base_time_s=BASE)
    assert b.t_s.tolist() == [1_700_000_000, 1_700_000_001.5, 1_700_000_002, BASE]
    with pytest.raises(ValidationError) as err:
        read([a])
    assert err.value.code == "AIS_NO_TIME"
    b, _ = read(lines[:1])  # the tag block alone is enough
    assert b.t_s.tolist() == [1_700_000_000]


def test_chunks() -> None:
    lines = [sentence(type=1, mmsi=i + 1, lat=1.0, lon=1.0, speed=1.0, course=1.0,
                      heading=1) for i in range(10)]
    sizes = [len(c) for c in read_ais(lines, base_time_s=BASE, chunk_size=4)]
    assert sizes == [4, 4, 2]
