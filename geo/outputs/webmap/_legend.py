"""Leaflet styles from the shared symbols (``geo.outputs._styles``), and the legend from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import geopandas as gpd

from geo.outputs._styles import (
    CONTEXT_LEGEND,
    CONTEXT_LINES,
    LINE_PARTS,
    REACH_BOTH,
    SCHEMATIC_SOURCES,
    STYLES,
    Symbol,
)
from geo.outputs._vocabulary import SHARE_CLASSES, bilingual_label, share_range_label
from geo.outputs.webmap._features import group_features
from geo.outputs.webmap._labels import line_names
from geo.outputs.webmap._overlap import OVERLAP_LAYERS, overlap_label, split_overlaps
from geo.outputs.webmap._symbols import leaflet_style
from geo.outputs.webmap._thin import Thinning
from geo.sources._schema import ALL_SPECS
from geo.sources.mapdefs import MapDefinition, MapLayer


def legend_element(
    definition: MapDefinition, layers: Mapping[str, gpd.GeoDataFrame]
) -> list[dict[str, Any]]:
    """Return the legend as data: per group its label and, per category, a swatch and a text.

    Categories drawn alike (coverage classes merged for the map) share one entry; areas
    coloured by origin (reach) have one entry per origin and category; lines drawn as straight
    chords between stations have an entry saying so.
    """
    parts = []
    english = _english_names(layers)
    for entry in definition.layers:
        style = STYLES[entry.layer]
        geometry = ALL_SPECS[entry.layer].geometry
        frame = group_features(layers[entry.layer], entry)
        if entry.layer in OVERLAP_LAYERS:  # as the map draws it: the overlap an area of its own
            frame = split_overlaps(frame, entry.layer)
        values = set(frame[style.attribute].dropna().astype(str).unique())
        present = [value for value in style.categories if value in values]
        if geometry == "polygon" and style.color_by and style.color_by in frame:
            items = _origin_items(entry.layer, frame, present, english)
        else:
            items = _colour_items(entry.layer, frame, geometry)
            items += _category_items(entry.layer, present, geometry, coloured=bool(items))
        if "geometry_source" in frame and frame["geometry_source"].isin(SCHEMATIC_SOURCES).any():
            chord = style.drawn_symbol({"geometry_source": SCHEMATIC_SOURCES[0]})
            swatch = _swatch(replace(chord, color=_NEUTRAL), geometry)
            items.append({"swatch": swatch, "text": SCHEMATIC_LEGEND})
        parts.append({"label": entry.label, "items": items})
    return parts


#: The legend entry of lines drawn as straight chords between stations (thinner).
SCHEMATIC_LEGEND = "站间直线示意 drawn straight between stations"


def _category_items(
    layer: str, present: list[str], geometry: str, *, coloured: bool
) -> list[dict[str, Any]]:
    """One item per symbol of the categories present: a run drawn alike shares one item."""
    style = STYLES[layer]
    runs: list[list[str]] = []
    for value in present:
        if runs and style.categories[runs[-1][-1]] == style.categories[value]:
            runs[-1].append(value)
        else:
            runs.append([value])
    items = []
    for run in runs:
        symbol = style.categories[run[0]]
        if coloured:  # colours name the lines above: the dash alone in grey here
            symbol = replace(symbol, color=_NEUTRAL, fill=_NEUTRAL if symbol.fill else None)
        text = (
            share_range_label(run)
            if len(run) > 1 and all(value in SHARE_CLASSES for value in run)
            else " / ".join(bilingual_label(value) for value in run)
        )
        items.append({"swatch": _swatch(symbol, geometry), "text": text})
    return items


def _english_names(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    """Stations' English names by Chinese name (reach origins are named in Chinese)."""
    stations = layers.get("rail_stations")
    if stations is None or "name_en" not in stations:
        return {}
    pairs = stations[["name_zh", "name_en"]].dropna().drop_duplicates("name_zh")
    return dict(zip(pairs["name_zh"].astype(str), pairs["name_en"].astype(str), strict=True))


