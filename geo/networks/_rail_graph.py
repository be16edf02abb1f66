"""The passenger rail network as an osmnx-compatible graph, and its travel-time model.

Stations are nodes (``x``, ``y`` in WGS84, as osmnx expects). Any two open stations of one line
are joined both ways by a ride: its geodesic ``length`` in metres along the stops, and its
``travel_time`` in seconds under the fastest-service model (``TimeModel``): the running time at
the sections' speed x a fitted factor, one start/stop allowance, and a charge for each stop a
fastest train makes on the way (``settings.rail_express_stops``, none by default). The same
ride stopping everywhere is ``all_stops_time``. Stations of one city are joined by transfers.
osmnx's and networkx's routing then work unchanged with either weight.

Users import these from ``geo.networks.rail_network``, which re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geo import settings
from geo._geodesy import geodesic_km, pairs_within_km
from geo.errors import ChengyuError
from geo.sources._schema import SCENARIOS
from geo.utils import log

#: Weights a ride carries: the fastest train, and a train calling at every open station.
FASTEST, ALL_STOPS = "travel_time", "all_stops_time"


@dataclass(frozen=True)
class TimeModel:
    """How long a ride takes: running time, one start/stop allowance, and intermediate stops.

    Attributes
    ----------
    speed_factor
        Average running speed as a share of the section's (operating or design) speed.
    start_stop_s
        Seconds added once per ride: accelerating from the first station, braking at the last.
    stop_s
        Seconds per intermediate stop: braking, dwell and accelerating again.
    express_stops
        Station ids where the fastest trains of a line stop, by line id.
    """

    speed_factor: float
    start_stop_s: float
    stop_s: float
    express_stops: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls) -> TimeModel:
        """Return the model with the fitted values of ``geo.settings``."""
        return cls(
            settings.rail_speed_factor,
            settings.rail_start_stop_s,
            settings.rail_stop_s,
            dict(settings.rail_express_stops),
        )

    def seconds(self, running_s: float, stops: int) -> float:
        """Seconds of a ride with ``running_s`` at full section speed and ``stops`` stops."""
        return running_s / self.speed_factor + self.start_stop_s + stops * self.stop_s

    def describe(self) -> str:
        """One line saying how times are made, for the outputs' ``method`` fields."""
        return (
            f"rail ride = running time at the section speed x {self.speed_factor:g} + "
            f"{self.start_stop_s:g} s start/stop + {self.stop_s:g} s per intermediate stop "
            "(fastest trains: only at settings.rail_express_stops; fitted to layers/rail_times.csv)"
        )


def rail_graph(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    scenario: str,
    model: TimeModel | None = None,
) -> nx.MultiDiGraph:
    """Return the rail network open in a scenario, as an osmnx-compatible ``MultiDiGraph``.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``).
    scenario
        ``today`` (operating sections and stops) or ``after`` (with those under construction).
    model
        The travel-time model (default ``TimeModel.from_settings()``).

    Returns
    -------
    MultiDiGraph
        Nodes: integers, as OSM node ids are (osmnx takes a string for a list of nodes), with
        ``station_id``, ``x``, ``y``, ``name_zh``, ``name_en``. Edges (key: line id), one per
        ride between two open stations of a line: ``length`` (m, along the stops, scaled to
        the official section length where known), ``running_s`` (s at full
        section speed), ``travel_time`` (s, fastest train), ``all_stops_time`` (s),
        ``stops`` and ``stops_all`` (intermediate stops of each), ``speed_kph`` (average
        running speed), ``line_id``, ``section_id``.
    """
    if scenario not in SCENARIOS:
        raise ChengyuError(f"unknown scenario {scenario!r}; scenarios are {', '.join(SCENARIOS)}")
    model = model or TimeModel.from_settings()
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
        express = set(model.express_stops.get(str(line_id), ()))
        for run in _runs(stops, open_sections, statuses):
            for station, _ in run:
                graph.add_node(
                    node_of[station["station_id"]],
                    station_id=station["station_id"],
                    x=station.geometry.x,
                    y=station.geometry.y,
                    name_zh=station["name_zh"],
                    name_en=station["name_en"],
                )
            for first in range(len(run)):
                for last in range(first + 1, len(run)):
                    legs = [leg for _, leg in run[first + 1 : last + 1] if leg is not None]
                    between = [str(station["station_id"]) for station, _ in run[first + 1 : last]]
                    metres = sum(leg.metres for leg in legs)
                    running = sum(leg.running_s for leg in legs)
                    stops_express = sum(1 for station in between if station in express)
                    attributes = {
                        "length": round(metres, 1),
                        "running_s": round(running, 1),
                        FASTEST: round(model.seconds(running, stops_express), 1),
                        ALL_STOPS: round(model.seconds(running, len(between)), 1),
                        "stops": stops_express,
                        "stops_all": len(between),
                        "speed_kph": round(metres / running * 3.6 * model.speed_factor, 1),
                        "line_id": line_id,
                        "section_id": "+".join(dict.fromkeys(leg.section_id for leg in legs)),
                    }
                    a = node_of[run[first][0]["station_id"]]
                    b = node_of[run[last][0]["station_id"]]
                    graph.add_edge(a, b, key=line_id, **attributes)
                    graph.add_edge(b, a, key=line_id, **attributes)
    _add_transfers(graph)
    size = f"{graph.number_of_nodes()} stations, {graph.number_of_edges()} edges"
    log(f"rail graph ({scenario}): {size}")
    return graph


