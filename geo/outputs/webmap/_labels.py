"""Names on the map face, and one marker per physical station.

A label is data on its feature: where it stands (``_l``, lat/lon), its text (``_lt``), its rank
(``_r``, lower is placed first) and the zoom it appears from (``_z``). The page places labels by
rank and hides one that would overlap a label already placed (``chengyuLabels`` in
``controls.js``), so the first view shows line names, main stations, hubs and ports, and the
other stations appear from ``settings.web_all_stations_zoom``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo import settings
from geo._geodesy import GEOD
from geo.outputs._styles import CONTEXT_LINES
from geo.outputs._vocabulary import bilingual_label, display_text

#: Label ranks: the report's line names first, then main stations, hubs and ports, the region's
#: other lines (``CONTEXT_LINES``), then places.
RANK_LINE, RANK_MAIN, RANK_AIRPORT, RANK_PLACE, RANK_STATION = 1, 2, 3, 4, 5
RANK_CONTEXT_LINE = 3.5
#: The vector basemap's places (each from its own zoom): seats with the places, county names
#: after the stations, towns last.
RANK_SEAT, RANK_COUNTY, RANK_TOWN = 4.2, 5.5, 6
#: Hubs and ports: after the stations of four lines or more (成都东, 重庆北, …), before the other
#: main stations, which with the region's whole network would crowd them out.
RANK_HUB = 1.75
#: Statuses from the most to the least in service: a station shows its best one.
_STATUS_ORDER = ("operating", "under_construction", "planned", "reserved", "junction")


def merge_stations(
    stops: gpd.GeoDataFrame, *, line_names: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
    """One row per physical station (``station_id``) from the layer's one row per line stop.

    The station takes the best status of its stops, the earliest opening, its sources together,
    a ``lines`` text naming each line with its status and date, and ``_main``: a station on two
    lines or more, or at either end of a line.

    Parameters
    ----------
    stops
        ``rail_stations`` rows (one per line stop).
    line_names
        Line name per ``line_id`` (from ``rail_lines``); the id where missing.
    """
    if stops.empty or "station_id" not in stops:
        return stops
    names = line_names or {}
    last = stops.groupby("line_id")["seq"].transform("max")
    ends = set(stops.loc[(stops["seq"] == 1) | (stops["seq"] == last), "station_id"])
    # The records once, grouped in Python: a pandas group per station cost 2 s for 228.
    by_station: dict[Any, list[dict[Hashable, Any]]] = {}
    for record in stops.to_dict("records"):
        by_station.setdefault(record["station_id"], []).append(record)
    rows = []
    for station_id, records in by_station.items():
        statuses = [str(r.get("status")) for r in records]
        best = min(statuses, key=lambda s: _STATUS_ORDER.index(s) if s in _STATUS_ORDER else 9)
        lines = []
        for r in records:
            when = display_text(r.get("opened")) or display_text(r.get("opening"))
            line = names.get(str(r["line_id"]), str(r["line_id"]))
            lines.append(
                f"{line}: {bilingual_label(str(r.get('status')))}" + (f", {when}" if when else "")
            )
        opened = sorted(t for r in records if (t := display_text(r.get("opened"))))
        opening = sorted(t for r in records if (t := display_text(r.get("opening"))))
        first = records[0]
        rows.append(
            {
                **{key: first.get(key) for key in ("name_zh", "name_en", "geometry")},
                "id": station_id,
                "station_id": station_id,
                "status": best,
                "opened": opened[0] if opened else None,
                "opening": None if opened else (opening[0] if opening else None),
                "lines": "; ".join(lines),
                "precision_m": first.get("precision_m"),
                "position_basis": first.get("position_basis"),
                "source": "; ".join(dict.fromkeys(str(r.get("source")) for r in records)),
                "_main": len(records) > 1 or station_id in ends,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=stops.crs)


def line_names(lines: gpd.GeoDataFrame) -> dict[str, str]:
    """Each line's name (``line_id`` to "成达万高铁 Chengdu–Dazhou–Wanzhou HSR"), in data order."""
    names: dict[str, str] = {}
    for row in lines.to_dict("records"):
        text = " ".join(t for key in ("name_zh", "name_en") if (t := display_text(row.get(key))))
        names.setdefault(str(row.get("line_id")), text or str(row.get("line_id")))
    return names


def line_label_rows(frame: gpd.GeoDataFrame, key: str) -> set[int]:
    """Positions (0-based) of the rows that carry their line's name: the longest of each line.

    A line shorter than ``settings.web_min_labelled_line_km`` (a connector inside a hub) carries
    none: its name would cover the station it leads to; its popup names it.
    """
    if key not in frame or frame.empty:
        return set()
    metres = [GEOD.geometry_length(shape) if shape is not None else 0.0 for shape in frame.geometry]
    lengths = pd.Series(metres, index=range(len(frame)))
    groups = frame[key].astype(str).to_numpy()
    longest = {int(lengths[groups == group].idxmax()) for group in pd.unique(groups)}
    return {row for row in longest if lengths[row] >= settings.web_min_labelled_line_km * 1000}


def _is_place(row: Mapping[str, Any]) -> bool:
    """Return whether a row is a prefecture, or Chongqing (no prefecture above its districts)."""
    level = row.get("level")
    return level == "prefecture" or (level == "province" and row.get("name_zh") == "重庆市")


def label_properties(
    row: Mapping[str, Any], *, layer: str, labels: bool, carries_line_name: bool
) -> dict[str, Any]:
    """Return a feature's label as data (``_l``, ``_lt``, ``_r``, ``_z``), or ``{}``."""
    geometry = row["geometry"]
    text, rank, zoom = None, None, 0
    if layer == "rail_stations":
        text = display_text(row.get("name_zh"))
        main = bool(row.get("_main"))
        # Among main stations, those on more lines first.
        lines = str(row.get("lines") or "").count(";") + 1
        rank = RANK_MAIN - 0.1 * min(lines - 1, 5) if main else RANK_STATION
        zoom = 0 if main else settings.web_all_stations_zoom
    elif layer in ("logistics_hubs", "airports"):
        text = display_text(row.get("name_zh"))
        rank = RANK_HUB if layer == "logistics_hubs" else RANK_AIRPORT
    elif layer in ("rail_lines", "corridor_routes") and carries_line_name:
        key = "name_zh" if layer == "rail_lines" else "service_name_zh"
        text = display_text(row.get(key))
        rank = RANK_CONTEXT_LINE if row.get("line_id") in CONTEXT_LINES else RANK_LINE
        geometry = shapely.line_interpolate_point(geometry, 0.5, normalized=True)
    elif labels and layer == "admin_areas" and _is_place(row):
        text, rank = display_text(row.get("name_zh")), RANK_PLACE
        geometry = geometry.representative_point()
    if not text or geometry is None or geometry.is_empty:
        return {}
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    label = {"_l": [round(point.y, 4), round(point.x, 4)], "_lt": text, "_r": rank, "_z": zoom}
    # Stations and airports: the English name beside the Chinese where there is room.
    english = display_text(row.get("name_en")) if layer in ("rail_stations", "airports") else None
    return {**label, "_le": english} if english else label