def _origin_items(
    layer: str, frame: gpd.GeoDataFrame, present: list[str], english: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One item per origin and category it has, each in its own swatch (成都东 · 60 min).

    The area reached from both origins (``REACH_BOTH``, one hour only) says so in words.
    """
    style = STYLES[layer]
    assert style.color_by is not None
    origins = set(frame[style.color_by].dropna().astype(str))
    items = []
    for origin in (key for key in style.colors if key in origins):
        name = " ".join(t for t in (origin, english.get(origin)) if t)
        drawn = frame.loc[frame[style.color_by].astype(str) == origin, style.attribute]
        for value in (value for value in present if value in set(drawn.astype(str))):
            symbol = style.symbol({style.color_by: origin, style.attribute: value})
            text = (
                overlap_label(value)
                if origin == REACH_BOTH
                else f"{name} · {bilingual_label(value)}"
            )
            items.append({"swatch": _swatch(symbol, "polygon"), "text": text})
    return items


_NEUTRAL = (110, 110, 110)


def _colour_items(layer: str, frame: gpd.GeoDataFrame, geometry: str) -> list[dict[str, Any]]:
    """Legend items naming each line (or reach origin) in its colour; none for other layers.

    A line drawn in the colour of the project it belongs to (``LINE_PARTS``) is named with it;
    the region's other lines (``CONTEXT_LINES``), drawn in one colour, share one item.
    """
    style = STYLES[layer]
    if not style.color_by or style.color_by not in frame:
        return []
    values = set(frame[style.color_by].dropna().astype(str))
    names = line_names(frame) if style.color_by == "line_id" else {v: v for v in values}
    shown = [
        key
        for key in style.colors
        if key in values and not (key in LINE_PARTS and LINE_PARTS[key] in values)
    ]
    base = style.default if geometry != "polygon" else next(iter(style.categories.values()))
    # The region's other lines share one colour: one entry names them together.
    others = [key for key in shown if key in CONTEXT_LINES]
    shown = [key for key in shown if key not in CONTEXT_LINES] + others[:1]
    names = {**names, **dict.fromkeys(others[:1], CONTEXT_LEGEND)}
    return [
        {
            "swatch": _swatch(
                replace(
                    base,
                    color=style.colors[key],
                    dash="solid",
                    fill=style.colors[key] if base.fill else None,
                ),
                geometry,
            ),
            "text": names.get(key, key),
        }
        for key in shown
    ]


def _swatch(symbol: Symbol, geometry: str) -> dict[str, Any]:
    """Return a legend swatch: the SVG shape (24 × 14 px) and its attributes, drawn by the page."""
    style = leaflet_style(symbol, geometry)
    dash = {"stroke-dasharray": style["dashArray"]} if style.get("dashArray") else {}
    if geometry == "polygon":
        # An outline alone (a ring) is drawn as one: unfilled, in its width and dash.
        attrs = {"x": 2, "y": 2, "width": 20, "height": 10, "stroke": style["color"]}
        if symbol.fill:
            fill = {"fill": style["fillColor"], "fill-opacity": style["fillOpacity"]}
            return {"tag": "rect", "attrs": {**attrs, **fill, "stroke-width": 1}}
        width = {"stroke-width": min(style["weight"], 3), "fill": "none"}
        return {"tag": "rect", "attrs": {**attrs, **width, **dash}}
    if geometry == "point":
        attrs = {"cx": 12, "cy": 7, "r": 5, "stroke": style["color"], "stroke-width": 1.5}
        fill = {"fill": style["fillColor"], "fill-opacity": style["fillOpacity"]}
        return {"tag": "circle", "attrs": {**attrs, **fill, **dash}}
    attrs = {"x1": 1, "y1": 7, "x2": 23, "y2": 7, "stroke": style["color"]}
    return {"tag": "line", "attrs": {**attrs, "stroke-width": min(style["weight"], 4), **dash}}


def thinned_note(entry: MapLayer, thinning: Thinning) -> str:
    """Return the legend's line for a thinned group: what is shown and by which rule."""
    shown, total = thinning.shown, thinning.total
    if thinning.geometry == "point":
        cell = f"{thinning.cell_km:g}"
        return (
            f"{entry.label}：显示 {shown:,} / {total:,} 个点，每 {cell} 公里格网一个 · "
            f"showing {shown:,} of {total:,} points, one per {cell} km grid cell "
            "(all in the GeoPackage)"
        )
    zh_unit, en_unit = ("个面", "polygons") if thinning.geometry == "polygon" else ("条线", "lines")
    en, zh = thinning.tolerance_words
    before, after = f"{thinning.vertices:,}", f"{thinning.vertices_shown:,}"
    rule_zh = f"简化显示（容差约 {zh}），顶点 {before} → {after}"
    rule_en = (
        f"simplified to about {en} ({thinning.tolerance_degrees:g}°): {before} → {after} vertices"
    )
    if shown < total:
        return (
            f"{entry.label}：显示 {shown:,} / {total:,} {zh_unit}（最小的未显示），{rule_zh} · "
            f"showing {shown:,} of {total:,} {en_unit} (the smallest left out), {rule_en} "
            "(all in the GeoPackage, at full detail)"
        )
    return (
        f"{entry.label}：全部 {total:,} {zh_unit}，{rule_zh} · "
        f"all {total:,} {en_unit} {rule_en} (full detail in the GeoPackage)"
    )
