"""Station access by road on the OpenStreetMap-derived highway graph of scgraph_data."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
from shapely import Point

from geo.analysis.population import for_access
from geo.analysis.road_access import _within, drive_areas
from geo.sources.layers import load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return load_layers(["rail_stations", "admin_areas"])


@pytest.fixture(scope="module")
def areas(layers, tmp_path_factory) -> gpd.GeoDataFrame:
    surface = for_access(layers["admin_areas"])  # the population surface, by default
    return drive_areas(
        layers["rail_stations"], population=surface, cache_dir=tmp_path_factory.mktemp("drive")
    ).set_index("id")


def test_drive_areas_grow_with_time_and_with_the_new_lines(areas):
    assert areas.crs.to_epsg() == 4326
    assert areas.loc["today-60min", "area_km2"] > areas.loc["today-30min", "area_km2"] > 0
    assert areas.loc["after-30min", "area_km2"] > areas.loc["today-30min", "area_km2"]
    assert areas.loc["after-60min", "people"] >= areas.loc["today-60min", "people"] > 0
    assert areas.loc["after-60min", "people"] <= 83_674_866 + 32_054_159


def test_a_drive_area_contains_its_station_and_reaches_beyond_the_band(layers, areas):
    chengdu_east = layers["rail_stations"].query("station_id == 'chengdu_dong'").geometry.iloc[0]
    assert areas.loc["today-30min"].geometry.contains(chengdu_east)
    # Thirty minutes at 60 km/h reach well past the 2 km band around the first road node.
    assert areas.loc["today-30min", "area_km2"] / areas.loc["today-30min", "stations"] > 50


def test_a_station_far_from_any_road_gets_no_area(tmp_path):
    at_sea = gpd.GeoDataFrame(
        {"station_id": ["x"], "status": ["operating"]}, geometry=[Point(111.0, 16.5)], crs=4326
    )
    result = drive_areas(at_sea, cache_dir=tmp_path).set_index("id")
    assert (result["off_road"] == 1).all() and (result["stations"] == 0).all()
    assert result.geometry.is_empty.all()


def test_drive_areas_are_cached(layers, tmp_path, monkeypatch):
    first = drive_areas(layers["rail_stations"], minutes=[20], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("drive-areas-*.cache"))) == 1

    def no_second_load(*args: object) -> None:
        raise AssertionError("the road graph was loaded again: the cache was not used")

    monkeypatch.setattr("geo.analysis.road_access._road_graph", no_second_load)
    again = drive_areas(layers["rail_stations"], minutes=[20], cache_dir=tmp_path)
    assert list(again.geometry.to_wkb()) == list(first.geometry.to_wkb())


@pytest.mark.parametrize("starts", [[(0, 3.0), (0, 1.0)], [(0, 1.0), (0, 3.0)]])
def test_two_stations_on_one_road_node_start_from_the_shorter_spur(starts):
    roads = nx.DiGraph()
    roads.add_edge(0, 1, km=5.0)
    assert _within(roads, starts, limit_km=10.0) == {0: 1.0, 1: 6.0}
    assert list(roads.edges) == [(0, 1)]  # the virtual source is gone again
