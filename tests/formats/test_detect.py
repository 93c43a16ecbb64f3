"""Sniffing the format of a document and loading objects from files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sample_objects as samples
from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, Zone
from deconfliction.formats import load_objects, read_json, sniff
from deconfliction.formats.f3548 import volumes_to_f3548
from deconfliction.formats.geojson import to_geojson
from deconfliction.formats.native import object_to_dict


@pytest.mark.parametrize(
    ("doc", "fmt"),
    [
        ({"type": "Feature", "geometry": None}, "geojson"),
        ({"type": "FeatureCollection", "features": []}, "geojson"),
        ({"object": "zone"}, "native"),
        ({"objects": []}, "native"),
        ({"owner": "x", "volumes": [{"outline": {}}]}, "native"),
        ([{"object": "operation"}], "native"),
        ({"volume": {}}, "f3548"),
        ([{"volume": {}}], "f3548"),
        ({"volumes": [{"volume": {}}]}, "f3548"),
        ({"extents": [{"volume": {}}]}, "f3548"),
    ],
)
def test_sniff(doc: object, fmt: str) -> None:
    assert sniff(doc) == fmt


@pytest.mark.parametrize("doc", [{}, [], [1], "zone", 3, None, {"type": "Point"}])
def test_unknown_documents(doc: object) -> None:
    with pytest.raises(ValidationError) as err:
        sniff(doc)
    assert err.value.code == "UNKNOWN_FORMAT"


def test_load_every_format(tmp_path: Path) -> None:
    at_tanf_zone = samples.at_tanf_zone()
    exercise = samples.exercise()
    native = tmp_path / "native.json"
    native.write_text(json.dumps([object_to_dict(at_tanf_zone), object_to_dict(exercise)]))
    assert load_objects(native) == [at_tanf_zone, exercise]
    geo = tmp_path / "plan.geojson"
    geo.write_text(json.dumps(to_geojson([exercise])))
    assert load_objects(str(geo)) == [exercise]
    f3548 = volumes_to_f3548(at_tanf_zone)
    [zone] = load_objects(f3548, default_object="zone", owner="coalition")
    assert isinstance(zone, Zone) and zone.volumes == at_tanf_zone.volumes
    [op] = load_objects(f3548, owner="russia", default_state="proposed")
    assert isinstance(op, Operation) and op.state.value == "proposed"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        read_json(tmp_path / "missing.json")
    assert err.value.code == "FILE_UNREADABLE" and "missing.json" in err.value.message
    with pytest.raises(ValidationError) as err:
        read_json(tmp_path)
    assert err.value.code == "FILE_UNREADABLE"
    bad = tmp_path / "bad.json"
    bad.write_text('{"object": "zone",')
    with pytest.raises(ValidationError) as err:
        load_objects(bad)
    assert err.value.code == "BAD_JSON" and "line 1" in err.value.message
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValidationError) as err:
        load_objects(binary)
    assert err.value.code == "FILE_UNREADABLE"
