"""OpenStreetMap track geometry through osmnx: from a local file or from Overpass.

The rail graph (``railway=rail`` ways, keeping ``railway``, ``highspeed``, ``usage`` and
``name``) comes from a local ``.osm``/``.osm.bz2`` file (``osmnx.graph_from_xml``), a
``.osm.pbf`` extract (filtered to its railways with pyosmium first), or from Overpass with
osmnx's cache. It is kept as GraphML in the cache folder, and the build uses it to
redraw each rail section along the track between consecutive stations; where OSM has no track
(a line under construction, a station far from any track) the schematic chain stays, and each
section says which (``geometry_source``, ``osm_share``).

Without that cache, ``snap_sections`` draws the operating sections along scgraph_data's railway
graph (``geo.networks.track_graph.rail_track_graph``, OpenStreetMap-derived and simplified)
instead, under
stricter guards: that graph lacks the newest lines and does not tell a high-speed line from a
conventional one beside it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import socket
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely import LineString, Point

from geo import settings
from geo._geodesy import geodesic_km, length_km, nearest
from geo._io import OSM_GRAPH_FILE, atomic_path, cache_file, cache_for, read_record, write_record
from geo.errors import ChengyuError, DamagedCacheError
from geo.sources._schema import TRACK_SOURCES
from geo.utils import log

#: Way tags kept on the rail graph's edges.
RAIL_TAGS = ("railway", "highspeed", "usage", "name", "service", "gauge", "electrified")
#: Overpass filter for the rail graph.
RAIL_FILTER = '["railway"="rail"]'
#: Name of the cached rail graph in the cache folder.
CACHED_GRAPH = OSM_GRAPH_FILE
#: The key its cache record is written for (one graph per cache folder).
_GRAPH_KEY = hashlib.sha256(b"osm-rail-graph graphml").hexdigest()


def _osmnx() -> Any:
    """Return osmnx, imported on first use.

    Importing it costs about 140 MB and a second or more (it imports scikit-learn when that is
    installed), and a build reads no OpenStreetMap file unless ``chengyu osm`` kept one.
    """
    import osmnx

    return osmnx


@contextmanager
def _rail_tags() -> Iterator[Any]:
    """Yield osmnx with the rail way tags kept, for this call only.

    osmnx reads the tags to keep from its module settings and takes no argument for them; the
    previous list is put back on the way out, so no other caller of osmnx sees a changed setting.
    """
    ox = _osmnx()
    previous = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = [*previous, *(tag for tag in RAIL_TAGS if tag not in previous)]
    try:
        yield ox
    finally:
        ox.settings.useful_tags_way = previous


def rail_graph_from_file(path: Path, *, cache_dir: Path | None = None) -> nx.MultiDiGraph:
    """Return the ``railway=rail`` graph of a local OpenStreetMap file (``.osm``, ``.osm.bz2``).

    Raises
    ------
    ChengyuError
        Naming the file, if it cannot be read or holds no railway.
    """
    if not path.is_file():
        raise ChengyuError(f"{path}: no such OpenStreetMap file")
    if path.name.endswith(".pbf"):
        path = _rail_ways_of_pbf(path, cache_dir=cache_for() if cache_dir is None else cache_dir)
    try:
        with _rail_tags() as ox:
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=True, retain_all=True)
    except EOFError as error:  # bz2 raises it for a cut-off file
        raise ChengyuError(f"{path}: the file is truncated ({error})") from error
    except (ValueError, KeyError, OSError, ElementTree.ParseError) as error:
        raise ChengyuError(f"{path}: not a readable OpenStreetMap file: {error}") from error
    return _only_rail(graph, origin=str(path))


def _rail_ways_of_pbf(path: Path, *, cache_dir: Path) -> Path:
    """Filter a ``.osm.pbf`` to its ``railway=rail`` ways and their nodes, as OSM XML.

    osmnx reads XML only; a regional extract is far too large for that, so pyosmium keeps the
    railways first (with the nodes they reference) and writes them next to the cache.
    """
    try:
        import osmium
    except ImportError as error:
        raise ChengyuError(f"{path}: reading .osm.pbf needs the osmium package") from error
    target = cache_file(
        cache_dir,
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
    _check_reachable(_osmnx().settings.overpass_url)
    west, south, east, north = bbox or settings.region_bounds
    try:
        with _rail_tags() as ox:
            graph = ox.graph_from_bbox(
                (west, south, east, north),
                custom_filter=RAIL_FILTER,
                retain_all=True,
                simplify=True,
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
    folder = cache_for() if cache_dir is None else cache_dir
    graph = (
        rail_graph_from_overpass()
        if source == "overpass"
        else rail_graph_from_file(Path(source), cache_dir=folder)
    )
    target = folder / CACHED_GRAPH
    with tempfile.TemporaryDirectory() as scratch:
        # osmnx writes GraphML to a file only; the cache keeps it as a checked record.
        written = Path(scratch) / CACHED_GRAPH
        _osmnx().save_graphml(graph, written)
        payload = written.read_bytes()
    write_record(target, payload, kind="graphml", key=_GRAPH_KEY)
    return target


def cached_rail_graph(cache_dir: Path | None = None) -> nx.MultiDiGraph | None:
    """Return the rail graph kept by the last ``refresh``, or ``None`` if there is none.

    Raises
    ------
    ChengyuError
        If the graph no longer matches the sha256 of its record (``geo._io.read_record``),
        was cached by an older version without one, or cannot be read: it cannot be computed
        again without its source, and read damaged it would move the sections drawn along it.
    """
    path = (cache_for() if cache_dir is None else cache_dir) / CACHED_GRAPH
    if not path.is_file():
        return None
    again = f"run chengyu osm --source FILE|overpass again, or delete {path.name}"
    try:
        payload = read_record(path, key=_GRAPH_KEY)
    except DamagedCacheError as error:
        raise ChengyuError(f"{path}: damaged or of an older version ({error}): {again}") from None
    try:
        graph: nx.MultiDiGraph = _osmnx().load_graphml(graphml_str=payload.decode("utf-8"))
    except (ElementTree.ParseError, ValueError, KeyError) as error:
        raise ChengyuError(f"{path}: not a readable GraphML file ({error}): {again}") from None
    return graph


#: ``geometry_source`` of a section that stays a station chain.
CHAIN = "schematic_station_chain"


def snap_sections(
    sections: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    graph: nx.Graph,
    *,
    source: str = "osm",
    max_snap_m: float | None = None,
    max_detour: float | None = None,
    length_tolerance_pct: float | None = None,
    statuses: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Redraw the rail sections still drawn as station chains along a track graph.

    The track is the cached OpenStreetMap graph (``source="osm"``) or scgraph_data's railway
    graph (``"osm_railway_graph"``, from ``geo.networks.track_graph.rail_track_graph``): any
    networkx graph,
    directed or not, whose nodes carry ``x`` and ``y`` and whose edges carry ``length`` in metres
    (and may carry a ``geometry``). A section already drawn along a track keeps it, so the graph
    given first wins.

    A leg between two consecutive stations follows the track when both stations are placed to
    within ``max_snap_m`` (their ``precision_m``) and lie within ``max_snap_m`` of a track node,
    and the track joins them in at most ``max_detour`` times the leg's geodesic chord; otherwise it
    stays straight. A section whose legs, so drawn, would come out more than
    ``length_tolerance_pct`` longer than its official length (``length_official_km``; without
    one, its line's ``line_length_official_km`` less the line's other sections) keeps its whole
    chain: between the line's own stations the track cannot be much longer than the line, so
    the path ran along another railway.

    Parameters
    ----------
    sections, stations
        The ``rail_lines`` and ``rail_stations`` layers.
    graph
        The track.
    source
        ``geometry_source`` of a section with every leg on the track (one of
        ``geo.sources._schema.TRACK_SOURCES``); ``<source>_partial`` when only some are.
    max_snap_m, max_detour, length_tolerance_pct, statuses
        The guards. Defaults for ``osm``: ``settings.osm_max_snap_m``, and no limit on the
        detour, the length or the status; for ``osm_railway_graph``:
        ``settings.rail_graph_max_snap_m``, ``rail_graph_max_detour``,
        ``rail_graph_length_tolerance_pct`` and ``rail_graph_statuses``.

    Returns
    -------
    GeoDataFrame
        ``sections`` with ``geometry``, ``geometry_source`` and ``osm_share`` (the share of the
        section's legs drawn along the track) redrawn where the track carries them.
    """
    if source not in TRACK_SOURCES:
        raise ChengyuError(f"unknown track {source!r}: one of {', '.join(TRACK_SOURCES)}")
    railway_graph = source == "osm_railway_graph"
    limit = max_snap_m if max_snap_m is not None else _default("max_snap_m", railway_graph)
    detour = max_detour if max_detour is not None else _default("max_detour", railway_graph)
    tolerance = (
        length_tolerance_pct
        if length_tolerance_pct is not None
        else _default("length_tolerance_pct", railway_graph)
    )
    allowed = statuses if statuses is not None else _default("statuses", railway_graph)
    snapped = _snap(stations, graph, limit)
    undirected = graph.to_undirected() if graph.is_directed() else graph
    result = sections.copy()
    if "osm_share" not in result:
        result["osm_share"] = 0.0
    chain_km = {row["id"]: length_km(row.geometry) for _, row in sections.iterrows()}
    legs_on = legs_all = 0
    for index, section in sections.iterrows():
        if section["geometry_source"] != CHAIN or (allowed and section["status"] not in allowed):
            continue
        stops = stations[
            (stations["line_id"] == section["line_id"])
            & stations["seq"].between(section["from_seq"], section["to_seq"])
        ].sort_values("seq")
        points = list(stops.geometry)
        pieces, on_track = [], 0
        for start, end in itertools.pairwise(points):
            track = _track_between(start, end, undirected, snapped=snapped, max_detour=detour)
            pieces.append(track or LineString([start.coords[0], end.coords[0]]))
            on_track += track is not None
        legs = max(len(points) - 1, 1)
        legs_all += legs
        if not on_track:
            continue
        line = _joined(pieces)
        allowed_km = _longest_km(section, sections, chain_km, tolerance)
        if allowed_km is not None and length_km(line) > allowed_km:
            log(
                f"{source}: section {section['id']} keeps its station chain: along the track it "
                f"would be {length_km(line):.1f} km, more than {allowed_km:.1f} km (its official "
                f"length + {tolerance:g} %)"
            )
            continue
        legs_on += on_track
        result.at[index, "geometry"] = line
        result.at[index, "geometry_source"] = source if on_track == legs else f"{source}_partial"
        result.at[index, "osm_share"] = round(on_track / legs, 3)
    drawn = result["geometry_source"].isin([source, f"{source}_partial"])
    fully = int((result["geometry_source"] == source).sum())
    log(
        f"{source}: {int(drawn.sum())} of {len(result)} sections drawn along the track "
        f"({fully} fully), {legs_on} of the {legs_all} legs tried"
    )
    return result


