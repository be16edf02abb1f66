"""A user's population file, read partition by partition where it is counted (issue 23)."""

from __future__ import annotations

import os
import tracemalloc

import geopandas as gpd
import numpy as np
import pytest
from distributed import LocalCluster
from shapely import Point, Polygon, box

from geo import settings
from geo.analysis import _population_file
from geo.analysis._population_file import (
    count_population,
    file_key,
    in_file_order,
    open_population,
    read_partition,
)
from geo.analysis.coverage import catchments, coverage, covered_by, population_cells
from geo.analysis.population import read_population
from geo.errors import PopulationError
from geo.sources.layers import load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return load_layers(["rail_stations", "rail_lines", "admin_areas"])


@pytest.fixture(scope="module")
def chengdu_dong(layers) -> dict[str, gpd.GeoDataFrame]:
    """The layers with 成都东's rows as the only stations: a raster near it is counted in
    seconds, not in the minute all stations' 200 km catchments take."""
    stations = layers["rail_stations"]
    return {**layers, "rail_stations": stations[stations["station_id"] == "chengdu_dong"]}


@pytest.fixture(scope="module")
def counties(layers) -> gpd.GeoDataFrame:
    admin = layers["admin_areas"]
    return admin[admin["level"] == "county"]


@pytest.fixture(scope="module")
def areas(layers) -> gpd.GeoDataFrame:
    return catchments(layers["rail_stations"], radii_km=(5, 30))


@pytest.fixture(scope="module")
def grid(counties, tmp_path_factory) -> gpd.GeoDataFrame:
    """8,000 points with ids, in row groups of 2,000: four partitions."""
    cells = population_cells(counties, total_cells=8_000).to_crs(4326).iloc[:8_000]
    return cells.assign(id=[f"c{i}" for i in range(len(cells))])[["id", "population", "geometry"]]


def _parquet(frame: gpd.GeoDataFrame, path) -> object:
    frame.to_parquet(path, row_group_size=2_000)
    return path


def _refuse(*_, **__):
    raise AssertionError("the client read the file")


def test_a_worker_not_the_client_reads_the_file_with_the_in_process_answer(
    grid, areas, counties, layers, tmp_path, monkeypatch
):
    path = _parquet(grid, tmp_path / "grid.parquet")
    source = open_population(path)
    assert len(source.partitions) == 4
    here, total, geometry = count_population(source, areas, counties)
    # The partitions add up to the whole file counted in memory.
    whole = covered_by(read_population(path, admin=layers["admin_areas"]), areas, by="adcode")
    np.testing.assert_allclose(here[whole.columns].to_numpy(), whole.to_numpy(), rtol=1e-9)
    assert total == pytest.approx(grid["population"].sum()) and geometry == "points"
    broken = grid.copy()
    broken.loc[5_500, "population"] = -3.0  # in the third row group
    broken.loc[7_500, "population"] = -4.0  # and the fourth: the file's first problem is told
    bad = _parquet(broken, tmp_path / "bad.parquet")
    with pytest.raises(PopulationError) as in_process:
        count_population(open_population(bad), areas, counties)

    # From here on the client cannot read a partition: only the workers (other processes) can.
    monkeypatch.setattr(_population_file, "read_partition", _refuse)
    with pytest.raises(AssertionError, match="the client read the file"):
        count_population(source, areas, counties)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask, dask_total, _ = count_population(
            source, areas, counties, scheduler=cluster.scheduler_address
        )
        with pytest.raises(PopulationError) as on_workers:
            count_population(
                open_population(bad), areas, counties, scheduler=cluster.scheduler_address
            )
        # A partition whose sums never come back fails the count; it is not a smaller answer.
        import distributed

        arrived = distributed.as_completed
        monkeypatch.setattr(
            distributed, "as_completed", lambda futures, **kw: arrived(futures[:-1], **kw)
        )
        with pytest.raises(PopulationError, match=r"1 of 4 partitions were not counted"):
            count_population(source, areas, counties, scheduler=cluster.scheduler_address)
    # Added in the file's order on both sides: the same floats, not only close ones.
    np.testing.assert_array_equal(on_dask.to_numpy(), here.to_numpy())
    assert dask_total == total
    # The same first problem, to the person, wherever it was found.
    assert str(on_workers.value) == str(in_process.value)
    assert "bad.parquet: feature 'c5500', field 'population': -3.0" in str(in_process.value)


