"""OpenStreetMap track geometry through osmnx: from a local file or from Overpass.

The rail graph (``railway=rail`` ways, keeping ``railway``, ``highspeed``, ``usage`` and
``name``) comes from a local ``.osm``/``.osm.bz2`` file (``osmnx.graph_from_xml``), a
``.osm.pbf`` extract (filtered to its railways with pyosmium first), or from Overpass with
osmnx's cache. It is kept as GraphML in the cache folder, and the build uses it to
redraw each rail section along the track between consecutive stations; where OSM has no track
(a line under construction, a station far from any track) the schematic chain stays, and each
section says which (``geometry_source``, ``osm_share``).
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
from shapely import LineString, MultiLineString, Point, line_merge

from geo import settings
from geo._io import OSM_GRAPH_FILE, atomic_path, cache_file
from geo.errors import ChengyuError
from geo.utils import log

#: Way tags kept on the rail graph's edges.
RAIL_TAGS = ("railway", "highspeed", "usage", "name", "service", "gauge", "electrified")
#: Overpass filter for the rail graph.
RAIL_FILTER = '["railway"="rail"]'
#: Name of the cached rail graph in the cache folder.
CACHED_GRAPH = OSM_GRAPH_FILE


def _use_rail_tags() -> None:
    for tag in RAIL_TAGS:
        if tag not in ox.settings.useful_tags_way:
            ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, tag]


def rail_graph_from_file(path: Path) -> nx.MultiDiGraph:
    """Return the ``railway=rail`` graph of a local OpenStreetMap file (``.osm``, ``.osm.bz2``).

    Raises
    ------
    ChengyuError
        Naming the file, if it cannot be read or holds no railway.
    """
    if not path.is_file():
        raise ChengyuError(f"{path}: no such OpenStreetMap file")
    if path.name.endswith(".pbf"):
        path = _rail_ways_of_pbf(path)
    _use_rail_tags()
    try:
        graph = ox.graph_from_xml(path, bidirectional=True, simplify=True, retain_all=True)
    except EOFError as error:  # bz2 raises it for a cut-off file
        raise ChengyuError(f"{path}: the file is truncated ({error})") from error
    except (ValueError, KeyError, OSError, ElementTree.ParseError) as error:
        raise ChengyuError(f"{path}: not a readable OpenStreetMap file: {error}") from error
    return _only_rail(graph, origin=str(path))


def _rail_ways_of_pbf(path: Path) -> Path:
    """Filter a ``.osm.pbf`` to its ``railway=rail`` ways and their nodes, as OSM XML.

    osmnx reads XML only; a regional extract is far too large for that, so pyosmium keeps the
    railways first (with the nodes they reference) and writes them next to the cache.
    """
    try:
        import osmium
    except ImportError as error:
        raise ChengyuError(f"{path}: reading .osm.pbf needs the osmium package") from error
    target = cache_file(
        Path(settings.cache_dir),
        "osm-rail",
        [str(path.resolve()), str(path.stat().st_mtime_ns)],
        ".osm",
    )
    if target.is_file():
        return target
    try:
        with (
            atomic_path(target) as temporary,
            osmium.BackReferenceWriter(str(temporary), ref_src=str(path)) as writer,
        ):
            ways = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
                osmium.filter.TagFilter(("railway", "rail"))
            )
            for way in ways:
                writer.add_way(way)
    except RuntimeError as error:
        raise ChengyuError(f"{path}: not a readable .osm.pbf file: {error}") from error
    log(f"filtered the railways of {path.name} into {target.name}")
    return target


def rail_graph_from_overpass(bbox: Sequence[float] | None = None) -> nx.MultiDiGraph:
    """Return the ``railway=rail`` graph of the region from Overpass (online; osmnx caches answers).

    Parameters
    ----------
    bbox
        ``(west, south, east, north)`` in degrees (default ``settings.region_bounds``).

    Raises
    ------
    ChengyuError
        One clear message when Overpass cannot be reached or answers nothing.
    """
    _use_rail_tags()
    _check_reachable(ox.settings.overpass_url)
    west, south, east, north = bbox or settings.region_bounds
    try:
        graph = ox.graph_from_bbox(
            (west, south, east, north), custom_filter=RAIL_FILTER, retain_all=True, simplify=True
        )
    except Exception as error:  # requests, urllib3 and osmnx raise many kinds when offline
        raise ChengyuError(
            f"Overpass could not be reached or returned no railway ({type(error).__name__}); "
            "use a local file: chengyu osm --source FILE.osm"
        ) from error
    return _only_rail(graph, origin="Overpass")


def _check_reachable(url: str, *, timeout_s: float | None = None) -> None:
    """Fail at once when the Overpass server cannot be reached (offline, DNS, firewall).

    Without this, osmnx retries and pauses for about a minute before giving up.
    """
    limit = settings.overpass_connect_timeout_s if timeout_s is None else timeout_s
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=limit).close()
    except OSError as error:
        raise ChengyuError(
            f"Overpass ({host}) could not be reached within {limit:g} s ({error}); "
            "use a local file: chengyu osm --source FILE.osm"
        ) from error


def _only_rail(graph: nx.MultiDiGraph, *, origin: str) -> nx.MultiDiGraph:
    drop = [
        (u, v, k)
        for u, v, k, data in graph.edges(keys=True, data=True)
        if data.get("railway") != "rail"
    ]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([node for node in list(graph.nodes) if graph.degree(node) == 0])
    if graph.number_of_edges() == 0:
        raise ChengyuError(f"{origin}: no railway=rail way in the data")
    size = f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
    log(f"OSM rail graph from {origin}: {size}")
    return graph


def refresh(source: str, *, cache_dir: Path | None = None) -> Path:
    """Read the rail graph from ``source`` (a file path or ``overpass``) and cache it as GraphML.

    The cache is written atomically, so a failed refresh leaves the previous graph in use.
    """
    graph = (
        rail_graph_from_overpass() if source == "overpass" else rail_graph_from_file(Path(source))
    )
    target = Path(cache_dir or settings.cache_dir) / CACHED_GRAPH
    with atomic_path(target) as temporary:
        ox.save_graphml(graph, temporary)
    return target


def cached_rail_graph(cache_dir: Path | None = None) -> nx.MultiDiGraph | None:
    """Return the rail graph kept by the last ``refresh``, or ``None`` if there is none."""
    path = Path(cache_dir or settings.cache_dir) / CACHED_GRAPH
    return ox.load_graphml(path) if path.is_file() else None


def snap_sections(
    sections: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph,
    *,
    max_snap_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Redraw each rail section along the OSM track between its consecutive stations.

    A leg between two stations follows the track when both snap to a track node within
    ``max_snap_m`` (default ``settings.osm_max_snap_m``) and the track joins them; otherwise it
    keeps its straight schematic piece. ``geometry_source`` becomes ``osm`` (every leg on the
    track), ``osm_partial`` or stays ``schematic_station_chain``; ``osm_share`` is the share of
    legs on the track.
    """
    limit = max_snap_m if max_snap_m is not None else settings.osm_max_snap_m
    snapped = _snap(stations, graph, limit)
    undirected = graph.to_undirected()
    result = sections.copy()
    shares, sources, geometries = [], [], []
    for _, section in sections.iterrows():
        stops = stations[
            (stations["line_id"] == section["line_id"])
            & stations["seq"].between(section["from_seq"], section["to_seq"])
        ].sort_values("seq")
        pieces, on_track = [], 0
        points = list(stops.geometry)
        for start, end in itertools.pairwise(points):
            track = _track_between(start, end, undirected, snapped=snapped)
            if track is None:
                pieces.append(LineString([start.coords[0], end.coords[0]]))
            else:
                pieces.append(track)
                on_track += 1
        legs = max(len(points) - 1, 1)
        merged = line_merge(MultiLineString(pieces))
        geometries.append(merged if merged.geom_type == "LineString" else section.geometry)
        shares.append(round(on_track / legs, 3))
        sources.append(
            "osm" if on_track == legs else "osm_partial" if on_track else "schematic_station_chain"
        )
    result["geometry"] = geometries
    result["geometry_source"] = sources
    result["osm_share"] = shares
    fully = sum(source == "osm" for source in sources)
    log(f"OSM track: {fully} of {len(sources)} sections fully on the track")
    return result


