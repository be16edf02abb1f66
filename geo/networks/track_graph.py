"""Plausibility checks that warn rather than refuse, on scgraph_data's railway graph.

A station placed at its real position lies on a track. scgraph_data's railway graph
(OpenStreetMap-derived, simplified) is a cheap test of that: an operating station more than
``settings.rail_graph_max_km`` from it is reported, unless ``settings.rail_graph_exceptions``
gives a reason (typically a line newer than the graph). The same regional edges, as a networkx
graph (``rail_track_graph``), are the track that operating rail sections are drawn along when no
OpenStreetMap extract is cached (``geo.networks.osm_track.snap_sections``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
from pyproj import Transformer
from shapely import LineString, STRtree, points

from geo import settings
from geo._geodesy import GEOD, geodesic_km, metric_crs
from geo._stages import NPY, cached_stage
from geo.errors import Problem
from geo.networks.freight import railway_graph
from geo.utils import log

Point2 = tuple[float, float]

#: Degrees around ``settings.region_bounds`` whose railway segments are kept.
_MARGIN_DEG = 0.5
#: Longest edge of the track graph, in metres: the graph's long straight edges are cut into
#: pieces this long or shorter, so a station beside one has a node within half of it.
TRACK_NODE_SPACING_M = 500.0


def rail_graph_segments(
    *, bounds: Sequence[float] | None = None, cache_dir: Path | None = None
) -> np.ndarray:
    """Return the railway graph's edges inside ``bounds``, as rows ``lon1, lat1, lon2, lat2``.

    Loading scgraph_data's world railway graph takes seconds, so the region's edges are
    cached (in ``cache_dir``) under a key of the bounds and the graph's version.

    Parameters
    ----------
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)`` (default ``settings.region_bounds``),
        widened by half a degree.
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).
    """
    lon_min, lat_min, lon_max, lat_max = bounds or settings.region_bounds
    key = [version("scgraph"), version("scgraph_data"), repr((lon_min, lat_min, lon_max, lat_max))]
    return cached_stage(
        "rail-segments",
        key,
        lambda: _segments_within(lon_min, lat_min, lon_max, lat_max),
        cache_dir=cache_dir,
        codec=NPY,
    )


def _segments_within(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> np.ndarray:
    """Compute ``rail_graph_segments`` (not cached)."""
    graph = railway_graph()
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
    log(f"railway graph: {len(segments)} edges near the region")
    return segments


def rail_track_graph(
    *,
    bounds: Sequence[float] | None = None,
    cache_dir: Path | None = None,
    spacing_m: float = TRACK_NODE_SPACING_M,
) -> nx.Graph:
    """Return the region's railway graph as an undirected networkx graph to route along.

    The edges of ``rail_graph_segments`` as a graph (``track_graph``), for
    ``geo.networks.osm_track.snap_sections``.

    Parameters
    ----------
    bounds, cache_dir
        As for ``rail_graph_segments``.
    spacing_m
        Longest edge of the returned graph, in metres.
    """
    return track_graph(rail_graph_segments(bounds=bounds, cache_dir=cache_dir), spacing_m=spacing_m)


def track_graph(segments: np.ndarray, *, spacing_m: float = TRACK_NODE_SPACING_M) -> nx.Graph:
    """Join straight track segments at their shared ends into an undirected networkx graph.

    The form osmnx and ``geo.networks.osm_track.snap_sections`` expect: integer nodes with ``x``
    (longitude) and ``y`` (latitude), edges with their geodesic ``length`` in metres.
    scgraph_data's graph is simplified, with straight edges up to tens of km long; each segment
    longer than ``spacing_m`` is cut into equal pieces, straight in longitude and latitude as the
    segment is drawn, so that a station beside a long segment finds a node near it. Of two
    edges joining the same nodes, the shorter is kept.

    Parameters
    ----------
    segments
        Rows ``lon1, lat1, lon2, lat2`` (as ``rail_graph_segments`` returns them); segments
        meet where an end of one equals an end of another exactly.
    spacing_m
        Longest edge of the returned graph, in metres.

    Returns
    -------
    networkx.Graph
        With ``graph.graph["crs"]`` the storage CRS.
    """
    segments = np.asarray(segments, dtype=float).reshape(-1, 4)
    metres = np.asarray(
        GEOD.inv(segments[:, 0], segments[:, 1], segments[:, 2], segments[:, 3])[2], dtype=float
    )
    pieces = np.maximum(1, np.ceil(metres / spacing_m)).astype(int)
    owner = np.repeat(np.arange(len(segments)), pieces)
    step = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    first, last = segments[owner, :2], segments[owner, 2:]
    starts = first + (step / pieces[owner])[:, None] * (last - first)
    ends = first + ((step + 1) / pieces[owner])[:, None] * (last - first)
    # The last piece ends exactly on the segment's end, where the next segment starts.
    final = step + 1 == pieces[owner]
    ends[final] = last[final]
    places, index = np.unique(np.vstack([starts, ends]), axis=0, return_inverse=True)
    index = index.reshape(-1)
    u, v = index[: len(starts)], index[len(starts) :]
    lengths = np.asarray(GEOD.inv(starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])[2])
    graph = nx.Graph(crs=settings.storage_crs)
    graph.add_nodes_from(
        (int(node), {"x": float(x), "y": float(y)}) for node, (x, y) in enumerate(places)
    )
    # Longest first: of two edges joining the same nodes, the shorter is added last and stays.
    order = np.argsort(-lengths, kind="stable")
    graph.add_weighted_edges_from(
        ((int(u[i]), int(v[i]), float(lengths[i])) for i in order if u[i] != v[i]),
        weight="length",
    )
    log(
        f"track graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges from "
        f"{len(segments)} segments cut to {spacing_m:g} m or less"
    )
    return graph


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
    cache_dir: Path | None = None,
) -> list[Problem]:
    """Warnings for operating stations farther than ``limit_km`` from the railway graph.

    A station placed only roughly (its town or county, ``precision_m`` of kilometres) is
    allowed as far as its stated precision: the warning is for a position that claims more
    than it can hold.

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
    cache_dir
        Folder of the cache of the railway graph (default ``geo._io.cache_for()``).

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
    distances = distances_to_rail_graph_km(places, cache_dir=cache_dir)
    warnings = [
        Problem(
            file,
            str(row["id"]),
            "lon",
            f"operating station {row['name_zh']} ({row['station_id']}) lies {km:.1f} km from "
            f"the railway graph (limit {allowed:g} km): check its position, or add it to "
            "settings.rail_graph_exceptions with a reason",
        )
        for (_, row), km in zip(operating.iterrows(), distances, strict=True)
        if km > (allowed := max(limit, float(row["precision_m"]) / 1000))
    ]
    log(
        f"checked {len(places)} operating stations against the railway graph: "
        f"{len(warnings)} farther than {limit:g} km, {len(excused)} excepted"
    )
    return warnings


def layer_warnings(
    layers: Mapping[str, gpd.GeoDataFrame], *, cache_dir: Path | None = None
) -> list[Problem]:
    """Every plausibility warning of the loaded layers, each also written to the log.

    ``cache_dir``: folder of the cache of the railway graph (default ``geo._io.cache_for()``).
    """
    warnings = []
    if "rail_stations" in layers:
        warnings += stations_far_from_rail_graph(layers["rail_stations"], cache_dir=cache_dir)
    for warning in warnings:
        log(f"warning: {warning}", level=logging.WARNING)
    return warnings
