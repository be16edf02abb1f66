"""Static figures for reports: the maps of ``maps/*.toml`` drawn with matplotlib at A4.

A map of today beside after is drawn on A3, so that each of its two panels is legible.

Each figure shows the groups a map shows at first, in the same colours (``geo.outputs._styles``),
with
a bilingual title, a legend that names each line, a geodesic scale bar, a north arrow, the
credits, and the names of the main stations, hubs and airports placed without overlaps. Text
from the layers is data: matplotlib's mathtext is off, so a ``$`` in a name stays a ``$``.
"""

from __future__ import annotations

import functools
import logging
import math
import shutil
import subprocess
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text
from pyproj import Transformer

from geo import settings
from geo._geodesy import GEOD
from geo._io import atomic_path, cache_for
from geo.analysis.coverage import covered_class
from geo.errors import ChengyuError
from geo.outputs._context import CONTEXT_CREDIT, context_land
from geo.outputs._figure_labels import label_candidates, marker_boxes, place_labels
from geo.outputs._figure_symbols import HALO, draw_group, legend_entries, station_points
from geo.outputs.webmap import OVERLAP_LAYERS, group_features, split_overlaps
from geo.sources._schema import ALL_SPECS, SCENARIOS
from geo.sources.mapdefs import MapDefinition, MapLayer, load_map_definitions
from geo.utils import log

FigureFormat = Literal["png", "pdf", "svg"]
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")

_DRAW_ORDER = {"polygon": 0, "line": 1, "point": 2}
_SEA = "#e9f1f6"
_LAND = "#fbfaf5"


def _fontconfig_files(families: Sequence[str]) -> list[str]:
    """Files of the fonts named in ``families`` that fontconfig knows, in that order.

    Asked of ``fc-list`` rather than matplotlib's font cache, which may predate the font.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listing = subprocess.run(
            [fc_list, "--format", "%{family}\t%{file}\n", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found: dict[str, list[str]] = {}
    for line in listing.splitlines():
        names, _, file = line.partition("\t")
        for name in names.split(","):
            found.setdefault(name.strip(), []).append(file)
    return [file for family in families for file in sorted(found.get(family, []))]


@functools.cache
def _register_font_files(files: tuple[str, ...]) -> tuple[str, ...]:
    """Register each font file with matplotlib (every face of a collection); return those added."""
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    added = []
    for file in dict.fromkeys(files):
        if file in known or not Path(file).is_file():
            continue
        try:
            font_manager.fontManager.addfont(file)
        except (OSError, RuntimeError, ValueError) as error:
            log(f"font file {file} not usable: {error}", level=logging.DEBUG)
            continue
        added.append(file)
    return tuple(added)


def cjk_font() -> str | None:
    """Name of the first font of ``settings.figure_fonts`` found, or ``None``.

    The fonts are looked for by fontconfig and at ``settings.figure_font_files``, and their
    files registered with matplotlib, so a stale matplotlib font cache (written before the font
    was installed) does not hide them. Without one, Chinese text shows as empty boxes: the
    figure is still written, with a warning.
    """
    families = tuple(settings.figure_fonts)
    _register_font_files((*_fontconfig_files(families), *settings.figure_font_files))
    for name in families:
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return name
    return None


def _projection(bounds: Sequence[float]) -> str:
    """Return a transverse Mercator centred on the figure: conformal, true scale on its meridian."""
    lon = (bounds[0] + bounds[2]) / 2
    lat = (bounds[1] + bounds[3]) / 2
    return f"+proj=tmerc +lat_0={lat:.3f} +lon_0={lon:.3f} +k=1 +datum=WGS84 +units=m +no_defs"


def _nice_length_km(span_km: float) -> float:
    """Return a round length near a fifth of ``span_km``: 1, 2 or 5 times a power of ten."""
    target = span_km / 5
    power = 10 ** math.floor(math.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


class _DrawnOnRequest(FigureCanvasAgg):
    """An Agg canvas that draws when asked to (``draw``, saving), not on ``draw_idle``.

    geopandas' ``plot`` ends with ``draw_idle``, which Agg turns into a full drawing of the
    figure: once per layer drawn, 84 drawings for the four maps, 40 % of their time.
    """

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing: the map is drawn where its pixels are read and when it is saved."""


