"""What a map group draws: filtered, generalised, styled features with their popups as data."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from geo import settings
from geo.outputs._styles import STYLES
from geo.outputs._vocabulary import display_text, popup_content
from geo.outputs.webmap._generalise import SIMPLIFY_DEGREES, generalise
from geo.outputs.webmap._labels import label_properties, line_label_rows, merge_stations
from geo.outputs.webmap._overlap import OVERLAP_LAYERS, split_overlaps
from geo.outputs.webmap._shared import SHARED_STRETCH_LAYERS, merge_shared_stretches
from geo.outputs.webmap._symbols import leaflet_style
from geo.outputs.webmap._thin import Thinning, thin_points, thin_shapes
from geo.sources._schema import ALL_SPECS
from geo.sources.mapdefs import MapLayer
from geo.utils import log


def group_features(frame: gpd.GeoDataFrame, entry: MapLayer) -> gpd.GeoDataFrame:
    """Return the features a map group draws: those matching its ``where``, with a geometry."""
    for name, values in entry.where.items():
        frame = frame[frame[name].astype(str).isin(values)]
    return frame[frame.geometry.notna()]


def _year(row: Mapping[str, Any]) -> int | None:
    """Return the year a feature is in service from: opened, else planned; 0 if always there."""
    for name in ("opened", "opening"):
        text = display_text(row.get(name))
        if text and text[:4].isdigit() and "start" not in text:
            return int(text[:4])
    return 0 if row.get("status", "operating") == "operating" else None


def display_features(
    frame: gpd.GeoDataFrame,
    entry: MapLayer,
    *,
    line_names: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """GeoJSON of one map group: filtered, generalised, styled, with popups and labels as data.

    Stations are drawn once per physical station (their lines and statuses in the popup). A
    point group of more than ``settings.web_max_points_per_group`` features is thinned to one
    point per grid cell (see :func:`geo.outputs.webmap._thin.thin_points`); a line or polygon group
    of more
    than ``settings.web_max_vertices_per_group`` vertices is simplified further (see
    :func:`geo.outputs.webmap._thin.thin_shapes`). The collection's ``thinned`` member then says
    how, for the
    legend; every feature kept keeps its popup.

    Parameters
    ----------
    frame
        The layer's GeoDataFrame (EPSG:4326).
    entry
        The group: which layer, which features, labels.
    line_names
        Line name per ``line_id``, for the stations' popups.
    """
    spec, style = ALL_SPECS[entry.layer], STYLES[entry.layer]
    selected, thinning = group_features(frame, entry), None
    if entry.layer == "rail_stations":
        selected = merge_stations(selected, line_names=line_names)
    if entry.layer in SHARED_STRETCH_LAYERS:
        selected = merge_shared_stretches(selected)
    # Areas that tile are generalised together so that they keep their shared edges: the
    # admin levels, and an overlap cut apart from the fills around it (per time).
    tiles = selected.get("level")
    if entry.layer in OVERLAP_LAYERS:
        selected = split_overlaps(selected, entry.layer)
        tiles = selected["scenario"].astype(str) + "|" + selected[style.attribute].astype(str)
    if spec.geometry == "point":
        selected, thinning = thin_points(selected, limit=settings.web_max_points_per_group)
    shapes = generalise(selected.geometry, spec.geometry, tiles, cache_dir=cache_dir)
    if spec.geometry != "point":
        kept, shapes, thinning = thin_shapes(
            shapes,
            geometry=spec.geometry,
            limit=settings.web_max_vertices_per_group,
            start_degrees=SIMPLIFY_DEGREES[spec.geometry],
        )
        if thinning is not None and thinning.shown < thinning.total:
            selected = selected.iloc[kept]
    if thinning is not None:
        log(f"map group {entry.label!r}: {_thinned_log(thinning)}", level=logging.WARNING)
    named = line_label_rows(selected, "line_id" if entry.layer == "rail_lines" else "service_id")
    features = []
    # Plain dicts: reading a field of a pandas row costs microseconds, of a dict nanoseconds.
    for number, (row, geometry) in enumerate(zip(selected.to_dict("records"), shapes, strict=True)):
        names = [
            text
            for key in ("name_zh", "name_en", "service_name_en")
            if (text := display_text(row.get(key)))
        ]
        # A rail line in its line's colour, a reach ring in its origin's (geo.outputs._styles);
        # a line drawn as straight station chords thinner.
        symbol = style.drawn_symbol(row)
        properties = {
            "_s": leaflet_style(symbol, spec.geometry),
            # A stretch two roads share (``_shared``) names both.
            "_p": popup
            if isinstance(popup := row.get("_popup"), dict)
            else popup_content(row, entry.layer),
            "_t": display_text(row.get("_tooltip")) or " ".join(names[:2]),
            "_y": _year(row),
            "_k": " / ".join(names[:2]) if entry.searchable else None,
            **label_properties(
                row, layer=entry.layer, labels=entry.labels, carries_line_name=number in named
            ),
        }
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geometry),
                "properties": properties,
            }
        )
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if thinning is not None:
        collection["thinned"] = asdict(thinning)
    return collection


def _thinned_log(thinning: Thinning) -> str:
    """Return the log's words for a thinned group: how much, by which rule."""
    if thinning.geometry == "point":
        return (
            f"{thinning.total:,} points, more than the web map's "
            f"{settings.web_max_points_per_group:,}: showing {thinning.shown:,}, one per "
            f"{thinning.cell_km:g} km cell"
        )
    left_out = thinning.total - thinning.shown
    return (
        f"{thinning.vertices:,} vertices, more than the web map's "
        f"{settings.web_max_vertices_per_group:,}: simplified at {thinning.tolerance_degrees:g}° "
        f"(about {thinning.tolerance_words[0]}), {thinning.vertices:,} → "
        f"{thinning.vertices_shown:,} vertices"
        + (
            f"; the {left_out:,} smallest of {thinning.total:,} {thinning.geometry}s left out"
            if left_out
            else f"; all {thinning.total:,} {thinning.geometry}s shown"
        )
    )
