"""The dasymetric population surface: whole people, where the census and GeoNames put them."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from geo import settings
from geo.analysis import population as population_module
from geo.analysis._dasymetric import Towns, county_surface, largest_remainder
from geo.analysis.coverage import covered_weights
from geo.analysis.population import build_surface, population_surface, read_population
from geo.errors import PopulationError
from geo.sources.layers import load_layers

UTM = "EPSG:32648"


def test_largest_remainder_gives_whole_people_that_add_up():
    whole = largest_remainder(np.array([1.0, 1.0, 1.0]), 10)
    assert whole.sum() == 10 and sorted(whole) == [3, 3, 4]
    assert list(largest_remainder(np.array([0.5, 0.3, 0.2]), 7)) == [4, 2, 1]
    assert largest_remainder(np.array([2.0, 5.0]), 0).sum() == 0


# A made-up county of 10 km × 10 km, one town at its centre: 12,000 urban and 880 rural people,
# 1,000 people per km² of town, 1 km grids (cell centres at x.5 km).
# Urban area 12 km², a disc of radius √(12/π) = 1.954 km: it holds the 4 cell centres at 0.71 km
# and the 8 at 1.58 km (the next, at 2.12 km, fall outside), so 12 points of 1,000 people.
# Rural: the other 88 cells, 10 people each.
SQUARE = box(500_000, 3_300_000, 510_000, 3_310_000)
CENTRE = (505_000.0, 3_305_000.0)


@pytest.fixture(scope="module")
def square_county() -> gpd.GeoDataFrame:
    frame = county_surface(
        SQUARE,
        urban=12_000,
        rural=880,
        towns=np.array([CENTRE]),
        town_weights=np.array([1.0]),
        seat=0,
        density_per_km2=1_000,
        urban_cell_m=1_000,
        rural_cell_m=1_000,
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.x, frame.y), crs=UTM)


def test_a_made_up_county_places_its_people_as_computed_by_hand(square_county):
    urban = square_county[square_county["kind"] == "urban"]
    rural = square_county[square_county["kind"] == "rural"]
    assert len(urban) == 12 and (urban["population"] == 1_000).all()
    assert len(rural) == 88 and (rural["population"] == 10).all()
    circles = gpd.GeoDataFrame(
        geometry=[Point(CENTRE).buffer(km * 1000, quad_segs=64) for km in (2, 3, 20)], crs=UTM
    )
    # Within 3 km: the town, and the rural cells at 2.12 (4), 2.55 (8) and 2.92 km (8).
    assert list(covered_weights(square_county, circles)) == [12_000, 12_200, 12_880]
    # Areal weighting would give 12,880 × π·3²/100 ≈ 3,641 within 3 km.
    assert 12_880 * math.pi * 9 / 100 < 12_200


def test_the_seat_takes_the_core_urban_people_first():
    frame = county_surface(
        SQUARE,
        urban=12_000,
        rural=0,
        towns=np.array([CENTRE, (501_500.0, 3_301_500.0)]),
        town_weights=np.array([1.0, 1.0]),
        seat=1,
        core_urban=10_000,
        urban_cell_m=1_000,
        rural_cell_m=1_000,
    )
    near_seat = np.hypot(frame.x - 501_500, frame.y - 3_301_500) < 1_500
    # 10,000 core plus half of the other 2,000 at the seat; 1,000 at the other town.
    assert frame.loc[near_seat, "population"].sum() == 11_000
    assert frame["population"].sum() == 12_000 and (frame["kind"] == "urban").all()


def test_a_small_town_between_grid_points_keeps_its_people_at_the_town():
    town = (505_000.0, 3_305_000.0)  # the 500 m grid centres lie 354 m away; the disc is 149 m
    frame = county_surface(
        SQUARE, urban=700, rural=50, towns=np.array([town]), town_weights=np.array([1.0])
    )
    urban = frame[frame["kind"] == "urban"]
    assert list(zip(urban.x, urban.y, strict=True)) == [town]
    assert urban["population"].sum() == 700 and frame["population"].sum() == 750


def test_a_county_without_a_town_gets_its_seat_at_its_representative_point():
    frame = county_surface(
        SQUARE, urban=5_000, rural=5_000, towns=np.empty((0, 2)), town_weights=np.empty(0)
    )
    urban = frame[frame["kind"] == "urban"]
    assert urban["population"].sum() == 5_000
    assert SQUARE.contains(Point(urban.x.mean(), urban.y.mean()))


@pytest.fixture(scope="module")
def admin() -> gpd.GeoDataFrame:
    return load_layers(["admin_areas"])["admin_areas"]


@pytest.fixture(scope="module")
def surface(admin) -> gpd.GeoDataFrame:
    return population_surface(admin)


def test_the_surface_holds_every_countys_census_population_to_the_person(admin, surface):
    assert surface["population"].dtype.kind == "i" and (surface["population"] > 0).all()
    counties = admin[admin["level"] == "county"].set_index("adcode")
    zones = admin[admin["level"] == "zone"]
    by_county = surface.groupby("adcode")["population"].sum()
    hosts = set()
    for zone in zones.itertuples():
        hosts |= set(
            counties.index[
                (counties["parent_adcode"] == zone.parent_adcode)
                & counties["name_zh"].str.endswith("区")
            ]
        )
    for adcode, county in counties.iterrows():
        if adcode not in hosts:
            assert by_county[adcode] == county["population_2020"], adcode
    # The zones' people are in their hosts' surface, not dropped.
    host_total = sum(by_county[adcode] for adcode in hosts)
    assert (
        host_total
        == counties.loc[list(hosts), "population_2020"].sum() + zones["population_2020"].sum()
    )


def test_the_surface_holds_the_provincial_totals(surface):
    by_province = surface.groupby(surface["adcode"].str[:2])["population"].sum()
    assert by_province["51"] == 83_674_866
    assert by_province["50"] == 32_054_159


def test_urban_and_rural_parts_are_kept_apart(admin, surface):
    counties = admin[admin["level"] == "county"].set_index("adcode")
    parts = surface.groupby(["adcode", "kind"])["population"].sum().unstack(fill_value=0)
    # 渝中区 is all urban; a county without a zone keeps both figures exactly.
    assert parts.loc["500103", "urban"] == counties.loc["500103", "urban_2020"]
    assert parts.loc["500101", "rural"] == counties.loc["500101", "rural_2020"]
    assert parts.loc["500101", "urban"] == counties.loc["500101", "urban_2020"]


def test_the_surface_is_cached(admin, surface, monkeypatch):
    assert len(list(settings.cache_dir.glob("population-*.cache"))) == 1

    def must_not_build(*args, **kwargs):
        raise AssertionError("the surface was built again instead of read from the cache")

    monkeypatch.setattr(population_module, "build_surface", must_not_build)
    again = population_surface(admin)
    assert again["population"].sum() == surface["population"].sum() and len(again) == len(surface)


@pytest.mark.parametrize(
    "column", ["population_2020", "urban_2020", "rural_2020", "core_urban_2020"]
)
def test_a_changed_census_figure_builds_the_surface_again(admin, tmp_path, monkeypatch, column):
    built = []

    def fake_build(frame):
        built.append(frame)
        return gpd.GeoDataFrame(
            {"adcode": ["500101"], "population": [len(built)]},
            geometry=[Point(108.4, 30.8)],
            crs=settings.storage_crs,
        )

    monkeypatch.setattr(population_module, "build_surface", fake_build)
    population_surface(admin, cache_dir=tmp_path)
    population_surface(admin.copy(), cache_dir=tmp_path)
    assert len(built) == 1  # the same figures: read back
    changed = admin.copy()
    changed.loc[changed["adcode"] == "510181", column] += 1  # 都江堰: every figure given
    again = population_surface(changed, cache_dir=tmp_path)
    assert len(built) == 2 and again["population"].tolist() == [2]


def test_figures_that_do_not_add_up_are_one_clear_error(admin):
    broken = admin.copy()
    row = broken.index[broken["adcode"] == "500101"][0]
    broken.loc[row, "urban_2020"] += 1
    towns = Towns(np.empty(0), np.empty(0), np.empty(0), [])
    with pytest.raises(PopulationError, match=r"'500101', field 'urban_2020'"):
        build_surface(broken, towns=towns)


def _points(tmp_path, weights, *, crs="EPSG:4326", lon=104.06, name="mine.gpkg"):
    frame = gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(len(weights))], "people": weights},
        geometry=[Point(lon + i * 0.01, 30.65) for i in range(len(weights))],
        crs=crs,
    )
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    return path


def test_a_users_points_are_read_and_placed_in_their_counties(admin, tmp_path):
    path = _points(tmp_path, [100.0, 250.0], name="mine.parquet")
    cells = read_population(path, admin=admin, weight="people")
    assert cells["population"].sum() == 350 and cells["adcode"].str.startswith("5101").all()
    assert cells.crs.to_epsg() == 32648 and "mine.parquet" in cells.attrs["method"]


@pytest.mark.parametrize(
    ("weights", "weight", "lon", "expected"),
    [
        ([1.0, -5.0], "people", 104.06, r"mine.gpkg: feature 'p1', field 'people': -5.0 is not"),
        ([1.0], "pop", 104.06, r"feature 'p0', field 'pop': no such column"),
        ([1.0], "people", 120.0, r"feature 'p0', field 'geometry': lies outside the region"),
    ],
)
def test_a_bad_user_file_is_one_line_naming_file_feature_and_field(
    admin, tmp_path, weights, weight, lon, expected
):
    path = _points(tmp_path, weights, lon=lon)
    with pytest.raises(PopulationError, match=expected) as caught:
        read_population(path, admin=admin, weight=weight)
    assert "\n" not in str(caught.value)


def test_a_file_without_a_crs_is_refused(admin, tmp_path):
    frame = gpd.GeoDataFrame({"people": [1.0]}, geometry=[Point(104.06, 30.65)])
    path = tmp_path / "nocrs.parquet"
    frame.to_parquet(path)
    with pytest.raises(
        PopulationError, match=r"nocrs.parquet: feature '0', field 'geometry': no CRS"
    ):
        read_population(path, admin=admin, weight="people")
