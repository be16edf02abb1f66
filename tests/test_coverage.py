"""Station coverage: catchments in metres, dissolved, people by areal weighting, at any scale."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from distributed import Client, LocalCluster
from shapely import Point
from tobler.area_weighted import area_interpolate

from geo.coverage import (
    ALL_LINES,
    catchments,
    coverage,
    coverage_table,
    covered_weights,
    covered_weights_dask,
    population_cells,
    summary,
)
from geo.layers import load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return load_layers(["rail_stations", "admin_areas"])


@pytest.fixture(scope="module")
def counties(layers) -> gpd.GeoDataFrame:
    areas = layers["admin_areas"]
    return areas[areas["level"] == "county"]


@pytest.fixture(scope="module")
def areas(layers) -> gpd.GeoDataFrame:
    return catchments(layers["rail_stations"], radii_km=(5, 10, 30))


def test_catchments_are_drawn_in_utm_48n_not_degrees(areas):
    assert areas.crs.to_epsg() == 32648
    one = areas[
        (areas["line_id"] == "cy") & (areas["scenario"] == "today") & (areas["radius_km"] == 5)
    ]
    # 12 stations, 5 km each: at most 12 full circles of 78.5 km².
    assert 0 < one.area.iloc[0] / 1e6 <= 12 * math.pi * 25


def test_overlapping_catchments_are_dissolved_before_counting():
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["a", "b"],
            "line_id": ["t", "t"],
            "status": ["operating", "operating"],
        },
        geometry=[Point(106.50, 29.50), Point(106.51, 29.50)],  # about 1 km apart
        crs=4326,
    )
    area = catchments(stations, radii_km=(5,)).query("line_id == 't' and scenario == 'today'")
    km2 = area.area.iloc[0] / 1e6
    assert math.pi * 25 < km2 < 1.2 * math.pi * 25  # one circle and a sliver, not two circles


def test_a_station_on_two_lines_counts_once_in_all_lines(layers, areas):
    all_today = areas.query(f"line_id == '{ALL_LINES}' and scenario == 'after' and radius_km == 5")
    stations = layers["rail_stations"]
    counted = stations[stations["status"].isin(["operating", "under_construction"])]
    assert all_today["stations"].iloc[0] == counted["station_id"].nunique()


def test_people_by_areal_weighting_agree_with_tobler(counties, areas):
    pieces = coverage_table(counties, areas)
    table = summary(areas, pieces)
    targets = areas[areas.area > 0]
    expected = area_interpolate(
        counties.to_crs(areas.crs),
        targets,
        extensive_variables=["population_2020"],
        allocate_total=False,  # catchments overlap: each is a separate question
    )
    ours = table.loc[targets.index, "people"].to_numpy(dtype=float)
    np.testing.assert_allclose(ours, expected["population_2020"].to_numpy(), rtol=1e-6, atol=1)


def test_the_new_lines_only_add_coverage(areas, counties):
    table = summary(areas, coverage_table(counties, areas)).set_index(
        ["line_id", "radius_km", "scenario"]
    )
    for radius in (5.0, 10.0, 30.0):
        assert (
            table.loc[("all", radius, "after"), "people"]
            >= table.loc[("all", radius, "today"), "people"]
        )
        # Only 天府机场 and 资阳西 are open (with 成宜 HSR, 2023-12-26); the rest is being built.
        assert table.loc[("cdw", radius, "today"), "people"] > 0
        assert (
            table.loc[("cdw", radius, "today"), "people"]
            < table.loc[("cdw", radius, "after"), "people"]
        )


def test_county_layer_reports_shares_and_gains(layers):
    _table, per_county, rings = coverage(layers, radii_km=(10, 30))
    assert per_county.crs.to_epsg() == 4326 and rings.crs.to_epsg() == 4326
    assert len(per_county) == 221
    assert per_county["share_area_after_30km"].between(0, 1).all()
    gains = per_county["people_after_30km"] - per_county["people_today_30km"]
    assert (gains == per_county["gain_people_30km"]).all() and (gains >= 0).all()
    # A covered county's people never exceed its census population.
    assert (per_county["people_after_30km"] <= per_county["population_2020"]).all()
    assert set(rings["id"]) == {"today-10km", "today-30km", "after-10km", "after-30km"}
    assert "areal weighting" in per_county["method"].iloc[0]


@pytest.fixture(scope="module")
def cells(counties) -> gpd.GeoDataFrame:
    return population_cells(counties, total_cells=20_000)


def test_population_cells_carry_each_countys_census_population(cells, counties):
    by_county = cells.groupby("adcode")["population"].sum()
    expected = counties.set_index("adcode")["population_2020"]
    np.testing.assert_allclose(
        by_county.sort_index(), expected.loc[by_county.index].sort_index(), rtol=1e-9
    )


def test_indexed_counting_gives_the_naive_answer(cells, areas):
    fast = covered_weights(cells, areas)
    projected = cells.to_crs(areas.crs)
    naive = np.array(
        [projected.loc[projected.intersects(area), "population"].sum() for area in areas.geometry]
    )
    np.testing.assert_allclose(fast, naive, rtol=1e-9)


def test_the_dask_path_agrees_with_the_in_process_path(cells, areas):
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        distributed = covered_weights_dask(cells, areas, npartitions=6)
    np.testing.assert_allclose(distributed, covered_weights(cells, areas), rtol=1e-9)
