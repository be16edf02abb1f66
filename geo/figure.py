"""Static figures for reports: the maps of ``maps/*.toml`` drawn with matplotlib at A4.

Each figure shows the groups a map shows at first, in the same colours (``geo._styles``), with
a bilingual title, a legend that names each line, a geodesic scale bar, a north arrow, the
credits, and the names of the main stations, hubs and airports placed without overlaps. Text
from the layers is data: matplotlib's mathtext is off, so a ``$`` in a name stays a ``$``.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib import patheffects as effects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox
from pyproj import Geod, Transformer

from geo import settings
from geo._context import CONTEXT_CREDIT, context_land
from geo._io import atomic_path
from geo._mapdefs import MapDefinition, MapLayer, load_map_definitions
from geo._schema import ALL_SPECS
from geo._styles import STYLES, Symbol
from geo.errors import ChengyuError
from geo.utils import log
from geo.webmap import bilingual_label, group_features

FigureFormat = Literal["png", "pdf", "svg"]
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")

_PT_PER_MM = 72 / 25.4
_DASHES: dict[str, Any] = {"solid": "-", "dash": (0, (3.0, 2.0)), "dot": (0, (1.0, 1.6))}
_MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*"}
_DRAW_ORDER = {"polygon": 0, "line": 1, "point": 2}
_STATUS_RANK = {"operating": 0, "under_construction": 1, "planned": 2, "reserved": 3}
_HALO = [effects.withStroke(linewidth=2.2, foreground="white")]
_GEOD = Geod(ellps="WGS84")
_SEA = "#e9f1f6"
_LAND = "#fbfaf5"


def cjk_font() -> str | None:
    """Name of the first installed font of ``settings.figure_fonts``, or ``None``.

    Without one, Chinese text shows as empty boxes: the figure is still written, with a warning.
    """
    for name in settings.figure_fonts:
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return name
    return None


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    return (color[0] / 255, color[1] / 255, color[2] / 255)


def _projection(bounds: Sequence[float]) -> str:
    """Return a transverse Mercator centred on the figure: conformal, true scale on its meridian."""
    lon = (bounds[0] + bounds[2]) / 2
    lat = (bounds[1] + bounds[3]) / 2
    return f"+proj=tmerc +lat_0={lat:.3f} +lon_0={lon:.3f} +k=1 +datum=WGS84 +units=m +no_defs"


@dataclass
class _Label:
    """A name to place next to a point: higher ``priority`` is placed first."""

    x: float
    y: float
    text: str
    priority: float
    size: float
    color: str = "#202020"
    offset_pt: float = 5.0
    centred: bool = False


def _station_points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
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


def _draw_group(
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
        width = symbol.width_mm * _PT_PER_MM
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
                s=(symbol.size_mm * _PT_PER_MM) ** 2,
                marker=_MARKERS.get(symbol.marker, "o"),
                facecolor=_rgb(symbol.fill) if symbol.fill else "white",
                edgecolor=color,
                linewidth=max(0.6, width),
                linestyle=_DASHES[symbol.dash] if symbol.dash != "solid" else "-",
                zorder=zorder,
            )
    return [(symbol, key) for key, symbol in used.items()]


def _legend_handle(symbol: Symbol, geometry: str) -> Any:
    width = symbol.width_mm * _PT_PER_MM
    if geometry == "polygon":
        return Patch(
            facecolor=(*_rgb(symbol.fill), symbol.fill_opacity) if symbol.fill else "none",
            edgecolor=_rgb(symbol.color),
            linewidth=max(0.6, width),
            linestyle=_DASHES[symbol.dash],
        )
    if geometry == "line":
        return Line2D([], [], color=_rgb(symbol.color), linewidth=width, ls=_DASHES[symbol.dash])
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=_MARKERS.get(symbol.marker, "o"),
        markersize=symbol.size_mm * _PT_PER_MM,
        markerfacecolor=_rgb(symbol.fill) if symbol.fill else "white",
        markeredgecolor=_rgb(symbol.color),
        markeredgewidth=max(0.6, width),
    )


def _legend_entries(frame: gpd.GeoDataFrame, entry: MapLayer) -> list[tuple[Any, str]]:
    """Legend rows of one group: one per line (by name) and per status, or per category."""
    style = STYLES[entry.layer]
    geometry = ALL_SPECS[entry.layer].geometry
    present = list(dict.fromkeys(frame[style.attribute].astype(str)))
    rows: list[tuple[Any, str]] = []
    if style.color_by is not None:
        # One colour per line, named from the data; then the dash of each status, in grey.
        for key, rows_of_line in frame.groupby(style.color_by, sort=False):
            first = rows_of_line.iloc[0]
            value = next((v for v in style.categories if v in present), present[0])
            # The colour swatch is solid: the dashes below say the status.
            symbol = replace(
                style.symbol({style.color_by: key, style.attribute: value}), dash="solid"
            )
            names = " ".join(str(first.get(n, "")) for n in ("name_zh", "name_en")).strip()
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


def _nice_length_km(span_km: float) -> float:
    """Return a round length near a fifth of ``span_km``: 1, 2 or 5 times a power of ten."""
    target = span_km / 5
    power = 10 ** math.floor(math.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def _scale_bar(ax: Axes, to_lonlat: Transformer) -> float:
    """Draw a scale bar in the lower left, measured on the ellipsoid there; return its km."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x, y = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    probe = (x1 - x0) / 4
    lon_a, lat_a = to_lonlat.transform(x, y)
    lon_b, lat_b = to_lonlat.transform(x + probe, y)
    _, _, metres = _GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    metres_per_unit = metres / probe
    span_km = (x1 - x0) * metres_per_unit / 1000
    length_km = _nice_length_km(span_km)
    length = length_km * 1000 / metres_per_unit
    # Scale varies across the map: measure the bar itself and correct it until it is exact.
    for _ in range(3):
        lon_b, lat_b = to_lonlat.transform(x + length, y)
        _, _, metres = _GEOD.inv(lon_a, lat_a, lon_b, lat_b)
        length *= length_km * 1000 / metres
    height = 0.008 * (y1 - y0)
    for part in range(2):
        ax.add_patch(
            mpl.patches.Rectangle(
                (x + part * length / 2, y),
                length / 2,
                height,
                facecolor="black" if part == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=20,
            )
        )
    for fraction in (0, 0.5, 1):
        value = length_km * fraction
        ax.text(
            x + fraction * length,
            y + 1.8 * height,
            f"{value:g}" + (" km" if fraction == 1 else ""),
            ha="center",
            va="bottom",
            fontsize=7,
            zorder=20,
            path_effects=_HALO,
        )
    return length_km