def test_sums_that_come_back_in_any_order_are_added_in_the_files_order():
    arrivals = [(2, "c"), (0, "a"), (3, "d"), (1, "b")]
    assert list(in_file_order(arrivals)) == ["a", "b", "c", "d"]
    # Nothing after a partition that has not come back yet.
    assert list(in_file_order([(1, "b"), (2, "c")])) == []


def test_a_geopackage_is_read_in_ranges_of_features_with_the_same_answer(
    grid, areas, counties, tmp_path, monkeypatch
):
    path = tmp_path / "grid.gpkg"
    grid.iloc[:3_000].to_file(path)
    monkeypatch.setattr(settings, "population_batch_rows", 1_000)
    source = open_population(path)
    assert source.partitions == ((0, 1_000), (1_000, 1_000), (2_000, 1_000))
    counted, total, _ = count_population(source, areas, counties)
    reference = covered_by(
        grid.iloc[:3_000].sjoin(counties[["adcode", "geometry"]], predicate="within"),
        areas,
        by="adcode",
    )
    np.testing.assert_allclose(
        counted[reference.columns].to_numpy(), reference.to_numpy(), rtol=1e-9
    )
    assert total == pytest.approx(grid["population"].iloc[:3_000].sum())


def _raster(path, layers, *, extra=None):
    """A 0.01° raster near Chengdu: 1,000 people at 成都东, 50 a degree east, nodata elsewhere."""
    import rasterio
    from rasterio.transform import from_origin

    station = layers["rail_stations"].query("station_id == 'chengdu_dong'").geometry.iloc[0]
    transform = from_origin(103.5, 31.2, 0.01, 0.01)
    values = np.full((120, 200), -9999.0, dtype="float32")
    values[:60, :] = 0.0  # people counted as none, not nodata
    for (x, y), people in [((station.x, station.y), 1_000.0), ((station.x + 1.0, station.y), 50.0),
                           *(extra or [])]:  # fmt: skip
        row, column = rasterio.transform.rowcol(transform, x, y)
        values[row, column] = people
    with rasterio.open(
        path, "w", driver="GTiff", height=120, width=200, count=1, dtype="float32",
        crs="EPSG:4326", transform=transform, nodata=-9999.0,
    ) as raster:  # fmt: skip
        raster.write(values, 1)
    return path, station


@pytest.mark.parametrize("batch", [250_000, 1])
def test_a_raster_is_counted_at_its_cell_centres_window_by_window(
    chengdu_dong, tmp_path, monkeypatch, batch
):
    monkeypatch.setattr(settings, "raster_window_cells", 16 * 200)
    monkeypatch.setattr(settings, "population_batch_rows", batch)
    path, _ = _raster(tmp_path / "worldpop.tif", chengdu_dong)
    source = open_population(path)
    assert source.kind == "raster" and len(source.partitions) == 8  # 120 rows of 200, by 16
    windows = [list(read_partition(source, index)) for index in range(len(source.partitions))]
    assert max(len(batches) for batches in windows) == (1 if batch > 1 else 2)
    table, per_county, _ = coverage(chengdu_dong, radii_km=(5, 200), population=source)
    today = table.query("line_id == 'all' and scenario == 'today'").set_index("radius_km")
    assert today.loc[5.0, "people"] == 1_000 and today.loc[200.0, "people"] == 1_050
    assert per_county["people_today_5km"].sum() == 1_000
    assert "total 1,050" in per_county["method"].iloc[0]
    assert (table["population_method"] == "worldpop.tif").all()


def test_a_geopackage_of_two_layers_is_refused_not_read_by_its_first(grid, tmp_path):
    path = tmp_path / "two.gpkg"
    grid.iloc[:10].to_file(path, layer="people_2010")
    grid.iloc[10:20].to_file(path, layer="people_2020")
    with pytest.raises(PopulationError) as caught:
        open_population(path)
    assert str(caught.value) == (
        "two.gpkg: feature '(file)', field 'layer': holds 2 layers (people_2010, people_2020): "
        "keep the people in one"
    )


