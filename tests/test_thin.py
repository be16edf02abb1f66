"""Size guard rails: a layer far beyond this region's size still makes a usable web map."""

from __future__ import annotations

import json
import logging
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import settings
from geo.analysis.stage import analyse
from geo.outputs.browser import open_page
from geo.outputs.webmap import (
    SIMPLIFY_DEGREES,
    display_features,
    make_map,
    popup_content,
    render_maps,
    write_maps,
)
from geo.outputs.webmap._thin import thin_points, thin_shapes
from geo.sources.mapdefs import MapDefinition, MapLayer

_AIRPORTS = MapLayer("airports", "机场", "Airports", searchable=True)
_COUNTIES = MapLayer("admin_areas", "区县", "Counties")
_ROADS = MapLayer("expressways", "高速公路", "Expressways")


def _airports(count: int) -> gpd.GeoDataFrame:
    """``count`` generated airports spread over the region, in id order like a loaded layer."""
    rng = np.random.default_rng(9)
    lon_min, lat_min, lon_max, lat_max = settings.region_bounds
    lon, lat = rng.uniform(lon_min, lon_max, count), rng.uniform(lat_min, lat_max, count)
    ids = [f"a{number:06d}" for number in range(count)]
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "name_zh": [f"机场{number}" for number in range(count)],
            "name_en": [f"Airport {number}" for number in range(count)],
            "status": "operating",
            "source": "generated for a test",
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )


#: A nationwide layer's extent: about mainland China's bounds (longitude, latitude).
_CHINA = (73.5, 18.0, 135.0, 53.5)


