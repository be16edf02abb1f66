"""Build each layer's GeoDataFrame from its checked records: positions, chains, geometry.

One builder per layer (``BUILDERS``), called by ``geo.sources.layers.load_layers`` and
``geo.sources.layers.build_layer`` in the order of ``DEPENDS_ON``. Builders only check and draw:
lines go straight through their stops or waypoints; ``geo.networks.routing.route_layers``
routes them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely import LineString, Point
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.errors import LayerValidationError, Problem, RoutingError
from geo.sources import admin
from geo.sources._schema import LayerSpec
from geo.sources._validate import Record, position_problem

Point2 = tuple[float, float]

_REGION = "the Chengdu–Chongqing region"
_CORRIDOR = "the Land–Sea Corridor region"


def _frame(records: list[Record], spec: LayerSpec, geometry: list[object]) -> gpd.GeoDataFrame:
    columns = [name for name in spec.field_names if name not in ("lon", "lat")]
    data = pd.DataFrame.from_records(records, columns=list(spec.field_names))[columns]
    for field_spec in spec.fields:
        if field_spec.name not in data:
            continue
        if field_spec.kind == "int":
            data[field_spec.name] = data[field_spec.name].astype("Int64")
        elif field_spec.kind == "float":
            data[field_spec.name] = data[field_spec.name].astype("float64")
        elif field_spec.kind == "waypoints":
            data[field_spec.name] = [
                "; ".join(f"{name} ({lon} {lat})" for name, lon, lat in value) if value else None
                for value in data[field_spec.name]
            ]
    return gpd.GeoDataFrame(data, geometry=geometry, crs=settings.storage_crs)


def _points(
    records: list[Record],
    spec: LayerSpec,
    _built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    problems = []
    in_region = []
    for record in records:
        outside_allowed = record.get("kind") in spec.outside_region_kinds
        bounds, where = (
            (settings.corridor_bounds, _CORRIDOR)
            if outside_allowed
            else (settings.region_bounds, _REGION)
        )
        message = position_problem(record["lon"], record["lat"], bounds, where=where)
        if message:
            problems.append(Problem(spec.file_name, record[spec.fields[0].name], "lon", message))
        elif not outside_allowed:
            in_region.append(record)
    problems += _outside_china(in_region, spec, cache_dir=cache_dir)
    if problems:
        raise LayerValidationError(problems)
    return _frame(records, spec, [Point(record["lon"], record["lat"]) for record in records])


def _outside_china(
    records: list[Record], spec: LayerSpec, *, cache_dir: Path | None
) -> list[Problem]:
    """Problems for region points outside China: the region's rectangle holds part of Myanmar."""
    if not records:
        return []
    inside = admin.inside_china(
        [record["lon"] for record in records],
        [record["lat"] for record in records],
        cache_dir=cache_dir,
    )
    return [
        Problem(
            spec.file_name,
            record[spec.fields[0].name],
            "lon",
            f"({record['lon']}, {record['lat']}) lies outside China, though inside the "
            f"rectangle of {_REGION} {settings.region_bounds}: is the position right?",
        )
        for record, within in zip(records, inside, strict=True)
        if not within
    ]


