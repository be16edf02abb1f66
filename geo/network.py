"""The passenger rail network as an osmnx-compatible graph, and travel-time reach on it.

Stations are nodes (``x``, ``y`` in WGS84, as osmnx expects), consecutive stops of a line are
edges both ways, with a geodesic ``length`` in metres and a ``travel_time`` in seconds from the
section's design speed and a stop penalty. osmnx's and networkx's routing then work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import pandas as pd

from geo import settings
from geo.coverage import SCENARIOS
from geo.errors import ChengyuError
from geo.measure import geodesic_km
from geo.utils import log


def rail_graph(layers: Mapping[str, gpd.GeoDataFrame], *, scenario: str) -> nx.MultiDiGraph:
    """The rail network open in a scenario, as an osmnx-compatible ``MultiDiGraph``.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``).
    scenario
        ``today`` (operating sections and stops) or ``after`` (with those under construction).

    Returns
    -------
    MultiDiGraph
        Nodes: integers, as OSM node ids are (osmnx takes a string for a list of nodes), with
        ``station_id``, ``x``, ``y``, ``name_zh``, ``name_en``. Edges (key: line id):
        ``length`` (m), ``travel_time`` (s), ``speed_kph``, ``line_id``, ``section_id``.
    """
    if scenario not in SCENARIOS:
        raise ChengyuError(f"unknown scenario {scenario!r}; scenarios are {', '.join(SCENARIOS)}")
    statuses = SCENARIOS[scenario]
    stations = layers["rail_stations"]
    sections = layers["rail_lines"]
    graph = nx.MultiDiGraph(crs=settings.storage_crs, name=f"rail network, {scenario}")
    node_of = {
        station: number for number, station in enumerate(sorted(stations["station_id"].unique()))
    }
    for line_id, stops in stations.groupby("line_id"):
        stops = stops.sort_values("seq")
        open_sections = sections[
            (sections["line_id"] == line_id) & sections["status"].isin(statuses)
        ]
        # A stop where trains do not stop (reserved) is passed through, not boarded.
        boarding = stops[stops["status"].isin(statuses)]
        for (_, start), (_, end) in zip(
            boarding.iloc[:-1].iterrows(), boarding.iloc[1:].iterrows(), strict=True
        ):
            section = _section_between(open_sections, int(start["seq"]), int(end["seq"]))
            if section is None:
                continue
            passed = stops[stops["seq"].between(start["seq"], end["seq"])]
            metres = 1000 * sum(
                geodesic_km(a.x, a.y, b.x, b.y)
                for a, b in zip(passed.geometry.iloc[:-1], passed.geometry.iloc[1:], strict=True)
            )
            speed_kph = float(section["design_speed_kmh"]) * settings.rail_speed_factor
            seconds = metres / (speed_kph / 3.6) + settings.rail_stop_penalty_s
            for station in (start, end):
                graph.add_node(
                    node_of[station["station_id"]],
                    station_id=station["station_id"],
                    x=station.geometry.x,
                    y=station.geometry.y,
                    name_zh=station["name_zh"],
                    name_en=station["name_en"],
                )
            attributes = {
                "length": round(metres, 1),
                "travel_time": round(seconds, 1),
                "speed_kph": speed_kph,
                "line_id": line_id,
                "section_id": section["id"],
            }
            first, second = node_of[start["station_id"]], node_of[end["station_id"]]
            graph.add_edge(first, second, key=line_id, **attributes)
            graph.add_edge(second, first, key=line_id, **attributes)
    _add_transfers(graph)
    size = f"{graph.number_of_nodes()} stations, {graph.number_of_edges()} edges"
    log(f"rail graph ({scenario}): {size}")
    return graph


def _add_transfers(graph: nx.MultiDiGraph) -> None:
    """Join stations of one city (within ``settings.rail_transfer_radius_km``) by a transfer.

    Chengdu's and Chongqing's lines end at different stations (成都东, 天府; 重庆西, 重庆北, …):
    without transfers the network would fall apart at its two hubs. A transfer costs
    ``settings.rail_transfer_minutes`` plus the distance at urban-transit speed.
    """
    nodes = list(graph.nodes(data=True))
    for index, (first, a) in enumerate(nodes):
        for second, b in nodes[index + 1 :]:
            km = geodesic_km(a["x"], a["y"], b["x"], b["y"])
            if km > settings.rail_transfer_radius_km:
                continue
            seconds = settings.rail_transfer_minutes * 60 + km / settings.transfer_speed_kph * 3600
            attributes = {
                "length": round(km * 1000, 1),
                "travel_time": round(seconds, 1),
                "speed_kph": settings.transfer_speed_kph,
                "line_id": "transfer",
                "section_id": "transfer",
            }
            graph.add_edge(first, second, key="transfer", **attributes)
            graph.add_edge(second, first, key="transfer", **attributes)


def _section_between(sections: pd.DataFrame, first: int, last: int) -> pd.Series | None:
    for _, section in sections.iterrows():
        if section["from_seq"] <= first and last <= section["to_seq"]:
            return section
    return None


def find_station(graph: nx.MultiDiGraph, name: str) -> int:
    """The node of a station given by id, Chinese or English name (``成都东``, ``Chengdu East``).

    Raises
    ------
    ChengyuError
        If no station of that name is on the network.
    """
    wanted = name.strip().removesuffix("站").lower()
    for node, data in graph.nodes(data=True):
        names = (data["station_id"], data["name_zh"], data["name_en"])
        if wanted in (str(text).lower() for text in names):
            return int(node)
    raise ChengyuError(f"no station {name!r} on the rail network ({graph.graph['name']})")


@dataclass(frozen=True)
class Reach:
    """Stations reached from an origin within a time, with their minutes."""

    origin: int
    scenario: str
    minutes: dict[int, float]


def reach(graph: nx.MultiDiGraph, origin: int, *, limit_minutes: float) -> Reach:
    """Stations reachable from ``origin`` within ``limit_minutes`` (Dijkstra on travel time)."""
    seconds = nx.single_source_dijkstra_path_length(
        graph, origin, cutoff=limit_minutes * 60, weight="travel_time"
    )
    scenario = str(graph.graph["name"]).rsplit(", ", 1)[-1]
    return Reach(origin, scenario, {node: round(value / 60, 1) for node, value in seconds.items()})


def counties_reached(
    found: Reach, graph: nx.MultiDiGraph, counties: gpd.GeoDataFrame, *, within_minutes: float
) -> list[str]:
    """Counties holding a station reached within ``within_minutes`` (sorted adcodes).

    A county counts as reached when a station in it is; the station positions are approximate
    (see ``precision_m``), and a county seat may lie some way from its station.
    """
    reached = [node for node, minutes in found.minutes.items() if minutes <= within_minutes]
    points = gpd.GeoDataFrame(
        {"station_id": [graph.nodes[node]["station_id"] for node in reached]},
        geometry=gpd.points_from_xy(
            [graph.nodes[node]["x"] for node in reached],
            [graph.nodes[node]["y"] for node in reached],
        ),
        crs=settings.storage_crs,
    )
    joined = gpd.sjoin(points, counties[["adcode", "name_zh", "geometry"]], predicate="within")
    return sorted(set(joined["adcode"]))


def _reaches(
    layers: Mapping[str, gpd.GeoDataFrame], origins: Sequence[str], limit_minutes: float
) -> Iterator[tuple[str, nx.MultiDiGraph, int, Reach]]:
    """For each scenario and origin: the graph, the origin node and what it reaches."""
    for scenario in SCENARIOS:
        graph = rail_graph(layers, scenario=scenario)
        for name in origins:
            origin = find_station(graph, name)
            yield scenario, graph, origin, reach(graph, origin, limit_minutes=limit_minutes)


def reach_table(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    origins: Sequence[str],
    minutes: Sequence[float],
) -> pd.DataFrame:
    """For each origin, scenario and time limit: stations and counties reached.

    Returns
    -------
    DataFrame
        ``origin``, ``scenario``, ``minutes``, ``stations``, ``counties``, ``county_names``.
    """
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    rows = []
    for scenario, graph, origin, found in _reaches(layers, origins, max(minutes)):
        for limit in minutes:
            adcodes = counties_reached(found, graph, counties, within_minutes=limit)
            names = counties.set_index("adcode").loc[adcodes, "name_zh"]
            rows.append(
                {
                    "origin": graph.nodes[origin]["name_zh"],
                    "scenario": scenario,
                    "minutes": limit,
                    "stations": sum(1 for value in found.minutes.values() if value <= limit),
                    "counties": len(adcodes),
                    "county_names": "、".join(names),
                }
            )
    return pd.DataFrame(rows)


def reach_areas(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    origins: Sequence[str],
    minutes: Sequence[float],
) -> gpd.GeoDataFrame:
    """The ``rail_reach`` layer: the area reachable by rail and then by road within each time.

    Around every station reached after ``t`` minutes, the time left is spent at
    ``settings.access_speed_kph`` (a circle of radius (T − t) × speed); the circles are
    dissolved per origin, scenario and time. Drawn in the data's UTM zone, stored in WGS84.
    """
    stations = layers["rail_stations"]
    crs = stations.estimate_utm_crs()
    rows = []
    for scenario, graph, origin, found in _reaches(layers, origins, max(minutes)):
        nodes = list(found.minutes)
        points = gpd.GeoSeries(
            gpd.points_from_xy(
                [graph.nodes[n]["x"] for n in nodes], [graph.nodes[n]["y"] for n in nodes]
            ),
            crs=settings.storage_crs,
        ).to_crs(crs)
        for limit in minutes:
            left_km = [(limit - found.minutes[n]) / 60 * settings.access_speed_kph for n in nodes]
            circles = [
                point.buffer(km * 1000, quad_segs=16)
                for point, km in zip(points, left_km, strict=True)
                if km > 0
            ]
            area = gpd.GeoSeries(circles, crs=crs).union_all()
            rows.append(
                {
                    "id": f"{graph.nodes[origin]['station_id']}-{scenario}-{limit:g}min",
                    "origin": graph.nodes[origin]["name_zh"],
                    "scenario": scenario,
                    "minutes": float(limit),
                    "ring": f"{limit:g} min",
                    "stations": sum(1 for value in found.minutes.values() if value <= limit),
                    "area_km2": round(area.area / 1e6, 1),
                    "method": (
                        "rail travel time from design speed x "
                        f"{settings.rail_speed_factor} plus {settings.rail_stop_penalty_s:g} s "
                        "per stop and transfers between a city's stations; then the time left "
                        f"at {settings.access_speed_kph:g} km/h around each station reached"
                    ),
                    "source": "rail_stations, rail_lines",
                    "geometry": area,
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs(settings.storage_crs)
    log(f"rail reach: {len(frame)} areas")
    return frame
