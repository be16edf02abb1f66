"""Thinning of map groups too large for the web page, deterministically.

Points keep one per grid cell (:func:`thin_points`); lines and polygons are simplified further,
the smallest left out only where that is not enough (:func:`thin_shapes`). Either way a
:class:`Thinning` says what the page shows, for the legend and the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

#: Kilometres per degree of latitude, to state a cell's size or a tolerance.
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Thinning:
    """What a map group shows of a layer too large for the web page.

    Points: ``shown`` of ``total`` points, one per grid cell of ``cell_km``. Lines and polygons
    (``geometry``): ``shown`` of ``total`` features (fewer only when simplifying was not
    enough: the smallest left out), simplified at ``tolerance_degrees`` from ``vertices`` to
    ``vertices_shown`` vertices.
    """

    shown: int
    total: int
    cell_km: float = 0.0
    geometry: str = "point"
    tolerance_degrees: float = 0.0
    vertices: int = 0
    vertices_shown: int = 0

    @property
    def tolerance_km(self) -> float:
        """The tolerance in km, approximately: a degree of latitude (longitude's is shorter)."""
        return self.tolerance_degrees * _KM_PER_DEGREE

    @property
    def tolerance_words(self) -> tuple[str, str]:
        """The tolerance in km, or m under 1 km, to 3 figures: in English and in Chinese."""
        km = self.tolerance_km
        if km >= 1:
            return f"{km:.3g} km", f"{km:.3g} 公里"
        return f"{km * 1000:.3g} m", f"{km * 1000:.3g} 米"


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


def thin_shapes(
    shapes: Sequence[shapely.Geometry],
    *,
    geometry: str,
    limit: int,
    start_degrees: float,
) -> tuple[np.ndarray, list[shapely.Geometry], Thinning | None]:
    """At most ``limit`` vertices of lines or polygons: simplified further, then the largest.

    The tolerance doubles from ``start_degrees`` (the generalisation the shapes already have)
    until the shapes hold at most ``limit`` vertices, or until doubling it again saves under
    1 % of them (every line down to about its ends, every ring to about its fewest points) or
    it reaches the extent of them all. Each shape is
    simplified by Douglas–Peucker, and preserving topology where that would make it invalid
    or empty (``shapely.simplify``), so no shape collapses and no feature is lost. Only if that
    is still too many are the smallest features (by area, or length for lines) left out, the
    largest kept first (at least one), so the same data always gives the same map.

    Parameters
    ----------
    shapes
        Display geometries (EPSG:4326) of one group, in their layer's sort order.
    geometry
        ``"line"`` or ``"polygon"``.
    limit
        Most vertices to keep.
    start_degrees
        The simplification tolerance the shapes already have (doubled at the first step).

    Returns
    -------
    tuple
        The positions of the kept shapes (in order), the kept shapes, and a :class:`Thinning`
        (``None``, with the shapes unchanged, if they hold at most ``limit`` vertices).
    """
    values = np.asarray(shapes, dtype=object)
    counts = shapely.get_num_coordinates(values)
    vertices = int(counts.sum())
    if vertices <= limit:
        return np.arange(len(values)), list(values), None
    lon_min, lat_min, lon_max, lat_max = shapely.total_bounds(values)
    widest = max(lon_max - lon_min, lat_max - lat_min, 1e-6)
    tolerance, simpler = max(start_degrees, 1e-6), None
    while True:
        tolerance *= 2
        # Plain Douglas–Peucker, several times faster than the topology-preserving kind and
        # keeping no more vertices: a tolerance at which it keeps too many is passed over.
        simplified = shapely.simplify(values, tolerance, preserve_topology=False)
        counts = shapely.get_num_coordinates(simplified)
        if counts.sum() > limit and tolerance < widest:
            continue
        # Where it crossed a ring over itself or another, or collapsed a shape, the shape is
        # simplified again preserving topology: every shape stays valid and none is lost.
        broken = np.flatnonzero(~shapely.is_valid(simplified) | shapely.is_empty(simplified))
        simplified[broken] = shapely.simplify(values[broken], tolerance, preserve_topology=True)
        counts = shapely.get_num_coordinates(simplified)
        if simpler is not None and counts.sum() > 0.99 * simpler[2].sum():
            # Doubling again saved under 1 %: the shapes are about as simple as they get.
            tolerance, simplified, counts = simpler
            break
        if counts.sum() <= limit or tolerance >= widest:
            break
        simpler = (tolerance, simplified, counts)
    kept = np.arange(len(values))
    if counts.sum() > limit:
        size = shapely.area(simplified) if geometry == "polygon" else shapely.length(simplified)
        largest = np.argsort(-size, kind="stable")
        fits = np.cumsum(counts[largest]) <= limit
        fits[0] = True
        kept = np.sort(largest[fits])
    thinning = Thinning(
        shown=len(kept),
        total=len(values),
        geometry=geometry,
        tolerance_degrees=float(tolerance),
        vertices=vertices,
        vertices_shown=int(counts[kept].sum()),
    )
    return kept, list(simplified[kept]), thinning