def _north_arrow(ax: Axes, to_lonlat: Transformer, to_map: Transformer) -> None:
    """Return an arrow pointing to true north at the top left of the map."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y1 - 0.16 * (y1 - y0)
    lon, lat = to_lonlat.transform(x, y)
    north_x, north_y = to_map.transform(lon, lat + 0.05)
    angle = math.atan2(north_y - y, north_x - x)
    length = 0.07 * (y1 - y0)
    tip = (x + length * math.cos(angle), y + length * math.sin(angle))
    ax.annotate(
        "",
        xy=tip,
        xytext=(x, y),
        arrowprops={"arrowstyle": "-|>,head_width=0.45,head_length=0.9", "lw": 1.4, "color": "k"},
        zorder=20,
    )
    ax.text(*tip, "N 北", ha="center", va="bottom", fontsize=9, weight="bold", zorder=20)


def _clearance(symbol: Symbol) -> float:
    """How far a label stands from its point, in points: half the marker and a gap."""
    return symbol.size_mm * _PT_PER_MM / 2 + 2.5


def _label_candidates(
    shown: Sequence[tuple[MapLayer, gpd.GeoDataFrame]], land: gpd.GeoDataFrame
) -> list[_Label]:
    """Names worth placing, most important first: interchanges and line ends, hubs, airports."""
    labels: list[_Label] = [
        _Label(point.x, point.y, f"{row.name_zh}\n{row.name_en}", 5, 9, "#8c8c8c", 0, True)
        for row, point in zip(land.itertuples(), land.geometry.representative_point(), strict=True)
    ]
    for entry, frame in shown:
        if entry.layer == "rail_stations":
            for row in _station_points(frame).itertuples():
                main = row.n_lines > 1 or row.line_end
                text = f"{row.name_zh}\n{row.name_en}" if main else str(row.name_zh)
                priority = 100 + row.n_lines if main else 40
                offset = _clearance(STYLES["rail_stations"].symbol(row._asdict()))
                labels.append(
                    _Label(row.geometry.x, row.geometry.y, text, priority, 7.5, offset_pt=offset)
                )
        elif entry.layer == "logistics_hubs":
            for row in frame.itertuples():
                name = str(row.name_zh).split("（")[0]
                offset = _clearance(STYLES["logistics_hubs"].symbol(row._asdict()))
                labels.append(
                    _Label(row.geometry.x, row.geometry.y, name, 80, 7, "#5a2d00", offset)
                )
        elif entry.layer == "airports":
            for row in frame.itertuples():
                text = str(row.iata) if isinstance(row.iata, str) and row.iata else row.name_zh
                offset = _clearance(STYLES["airports"].symbol(row._asdict()))
                labels.append(
                    _Label(row.geometry.x, row.geometry.y, text, 70, 7, "#003a66", offset)
                )
        elif entry.labels and entry.layer == "admin_areas":
            for row in frame[frame["level"] == "prefecture"].itertuples():
                point = row.geometry.representative_point()
                labels.append(_Label(point.x, point.y, str(row.name_zh), 10, 8, "#8a8a8a", 0, True))
    return sorted(labels, key=lambda label: -label.priority)


def _place_labels(
    fig: Figure,
    ax: Axes,
    labels: Sequence[_Label],
    *,
    obstacles: Sequence[Bbox] = (),
    markers: Sequence[Bbox] = (),
) -> list[Text]:
    """Place each label beside its point where it overlaps nothing placed before; return them.

    Tries eight spots around the point in turn; a label that fits nowhere inside the map is
    left out, so lower priorities lose. ``obstacles`` (scale bar, north arrow) and the labels
    already placed are always kept clear; ``markers`` too, except by a main label (priority
    100 and more) that finds no other spot: a city's name matters more than a marker's edge.
    """
    assert isinstance(fig.canvas, FigureCanvasAgg)
    renderer = fig.canvas.get_renderer()  # type: ignore[no-untyped-call]
    frame = ax.get_window_extent(renderer)
    placed_boxes: list[Bbox] = []
    placed: list[Text] = []
    for label in labels:
        x_px, y_px = ax.transData.transform((label.x, label.y))
        if not frame.contains(x_px, y_px):
            continue
        offset = label.offset_pt * fig.dpi / 72
        diagonal = offset * 0.75
        step = 1.4 * label.size * fig.dpi / 72
        spots = (
            [
                (dx * step, dy * step, "center", "center")
                for dx, dy in ((0, 0), (0, 1), (0, -1), (2, 0), (-2, 0), (2, 1), (-2, -1))
            ]
            if label.centred
            else [
                (offset, 0.0, "left", "center"),
                (-offset, 0.0, "right", "center"),
                (0.0, offset, "center", "bottom"),
                (0.0, -offset, "center", "top"),
                (diagonal, diagonal, "left", "bottom"),
                (-diagonal, diagonal, "right", "bottom"),
                (diagonal, -diagonal, "left", "top"),
                (-diagonal, -diagonal, "right", "top"),
            ]
        )
        passes = [[*obstacles, *markers]]
        if label.priority >= 100:
            passes.append(list(obstacles))
        done = False
        for clear in passes:
            for dx, dy, ha, va in spots:
                x, y = ax.transData.inverted().transform((x_px + dx, y_px + dy))
                text: Text = ax.text(
                    x,
                    y,
                    label.text,
                    ha=ha,
                    va=va,
                    fontsize=label.size,
                    color=label.color,
                    linespacing=1.0,
                    zorder=15,
                    path_effects=_HALO,
                    parse_math=False,
                )
                box = text.get_window_extent(renderer).padded(fig.dpi / 72)
                inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
                if inside and not any(box.overlaps(other) for other in [*clear, *placed_boxes]):
                    placed_boxes.append(box)
                    placed.append(text)
                    done = True
                    break
                text.remove()
            if done:
                break
    return placed


def _draw_land(ax: Axes, to_lonlat: Transformer, crs: str) -> gpd.GeoDataFrame:
    """Draw China and its neighbours under everything; return them (projected) for labels."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    xs = np.linspace(x0, x1, 9)
    ys = np.linspace(y0, y1, 9)
    edge_x = np.concatenate([xs, xs, np.full(9, x0), np.full(9, x1)])
    edge_y = np.concatenate([np.full(9, y0), np.full(9, y1), ys, ys])
    lons, lats = to_lonlat.transform(edge_x, edge_y)
    view = (min(lons) - 1, max(min(lats) - 1, -85), max(lons) + 1, min(max(lats) + 1, 85))
    land = context_land(view).to_crs(crs)
    if len(land):
        land.plot(ax=ax, facecolor=_LAND, edgecolor="#9a9a9a", linewidth=0.5, zorder=0.5)
    # Name the countries around, not the one the whole map lies in.
    return land[land.geometry.area < 0.5 * (x1 - x0) * (y1 - y0)]


