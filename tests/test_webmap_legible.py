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
from geo.outputs.webmap import MapLayer, display_features, load_map_definitions, write_maps
from geo.outputs.webmap._legend import SCHEMATIC_LEGEND, legend_element

pytestmark = pytest.mark.usefixtures("shared_chromium")

#: WCAG 2 contrast: 3:1 for a graphical object (a line), 4.5:1 for text.
LINE_CONTRAST, TEXT_CONTRAST = 3.0, 4.5


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return analyse().layers


@pytest.fixture(scope="module")
def offline_maps(layers, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("maps")
    names = ["coverage", "reach", "overview"]
    paths = write_maps(layers, out_dir=folder, offline=True, names=names)
    return {path.stem: path for path in paths}


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (0–255), over the last axis."""
    c = rgb[..., :3].astype(float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _contrast(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    high, low = np.maximum(first, second), np.minimum(first, second)
    return (high + 0.05) / (low + 0.05)


def _clear_of(points: np.ndarray, geometries: Any, distance: float) -> np.ndarray:
    """Which points lie farther than ``distance`` (degrees) from every one of ``geometries``."""
    tree = shapely.STRtree(np.asarray(geometries))
    near, _ = tree.query(points, predicate="dwithin", distance=distance)
    clear = np.ones(len(points), dtype=bool)
    clear[near] = False
    return clear


def _first(points: np.ndarray, quiet: np.ndarray, what: str) -> shapely.Point:
    if not quiet.any():
        raise AssertionError(f"no quiet point {what}")
    return points[int(np.argmax(quiet))]


def _quiet_point_on_line(layers: dict[str, gpd.GeoDataFrame], line_id: str) -> shapely.Point:
    """A point of a line over a county of the darkest class, away from every other feature."""
    coverage = layers["station_coverage"]
    darkest = coverage[coverage["covered_class"] == "75pct_plus"].geometry.values
    lines = layers["rail_lines"]
    catchments = layers["station_catchments"]
    points = np.concatenate(
        [
            shapely.line_interpolate_point(line, np.linspace(0.02, 0.98, 200), normalized=True)
            for line in lines.loc[lines["line_id"] == line_id, "geometry"]
        ]
    )
    # At zoom 10 a pixel is about 0.0012°: other lines and stations over 40 px away.
    quiet = (
        ~_clear_of(points, darkest, 0.0)
        & _clear_of(points, lines.loc[lines["line_id"] != line_id].geometry.values, 0.06)
        & _clear_of(points, layers["rail_stations"].geometry.values, 0.06)
        & _clear_of(points, catchments[catchments["scenario"] == "after"].boundary.values, 0.02)
        & _clear_of(points, coverage.boundary.values, 0.02)
    )
    return _first(points, quiet, f"of {line_id} over the darkest class")


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


def _quiet_overlap_of_two_hours(layers: dict[str, gpd.GeoDataFrame]) -> shapely.Point:
    """A point within two hours of both origins, within one hour of neither, away from lines."""
    reach = layers["rail_reach"]
    after = reach[reach["scenario"] == "after"]
    two = after[after["ring"] == "120 min"]
    one = after[after["ring"] == "60 min"].union_all()
    both = shapely.intersection_all(list(two.geometry)).difference(one)
    # Search a grid over the overlap for a point clear of everything drawn.
    left, bottom, right, top = both.bounds
    lon, lat = np.meshgrid(
        np.linspace(left, right, 60), np.linspace(bottom, top, 60), indexing="ij"
    )
    points = shapely.points(lon.ravel(), lat.ravel())
    shapely.prepare(both)
    quiet = (
        shapely.contains(both, points)
        & _clear_of(points, layers["rail_lines"].geometry.values, 0.03)
        & _clear_of(points, layers["rail_stations"].geometry.values, 0.04)
        & _clear_of(points, after.boundary.values, 0.02)
        & _clear_of(points, layers["admin_areas"].boundary.values, 0.02)
    )
    return _first(points, quiet, "where the two-hour areas overlap")


def test_where_the_two_origins_overlap_no_fills_mix(layers, offline_maps):
    point = _quiet_overlap_of_two_hours(layers)
    with open_page(offline_maps["reach"]) as (page, _):
        page.wait_for_function("window.chengyuReady")
        x, y = page.evaluate(_SET_VIEW, [point.y, point.x])
        page.wait_for_timeout(400)
        drawn = _pixels(page)
        page.locator(".leaflet-control-layers-overlays label", has_text="Reach after").locator(
            "input"
        ).uncheck()
        page.wait_for_timeout(300)
        behind = _pixels(page)
    x, y = round(x), round(y)
    around = (slice(y - 3, y + 4), slice(x - 3, x + 4))
    # Two hours from both origins: outlines only, so the map behind shows as it is (no olive).
    difference = np.abs(drawn[around].astype(int) - behind[around].astype(int)).max()
    assert difference <= 6, (drawn[y, x], behind[y, x])


def test_the_reach_legend_has_a_swatch_per_origin_and_time(layers):
    definition = next(d for d in load_map_definitions() if d.name == "reach")
    group = next(
        g for g in legend_element(definition, layers) if g["label"].endswith("new lines open")
    )
    texts = [item["text"] for item in group["items"]]
    assert texts == [
        "成都东 Chengdu East · 1小时 60 min",
        "成都东 Chengdu East · 2小时 120 min",
        "重庆北 Chongqing North · 1小时 60 min",
        "重庆北 Chongqing North · 2小时 120 min",
        "两地1小时均可达 reached from both within 60 min",
    ]
    swatches = [tuple(sorted(item["swatch"]["attrs"].items())) for item in group["items"]]
    assert len(set(swatches)) == 5
    # Each origin in one colour (its outline), one hour filled, two hours not.
    strokes = [item["swatch"]["attrs"]["stroke"] for item in group["items"]]
    assert strokes[0] == strokes[1] != strokes[2] == strokes[3]
    fills = [item["swatch"]["attrs"]["fill"] for item in group["items"]]
    assert fills[1] == fills[3] == "none" and "none" not in (fills[0], fills[2])


def test_the_one_hour_overlap_is_an_area_of_its_own_that_no_fill_lies_over(layers):
    definition = next(d for d in load_map_definitions() if d.name == "reach")
    entry = next(e for e in definition.layers if e.layer == "rail_reach" and e.show)  # after
    features = display_features(layers["rail_reach"], entry)["features"]
    both_text = "两地1小时均可达 reached from both within 60 min"
    overlap = [f for f in features if f["properties"]["_t"] == both_text]
    assert len(overlap) == 1
    both = shapely.geometry.shape(overlap[0]["geometry"])
    assert _km2(both) > 100  # around 璧山: 718 km² before the page's generalisation
    fills = [
        f for f in features if f["properties"]["_s"]["fill"] and f["properties"]["_t"] != both_text
    ]
    assert len(fills) == 2  # each origin's one hour
    for feature in fills:
        single = shapely.geometry.shape(feature["geometry"])
        assert _km2(single.intersection(both)) < 1.0, feature["properties"]["_t"]
    # Its own colour, not either origin's; the legend shows it in the same colour.
    colour = overlap[0]["properties"]["_s"]["fillColor"]
    assert colour not in {f["properties"]["_s"]["fillColor"] for f in fills}
    group = next(
        g for g in legend_element(definition, layers) if g["label"].endswith("new lines open")
    )
    swatch = next(i["swatch"] for i in group["items"] if i["text"] == both_text)
    assert swatch["attrs"]["fill"] == colour
    # The popup says where from: both origins.
    rows = dict(overlap[0]["properties"]["_p"]["r"])
    assert rows["起点 origin"] == "成都东、重庆北"


def _km2(shape: shapely.Geometry) -> float:
    from geo._geodesy import GEOD

    return abs(GEOD.geometry_area_perimeter(shape)[0]) / 1e6


def test_lines_drawn_as_straight_chords_are_thinner_and_say_so(layers):
    entry = MapLayer(layer="rail_lines", label_zh="高铁", label_en="HSR")
    data = display_features(layers["rail_lines"], entry)
    assert "schematic_station_chain" in set(layers["rail_lines"]["geometry_source"])
    weights: dict[bool, set[float]] = {True: set(), False: set()}
    for feature in data["features"]:
        rows = dict(feature["properties"]["_p"]["r"])
        chord = rows["几何来源 geometry source"].startswith("车站间直线示意")
        weights[chord].add(feature["properties"]["_s"]["weight"])
    assert weights[True] and weights[False]
    assert max(weights[True]) < min(weights[False])
    overview = next(d for d in load_map_definitions() if d.name == "overview")
    group = next(
        g for g in legend_element(overview, layers) if g["label"].endswith("High-speed rail")
    )
    assert group["items"][-1]["text"] == SCHEMATIC_LEGEND
    assert group["items"][-1]["swatch"]["attrs"]["stroke-width"] < max(
        item["swatch"]["attrs"]["stroke-width"] for item in group["items"]
    )


def test_a_stretch_two_roads_share_is_drawn_once_and_names_both(layers):
    entry = MapLayer(layer="expressways", label_zh="高速", label_en="Expressways")
    data = display_features(layers["expressways"], entry)
    headings = [feature["properties"]["_p"]["h"] for feature in data["features"]]
    shared = [h for h in headings if "遂渝高速" in h and "渝蓉高速（成安渝）" in h]
    assert len(shared) == 1
    shapes = {
        h[0]: shapely.geometry.shape(f["geometry"])
        for h, f in zip(headings, data["features"], strict=True)
        if len(h) == 2
    }
    # The two roads' own lines no longer run along each other (under 1 km, about 0.01°).
    overlap = shapes["遂渝高速"].intersection(shapes["渝蓉高速（成安渝）"].buffer(0.0005))
    assert overlap.length < 0.01
    merged = next(f for f in data["features"] if f["properties"]["_p"]["h"] == shared[0])
    assert dict(merged["properties"]["_p"]["r"])["共线里程 shared length"].startswith("75")


_PLACES = """() => {
    const map = window[document.querySelector('.folium-map').id];
    const entry = window.chengyuPlaces[0];
    const kinds = {};
    document.querySelectorAll('.chengyu-label-text').forEach(s => {
        const kind = ['town', 'county', 'seat']
            .find(k => s.classList.contains('chengyu-label-' + k));
        if (kind) { (kinds[kind] = kinds[kind] || []).push(s.textContent); }
    });
    return {kinds: kinds, markers: entry.group.getLayers().length - 0, zoom: map.getZoom()};
}"""


def test_a_close_offline_view_shows_towns_county_names_and_seats(offline_maps):
    with open_page(offline_maps["overview"]) as (page, report):
        page.wait_for_function("window.chengyuReady")
        page.wait_for_timeout(200)
        first = page.evaluate(_PLACES)
        page.evaluate(_SET_VIEW.replace(", 10,", ", 9,"), [30.75, 108.1])
        page.wait_for_timeout(300)
        county = page.evaluate(_PLACES)
        page.evaluate(_SET_VIEW.replace(", 10,", ", 11,"), [30.8, 108.4])  # Wanzhou
        page.wait_for_timeout(300)
        close = page.evaluate(_PLACES)
    assert report.blocked_requests == [] and report.page_errors == []
    # The overview stays clean: no town, county name or seat at the first view.
    assert first["kinds"] == {} and first["markers"] == 0
    assert len(county["kinds"].get("county", [])) >= 3
    assert len(close["kinds"].get("town", [])) >= 10
    assert any("Wanzhou" in text for text in close["kinds"]["town"])
    assert close["markers"] >= 1


_TIMELINE_LABELS = """() => {
    const out = [];
    window.chengyuLayers.filter(e => e.timeline).forEach(e => e.data.features.forEach(f => {
        ["_chengyuLabel", "_chengyuLabelBoth"].forEach(k => {
            const m = f[k];
            if (m && m._map) {
                const faded = m._chengyuText.classList.contains("chengyu-label-faded");
                out.push([f.properties._lt, f.properties._y, faded]);
            }
        });
    }));
    return out;
}"""


def test_on_the_timeline_names_fade_with_their_features(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        page.wait_for_function("window.chengyuReady")
        slider = page.locator(".chengyu-timeline input[type=range]")
        page.locator("#chengyu-timeline-on").check()
        slider.fill("2016")
        page.wait_for_timeout(200)
        in_2016 = page.evaluate(_TIMELINE_LABELS)
        page.locator("#chengyu-timeline-on").uncheck()
        page.wait_for_timeout(200)
        off = page.evaluate(_TIMELINE_LABELS)
    faded = {name for name, _, fades in in_2016 if fades}
    assert "成达万高铁" in faded  # its labelled section opens in 2027
    assert any(not fades for _, _, fades in in_2016)
    for name, year, fades in in_2016:
        assert fades == (year is None or year > 2016), name
    assert off and not any(fades for _, _, fades in off)


def test_station_labels_carry_the_english_name_where_there_is_room(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        page.wait_for_function("window.chengyuReady")
        page.wait_for_timeout(200)
        both = page.locator(".chengyu-label-text:has(.chengyu-label-en)").all_inner_texts()
        alone = page.locator(
            ".chengyu-label-point .chengyu-label-text:not(:has(.chengyu-label-en))"
        ).all_inner_texts()
    assert len(both) >= 3, both
    assert any(text.startswith("昆明南") and "Kunming South" in text for text in both), both
    # Where the English would overlap another name, the Chinese stands alone.
    assert alone, "every label had room for English: the fallback was not exercised"
