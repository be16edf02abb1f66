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
import heapq
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo import settings
from geo._io import atomic_path, cache_file
from geo.coverage import SCENARIOS, coverage_table, covered_weights
from geo.measure import geodesic_km
from geo.routing import _highway_graph
from geo.utils import log

#: Credit owed by every output built on the highway graph.
ROAD_GRAPH_CREDIT = "road graph: scgraph_data world highways (© OpenStreetMap contributors, ODbL)"


def _road_graph(bounds: Sequence[float]) -> tuple[np.ndarray, list[dict[int, float]], np.ndarray]:
    """Nodes (lon, lat) inside ``bounds``, the adjacency (km) and the indices kept."""
    graph = _highway_graph()
    latlon = np.asarray(graph.nodes, dtype=float)
    lon_min, lat_min, lon_max, lat_max = bounds
    inside = (
        (latlon[:, 1] >= lon_min) & (latlon[:, 1] <= lon_max)
        & (latlon[:, 0] >= lat_min) & (latlon[:, 0] <= lat_max)
    )  # fmt: skip
    kept = np.flatnonzero(inside)
    return latlon[kept][:, ::-1], [graph.graph[index] for index in kept], kept


def drive_areas(
    stations: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] | None = None,
    population: gpd.GeoDataFrame | None = None,
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
        population surface of ``geo.population``, counted as in ``geo.coverage``), or county
        polygons with ``population_2020`` (areal weighting, for comparison).
    cache_dir
        Folder of the cache (default ``settings.cache_dir``): the result depends only on the
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
        json.dumps([(p.x, p.y) for p in stations.geometry]),
    ]
    cache = cache_file(Path(cache_dir or settings.cache_dir), "drive-areas", key, ".parquet")
    if cache.is_file():
        return gpd.read_parquet(cache)
    bounds = stations.total_bounds
    margin = max(limits) / 60 * settings.road_speed_kph / 90 + 0.5  # degrees, generous
    nodes, adjacency, kept = _road_graph(
        (bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin)
    )
    local = {int(index): position for position, index in enumerate(kept)}
    crs = stations.estimate_utm_crs()
    rows = []
    for scenario, statuses in SCENARIOS.items():
        chosen = stations[stations["status"].isin(statuses)].drop_duplicates("station_id")
        # Road nodes reached within each limit, over every station of the scenario.
        reached_nodes: dict[float, set[int]] = {limit: set() for limit in limits}
        off_road = 0
        for point in chosen.geometry:
            if len(nodes) == 0:
                off_road += 1
                continue
            distances = np.hypot(
                (nodes[:, 0] - point.x) * np.cos(np.radians(point.y)), nodes[:, 1] - point.y
            )
            start = int(np.argmin(distances))
            spur_km = geodesic_km(point.x, point.y, *nodes[start])
            if spur_km > settings.road_max_snap_km:
                off_road += 1
                continue
            budget = {limit: limit / 60 * settings.road_speed_kph - spur_km for limit in limits}
            reached = _within(start, adjacency, local, max(budget.values()))
            for limit, km in budget.items():
                reached_nodes[limit].update(node for node, d in reached.items() if d <= km)
        for limit in limits:
            chosen_nodes = np.fromiter(reached_nodes[limit], dtype=int)
            # Road nodes lie one to two km apart: discs of the band's radius join into corridors.
            points = gpd.GeoSeries(
                gpd.points_from_xy(nodes[chosen_nodes, 0], nodes[chosen_nodes, 1]), crs=4326
            ).to_crs(crs)
            discs = shapely.buffer(points.values, settings.road_band_km * 1000, quad_segs=4)
            area = shapely.union_all(discs) if len(discs) else shapely.Polygon()
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
        frame["people"] = np.round(_people(population, frame)).astype(int)
    frame = frame.to_crs(settings.storage_crs)
    frame["method"] = (
        "roads followed from each station's nearest road node at "
        f"{settings.road_speed_kph:g} km/h, "
        f"discs of {settings.road_band_km:g} km around the road nodes reached, dissolved over "
        "the stations"
    )
    frame["source"] = f"rail_stations; {ROAD_GRAPH_CREDIT}"
    with atomic_path(cache) as temporary:
        frame.to_parquet(temporary, index=False)
    log(f"drive areas: {len(frame)} for {len(limits)} limits, cached in {cache.name}")
    return frame


def _people(population: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """People within each area: points counted, county polygons by areal weighting."""
    if "population_2020" in population.columns:
        pieces = coverage_table(population, areas, keys=("scenario", "minutes"))
        people = pieces.groupby("catchment")["people"].sum().reindex(areas.index, fill_value=0)
        return people.to_numpy(dtype=float)
    return covered_weights(population, areas)


def _population_key(population: gpd.GeoDataFrame) -> str:
    column = "population_2020" if "population_2020" in population.columns else "population"
    digest = hashlib.sha1(b"".join(shapely.to_wkb(population.geometry.values))).hexdigest()
    return f"{column}:{int(population[column].sum())}:{len(population)}:{digest}"


def _within(
    start: int, adjacency: list[dict[int, float]], local: dict[int, int], limit_km: float
) -> dict[int, float]:
    """Road distance (km) from ``start`` to every node within ``limit_km`` (Dijkstra)."""
    best = {start: 0.0}
    queue = [(0.0, start)]
    while queue:
        distance, node = heapq.heappop(queue)
        if distance > best.get(node, np.inf):
            continue
        for neighbour, km in adjacency[node].items():
            position = local.get(neighbour)
            if position is None:
                continue
            total = distance + km
            if total <= limit_km and total < best.get(position, np.inf):
                best[position] = total
                heapq.heappush(queue, (total, position))
    return best