def _default(name: str, railway_graph: bool) -> Any:
    """Return the default guard ``name`` of a track (the railway graph's, else OSM's)."""
    if railway_graph:
        return getattr(settings, f"rail_graph_{name}")
    return {
        "max_snap_m": settings.osm_max_snap_m,
        "max_detour": math.inf,
        "length_tolerance_pct": math.inf,
        "statuses": (),
    }[name]


def _longest_km(
    section: pd.Series,
    sections: gpd.GeoDataFrame,
    chain_km: Mapping[str, float],
    tolerance_pct: float,
) -> float | None:
    """Return the longest a section may be drawn: its official length, or its line's share."""
    if math.isinf(tolerance_pct):
        return None
    official = section.get("length_official_km")
    if official is None or pd.isna(official):
        whole = section.get("line_length_official_km")
        if whole is None or pd.isna(whole):
            return None
        others = sections[
            (sections["line_id"] == section["line_id"]) & (sections["id"] != section["id"])
        ]
        official = float(whole) - sum(chain_km[other] for other in others["id"])
    return float(official) * (1 + tolerance_pct / 100)


def _joined(pieces: Sequence[LineString]) -> LineString:
    """Return one line through the legs in order (each starts where the one before ends).

    Where both legs at a station follow the track from the same node, the line went from that
    node out to the station and back: it cuts through the station instead.
    """
    coords: list[tuple[float, float]] = []
    for piece in pieces:
        points = list(piece.coords)
        while len(coords) > 2 and len(points) > 2 and coords[-2] == points[1]:
            del coords[-2], points[1]
        coords.extend(point for point in points if not coords or point != coords[-1])
    return LineString(coords)


