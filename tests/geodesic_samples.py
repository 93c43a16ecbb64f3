"""Dense samples of outlines along their true geodesic edges, for brute-force checks."""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from deconfliction.core.outline import Corridor, Polygon

GEOD = Geod(ellps="WGS84")


def edge_samples(outline: Polygon | Corridor, per_edge: int) -> tuple[np.ndarray, np.ndarray]:
    """``(lats, lons)`` of ``per_edge`` points spread along every geodesic edge (ends included)."""
    e = outline.edges
    lats: list[float] = []
    lons: list[float] = []
    for a, b in zip(e.start.tolist(), e.end.tolist(), strict=True):
        pts = GEOD.npts(
            e.vlon[a], e.vlat[a], e.vlon[b], e.vlat[b], per_edge, initial_idx=0, terminus_idx=0
        )
        lons += [p[0] for p in pts]
        lats += [p[1] for p in pts]
    return np.array(lats), np.array(lons)