def _set_extent(fig: Figure, ax: Axes, lower: np.ndarray, upper: np.ndarray) -> None:
    """Show the box from ``lower`` to ``upper`` with 5 % margin, widened to the axes' shape."""
    width, height = (upper - lower) * 1.1
    centre = (upper + lower) / 2
    box = ax.get_position(original=True)
    fig_w, fig_h = fig.get_size_inches()
    shape = (box.width * fig_w) / (box.height * fig_h)
    if width / height < shape:
        width = height * shape
    else:
        height = width / shape
    ax.set_xlim(centre[0] - width / 2, centre[0] + width / 2)
    ax.set_ylim(centre[1] - height / 2, centre[1] + height / 2)
    ax.set_aspect("equal", adjustable="box")


def _marker_boxes(ax: Axes, projected: Sequence[tuple[MapLayer, gpd.GeoDataFrame]]) -> list[Bbox]:
    """Screen boxes of the point markers, which labels must not cover."""
    boxes = []
    points_per_pixel = ax.figure.dpi / 72
    for entry, frame in projected:
        if ALL_SPECS[entry.layer].geometry != "point" or not len(frame):
            continue
        style = STYLES[entry.layer]
        for row, (x, y) in zip(
            frame.to_dict("records"),
            ax.transData.transform(np.column_stack([frame.geometry.x, frame.geometry.y])),
            strict=True,
        ):
            half = style.symbol(row).size_mm * _PT_PER_MM * points_per_pixel / 2
            boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    return boxes


