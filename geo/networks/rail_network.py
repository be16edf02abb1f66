"""The passenger rail network: reach from an origin, travel times and their calibration.

The network itself — an osmnx-compatible graph of stations joined by rides, each with a
fastest-train ``travel_time`` and an ``all_stops_time`` (``rail_graph``, ``find_station``,
``TimeModel``, ``FASTEST``, ``ALL_STOPS``) — is built in ``geo.networks._rail_graph`` (see its
module
docstring for the time model) and re-exported here, where users import it from.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geo import settings
from geo._geodesy import dissolved_discs, metric_crs
from geo._stages import cached_stage, inputs_key
from geo.errors import ChengyuError
from geo.networks._rail_graph import (
    ALL_STOPS,
    FASTEST,
    TimeModel,
    find_station,
    rail_graph,
    station_nodes,
    station_seconds,
)
from geo.sources._schema import SCENARIOS
from geo.utils import log

__all__ = [
    "ALL_STOPS",
    "FASTEST",
    "Journey",
    "Reach",
    "TimeModel",
    "calibration_markdown",
    "calibration_table",
    "counties_reached",
    "find_station",
    "fit_time_model",
    "journey",
    "rail_graph",
    "rail_graphs",
    "reach",
    "reach_areas",
    "reach_table",
    "travel_times",
]


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
    seconds, _ = station_seconds(graph, origin, weight=weight, cutoff=limit_minutes * 60)
    scenario = str(graph.graph["name"]).rsplit(", ", 1)[-1]
    return Reach(origin, scenario, {node: round(value / 60, 1) for node, value in seconds.items()})


def counties_reached(
    found: Reach,
    graph: nx.MultiDiGraph,
    counties: gpd.GeoDataFrame,
    *,
    within_minutes: float,
    placed: Mapping[int, Sequence[str]] | None = None,
) -> list[str]:
    """Counties holding a station reached within ``within_minutes`` (sorted adcodes).

    A county counts as reached when a station in it is; the station positions are approximate
    (see ``precision_m``), and a county seat may lie some way from its station. ``placed``
    (``station_counties``) saves placing the graph's stations again for every limit.
    """
    placed = placed if placed is not None else station_counties(graph, counties)
    reached = (node for node, minutes in found.minutes.items() if minutes <= within_minutes)
    return sorted({adcode for node in reached for adcode in placed.get(node, ())})


def station_counties(graph: nx.MultiDiGraph, counties: gpd.GeoDataFrame) -> dict[int, list[str]]:
    """Return the counties (adcodes) each station node of ``graph`` lies in, in one join."""
    nodes = station_nodes(graph)
    points = gpd.GeoDataFrame(
        {"node": nodes},
        geometry=gpd.points_from_xy(
            [graph.nodes[node]["x"] for node in nodes], [graph.nodes[node]["y"] for node in nodes]
        ),
        crs=settings.storage_crs,
    )
    joined = gpd.sjoin(points, counties[["adcode", "geometry"]], predicate="within")
    placed: dict[int, list[str]] = {}
    for node, adcode in zip(joined["node"], joined["adcode"], strict=True):
        placed.setdefault(int(node), []).append(str(adcode))
    return placed


def rail_graphs(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    layers_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> dict[str, nx.MultiDiGraph]:
    """Return the rail graph of each scenario with the fitted model, built once per input.

    A cached stage (``geo._stages``) keyed by everything the layer sources, the settings and
    the code say: the analysis (its reach and its calibration) and ``chengyu reach`` share one
    build of the graphs instead of each building its own.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``) read from ``layers_dir``.
    layers_dir
        Folder they were read from (default ``settings.layers_dir``), for the cache key.
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).
    """

    def build() -> dict[str, nx.MultiDiGraph]:
        return {scenario: rail_graph(layers, scenario=scenario) for scenario in SCENARIOS}

    key = inputs_key(layers_dir=layers_dir, options=["rail graphs"])
    return cached_stage("rail-graphs", key, build, cache_dir=cache_dir)


def _reaches(
    layers: Mapping[str, gpd.GeoDataFrame],
    origins: Sequence[str],
    limit_minutes: float,
    graphs: Mapping[str, nx.MultiDiGraph] | None = None,
) -> Iterator[tuple[str, nx.MultiDiGraph, int, Reach | None]]:
    """For each scenario and origin: the graph, the origin node and what it reaches.

    An origin that is a station of the layers but not open in a scenario (天府 today) reaches
    nothing there (``None``); a name that is no station at all is an error.
    """
    if graphs is None:
        graphs = {scenario: rail_graph(layers, scenario=scenario) for scenario in SCENARIOS}
    # A station asked twice (成都东 and Chengdu East) is one origin: its rows once, not twice
    # with the same id in rail_reach.
    found = _stations_named(layers, graphs["after"], origins)
    origins = list(found)
    for scenario, graph in graphs.items():
        by_id = {graph.nodes[node]["station_id"]: node for node in station_nodes(graph)}
        for name in origins:
            where, node = found[name]
            here = by_id.get(where.nodes[node]["station_id"])
            if here is None:
                yield scenario, where, node, None
                continue
            yield scenario, graph, here, reach(graph, here, limit_minutes=limit_minutes)


def _stations_named(
    layers: Mapping[str, gpd.GeoDataFrame], after: nx.MultiDiGraph, names: Sequence[str]
) -> dict[str, tuple[nx.MultiDiGraph, int]]:
    """Find each named station once: its graph and node, by the first name it was asked by.

    A station is looked for on the after network, else among every station of the layers (a
    station open in no scenario, 渭沱 reserved, 天府 today), whose graph is made only then; a
    name that is no station is an error. Two names of one station (遂宁 and Suining) give it
    once, in the order asked.
    """
    found: dict[str, tuple[nx.MultiDiGraph, int]] = {}
    asked: set[str] = set()
    for name in names:
        try:
            where, node = after, find_station(after, name)
        except ChengyuError:
            every = _every_station_graph(layers)
            where, node = every, find_station(every, name)
        station_id = where.nodes[node]["station_id"]
        if station_id not in asked:
            asked.add(station_id)
            found[name] = (where, node)
    return found


def _every_station_graph(layers: Mapping[str, gpd.GeoDataFrame]) -> nx.MultiDiGraph:
    """Return a graph holding every station of the layers (to find one open in no scenario)."""
    stations = layers["rail_stations"].drop_duplicates("station_id")
    every = nx.MultiDiGraph(name="rail network, any scenario")
    rows = zip(
        stations["station_id"], stations.geometry, stations["name_zh"], stations["name_en"],
        strict=True,
    )  # fmt: skip
    for number, (station_id, point, name_zh, name_en) in enumerate(rows):
        every.add_node(number, kind="station", station_id=station_id, x=point.x, y=point.y,
                       name_zh=name_zh, name_en=name_en)  # fmt: skip
    return every


def not_open_note(layers: Mapping[str, gpd.GeoDataFrame], station_id: str, scenario: str) -> str:
    """Say why a station reaches nothing in a scenario: not open, and when it opens if known."""
    stops = layers["rail_stations"][layers["rail_stations"]["station_id"] == station_id]
    openings = sorted(str(value) for value in stops["opening"].dropna() if str(value).strip())
    when = f", opens {openings[0]}" if openings else ""
    statuses = "; ".join(sorted({str(status).replace("_", " ") for status in stops["status"]}))
    return f"not on the network {scenario} ({statuses}{when})"


def reach_table(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    origins: Sequence[str],
    minutes: Sequence[float],
    graphs: Mapping[str, nx.MultiDiGraph] | None = None,
) -> pd.DataFrame:
    """For each origin, scenario and time limit: stations and counties reached.

    ``graphs`` are the scenarios' rail graphs (``rail_graphs``), built here if not given.

    Returns
    -------
    DataFrame
        ``origin``, ``scenario``, ``minutes``, ``stations``, ``counties``, ``county_names``,
        ``county_names_en`` and ``county_adcodes`` (each joined by ``、``), and ``note`` (why
        an origin reaches nothing: not open in that scenario, and when it opens).
    """
    minutes = list(dict.fromkeys(minutes))  # a limit given twice is one limit
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    rows = []
    placed: dict[int, dict[int, list[str]]] = {}  # per graph, its stations' counties
    for scenario, graph, origin, found in _reaches(layers, origins, max(minutes), graphs):
        for limit in minutes:
            if found is None:
                station_id = graph.nodes[origin]["station_id"]
                rows.append(
                    {
                        "origin": graph.nodes[origin]["name_zh"],
                        "scenario": scenario,
                        "minutes": limit,
                        "stations": 0,
                        "counties": 0,
                        "county_names": "",
                        "county_names_en": "",
                        "county_adcodes": "",
                        "note": not_open_note(layers, station_id, scenario),
                    }
                )
                continue
            if id(graph) not in placed:
                placed[id(graph)] = station_counties(graph, counties)
            adcodes = counties_reached(
                found, graph, counties, within_minutes=limit, placed=placed[id(graph)]
            )
            names = counties.set_index("adcode").loc[adcodes, ["name_zh", "name_en"]]
            rows.append(
                {
                    "origin": graph.nodes[origin]["name_zh"],
                    "scenario": scenario,
                    "minutes": limit,
                    "stations": sum(1 for value in found.minutes.values() if value <= limit),
                    "counties": len(adcodes),
                    "county_names": "、".join(names["name_zh"]),
                    "county_names_en": "、".join(names["name_en"]),
                    "county_adcodes": "、".join(adcodes),
                    "note": "",
                }
            )
    return pd.DataFrame(rows)


def reach_areas(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    origins: Sequence[str],
    minutes: Sequence[float],
    graphs: Mapping[str, nx.MultiDiGraph] | None = None,
) -> gpd.GeoDataFrame:
    """Return the ``rail_reach`` layer: the area reachable by rail, then road, within each time.

    ``graphs`` as for ``reach_table``.

    Around every station reached after ``t`` minutes, the time left is spent at
    ``settings.access_speed_kph`` (a circle of radius (T − t) × speed); the circles are
    dissolved per origin, scenario and time. Drawn in the data's UTM zone, stored in WGS84.
    """
    minutes = list(dict.fromkeys(minutes))  # a limit given twice is one area, one id
    crs = metric_crs(layers["rail_stations"])
    rows = []
    for scenario, graph, origin, found in _reaches(layers, origins, max(minutes), graphs):
        if found is None:
            continue  # the origin is not open in this scenario: no area
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
class Journey:
    """A path through the rail graph, read as a traveller's journey.

    Attributes
    ----------
    seconds, all_stops_seconds
        The journey on the fastest trains, and the same rides on trains calling everywhere.
    running_s
        Running time of its legs at full section speed.
    rides
        Trains boarded (each costs a start/stop allowance).
    stops, stops_all
        Intermediate calls of the fastest trains, and of trains calling at every open station.
    fixed_s
        Seconds of changes and transfers (not fitted).
    lines
        Lines ridden in order (a train running through from one line to the next counts both;
        another line's section that the train runs over and leaves again for its own line, as
        成宜 trains over 成达万's 天府–资阳西, does not).
    transfers
        Each change of trains: ``at``, ``to`` (another station of the city, or the same),
        ``minutes``.
    route
        Station names where the traveller boards, changes and arrives, ``–``-joined, a change
        shown as ``沙坪坝 (transfer 32 min)``.
    """

    seconds: float
    all_stops_seconds: float
    running_s: float
    rides: int
    stops: int
    stops_all: int
    fixed_s: float
    lines: tuple[str, ...]
    transfers: tuple[dict[str, object], ...]
    route: str


def journey(graph: nx.MultiDiGraph, path: Sequence[int]) -> Journey:
    """Read a path of ``rail_graph`` (from ``station_seconds``) as a journey."""
    totals = {"seconds": 0.0, "all": 0.0, "running": 0.0, "fixed": 0.0}
    rides = stops = stops_all = 0
    lines: list[str] = []
    # For each line in ``lines``: was it entered by running through, without a change of trains.
    through: list[bool] = []
    ran_through = False
    transfers: list[dict[str, object]] = []
    names = [str(graph.nodes[path[0]]["name_zh"])]
    for first, second in itertools.pairwise(path):
        edge = min(graph.get_edge_data(first, second).values(), key=lambda data: data[FASTEST])
        kind = edge["kind"]
        totals["seconds"] += edge[FASTEST]
        totals["all"] += edge[ALL_STOPS]
        if kind == "leg":
            totals["running"] += edge["running_s"]
            line = str(edge["line_id"])
            if len(lines) >= 2 and ran_through and through[-1] and lines[-2] == line:
                # Back on the line it left: the train only ran over a section the two share
                # (成宜 trains over 成达万's 天府–资阳西), still one line to the traveller.
                lines.pop()
                through.pop()
            elif not lines or lines[-1] != line:
                lines.append(line)
                through.append(ran_through)
            ran_through = False
        elif kind == "board":
            rides += 1
        elif kind in ("call", "through"):
            ran_through = kind == "through"
            stops += edge[FASTEST] > 0
            stops_all += edge[ALL_STOPS] > 0
        elif kind in ("change", "transfer"):
            totals["fixed"] += edge[FASTEST]
            at, to = (str(graph.nodes[node]["name_zh"]) for node in (first, second))
            minutes = round(edge[FASTEST] / 60, 1)
            transfers.append({"at": at, "to": to, "minutes": minutes})
            marked = f"{at} (transfer {minutes:g} min)"
            names[-1:] = [marked] if names[-1] == at else [names[-1], marked]
            if to != at:
                names.append(to)
        if kind == "alight" and second == path[-1]:
            names.append(str(graph.nodes[second]["name_zh"]))
    return Journey(
        totals["seconds"], totals["all"], totals["running"], rides, int(stops), int(stops_all),
        totals["fixed"], tuple(lines), tuple(transfers), "–".join(names),
    )  # fmt: skip


@dataclass(frozen=True)
class _Ride:
    """A published journey on today's network: its path and the stops the model charges."""

    record: pd.Series
    trip: Journey
    stops: int


def _published_rides(
    layers: Mapping[str, gpd.GeoDataFrame],
    model: TimeModel,
    graph: nx.MultiDiGraph | None = None,
) -> tuple[list[_Ride], nx.MultiDiGraph]:
    """Each ``rail_times`` journey as its fastest path on today's network (``graph``)."""
    graph = graph if graph is not None else rail_graph(layers, scenario="today", model=model)
    rides = []
    for _, record in layers["rail_times"].iterrows():
        first, last = (find_station(graph, record[end]) for end in ("from", "to"))
        _, paths = station_seconds(graph, first)
        if last not in paths:
            raise ChengyuError(
                f"rail_times.csv: feature {record['id']!r}: no line open today runs from "
                f"{record['from']!r} to {record['to']!r}"
            )
        trip = journey(graph, paths[last])
        if not pd.isna(record["line_speed_kmh"]):
            metres = sum(
                data["length"]
                for a, b in itertools.pairwise(paths[last])
                for data in graph.get_edge_data(a, b).values()
                if data["kind"] == "leg"
            )
            trip = replace(trip, running_s=metres / (float(record["line_speed_kmh"]) / 3.6))
        reported = record["stops"]
        if reported is None or pd.isna(reported):
            stops = trip.stops
        else:
            stops = 0 if reported == "none" else len(str(reported).split(";"))
        rides.append(_Ride(record, trip, stops))
    return rides, graph


def _modelled_s(ride: _Ride, model: TimeModel, stops: int | None = None) -> float:
    trip = ride.trip
    running = trip.running_s / model.speed_factor
    stopped = (ride.stops if stops is None else stops) * model.stop_s
    return running + trip.rides * model.start_stop_s + stopped + trip.fixed_s


def calibration_table(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    model: TimeModel | None = None,
    graph: nx.MultiDiGraph | None = None,
) -> pd.DataFrame:
    """Modelled against published fastest times, one row per ``rail_times`` journey.

    ``graph`` is today's rail graph built with ``model`` (``rail_graphs``: the settings'
    model), built here if not given.

    Returns
    -------
    DataFrame
        ``id``, ``from``, ``to`` (Chinese names), ``train``, ``date``, ``use`` (``fit``: the
        model is fitted on it; ``check``: kept aside), ``stops`` (the stops modelled: those
        reported, else the fastest pattern), ``lines`` (ridden, Chinese names), ``published_min``,
        ``modelled_min``, ``all_stops_min``, ``error_pct`` ((modelled - published) /
        published), ``within_tolerance`` (``settings.rail_time_tolerance_pct``), ``method``
        and ``source``.
    """
    model = model or TimeModel.from_settings()
    rides, graph = _published_rides(layers, model, graph)
    line_names = _line_names(layers)
    low, high = settings.rail_time_tolerance_pct
    rows = []
    for ride in rides:
        record = ride.record
        modelled = _modelled_s(ride, model) / 60
        error = (modelled - record["minutes"]) / record["minutes"] * 100
        names = [graph.nodes[find_station(graph, record[end])]["name_zh"] for end in ("from", "to")]
        rows.append(
            {
                "id": record["id"],
                "from": names[0],
                "to": names[1],
                "train": record["train"] if isinstance(record["train"], str) else "",
                "date": record["date"],
                "use": _use(record),
                "stops": ride.stops,
                "lines": " → ".join(line_names.get(line, line) for line in ride.trip.lines),
                "published_min": float(record["minutes"]),
                "modelled_min": round(modelled, 1),
                "all_stops_min": round(_modelled_s(ride, model, ride.trip.stops_all) / 60, 1),
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


def calibration_markdown(table: pd.DataFrame) -> str:
    """Return the calibration as the docs show it: a Markdown table, then a line per ``use``.

    Parameters
    ----------
    table
        From ``calibration_table``.

    Returns
    -------
    str
        One row per journey (fitted first, then kept aside) and, for each ``use``, the number of
        journeys, the range of their errors and how many fall within the tolerance.
    """
    low, high = settings.rail_time_tolerance_pct
    lines = [
        "| journey | train | use | lines ridden | published | modelled | error | all stops |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    ordered = table.assign(_fit=table["use"] != "fit").sort_values(["_fit", "from", "to", "date"])
    for row in ordered.itertuples(index=False):
        lines.append(
            f"| {row[1]} → {row[2]} ({row.date}) | {row.train} | {row.use} | {row.lines} "
            f"| {row.published_min:g} | {row.modelled_min:g} | {row.error_pct:+.1f} % "
            f"| {row.all_stops_min:g} |"
        )
    for use, group in ordered.groupby("_fit", sort=True):
        name = str(group["use"].iloc[0]) if not use else "check"
        lines += [
            "",
            f"{name}: {len(group)} journeys, error {group['error_pct'].min():+.1f} to "
            f"{group['error_pct'].max():+.1f} %, within {low:g}/+{high:g} % "
            f"{int(group['within_tolerance'].sum())}/{len(group)}",
        ]
    return "\n".join(lines) + "\n"


def _use(record: pd.Series) -> str:
    """Whether the model is fitted on a published time (``fit``) or checked against it."""
    use = record.get("use")
    return "fit" if use is None or pd.isna(use) or not str(use).strip() else str(use)


def fit_time_model(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    express_stops: Mapping[str, tuple[str, ...]] | None = None,
) -> TimeModel:
    """Fit speed factor, start/stop allowance and stop time to the published fastest times.

    A grid search over ``settings.rail_fit_grid`` (plausible ranges: a train runs no faster than
    its line speed, and a stop costs at least a minute) for the values that minimise the sum of
    squared relative errors ``(modelled - published) / published`` over the ``rail_times``
    journeys marked ``use = fit`` (those marked ``check`` are kept aside to test the model), so
    a long and a short journey weigh alike. Deterministic: the grid is fixed, and ties go to the
    first (lowest) values.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``, ``rail_times``).
    express_stops
        Where fastest trains stop, by line (default ``settings.rail_express_stops``).
    """
    stops_by_line = dict(settings.rail_express_stops if express_stops is None else express_stops)
    change_s = settings.rail_change_minutes * 60
    rides, _ = _published_rides(layers, TimeModel(1.0, 0.0, 0.0, stops_by_line, change_s))
    rides = [ride for ride in rides if _use(ride.record) == "fit"]
    if not rides:
        raise ChengyuError("rail_times.csv: no published journey to fit the time model on")
    published = np.array([ride.record["minutes"] * 60 for ride in rides], dtype=float)
    running = np.array([ride.trip.running_s for ride in rides], dtype=float)
    boarded = np.array([ride.trip.rides for ride in rides], dtype=float)
    stops = np.array([ride.stops for ride in rides], dtype=float)
    fixed = np.array([ride.trip.fixed_s for ride in rides], dtype=float)
    axes = [np.arange(low, high + step / 2, step) for low, high, step in settings.rail_fit_grid]
    factor, start, stop = np.meshgrid(*axes, indexing="ij")
    modelled = (
        running / factor[..., None] + boarded * start[..., None] + stops * stop[..., None] + fixed
    )  # grid x journeys
    cost = (((modelled - published) / published) ** 2).sum(axis=-1)
    best = np.unravel_index(int(np.argmin(cost)), cost.shape)
    fitted = TimeModel(
        round(float(factor[best]), 3),
        round(float(start[best]), 1),
        round(float(stop[best]), 1),
        stops_by_line,
        change_s,
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
        every station), ``published_minutes`` and ``published_source`` (on the ``today`` rows
        only, where ``rail_times`` holds the pair in either direction), ``route`` (see
        ``Journey``), ``lines`` (Chinese names, `` → ``-joined) and ``transfers`` (a list of
        ``Journey.transfers``).
    """
    model = model or TimeModel.from_settings()
    graphs = {
        scenario: rail_graph(layers, scenario=scenario, model=model) for scenario in SCENARIOS
    }
    # A destination asked twice (遂宁 and Suining) is one destination: one row per scenario.
    found_origin = _stations_named(layers, graphs["after"], [origin])
    ends = _stations_named(layers, graphs["after"], destinations)
    names = {name: where.nodes[node] for name, (where, node) in (found_origin | ends).items()}
    destinations = list(ends)
    line_names = _line_names(layers)
    published = _published_by_pair(layers)
    rows = []
    for scenario, graph in graphs.items():
        by_id = {graph.nodes[node]["station_id"]: node for node in station_nodes(graph)}
        start = names[origin]
        found: tuple[dict[int, float], dict[int, list[int]]] = ({}, {})
        if start["station_id"] in by_id:
            found = station_seconds(graph, by_id[start["station_id"]])
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
                "lines": "",
                "transfers": [],
            }
            b = by_id.get(end["station_id"])
            if b is not None and b in found[1]:
                trip = journey(graph, found[1][b])
                row["minutes"] = round(trip.seconds / 60, 1)
                row["all_stops_minutes"] = round(trip.all_stops_seconds / 60, 1)
                row["route"] = trip.route
                row["lines"] = " → ".join(line_names.get(line, line) for line in trip.lines)
                row["transfers"] = list(trip.transfers)
            key = frozenset((start["station_id"], end["station_id"]))
            if scenario == "today" and key in published:
                row["published_minutes"], row["published_source"] = published[key]
            rows.append(row)
    return pd.DataFrame(rows)


def _line_names(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    """Return each line's Chinese name by line id."""
    lines = layers["rail_lines"].drop_duplicates("line_id")
    return dict(zip(lines["line_id"].astype(str), lines["name_zh"].astype(str), strict=True))


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
