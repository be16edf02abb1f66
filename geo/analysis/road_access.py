"""Station access by road: the areas within 30 and 60 minutes' drive of the stations.

The road network is the OpenStreetMap-derived world highway graph shipped by ``scgraph_data``
(major roads; offline). From each station, joined to its nearest road node, the roads are
followed (Dijkstra) as far as the time allows at ``settings.road_speed_kph``; discs of
``settings.road_band_km`` around the road nodes reached (one to two km apart) make the drive
area. Areas are dissolved over the stations of a scenario, so they answer "who can reach a
station by road within T minutes".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geo import settings
from geo._geodesy import dissolved_discs, geodesic_km, metric_crs, nearest
from geo._stages import GEOPARQUET, cached_stage, frame_digest
from geo.analysis._population_file import PopulationFile, count_population
from geo.analysis.coverage import coverage_table, covered_weights
from geo.networks.freight import highway_graph
from geo.sources._schema import SCENARIOS
from geo.utils import log

#: Credit owed by every output built on the highway graph.
ROAD_GRAPH_CREDIT = "road graph: scgraph_data world highways (© OpenStreetMap contributors, ODbL)"


def _road_graph(bounds: Sequence[float]) -> tuple[np.ndarray, nx.DiGraph]:
    """Return the highway graph inside ``bounds``: node positions (lon, lat) and the roads (km).

    Nodes are numbered by their row in the positions; each edge's ``km`` is the road length
    scgraph_data gives.
    """
    graph = highway_graph()
    latlon = np.asarray(graph.nodes, dtype=float)
    lon_min, lat_min, lon_max, lat_max = bounds
    inside = (
        (latlon[:, 1] >= lon_min) & (latlon[:, 1] <= lon_max)
        & (latlon[:, 0] >= lat_min) & (latlon[:, 0] <= lat_max)
    )  # fmt: skip
    kept = np.flatnonzero(inside)
    nodes = latlon[kept][:, ::-1]
    local = {int(index): position for position, index in enumerate(kept)}
    roads = nx.DiGraph()
    roads.add_weighted_edges_from(
        (
            (position, local[neighbour], km)
            for position, index in enumerate(kept)
            for neighbour, km in graph.graph[index].items()
            if neighbour in local
        ),
        weight="km",
    )
    return nodes, roads


def drive_areas(
    stations: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] | None = None,
    population: gpd.GeoDataFrame | PopulationFile | None = None,
    counties: gpd.GeoDataFrame | None = None,
    scheduler: str | None = None,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Dissolved drive areas per scenario and time limit (EPSG:4326).

    Parameters
    ----------
    stations
        The ``rail_stations`` layer.
    minutes
        Time limits (default ``settings.access_minutes``).
    population
        Adds ``people`` within each area: weighted points with a ``population`` column (the
        population surface of ``geo.analysis.population``, counted as in
        ``geo.analysis.coverage``), or county
        polygons with ``population_2020`` (areal weighting, for comparison), or a user's file
        (``geo.analysis.population.open_population``), read partition by partition.
    counties
        With a user's file: the counties its people are placed in (those outside are not
        counted, as in ``geo.analysis.coverage``).
    scheduler
        With a user's file: where it is read and counted (see ``geo.analysis.coverage``).
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``): the result depends only on the
        stations, the settings and the graph's version, and the graph takes a second to load.

    Returns
    -------
    GeoDataFrame
        ``id``, ``scenario``, ``minutes``, ``ring``, ``stations`` (how many reach a road),
        ``off_road`` (how many lie beyond ``settings.road_max_snap_km`` of any road),
        ``area_km2``, ``people`` (with ``counties``), ``method``, ``source``.
    """
    limits = tuple(minutes or settings.access_minutes)
    key = [
        version("scgraph_data"),
        json.dumps(
            [settings.road_speed_kph, settings.road_band_km, settings.road_max_snap_km, limits]
        ),
        stations[["station_id", "status"]].to_json(),
        "" if population is None else _population_key(population),
        # A file's people are placed in the counties here (the surface carries its own).
        frame_digest(counties)
        if isinstance(population, PopulationFile) and counties is not None
        else "",
        json.dumps([(p.x, p.y) for p in stations.geometry]),
    ]
    return cached_stage(
        "drive-areas",
        key,
        lambda: _drive_areas(stations, limits, population, counties, scheduler),
        cache_dir=cache_dir,
        codec=GEOPARQUET,
    )