def _fit_bounds(
    definition: MapDefinition, shown: Sequence[tuple[MapLayer, gpd.GeoDataFrame]]
) -> tuple[float, float, float, float]:
    fitted = [frame for entry, frame in shown if entry.layer in definition.fit and len(frame)]
    if not fitted:
        return settings.region_bounds
    lon_min, lat_min, lon_max, lat_max = pd.concat(fitted).total_bounds
    return (float(lon_min), float(lat_min), float(lon_max), float(lat_max))


@contextmanager
def figure_style() -> Iterator[None]:
    """Matplotlib settings of every figure: the CJK font, and no mathtext (names are data)."""
    # A one-weight CJK font makes matplotlib warn for every bold or normal request.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    font = cjk_font()
    if font is None:
        log(
            f"none of the fonts {settings.figure_fonts} is installed; "
            "Chinese text in figures will show as boxes (install fonts-wqy-zenhei)",
            level=30,
        )
    # Latin text in DejaVu Sans; matplotlib falls back glyph by glyph to the CJK font.
    families = ["DejaVu Sans", font] if font else ["DejaVu Sans"]
    with mpl.rc_context(
        {
            "font.family": families,
            "text.usetex": False,
            "text.parse_math": False,  # names are data: "$x$" stays "$x$"
            "axes.unicode_minus": False,
            "pdf.fonttype": 42,
            "svg.fonttype": "path",
        }
    ):
        yield