def _without_spur_back(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return ``coords`` (a station, then the track) without the track's vertices behind it.

    The node a station snaps to may lie beyond it, the track then running back past the station:
    the line goes from the station to the first vertex ahead instead.
    """
    station = coords[0]
    while len(coords) > 3 and _planar_m(station, coords[2]) < _planar_m(coords[1], coords[2]):
        del coords[1]
    return coords


def _planar_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the distance in metres between two nearby points, on the local plane."""
    scale = math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((a[0] - b[0]) * scale, a[1] - b[1]) * 111_195.0


def _snap(
    stations: gpd.GeoDataFrame, graph: nx.Graph, limit_m: float
) -> dict[tuple[float, float], int]:
    """Return the track node each station snaps to, for those near one and placed precisely.

    A station snaps when it is placed to within ``limit_m`` of its true position
    (``precision_m``) and lies within ``limit_m`` of a track node. A station placed only by its
    town says nothing of which track it stands on, however near one its point falls.
    """
    placed = stations[stations["precision_m"] <= limit_m] if "precision_m" in stations else stations
    places = sorted({(point.x, point.y) for point in placed.geometry})
    if not places or graph.number_of_nodes() == 0:
        return {}
    nodes = list(graph.nodes)
    positions = np.array([(graph.nodes[node]["x"], graph.nodes[node]["y"]) for node in nodes])
    found, metres = nearest(positions, np.array(places))
    return {
        place: nodes[int(row)]
        for place, row, distance in zip(places, found, metres, strict=True)
        if distance <= limit_m
    }


def _track_between(
    start: Point,
    end: Point,
    graph: nx.Graph,
    *,
    snapped: Mapping[tuple[float, float], int],
    max_detour: float = math.inf,
) -> LineString | None:
    """Return the leg from ``start`` to ``end`` along the track; ``None`` where it fails."""
    nodes = [snapped.get((point.x, point.y)) for point in (start, end)]
    if nodes[0] is None or nodes[1] is None or nodes[0] == nodes[1]:
        return None
    chord_m = geodesic_km(start.x, start.y, end.x, end.y) * 1000
    cutoff = None if math.isinf(max_detour) else max_detour * chord_m
    try:
        _, path = nx.single_source_dijkstra(
            graph, nodes[0], nodes[1], cutoff=cutoff, weight="length"
        )
    except nx.NetworkXNoPath:
        return None  # no track joins them, or only a longer one than the detour allows
    coords: list[tuple[float, float]] = [(start.x, start.y)]
    for u, v in itertools.pairwise(path):
        data = graph.get_edge_data(u, v)
        if graph.is_multigraph():
            data = min(data.values(), key=lambda edge: edge.get("length", 0))
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
    deduplicated = _without_spur_back(_without_spur_back(deduplicated)[::-1])[::-1]
    if len(deduplicated) < 2:
        return None
    track = LineString(deduplicated)
    # The spurs from the stations to their nodes count too: the leg as drawn.
    return track if length_km(track) * 1000 <= max_detour * chord_m else None
