"""Outlines packed into flat arrays, for compiled batch computations.

Each outline is a row: its kind (0 circle, 1 polygon, 2 corridor), a centre and radius for
circles (the half width for corridors), its bounding cap, and ranges into shared vertex and
edge arrays. Edge ends index the outline's own vertices, so a row's slices are exactly the
per-outline arrays of :class:`~deconfliction.core.outline.Edges`. A row's numbers sit side
by side in two tables (``rows_f``: :data:`ROW_FLOATS`, ``rows_i``: :data:`ROW_INTS`): a
batch over scattered rows reads a line or two per row rather than one per column.

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

from deconfliction.core.bounds import cap_of
from deconfliction.core.outline import Circle, Edges, Outline

__all__ = ["KIND_CODE", "ROW_FLOATS", "ROW_INTS", "Grow", "PackedOutlines", "query_arrays"]

KIND_CODE = {"circle": 0, "polygon": 1, "corridor": 2}

#: the columns of the two row tables, in order (the cap: centre and radius in metres)
ROW_FLOATS = ("clat", "clon", "rad", "cap_lat", "cap_lon", "cap_rad")
ROW_INTS = ("kind", "v0", "v1", "e0", "e1")
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
        self._rows_f = Grow(np.float64, (len(ROW_FLOATS),))
        self._rows_i = Grow(np.intp, (len(ROW_INTS),))
        self._cols = {n: Grow(t, s) for n, (t, s) in {**_VERTEX, **_EDGE}.items()}

    def __len__(self) -> int:
        return self._rows_i.size

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
        cap = cap_of(outline)
        self._rows_f.extend(np.array([[clat, clon, outline.radius_m, cap.lat, cap.lon,
                                       cap.radius_m]]))
        self._rows_i.extend(np.array([[KIND_CODE[outline.kind], nv, c["vlat"].size, ne,
                                       c["start"].size]]))
        return row

    def row(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """One row's :data:`ROW_FLOATS` and :data:`ROW_INTS` (without building
        :meth:`arrays`)."""
        return self._rows_f.data[row], self._rows_i.data[row]

    def arrays(self) -> dict[str, np.ndarray]:
        """The row tables (``rows_f``, ``rows_i``), each of their columns, and the vertex and
        edge columns, trimmed to size (views: valid until the next ``add``)."""
        out = {n: g.view() for n, g in self._cols.items()}
        out["rows_f"], out["rows_i"] = self._rows_f.view(), self._rows_i.view()
        out.update({n: out["rows_f"][:, j] for j, n in enumerate(ROW_FLOATS)})
        out.update({n: out["rows_i"][:, j] for j, n in enumerate(ROW_INTS)})
        return out


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


