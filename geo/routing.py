"""Geometry of route legs: on the rail and sea networks, or schematic through named places."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import searoute
from shapely import LineString

from geo import settings
from geo._io import atomic_path, cache_file
from geo.errors import RoutingError
from geo.measure import geodesic_km
from geo.utils import log

Point2 = tuple[float, float]

#: How far a sea leg's end may lie from the maritime network before it counts as on land (km).
MAX_SEA_SNAP_KM = 60.0
#: How far a rail leg's end or node may lie from the railway graph (km).
MAX_RAIL_SNAP_KM = 35.0
#: Credit owed by every output that shows a rail leg routed on scgraph_data's graph.
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
    cached (``settings.cache_dir``) under a key of the points and the graph's version.

    Parameters
    ----------
    points
        ``(lon, lat)`` of the origin, the nodes the leg must pass, and the destination.
    max_snap_km
        How far a point may lie from the nearest railway node.
    cache_dir
        Folder of the cache (default ``settings.cache_dir``).

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
    cache = cache_file(Path(cache_dir or settings.cache_dir), "rail-route", key, ".json")
    if cache.is_file():
        cached = json.loads(cache.read_text())
        return LineString(cached["coordinates"]), float(cached["off_network_km"])
    graph = _railway_graph()
    coords: list[Point2] = []
    last = len(points) - 2
    for index, (start, end) in enumerate(itertools.pairwise(points)):
        try:
            result = graph.get_shortest_path(
                {"latitude": start[1], "longitude": start[0]},
                {"latitude": end[1], "longitude": end[0]},
                output_units="km",
            )
        except Exception as error:  # scgraph raises bare exceptions when no path exists
            raise RoutingError(f"no rail path from {start} to {end}: {error}") from error
        # scgraph returns the query points themselves at both ends, joined to the graph by a
        # straight spur; a node the leg passes through keeps no spur.
        path = [(float(lon), float(lat)) for lat, lon in result["coordinate_path"]]
        for place, node in ((start, path[1]), (end, path[-2])):
            _check_snap(
                place,
                node,
                max_snap_km,
                "railway",
                "a rail leg must start, pass and end on the network",
            )
        path = path[(1 if index > 0 else 0) : (None if index == last else -1)]
        coords.extend(point for point in path if not coords or point != coords[-1])
    off_network = geodesic_km(*coords[0], *coords[1]) + geodesic_km(*coords[-2], *coords[-1])
    with atomic_path(cache) as temporary:
        temporary.write_text(json.dumps({"coordinates": coords, "off_network_km": off_network}))
    log(f"rail route through {len(points)} points: {len(coords)} vertices, cached in {cache.name}")
    return LineString(coords), off_network


def _railway_graph():  # type: ignore[no-untyped-def]
    # Imported on first use: the graph is a 17 MB Python module.
    from scgraph_data.world_railways import world_railways_geograph

    return world_railways_geograph


def _check_snap(
    place: Point2, node: Sequence[float], limit_km: float, network: str, rule: str
) -> None:
    gap = geodesic_km(place[0], place[1], node[0], node[1])
    if gap > limit_km:
        raise RoutingError(
            f"{place} is {gap:.0f} km from the nearest {network} (limit {limit_km:.0f} km): {rule}"
        )


def schematic_route(points: Sequence[Point2]) -> LineString:
    """Join points in order with straight segments, dropping repeated points.

    Raises
    ------
    RoutingError
        If fewer than two distinct points remain.
    """
    kept: list[Point2] = []
    for point in points:
        if not kept or point != kept[-1]:
            kept.append(point)
    if len(kept) < 2:
        raise RoutingError(f"a line needs two distinct points, got {list(points)}")
    return LineString(kept)
