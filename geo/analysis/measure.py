"""Geodesic lengths of lines, legs and services, by province, status and mode.

Every length is measured on the WGS84 ellipsoid (pyproj ``Geod``), never in degrees or in a
projected CRS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo._geodesy import GEOD, geodesic_km, length_km
from geo.sources._schema import PROVINCE_COLUMNS
from geo.utils import log

__all__ = [
    "GEOD",
    "LEVELS",
    "PROVINCE_COLUMNS",
    "Level",
    "geodesic_km",
    "length_km",
    "length_table",
    "route_lengths",
]
METHOD = "geodesic length on the WGS84 ellipsoid (pyproj Geod)"
OTHER = "other"


def _province_pieces(
    geometry: BaseGeometry, provinces: gpd.GeoDataFrame, both: BaseGeometry
) -> list[tuple[str, BaseGeometry]]:
    pieces = []
    for name, shape in zip(provinces["name_zh"], provinces.geometry, strict=True):
        inside = geometry.intersection(shape)
        if not inside.is_empty:
            pieces.append((name, inside))
    outside = geometry.difference(both)
    if not outside.is_empty:
        pieces.append((OTHER, outside))
    return pieces


def route_lengths(layers: Mapping[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Return the ``route_lengths`` layer: every line, leg and expressway cut by province.

    Parameters
    ----------
    layers
        Built layers; uses ``rail_lines``, ``corridor_routes``, ``expressways`` and the
        provinces of ``admin_areas``.

    Returns
    -------
    GeoDataFrame
        One feature per (source feature, province), with ``length_km`` and how it was measured.
    """
    areas = layers["admin_areas"]
    provinces = areas[areas["level"] == "province"][["name_zh", "geometry"]]
    both = provinces.union_all()
    rows = []
    sources = (
        ("rail_lines", "line_id", lambda row: "rail"),
        ("corridor_routes", "service_id", lambda row: row["mode"]),
        ("expressways", "id", lambda row: "road"),
    )
    for layer, group_field, mode_of in sources:
        for _, row in layers[layer].iterrows():
            for province, piece in _province_pieces(row.geometry, provinces, both):
                rows.append(
                    {
                        "layer": layer,
                        "feature_id": row["id"],
                        "group_id": row[group_field],
                        "name_zh": row.get("name_zh", row.get("service_name_zh")),
                        "name_en": row.get("name_en", row.get("service_name_en")),
                        "mode": mode_of(row),
                        "status": row.get("status", "operating"),
                        "province": province,
                        "length_km": round(length_km(piece), 3),
                        "geometry_source": row["geometry_source"],
                        "method": METHOD,
                        "source": row["source"],
                        "geometry": piece,
                    }
                )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.storage_crs)
    log(f"route lengths: {len(frame)} pieces, {frame['length_km'].sum():.0f} km in all")
    return frame


_COLUMNS = [
    "level", "id", "name_zh", "name_en", "mode", "status", *PROVINCE_COLUMNS.values(),
    "other_km", "total_km", "official_km", "diff_km", "diff_pct", "geometry_source", "remark",
]  # fmt: skip


@dataclass(frozen=True)
class Level:
    """One level of the length table: how its rows are made, and the title they are shown under.

    Attributes
    ----------
    title
        The title of the level's table (``chengyu lengths``).
    rows
        Makes the level's rows from the built layers and the ``route_lengths`` pieces.
    under
        A level whose row of the same ``id`` each row follows (a line's statuses under the
        line), or ``None``: the rows then come after the previous level's.
    """

    title: str
    rows: Callable[[Mapping[str, gpd.GeoDataFrame], gpd.GeoDataFrame], list[dict[str, object]]]
    under: str | None = None


def length_table(layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame) -> pd.DataFrame:
    """Lengths per section, line, line status, leg, service mode, service and expressway.

    One block of rows per level of ``LEVELS``, in its order. Each row splits its length by
    province and, where an official length is known, compares: ``diff_km`` and ``diff_pct``
    are measured minus official. A schematic geometry (a station chain, straight segments
    between towns or ports) is shorter than the track, road or channel, and the ``remark``
    says so.

    Parameters
    ----------
    layers
        Built layers (``rail_stations``, ``rail_lines``, ``corridor_routes``, ``expressways``).
    pieces
        The ``route_lengths`` layer.
    """
    rows: list[dict[str, object]] = []
    for level in LEVELS.values():
        made = level.rows(layers, pieces)
        if level.under is None:
            rows += made
            continue
        below: dict[object, list[dict[str, object]]] = {}
        for row in made:
            below.setdefault(row["id"], []).append(row)
        placed: list[dict[str, object]] = []
        for row in rows:
            placed.append(row)
            if row["level"] == level.under:
                placed += below.pop(row["id"], [])
        rows = placed + [row for left in below.values() for row in left]
    return pd.DataFrame(rows, columns=_COLUMNS)