Corner = Literal["lower left", "lower right", "upper left", "upper right"]
_CORNERS: tuple[Corner, ...] = ("lower left", "lower right", "upper left", "upper right")


def _corners_by_ink(
    ax: Axes, canvas: FigureCanvasAgg, *, width: float, height: float
) -> list[Corner]:
    """Return the map's corners, emptiest first (the share of their pixels features cover).

    Measured on the drawn map (land and sea do not count) over the box an item takes in each
    corner (``width`` and ``height`` as fractions of the map), so the scale bar and the north
    arrow go where no line, ring or station is.
    """
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    pixels = np.asarray(rgba)[:, :, :3].astype(int)
    rows_total = pixels.shape[0]
    frame = ax.get_window_extent()
    background = [np.array(mpl.colors.to_rgb(c)) * 255 for c in (_SEA, _LAND)]
    ink: dict[Corner, float] = {}
    for corner in _CORNERS:
        upper, right = corner.startswith("upper"), corner.endswith("right")
        x0 = frame.x1 - width * frame.width if right else frame.x0
        y0 = frame.y1 - height * frame.height if upper else frame.y0
        columns = slice(int(x0), int(x0 + width * frame.width))
        rows = slice(int(rows_total - (y0 + height * frame.height)), int(rows_total - y0))
        patch = pixels[rows, columns]
        plain = np.zeros(patch.shape[:2], dtype=bool)
        for colour in background:
            plain |= np.abs(patch - colour).max(axis=2) <= 12
        ink[corner] = 1.0 - float(plain.mean()) if plain.size else 1.0
    # Ties (two empty corners) keep the usual places: the bar low, the arrow high, left first.
    return sorted(_CORNERS, key=lambda corner: round(ink[corner], 3))


def _scale_bar(ax: Axes, to_lonlat: Transformer, corner: Corner = "lower left") -> float:
    """Draw a scale bar in ``corner``, measured on the ellipsoid there; return its km."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x = x0 + 0.04 * (x1 - x0)
    y = y1 - 0.09 * (y1 - y0) if corner.startswith("upper") else y0 + 0.05 * (y1 - y0)
    probe = (x1 - x0) / 4
    lon_a, lat_a = to_lonlat.transform(x, y)
    lon_b, lat_b = to_lonlat.transform(x + probe, y)
    _, _, metres = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    metres_per_unit = metres / probe
    span_km = (x1 - x0) * metres_per_unit / 1000
    length_km = _nice_length_km(span_km)
    length = length_km * 1000 / metres_per_unit
    if corner.endswith("right"):
        x = x1 - 0.06 * (x1 - x0) - length
        lon_a, lat_a = to_lonlat.transform(x, y)
    # Scale varies across the map: measure the bar itself and correct it until it is exact.
    for _ in range(3):
        lon_b, lat_b = to_lonlat.transform(x + length, y)
        _, _, metres = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
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
    # The middle figure only where it has room beside the others (26 pt: half of "100" and of
    # "200 km" at 7 pt, and a gap); a narrow panel's short bar shows its ends only.
    half_points = ax.transData.transform((length / 2, 0))[0] - ax.transData.transform((0, 0))[0]
    half_points *= 72 / ax.figure.dpi
    for fraction in (0, 0.5, 1) if half_points > 26 else (0, 1):
        value = length_km * fraction
        ax.text(
            x + fraction * length,
            y + 1.8 * height,
            f"{value:g}" + (" km" if fraction == 1 else ""),
            ha="center",
            va="bottom",
            fontsize=7,
            zorder=20,
            path_effects=HALO,
        )
    return length_km


def _north_arrow(
    ax: Axes, to_lonlat: Transformer, to_map: Transformer, corner: Corner = "upper left"
) -> None:
    """Draw an arrow pointing to true north in ``corner`` of the map."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x = x1 - 0.05 * (x1 - x0) if corner.endswith("right") else x0 + 0.05 * (x1 - x0)
    y = y1 - 0.16 * (y1 - y0) if corner.startswith("upper") else y0 + 0.05 * (y1 - y0)
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


