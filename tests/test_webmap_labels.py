"""Words for codes in popups, one feature per physical station, labels and reach colours."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geo import settings
from geo._geodesy import length_km
from geo.analysis.stage import analyse
from geo.outputs.webmap import MapLayer, display_features, popup_content
from geo.outputs.webmap._labels import merge_stations


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return analyse().layers


def test_popups_say_codes_in_words_and_shares_as_percentages():
    row = {
        "adcode": 510100,
        "name_zh": "某县",
        "covered_class": "under_25pct",
        "share_area_after_30km": 0.4213,
        "people_today_5km": 12345,
    }
    popup = popup_content(row, "station_coverage")
    rows = dict(popup["r"])
    assert popup["h"] == ["某县"]
    assert "不足25% under 25 %" in rows.values()
    assert rows["建成后30公里内面积比例 share of area within 30 km, after"] == "42 %"
    assert rows["现状5公里内覆盖人口 people covered within 5 km, today"] == "12,345"
    ring = popup_content(
        {"id": "x-today-60", "origin": "成都东", "scenario": "today", "ring": "60 min"},
        "rail_reach",
    )
    assert ring["h"] == ["成都东 · 现状 today · 60 min"]


def test_a_rail_section_s_popup_says_how_it_is_drawn(layers):
    section = layers["rail_lines"].set_index("id").loc["zy-2"]
    rows = dict(popup_content({"id": "zy-2", **section.drop("geometry")}, "rail_lines")["r"])
    assert rows["几何来源 geometry source"] == (
        "部分沿铁路网图 partly along the railway graph (OpenStreetMap-derived, simplified), "
        "partly straight"
    )
    assert rows["沿轨道比例 osm share"] == "67 %"
    chain = popup_content({"geometry_source": "schematic_station_chain"}, "rail_lines")
    assert dict(chain["r"])["几何来源 geometry source"] == (
        "车站间直线示意 straight from station to station (schematic)"
    )


def test_county_popups_and_tooltips_name_the_county_in_chinese_and_english(layers):
    for layer in ("station_coverage", "admin_areas"):
        entry = MapLayer(layer=layer, label_zh="区县", label_en="Counties")
        data = display_features(layers[layer], entry)
        by_name = {f["properties"]["_p"]["h"][0]: f["properties"] for f in data["features"]}
        jianyang = by_name["简阳市"]
        assert jianyang["_p"]["h"] == ["简阳市", "Jianyang City"]
        assert jianyang["_t"] == "简阳市 Jianyang City"
        rows = dict(jianyang["_p"]["r"])
        # The prefecture and province in one row each, in both languages.
        assert rows["地级市 prefecture"] == "成都市 Chengdu City"
        assert rows["省级 province"] == "四川省 Sichuan"
        assert not any(label.startswith(("prefecture en", "province en")) for label in rows)
        assert by_name["筠连县"]["_t"] == "筠连县 Junlian County"
    wanzhou = popup_content(
        {"name_zh": "万州区", "name_en": "Wanzhou District", "prefecture_zh": None,
         "prefecture_en": None, "province_zh": "重庆市", "province_en": "Chongqing"},
        "station_coverage",
    )  # fmt: skip
    assert wanzhou["r"] == [["省级 province", "重庆市 Chongqing"]]


def test_one_feature_per_physical_station(layers):
    stops = layers["rail_stations"]
    merged = merge_stations(stops, line_names={"cdw": "成达万高铁", "zy": "郑渝高铁"})
    assert len(merged) == stops["station_id"].nunique() < len(stops)
    wanzhou = merged.set_index("station_id").loc["wanzhou_bei"]
    assert wanzhou["status"] == "operating"  # operating on 郑渝, under construction on 成达万
    assert "成达万高铁" in wanzhou["lines"] and "郑渝高铁" in wanzhou["lines"]
    assert wanzhou["_main"]


def test_a_station_popup_gives_each_line_its_own_status_and_date(layers):
    # 万州北: operating on 郑渝 since 2016, under construction on 成达万 (opening 2027).
    merged = merge_stations(layers["rail_stations"], line_names={"cdw": "成达万", "zy": "郑渝"})
    lines = merged.set_index("station_id").loc["wanzhou_bei", "lines"].split("; ")
    cdw = next(line for line in lines if line.startswith("成达万"))
    zy = next(line for line in lines if line.startswith("郑渝"))
    assert "under construction" in cdw and "2027" in cdw and "2016" not in cdw
    assert "operating" in zy and "2016-11-28" in zy and "2027" not in zy


def test_reach_rings_of_different_origins_differ_in_colour(layers):
    entry = MapLayer(layer="rail_reach", label_zh="可达", label_en="Reach")
    data = display_features(layers["rail_reach"], entry)
    colours: dict[str, set[str]] = {}
    for feature in data["features"]:
        origin = feature["properties"]["_p"]["h"][0].split(" · ")[0]
        colours.setdefault(origin, set()).add(feature["properties"]["_s"]["color"])
    assert len(colours) >= 2
    assert all(len(c) == 1 for c in colours.values())  # one colour per origin
    assert len({next(iter(c)) for c in colours.values()}) == len(colours)


def test_each_line_is_named_once_on_the_map(layers):
    entry = MapLayer(layer="rail_lines", label_zh="高铁", label_en="HSR")
    data = display_features(layers["rail_lines"], entry)
    labels = [f["properties"]["_lt"] for f in data["features"] if "_lt" in f["properties"]]
    lines = layers["rail_lines"]
    # A line whose longest drawn section is short (a hub connector, a branch) is named in its
    # popup only: its name would cover the stations it leads to.
    longest_km = (
        lines.assign(km=[length_km(shape) for shape in lines.geometry])
        .groupby("name_zh")["km"]
        .max()
    )
    named = set(longest_km[longest_km >= settings.web_min_labelled_line_km].index)
    assert {"成渝高铁 重庆北联络线", "成灌铁路 彭州支线"}.isdisjoint(named)
    assert sorted(labels) == sorted(named)


def test_the_corridor_context_has_land_neighbours_and_places(layers):
    from geo.outputs.webmap.basemaps import context_layer

    context = context_layer(
        layers["corridor_routes"].total_bounds, admin_areas=layers["admin_areas"]
    )
    names = [f["properties"]["_lt"] for f in context["features"]]
    kinds = {f["properties"]["_lt"]: f["geometry"]["type"] for f in context["features"]}
    for country in ("马来西亚 Malaysia", "泰国 Thailand", "越南 Vietnam", "缅甸 Myanmar",
                    "柬埔寨 Cambodia", "中国 China"):  # fmt: skip
        assert country in names and kinds[country].endswith("Polygon"), country
    assert any(name.startswith("老挝") for name in names)
    # Prefecture seats of Sichuan and Chongqing, and the capitals in view, as points.
    assert {"成都", "南充", "达州", "重庆", "Kuala Lumpur", "Bangkok", "Hanoi"} <= set(names)
    assert kinds["南充"] == "Point"
    assert "阿坝藏族羌族自治州" not in names  # a seat of another name is left out, not guessed
