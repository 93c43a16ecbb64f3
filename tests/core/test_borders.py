"""Decoding world-atlas TopoJSON: arcs (delta-encoded, reversed), holes, multipolygons, and
finding a country by code or name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from deconfliction.core.borders import Atlas, decode_arcs
from deconfliction.core.errors import ValidationError


def _topology() -> dict[str, Any]:
    """Two squares sharing an edge (arc 0, walked both ways), a hole, and an islet."""
    return {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.25], "translate": [30.0, 10.0]},
        "arcs": [
            [[4, 0], [0, 8]],                      # shared edge x=32, y 10→12
            [[4, 8], [-4, 0], [0, -8], [4, 0]],    # west square's other three sides
            [[4, 8], [4, 0], [0, -8], [-4, 0]],    # east square's other three sides
            [[1, 2], [2, 0], [0, 4], [-2, 0], [0, -4]],  # a hole in the west square
            [[20, 20], [2, 0], [0, 2], [-2, 0], [0, -2]],  # an islet of the east country
        ],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "id": "001", "properties": {"name": "West"},
             "arcs": [[0, 1], [3]]},
            {"type": "MultiPolygon", "id": "2", "properties": {"name": "East Land"},
             "arcs": [[[~0, 2]], [[4]]]},
            {"type": "Polygon", "properties": {"name": "No Code"}, "arcs": [[4]]},
            {"type": "Polygon", "id": "2", "properties": {"name": "East Islet"},
             "arcs": [[4]]},
            {"type": None, "id": "003", "properties": {"name": "Nowhere"}},
        ]}},
    }


def test_arcs_are_delta_decoded_and_scaled() -> None:
    arcs = decode_arcs(_topology())
    assert arcs[0].tolist() == [[32.0, 10.0], [32.0, 12.0]]
    assert arcs[1].tolist() == [[32.0, 12.0], [30.0, 12.0], [30.0, 10.0], [32.0, 10.0]]


def test_arcs_without_transform_are_absolute() -> None:
    arcs = decode_arcs({"arcs": [[[38.5, 33.0, 7], [38.6, 33.1, 9]]]})
    assert arcs[0].tolist() == [[38.5, 33.0], [38.6, 33.1]]


def test_rings_join_arcs_and_walk_negative_ones_backwards() -> None:
    atlas = Atlas.from_topojson(_topology())
    west = atlas.country("West")
    (ext, hole), = west.parts
    # (lat, lon): arc 0 then arc 1 without the shared point, closing point dropped
    assert ext.tolist() == [[10.0, 32.0], [12.0, 32.0], [12.0, 30.0], [10.0, 30.0]]
    assert hole.shape == (4, 2)
    east = atlas.country("east land")
    assert len(east.parts) == 2
    # ~0 walks the shared edge north to south, then arc 2 from its end
    assert east.parts[0][0][:2].tolist() == [[12.0, 32.0], [10.0, 32.0]]
    assert len(atlas) == 4  # the geometry without a type has no parts and is left out


def test_country_by_code_padded_or_name_in_any_case() -> None:
    atlas = Atlas.from_topojson(_topology())
    assert atlas.country("1").name == "West"
    assert atlas.country(" 001 ").name == "West"
    assert atlas.country("WEST").id == "001"
    assert atlas.country("No Code").id is None


def test_a_code_shared_by_features_is_their_union() -> None:
    atlas = Atlas.from_topojson(_topology())
    assert len(atlas.country("002").parts) == 3
    assert len(atlas.country("East Islet").parts) == 1


@pytest.mark.parametrize("key", ["Atlantis", "999", "", "Wes"])
def test_unknown_country(key: str) -> None:
    with pytest.raises(ValidationError) as info:
        Atlas.from_topojson(_topology()).country(key)
    assert info.value.code == "UNKNOWN_COUNTRY" and info.value.field == "clip_to"


def test_the_vendored_world_atlas(atlas: Atlas) -> None:
    syria = atlas.country("Syria")
    assert syria.id == "760" and atlas.country("760") is syria
    lat, lon = np.concatenate([r for p in syria.parts for r in p]).T
    assert 32.3 < lat.min() < lat.max() < 37.4 and 35.6 < lon.min() < lon.max() < 42.4
    assert atlas.country("jordan").id == "400" and atlas.country("368").name == "Iraq"
