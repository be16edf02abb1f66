"""Thinning of dense point layers for the web map: one point per grid cell, deterministically."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

#: Kilometres per degree of latitude, to state a cell's size.
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Thinning:
    """What thinning kept: ``shown`` of ``total`` points, one per cell of ``cell_km``."""

    shown: int
    total: int
    cell_km: float


def thin_points(frame: gpd.GeoDataFrame, *, limit: int) -> tuple[gpd.GeoDataFrame, Thinning | None]:
    """At most ``limit`` points of a frame: the first one (in frame order) per grid cell.

    The cell starts at the size that would hold ``limit`` evenly spread points over the frame's
    bounds and grows by a quarter until at most ``limit`` cells are occupied, so the same data
    always gives the same points, spread over the whole area.

    Parameters
    ----------
    frame
        Point features in EPSG:4326, in their layer's sort order.
    limit
        Most points to keep.

    Returns
    -------
    tuple
        The kept features in frame order, and a :class:`Thinning` (``None`` if all are kept).
    """
    if len(frame) <= limit:
        return frame, None
    x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    lon_min, lat_min, lon_max, lat_max = frame.total_bounds
    cell = max(np.sqrt((lon_max - lon_min) * (lat_max - lat_min) / limit), 1e-6)
    while True:
        columns = np.floor((x - lon_min) / cell).astype(np.int64)
        rows = np.floor((y - lat_min) / cell).astype(np.int64)
        _, first = np.unique(rows * (columns.max() + 1) + columns, return_index=True)
        if len(first) <= limit:
            break
        cell *= 1.25
    kept = frame.iloc[np.sort(first)]
    return kept, Thinning(len(kept), len(frame), round(cell * _KM_PER_DEGREE, 1))