def _snap(
    stations: gpd.GeoDataFrame, graph: nx.MultiDiGraph, limit_m: float
) -> dict[tuple[float, float], int]:
    """Return the track node each station position snaps to, for those within ``limit_m`` of one."""
    places = sorted({(point.x, point.y) for point in stations.geometry})
    if not places or graph.number_of_nodes() == 0:
        return {}
    found, metres = ox.distance.nearest_nodes(
        graph, [x for x, _ in places], [y for _, y in places], return_dist=True
    )
    return {
        place: int(node)
        for place, node, distance in zip(places, found, metres, strict=True)
        if distance <= limit_m
    }


def _track_between(
    start: Point,
    end: Point,
    graph: nx.MultiGraph,
    *,
    snapped: Mapping[tuple[float, float], int],
) -> LineString | None:
    nodes = [snapped.get((point.x, point.y)) for point in (start, end)]
    if nodes[0] is None or nodes[1] is None:
        return None
    if nodes[0] == nodes[1]:
        return None
    try:
        path = nx.shortest_path(graph, nodes[0], nodes[1], weight="length")
    except nx.NetworkXNoPath:
        return None
    coords: list[tuple[float, float]] = [(start.x, start.y)]
    for u, v in itertools.pairwise(path):
        data = min(graph.get_edge_data(u, v).values(), key=lambda edge: edge.get("length", 0))
        if "geometry" in data:
            line = list(data["geometry"].coords)
            first = (graph.nodes[u]["x"], graph.nodes[u]["y"])
            if np.hypot(line[-1][0] - first[0], line[-1][1] - first[1]) < np.hypot(
                line[0][0] - first[0], line[0][1] - first[1]
            ):
                line.reverse()
            coords.extend(line)
        else:
            coords.extend(
                [
                    (graph.nodes[u]["x"], graph.nodes[u]["y"]),
                    (graph.nodes[v]["x"], graph.nodes[v]["y"]),
                ]
            )
    coords.append((end.x, end.y))
    deduplicated = [
        point for index, point in enumerate(coords) if index == 0 or point != coords[index - 1]
    ]
    return LineString(deduplicated)
