"""The HTTP batch endpoint's strict JSON lines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.sources import RowError, batch_from_jsonl

GOOD = {"track": "rf01", "party": "russia", "t_s": 1714564800, "lat": 33.3, "lon": 38.6,
        "alt_m": 500, "speed_mps": 120.5, "heading_deg": 90, "operation": "patrol"}


def body(*rows: dict[str, object]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_every_field() -> None:
    minimal = {"track": "a", "time": "2024-05-01T12:00:00+00:00", "lat": -1, "lon": 2,
               "alt_m": None}
    b = batch_from_jsonl(body(GOOD, minimal) + b"\n\n")
    assert b.track.tolist() == ["rf01", "a"] and b.party.tolist() == ["russia", ""]
    assert b.t_s.tolist() == [1714564800.0, 1714564800.0]
    assert b.alt_m[0] == 500 and np.isnan(b.alt_m[1]) and np.isnan(b.speed_mps[1])
    assert (b.speed_mps[0], b.heading_deg[0]) == (120.5, 90.0)
    assert b.operation.tolist() == ["patrol", ""]
    assert len(batch_from_jsonl(b"")) == 0


BAD = [
    ({"lat": 91}, "LAT_OUT_OF_RANGE", "lat"),
    ({"lon": 180.5}, "LON_OUT_OF_RANGE", "lon"),
    ({"lat": "33.3"}, "BAD_TYPE", "lat"),
    ({"lat": None}, "MISSING_VALUE", "lat"),
    ({"track": ""}, "MISSING_VALUE", "track"),
    ({"track": 7}, "BAD_TYPE", "track"),
    ({"party": None}, "BAD_TYPE", "party"),
    ({"speed_mps": -1}, "SPEED_NEGATIVE", "speed_mps"),
    ({"heading_deg": 361}, "HEADING_OUT_OF_RANGE", "heading_deg"),
    ({"alt_m": True}, "BAD_TYPE", "alt_m"),
    ({"altitude": 3}, "UNKNOWN_FIELD", "altitude"),
    ({"time": 5}, "BAD_FIELD", "t_s"),
    ({"t_s": "soon"}, "BAD_TYPE", "t_s"),
]


@pytest.mark.parametrize(("change", "code", "field"), BAD)
def test_first_bad_line_is_named(change: dict[str, object], code: str, field: str) -> None:
    with pytest.raises(RowError) as err:
        batch_from_jsonl(body(GOOD, GOOD, {**GOOD, **change}, {**GOOD, "lat": 99}))
    assert (err.value.code, err.value.line, err.value.column) == (code, 3, field)
    assert isinstance(err.value, ValidationError)
    assert str(err.value).startswith(f"line 3: {field}: ")


@pytest.mark.parametrize(("data", "code"), [
    (b'{"track": "a",', "BAD_JSON"), (b"[1, 2]", "NOT_AN_OBJECT"), (b"\xff", "BAD_ENCODING"),
    (body({k: v for k, v in GOOD.items() if k != "t_s"}), "MISSING_VALUE"),
    (body({**GOOD, "t_s": None, "time": "2024-05-01T12:00:00"}), "BAD_FIELD"),
    (body({k: v for k, v in GOOD.items() if k != "t_s"} | {"time": "2024-05-01T12:00:00"}),
     "NAIVE_TIME"),
    (body({k: v for k, v in GOOD.items() if k != "t_s"} | {"time": "noon"}), "BAD_TIME"),
])
def test_malformed_lines(data: bytes, code: str) -> None:
    with pytest.raises(RowError) as err:
        batch_from_jsonl(data)
    assert err.value.code == code and err.value.line == 1