def render_figure(
    definition: MapDefinition,
    layers: Mapping[str, gpd.GeoDataFrame],
    path: Path,
    *,
    dpi: int | None = None,
) -> Path:
    """Draw one map definition as an A4 landscape figure and write it to ``path``.

    The format follows the suffix of ``path`` (``.png``, ``.pdf`` or ``.svg``).

    Parameters
    ----------
    definition
        The map: its titles, groups and what the view fits.
    layers
        Built layers by name.
    path
        Where to write the figure (atomically).
    dpi
        Resolution of a PNG (default ``settings.figure_dpi``).
    """
    with figure_style():
        drawn = draw_figure(definition, layers, dpi=dpi or settings.figure_dpi)
        try:
            with atomic_path(path) as temporary:
                drawn.figure.savefig(
                    temporary, format=path.suffix.lstrip("."), dpi=dpi or settings.figure_dpi
                )
        finally:
            drawn.figure.clear()
    log(f"wrote figure {path}")
    return path


@dataclass
class DrawnFigure:
    """A figure before it is saved, with what it was drawn in."""

    figure: Figure
    map_axes: Axes
    #: The figure's projection (a PROJ string): a transverse Mercator centred on the map.
    crs: str
    #: Length of the scale bar, measured on the WGS84 ellipsoid.
    scale_km: float
    #: The names placed on the map face.
    labels: list[Text]


def draw_figure(
    definition: MapDefinition, layers: Mapping[str, gpd.GeoDataFrame], *, dpi: int
) -> DrawnFigure:
    """Draw a map definition on an A4 landscape matplotlib figure (not saved).

    Call it inside ``figure_style()`` so that the fonts are set and mathtext is off.
    """
    shown = [
        (entry, group_features(layers[entry.layer], entry))
        for entry in definition.layers
        if entry.show and entry.layer in layers
    ]
    bounds = _fit_bounds(definition, shown)
    crs = _projection(bounds)
    to_lonlat = Transformer.from_crs(crs, settings.storage_crs, always_xy=True)
    to_map = Transformer.from_crs(settings.storage_crs, crs, always_xy=True)
    # Boundaries at full detail draw slowly and show nothing finer than a third of a pixel.
    corners = np.array([to_map.transform(lon, lat) for lon in bounds[::2] for lat in bounds[1::2]])
    pixel_degrees = (bounds[2] - bounds[0]) / (0.7 * settings.figure_size_in[0] * dpi)
    projected = [
        (
            entry,
            frame.assign(
                geometry=frame.geometry.simplify(pixel_degrees / 3, preserve_topology=False)
            ).to_crs(crs)
            if ALL_SPECS[entry.layer].geometry == "polygon"
            else frame.to_crs(crs),
        )
        for entry, frame in shown
    ]

    fig = Figure(figsize=settings.figure_size_in, dpi=dpi)
    ax = fig.add_axes((0.02, 0.08, 0.70, 0.80))
    legend_ax = fig.add_axes((0.735, 0.08, 0.255, 0.80))
    legend_ax.set_axis_off()
    ax.set_facecolor(_SEA)

    legend: list[tuple[Any, str]] = []
    order = sorted(
        range(len(projected)), key=lambda i: _DRAW_ORDER[ALL_SPECS[projected[i][0].layer].geometry]
    )
    for rank, index in enumerate(order):
        entry, frame = projected[index]
        if entry.layer == "rail_stations":
            frame = _station_points(frame)
        _draw_group(ax, frame, entry, zorder=2 + rank)
        rows = _legend_entries(frame, entry)
        if rows:
            legend.append((Line2D([], [], linestyle="none"), entry.label))
            legend.extend(rows)

    _set_extent(fig, ax, corners.min(axis=0), corners.max(axis=0))
    land = _draw_land(ax, to_lonlat, crs)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")

    # Not bold: the CJK font has one weight, and mixed weights in one title look broken.
    fig.text(0.02, 0.965, definition.title_zh, fontsize=18, va="top")
    fig.text(0.02, 0.925, definition.title_en, fontsize=11.5, va="top", color="#333333")
    handles, texts = zip(*legend, strict=True) if legend else ((), ())
    drawn = legend_ax.legend(
        handles,
        [textwrap.fill(text, 34) for text in texts],
        loc="upper left",
        frameon=False,
        fontsize=7.5,
        handlelength=2.8,
        borderaxespad=0,
        labelspacing=0.55,
    )
    headings = {label for _, label in legend if label in {e.label for e, _ in shown}}
    for text in drawn.get_texts():
        if text.get_text().replace("\n", " ") in headings:
            text.set_fontweight("bold")

    canvas = FigureCanvasAgg(fig)  # after plotting, which would redraw a drawable figure per group
    patches_before, texts_before = len(ax.patches), len(ax.texts)
    km = _scale_bar(ax, to_lonlat)
    _north_arrow(ax, to_lonlat, to_map)
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    furniture = [*ax.patches[patches_before:], *ax.texts[texts_before:]]
    obstacles = [artist.get_window_extent(renderer) for artist in furniture]
    obstacles += [
        artist.arrow_patch.get_window_extent(renderer)
        for artist in furniture
        if isinstance(artist, Annotation) and artist.arrow_patch is not None
    ]
    placed = _place_labels(
        fig,
        ax,
        _label_candidates(projected, land),
        obstacles=obstacles,
        markers=_marker_boxes(ax, projected),
    )
    credit = (
        f"{settings.attribution}; {CONTEXT_CREDIT}. "
        "Rail lines are schematic (drawn through their stations); "
        "positions are approximate where precision_m says so. "
        f"Transverse Mercator centred on {(bounds[0] + bounds[2]) / 2:.1f}°E; "
        f"scale bar measured on the WGS84 ellipsoid. chengyu-corridors, {date.today():%Y-%m-%d}."
    )
    fig.text(0.02, 0.015, textwrap.fill(credit, 190), fontsize=6, color="#444444", va="bottom")
    log(f"figure {definition.name}: {len(placed)} labels placed, scale bar {km:g} km")
    return DrawnFigure(fig, ax, crs, km, placed)