def _counties(count: int, *, vertices: int = 200) -> gpd.GeoDataFrame:
    """``count`` generated county outlines of ``vertices`` points on a grid over China.

    Each is a star-like ring (its radius alternately 25–45 % longer and shorter), none touching
    another, in adcode order like a loaded layer. Over China, 20,000 of them are large enough
    (about 0.2° across) for their spikes to outlast the display generalisation (0.007°); over
    the region, that generalisation alone would bring them down to about 20 vertices each.
    """
    rng = np.random.default_rng(11)
    lon_min, lat_min, lon_max, lat_max = _CHINA
    columns = int(np.ceil(np.sqrt(count * (lon_max - lon_min) / (lat_max - lat_min))))
    step_x = (lon_max - lon_min) / columns
    step_y = (lat_max - lat_min) / int(np.ceil(count / columns))
    number = np.arange(count)
    centre_x = lon_min + (number % columns + 0.5) * step_x
    centre_y = lat_min + (number // columns + 0.5) * step_y
    angles = np.linspace(0, 2 * np.pi, vertices - 1, endpoint=False)
    spikes = (-1) ** np.arange(vertices - 1) * rng.uniform(0.25, 0.45, (count, vertices - 1))
    radius = 0.3 * min(step_x, step_y) * (1 + spikes)
    x = centre_x[:, None] + radius * np.cos(angles)
    y = centre_y[:, None] + radius * np.sin(angles)
    closed = np.stack([np.c_[x, x[:, :1]], np.c_[y, y[:, :1]]], axis=2)
    return gpd.GeoDataFrame(
        {
            "adcode": [f"{900000 + n}" for n in number],
            "level": "county",
            "name_zh": [f"测试县{n}" for n in number],
            "population_2020": 1000 + number,
            "source": "generated for a test",
        },
        geometry=shapely.polygons(closed),
        crs="EPSG:4326",
    )


def _roads(count: int, *, vertices: int = 100_000) -> gpd.GeoDataFrame:
    """``count`` generated roads of ``vertices`` points winding across the region.

    Each wanders (its heading drifts) in steps of about 30 m with a jitter of up to 55 m,
    more than the display generalisation (about 20 m) removes.
    """
    rng = np.random.default_rng(12)
    lon_min, lat_min, lon_max, lat_max = settings.region_bounds
    heading = rng.uniform(0, 2 * np.pi, (count, 1)) + np.cumsum(
        rng.normal(0, 0.01, (count, vertices)), axis=1
    )
    x = rng.uniform(lon_min, lon_max, (count, 1)) + np.cumsum(0.0003 * np.cos(heading), axis=1)
    y = rng.uniform(lat_min, lat_max, (count, 1)) + np.cumsum(0.0003 * np.sin(heading), axis=1)
    x += rng.uniform(-0.0005, 0.0005, x.shape)
    y += rng.uniform(-0.0005, 0.0005, y.shape)
    number = np.arange(count)
    return gpd.GeoDataFrame(
        {
            "id": [f"r{n:04d}" for n in number],
            "name_zh": [f"测试高速{n}" for n in number],
            "name_en": [f"Test expressway {n}" for n in number],
            "status": "operating",
            "source": "generated for a test",
        },
        geometry=shapely.linestrings(np.stack([x, y], axis=2)),
        crs="EPSG:4326",
    )


def test_a_small_layer_is_not_thinned():
    frame = _airports(100)
    kept, thinning = thin_points(frame, limit=100)
    assert kept is frame and thinning is None


def test_thinning_keeps_at_most_the_limit_spread_over_the_area_and_is_repeatable():
    frame = _airports(20_000)
    kept, thinning = thin_points(frame, limit=1000)
    assert thinning is not None and thinning.total == 20_000
    assert 500 < thinning.shown == len(kept) <= 1000
    assert list(kept["id"]) == sorted(kept["id"])  # frame order kept
    # Spread: every quarter of the region keeps points, in about its share.
    east = (kept.geometry.x > np.mean(settings.region_bounds[::2])).mean()
    north = (kept.geometry.y > np.mean(settings.region_bounds[1::2])).mean()
    assert 0.35 < east < 0.65 and 0.35 < north < 0.65
    again, _ = thin_points(frame, limit=1000)
    assert list(again["id"]) == list(kept["id"])


def test_two_hundred_thousand_airports_make_a_small_map_that_says_it_is_thinned(tmp_path, caplog):
    definition = MapDefinition("airports", "机场", "Airports", layers=(_AIRPORTS,))
    layers = {"airports": _airports(200_000)}
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        html = make_map(definition, layers, offline=True).get_root().render()
    assert len(html) < 10_000_000
    block = re.search(r'id="chengyu-group-0">(.*?)</script>', html, re.DOTALL)
    assert block is not None
    shown = len(json.loads(block.group(1))["data"]["features"])
    assert shown <= settings.web_max_points_per_group
    assert "200,000 points" in caplog.text and f"showing {shown:,}" in caplog.text
    path = tmp_path / "airports.html"
    path.write_text(html, encoding="utf-8")
    with open_page(path) as (page, report):
        note = page.locator(".chengyu-legend .chengyu-note").inner_text()
    assert f"showing {shown:,} of 200,000 points" in note and "km grid cell" in note
    assert report.page_errors == []


def test_a_map_over_the_size_limit_is_written_with_a_warning(tmp_path, monkeypatch, caplog):
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "airports.toml").write_text(
        'name = "airports"\ntitle_zh = "机场"\ntitle_en = "Airports"\n'
        '[[layers]]\nlayer = "airports"\nlabel_zh = "机场"\nlabel_en = "Airports"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(settings, "web_max_map_mb", 0.2)
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        (path,) = write_maps({"airports": _airports(2000)}, out_dir=tmp_path, maps_dir=maps)
    assert path.stat().st_size > 200_000
    assert re.search(r"airports\.html is \d+\.\d MB, over settings\.web_max_map_mb", caplog.text)
    caplog.clear()
    monkeypatch.setattr(settings, "web_max_map_mb", 20.0)
    write_maps({"airports": _airports(2000)}, out_dir=tmp_path, maps_dir=maps)
    assert "web_max_map_mb" not in caplog.text


@pytest.mark.parametrize("limit", [1, 7])
def test_a_tiny_limit_still_terminates(limit):
    kept, thinning = thin_points(_airports(500), limit=limit)
    assert thinning is not None and 1 <= len(kept) <= limit


# --- lines and polygons: a vertex budget per group -------------------------------------------


def _vertices(shapes: object) -> int:
    return int(shapely.get_num_coordinates(np.asarray(shapes, dtype=object)).sum())


def test_shapes_within_the_budget_are_left_alone():
    shapes = list(_counties(50).geometry)
    kept, shown, thinning = thin_shapes(
        shapes, geometry="polygon", limit=_vertices(shapes), start_degrees=0.007
    )
    assert thinning is None and list(kept) == list(range(50))
    assert all(a is b for a, b in zip(shown, shapes, strict=True))


@pytest.mark.parametrize("geometry", ["polygon", "line"])
def test_shapes_over_the_budget_are_simplified_until_under_it_and_all_kept(geometry):
    frame = _counties(2000) if geometry == "polygon" else _roads(10, vertices=20_000)
    shapes = list(frame.geometry)
    kept, shown, thinning = thin_shapes(
        shapes, geometry=geometry, limit=20_000, start_degrees=SIMPLIFY_DEGREES[geometry]
    )
    assert thinning is not None and thinning.geometry == geometry
    assert thinning.shown == thinning.total == len(frame) == len(kept) == len(shown)
    assert thinning.vertices == _vertices(shapes) > 20_000
    assert thinning.vertices_shown == _vertices(shown) <= 20_000
    # Step by step: the tolerance is the first doubling that fits, not a coarser one.
    assert thinning.tolerance_degrees > SIMPLIFY_DEGREES[geometry]
    finer = shapely.simplify(
        np.asarray(shapes, dtype=object), thinning.tolerance_degrees / 2, preserve_topology=False
    )
    assert _vertices(finer) > 20_000
    shown_array = np.asarray(shown, dtype=object)
    assert shapely.is_valid(shown_array).all() and not shapely.is_empty(shown_array).any()
    # Each shape stays where it was (simplified, not moved): every 20th vertex of it lies
    # within the tolerance of what is drawn.
    for shape, drawn in zip(shapes, shown, strict=True):
        vertices = shapely.points(shapely.get_coordinates(shape)[::20])
        assert (
            shapely.distance(vertices, drawn.boundary if geometry == "polygon" else drawn).max()
            <= thinning.tolerance_degrees * 1.0001
        )
    again = thin_shapes(
        shapes, geometry=geometry, limit=20_000, start_degrees=SIMPLIFY_DEGREES[geometry]
    )
    assert again[2] == thinning


def test_when_simplifying_is_not_enough_the_smallest_polygons_are_left_out():
    # 3,000 polygons need at least 4 vertices each (12,000): a budget of 8,000 cannot keep all.
    shapes = list(_counties(3000).geometry)
    kept, shown, thinning = thin_shapes(shapes, geometry="polygon", limit=8000, start_degrees=0.007)
    assert thinning is not None and thinning.total == 3000
    assert thinning.shown == len(kept) == len(shown) < 3000
    assert _vertices(shown) == thinning.vertices_shown <= 8000
    assert list(kept) == sorted(kept)  # frame order kept
    simplified = shapely.simplify(
        np.asarray(shapes, dtype=object), thinning.tolerance_degrees, preserve_topology=True
    )
    dropped = np.setdiff1d(np.arange(3000), kept)
    assert shapely.area(simplified[kept]).min() >= shapely.area(simplified[dropped]).max()


def _popups_match(features: list[dict], frame: gpd.GeoDataFrame, layer: str) -> bool:
    """Whether each feature's popup is the one its own row of ``frame`` makes."""
    rows = {row["name_zh"]: row for row in frame.to_dict("records")}
    return all(
        f["properties"]["_p"] == popup_content(rows[f["properties"]["_p"]["h"][0]], layer)
        for f in features
    )


def test_the_polygons_kept_keep_their_own_popups_and_the_legend_counts_the_rest(
    monkeypatch, caplog
):
    frame = _counties(1000)
    monkeypatch.setattr(settings, "web_max_vertices_per_group", 2700)
    data = display_features(frame, _COUNTIES)
    features = data["features"]
    shown = data["thinned"]["shown"]
    assert shown == len(features) < data["thinned"]["total"] == 1000
    definition = MapDefinition("few", "县", "Counties", layers=(_COUNTIES,))
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        html = make_map(definition, {"admin_areas": frame}).get_root().render()
    (note,) = json.loads(re.search(r'id="chengyu-controls">(.*?)</script>', html).group(1))["notes"]
    assert f"显示 {shown:,} / 1,000 个面（最小的未显示）" in note
    assert f"showing {shown:,} of 1,000 polygons (the smallest left out), simplified to" in note
    assert f"the {1000 - shown:,} smallest of 1,000 polygons left out" in caplog.text
    assert _popups_match(features, frame, "admin_areas")
    # Each popup sits on its own polygon: the one nearest that county's centre.
    centres = shapely.get_coordinates(shapely.centroid(frame.geometry.array))
    drawn = shapely.get_coordinates(
        shapely.centroid([shapely.geometry.shape(f["geometry"]) for f in features])
    )
    nearest = np.hypot(*(drawn[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)).argmin(1)
    assert [f["properties"]["_p"]["h"][0] for f in features] == list(frame["name_zh"].iloc[nearest])


def test_huge_lines_and_polygons_make_a_light_map_that_says_it_is_simplified(
    tmp_path, caplog, monkeypatch, shared_chromium
):
    # A fortieth of the measured case (20,000 polygons and 40 lines against a budget of 100,000
    # vertices: 74.5 and 56.7 MB without it, 10.7 MB with it), with a fortieth of the budget.
    monkeypatch.setattr(settings, "web_max_vertices_per_group", 2_500)
    counties, roads = _counties(500), _roads(2, vertices=50_000)
    definition = MapDefinition("huge", "大图层", "Huge layers", layers=(_COUNTIES, _ROADS))
    layers = {"admin_areas": counties, "expressways": roads}
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        html = make_map(definition, layers, offline=True).get_root().render()
    assert len(html.encode("utf-8")) < 1_000_000
    groups = [
        json.loads(block)["data"]["features"]
        for block in re.findall(r'id="chengyu-group-\d">(.*?)</script>', html, re.DOTALL)
    ]
    for features, frame, layer in (
        (groups[0], counties, "admin_areas"),
        (groups[1], roads, "expressways"),
    ):
        # Every feature kept, in order, each with its own popup.
        assert [f["properties"]["_p"]["h"][0] for f in features] == list(frame["name_zh"])
        assert _popups_match(features, frame, layer)
        shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
        assert _vertices(shapes) <= settings.web_max_vertices_per_group
    assert re.search(
        r"'区县 Counties': 100,000 vertices, more than the web map's 2,500: simplified at "
        r"[\d.]+° \(about [\d.]+ k?m\), 100,000 → [\d,]+ vertices; all 500 polygons shown",
        caplog.text,
    )
    assert re.search(r"'高速公路 Expressways': [\d,]+ vertices, .*; all 2 lines shown", caplog.text)
    path = tmp_path / "huge.html"
    path.write_text(html, encoding="utf-8")
    with open_page(path) as (page, report):
        notes = page.locator(".chengyu-legend .chengyu-note").all_inner_texts()
        drawn = page.evaluate("() => window.chengyuLayers.map(e => e.wgs.getLayers().length)")
    assert report.page_errors == []
    assert drawn == [500, 2]
    assert len(notes) == 2
    assert re.search(r"all 500 polygons simplified to about [\d.]+ k?m \(", notes[0])
    assert "100,000 → " in notes[0] and "区县 Counties：全部 500 个面" in notes[0]
    assert "all 2 lines simplified to about" in notes[1]


def test_the_projects_own_maps_are_not_simplified(monkeypatch, caplog):
    layers = analyse().layers
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        pages = render_maps(layers, offline=True)
    assert sorted(pages) == ["corridor", "coverage", "overview", "reach"]
    assert "vertices, more than" not in caplog.text
    # The same page data as with no budget at all: nothing simplified further, no note.
    monkeypatch.setattr(settings, "web_max_vertices_per_group", 10**12)
    unlimited = render_maps(layers, offline=True)
    data = r'<script type="application/json" id="([^"]+)">(.*?)</script>'
    for name, html in pages.items():
        blocks = dict(re.findall(data, html, re.DOTALL))
        assert blocks == dict(re.findall(data, unlimited[name], re.DOTALL))
        assert json.loads(blocks["chengyu-controls"])["notes"] == []
        for key, block in blocks.items():
            if key.startswith("chengyu-group-"):
                features = json.loads(block)["data"]["features"]
                shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
                assert _vertices(shapes) <= settings.web_max_vertices_per_group / 2