def test_a_table_without_geometry_is_refused_as_such_not_for_its_crs(tmp_path):
    table = tmp_path / "people.csv"
    table.write_text("id,lon,lat,population\nc1,104.1,30.6,1000\n", encoding="utf-8")
    with pytest.raises(PopulationError) as caught:
        open_population(table)
    assert str(caught.value) == (
        "people.csv: feature 'c1', field 'geometry': no geometry (a table such as a CSV has no "
        "positions): write the points or polygons as a GeoParquet or GeoPackage"
    )


def test_a_raster_stored_south_up_counts_as_the_same_raster_north_up(chengdu_dong, tmp_path):
    # Rows from the south (a positive row height, as rasters written from NetCDF are): the
    # same cells at the same places, refused as unreadable before.
    import rasterio
    from rasterio.transform import Affine

    north_up, _ = _raster(tmp_path / "north_up.tif", chengdu_dong)
    with rasterio.open(north_up) as raster:
        values, profile = raster.read(1), raster.profile
        transform = raster.transform
    south = transform.f + transform.e * raster.height
    profile["transform"] = Affine(transform.a, 0.0, transform.c, 0.0, -transform.e, south)
    south_up = tmp_path / "south_up.tif"
    with rasterio.open(south_up, "w", **profile) as raster:
        raster.write(values[::-1], 1)
    tables = [
        coverage(chengdu_dong, radii_km=(5, 200), population=open_population(path))[0]
        for path in (north_up, south_up)
    ]
    today = tables[1].query("line_id == 'all' and scenario == 'today'").set_index("radius_km")
    assert today.loc[5.0, "people"] == 1_000 and today.loc[200.0, "people"] == 1_050
    assert tables[0]["people"].tolist() == tables[1]["people"].tolist()


@pytest.mark.parametrize(("people", "told"), [(-2.0, "-2"), (float("inf"), "inf")])
def test_a_negative_or_infinite_raster_cell_is_one_line_naming_the_cell(
    layers, tmp_path, people, told
):
    corner = (103.5 + 0.005, 31.2 - 0.005)
    path, _ = _raster(tmp_path / "bad.tif", layers, extra=[(corner, people)])
    expected = rf"^bad.tif: feature 'row 0, column 0', field 'band 1': {told} is not a finite"
    with pytest.raises(PopulationError, match=expected):
        coverage(layers, radii_km=(5,), population=open_population(path))


def test_a_raster_cell_of_more_people_than_china_holds_is_refused(layers, tmp_path):
    corner = (103.5 + 0.005, 31.2 - 0.005)
    path, _ = _raster(tmp_path / "bad.tif", layers, extra=[(corner, 2e9)])
    expected = r"^bad.tif: feature 'row 0, column 0', field 'band 1': 2e\+09 people in one"
    with pytest.raises(PopulationError, match=expected):
        coverage(layers, radii_km=(5,), population=open_population(path))


def test_an_infinite_weight_is_refused_not_summed(grid, counties, areas, tmp_path):
    broken = grid.iloc[:2_000].copy()
    broken.loc[17, "population"] = float("inf")
    path = _parquet(broken, tmp_path / "inf.parquet")
    expected = r"^inf.parquet: feature 'c17', field 'population': inf is not a finite weight"
    with pytest.raises(PopulationError, match=expected):
        count_population(open_population(path), areas, counties)


def test_more_people_in_one_feature_than_china_holds_is_refused_not_overflowed(
    grid, counties, areas, tmp_path
):
    # 1e300 people passed as finite, and chengyu coverage printed -9223372036854775808 people.
    broken = grid.iloc[:2_000].copy()
    broken.loc[17, "population"] = 1e300
    path = _parquet(broken, tmp_path / "huge.parquet")
    expected = r"^huge.parquet: feature 'c17', field 'population': 1e\+300 people in one feature"
    with pytest.raises(PopulationError, match=expected):
        count_population(open_population(path), areas, counties)


