"""``clip_to`` in the native form: a request to clip, then the stored form (the clipped
volumes, the country's name and the volumes they came from), read back as it is."""

from __future__ import annotations

import pytest

import sample_objects as samples
from deconfliction.core.borders import Atlas
from deconfliction.core.errors import DeconflictionError, ValidationError
from deconfliction.core.outline import Polygon
from deconfliction.formats import load_objects
from deconfliction.formats.native import object_from_dict, zone_from_dict, zone_to_dict


def _request(country: str = "syria") -> dict[str, object]:
    data = zone_to_dict(samples.at_tanf_zone())
    data["clip_to"] = country
    return data


def test_an_unclipped_zone_has_no_clip_keys() -> None:
    data = zone_to_dict(samples.at_tanf_zone())
    assert "clip_to" not in data and "unclipped" not in data


def test_clip_to_clips_and_the_stored_form_round_trips(atlas: Atlas) -> None:
    zone = zone_from_dict(_request("760"), borders=lambda: atlas)
    assert zone.clip_to == "Syria"
    assert all(isinstance(v.outline, Polygon) for v in zone.volumes)
    assert zone.unclipped == samples.at_tanf_zone().volumes
    stored = zone_to_dict(zone)
    assert stored["clip_to"] == "Syria" and len(stored["unclipped"]) == 1

    def no_borders() -> Atlas:
        raise AssertionError("a stored clipped zone is not clipped again")

    assert zone_from_dict(stored, borders=no_borders) == zone
    assert zone_from_dict(stored) == zone


def test_clip_to_without_borders_is_borders_unavailable() -> None:
    with pytest.raises(DeconflictionError) as info:
        object_from_dict(_request())
    assert info.value.code == "BORDERS_UNAVAILABLE" and info.value.field == "clip_to"


@pytest.mark.parametrize(("country", "code"), [("Atlantis", "UNKNOWN_COUNTRY"),
                                               ("France", "EMPTY_CLIP")])
def test_bad_countries(atlas: Atlas, country: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        zone_from_dict(_request(country), borders=lambda: atlas)
    assert info.value.code == code and info.value.field == "clip_to"


def test_clip_to_must_be_a_string(atlas: Atlas) -> None:
    with pytest.raises(ValidationError) as info:
        zone_from_dict({**_request(), "clip_to": 760}, borders=lambda: atlas)
    assert info.value.code == "BAD_TYPE" and info.value.field == "clip_to"


def test_unclipped_without_clip_to_is_refused() -> None:
    data = zone_to_dict(samples.at_tanf_zone())
    data["unclipped"] = data["volumes"]
    with pytest.raises(ValidationError) as info:
        zone_from_dict(data)
    assert info.value.code == "MISSING_FIELD" and info.value.field == "clip_to"


def test_files_are_clipped_on_load(atlas: Atlas) -> None:
    (zone,) = load_objects(_request(), default_object="zone", borders=lambda: atlas)
    assert zone.clip_to == "Syria"  # type: ignore[union-attr]
