"""Static figures for reports: the maps of ``maps/*.toml`` drawn with matplotlib at A4.

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
from dataclasses import dataclass
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
from geo.errors import ChengyuError
from geo.outputs._context import CONTEXT_CREDIT, context_land
from geo.outputs._figure_labels import _label_candidates, _marker_boxes, _place_labels
from geo.outputs._figure_symbols import _HALO, _draw_group, _legend_entries, _station_points
from geo.outputs.webmap import group_features
from geo.sources._schema import ALL_SPECS
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


def _scale_bar(ax: Axes, to_lonlat: Transformer) -> float:
    """Draw a scale bar in the lower left, measured on the ellipsoid there; return its km."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x, y = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    probe = (x1 - x0) / 4
    lon_a, lat_a = to_lonlat.transform(x, y)
    lon_b, lat_b = to_lonlat.transform(x + probe, y)
    _, _, metres = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    metres_per_unit = metres / probe
    span_km = (x1 - x0) * metres_per_unit / 1000
    length_km = _nice_length_km(span_km)
    length = length_km * 1000 / metres_per_unit
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


def draw_figure(
    definition: MapDefinition,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    dpi: int,
    cache_dir: Path | None = None,
) -> DrawnFigure:
    """Draw a map definition on an A4 landscape matplotlib figure (not saved).

    Call it inside ``figure_style()`` so that the fonts are set and mathtext is off. The land
    outlines are cached in ``cache_dir`` (default ``geo._io.cache_for()``).
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
    land = _draw_land(ax, to_lonlat, crs, cache_dir=cache_dir)
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
        "Rail lines are drawn through their stations, straight or (operating sections, where "
        "it has the line) along the simplified railway graph; "
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
