"""Names on the static figures: which stations, hubs and places to name, and where.

Labels are placed greedily by priority beside their points, clear of the scale bar, the north
arrow, the point markers and each other; a label that fits nowhere is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from geo.outputs._figure_symbols import HALO, PT_PER_MM, station_points
from geo.outputs._styles import STYLES, Symbol
from geo.sources._schema import ALL_SPECS
from geo.sources.mapdefs import MapLayer


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


def _clearance(symbol: Symbol) -> float:
    """How far a label stands from its point, in points: half the marker and a gap."""
    return symbol.size_mm * PT_PER_MM / 2 + 2.5


def label_candidates(
    shown: Sequence[tuple[MapLayer, gpd.GeoDataFrame]], land: gpd.GeoDataFrame
) -> list[_Label]:
    """Names worth placing, most important first: interchanges and line ends, hubs, airports."""
    labels: list[_Label] = [
        _Label(point.x, point.y, f"{row.name_zh}\n{row.name_en}", 5, 9, "#8c8c8c", 0, True)
        for row, point in zip(land.itertuples(), land.geometry.representative_point(), strict=True)
    ]
    for entry, frame in shown:
        if entry.layer == "rail_stations":
            for row in station_points(frame).itertuples():
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


def place_labels(
    fig: Figure,
    ax: Axes,
    labels: Sequence[_Label],
    *,
    obstacles: Sequence[Bbox] = (),
    markers: Sequence[Bbox] = (),
    lines: np.ndarray | None = None,
) -> list[Text]:
    """Place each label beside its point where it overlaps nothing placed before; return them.

    Tries eight spots around the point in turn; a label that fits nowhere inside the map is
    left out, so lower priorities lose. ``obstacles`` (scale bar, north arrow) and the labels
    already placed are always kept clear; ``markers`` too, except by a main label (priority
    100 and more) that finds no other spot: a city's name matters more than a marker's edge.
    A centred name of an area (a country) also keeps off ``lines``, screen points along the
    drawn lines, so that it does not sit on a route.
    """
    assert isinstance(fig.canvas, FigureCanvasAgg)
    renderer = fig.canvas.get_renderer()  # type: ignore[no-untyped-call]
    frame = ax.get_window_extent(renderer)
    placed_boxes = _extents([])
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
        passes = [_extents([*obstacles, *markers])]
        if label.priority >= 100:
            passes.append(_extents(obstacles))
        # A label's box has the same size at every spot: measure it once, not once a spot
        # (measuring is a Text laid out by the renderer, 8 spots × 1,000 labels a figure).
        width, height = _text_size(ax, renderer, label)
        for clear in passes:
            chosen = next(
                (
                    (dx, dy, ha, va)
                    for dx, dy, ha, va in spots
                    if _fits(
                        _box_at(x_px + dx, y_px + dy, width, height, ha, va).padded(fig.dpi / 72),
                        frame=frame,
                        lines=lines if label.centred else None,
                        clear=clear,
                        placed=placed_boxes,
                    )
                ),
                None,
            )
            if chosen is not None:
                dx, dy, ha, va = chosen
                x, y = ax.transData.inverted().transform((x_px + dx, y_px + dy))
                text = _text(ax, label, x, y, ha=ha, va=va)
                box = text.get_window_extent(renderer).padded(fig.dpi / 72)
                placed_boxes = np.vstack([placed_boxes, _extents([box])])
                placed.append(text)
                break
    return placed


def _text(ax: Axes, label: _Label, x: float, y: float, *, ha: str, va: str) -> Text:
    return ax.text(
        x,
        y,
        label.text,
        ha=ha,
        va=va,
        fontsize=label.size,
        color=label.color,
        linespacing=1.0,
        zorder=15,
        path_effects=HALO,
        parse_math=False,
    )


def _text_size(ax: Axes, renderer: RendererBase, label: _Label) -> tuple[float, float]:
    """Width and height of a label's box in pixels (the same whatever its alignment)."""
    probe = _text(ax, label, label.x, label.y, ha="left", va="bottom")
    box = probe.get_window_extent(renderer)
    probe.remove()
    return box.width, box.height


def _box_at(x: float, y: float, width: float, height: float, ha: str, va: str) -> Bbox:
    """Return the box of a text of that size aligned ``ha``/``va`` on the pixel (x, y)."""
    x0 = {"left": x, "right": x - width, "center": x - width / 2}[ha]
    y0 = {"bottom": y, "top": y - height, "center": y - height / 2}[va]
    return Bbox.from_bounds(x0, y0, width, height)


def _fits(
    box: Bbox, *, frame: Bbox, lines: np.ndarray | None, clear: np.ndarray, placed: np.ndarray
) -> bool:
    """Whether a label's box lies inside the map, off ``lines`` and clear of every box."""
    inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
    return (
        inside
        and not _covers_any(box, lines)
        and not _overlaps_any(box, clear)
        and not _overlaps_any(box, placed)
    )


def _extents(boxes: Sequence[Bbox]) -> np.ndarray:
    """Boxes as rows of (x0, y0, x1, y1), each with x0 <= x1 and y0 <= y1."""
    if not boxes:
        return np.empty((0, 4))
    extents = np.array([box.extents for box in boxes], dtype=float)
    return np.hstack(
        [np.minimum(extents[:, :2], extents[:, 2:]), np.maximum(extents[:, :2], extents[:, 2:])]
    )


def _overlaps_any(box: Bbox, others: np.ndarray) -> bool:
    """``any(box.overlaps(other) for other in others)`` (touching counts), as one array test."""
    x0, x1 = sorted((box.x0, box.x1))
    y0, y1 = sorted((box.y0, box.y1))
    return bool(
        np.any(
            (x0 <= others[:, 2])
            & (others[:, 0] <= x1)
            & (y0 <= others[:, 3])
            & (others[:, 1] <= y1)
        )
    )


def _covers_any(box: Bbox, points: np.ndarray | None) -> bool:
    """Whether any of ``points`` (screen pixels, one per row) lies in ``box``."""
    if points is None or not len(points):
        return False
    xs, ys = points[:, 0], points[:, 1]
    return bool(np.any((xs >= box.x0) & (xs <= box.x1) & (ys >= box.y0) & (ys <= box.y1)))


def marker_boxes(ax: Axes, projected: Sequence[tuple[MapLayer, gpd.GeoDataFrame]]) -> list[Bbox]:
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
            half = style.symbol(row).size_mm * PT_PER_MM * points_per_pixel / 2
            boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    return boxes
