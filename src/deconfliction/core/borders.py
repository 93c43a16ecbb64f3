"""Country outlines decoded from a ``world-atlas`` TopoJSON topology (Natural Earth).

A topology keeps each shared border once, as an *arc*: a list of positions, delta-encoded
and quantised when the topology has a ``transform`` (position ``i`` is the sum of the first
``i + 1`` deltas, scaled by ``transform.scale`` and moved by ``transform.translate``). A
ring lists arc indices; index ``~i`` (``-i - 1``) is arc ``i`` walked backwards, and each
arc after the first repeats the last position of the one before. This module turns that
into :class:`Country` objects: rings of ``(lat, lon)`` degrees, exterior first, then holes.

The data is pure input here (no file is read): :mod:`deconfliction.borders` finds and
loads the file. Natural Earth's 1:50m borders are accurate to a few hundred metres; the
clip (:mod:`deconfliction.core.clip`) takes their edges as geodesics, like every other
polygon edge in the project.

>>> topo = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [30, 30]},
...   "arcs": [[[0, 0], [4, 0], [0, 4], [-4, 0], [0, -4]]],
...   "objects": {"countries": {"type": "GeometryCollection", "geometries": [
...     {"type": "Polygon", "id": "999", "properties": {"name": "Squareland"},
...      "arcs": [[0]]}]}}}
>>> atlas = Atlas.from_topojson(topo)
>>> c = atlas.country("squareland")
>>> c.id, c.name, c.parts[0][0][:2].tolist()
('999', 'Squareland', [[30.0, 30.0], [30.0, 34.0]])
>>> atlas.country("999").name
'Squareland'
>>> atlas.country("Atlantis")
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: clip_to: no country named or numbered 'Atlantis' (...)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from deconfliction.core.errors import ValidationError
from deconfliction.core.geodesy import FloatArray

__all__ = ["Atlas", "Country", "decode_arcs"]

#: one polygon: its exterior ring then its holes, each an (n, 2) array of (lat, lon)
Part = tuple[FloatArray, ...]


@dataclass(frozen=True, eq=False)
class Country:
    """A country: its ISO 3166-1 numeric ``id`` (``None`` for some territories), its
    Natural Earth ``name`` and its polygons (``parts``; rings as (lat, lon) arrays)."""

    id: str | None
    name: str
    parts: tuple[Part, ...]

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """``(lo, hi)``: each part's ``(min_lat, min_lon)`` and ``(max_lat, max_lon)``."""
        lo = np.array([p[0].min(axis=0) for p in self.parts]).reshape(-1, 2)
        hi = np.array([p[0].max(axis=0) for p in self.parts]).reshape(-1, 2)
        return lo, hi


def decode_arcs(topology: Mapping[str, Any]) -> list[FloatArray]:
    """Every arc of ``topology`` as an (n, 2) array of absolute ``(lon, lat)`` positions.

    >>> decode_arcs({"transform": {"scale": [0.5, 2], "translate": [10, 20]},
    ...              "arcs": [[[2, 1], [2, -1]]]})[0].tolist()
    [[11.0, 22.0], [12.0, 20.0]]
    """
    transform = topology.get("transform")
    out = []
    for arc in topology["arcs"]:
        a = np.array([p[:2] for p in arc], dtype=np.float64).reshape(-1, 2)
        if transform:
            a = np.cumsum(a, axis=0) * np.asarray(transform["scale"], dtype=np.float64)
            a += np.asarray(transform["translate"], dtype=np.float64)
        out.append(a)
    return out


def _ring(indices: Sequence[int], arcs: list[FloatArray]) -> FloatArray:
    """A ring's ``(lat, lon)`` positions from its arc indices (closing point dropped)."""
    pieces = []
    for k, i in enumerate(indices):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pieces.append(a if k == 0 else a[1:])
    lonlat = np.concatenate(pieces)
    if len(lonlat) > 1 and np.array_equal(lonlat[0], lonlat[-1]):
        lonlat = lonlat[:-1]
    return np.ascontiguousarray(lonlat[:, ::-1])


def _parts(geometry: Mapping[str, Any], arcs: list[FloatArray]) -> list[Part]:
    kind = geometry.get("type")
    polygons = {"Polygon": [geometry.get("arcs", [])],
                "MultiPolygon": geometry.get("arcs", [])}.get(str(kind), [])
    return [tuple(_ring(r, arcs) for r in poly) for poly in polygons if poly]


class Atlas:
    """The countries of a topology, found by numeric code or by name (any case)."""

    def __init__(self, countries: Sequence[Country]) -> None:
        self.countries = tuple(countries)
        self._by_name = {c.name.casefold(): c for c in self.countries}
        by_id: dict[str, list[Country]] = {}
        for c in self.countries:
            if c.id is not None:
                by_id.setdefault(c.id.zfill(3) if c.id.isdigit() else c.id, []).append(c)
        # an id shared by several features (Australia and its islets) is their union
        self._by_id = {
            k: v[0] if len(v) == 1 else Country(k, v[0].name, tuple(p for c in v for p in c.parts))
            for k, v in by_id.items()
        }

    @classmethod
    def from_topojson(cls, topology: Mapping[str, Any], name: str = "countries") -> Atlas:
        """The features of ``topology["objects"][name]`` (``properties.name`` and ``id``)."""
        arcs = decode_arcs(topology)
        countries = []
        for g in topology["objects"][name]["geometries"]:
            parts = _parts(g, arcs)
            if not parts:
                continue
            props = g.get("properties") or {}
            raw_id = g.get("id")
            label = str(props.get("name") or raw_id or "")
            countries.append(Country(None if raw_id is None else str(raw_id), label,
                                     tuple(parts)))
        return cls(countries)

    def __iter__(self) -> Iterator[Country]:
        return iter(self.countries)

    def __len__(self) -> int:
        return len(self.countries)

    def country(self, key: str) -> Country:
        """The country whose numeric code (``"760"``, ``"76"`` padded) or name is ``key``;
        ``UNKNOWN_COUNTRY`` if none."""
        text = key.strip() if isinstance(key, str) else ""
        found = (self._by_id.get(text.zfill(3)) if text.isdigit()
                 else self._by_name.get(text.casefold()))
        if found is None:
            raise ValidationError(
                "UNKNOWN_COUNTRY",
                f"no country named or numbered {key!r} (see `deconfliction borders list`)",
                "clip_to",
            )
        return found