def _section_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per rail section, with its official length and how it is drawn."""
    by_feature = _by_province(pieces, ["layer", "feature_id"])
    rail = layers["rail_lines"].set_index("id")
    stations = layers["rail_stations"]
    rows = []
    for section_id, section in rail.iterrows():
        on_section = stations[
            (stations["line_id"] == section["line_id"])
            & stations["seq"].between(section["from_seq"], section["to_seq"])
        ]
        precision_km = float(on_section["precision_m"].median()) / 1000
        row = _row(
            "section",
            section_id,
            (section["name_zh"], section["name_en"]),
            "rail",
            section["status"],
            by_feature.loc[("rail_lines", section_id)],
            section["length_official_km"],
            section["geometry_source"],
        )
        share = float(section.get("osm_share", 0.0) or 0.0)
        track = _TRACKS.get(str(section["geometry_source"]).removesuffix("_partial"))
        if track is not None and share >= 1.0:
            row["remark"] = f"along {track} between every pair of stations"
        else:
            row["remark"] = (
                f"station chain through station points of median precision ±{precision_km:.2g} km: "
                "a chain through exact stations is shorter than the track, imprecise points zigzag "
                "and can make it longer"
            ) + (f"; {share:.0%} of its legs along {track}" if track and share else "")
        rows.append(row)
    return rows


def _line_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per rail line: its sections summed, official where every section has one."""
    rail = layers["rail_lines"].set_index("id")
    rail_pieces = pieces[pieces["layer"] == "rail_lines"]
    rows = []
    for line_id, sections in rail.groupby("line_id"):
        officials = sections["length_official_km"]
        official = officials.sum() if officials.notna().all() else None
        split = _by_province(rail_pieces[rail_pieces["group_id"] == line_id], ["group_id"]).iloc[0]
        rows.append(
            _row(
                "line",
                line_id,
                (sections["name_zh"].iloc[0], sections["name_en"].iloc[0]),
                "rail",
                "/".join(sorted(set(sections["status"]))),
                split,
                official,
                _sources(sections),
            )
        )
    return rows


def _line_status_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per rail line and status of its sections."""
    rail = layers["rail_lines"].set_index("id")
    rail_pieces = pieces[pieces["layer"] == "rail_lines"]
    rows = []
    for line_id, sections in rail.groupby("line_id"):
        for status, by_status in sections.groupby("status"):
            mask = rail_pieces["feature_id"].isin(by_status.index)
            split = _by_province(rail_pieces[mask], ["group_id"]).iloc[0]
            rows.append(
                _row(
                    "line_status",
                    line_id,
                    (sections["name_zh"].iloc[0], sections["name_en"].iloc[0]),
                    "rail",
                    status,
                    split,
                    None,
                    "",
                )
            )
    return rows


def _leg_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per corridor leg, with its straight spurs to the network."""
    by_feature = _by_province(pieces, ["layer", "feature_id"])
    rows = []
    for leg_id, leg in layers["corridor_routes"].set_index("id").iterrows():
        row = _row(
            "leg",
            leg_id,
            (leg["service_name_zh"], leg["service_name_en"]),
            leg["mode"],
            leg["service_kind"],
            by_feature.loc[("corridor_routes", leg_id)],
            leg["length_official_km"],
            leg["geometry_source"],
        )
        remarks = [str(row["remark"])] if row["remark"] else []
        if leg["off_network_km"]:
            remarks.append(
                f"{leg['off_network_km']:.0f} km of straight spurs join the ends to the network"
            )
        reported = leg.get("length_reported_km")
        if reported is not None and not pd.isna(reported):
            change = 100 * (cast(float, row["total_km"]) - float(reported)) / float(reported)
            remarks.append(f"reported about {float(reported):,.0f} km: measured {change:+.0f} %")
        row["remark"] = "; ".join(remarks)
        rows.append(row)
    return rows