def _draw_land(
    ax: Axes, to_lonlat: Transformer, crs: str, *, cache_dir: Path | None
) -> gpd.GeoDataFrame:
    """Draw China and its neighbours under everything; return them (projected) for labels."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    xs = np.linspace(x0, x1, 9)
    ys = np.linspace(y0, y1, 9)
    edge_x = np.concatenate([xs, xs, np.full(9, x0), np.full(9, x1)])
    edge_y = np.concatenate([np.full(9, y0), np.full(9, y1), ys, ys])
    lons, lats = to_lonlat.transform(edge_x, edge_y)
    view = (min(lons) - 1, max(min(lats) - 1, -85), max(lons) + 1, min(max(lats) + 1, 85))
    land = context_land(view, cache_dir=cache_dir).to_crs(crs)
    if len(land):
        land.plot(ax=ax, facecolor=_LAND, edgecolor="#9a9a9a", linewidth=0.5, zorder=0.5)
    # Name the countries around, not the one the whole map lies in.
    return land[land.geometry.area < 0.5 * (x1 - x0) * (y1 - y0)]


def _set_extent(
    fig: Figure, ax: Axes, lower: np.ndarray, upper: np.ndarray, points: np.ndarray | None = None
) -> None:
    """Show the box from ``lower`` to ``upper`` with a margin, widened to the axes' shape.

    ``points`` (projected, one per row) are the shown markers: one that the widened view
    almost holds (within a tenth of it, as the port of Shanghai just north of the corridor's
    routes) is brought in whole rather than cut at the frame; a farther one stays out.
    """
    box = ax.get_position(original=True)
    fig_w, fig_h = fig.get_size_inches()
    shape = (box.width * fig_w) / (box.height * fig_h)
    for _ in range(3):
        # 8 %: room for the names placed above and beside the outermost features.
        width, height = (upper - lower) * 1.16
        centre = (upper + lower) / 2
        if width / height < shape:
            width = height * shape
        else:
            height = width / shape
        low = centre - np.array([width, height]) / 2
        high = centre + np.array([width, height]) / 2
        if points is None or not len(points):
            break
        near = np.all(
            (points > low - 0.1 * (high - low)) & (points < high + 0.1 * (high - low)), axis=1
        )
        grown_lower = np.minimum(lower, points[near].min(axis=0)) if near.any() else lower
        grown_upper = np.maximum(upper, points[near].max(axis=0)) if near.any() else upper
        if np.array_equal(grown_lower, lower) and np.array_equal(grown_upper, upper):
            break
        lower, upper = grown_lower, grown_upper
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal", adjustable="box")


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
            f"none of the fonts {settings.figure_fonts} is installed; Chinese text in figures "
            "will show as boxes (install one, e.g. Debian's fonts-wqy-zenhei, or name its file "
            "in settings.figure_font_files)",
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
    cache_dir: Path | None = None,
) -> Path:
    """Draw one map definition as an A4 landscape figure (two panels: A3) and write it to ``path``.

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
    cache_dir
        Folder of the cache of the land outlines (default ``geo._io.cache_for()``).
    """
    with figure_style():
        drawn = draw_figure(definition, layers, dpi=dpi or settings.figure_dpi, cache_dir=cache_dir)
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
    #: Every map panel, left to right (``map_axes`` is the last).
    panels: list[Axes] = field(default_factory=list)


#: Headings of the two panels of a figure that sets today beside after.
PANEL_HEADINGS: dict[str, tuple[str, str]] = {
    "today": ("现状", "Today"),
    "after": ("建成后", "After the lines under construction open"),
}
# Words of a group's name that say its scenario: a legend shared by both panels drops them.
_SCENARIO_WORDS = ("（建成后）", "（现状）", "建成后", "现状", " (after)", " (today)",
                   " after the new lines open", " today", " after")  # fmt: skip
# Layers whose features open by status: a "today" panel shows those open today only.
_BY_STATUS = ("rail_lines", "rail_stations", "expressways", "airports")


def _scenario_of(entry: MapLayer) -> str | None:
    """Return the one scenario a group is filtered to (``where = {scenario = [...]}``), if so."""
    values = entry.where.get("scenario") or []
    return values[0] if len(values) == 1 and values[0] in PANEL_HEADINGS else None


def figure_panels(definition: MapDefinition) -> list[tuple[str | None, list[MapLayer]]]:
    """Return the panels of a figure: ``[(scenario, groups), ...]``.

    A map that has a group for today and one for after of the same layer (and shows the after
    one) is drawn as two panels side by side, today and after, so that a figure titled
    "today and after" shows both; any other map is one panel (scenario ``None``).
    """
    shown_after = {e.layer for e in definition.layers if _scenario_of(e) == "after" and e.show}
    with_today = {e.layer for e in definition.layers if _scenario_of(e) == "today"}
    paired = shown_after & with_today
    if not paired:
        return [(None, [entry for entry in definition.layers if entry.show])]
    panels: list[tuple[str | None, list[MapLayer]]] = []
    for scenario in PANEL_HEADINGS:
        entries = []
        for entry in definition.layers:
            own = _scenario_of(entry)
            if own is None:
                if entry.show:
                    entries.append(entry)
            elif entry.layer in paired:
                if own == scenario:
                    entries.append(replace(entry, show=True))
            elif own == scenario and entry.show:
                entries.append(entry)
        panels.append((scenario, entries))
    return panels


def _panel_frame(
    entry: MapLayer, frame: gpd.GeoDataFrame, scenario: str | None
) -> gpd.GeoDataFrame:
    """Return a group's features as they are in a panel's scenario."""
    if entry.layer in OVERLAP_LAYERS:  # as on the web map: the overlap an area of its own
        frame = split_overlaps(frame, entry.layer)
    if scenario is None:
        return frame
    if entry.layer in _BY_STATUS and "status" in frame.columns:
        return frame[frame["status"].isin(SCENARIOS[scenario])]
    if entry.layer == "station_coverage" and len(frame):
        return frame.assign(covered_class=covered_class(frame, scenario=scenario))
    return frame


def _origin_names(frame: gpd.GeoDataFrame, stations: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Return areas named by origin (reach) with the origin's names, for the legend's rows.

    A reach area says its origin by Chinese station name only; the legend names it in both
    languages, as the web map's does ("成都东 Chengdu East").
    """
    if "origin" not in frame.columns or "name_zh" in frame.columns or stations is None:
        return frame
    english = dict(
        zip(stations["name_zh"].astype(str), stations["name_en"].astype(str), strict=True)
    )
    origins = frame["origin"].astype(str)
    return frame.assign(name_zh=origins, name_en=origins.map(english).fillna(""))