def _drive_areas(
    stations: gpd.GeoDataFrame,
    limits: tuple[float, ...],
    population: gpd.GeoDataFrame | PopulationFile | None,
    counties: gpd.GeoDataFrame | None = None,
    scheduler: str | None = None,
) -> gpd.GeoDataFrame:
    """Compute ``drive_areas`` (not cached)."""
    bounds = stations.total_bounds
    margin = max(limits) / 60 * settings.road_speed_kph / 90 + 0.5  # degrees, generous
    nodes, roads = _road_graph(
        (bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin)
    )
    crs = metric_crs(stations)
    spurs = _spurs(stations, nodes)
    rows = []
    for scenario, statuses in SCENARIOS.items():
        chosen = stations[stations["status"].isin(statuses)].drop_duplicates("station_id")
        on_road = [spurs[station] for station in chosen["station_id"] if station in spurs]
        off_road = len(chosen) - len(on_road)
        # A road node is reached within a limit when, from some station, the spur to its
        # nearest road node plus the road beyond is no longer than the limit at road speed.
        reached = _within(roads, on_road, limit_km=max(limits) / 60 * settings.road_speed_kph)
        for limit in limits:
            km = limit / 60 * settings.road_speed_kph
            chosen_nodes = np.array(sorted(n for n, d in reached.items() if d <= km), dtype=int)
            # Road nodes lie one to two km apart: discs of the band's radius join into corridors.
            points = gpd.GeoSeries(
                gpd.points_from_xy(nodes[chosen_nodes, 0], nodes[chosen_nodes, 1]),
                crs=settings.storage_crs,
            ).to_crs(crs)
            area = dissolved_discs(
                points, settings.road_band_km * 1000, quad_segs=settings.road_disc_quad_segs
            )
            rows.append(
                {
                    "id": f"{scenario}-{limit:g}min",
                    "scenario": scenario,
                    "minutes": float(limit),
                    "ring": f"{limit:g} min",
                    "stations": len(chosen) - off_road,
                    "off_road": off_road,
                    "geometry": area,
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    frame["area_km2"] = (frame.area / 1e6).round(1)
    if population is not None:
        frame["people"] = np.round(_people(population, frame, counties, scheduler)).astype(int)
    frame = frame.to_crs(settings.storage_crs)
    frame["method"] = (
        "roads followed from each station's nearest road node at "
        f"{settings.road_speed_kph:g} km/h, "
        f"discs of {settings.road_band_km:g} km around the road nodes reached, dissolved over "
        "the stations"
    )
    frame["source"] = f"rail_stations; {ROAD_GRAPH_CREDIT}"
    log(f"drive areas: {len(frame)} for {len(limits)} limits")
    return frame


def _spurs(stations: gpd.GeoDataFrame, nodes: np.ndarray) -> dict[str, tuple[int, float]]:
    """Each station's nearest road node and the geodesic spur to it (km), if within reach.

    Stations farther than ``settings.road_max_snap_km`` from any road node are left out.
    """
    unique = stations.drop_duplicates("station_id")
    if len(nodes) == 0 or unique.empty:
        return {}
    found, _ = nearest(nodes, np.column_stack([unique.geometry.x, unique.geometry.y]))
    spurs = {}
    for station, point, node in zip(unique["station_id"], unique.geometry, found, strict=True):
        spur_km = geodesic_km(point.x, point.y, *nodes[int(node)])
        if spur_km <= settings.road_max_snap_km:
            spurs[str(station)] = (int(node), spur_km)
    return spurs


def _people(
    population: gpd.GeoDataFrame | PopulationFile,
    areas: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame | None,
    scheduler: str | None,
) -> np.ndarray:
    """People within each area: points counted, county polygons by areal weighting."""
    if isinstance(population, PopulationFile):
        if counties is None:
            raise ValueError("drive_areas: a population file needs the counties to place it in")
        matrix, _, _ = count_population(population, areas, counties, scheduler=scheduler)
        summed: np.ndarray = matrix.sum(axis=1).to_numpy(dtype=float)
        return summed
    if "population_2020" in population.columns:
        pieces = coverage_table(population, areas, keys=("scenario", "minutes"))
        people = pieces.groupby("catchment")["people"].sum().reindex(areas.index, fill_value=0)
        counted: np.ndarray = people.to_numpy(dtype=float)
        return counted
    return covered_weights(population, areas)


def _population_key(population: gpd.GeoDataFrame | PopulationFile) -> str:
    if isinstance(population, PopulationFile):
        return f"file:{population.kind}:{population.key}"
    column = "population_2020" if "population_2020" in population.columns else "population"
    digest = hashlib.sha1(b"".join(shapely.to_wkb(population.geometry.values))).hexdigest()
    return f"{column}:{int(population[column].sum())}:{len(population)}:{digest}"


def _within(
    roads: nx.DiGraph, starts: Sequence[tuple[int, float]], *, limit_km: float
) -> dict[int, float]:
    """Road distance (km) to every node within ``limit_km`` of the nearest start.

    Each start is a road node and the spur (km) already travelled to reach it; a virtual
    source joined to every start by its spur turns the stations into one Dijkstra search.
    """
    if not starts:
        return {}
    source = -1
    roads.add_node(source)
    try:
        for node, spur_km in starts:
            if not roads.has_edge(source, node) or roads[source][node]["km"] > spur_km:
                roads.add_edge(source, node, km=spur_km)
        distances = nx.single_source_dijkstra_path_length(
            roads, source, cutoff=limit_km, weight="km"
        )
    finally:
        roads.remove_node(source)
    return {int(node): float(km) for node, km in distances.items() if node != source}
