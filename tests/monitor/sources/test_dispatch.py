"""read_file picks the reader by extension."""

from __future__ import annotations

from pathlib import Path

import pytest
from adsb_samples import opensky_rows, write_csv, write_jsonl, write_parquet
from pyais import encode_dict

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources import read_file


def test_each_extension(tmp_path: Path) -> None:
    for write in (write_csv, write_jsonl, write_parquet):
        path = write(opensky_rows(5), tmp_path / "a")
        assert len(TrackBatch.concat(list(read_file(path)))) == 5
    ais = tmp_path / "a.nmea"
    ais.write_text("\n".join(encode_dict({"type": 1, "mmsi": 7, "lat": 1.0, "lon": 2.0},
                                         sentence_type="VDM")))
    b = TrackBatch.concat(list(read_file(ais, base_time_s=10.0)))
    assert b.track.tolist() == ["7"] and b.t_s.tolist() == [10.0]
    renamed = tmp_path / "a.log"
    renamed.write_bytes(write_csv(opensky_rows(2), tmp_path / "b").read_bytes())
    assert len(TrackBatch.concat(list(read_file(renamed, "csv")))) == 2
    with pytest.raises(ValidationError) as err:
        read_file(renamed)
    assert err.value.code == "UNKNOWN_FORMAT"
