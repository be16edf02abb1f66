"""Station coverage: catchments in metres, dissolved, people on the population surface or by areal
weighting, at any scale."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from distributed import Client, LocalCluster
from shapely import Point
from tobler.area_weighted import area_interpolate

from geo.analysis.coverage import (
    ALL_LINES,
    catchments,
    coverage,
    coverage_table,
    covered_by,
    covered_weights,
    covered_weights_dask,
    population_cells,
    summary,
)
from geo.sources.layers import load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return load_layers(["rail_stations", "rail_lines", "admin_areas"])


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
    _table, per_county, rings = coverage(layers, radii_km=(10, 30), population="areal")
    assert per_county.crs.to_epsg() == 4326 and rings.crs.to_epsg() == 4326
    assert len(per_county) == 221
    # Named in both languages, the county and its prefecture and province, as in admin_areas.
    assert list(per_county.columns[:7]) == [
        "adcode", "name_zh", "name_en", "prefecture_zh", "prefecture_en", "province_zh",
        "province_en",
    ]  # fmt: skip
    assert per_county["name_en"].str.len().gt(0).all()
    jianyang = per_county.set_index("adcode").loc["510185"]
    assert (jianyang["name_en"], jianyang["prefecture_en"], jianyang["province_en"]) == (
        "Jianyang City",
        "Chengdu City",
        "Sichuan",
    )
    assert per_county["share_area_after_30km"].between(0, 1).all()
    gains = per_county["people_after_30km"] - per_county["people_today_30km"]
    assert (gains == per_county["gain_people_30km"]).all() and (gains >= 0).all()
    # A covered county's people never exceed its census population.
    assert (per_county["people_after_30km"] <= per_county["population_2020"]).all()
    assert set(rings["id"]) == {"today-10km", "today-30km", "after-10km", "after-30km"}
    assert "areal weighting" in per_county["method"].iloc[0]
    assert (per_county["population_method"] == "areal").all()


@pytest.fixture(scope="module")
def both(layers) -> dict[str, tuple]:
    return {method: coverage(layers, population=method) for method in ("areal", "dasymetric")}


def test_dasymetric_is_the_default_and_says_so(layers, both):
    table, per_county, rings = both["dasymetric"]
    assert (table["population_method"] == "dasymetric").all()
    assert "城镇人口" in per_county["method"].iloc[0] and "GeoNames" in rings["method"].iloc[0]
    default, _, _ = coverage(layers, radii_km=(10,))
    assert (default["population_method"] == "dasymetric").all()


def test_people_near_the_big_stations_are_at_least_those_of_areal_weighting(layers):
    stations = layers["rail_stations"]
    for station_id in ("chengdu_dong", "chongqing_bei"):
        one = stations[stations["station_id"] == station_id].assign(line_id="x", status="operating")
        counted = {
            method: coverage({**layers, "rail_stations": one}, radii_km=(10,), population=method)[0]
            for method in ("areal", "dasymetric")
        }
        row = {
            method: table.query("line_id == 'all' and scenario == 'today'")["people"].iloc[0]
            for method, table in counted.items()
        }
        assert row["dasymetric"] >= row["areal"] > 0, station_id


def test_the_dasymetric_county_figures_add_up_to_the_summary(both):
    table, per_county, _ = both["dasymetric"]
    everything = table.query("line_id == 'all' and scenario == 'after' and radius_km == 30")
    # Rounded per county, so within one person per county.
    assert abs(per_county["people_after_30km"].sum() - everything["people"].iloc[0]) <= 221
    assert (per_county["gain_people_30km"] >= 0).all()
    assert set(table.columns) >= {"line_name_zh", "line_name_en"}
    assert table.query("line_id == 'cdw'")["line_name_zh"].iloc[0] == "成达万高铁"


def test_a_users_population_file_is_counted_instead(layers, tmp_path):
    from geo.analysis.population import read_population

    station = layers["rail_stations"].query("station_id == 'chengdu_dong'").geometry.iloc[0]
    frame = gpd.GeoDataFrame(
        {"people": [1_000.0, 50.0]},
        geometry=[station, Point(station.x + 1.0, station.y)],  # at the station; 100 km east
        crs=4326,
    )
    frame.to_parquet(tmp_path / "mine.parquet")
    cells = read_population(tmp_path / "mine.parquet", admin=layers["admin_areas"], weight="people")
    table, per_county, _ = coverage(layers, radii_km=(5,), population=cells)
    row = table.query("line_id == 'all' and scenario == 'today'")
    assert row["people"].iloc[0] == 1_000 and (table["population_method"] == "mine.parquet").all()
    assert per_county["people_today_5km"].sum() == 1_000


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


def test_counting_per_county_adds_up_to_the_catchment_totals(cells, areas):
    per_county = covered_by(cells, areas, by="adcode")
    assert per_county.shape == (len(areas), cells["adcode"].nunique())
    np.testing.assert_allclose(per_county.sum(axis=1), covered_weights(cells, areas), rtol=1e-9)


def test_the_dask_path_agrees_with_the_in_process_path(cells, areas):
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        distributed = covered_weights_dask(cells, areas, npartitions=6)
        per_county = covered_by(cells, areas, by="adcode", scheduler=cluster.scheduler_address)
        assert client.scheduler_info()["workers"]
    np.testing.assert_allclose(distributed, covered_weights(cells, areas), rtol=1e-9)
    np.testing.assert_allclose(per_county, covered_by(cells, areas, by="adcode"), rtol=1e-9)


def test_a_users_polygons_are_counted_by_their_area_within_reach(layers, tmp_path):
    from geo.analysis.population import read_population

    one = layers["rail_stations"].query("station_id == 'chengdu_dong'").assign(line_id="x")
    where = one.to_crs(32648).geometry.iloc[0]
    x, y = where.x, where.y
    squares = gpd.GeoDataFrame(
        {"people": [400.0, 1_000.0, 50.0]},
        geometry=[
            shapely.box(x - 1_000, y - 1_000, x + 1_000, y + 1_000),  # within 5 km
            shapely.box(x + 6_000, y - 500, x + 7_000, y + 500),  # 6–7.1 km away
            shapely.box(x + 20_000, y - 500, x + 21_000, y + 500),  # beyond 10 km
        ],
        crs=32648,
    )
    squares.to_file(tmp_path / "grid.gpkg")
    cells = read_population(tmp_path / "grid.gpkg", admin=layers["admin_areas"], weight="people")
    assert cells["population"].sum() == pytest.approx(1_450)
    assert "areal weighting within each" in cells.attrs["method"]
    table, _, _ = coverage({**layers, "rail_stations": one}, radii_km=(5, 10), population=cells)
    today = table.query("line_id == 'all' and scenario == 'today'").set_index("radius_km")
    assert today.loc[5.0, "people"] == 400 and today.loc[10.0, "people"] == 1_400


def test_an_unreachable_scheduler_is_one_clear_error(cells, areas, monkeypatch):
    from geo import settings
    from geo.errors import ChengyuError

    monkeypatch.setattr(settings, "dask_connect_timeout_s", 1.0)
    with pytest.raises(ChengyuError, match=r"--scheduler tcp://127.0.0.1:9: no Dask scheduler"):
        covered_by(cells, areas, scheduler="tcp://127.0.0.1:9")


def test_a_scheduler_address_of_no_known_scheme_is_one_clear_error(cells, areas):
    from geo.errors import ChengyuError

    with pytest.raises(ChengyuError, match=r"^--scheduler garbage://x: not 'local' nor a Dask"):
        covered_by(cells, areas, scheduler="garbage://x")


def test_a_server_that_answers_but_is_no_dask_scheduler_is_one_clear_error(cells, areas):
    import socket
    import threading

    from geo.errors import ChengyuError

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def banner() -> None:  # as an SSH server greets: bytes Dask reads as a 3 EiB frame
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" * 4)
            connection.recv(1024)

    threading.Thread(target=banner, daemon=True).start()
    try:
        with pytest.raises(ChengyuError, match="answers, but is not a Dask scheduler") as caught:
            covered_by(cells, areas, scheduler=f"tcp://127.0.0.1:{port}")
    finally:
        server.close()
    assert str(caught.value).startswith(f"--scheduler tcp://127.0.0.1:{port}:")