def _stations(
    records: list[Record],
    spec: LayerSpec,
    built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    problems: list[Problem] = []
    first: dict[str, Record] = {}
    for record in records:
        known = first.setdefault(record["station_id"], record)
        if known is record:
            continue
        for name in ("name_zh", "name_en", "lon", "lat"):
            if record[name] != known[name]:
                problems.append(
                    Problem(
                        spec.file_name,
                        record["id"],
                        name,
                        f"station {record['station_id']!r} has {name} {record[name]!r} here "
                        f"but {known[name]!r} in {known['id']!r}",
                    )
                )
    by_line: dict[str, list[int]] = {}
    for record in records:
        by_line.setdefault(record["line_id"], []).append(record["seq"])
    for line_id, seqs in by_line.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            problems.append(
                Problem(
                    spec.file_name,
                    f"{line_id}-*",
                    "seq",
                    f"line {line_id!r} stops are not numbered 1…n: {sorted(seqs)}",
                )
            )
    if problems:
        raise LayerValidationError(problems)
    return _points(records, spec, built, cache_dir)


def _rail_lines(
    records: list[Record],
    spec: LayerSpec,
    built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    stations = built["rail_stations"]
    problems: list[Problem] = []
    geometries: list[BaseGeometry | None] = []
    for record in records:
        on_line = stations[stations["line_id"] == record["line_id"]].set_index("seq")
        if on_line.empty:
            problems.append(
                Problem(
                    spec.file_name,
                    record["id"],
                    "line_id",
                    f"no stations for line {record['line_id']!r}",
                )
            )
            geometries.append(None)
            continue
        if record["from_seq"] >= record["to_seq"]:
            problems.append(
                Problem(spec.file_name, record["id"], "to_seq", "must be greater than from_seq")
            )
            geometries.append(None)
            continue
        missing = [
            seq for seq in (record["from_seq"], record["to_seq"]) if seq not in on_line.index
        ]
        if missing:
            problems.append(
                Problem(
                    spec.file_name,
                    record["id"],
                    "to_seq",
                    f"line {record['line_id']!r} has no stop {missing}",
                )
            )
            geometries.append(None)
            continue
        problems += _through_running_problems(record, spec, stations)
        chain = on_line.loc[record["from_seq"] : record["to_seq"]].geometry
        geometries.append(schematic_route([(point.x, point.y) for point in chain]))
    problems += _unjoined_stops(records, stations, spec)
    if problems:
        raise LayerValidationError(problems)
    frame = _frame(records, spec, geometries)
    frame["geometry_source"] = "schematic_station_chain"
    frame["osm_share"] = 0.0
    return frame


@dataclass(frozen=True)
class ThroughRunning:
    """Trains of a line running on at ``station`` onto line ``onto`` without a change.

    ``towards`` is the next stop of ``onto`` the trains run to (``ly@nanchong_bei>wusheng``):
    they run on that way only, and trains of ``onto`` coming from that way run on onto the
    line; ``None`` where the field gives no direction (both ways).
    """

    onto: str
    station: str
    towards: str | None = None

    def __str__(self) -> str:
        """Return the part of the field it was read from."""
        return f"{self.onto}@{self.station}" + ("" if self.towards is None else f">{self.towards}")


def parse_through_running(text: object) -> list[ThroughRunning]:
    """Return a ``through_running`` field as its ``LINE@STATION[>NEXT]`` parts; ``[]`` if empty."""
    if text is None or (isinstance(text, float) and text != text):  # missing, or NaN
        return []
    parsed = []
    for part in (part.strip() for part in str(text).split(";")):
        if not part:
            continue
        onto, _, rest = part.partition("@")
        station, arrow, towards = rest.partition(">")
        # "LINE@STATION>" keeps an empty direction, so the check can refuse it.
        direction = towards.strip() if arrow else None
        parsed.append(ThroughRunning(onto.strip(), station.strip(), direction))
    return parsed


def _through_running_problems(
    record: Record, spec: LayerSpec, stations: gpd.GeoDataFrame
) -> list[Problem]:
    """Check each ``LINE@STATION[>NEXT]`` of a section.

    LINE must be another line calling at STATION, a stop of this line too; NEXT the stop of
    LINE just before or after STATION.
    """
    problems = []
    for through in parse_through_running(record["through_running"]):
        lines_there = set(stations.loc[stations["station_id"] == through.station, "line_id"])
        line_id = record["line_id"]
        if not {line_id, through.onto} <= lines_there or through.onto == line_id:
            message = "write LINE@STATION, a station where this line and another stop"
        elif through.towards is not None and through.towards not in (
            neighbours := _neighbour_stops(stations, through.onto, through.station)
        ):
            message = (
                f"after '>' write the next stop of line {through.onto!r} the trains run to from "
                f"{through.station!r}: {' or '.join(repr(stop) for stop in neighbours)}"
            )
        else:
            continue
        problems.append(
            Problem(spec.file_name, record["id"], "through_running", f"{str(through)!r}: {message}")
        )
    return problems


def _neighbour_stops(stations: gpd.GeoDataFrame, line_id: str, station_id: str) -> list[str]:
    """Return the stops of a line just before and after one of its stations, by ``seq``."""
    stops = stations[stations["line_id"] == line_id].sort_values("seq")["station_id"].tolist()
    at = stops.index(station_id)
    return [stops[i] for i in (at - 1, at + 1) if 0 <= i < len(stops)]


def _unjoined_stops(
    records: list[Record], stations: gpd.GeoDataFrame, spec: LayerSpec
) -> list[Problem]:
    """Find stops that lie on no section of their line: a section deleted, its stops left.

    A line may have a gap between two of its sections where its trains run over another
    line's track (成宜 over 成达万's 天府–资阳西): the stops at the gap's ends lie on sections.
    """
    problems = []
    for line_id, stops in stations.groupby("line_id", sort=False):
        sections = [r for r in records if r["line_id"] == line_id]
        if not sections:
            continue  # reported by rail_stations' line_id check
        seqs = sorted(int(seq) for seq in stops["seq"])
        loose = [
            seq for seq in seqs if not any(r["from_seq"] <= seq <= r["to_seq"] for r in sections)
        ]
        if loose:
            problems.append(
                Problem(
                    spec.file_name,
                    str(line_id),
                    "from_seq",
                    f"stop {loose[0]} of line {line_id!r} lies on no section"
                    + (f" (nor {len(loose) - 1} more)" if len(loose) > 1 else "")
                    + ": every stop of rail_stations must lie on a section (was one deleted?)",
                )
            )
    return problems


def _rail_times(
    records: list[Record],
    spec: LayerSpec,
    built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    """Check that each timed journey runs along one line; draw it through that line's stops."""
    stations = built["rail_stations"]
    known = set(stations["station_id"])
    problems: list[Problem] = []
    geometries: list[BaseGeometry | None] = []
    graph = _stop_graph(stations)
    for record in records:
        unknown = [
            (field, station) for field in ("from", "to") if (station := record[field]) not in known
        ]
        stops = record["stops"]
        if stops and stops != "none":
            unknown += [
                ("stops", station)
                for station in (part.strip() for part in stops.split(";"))
                if station not in known
            ]
        problems += [
            Problem(spec.file_name, record["id"], field, f"{station!r} is not a station_id")
            for field, station in unknown
        ]
        ride = _stop_chain(graph, stations, record["from"], record["to"]) if not unknown else None
        if ride is None and not unknown:
            problems.append(
                Problem(
                    spec.file_name,
                    record["id"],
                    "to",
                    f"no line or chain of lines joins {record['from']!r} and {record['to']!r}",
                )
            )
        geometries.append(
            None
            if ride is None
            else schematic_route([(point.x, point.y) for point in ride.geometry])
        )
    if problems:
        raise LayerValidationError(problems)
    frame = _frame(records, spec, geometries)
    frame["geometry_source"] = "schematic_station_chain"
    return frame


def _stop_graph(stations: gpd.GeoDataFrame) -> nx.Graph:
    """Return the graph of consecutive stops of every line, weighted by their distance apart."""
    graph = nx.Graph()
    points = stations.drop_duplicates("station_id").set_index("station_id").geometry
    for _, stops in stations.groupby("line_id"):
        ids = list(stops.sort_values("seq")["station_id"])
        for a, b in itertools.pairwise(ids):
            graph.add_edge(a, b, weight=points[a].distance(points[b]))
    return graph


def _stop_chain(
    graph: nx.Graph, stations: gpd.GeoDataFrame, first: str, last: str
) -> gpd.GeoDataFrame | None:
    """Return the stops from one station to another along the lines, in order, or ``None``.

    The shortest chain of consecutive stops (of one line, or of lines meeting at a station) in
    ``graph`` (``_stop_graph``), as rows of ``stations``.
    """
    if first == last:
        return None
    try:
        path = nx.shortest_path(graph, first, last, weight="weight")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    chain = stations.drop_duplicates("station_id").set_index("station_id").loc[path]
    return chain.reset_index()


def _waypoint_problems(
    record: Record, spec: LayerSpec, bounds: tuple[float, float, float, float], where: str
) -> list[Problem]:
    return [
        Problem(spec.file_name, record["id"], "waypoints", f"{name}: {message}")
        for name, lon, lat in record["waypoints"] or []
        if (message := position_problem(lon, lat, bounds, where=where))
    ]


def _expressways(
    records: list[Record],
    spec: LayerSpec,
    _built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    problems = [
        p
        for record in records
        for p in _waypoint_problems(record, spec, settings.region_bounds, _REGION)
    ]
    geometries: list[BaseGeometry | None] = []
    for record in records:
        try:
            geometries.append(schematic_route([(lon, lat) for _, lon, lat in record["waypoints"]]))
        except RoutingError as error:
            problems.append(Problem(spec.file_name, record["id"], "waypoints", str(error)))
    if problems:
        raise LayerValidationError(problems)
    frame = _frame(records, spec, geometries)
    frame["geometry_source"] = ROUTING_SOURCES["schematic"]
    frame["osm_share"] = 0.0
    return frame


def _corridor_routes(
    records: list[Record],
    spec: LayerSpec,
    built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    """Return the legs as straight lines through their hubs and waypoints.

    ``route_layers`` routes them on the sea lanes and the railway network afterwards.
    """
    hubs = built["logistics_hubs"].set_index("id")
    problems = [
        p
        for record in records
        for p in _waypoint_problems(record, spec, settings.corridor_bounds, _CORRIDOR)
    ]
    geometries: list[BaseGeometry | None] = []
    for record in records:
        ends = []
        for field in ("origin", "destination"):
            if record[field] not in hubs.index:
                problems.append(
                    Problem(
                        spec.file_name,
                        record["id"],
                        field,
                        f"{record[field]!r} is not a logistics_hubs id",
                    )
                )
            else:
                point = hubs.loc[record[field]].geometry
                ends.append((point.x, point.y))
        if len(ends) < 2:
            geometries.append(None)
            continue
        middle = [(lon, lat) for _, lon, lat in record["waypoints"] or []]
        try:
            geometries.append(schematic_route([ends[0], *middle, ends[1]]))
        except RoutingError as error:
            problems.append(Problem(spec.file_name, record["id"], "waypoints", str(error)))
            geometries.append(None)
    if problems:
        raise LayerValidationError(problems)
    frame = _frame(records, spec, geometries)
    frame["geometry_source"] = ROUTING_SOURCES["schematic"]
    frame["off_network_km"] = 0.0
    return frame


ROUTING_SOURCES = {
    "searoute": "searoute_maritime_network",
    "rail_network": "osm_railway_graph",
    "schematic": "schematic_waypoints",
}


def _admin_areas(
    records: list[Record],
    spec: LayerSpec,
    _built: dict[str, gpd.GeoDataFrame],
    cache_dir: Path | None,
) -> gpd.GeoDataFrame:
    frame = admin.admin_areas(records, file=spec.file_name, cache_dir=cache_dir)
    # Two names, one boundary: a county listed twice under different adcodes and names.
    problems = []
    first: dict[bytes, str] = {}
    for adcode, level, geometry in zip(
        frame["adcode"], frame["level"], frame.geometry, strict=True
    ):
        if geometry is None or level != "county":
            continue
        other = first.setdefault(geometry.wkb, adcode)
        if other != adcode:
            problems.append(
                Problem(spec.file_name, adcode, "name_zh", f"has the same boundary as {other!r}")
            )
    if problems:
        raise LayerValidationError(problems)
    return frame


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


def check_geometry(frame: gpd.GeoDataFrame, spec: LayerSpec) -> None:
    """Raise ``LayerValidationError`` naming every feature whose geometry is not valid."""
    present = frame.geometry.notna()
    invalid = frame[present & ~frame.geometry.is_valid]
    if not invalid.empty:
        id_field = spec.fields[0].name
        raise LayerValidationError(
            [
                Problem(spec.file_name, str(row[id_field]), "geometry", "geometry is not valid")
                for _, row in invalid.iterrows()
            ]
        )


#: A layer's builder: its records, its spec, the layers it depends on, the cache folder.
Builder = Callable[
    [list[Record], LayerSpec, dict[str, gpd.GeoDataFrame], Path | None], gpd.GeoDataFrame
]
BUILDERS: dict[str, Builder] = {
    "rail_stations": _stations,
    "rail_lines": _rail_lines,
    "rail_times": _rail_times,
    "logistics_hubs": _points,
    "airports": _points,
    "corridor_routes": _corridor_routes,
    "expressways": _expressways,
    "admin_areas": _admin_areas,
}
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "rail_lines": ("rail_stations",),
    "rail_times": ("rail_stations",),
    "corridor_routes": ("logistics_hubs",),
}