def _service_mode_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per corridor service and mode: its legs of that mode summed."""
    routes = layers["corridor_routes"].set_index("id")
    route_pieces = pieces[pieces["layer"] == "corridor_routes"]
    rows = []
    for (service_id, mode), legs in routes.groupby(["service_id", "mode"]):
        mask = route_pieces["feature_id"].isin(legs.index)
        split = _by_province(route_pieces[mask], ["group_id"]).iloc[0]
        rows.append(
            _row(
                "service_mode",
                service_id,
                (legs["service_name_zh"].iloc[0], legs["service_name_en"].iloc[0]),
                mode,
                legs["service_kind"].iloc[0],
                split,
                None,
                _sources(legs),
            )
        )
    return rows


def _service_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per corridor service: all its legs, its modes in leg order."""
    routes = layers["corridor_routes"].set_index("id")
    route_pieces = pieces[pieces["layer"] == "corridor_routes"]
    rows = []
    for service_id, legs in routes.groupby("service_id"):
        split = _by_province(
            route_pieces[route_pieces["group_id"] == service_id], ["group_id"]
        ).iloc[0]
        rows.append(
            _row(
                "service",
                service_id,
                (legs["service_name_zh"].iloc[0], legs["service_name_en"].iloc[0]),
                "+".join(legs.sort_values("leg_seq")["mode"]),
                legs["service_kind"].iloc[0],
                split,
                None,
                _sources(legs),
            )
        )
    return rows


def _expressway_rows(
    layers: Mapping[str, gpd.GeoDataFrame], pieces: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """Return a row per expressway, with its official length."""
    by_feature = _by_province(pieces, ["layer", "feature_id"])
    return [
        _row(
            "expressway",
            road_id,
            (road["name_zh"], road["name_en"]),
            "road",
            road["status"],
            by_feature.loc[("expressways", road_id)],
            road["length_official_km"],
            road["geometry_source"],
        )
        for road_id, road in layers["expressways"].set_index("id").iterrows()
    ]


#: The levels of the length table, in its order: name (the ``level`` column) to ``Level``.
LEVELS: dict[str, Level] = {
    "section": Level("Rail sections: measured vs official length", _section_rows),
    "line": Level("Rail lines: measured vs official length", _line_rows),
    "line_status": Level("Rail lines by status", _line_status_rows, under="line"),
    "leg": Level("Land–Sea Corridor legs (and comparison routes)", _leg_rows),
    "service_mode": Level("Services by mode", _service_mode_rows),
    "service": Level(
        "Services in total: Land–Sea Corridor vs the Yangtze via Shanghai", _service_rows
    ),
    "expressway": Level("Expressways", _expressway_rows),
}


def _sources(legs: pd.DataFrame) -> str:
    return "/".join(sorted(set(legs["geometry_source"])))


def _by_province(pieces: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    # A group-by, not pivot_table: the same sums (frame-equal, exactly) in a third of the time,
    # and the length table asks for about 90 of them.
    by_key = pieces.groupby([*keys, "province"])["length_km"].sum()
    table = by_key.unstack("province", fill_value=0)  # 0 km; the columns stay float
    for province in [*PROVINCE_COLUMNS, OTHER]:
        if province not in table:
            table[province] = 0.0
    return table


#: Tracks a rail section may be drawn along, by ``geometry_source``.
_TRACKS = {
    "osm": "the OpenStreetMap track",
    "osm_railway_graph": (
        "scgraph_data's railway graph (OpenStreetMap-derived, simplified: its straight edges "
        "cut the track's curves)"
    ),
}

_SCHEMATIC_REMARK = {
    "schematic_station_chain": "station chain: not the track length",
    "schematic_waypoints": "straight between named places: not the length of the real route",
    "osm_highway_graph": (
        "shortest path on the OpenStreetMap highway graph from town centre to town centre: it "
        "follows the roads the (simplified, undated) graph has, which may be an older parallel road"
    ),
    "osm_highway_graph_partial": "some legs straight where the graph has no road",
}


def _row(
    level: str,
    row_id: str,
    names: tuple[str, str],
    mode: str,
    status: str,
    split: pd.Series,
    official: float | None,
    geometry_source: str,
) -> dict[str, object]:
    by_province = {
        column: round(float(split[name_zh]), 1) for name_zh, column in PROVINCE_COLUMNS.items()
    }
    other = round(float(split[OTHER]), 1)
    total = round(sum(by_province.values()) + other, 1)
    # A missing official length arrives as None or NaN.
    known = None if official is None or pd.isna(official) else float(official)
    diff = round(total - known, 1) if known is not None else None
    remarks = [text for key, text in _SCHEMATIC_REMARK.items() if key in geometry_source]
    return {
        "level": level,
        "id": row_id,
        "name_zh": names[0],
        "name_en": names[1],
        "mode": mode,
        "status": status,
        **by_province,
        "other_km": other,
        "total_km": total,
        "official_km": known,
        "diff_km": diff,
        "diff_pct": round(100 * diff / known, 1) if diff is not None and known else None,
        "geometry_source": geometry_source,
        "remark": "; ".join(remarks),
    }
