"""Geometry of route legs: on the rail and sea networks, or schematic through named places."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import searoute
from shapely import LineString

from geo import settings
from geo._geodesy import geodesic_km, unit_vectors
from geo._stages import JSON, cached_stage
from geo.errors import RoutingError
from geo.utils import log

Point2 = tuple[float, float]

#: How far a sea leg's end may lie from the maritime network before it counts as on land (km).
MAX_SEA_SNAP_KM = 60.0
#: How far a rail leg's end or node may lie from the railway graph (km).
MAX_RAIL_SNAP_KM = 35.0
#: Credit owed by every output that shows a rail leg routed on scgraph_data's graph.
_RAIL_RULE = "a rail leg must start, pass and end on the network"
RAIL_GRAPH_CREDIT = "railway graph: scgraph_data (© OpenStreetMap contributors, ODbL)"


def sea_route(
    origin: Point2, destination: Point2, *, max_snap_km: float = MAX_SEA_SNAP_KM
) -> LineString:
    """Route a sea leg on the searoute maritime network (offline).

    Parameters
    ----------
    origin, destination
        ``(lon, lat)`` of the two ports.
    max_snap_km
        How far an end may be from the network before the leg is refused as starting on land.

    Returns
    -------
    LineString
        The route from origin to destination, ends included.

    Raises
    ------
    RoutingError
        If an end lies too far from the sea network, or no route is found.
    """
    try:
        feature = searoute.searoute(list(origin), list(destination), units="km")
    except Exception as error:  # searoute raises bare exceptions of networkx
        raise RoutingError(f"no sea route from {origin} to {destination}: {error}") from error
    coords = [tuple(point) for point in feature["geometry"]["coordinates"]]
    _check_snap(
        origin,
        coords[0],
        max_snap_km,
        "sea lane",
        "a sea leg must start and end at a port on the coast",
    )
    _check_snap(
        destination,
        coords[-1],
        max_snap_km,
        "sea lane",
        "a sea leg must start and end at a port on the coast",
    )
    log(f"sea route {origin} → {destination}: {feature['properties']['length']:.0f} km")
    return LineString([origin, *coords, destination])


def rail_route(
    points: Sequence[Point2],
    *,
    max_snap_km: float = MAX_RAIL_SNAP_KM,
    cache_dir: Path | None = None,
) -> tuple[LineString, float]:
    """Route a rail leg through ``points`` in order on scgraph_data's world railway graph.

    The graph is derived from OpenStreetMap and loads in seconds, so the routed geometry is
    cached (in ``cache_dir``) under a key of the points and the graph's version.

    Parameters
    ----------
    points
        ``(lon, lat)`` of the origin, the nodes the leg must pass, and the destination.
    max_snap_km
        How far a point may lie from the nearest railway node.
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).

    Returns
    -------
    line, off_network_km
        The route, and the length of the straight spurs that join the ends to the graph.

    Raises
    ------
    RoutingError
        If a point lies farther than ``max_snap_km`` from the railway, or no path exists.
    """
    key = [version("scgraph"), version("scgraph_data"), json.dumps(list(points))]
    route = _cached_route(
        "rail-route",
        key,
        cache_dir,
        lambda: _graph_route(
            points, railway_graph(), max_snap_km, network="railway", rule=_RAIL_RULE
        ),
    )
    return route.line, route.off_network_km


def road_route(
    points: Sequence[Point2],
    *,
    max_snap_km: float | None = None,
    max_detour: float | None = None,
    cache_dir: Path | None = None,
) -> tuple[LineString, float]:
    """Route a road through ``points`` in order on scgraph_data's world highway graph.

    A leg whose ends lie farther than ``max_snap_km`` from the graph, or whose path is more than
    ``max_detour`` times its straight line, has no road in the graph and stays straight. Cached
    like ``rail_route``.

    Parameters
    ----------
    points
        ``(lon, lat)`` of the places the road links, in order.
    max_snap_km
        How far a place may lie from the nearest road node (default
        ``settings.road_route_max_snap_km``).
    max_detour
        Longest path allowed, as a multiple of the leg's straight line (default
        ``settings.road_route_max_detour``).
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).

    Returns
    -------
    line, routed_share
        The route, and the share of the straight-line length of the legs that follow the graph.
    """
    snap = settings.road_route_max_snap_km if max_snap_km is None else max_snap_km
    detour = settings.road_route_max_detour if max_detour is None else max_detour
    key = [version("scgraph"), version("scgraph_data"), json.dumps([list(points), snap, detour])]
    route = _cached_route(
        "road-route",
        key,
        cache_dir,
        lambda: _graph_route(
            points, highway_graph(), snap, network="road", rule="", max_detour=detour
        ),
    )
    return route.line, route.routed_share


def road_geometry_source(routed_share: float) -> str:
    """``geometry_source`` of a road whose legs follow the highway graph for this share."""
    if routed_share >= 1.0:
        return "osm_highway_graph"
    return "osm_highway_graph_partial" if routed_share > 0 else "schematic_waypoints"


class _Route(NamedTuple):
    line: LineString
    off_network_km: float
    routed_share: float


def _cached_route(
    name: str, key: list[str], cache_dir: Path | None, compute: Callable[[], _Route]
) -> _Route:
    def routed() -> dict[str, Any]:
        route = compute()
        log(f"{name}: {len(route.line.coords)} vertices")
        return {
            "coordinates": list(route.line.coords),
            "off_network_km": route.off_network_km,
            "routed_share": route.routed_share,
        }

    cached = cached_stage(name, key, routed, cache_dir=cache_dir, codec=JSON, keep=None)
    return _Route(
        LineString(cached["coordinates"]),
        float(cached["off_network_km"]),
        float(cached["routed_share"]),
    )


def _graph_route(  # type: ignore[no-untyped-def]
    points: Sequence[Point2],
    graph,
    max_snap_km: float,
    *,
    network: str,
    rule: str,
    max_detour: float | None = None,
) -> _Route:
    """Route through ``points`` on a scgraph geograph, leg by leg.

    Without ``max_detour`` every leg must be on the graph (rail legs: a leg off the network
    raises). With it, a leg too far from the graph or too roundabout stays a straight line.
    """
    coords: list[Point2] = []
    off_network = 0.0
    routed_km = chord_km = 0.0
    last = len(points) - 2
    for index, (start, end) in enumerate(itertools.pairwise(points)):
        chord = geodesic_km(*start, *end)
        chord_km += chord
        try:
            path = _shortest_path(graph, (start, end), max_snap_km, network, rule)
            if max_detour is not None and _path_km(path) > max_detour * chord:
                raise RoutingError(f"path from {start} to {end} is a detour")
        except RoutingError:
            if max_detour is None:
                raise
            coords.extend(point for point in (start, end) if not coords or point != coords[-1])
            continue
        routed_km += chord
        # scgraph returns the query points themselves at both ends, joined to the graph by a
        # straight spur; a place the route passes through keeps no spur.
        if index == 0:
            off_network += geodesic_km(*path[0], *path[1])
        if index == last:
            off_network += geodesic_km(*path[-2], *path[-1])
        path = path[(1 if index > 0 else 0) : (None if index == last else -1)]
        coords.extend(point for point in path if not coords or point != coords[-1])
    share = routed_km / chord_km if chord_km else 0.0
    return _Route(LineString(coords), off_network, share)


def _shortest_path(  # type: ignore[no-untyped-def]
    graph, leg: tuple[Point2, Point2], max_snap_km: float, network: str, rule: str
) -> list[Point2]:
    start, end = leg
    try:
        result = graph.get_shortest_path(
            {"latitude": start[1], "longitude": start[0]},
            {"latitude": end[1], "longitude": end[0]},
            output_units="km",
        )
    except Exception as error:  # scgraph raises bare exceptions when no path exists
        raise RoutingError(f"no {network} path from {start} to {end}: {error}") from error
    path = [(float(lon), float(lat)) for lat, lon in result["coordinate_path"]]
    for place, node in ((start, path[1]), (end, path[-2])):
        _check_snap(place, node, max_snap_km, network, rule)
    return path


def _path_km(path: Sequence[Point2]) -> float:
    return sum(geodesic_km(*a, *b) for a, b in itertools.pairwise(path))


def railway_graph() -> Any:
    """Return scgraph_data's world railway graph (a scgraph ``GeoGraph``), ready to query."""
    # Imported on first use: the graph is a 17 MB Python module.
    from scgraph_data.world_railways import world_railways_geograph

    return _warmed(world_railways_geograph)


