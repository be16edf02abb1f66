"""Routing, the stage after loading: the lines drawn straight at loading follow their networks.

``geo.sources.layers.load_layers`` only reads and checks, and draws expressways and corridor legs
straight through their waypoints; ``route_layers`` routes them on the networks of
``geo.networks.freight`` (the highway and railway graphs, the sea lanes).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geo.errors import LayerValidationError, Problem, RoutingError
from geo.networks import freight
from geo.sources._layer_builders import ROUTING_SOURCES
from geo.sources._schema import LAYER_SPECS
from geo.sources._validate import parse_waypoints
from geo.utils import log

__all__ = ["route_layers"]


def _route_expressways(frame: gpd.GeoDataFrame, *, cache_dir: Path | None) -> gpd.GeoDataFrame:
    """Expressways in service along the highway graph; the others stay straight."""
    spec = LAYER_SPECS["expressways"]
    problems: list[Problem] = []
    geometries: list[BaseGeometry | None] = []
    shares: list[float] = []
    for row in frame.itertuples():
        line, share = row.geometry, 0.0
        # Only a road in service can be in the OpenStreetMap highway graph.
        if row.status == "operating":
            points = [(lon, lat) for _, lon, lat in parse_waypoints(str(row.waypoints))]
            try:
                line, share = freight.road_route(points, cache_dir=cache_dir)
            except RoutingError as error:
                problems.append(Problem(spec.file_name, str(row.id), "waypoints", str(error)))
        geometries.append(line)
        shares.append(round(share, 3))
    if problems:
        raise LayerValidationError(problems)
    routed = frame.copy()
    routed["geometry"] = geometries
    routed["geometry_source"] = [freight.road_geometry_source(share) for share in shares]
    routed["osm_share"] = shares
    return routed


def route_layers(
    layers: dict[str, gpd.GeoDataFrame], *, cache_dir: Path | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Route the lines drawn straight at loading on their networks.

    The stage after ``load_layers`` (which only loads and checks): expressways in service
    follow scgraph_data's highway graph; corridor sea legs follow searoute's maritime network,
    rail legs the scgraph railway graph through their waypoints, with the distance off it.

    Parameters
    ----------
    layers
        Layers from ``load_layers``; those not routed are returned as given.
    cache_dir
        Folder of the cache of the routes (default ``geo._io.cache_for()``).

    Returns
    -------
    dict
        The same layers, ``expressways`` and ``corridor_routes`` routed.

    Raises
    ------
    LayerValidationError
        Naming each road or leg that cannot be routed on its network.
    """
    problems: list[Problem] = []
    routed = dict(layers)
    if "expressways" in layers:
        try:
            routed["expressways"] = _route_expressways(layers["expressways"], cache_dir=cache_dir)
        except LayerValidationError as error:
            problems += error.problems
    if "corridor_routes" in layers:
        try:
            routed["corridor_routes"] = _route_layers(
                layers["corridor_routes"], cache_dir=cache_dir
            )
        except LayerValidationError as error:
            problems += error.problems
    if problems:
        raise LayerValidationError(problems)
    return routed


def _route_layers(frame: gpd.GeoDataFrame, *, cache_dir: Path | None) -> gpd.GeoDataFrame:
    """Corridor legs on the sea lanes and the railway graph; schematic legs stay straight."""
    spec = LAYER_SPECS["corridor_routes"]
    frame = frame.copy()
    problems: list[Problem] = []
    geometries: list[BaseGeometry | None] = []
    off_network_km: list[float] = []
    for row in frame.itertuples():
        off_network = 0.0
        line = row.geometry
        if row.routing != "schematic" and line is not None:
            ends = [line.coords[0], line.coords[-1]]
            try:
                if row.routing == "searoute":
                    line = freight.sea_route(ends[0], ends[1])
                else:
                    line, off_network = freight.rail_route(
                        list(row.geometry.coords), cache_dir=cache_dir
                    )
            except RoutingError as error:
                problems.append(Problem(spec.file_name, str(row.id), "routing", str(error)))
        geometries.append(line)
        off_network_km.append(round(off_network, 1))
    if problems:
        raise LayerValidationError(problems)
    frame["geometry"] = geometries
    frame["geometry_source"] = [ROUTING_SOURCES[value] for value in frame["routing"]]
    frame["off_network_km"] = off_network_km
    routed = (frame["routing"] != "schematic").sum()
    log(f"layer corridor_routes: {routed} legs routed on the sea lanes and the railway graph")
    return frame
