"""Outlines packed into flat arrays, for compiled batch computations.

Each outline is a row: its kind (0 circle, 1 polygon, 2 corridor), a centre and radius for
circles (the half width for corridors), and ranges into shared vertex and edge arrays. Edge
ends index the outline's own vertices, so a row's slices are exactly the per-outline arrays
of :class:`~deconfliction.core.outline.Edges`.

>>> from deconfliction.core.outline import Circle, Polygon
>>> p = PackedOutlines()
>>> p.add(Circle(33.5, 38.6, 55_000.0)), p.add(Polygon(((34, 38), (34, 39), (35, 39))))
(0, 1)
>>> p.arrays()["e1"].tolist()
[0, 3]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deconfliction.core.outline import Circle, Edges, Outline

__all__ = ["KIND_CODE", "Grow", "PackedOutlines", "query_arrays"]

KIND_CODE = {"circle": 0, "polygon": 1, "corridor": 2}

_ROW = {"kind": np.int8, "clat": np.float64, "clon": np.float64, "rad": np.float64,
        "v0": np.intp, "v1": np.intp, "e0": np.intp, "e1": np.intp}
_VERTEX = {"vlat": (np.float64, ()), "vlon": (np.float64, ()), "vu": (np.float64, (3,))}
_EDGE = {"start": (np.intp, ()), "end": (np.intp, ()), "normal": (np.float64, (3,)),
         "az": (np.float64, ()), "length": (np.float64, ())}


class Grow:
    """A numpy array that grows by doubling."""

    def __init__(self, dtype: Any, shape: tuple[int, ...] = ()) -> None:
        self.data = np.empty((16, *shape), dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.size + len(values)
        if need > len(self.data):
            new = np.empty((max(need, 2 * len(self.data)), *self.data.shape[1:]),
                           dtype=self.data.dtype)
            new[: self.size] = self.data[: self.size]
            self.data = new
        self.data[self.size : need] = values
        self.size = need

    def view(self) -> np.ndarray:
        return self.data[: self.size]


class PackedOutlines:
    """Rows of outlines in flat, growing arrays."""

    def __init__(self) -> None:
        self._cols = {n: Grow(t) for n, t in _ROW.items()}
        self._cols.update({n: Grow(t, s) for n, (t, s) in {**_VERTEX, **_EDGE}.items()})

    def __len__(self) -> int:
        return self._cols["kind"].size

    def add(self, outline: Outline) -> int:
        """Append ``outline``; returns its row."""
        row = len(self)
        c = self._cols
        nv, ne = c["vlat"].size, c["start"].size
        if isinstance(outline, Circle):
            clat, clon, edges = outline.lat, outline.lon, None
        else:
            edges = outline.edges
            clat, clon = float(edges.vlat[0]), float(edges.vlon[0])
            for name, column in _edge_columns(edges).items():
                c[name].extend(column)
        nv2, ne2 = c["vlat"].size, c["start"].size
        values = (KIND_CODE[outline.kind], clat, clon, outline.radius_m, nv, nv2, ne, ne2)
        for name, value in zip(_ROW, values, strict=True):
            c[name].extend(np.array([value]))
        return row

    def arrays(self) -> dict[str, np.ndarray]:
        """Every column, trimmed to its size (views: valid until the next ``add``)."""
        return {n: g.view() for n, g in self._cols.items()}


def _edge_columns(e: Edges) -> dict[str, np.ndarray]:
    return {"vlat": e.vlat, "vlon": e.vlon, "vu": e.vunit, "start": e.start, "end": e.end,
            "normal": e.normal, "az": e.az, "length": e.length_m}


_EMPTY = {"vlat": np.empty(0), "vlon": np.empty(0), "vu": np.empty((0, 3)),
          "start": np.empty(0, dtype=np.intp), "end": np.empty(0, dtype=np.intp),
          "normal": np.empty((0, 3)), "az": np.empty(0), "length": np.empty(0)}


_Arr = np.ndarray
QueryArrays = tuple[int, float, float, float, _Arr, _Arr, _Arr, _Arr, _Arr, _Arr, _Arr, _Arr]


def query_arrays(outline: Outline) -> QueryArrays:
    """The ``q*`` arguments of :func:`deconfliction.core.kernels.separations`."""
    if isinstance(outline, Circle):
        cols, lat, lon = _EMPTY, outline.lat, outline.lon
    else:
        cols = _edge_columns(outline.edges)
        lat, lon = float(cols["vlat"][0]), float(cols["vlon"][0])
    return (KIND_CODE[outline.kind], lat, lon, outline.radius_m, cols["vlat"], cols["vlon"],
            cols["vu"], cols["start"], cols["end"], cols["normal"], cols["az"], cols["length"])


