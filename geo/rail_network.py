"""The passenger rail network as an osmnx-compatible graph, travel times on it, and reach.

Stations are nodes (``x``, ``y`` in WGS84, as osmnx expects). Any two open stations of one line
are joined both ways by a ride: its geodesic ``length`` in metres along the stops, and its
``travel_time`` in seconds under the fastest-service model (``TimeModel``): the running time at
the sections' speed x a fitted factor, one start/stop allowance, and a charge for each stop a
fastest train makes on the way (``settings.rail_express_stops``, none by default). The same
ride stopping everywhere is ``all_stops_time``. Stations of one city are joined by transfers.
osmnx's and networkx's routing then work unchanged with either weight.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geo import settings
from geo._geodesy import dissolved_discs, geodesic_km, metric_crs, pairs_within_km
from geo._schema import SCENARIOS
from geo.errors import ChengyuError
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


@dataclass(frozen=True)
class Reach:
    """Stations reached from an origin within a time, with their minutes."""

    origin: int
    scenario: str
    minutes: dict[int, float]


def reach(
    graph: nx.MultiDiGraph, origin: int, *, limit_minutes: float, weight: str = FASTEST
) -> Reach:
    """Stations reachable from ``origin`` within ``limit_minutes`` (Dijkstra on ``weight``)."""
    seconds = nx.single_source_dijkstra_path_length(
        graph, origin, cutoff=limit_minutes * 60, weight=weight
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
        ``origin``, ``scenario``, ``minutes``, ``stations``, ``counties``, ``county_names``
        and ``county_adcodes`` (both joined by ``、``).
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
                    "county_adcodes": "、".join(adcodes),
                }
            )
    return pd.DataFrame(rows)


def reach_areas(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    origins: Sequence[str],
    minutes: Sequence[float],
) -> gpd.GeoDataFrame:
    """Return the ``rail_reach`` layer: the area reachable by rail, then road, within each time.

    Around every station reached after ``t`` minutes, the time left is spent at
    ``settings.access_speed_kph`` (a circle of radius (T − t) × speed); the circles are
    dissolved per origin, scenario and time. Drawn in the data's UTM zone, stored in WGS84.
    """
    crs = metric_crs(layers["rail_stations"])
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
            left_km = np.array(
                [(limit - found.minutes[n]) / 60 * settings.access_speed_kph for n in nodes]
            )
            area = dissolved_discs(points.values[left_km > 0], left_km[left_km > 0] * 1000)
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
                        f"{TimeModel.from_settings().describe()}; transfers between a city's "
                        f"stations; then the time left at {settings.access_speed_kph:g} km/h "
                        "around each station reached"
                    ),
                    "source": "rail_stations, rail_lines",
                    "geometry": area,
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs(settings.storage_crs)
    log(f"rail reach: {len(frame)} areas")
    return frame


@dataclass(frozen=True)
class _Ride:
    """A published journey on today's network: its ride and the stops the model charges."""

    record: pd.Series
    running_s: float
    stops: int
    stops_all: int


def _published_rides(
    layers: Mapping[str, gpd.GeoDataFrame], model: TimeModel
) -> tuple[list[_Ride], nx.MultiDiGraph]:
    """Each ``rail_times`` journey as a direct ride on one line of today's network."""
    graph = rail_graph(layers, scenario="today", model=model)
    rides = []
    for _, record in layers["rail_times"].iterrows():
        first, last = (find_station(graph, record[end]) for end in ("from", "to"))
        edges = [
            data
            for key, data in graph.get_edge_data(first, last, default={}).items()
            if key != "transfer"
        ]
        if not edges:
            raise ChengyuError(
                f"rail_times.csv: feature {record['id']!r}: no line open today runs from "
                f"{record['from']!r} to {record['to']!r}"
            )
        edge = min(edges, key=lambda data: data["running_s"])
        running = float(edge["running_s"])
        if not pd.isna(record["line_speed_kmh"]):
            running = edge["length"] / (float(record["line_speed_kmh"]) / 3.6)
        reported = record["stops"]
        if reported is None or pd.isna(reported):
            stops = int(edge["stops"])
        else:
            stops = 0 if reported == "none" else len(str(reported).split(";"))
        rides.append(_Ride(record, running, stops, int(edge["stops_all"])))
    return rides, graph


def calibration_table(
    layers: Mapping[str, gpd.GeoDataFrame], *, model: TimeModel | None = None
) -> pd.DataFrame:
    """Modelled against published fastest times, one row per ``rail_times`` journey.

    Returns
    -------
    DataFrame
        ``id``, ``from``, ``to`` (Chinese names), ``train``, ``date``, ``stops`` (the stops
        modelled: those reported, else the fastest pattern), ``published_min``,
        ``modelled_min``, ``all_stops_min``, ``error_pct`` ((modelled - published) /
        published), ``within_tolerance`` (``settings.rail_time_tolerance_pct``), ``method``
        and ``source``.
    """
    model = model or TimeModel.from_settings()
    rides, graph = _published_rides(layers, model)
    low, high = settings.rail_time_tolerance_pct
    rows = []
    for ride in rides:
        record = ride.record
        modelled = model.seconds(ride.running_s, ride.stops) / 60
        error = (modelled - record["minutes"]) / record["minutes"] * 100
        names = [graph.nodes[find_station(graph, record[end])]["name_zh"] for end in ("from", "to")]
        rows.append(
            {
                "id": record["id"],
                "from": names[0],
                "to": names[1],
                "train": record["train"] if isinstance(record["train"], str) else "",
                "date": record["date"],
                "stops": ride.stops,
                "published_min": float(record["minutes"]),
                "modelled_min": round(modelled, 1),
                "all_stops_min": round(model.seconds(ride.running_s, ride.stops_all) / 60, 1),
                "error_pct": round(error, 1),
                "within_tolerance": bool(low <= error <= high),
                "method": model.describe(),
                "source": record["source"],
            }
        )
    table = pd.DataFrame(rows)
    log(
        f"rail times: {len(table)} published journeys, "
        f"{int(table['within_tolerance'].sum()) if len(table) else 0} within {low:g}/+{high:g} %"
    )
    return table