@dataclass(frozen=True)
class _Leg:
    """The stretch from the previous open station of a line to this one."""

    metres: float
    running_s: float
    section_id: str


def _runs(
    stops: pd.DataFrame, sections: pd.DataFrame, statuses: Sequence[str]
) -> list[list[tuple[pd.Series, _Leg | None]]]:
    """Return a line's open stations in order, cut where no open section joins two of them.

    Each station comes with the leg that reaches it (``None`` for the first of a run). A stop
    where trains do not stop (reserved) is passed through, not boarded: its leg spans it. A
    leg's length is the geodesic station chain, scaled to the section's official length where
    ``length_official_km`` is known (the track curves and the chain may zigzag).
    """
    scale = {
        str(section["id"]): _official_scale(stops, section) for _, section in sections.iterrows()
    }
    boarding = stops[stops["status"].isin(statuses)]
    runs: list[list[tuple[pd.Series, _Leg | None]]] = []
    previous: pd.Series | None = None
    for _, station in boarding.iterrows():
        section = (
            None
            if previous is None
            else _section_between(sections, int(previous["seq"]), int(station["seq"]))
        )
        if previous is None or section is None:
            runs.append([(station, None)])
        else:
            passed = stops[stops["seq"].between(previous["seq"], station["seq"])]
            metres = 1000 * _chain_km(passed) * scale[str(section["id"])]
            speed_kph = _section_speed(section)
            runs[-1].append((station, _Leg(metres, metres / (speed_kph / 3.6), str(section["id"]))))
        previous = station
    return [run for run in runs if len(run) > 1]


def _chain_km(stops: pd.DataFrame) -> float:
    """Geodesic length of the chain through ``stops`` (in ``seq`` order), in km."""
    points = stops.sort_values("seq").geometry
    return sum(
        geodesic_km(a.x, a.y, b.x, b.y)
        for a, b in zip(points.iloc[:-1], points.iloc[1:], strict=True)
    )


def _official_scale(stops: pd.DataFrame, section: pd.Series) -> float:
    """Official over chain length of a section; 1 where the official length is unknown."""
    official = section.get("length_official_km")
    chain = _chain_km(stops[stops["seq"].between(section["from_seq"], section["to_seq"])])
    if official is None or pd.isna(official) or chain <= 0:
        return 1.0
    return float(official) / chain


def _section_speed(section: pd.Series) -> float:
    """Return the speed trains run a section at: ``operating_speed_kmh``, else design."""
    operating = section.get("operating_speed_kmh")
    if operating is not None and not pd.isna(operating):
        return float(operating)
    return float(section["design_speed_kmh"])


def _add_transfers(graph: nx.MultiDiGraph) -> None:
    """Join stations of one city (within ``settings.rail_transfer_radius_km``) by a transfer.

    Chengdu's and Chongqing's lines end at different stations (成都东, 天府; 重庆西, 重庆北, …):
    without transfers the network would fall apart at its two hubs. A transfer costs
    ``settings.rail_transfer_minutes`` plus the distance at urban-transit speed.
    """
    nodes = list(graph.nodes(data=True))
    places = np.array([(data["x"], data["y"]) for _, data in nodes]).reshape(-1, 2)
    for i, j in pairs_within_km(places, settings.rail_transfer_radius_km):
        (first, a), (second, b) = nodes[i], nodes[j]
        km = geodesic_km(a["x"], a["y"], b["x"], b["y"])
        if km <= settings.rail_transfer_radius_km:
            _add_transfer(graph, first, second, km=km)


def _add_transfer(graph: nx.MultiDiGraph, first: int, second: int, *, km: float) -> None:
    """Join two stations ``km`` apart by a transfer, both ways."""
    seconds = settings.rail_transfer_minutes * 60 + km / settings.transfer_speed_kph * 3600
    attributes = {
        "length": round(km * 1000, 1),
        FASTEST: round(seconds, 1),
        ALL_STOPS: round(seconds, 1),
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
    """Return a station's node by id, Chinese or English name (``成都东``, ``Chengdu East``).

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