def highway_graph() -> Any:
    """Return scgraph_data's world highway graph (a scgraph ``GeoGraph``), ready to query."""
    # Imported on first use: the graph is a 36 MB Python module.
    from scgraph_data.world_highways import world_highways_geograph

    return _warmed(world_highways_geograph)


class _NearestNode:
    """The graph node nearest a point, as scgraph's ``GeoKDTree.closest_idx`` finds it.

    The same search (the nearest of the graph's nodes on the unit sphere, in a straight line)
    on scipy's k-d tree: scgraph builds its tree in pure Python on a graph's first query, 4.3 s
    for each world graph, most of a cold analysis's routing; scipy's takes a fraction of that.
    """

    def __init__(self, nodes: Sequence[Sequence[float]]) -> None:
        # Imported here, as in geo._geodesy: scipy costs 0.2 s of every command's start-up,
        # and only a build that routes (a cold cache) asks for the graphs.
        from scipy.spatial import cKDTree

        lat_lon = np.asarray(nodes, dtype=float)
        self._tree = cKDTree(unit_vectors(lat_lon[:, ::-1]))

    def closest_idx(self, point: Sequence[float]) -> int:
        """Return the index of the node nearest ``point`` (latitude, longitude)."""
        _, index = self._tree.query(unit_vectors(np.array([point[1], point[0]])), k=1)
        return int(index[0])


def _warmed(graph: Any) -> Any:
    """Give a scgraph graph its nearest-node index from scipy before its first query.

    scgraph warms a graph up on its first query unless ``__warm__`` is set: its k-d tree and
    its cache graph. Where an scgraph version names these differently, it warms up itself.
    """
    if getattr(graph, "__warm__", True) or not hasattr(graph, "nodes"):
        return graph
    from scgraph.cache import CacheGraph

    graph.geokdtree = _NearestNode(graph.nodes)
    graph.cacheGraph = CacheGraph(graph=graph.graph, validate_graph=False)
    graph.__warm__ = True
    return graph


def _check_snap(
    place: Point2, node: Sequence[float], limit_km: float, network: str, rule: str
) -> None:
    gap = geodesic_km(place[0], place[1], node[0], node[1])
    if gap > limit_km:
        raise RoutingError(
            f"{place} is {gap:.0f} km from the nearest {network} (limit {limit_km:.0f} km): {rule}"
        )