def _shared_heading(entry: MapLayer) -> str:
    """Return a group's legend heading without its scenario's words (both panels share it)."""
    zh, english = entry.label_zh, entry.label_en
    for words in _SCENARIO_WORDS:
        zh = zh.replace(words, "")
        english = english.replace(words, "")
    return f"{zh.strip()} {english.strip()}".strip() or entry.label


def draw_figure(
    definition: MapDefinition,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    dpi: int,
    cache_dir: Path | None = None,
) -> DrawnFigure:
    """Draw a map definition on an A4 landscape matplotlib figure (not saved).

    A map that compares today with after is drawn as two panels side by side at one scale
    (``figure_panels``). Call it inside ``figure_style()`` so that the fonts are set and
    mathtext is off. The land outlines are cached in ``cache_dir`` (default
    ``geo._io.cache_for()``).
    """
    panels = [
        (
            scenario,
            [
                (
                    entry,
                    _origin_names(
                        _panel_frame(entry, group_features(layers[entry.layer], entry), scenario),
                        layers.get("rail_stations"),
                    ),
                )
                for entry in entries
                if entry.layer in layers
            ],
        )
        for scenario, entries in figure_panels(definition)
    ]
    bounds = _fit_bounds(definition, [pair for _, shown in panels for pair in shown])
    crs = _projection(bounds)
    to_lonlat = Transformer.from_crs(crs, settings.storage_crs, always_xy=True)
    to_map = Transformer.from_crs(settings.storage_crs, crs, always_xy=True)
    corners = np.array([to_map.transform(lon, lat) for lon in bounds[::2] for lat in bounds[1::2]])
    # Boundaries at full detail draw slowly and show nothing finer than a third of a pixel.
    two = len(panels) == 2
    size = settings.figure_pair_size_in if two else settings.figure_size_in
    panels_width = 0.76 if two else 0.7  # of the page: the boxes below
    pixel_degrees = (bounds[2] - bounds[0]) / (panels_width * size[0] * dpi / len(panels))

    def project(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
        if ALL_SPECS[layer].geometry == "polygon":
            simple = frame.geometry.simplify(pixel_degrees / 3, preserve_topology=False)
            return frame.assign(geometry=simple).to_crs(crs)
        return frame.to_crs(crs)

    # Every panel's markers, so that both panels of a pair show one extent at one scale.
    points = [
        np.column_stack(to_map.transform(frame.geometry.x, frame.geometry.y))
        for _, shown in panels
        for entry, frame in shown
        if ALL_SPECS[entry.layer].geometry == "point" and len(frame)
    ]
    markers = np.vstack(points) if points else None

    fig = Figure(figsize=size, dpi=dpi)
    # Two panels on the larger page take more of its width: the legend needs no more inches.
    boxes = (
        [(0.015, 0.07, 0.38, 0.81), (0.405, 0.07, 0.38, 0.81)]
        if two
        else [(0.02, 0.08, 0.70, 0.80)]
    )
    legend_ax = fig.add_axes((0.8, 0.07, 0.19, 0.81) if two else (0.735, 0.08, 0.245, 0.80))
    legend_ax.set_axis_off()
    # Not bold: the CJK font has one weight, and mixed weights in one title look broken.
    fig.text(0.02, 0.965, definition.title_zh, fontsize=18, va="top")
    fig.text(0.02, 0.925, definition.title_en, fontsize=11.5, va="top", color="#333333")
    canvas = _DrawnOnRequest(fig)

    legend: list[tuple[Any, str]] = []
    legend_texts: set[tuple[str, str]] = set()
    grouped: dict[str, list[tuple[Any, str]]] = {}
    placed: list[Text] = []
    axes: list[Axes] = []
    km = 0.0
    for (scenario, shown), box in zip(panels, boxes, strict=True):
        ax = fig.add_axes(box)
        axes.append(ax)
        ax.set_facecolor(_SEA)
        projected = [(entry, project(frame, entry.layer)) for entry, frame in shown]
        order = sorted(
            range(len(projected)),
            key=lambda i: _DRAW_ORDER[ALL_SPECS[projected[i][0].layer].geometry],
        )
        for rank, index in enumerate(order):
            entry, frame = projected[index]
            if entry.layer == "rail_stations":
                frame = station_points(frame)
            draw_group(ax, frame, entry, zorder=2 + rank)
        _set_extent(fig, ax, corners.min(axis=0), corners.max(axis=0), markers)
        land = _draw_land(ax, to_lonlat, crs, cache_dir=cache_dir)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        if scenario is not None:
            zh, english = PANEL_HEADINGS[scenario]
            ax.set_title(f"{zh} {english}", fontsize=10.5, loc="left", pad=4)
        patches_before, texts_before = len(ax.patches), len(ax.texts)
        bar_corner = _corners_by_ink(ax, canvas, width=0.34, height=0.13)[0]
        arrow_corner = next(
            corner
            for corner in _corners_by_ink(ax, canvas, width=0.1, height=0.2)
            if corner != bar_corner
        )
        km = _scale_bar(ax, to_lonlat, bar_corner)
        _north_arrow(ax, to_lonlat, to_map, arrow_corner)
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        furniture = [*ax.patches[patches_before:], *ax.texts[texts_before:]]
        obstacles = [artist.get_window_extent(renderer) for artist in furniture]
        obstacles += [
            artist.arrow_patch.get_window_extent(renderer)
            for artist in furniture
            if isinstance(artist, Annotation) and artist.arrow_patch is not None
        ]
        placed += place_labels(
            fig,
            ax,
            label_candidates(projected, land),
            obstacles=obstacles,
            markers=marker_boxes(ax, projected),
            lines=_line_pixels(ax, projected),
        )
    # The after panel's legend first: it holds every class the today panel has, and more.
    for scenario, shown in reversed(panels):
        for entry, frame in shown:
            if entry.layer == "rail_stations":
                frame = station_points(frame)
            heading = _shared_heading(entry) if scenario is not None else entry.label
            rows = [
                row for row in legend_entries(frame, entry) if (heading, row[1]) not in legend_texts
            ]
            if rows:
                grouped.setdefault(heading, []).extend(rows)
            legend_texts.update((heading, text) for _, text in rows)
    for heading, rows in grouped.items():
        legend.append((Line2D([], [], linestyle="none"), heading))
        legend.extend(rows)
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
    for text in drawn.get_texts():
        if text.get_text().replace("\n", " ") in grouped:
            text.set_fontweight("bold")

    credit = (
        f"{settings.attribution}; {CONTEXT_CREDIT}. "
        "Rail lines are drawn through their stations, straight or (operating sections, where "
        "it has the line) along the simplified railway graph; "
        "positions are approximate where precision_m says so. "
        f"Transverse Mercator centred on {(bounds[0] + bounds[2]) / 2:.1f}°E; "
        f"scale bar measured on the WGS84 ellipsoid. chengyu-corridors, {date.today():%Y-%m-%d}."
    )
    fig.text(0.02, 0.015, textwrap.fill(credit, 190), fontsize=6, color="#444444", va="bottom")
    log(
        f"figure {definition.name}: {len(panels)} panel(s), {len(placed)} labels placed, "
        f"scale bar {km:g} km"
    )
    return DrawnFigure(fig, axes[-1], crs, km, placed, axes)


def _line_pixels(ax: Axes, projected: Sequence[tuple[MapLayer, gpd.GeoDataFrame]]) -> np.ndarray:
    """Screen positions along the drawn lines, every few pixels, that place names must avoid."""
    (x0, x1), _ = ax.get_xlim(), ax.get_ylim()
    step = (x1 - x0) / 300
    points = []
    for entry, frame in projected:
        if ALL_SPECS[entry.layer].geometry != "line" or not len(frame):
            continue
        dense = frame.geometry.segmentize(step).get_coordinates()
        points.append(dense.to_numpy())
    if not points:
        return np.empty((0, 2))
    return np.asarray(ax.transData.transform(np.vstack(points)))


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
    cache_dir: Path | None = None,
) -> list[Path]:
    """Write ``out_dir/figures/<map>.<fmt>`` for each map definition (or those in ``names``).

    A definition whose layers are not built is skipped with a log line. The land outlines
    are cached in ``cache_dir`` (default ``geo._io.cache_for(out_dir)``).

    Raises
    ------
    ChengyuError
        For an unknown map name or format.
    """
    if fmt not in FORMATS:
        raise ChengyuError(f"figure format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out_dir or settings.out_dir)
    folder = out / "figures"
    cache = cache_for(out) if cache_dir is None else cache_dir
    written = []
    for definition in select_definitions(names, maps_dir=maps_dir):
        needed = {*definition.requires, *(entry.layer for entry in definition.layers)}
        missing = sorted(name for name in needed if name not in layers)
        if missing:
            log(f"figure {definition.name}: skipped, layers {missing} not built")
            continue
        written.append(
            render_figure(
                definition, layers, folder / f"{definition.name}.{fmt}", dpi=dpi, cache_dir=cache
            )
        )
    return written
