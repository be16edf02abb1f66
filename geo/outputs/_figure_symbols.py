"""Symbols of the static figures: map groups drawn in their styles, and the legend rows.

The colours, widths, dashes and markers come from ``geo.outputs._styles``, the same as the web
maps';
this module turns them into matplotlib artists (``geo.outputs.figure`` lays them out on the page).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
from matplotlib import patheffects as effects
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Patch
from matplotlib.transforms import IdentityTransform

from geo.outputs._styles import CONTEXT_LEGEND, CONTEXT_LINES, REACH_BOTH, STYLES, Symbol
from geo.outputs.webmap import bilingual_label, overlap_label
from geo.sources._schema import ALL_SPECS
from geo.sources.mapdefs import MapLayer

PT_PER_MM = 72 / 25.4
_DASHES: dict[str, Any] = {"solid": "-", "dash": (0, (3.0, 2.0)), "dot": (0, (1.0, 1.6))}
_MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*"}
_STATUS_RANK = {
    "operating": 0, "under_construction": 1, "planned": 2, "reserved": 3, "junction": 4
}  # fmt: skip
HALO = [effects.withStroke(linewidth=2.2, foreground="white")]


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    return (color[0] / 255, color[1] / 255, color[2] / 255)


def station_points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per physical station: its best status, its lines, and whether it ends one."""
    frame = frame.copy()
    last = frame.groupby("line_id")["seq"].transform("max")
    frame["line_end"] = (frame["seq"] == 1) | (frame["seq"] == last)
    frame["status_rank"] = frame["status"].map(_STATUS_RANK).fillna(9)
    grouped = frame.sort_values("status_rank").groupby("station_id", sort=False)
    points = grouped.first()
    points["n_lines"] = grouped["line_id"].nunique()
    points["line_end"] = grouped["line_end"].any()
    return gpd.GeoDataFrame(points.reset_index(), geometry="geometry", crs=frame.crs)


def draw_group(
    ax: Axes, frame: gpd.GeoDataFrame, entry: MapLayer, *, zorder: float
) -> list[tuple[Symbol, str]]:
    """Draw one map group in its symbols; return the (symbol, label) pairs it used."""
    style = STYLES[entry.layer]
    geometry = ALL_SPECS[entry.layer].geometry
    if not len(frame):
        return []
    symbols = [style.symbol(row) for row in frame.to_dict("records")]
    keys = pd.Series([repr(symbol) for symbol in symbols], index=frame.index)
    used: dict[str, Symbol] = {}
    for key, members in frame.groupby(keys, sort=False):
        symbol = symbols[frame.index.get_loc(members.index[0])]
        used[str(key)] = symbol
        color = _rgb(symbol.color)
        width = symbol.width_mm * PT_PER_MM
        if geometry == "polygon":
            members.plot(
                ax=ax,
                facecolor=(*_rgb(symbol.fill), symbol.fill_opacity) if symbol.fill else "none",
                edgecolor=color,
                linewidth=width,
                linestyle=_DASHES[symbol.dash],
                zorder=zorder,
            )
        elif geometry == "line":
            members.plot(
                ax=ax,
                color=color,
                linewidth=width,
                linestyle=_DASHES[symbol.dash],
                capstyle="butt" if symbol.dash != "solid" else "round",
                zorder=zorder,
                # A thin white casing keeps a line legible over filled areas of any colour.
                path_effects=[
                    effects.Stroke(linewidth=width + 1.6, foreground="white"),
                    effects.Normal(),
                ],
            )
        else:
            ax.scatter(
                members.geometry.x,
                members.geometry.y,
                s=(symbol.size_mm * PT_PER_MM) ** 2,
                marker=_MARKERS.get(symbol.marker, "o"),
                facecolor=_rgb(symbol.fill) if symbol.fill else "white",
                edgecolor=color,
                linewidth=max(0.6, width),
                linestyle=_DASHES[symbol.dash] if symbol.dash != "solid" else "-",
                zorder=zorder,
            )
    return [(symbol, key) for key, symbol in used.items()]


def _legend_handle(symbol: Symbol, geometry: str) -> Any:
    width = symbol.width_mm * PT_PER_MM
    if geometry == "polygon":
        return Patch(
            facecolor=(*_rgb(symbol.fill), symbol.fill_opacity) if symbol.fill else "none",
            edgecolor=_rgb(symbol.color),
            linewidth=max(0.6, width),
            linestyle=_DASHES[symbol.dash],
        )
    if geometry == "line":
        return Line2D([], [], color=_rgb(symbol.color), linewidth=width, ls=_DASHES[symbol.dash])
    if symbol.dash != "solid":
        # A marker's edge cannot be dashed; a one-point collection's can, as on the map.
        marker = MarkerStyle(_MARKERS.get(symbol.marker, "o"))
        handle = PathCollection(
            [marker.get_path().transformed(marker.get_transform())],
            sizes=[(symbol.size_mm * PT_PER_MM) ** 2],
            facecolors=[_rgb(symbol.fill) if symbol.fill else "white"],
            edgecolors=[_rgb(symbol.color)],
            linewidths=[max(0.6, width)],
            linestyles=[_DASHES[symbol.dash]],
        )
        handle.set_transform(IdentityTransform())  # sizes in points, as scatter draws them
        return handle
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=_MARKERS.get(symbol.marker, "o"),
        markersize=symbol.size_mm * PT_PER_MM,
        markerfacecolor=_rgb(symbol.fill) if symbol.fill else "white",
        markeredgecolor=_rgb(symbol.color),
        markeredgewidth=max(0.6, width),
    )


def legend_entries(frame: gpd.GeoDataFrame, entry: MapLayer) -> list[tuple[Any, str]]:
    """Legend rows of one group: one per line (by name) and per status, or per category."""
    style = STYLES[entry.layer]
    geometry = ALL_SPECS[entry.layer].geometry
    present = list(dict.fromkeys(frame[style.attribute].astype(str)))
    rows: list[tuple[Any, str]] = []
    if style.color_by is not None:
        # One colour per line, named from the data; then the dash of each status, in grey.
        others_named = False
        for key, rows_of_line in frame.groupby(style.color_by, sort=False):
            if key in CONTEXT_LINES:  # the region's other lines: one row for their one colour
                if others_named:
                    continue
                others_named = True
            first = rows_of_line.iloc[0]
            value = next((v for v in style.categories if v in present), present[0])
            # The colour swatch is solid: the dashes below say the status.
            symbol = replace(
                style.symbol({style.color_by: key, style.attribute: value}), dash="solid"
            )
            names = " ".join(str(first.get(n, "")) for n in ("name_zh", "name_en")).strip()
            names = CONTEXT_LEGEND if key in CONTEXT_LINES else names
            names = overlap_label(value) if key == REACH_BOTH else names
            rows.append((_legend_handle(symbol, geometry), names or str(key)))
        for value in style.categories:
            if value in present:
                grey = Symbol((90, 90, 90), style.categories[value].width_mm * 0.8)
                symbol = Symbol(grey.color, grey.width_mm, style.categories[value].dash)
                rows.append((_legend_handle(symbol, geometry), bilingual_label(value)))
        return rows
    for value, symbol in style.categories.items():
        if value in present:
            rows.append((_legend_handle(symbol, geometry), bilingual_label(value)))
    return rows
