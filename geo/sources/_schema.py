"""What each layer's source must hold: fields, their kinds and vocabularies.

The field names here are the public interface for GIS users; docs/layers.md documents them
(a test checks that it names every field and every value of a computed field's vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal["id", "text", "int", "float", "date", "date_or_year", "waypoints"]
GeometryKind = Literal["point", "line", "polygon"]

STATUSES = ("operating", "under_construction", "planned", "reserved")
#: A stop's status: a line's, or ``junction``, a 线路所 (lines meet and trains run on there; nobody
#: boards).
STATION_STATUSES = (*STATUSES, "junction")

#: The two networks every analysis compares, and the statuses each opens: the network today, and
#: once the lines under construction have opened (reserved and planned stations are in neither).
SCENARIOS: dict[str, tuple[str, ...]] = {
    "today": ("operating",),
    "after": ("operating", "under_construction"),
}

#: Classes of the share of a county's people within the widest radius after the lines open.
COVERED_CLASSES = ("none", "under_25pct", "25_50pct", "50_75pct", "75pct_plus")

#: Tracks a rail section may be drawn along (``geo.networks.osm_track.snap_sections``), the first
#: that
#: carries it winning: the OpenStreetMap graph cached by ``chengyu osm``, then scgraph_data's
#: railway graph (OpenStreetMap-derived, simplified), which carries operating sections only.
TRACK_SOURCES = ("osm", "osm_railway_graph")

#: How a rail section is drawn (``rail_lines.geometry_source``): every leg along a track, some
#: legs along it and the others straight, or straight from station to station.
RAIL_GEOMETRY_SOURCES: tuple[str, ...] = (
    *(name for track in TRACK_SOURCES for name in (track, f"{track}_partial")),
    "schematic_station_chain",
)

#: Columns of the length table, by province (the names of ``settings.provinces``).
PROVINCE_COLUMNS: dict[str, str] = {"四川省": "sichuan_km", "重庆市": "chongqing_km"}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a layer source.

    Attributes
    ----------
    name
        Lowercase column name.
    kind
        How the text is parsed and checked.
    required
        Whether every feature must fill it.
    vocabulary
        Allowed values, if the field is a code list.
    minimum, maximum
        Bounds of a numeric field.
    may_be_left_out
        Whether a file may lack the column (a field added after files were written, such as a
        planner's proposal): it then reads as empty.
    positive
        A number that must be above zero (a length: 0 km is no length).
    not_future
        A date that cannot be after today (the date a source said something).
    label
        A name shown as a label on the maps and in the tables: held to
        ``settings.max_name_chars``, not ``settings.max_text_chars``.
    """

    name: str
    kind: FieldKind = "text"
    required: bool = False
    vocabulary: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    may_be_left_out: bool = False
    positive: bool = False
    not_future: bool = False
    label: bool = False


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its source file, geometry and fields."""

    name: str
    title: str
    geometry: GeometryKind
    fields: tuple[FieldSpec, ...]
    #: Values of ``kind`` whose points may lie outside ``settings.region_bounds``.
    outside_region_kinds: tuple[str, ...] = ()
    sort_by: tuple[str, ...] = ("id",)
    source_file: str = field(default="")
    #: Fields the build adds to every feature (never read from the source file).
    computed: tuple[FieldSpec, ...] = ()
    #: ``(group, order)``: within each value of ``group`` the rows of the file must follow
    #: ``order`` (stops down a line), so that a swapped number is found, never sorted away.
    sequence: tuple[str, str] | None = None

    @property
    def file_name(self) -> str:
        """Name of the CSV in the layers folder."""
        return self.source_file or f"{self.name}.csv"

    @property
    def field_names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(spec.name for spec in self.fields)


_ID = FieldSpec("id", "id", required=True)
#: The date a feature's ``status`` is known for (the date of the source that says so).
_STATUS_AS_OF = FieldSpec("status_as_of", "date", required=True, not_future=True)
_SOURCE = FieldSpec("source", required=True)
#: How a point was placed: its own sourced position, or a stand-in (see docs/data.md).
POSITION_BASES = ("station", "airport", "port", "track", "town", "county")
_POSITION = (
    # WGS84 ranges are checked with the position, which can tell a swapped pair.
    FieldSpec("lon", "float", required=True),
    FieldSpec("lat", "float", required=True),
    FieldSpec("precision_m", "int", required=True, minimum=1, maximum=200_000),
    FieldSpec(
        "position_basis",
        required=True,
        vocabulary=POSITION_BASES,
    ),
)

RAIL_STATIONS = LayerSpec(
    name="rail_stations",
    title="Rail stations (one feature per line stop)",
    geometry="point",
    fields=(
        _ID,
        FieldSpec("station_id", "id", required=True),
        FieldSpec("line_id", "id", required=True),
        FieldSpec("seq", "int", required=True, minimum=1, maximum=200),
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("status", required=True, vocabulary=STATION_STATUSES),
        _STATUS_AS_OF,
        FieldSpec("opened", "date"),
        FieldSpec("opening", "date_or_year"),
        *_POSITION,
        _SOURCE,
    ),
    sort_by=("line_id", "seq"),
    sequence=("line_id", "seq"),
)

RAIL_LINES = LayerSpec(
    name="rail_lines",
    title=(
        "Rail lines by section (through their stations; operating sections along the "
        "OpenStreetMap-derived railway graph where it has the line)"
    ),
    geometry="line",
    fields=(
        _ID,
        FieldSpec("line_id", "id", required=True),
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("from_seq", "int", required=True, minimum=1, maximum=200),
        FieldSpec("to_seq", "int", required=True, minimum=1, maximum=200),
        FieldSpec("status", required=True, vocabulary=STATUSES),
        _STATUS_AS_OF,
        # Empty where no source gives it (a hub connector): trains then run it at
        # settings.rail_assumed_speed_kmh, an assumption said in the section's notes.
        FieldSpec("design_speed_kmh", "int", minimum=60, maximum=600),
        # Where a source gives it; travel times use it before the design speed.
        FieldSpec("operating_speed_kmh", "int", minimum=60, maximum=600),
        FieldSpec("length_official_km", "float", minimum=0, maximum=5000, positive=True),
        FieldSpec("line_length_official_km", "float", minimum=0, maximum=5000, positive=True),
        FieldSpec("started", "date"),
        FieldSpec("opened", "date"),
        FieldSpec("opening", "date_or_year"),
        # Lines the trains of this line run on over without a change, as ``LINE@STATION``
        # separated by ';' (``cqn@bishan``: at 璧山 trains run on to the connector to 重庆北),
        # both ways along LINE unless ``>NEXT`` names the stop of LINE just before or after
        # STATION that the trains run on to (``ly@nanchong_bei>wusheng``: 巴南 trains join 兰渝
        # southwards only, and only 兰渝 trains from the south run on onto 巴南).
        FieldSpec("through_running", may_be_left_out=True),
        FieldSpec("notes"),
        _SOURCE,
    ),
    computed=(
        FieldSpec("geometry_source", required=True, vocabulary=RAIL_GEOMETRY_SOURCES),
        # Share of the section's station-to-station legs drawn along the track.
        FieldSpec("osm_share", "float", required=True, minimum=0, maximum=1),
    ),
)

RAIL_TIMES = LayerSpec(
    name="rail_times",
    title=(
        "Published fastest rail journey times "
        "(drawn through the stops of the lines joining the two stations)"
    ),
    geometry="line",
    fields=(
        _ID,
        FieldSpec("from", "id", required=True),
        FieldSpec("to", "id", required=True),
        FieldSpec("minutes", "float", required=True, minimum=1, maximum=6000),
        FieldSpec("train"),
        # Intermediate stops of the train, as station ids separated by ';', or 'none' for a
        # non-stop run; empty when the report does not say.
        FieldSpec("stops"),
        # The speed trains ran the line at on that date, where it differs from rail_lines.
        FieldSpec("line_speed_kmh", "int", minimum=60, maximum=600),
        FieldSpec("date", "date", required=True),
        # ``fit``: the time model is fitted on it; ``check``: kept aside to test the model.
        FieldSpec("use", vocabulary=("fit", "check"), may_be_left_out=True),
        _SOURCE,
        FieldSpec("notes"),
    ),
)

LOGISTICS_HUBS = LayerSpec(
    name="logistics_hubs",
    title="Logistics hubs, rail ports, river and sea ports",
    geometry="point",
    fields=(
        _ID,
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec(
            "kind",
            required=True,
            vocabulary=("national_hub", "rail_port", "river_port", "sea_port"),
        ),
        FieldSpec("status", required=True, vocabulary=STATUSES),
        _STATUS_AS_OF,
        FieldSpec("hub_name_zh"),
        FieldSpec("hub_type", vocabulary=("production_service", "airport")),
        FieldSpec("hub_approved", "date_or_year"),
        FieldSpec("hub_area_mu", "float", minimum=0),
        FieldSpec("hub_projects_operating", "int", minimum=0),
        FieldSpec("hub_projects_under_construction", "int", minimum=0),
        FieldSpec("hub_area_km2", "float", minimum=0),
        FieldSpec("area_mu", "float", minimum=0),
        FieldSpec("area_km2", "float", minimum=0),
        FieldSpec("capacity_teu", "int", minimum=0),
        FieldSpec("opened", "date"),
        FieldSpec("facts"),
        *_POSITION,
        _SOURCE,
    ),
    outside_region_kinds=("sea_port",),
)

AIRPORTS = LayerSpec(
    name="airports",
    title="Airports",
    geometry="point",
    fields=(
        _ID,
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("iata"),
        FieldSpec("status", required=True, vocabulary=STATUSES),
        _STATUS_AS_OF,
        FieldSpec("opened", "date"),
        *_POSITION[:2],
        _POSITION[2],
        _POSITION[3],
        FieldSpec("facts"),
        _SOURCE,
    ),
)

CORRIDOR_ROUTES = LayerSpec(
    name="corridor_routes",
    title="Western Land–Sea New Corridor services, leg by leg",
    geometry="line",
    fields=(
        _ID,
        FieldSpec("service_id", "id", required=True),
        FieldSpec("service_kind", required=True, vocabulary=("reported", "comparison")),
        FieldSpec("service_name_zh", required=True),
        FieldSpec("service_name_en", required=True),
        FieldSpec("leg_seq", "int", required=True, minimum=1, maximum=20),
        FieldSpec("mode", required=True, vocabulary=("rail", "sea", "river", "road")),
        FieldSpec("origin", "id", required=True),
        FieldSpec("destination", "id", required=True),
        FieldSpec("departed", "date"),
        FieldSpec("waypoints", "waypoints"),
        FieldSpec("routing", required=True, vocabulary=("schematic", "searoute", "rail_network")),
        FieldSpec("length_official_km", "float", minimum=0, maximum=30000, positive=True),
        FieldSpec("length_reported_km", "float", minimum=0, maximum=30000, positive=True),
        FieldSpec("notes"),
        _SOURCE,
    ),
    sort_by=("service_id", "leg_seq"),
    sequence=("service_id", "leg_seq"),
)

EXPRESSWAYS = LayerSpec(
    name="expressways",
    title=(
        "Sichuan–Chongqing expressways (through the towns they link; along the OSM highway "
        "graph where it has the road)"
    ),
    geometry="line",
    fields=(
        _ID,
        FieldSpec("road_id", "id", required=True),
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("route_no"),
        FieldSpec("status", required=True, vocabulary=STATUSES),
        _STATUS_AS_OF,
        FieldSpec("started", "date_or_year"),
        FieldSpec("opened", "date_or_year"),
        FieldSpec("opening", "date_or_year"),
        FieldSpec("length_official_km", "float", minimum=0, maximum=5000, positive=True),
        FieldSpec("waypoints", "waypoints", required=True),
        FieldSpec("notes"),
        _SOURCE,
    ),
)

ADMIN_AREAS = LayerSpec(
    name="admin_areas",
    title="Provinces, prefectures and counties of Sichuan and Chongqing, 2020 census",
    geometry="polygon",
    fields=(
        FieldSpec("adcode", "id", required=True),
        FieldSpec("level", required=True, vocabulary=("province", "prefecture", "county", "zone")),
        FieldSpec("name_zh", label=True, required=True),
        # Pinyin of the proper name and the generic in English (scripts/romanise_admin_areas.py).
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("province_zh", required=True),
        FieldSpec("prefecture_zh"),
        FieldSpec("parent_adcode"),
        FieldSpec("population_2020", "int", required=True, minimum=0),
        FieldSpec("urban_2020", "int", required=True, minimum=0),
        FieldSpec("rural_2020", "int", required=True, minimum=0),
        FieldSpec("core_urban_2020", "int", minimum=0),
        FieldSpec("notes"),
        # How name_en was obtained (pypinyin or an exception, and why) and what GeoNames says.
        FieldSpec("name_en_source", required=True),
        _SOURCE,
    ),
    sort_by=("adcode",),
)

#: Every layer, in the order they are built (a layer may use those before it).
LAYERS: tuple[LayerSpec, ...] = (
    RAIL_STATIONS,
    RAIL_LINES,
    RAIL_TIMES,
    LOGISTICS_HUBS,
    AIRPORTS,
    CORRIDOR_ROUTES,
    EXPRESSWAYS,
    ADMIN_AREAS,
)
LAYER_SPECS: dict[str, LayerSpec] = {spec.name: spec for spec in LAYERS}
#: Names of the source layers, in build order.
LAYER_NAMES: tuple[str, ...] = tuple(spec.name for spec in LAYERS)

#: What names a county in the per-county layers: its code, and its own, its prefecture's and its
#: province's names in Chinese and English, as in ``admin_areas``.
_COUNTY_NAMES = (
    FieldSpec("adcode", "id", required=True),
    FieldSpec("name_zh", label=True, required=True),
    FieldSpec("name_en", label=True, required=True),
    FieldSpec("prefecture_zh"),
    FieldSpec("prefecture_en"),
    FieldSpec("province_zh", required=True),
    FieldSpec("province_en", required=True),
)
COUNTY_NAME_FIELDS: tuple[str, ...] = tuple(spec.name for spec in _COUNTY_NAMES)

#: Layers computed from the others; documented like the sources, never read from ``layers/``.
ROUTE_LENGTHS = LayerSpec(
    name="route_lengths",
    title="Geodesic lengths of every rail section, corridor leg and expressway, by province",
    geometry="line",
    fields=(
        FieldSpec("layer", required=True),
        FieldSpec("feature_id", "id", required=True),
        FieldSpec("group_id", "id", required=True),
        FieldSpec("name_zh", label=True),
        FieldSpec("name_en", label=True),
        FieldSpec("mode", required=True, vocabulary=("rail", "sea", "river", "road")),
        FieldSpec("status", required=True),
        FieldSpec("province", required=True),
        FieldSpec("length_km", "float", required=True),
        FieldSpec("geometry_source", required=True),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
    sort_by=("layer", "feature_id", "province"),
)
STATION_COVERAGE = LayerSpec(
    name="station_coverage",
    title="Counties: share of area and people within reach of a station, today and after",
    geometry="polygon",
    fields=(
        *_COUNTY_NAMES,
        FieldSpec("population_2020", "int", required=True),
        FieldSpec(
            "covered_class",
            required=True,
            vocabulary=COVERED_CLASSES,
        ),
        FieldSpec("method", required=True),
        FieldSpec("population_method", required=True),
        FieldSpec("source", required=True),
    ),
    sort_by=("adcode",),
)
STATION_CATCHMENTS = LayerSpec(
    name="station_catchments",
    title="Dissolved station catchments of all lines, per scenario and radius",
    geometry="polygon",
    fields=(
        FieldSpec("id", "id", required=True),
        FieldSpec("line_id", required=True),
        FieldSpec("scenario", required=True, vocabulary=("today", "after")),
        FieldSpec("radius_km", "float", required=True),
        FieldSpec("ring", required=True),
        FieldSpec("stations", "int", required=True),
        FieldSpec("area_km2", "float", required=True),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
)
RAIL_REACH = LayerSpec(
    name="rail_reach",
    title="Areas reachable by rail and onward within 1 and 2 hours of Chengdu and Chongqing",
    geometry="polygon",
    fields=(
        FieldSpec("id", "id", required=True),
        FieldSpec("origin", required=True),
        FieldSpec("scenario", required=True, vocabulary=("today", "after")),
        FieldSpec("minutes", "float", required=True),
        FieldSpec("ring", required=True),
        FieldSpec("stations", "int", required=True),
        FieldSpec("area_km2", "float", required=True),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
)
STATION_ACCESS = LayerSpec(
    name="station_access",
    title="Areas within 30 and 60 minutes' drive of a station, today and after",
    geometry="polygon",
    fields=(
        FieldSpec("id", "id", required=True),
        FieldSpec("scenario", required=True, vocabulary=("today", "after")),
        FieldSpec("minutes", "float", required=True),
        FieldSpec("ring", required=True),
        FieldSpec("stations", "int", required=True),
        FieldSpec("off_road", "int", required=True),
        FieldSpec("area_km2", "float", required=True),
        FieldSpec("people", "int", required=True),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
)
STATIONS = LayerSpec(
    name="stations",
    title="Stations (one point per physical station, with the lines that call there)",
    geometry="point",
    fields=(
        FieldSpec("station_id", "id", required=True),
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("lines", required=True),
        FieldSpec("lines_zh", required=True),
        FieldSpec("n_lines", "int", required=True, minimum=1),
        FieldSpec("status", required=True, vocabulary=STATION_STATUSES),
        FieldSpec("opened", "date"),
        FieldSpec("precision_m", "int", required=True),
        FieldSpec("position_basis", required=True, vocabulary=POSITION_BASES),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
    sort_by=("station_id",),
)
DERIVED_LAYERS: tuple[LayerSpec, ...] = (
    STATIONS,
    ROUTE_LENGTHS,
    STATION_COVERAGE,
    STATION_CATCHMENTS,
    RAIL_REACH,
    STATION_ACCESS,
)
#: Layers of a planner's proposal compared with its base (``chengyu scenario``): written to
#: ``out/scenarios/<name>/``, never into the build's GeoPackage.
SCENARIO_NETWORK = LayerSpec(
    name="scenario_network",
    title="A proposal's lines (highlighted) and the base network they add to (grey)",
    geometry="line",
    fields=(
        FieldSpec("id", "id", required=True),
        FieldSpec("layer", required=True),
        FieldSpec("group_id", "id", required=True),
        FieldSpec("name_zh", label=True),
        FieldSpec("name_en", label=True),
        FieldSpec("role", required=True, vocabulary=("base", "proposal")),
        FieldSpec("status", required=True, vocabulary=STATUSES),
        FieldSpec("source", required=True),
    ),
)
SCENARIO_STATIONS = LayerSpec(
    name="scenario_stations",
    title="Stations of a scenario: the base's, those a proposal reuses, and those it adds",
    geometry="point",
    fields=(
        FieldSpec("station_id", "id", required=True),
        FieldSpec("name_zh", label=True, required=True),
        FieldSpec("name_en", label=True, required=True),
        FieldSpec("role", required=True, vocabulary=("base", "reused", "proposal")),
        FieldSpec("lines", required=True),
        FieldSpec("line_ids", required=True),
        FieldSpec("precision_m", "int", required=True),
        FieldSpec("source", required=True),
    ),
    sort_by=("station_id",),
)
SCENARIO_CATCHMENTS = LayerSpec(
    name="scenario_catchments",
    title="Station catchments of the base, and the area a proposal adds, per radius",
    geometry="polygon",
    fields=(
        FieldSpec("id", "id", required=True),
        FieldSpec("proposal", "id", required=True),
        FieldSpec("part", required=True, vocabulary=("base", "gained")),
        FieldSpec("radius_km", "float", required=True),
        FieldSpec("ring", required=True),
        FieldSpec("area_km2", "float", required=True),
        FieldSpec("people", "int", required=True),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
)
SCENARIO_COUNTIES = LayerSpec(
    name="scenario_counties",
    title="Counties whose people within reach of a station a proposal changes",
    geometry="polygon",
    fields=(
        *_COUNTY_NAMES,
        FieldSpec("population_2020", "int", required=True),
        FieldSpec("change", required=True, vocabulary=("newly_served", "more_covered")),
        FieldSpec("method", required=True),
        FieldSpec("source", required=True),
    ),
    sort_by=("adcode",),
)
SCENARIO_LAYERS: tuple[LayerSpec, ...] = (
    SCENARIO_NETWORK,
    SCENARIO_STATIONS,
    SCENARIO_CATCHMENTS,
    SCENARIO_COUNTIES,
)
#: Every layer the build writes: the sources and the derived ones.
BUILD_SPECS: dict[str, LayerSpec] = {spec.name: spec for spec in (*LAYERS, *DERIVED_LAYERS)}
#: Every layer an output may hold: the build's and a scenario's.
ALL_SPECS: dict[str, LayerSpec] = {**BUILD_SPECS, **{spec.name: spec for spec in SCENARIO_LAYERS}}