def fit_time_model(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    express_stops: Mapping[str, tuple[str, ...]] | None = None,
) -> TimeModel:
    """Fit speed factor, start/stop allowance and stop time to the published fastest times.

    A grid search over ``settings.rail_fit_grid`` (plausible ranges: a train runs no faster than
    its line speed, and a stop costs at least a minute) for the values that minimise the sum of
    squared relative errors ``(modelled - published) / published`` over the ``rail_times``
    journeys, so a long and a short journey weigh alike. Deterministic: the grid is fixed, and
    ties go to the first (lowest) values.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``, ``rail_times``).
    express_stops
        Where fastest trains stop, by line (default ``settings.rail_express_stops``).
    """
    stops_by_line = dict(settings.rail_express_stops if express_stops is None else express_stops)
    rides, _ = _published_rides(layers, TimeModel(1.0, 0.0, 0.0, stops_by_line))
    if not rides:
        raise ChengyuError("rail_times.csv: no published journey to fit the time model on")
    published = np.array([ride.record["minutes"] * 60 for ride in rides], dtype=float)
    running = np.array([ride.running_s for ride in rides], dtype=float)
    stops = np.array([ride.stops for ride in rides], dtype=float)
    axes = [np.arange(low, high + step / 2, step) for low, high, step in settings.rail_fit_grid]
    factor, start, stop = np.meshgrid(*axes, indexing="ij")
    modelled = (
        running / factor[..., None] + start[..., None] + stops * stop[..., None]
    )  # grid x journeys
    cost = (((modelled - published) / published) ** 2).sum(axis=-1)
    best = np.unravel_index(int(np.argmin(cost)), cost.shape)
    fitted = TimeModel(
        round(float(factor[best]), 3),
        round(float(start[best]), 1),
        round(float(stop[best]), 1),
        stops_by_line,
    )
    log(f"rail time model fitted on {len(rides)} journeys: {fitted.describe()}")
    return fitted


def travel_times(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    origin: str,
    destinations: Sequence[str],
    model: TimeModel | None = None,
) -> pd.DataFrame:
    """Modelled fastest and all-stops minutes from one station to others, today and after.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``, ``rail_times``).
    origin, destinations
        Stations by id, Chinese or English name.
    model
        The travel-time model (default ``TimeModel.from_settings()``).

    Returns
    -------
    DataFrame
        ``from``, ``to``, ``scenario``, ``minutes`` (fastest; NaN where a station is not on
        that scenario's network), ``all_stops_minutes`` (the same rides on trains calling at
        every station), ``published_minutes`` and
        ``published_source`` (today, where ``rail_times`` holds the pair in either direction),
        ``route`` (station names, ``–``-joined).
    """
    model = model or TimeModel.from_settings()
    graphs = {
        scenario: rail_graph(layers, scenario=scenario, model=model) for scenario in SCENARIOS
    }
    every = graphs["after"]
    names = {name: every.nodes[find_station(every, name)] for name in (origin, *destinations)}
    published = _published_by_pair(layers)
    rows = []
    for scenario, graph in graphs.items():
        by_id = {data["station_id"]: node for node, data in graph.nodes(data=True)}
        start = names[origin]
        for destination in destinations:
            end = names[destination]
            row: dict[str, object] = {
                "from": start["name_zh"],
                "to": end["name_zh"],
                "scenario": scenario,
                "minutes": math.nan,
                "all_stops_minutes": math.nan,
                "published_minutes": math.nan,
                "published_source": "",
                "route": "",
            }
            a, b = by_id.get(start["station_id"]), by_id.get(end["station_id"])
            if a is not None and b is not None and nx.has_path(graph, a, b):
                seconds, path = nx.single_source_dijkstra(graph, a, b, weight=FASTEST)
                row["minutes"] = round(seconds / 60, 1)
                row["all_stops_minutes"] = round(_all_stops_seconds(graph, path) / 60, 1)
                row["route"] = "–".join(graph.nodes[node]["name_zh"] for node in path)
            key = frozenset((start["station_id"], end["station_id"]))
            if scenario == "today" and key in published:
                row["published_minutes"], row["published_source"] = published[key]
            rows.append(row)
    return pd.DataFrame(rows)


def _all_stops_seconds(graph: nx.MultiDiGraph, path: Sequence[int]) -> float:
    """Return the fastest route's rides (and transfers) on trains that call at every station.

    Summed along the fastest path rather than searched anew: a search on ``all_stops_time``
    would split a ride at every station (changing trains there costs nothing in this model),
    which is not the journey on one stopping train.
    """
    total = 0.0
    for first, second in itertools.pairwise(path):
        rides = graph.get_edge_data(first, second).values()
        total += min(rides, key=lambda data: data[FASTEST])[ALL_STOPS]
    return total


def _published_by_pair(
    layers: Mapping[str, gpd.GeoDataFrame],
) -> dict[frozenset[str], tuple[float, str]]:
    """Return the shortest published time of each station pair, with its date and source."""
    found: dict[frozenset[str], tuple[float, str]] = {}
    times = layers.get("rail_times")
    if times is None:
        return found
    for _, record in times.sort_values("minutes", ascending=False).iterrows():
        found[frozenset((record["from"], record["to"]))] = (
            float(record["minutes"]),
            f"{record['date']}: {record['source']}",
        )
    return found
