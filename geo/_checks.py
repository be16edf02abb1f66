"""Plausibility checks that warn rather than refuse: a station far from any railway.

A station placed at its real position lies on a track. scgraph_data's railway graph
(OpenStreetMap-derived, simplified) is a cheap test of that: an operating station more than
``settings.rail_graph_max_km`` from it is reported, unless ``settings.rail_graph_exceptions``
gives a reason (typically a line newer than the graph).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import Transformer
from shapely import LineString, STRtree, points

from geo import settings
from geo._geodesy import geodesic_km, metric_crs
from geo._io import atomic_path, cache_file
from geo.errors import Problem
from geo.utils import log

Point2 = tuple[float, float]

#: Degrees around ``settings.region_bounds`` whose railway segments are kept.
_MARGIN_DEG = 0.5


def rail_graph_segments(
    *, bounds: Sequence[float] | None = None, cache_dir: Path | None = None
) -> np.ndarray:
    """Return the railway graph's edges inside ``bounds``, as rows ``lon1, lat1, lon2, lat2``.

    Loading scgraph_data's world railway graph takes seconds, so the region's edges are
    cached (``settings.cache_dir``) under a key of the bounds and the graph's version.

    Parameters
    ----------
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)`` (default ``settings.region_bounds``),
        widened by half a degree.
    cache_dir
        Folder of the cache (default ``settings.cache_dir``).
    """
    lon_min, lat_min, lon_max, lat_max = bounds or settings.region_bounds
    key = [version("scgraph"), version("scgraph_data"), repr((lon_min, lat_min, lon_max, lat_max))]
    cache = cache_file(Path(cache_dir or settings.cache_dir), "rail-segments", key, ".npy")
    if cache.is_file():
        segments: np.ndarray = np.load(cache)
        return segments
    from geo.freight import _railway_graph

    graph = _railway_graph()
    nodes = np.asarray(graph.nodes, dtype=float)  # rows of (lat, lon)
    inside = (
        (nodes[:, 1] >= lon_min - _MARGIN_DEG)
        & (nodes[:, 1] <= lon_max + _MARGIN_DEG)
        & (nodes[:, 0] >= lat_min - _MARGIN_DEG)
        & (nodes[:, 0] <= lat_max + _MARGIN_DEG)
    )
    rows = [
        (nodes[a, 1], nodes[a, 0], nodes[b, 1], nodes[b, 0])
        for a in np.flatnonzero(inside)
        for b in graph.graph[a]
        if a < b or not inside[b]
    ]
    segments = np.asarray(rows, dtype=float).reshape(-1, 4)
    with atomic_path(cache) as temporary, temporary.open("wb") as handle:
        np.save(handle, segments)
    log(f"railway graph: {len(segments)} edges near the region, cached in {cache.name}")
    return segments


def distances_to_rail_graph_km(
    places: Sequence[Point2], *, cache_dir: Path | None = None
) -> list[float]:
    """Geodesic distance in km from each ``(lon, lat)`` to the nearest edge of the railway graph."""
    segments = rail_graph_segments(cache_dir=cache_dir)
    local = metric_crs(gpd.GeoSeries(points(np.asarray(places)), crs=settings.storage_crs))
    to_local = Transformer.from_crs(settings.storage_crs, local, always_xy=True)
    to_wgs84 = Transformer.from_crs(local, settings.storage_crs, always_xy=True)
    x1, y1 = to_local.transform(segments[:, 0], segments[:, 1])
    x2, y2 = to_local.transform(segments[:, 2], segments[:, 3])
    lines = [LineString([(a, b), (c, d)]) for a, b, c, d in zip(x1, y1, x2, y2, strict=True)]
    tree = STRtree(lines)
    xs, ys = to_local.transform([p[0] for p in places], [p[1] for p in places])
    distances = []
    for place, point in zip(places, points(np.column_stack([xs, ys])), strict=True):
        nearest = lines[int(tree.nearest(point))]
        foot = nearest.interpolate(nearest.project(point))
        lon, lat = to_wgs84.transform(foot.x, foot.y)
        distances.append(geodesic_km(place[0], place[1], lon, lat))
    return distances


def stations_far_from_rail_graph(
    stations: gpd.GeoDataFrame,
    *,
    limit_km: float | None = None,
    exceptions: Mapping[str, str] | None = None,
    file: str = "rail_stations.csv",
) -> list[Problem]:
    """Warnings for operating stations farther than ``limit_km`` from the railway graph.

    Parameters
    ----------
    stations
        The ``rail_stations`` layer (one row per line stop; a station is checked once).
    limit_km
        Largest plausible distance (default ``settings.rail_graph_max_km``).
    exceptions
        ``station_id`` to the reason it may lie farther (default
        ``settings.rail_graph_exceptions``).
    file
        File name used in the warnings.

    Returns
    -------
    list of Problem
        One per station too far, naming the first stop row of that station.
    """
    limit = settings.rail_graph_max_km if limit_km is None else limit_km
    excused = settings.rail_graph_exceptions if exceptions is None else exceptions
    operating = stations[stations["status"] == "operating"].drop_duplicates("station_id")
    operating = operating[~operating["station_id"].isin(list(excused))]
    if operating.empty:
        return []
    places = [(point.x, point.y) for point in operating.geometry]
    distances = distances_to_rail_graph_km(places)
    warnings = [
        Problem(
            file,
            str(row["id"]),
            "lon",
            f"operating station {row['name_zh']} ({row['station_id']}) lies {km:.1f} km from "
            f"the railway graph (limit {limit:g} km): check its position, or add it to "
            "settings.rail_graph_exceptions with a reason",
        )
        for (_, row), km in zip(operating.iterrows(), distances, strict=True)
        if km > limit
    ]
    log(
        f"checked {len(places)} operating stations against the railway graph: "
        f"{len(warnings)} farther than {limit:g} km, {len(excused)} excepted"
    )
    return warnings


def layer_warnings(layers: Mapping[str, gpd.GeoDataFrame]) -> list[Problem]:
    """Every plausibility warning of the loaded layers, each also written to the log."""
    warnings = []
    if "rail_stations" in layers:
        warnings += stations_far_from_rail_graph(layers["rail_stations"])
    for warning in warnings:
        log(f"warning: {warning}", level=logging.WARNING)
    return warnings
