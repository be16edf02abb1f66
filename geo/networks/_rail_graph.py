"""The passenger rail network as a graph of stations, trains and changes, and its time model.

A traveller's journey is a walk through four kinds of node (``kind``):

``station``
    The concourse of a station (integer nodes ``0 … n-1`` with ``station_id``, ``x``, ``y``,
    ``name_zh`` and ``name_en``, as osmnx expects): where a journey starts, ready to board.
``arrival``
    The same station reached on a train (``n … 2n-1``): where a journey ends. Going on from
    here to the concourse is a change of trains (``settings.rail_change_minutes``).
``depart`` / ``arrive``
    A train of one line standing at one of its stops, about to leave or just in. On a line that
    trains join one way only (``through_running`` with ``>NEXT``) a train has a ``direction``
    (+1 towards higher ``seq``, -1 towards lower) and keeps it: it cannot turn back at a stop.

Edges: ``board`` (concourse → departing train, half the start/stop allowance), ``leg`` (a train
from one stop of its line to the next: running time at the section speed x the fitted factor),
``call`` (a train at an intermediate stop: a stop charge if it stops there, else nothing),
``through`` (a train running on from one line onto another at a station, as trains of 成渝高铁
run on to 重庆北: the same charge as a call), ``alight`` (train → arrival, the other half of the
allowance), ``change`` (arrival → concourse of the same station) and ``transfer`` (arrival at
one station → concourse of another of the same city: ``settings.rail_transfer_minutes`` plus
the distance at ``settings.transfer_speed_kph``). Both weights, ``travel_time`` (fastest
trains: they stop only at ``settings.rail_express_stops``) and ``all_stops_time``, are seconds,
so networkx's and osmnx's routing work unchanged. The graph grows linearly with the stops.

Users import these from ``geo.networks.rail_network``, which re-exports them.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geo import settings
from geo._geodesy import geodesic_km, pairs_within_km
from geo.errors import ChengyuError
from geo.sources._layer_builders import ThroughRunning, parse_through_running
from geo.sources._schema import SCENARIOS
from geo.utils import log

#: Weights an edge carries: the fastest train, and a train calling at every open station.
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
    change_s
        Seconds a change of trains at one station costs (walking, waiting).
    """

    speed_factor: float
    start_stop_s: float
    stop_s: float
    express_stops: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    change_s: float = field(default_factory=lambda: settings.rail_change_minutes * 60)

    @classmethod
    def from_settings(cls) -> TimeModel:
        """Return the model with the fitted values of ``geo.settings``."""
        return cls(
            settings.rail_speed_factor,
            settings.rail_start_stop_s,
            settings.rail_stop_s,
            dict(settings.rail_express_stops),
            settings.rail_change_minutes * 60,
        )

    def seconds(self, running_s: float, stops: int) -> float:
        """Seconds of a ride with ``running_s`` at full section speed and ``stops`` stops."""
        return running_s / self.speed_factor + self.start_stop_s + stops * self.stop_s

    def describe(self) -> str:
        """One line saying how times are made, for the outputs' ``method`` fields."""
        return (
            f"rail ride = running time at the section speed x {self.speed_factor:g} + "
            f"{self.start_stop_s:g} s start/stop + {self.stop_s:g} s per intermediate stop "
            "(fastest trains: only at settings.rail_express_stops; fitted to "
            "layers/rail_times.csv); trains run through where rail_lines says so; "
            f"a change of trains {self.change_s / 60:g} min"
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
        The nodes and edges of the module docstring. Every edge has ``kind``, ``travel_time``
        and ``all_stops_time``; ``leg`` edges also ``length`` (m, along the stops, scaled to
        the official section length where known), ``running_s`` (s at full section speed),
        ``line_id`` and ``section_id``. ``graph.graph["stations"]`` is the number of stations.
    """
    if scenario not in SCENARIOS:
        raise ChengyuError(f"unknown scenario {scenario!r}; scenarios are {', '.join(SCENARIOS)}")
    model = model or TimeModel.from_settings()
    statuses = SCENARIOS[scenario]
    stations = layers["rail_stations"]
    sections = layers["rail_lines"]
    names = sorted(stations["station_id"].unique())
    node_of = {station: number for number, station in enumerate(names)}
    graph = nx.MultiDiGraph(
        crs=settings.storage_crs, name=f"rail network, {scenario}", stations=len(names)
    )
    first_stops = stations.sort_values(["line_id", "seq"]).drop_duplicates("station_id")
    for _, station in first_stops.iterrows():
        attributes = {
            "station_id": station["station_id"],
            "x": station.geometry.x,
            "y": station.geometry.y,
            "name_zh": station["name_zh"],
            "name_en": station["name_en"],
        }
        number = node_of[station["station_id"]]
        graph.add_node(number, kind="station", **attributes)
        graph.add_node(len(names) + number, kind="arrival", **attributes)
        _add(graph, len(names) + number, number, "change", model.change_s, model.change_s)
    trains = _TrainNodes(len(names) * 2, node_of)
    open_sections = sections[sections["status"].isin(statuses)]
    texts = (
        open_sections["through_running"]
        if "through_running" in open_sections
        else [None] * len(open_sections)
    )
    runs_on = [
        (str(line_id), through)
        for line_id, text in zip(open_sections["line_id"], texts, strict=True)
        for through in parse_through_running(text)
    ]
    # Only a line joined one way needs a train per direction: the others keep one pair of
    # train nodes per stop, so the graph stays as small (and as fast) as before.
    one_way = {through.onto for _, through in runs_on if through.towards}
    for line_id, stops in stations.groupby("line_id"):
        _add_line(
            graph,
            str(line_id),
            stops.sort_values("seq"),
            open_sections[open_sections["line_id"] == line_id],
            statuses,
            model,
            node_of,
            trains,
            directed=line_id in one_way,
        )
    seq_of = {
        (str(line_id), str(station_id)): int(seq)
        for line_id, station_id, seq in zip(
            stations["line_id"], stations["station_id"], stations["seq"], strict=True
        )
    }
    _add_through_running(graph, runs_on, seq_of, node_of, trains, model)
    _add_transfers(graph, len(names))
    _drop_unused_stations(graph, len(names))
    log(
        f"rail graph ({scenario}): {sum(1 for _ in station_nodes(graph))} stations, "
        f"{graph.number_of_edges()} edges"
    )
    return graph


class _TrainNodes:
    """Numbers of the ``depart`` and ``arrive`` nodes of each (line, station), made on demand.

    ``direction`` is 0 on a line whose trains may run either way from a stop, +1 or -1 on a
    line with a train per direction (see the module docstring).
    """

    def __init__(self, start: int, node_of: Mapping[str, int]) -> None:
        self.next = start
        self.node_of = node_of
        self.numbers: dict[tuple[str, str, str, int], int] = {}

    def node(
        self, graph: nx.MultiDiGraph, line_id: str, station_id: str, kind: str, direction: int = 0
    ) -> int:
        key = (line_id, station_id, kind, direction)
        if key not in self.numbers:
            self.numbers[key] = self.next
            station = graph.nodes[self.node_of[station_id]]
            more = {"direction": direction} if direction else {}
            graph.add_node(self.next, kind=kind, line_id=line_id, station_id=station_id,
                           x=station["x"], y=station["y"], **more)  # fmt: skip
            self.next += 1
        return self.numbers[key]

    def existing(self, line_id: str, station_id: str, kind: str) -> dict[int, int]:
        """Return the nodes already made for a (line, station, kind), by direction."""
        return {
            direction: number
            for direction in (0, 1, -1)
            if (number := self.numbers.get((line_id, station_id, kind, direction))) is not None
        }


def _add(
    graph: nx.MultiDiGraph,
    a: int,
    b: int,
    kind: str,
    fastest: float,
    all_stops: float,
    **more: object,
) -> None:
    graph.add_edge(a, b, key=kind, kind=kind, **{FASTEST: round(fastest, 1)},
                   **{ALL_STOPS: round(all_stops, 1)}, **more)  # fmt: skip


def _add_line(
    graph: nx.MultiDiGraph,
    line_id: str,
    stops: pd.DataFrame,
    sections: pd.DataFrame,
    statuses: Sequence[str],
    model: TimeModel,
    node_of: Mapping[str, int],
    trains: _TrainNodes,
    *,
    directed: bool = False,
) -> None:
    """Add one line's trains: boarding and alighting at open stops, legs, calls.

    ``directed``: a train per direction, which keeps its direction at every call.
    """
    express = set(model.express_stops.get(line_id, ()))
    arrival = len(node_of)
    half = model.start_stop_s / 2
    directions = (1, -1) if directed else (0,)
    for run in _runs(stops, sections):
        for position, (station, leg) in enumerate(run):
            station_id = str(station["station_id"])
            boards = station["status"] in statuses
            calls = 0 < position < len(run) - 1
            for direction in directions:
                depart = trains.node(graph, line_id, station_id, "depart", direction)
                arrive = trains.node(graph, line_id, station_id, "arrive", direction)
                if boards:
                    _add(graph, node_of[station_id], depart, "board", half, half)
                    _add(graph, arrive, arrival + node_of[station_id], "alight", half, half)
                if calls:
                    stops_here = model.stop_s if boards else 0.0
                    fastest = stops_here if station_id in express else 0.0
                    _add(graph, arrive, depart, "call", fastest, stops_here)
            if leg is not None:
                previous = str(run[position - 1][0]["station_id"])
                seconds = leg.running_s / model.speed_factor
                # The run is in seq order: from the previous stop to this one is direction +1.
                hops = (
                    ((previous, station_id, 1), (station_id, previous, -1))
                    if directed
                    else ((previous, station_id, 0), (station_id, previous, 0))
                )
                for a, b, direction in hops:
                    _add(
                        graph,
                        trains.node(graph, line_id, a, "depart", direction),
                        trains.node(graph, line_id, b, "arrive", direction),
                        "leg",
                        seconds,
                        seconds,
                        length=round(leg.metres, 1),
                        running_s=round(leg.running_s, 1),
                        line_id=line_id,
                        section_id=leg.section_id,
                    )


def _add_through_running(
    graph: nx.MultiDiGraph,
    runs_on: Sequence[tuple[str, ThroughRunning]],
    seq_of: Mapping[tuple[str, str], int],
    node_of: Mapping[str, int],
    trains: _TrainNodes,
    model: TimeModel,
) -> None:
    """Let trains run on from one line onto another where ``rail_lines`` says they do.

    ``runs_on``: (line, its ``through_running`` part) for every open section. With a direction
    (``>NEXT``) trains of the line leave the station on the other line towards NEXT only, and
    only trains of the other line arriving from NEXT's side run on onto the line.
    """
    for line_id, through in runs_on:
        onto, station_id = through.onto, through.station
        arrive_line = trains.existing(line_id, station_id, "arrive")
        depart_line = trains.existing(line_id, station_id, "depart")
        depart_onto = trains.existing(onto, station_id, "depart")
        arrive_onto = trains.existing(onto, station_id, "arrive")
        if not (arrive_line and depart_line and depart_onto and arrive_onto):
            continue  # one of the two lines does not serve the station in this scenario
        if through.towards:
            away = 1 if seq_of[(onto, through.towards)] > seq_of[(onto, station_id)] else -1
            depart_onto = {away: depart_onto[away]}
            arrive_onto = {-away: arrive_onto[-away]}
        boards = any(graph.has_edge(node_of[station_id], node) for node in depart_onto.values())
        stops_here = model.stop_s if boards else 0.0
        for ins, outs in ((arrive_line, depart_onto), (arrive_onto, depart_line)):
            for a in ins.values():
                for b in outs.values():
                    _add(graph, a, b, "through", 0.0, stops_here)


@dataclass(frozen=True)
class _Leg:
    """The stretch from the previous open station of a line to this one."""

    metres: float
    running_s: float
    section_id: str


#: A stop or a section of one line, as a plain record: read once, not row by row through pandas.
_Record = Mapping[str, Any]


def _runs(stops: pd.DataFrame, sections: pd.DataFrame) -> list[list[tuple[_Record, _Leg | None]]]:
    """Return a line's stops in order, cut where no open section joins two of them.

    Each stop comes with the leg that reaches it (``None`` for the first of a run). Stops where
    trains do not call in the scenario (reserved, or not yet open) stay in the run: trains pass
    them, and may run on there onto another line. A leg's length is the geodesic between the
    two stops, scaled to the section's official length where ``length_official_km`` is known
    (the track curves and the chain may zigzag).
    """
    ordered = stops.sort_values("seq")
    records = cast(list[_Record], ordered.drop(columns="geometry").to_dict("records"))
    seqs = [int(record["seq"]) for record in records]
    xs, ys = ordered.geometry.x.tolist(), ordered.geometry.y.tolist()
    hops = [geodesic_km(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(len(records) - 1)]

    def chain_km(first: int, last: int) -> float:
        """Geodesic length of the chain through the stops from seq ``first`` to ``last``."""
        return sum(hops[bisect_left(seqs, first) : bisect_right(seqs, last) - 1])

    open_sections = cast(list[_Record], sections.to_dict("records"))
    scale = {
        str(section["id"]): _official_scale(
            chain_km(int(section["from_seq"]), int(section["to_seq"])), section
        )
        for section in open_sections
    }
    runs: list[list[tuple[_Record, _Leg | None]]] = []
    previous: _Record | None = None
    for station in records:
        section = (
            None
            if previous is None
            else _section_between(open_sections, int(previous["seq"]), int(station["seq"]))
        )
        if previous is None or section is None:
            runs.append([(station, None)])
        else:
            metres = 1000 * chain_km(int(previous["seq"]), int(station["seq"]))
            metres *= scale[str(section["id"])]
            speed_kph = _section_speed(section)
            runs[-1].append((station, _Leg(metres, metres / (speed_kph / 3.6), str(section["id"]))))
        previous = station
    return [run for run in runs if len(run) > 1]


def _official_scale(chain_km: float, section: _Record) -> float:
    """Official over chain length of a section; 1 where the official length is unknown."""
    official = section.get("length_official_km")
    if official is None or pd.isna(official) or chain_km <= 0 or float(official) <= 0:
        return 1.0
    return float(official) / chain_km


def _section_speed(section: _Record) -> float:
    """Return the speed trains run a section at: operating, else design, else the assumed."""
    for name in ("operating_speed_kmh", "design_speed_kmh"):
        speed = section.get(name)
        if speed is not None and not pd.isna(speed):
            return float(speed)
    return settings.rail_assumed_speed_kmh


def _add_transfers(graph: nx.MultiDiGraph, count: int) -> None:
    """Join stations of one city (within ``settings.rail_transfer_radius_km``) by a transfer.

    Chengdu's and Chongqing's lines end at different stations (成都东, 天府; 重庆西, 重庆北, …):
    without transfers the network would fall apart at its two hubs. A transfer goes from the
    arrival at one station to the concourse of the other, and from concourse to concourse (a
    journey may start by crossing the city).
    """
    nodes = [(node, data) for node, data in graph.nodes(data=True) if node < count]
    places = np.array([(data["x"], data["y"]) for _, data in nodes]).reshape(-1, 2)
    for i, j in pairs_within_km(places, settings.rail_transfer_radius_km):
        (first, a), (second, b) = nodes[i], nodes[j]
        km = geodesic_km(a["x"], a["y"], b["x"], b["y"])
        if km <= settings.rail_transfer_radius_km:
            seconds = settings.rail_transfer_minutes * 60 + km / settings.transfer_speed_kph * 3600
            for one, other in ((first, second), (second, first)):
                for start in (one, count + one):
                    _add(graph, start, other, "transfer", seconds, seconds,
                         length=round(km * 1000, 1))  # fmt: skip


def _drop_unused_stations(graph: nx.MultiDiGraph, count: int) -> None:
    """Remove the stations no open train serves in this scenario (and their transfers)."""
    unused = [
        node
        for node in range(count)
        if not any(data["kind"] == "board" for _, _, data in graph.out_edges(node, data=True))
    ]
    graph.remove_nodes_from([*unused, *(count + node for node in unused)])


def _section_between(sections: Sequence[_Record], first: int, last: int) -> _Record | None:
    for section in sections:
        if section["from_seq"] <= first and last <= section["to_seq"]:
            return section
    return None


def station_nodes(graph: nx.MultiDiGraph) -> list[int]:
    """Return the concourse nodes of the stations open in the graph's scenario."""
    return [node for node, kind in graph.nodes(data="kind") if kind == "station"]


def arrival_node(graph: nx.MultiDiGraph, station: int) -> int:
    """Return the node of arriving at a station by train."""
    return station + int(graph.graph["stations"])


def station_seconds(
    graph: nx.MultiDiGraph, origin: int, *, weight: str = FASTEST, cutoff: float | None = None
) -> tuple[dict[int, float], dict[int, list[int]]]:
    """Seconds from a station to every station reached, with the path to each.

    A station counts as reached on arriving there (by train, or by crossing the city), so no
    change of trains is charged at the end; the origin is reached at 0.
    """
    seconds, paths = nx.single_source_dijkstra(graph, origin, cutoff=cutoff, weight=weight)
    count = int(graph.graph["stations"])
    best: dict[int, float] = {}
    routes: dict[int, list[int]] = {}
    for node in station_nodes(graph):
        for candidate in (node, node + count):
            if candidate in seconds and seconds[candidate] < best.get(node, float("inf")):
                best[node] = float(seconds[candidate])
                routes[node] = list(paths[candidate])
    return best, routes


def find_station(graph: nx.MultiDiGraph, name: str) -> int:
    """Return a station's node by id, Chinese or English name (``成都东``, ``Chengdu East``).

    Raises
    ------
    ChengyuError
        If no station of that name is on the network, or the name is two stations' (``Yuexi``
        is 岳溪 and 越西) and not one's id.
    """
    wanted = _comparable(name).removesuffix("站")
    found: list[int] = []
    for node in station_nodes(graph):
        data = graph.nodes[node]
        if data["station_id"] == name.strip():  # an id names one station, whatever else does
            return int(node)
        names = (data["station_id"], data["name_zh"], data["name_en"])
        if wanted in (_comparable(str(text)) for text in names):
            found.append(int(node))
    if len(found) > 1:
        # Yuexi is 岳溪 (Chongqing) and 越西 (Liangshan): the first in the graph's order
        # would be taken silently, the wrong one for half the users.
        which = ", ".join(
            f"{graph.nodes[node]['name_zh']} ({graph.nodes[node]['station_id']})" for node in found
        )
        raise ChengyuError(
            f"{name!r} names {len(found)} stations: {which}; give its id or Chinese name"
        )
    if found:
        return found[0]
    raise ChengyuError(f"no station {name!r} on the rail network ({graph.graph['name']})")


def _comparable(name: str) -> str:
    """Return a station name in the form that names are compared in.

    Full-width letters, digits and spaces (an IME left in full-width mode) read as their ASCII
    forms (NFKC), case is ignored and runs of spaces are one: ``Ｃｈｅｎｇｄｕ　East`` is
    ``chengdu east``.
    """
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