def test_a_true_false_column_is_refused_as_a_weight(grid, counties, areas, tmp_path):
    flags = grid.iloc[:2_000].assign(population=True)
    path = _parquet(flags, tmp_path / "flags.parquet")
    expected = r"^flags.parquet: feature 'c0', field 'population': holds true/false"
    with pytest.raises(PopulationError, match=expected):
        count_population(open_population(path), areas, counties)


def test_a_self_intersecting_polygon_is_refused_in_one_line(counties, areas, tmp_path):
    bowtie = Polygon([(104.0, 30.0), (105.0, 31.0), (105.0, 30.0), (104.0, 31.0)])
    zones = gpd.GeoDataFrame(
        {"id": ["ok", "bowtie"], "population": [500.0, 1_000.0]},
        geometry=[box(106.0, 29.0, 106.5, 29.5), bowtie], crs=4326,
    )  # fmt: skip
    path = _parquet(zones, tmp_path / "zones.parquet")
    expected = (
        r"^zones.parquet: feature 'bowtie', field 'geometry': not a valid polygon "
        r"\(Self-intersection\[104.5 30.5\]\)"
    )
    with pytest.raises(PopulationError, match=expected):
        count_population(open_population(path), areas, counties)


def test_the_cache_key_is_streamed_and_sees_a_change_of_the_same_size(tmp_path):
    path = tmp_path / "big.parquet"
    path.write_bytes(os.urandom(24 << 20))
    tracemalloc.start()
    before = file_key(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 << 20  # read in chunks, never the 24 MiB file
    status = path.stat()
    with path.open("r+b") as handle:  # one byte changed, size and modification time kept
        handle.seek(12 << 20)
        handle.write(bytes([handle.read(1)[0] ^ 1]))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert file_key(path) != before and path.stat().st_size == status.st_size


def test_a_file_without_the_column_is_refused_from_its_metadata(grid, tmp_path, monkeypatch):
    path = _parquet(grid, tmp_path / "grid.parquet")
    monkeypatch.setattr(_population_file, "read_partition", _refuse)
    with pytest.raises(PopulationError, match=r"grid.parquet: feature 'c0', field 'pop': no such"):
        open_population(path, weight="pop")
    empty = gpd.GeoDataFrame({"population": []}, geometry=[], crs=4326)
    empty.to_parquet(tmp_path / "empty.parquet")
    with pytest.raises(PopulationError, match="holds no features"):
        open_population(tmp_path / "empty.parquet")
    gpd.GeoDataFrame({"population": [1.0]}, geometry=[Point(0, 0)], crs=4326).to_parquet(
        tmp_path / "one.parquet"
    )
    assert open_population(tmp_path / "one.parquet").features == 1


def test_the_analysis_reads_a_file_once_for_catchments_and_drive_areas(
    grid, layers, counties, tmp_path, monkeypatch
):
    from geo.analysis.road_access import drive_areas
    from geo.analysis.stage import _count_file_once

    # The stations of one line: the reading, not the breadth of the network, is under test.
    stations = layers["rail_stations"]
    layers = {**layers, "rail_stations": stations[stations["line_id"] == "cdw"]}
    source = open_population(_parquet(grid, tmp_path / "grid.parquet"))
    # Two reads, the old way: each count reads every partition.
    access = drive_areas(layers["rail_stations"], population=source, counties=counties)
    catchment_people, _, _ = count_population(source, catchments(layers["rail_stations"]), counties)
    reads = []
    reader = _population_file.read_partition

    def counted(source, index):
        reads.append(index)
        return reader(source, index)

    monkeypatch.setattr(_population_file, "read_partition", counted)
    once, access_once = _count_file_once(layers, source, None, counties, None)
    assert sorted(reads) == [0, 1, 2, 3]  # each partition once
    np.testing.assert_allclose(once.people.to_numpy(), catchment_people.to_numpy(), rtol=1e-9)
    assert access_once["people"].tolist() == access["people"].tolist()
    assert list(access_once.columns) == list(access.columns)
    monkeypatch.setattr(_population_file, "read_partition", reader)
    table, per_county, _ = coverage(layers, population=once)
    again, per_county_again, _ = coverage(layers, population=source)
    assert table.equals(again) and per_county.equals(per_county_again)