def select_definitions(
    names: Sequence[str] | None = None, *, maps_dir: Path | None = None
) -> list[MapDefinition]:
    """Return the map definitions named (all if none), checked before any work is done.

    Raises
    ------
    ChengyuError
        Naming a map that has no definition, and the maps there are.
    """
    definitions = load_map_definitions(maps_dir)
    unknown = sorted(set(names or ()) - {d.name for d in definitions})
    if unknown:
        known = ", ".join(d.name for d in definitions)
        raise ChengyuError(f"no map definition named {', '.join(unknown)} (maps: {known})")
    return [d for d in definitions if not names or d.name in names]


def write_figures(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    names: Sequence[str] | None = None,
    out_dir: Path | None = None,
    fmt: str = "png",
    dpi: int | None = None,
    maps_dir: Path | None = None,
) -> list[Path]:
    """Write ``out_dir/figures/<map>.<fmt>`` for each map definition (or those in ``names``).

    A definition whose layers are not built is skipped with a log line.

    Raises
    ------
    ChengyuError
        For an unknown map name or format.
    """
    if fmt not in FORMATS:
        raise ChengyuError(f"figure format {fmt!r}: use one of {', '.join(FORMATS)}")
    folder = Path(out_dir or settings.out_dir) / "figures"
    written = []
    for definition in select_definitions(names, maps_dir=maps_dir):
        needed = {*definition.requires, *(entry.layer for entry in definition.layers)}
        missing = sorted(name for name in needed if name not in layers)
        if missing:
            log(f"figure {definition.name}: skipped, layers {missing} not built")
            continue
        written.append(
            render_figure(definition, layers, folder / f"{definition.name}.{fmt}", dpi=dpi)
        )
    return written
