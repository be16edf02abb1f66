"""The maps read right: lines, rings and labels stand out over fills; classes apart per origin."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image

from geo.analysis.stage import analyse
from geo.outputs.browser import open_page
from geo.outputs.webmap import load_map_definitions, write_maps

pytestmark = pytest.mark.usefixtures("shared_chromium")

#: WCAG 2 contrast: 3:1 for a graphical object (a line), 4.5:1 for text.
LINE_CONTRAST, TEXT_CONTRAST = 3.0, 4.5


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return analyse().layers


@pytest.fixture(scope="module")
def offline_maps(layers, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("maps")
    paths = write_maps(layers, out_dir=folder, offline=True, names=["coverage", "reach"])
    return {path.stem: path for path in paths}


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (0–255), over the last axis."""
    c = rgb[..., :3].astype(float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _contrast(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    high, low = np.maximum(first, second), np.minimum(first, second)
    return (high + 0.05) / (low + 0.05)


def _quiet_point_on_line(layers: dict[str, gpd.GeoDataFrame], line_id: str) -> shapely.Point:
    """A point of a line over a county of the darkest class, away from every other feature."""
    coverage = layers["station_coverage"]
    darkest = coverage[coverage["covered_class"] == "75pct_plus"].union_all()
    lines = layers["rail_lines"]
    others = lines[lines["line_id"] != line_id].union_all()
    stations = layers["rail_stations"].union_all()
    catchments = layers["station_catchments"]
    rings = catchments[catchments["scenario"] == "after"].boundary.union_all()
    edges = coverage.boundary.union_all()
    for line in lines.loc[lines["line_id"] == line_id, "geometry"]:
        for share in np.linspace(0.02, 0.98, 200):
            point = line.interpolate(share, normalized=True)
            # At zoom 10 a pixel is about 0.0012°: other lines and stations over 40 px away.
            if (
                darkest.contains(point)
                and point.distance(others) > 0.06
                and point.distance(stations) > 0.06
                and point.distance(rings) > 0.02
                and point.distance(edges) > 0.02
            ):
                return point
    raise AssertionError(f"no quiet point of {line_id} over the darkest class")


_SET_VIEW = """([lat, lon]) => {
    const map = window[document.querySelector('.folium-map').id];
    map.setView([lat, lon], 10, {animate: false});
    const size = map.getSize();
    const box = map.getContainer().getBoundingClientRect();
    return [box.left + size.x / 2, box.top + size.y / 2];
}"""

_LABELS_OVER = """() => {
    const map = window[document.querySelector('.folium-map').id];
    const box = map.getContainer().getBoundingClientRect();
    return Array.from(document.querySelectorAll('.chengyu-label-point .chengyu-label-text'))
        .map(s => { const r = s.getBoundingClientRect();
            const c = map.containerPointToLatLng(
                [(r.left + r.right) / 2 - box.left, (r.top + r.bottom) / 2 - box.top]);
            return {text: s.textContent, box: [r.left, r.top, r.right, r.bottom],
                    lon: c.lng, lat: c.lat}; });
}"""


def _pixels(page: Any) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))


def _fill_alone(page: Any) -> None:
    """Hide every group but the county fills (the coverage group is the first)."""
    boxes = page.locator(".leaflet-control-layers-overlays input")
    for index in range(1, boxes.count()):
        if boxes.nth(index).is_checked():
            boxes.nth(index).uncheck()
    page.wait_for_timeout(300)


def test_a_line_and_a_station_label_stand_out_over_the_darkest_coverage_class(layers, offline_maps):
    # 成达万 in its vermillion, where it crosses a county of the darkest class.
    point = _quiet_point_on_line(layers, "cdw")
    darkest = layers["station_coverage"]
    darkest = darkest[darkest["covered_class"] == "75pct_plus"].union_all()
    with open_page(offline_maps["coverage"]) as (page, _):
        page.wait_for_function("window.chengyuReady")
        x, y = page.evaluate(_SET_VIEW, [point.y, point.x])
        page.wait_for_timeout(400)
        drawn = _pixels(page)
        labels = [
            label
            for label in page.evaluate(_LABELS_OVER)
            if darkest.contains(shapely.Point(label["lon"], label["lat"]))
        ]
        _fill_alone(page)
        fill = _pixels(page)
    x, y = round(x), round(y)
    around = (slice(y - 6, y + 7), slice(x - 6, x + 7))
    fill_luminance = float(np.median(_luminance(fill[around])))
    drawn_luminance = _luminance(drawn[around])
    # The county fill itself is light: the subject is drawn over it.
    assert fill_luminance > 0.45, fill_luminance
    # The line: at least 3:1 against the fill behind it.
    line = float(_contrast(drawn_luminance, fill_luminance).max())
    assert line >= LINE_CONTRAST, line
    # Its halo: a white casing, lighter than the fill, beside the line.
    assert float(drawn_luminance.max()) > fill_luminance + 0.05
    # A station label over the darkest class: its text at least 4.5:1 against the fill.
    assert labels, "no station label over the darkest class"
    left, top, right, bottom = (round(v) for v in labels[0]["box"])
    text = _luminance(drawn[top:bottom, left:right])
    behind = float(np.median(_luminance(fill[top:bottom, left:right])))
    assert float(_contrast(text, behind).max()) >= TEXT_CONTRAST, labels[0]["text"]


def test_the_coverage_legend_has_three_light_classes(offline_maps):
    definition = next(d for d in load_map_definitions() if d.name == "coverage")
    with open_page(offline_maps["coverage"]) as (page, _):
        group = page.locator(".chengyu-legend-group").first
        texts = group.locator(".chengyu-legend-item").all_inner_texts()
        fills = group.locator("svg rect").evaluate_all(
            "rects => rects.map(r => r.getAttribute('fill'))"
        )
    assert definition.layers[0].layer == "station_coverage"
    assert [text.strip() for text in texts] == [
        "无 none",
        "不足75% under 75 %",
        "75%以上 75 % or more",
    ]
    assert len(set(fills)) == 3
