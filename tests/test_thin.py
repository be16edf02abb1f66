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
from geo._mapdefs import MapDefinition, MapLayer
from geo._thin import thin_points
from geo.browser import open_page
from geo.webmap import make_map, write_maps

_AIRPORTS = MapLayer("airports", "机场", "Airports", searchable=True)


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
