"""The curated layers: what the Chongqing Daily report names is there, sourced and consistent."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geo.analysis.measure import geodesic_km
from geo.networks.routing import route_layers
from geo.sources.layers import LAYER_NAMES, load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return route_layers(load_layers())


def test_every_layer_is_built_in_wgs84_with_a_source_on_every_feature(layers):
    assert set(layers) == set(LAYER_NAMES)
    for name, frame in layers.items():
        assert len(frame) > 0, name
        assert frame.crs.to_epsg() == 4326, name
        assert frame["source"].str.strip().str.len().gt(0).all(), name


def test_chengdu_dazhou_wanzhou_has_its_14_stations_in_order(layers):
    stops = layers["rail_stations"].query("line_id == 'cdw'").sort_values("seq")
    assert list(stops["name_zh"]) == [
        "天府", "三岔湖", "天府机场", "资阳西", "乐至", "遂宁", "蓬溪南", "南充北",
        "营山西", "渠县北", "达州南", "开江南", "岳溪", "万州北",
    ]  # fmt: skip
    # 天府机场 and 资阳西 opened with 成宜 HSR on 2023-12-26; the rest is being built.
    status = dict(zip(stops["name_zh"], stops["status"], strict=True))
    operating = {name for name, value in status.items() if value == "operating"}
    assert operating == {"三岔湖", "天府机场", "资阳西"}
    sections = layers["rail_lines"].query("line_id == 'cdw'").set_index("id")
    assert sections.loc["cdw-1", ["status", "opened", "length_official_km"]].tolist() == [
        "operating",
        "2023-12-26",
        54.0,
    ]
    assert sections.loc["cdw-2", "status"] == "under_construction"
    assert sections.loc["cdw-2", "opening"] == "2027"


def test_chongqing_kunming_runs_from_chongqing_west_to_kunming_south_by_section(layers):
    stops = layers["rail_stations"].query("line_id == 'yk'").sort_values("seq")
    assert stops["name_zh"].iloc[0] == "重庆西"
    assert stops["name_zh"].iloc[-1] == "昆明南"
    assert stops.set_index("name_zh").loc["九龙坡", "status"] == "reserved"
    sections = layers["rail_lines"].query("line_id == 'yk'").set_index("id")
    assert sections.loc["yk-1", "status"] == "operating"
    assert sections.loc["yk-1", "opened"] == "2024-09-29"
    assert sections.loc["yk-3", "status"] == "under_construction"
    assert sections.loc["yk-3", "opening"] == "2026-12"
    assert list(stops["name_zh"].iloc[:9]) == [
        "重庆西", "九龙坡", "江津北", "永川南", "泸州东", "泸州", "南溪", "宜宾东", "宜宾",
    ]  # fmt: skip


def test_chengdu_chongqing_hsr_ends_at_shapingba_while_caiyuanba_is_rebuilt(layers):
    stops = layers["rail_stations"].query("line_id == 'cy'").set_index("name_zh")
    assert "大足南" in stops.index and "大足" not in stops.index
    assert stops.loc["沙坪坝", "opened"] == "2018-01-25"
    assert stops.loc["重庆", "status"] == "under_construction"
    sections = layers["rail_lines"].query("line_id == 'cy'").set_index("id")
    assert sections.loc["cy-1", "status"] == "operating" and sections.loc["cy-1", "to_seq"] == 11
    assert sections.loc["cy-1", ["design_speed_kmh", "operating_speed_kmh"]].tolist() == [350, 350]
    assert sections.loc["cy-2", "status"] == "under_construction"


def test_operating_speed_is_kept_apart_from_design_speed(layers):
    yuwan = layers["rail_lines"].set_index("id").loc["zy-2"]
    assert (yuwan["design_speed_kmh"], yuwan["operating_speed_kmh"]) == (250, 210)


def test_every_rail_status_says_when_it_was_known(layers):
    for name in ("rail_stations", "rail_lines"):
        dates = layers[name]["status_as_of"]
        assert dates.notna().all(), name
        assert (dates <= "2026-11-26").all(), name


def test_context_lines_are_present(layers):
    report = {"cdw", "yk", "cy", "cyzx", "xy", "xyw", "zy"}
    region = {
        "cyb",
        "cg",
        "cml",
        "xc",
        "cs",
        "dc",
        "sy",
        "ly",
        "yg",
        "yl",
        "yx",
        "yw2",
        "cya",
        "cn",
        "chq",
        "cgj",
        "cgp",
        "hbn",
        "dcn",
        "dcd",
        "msn",
        "ckx",
        "yyc",
        "cqdh",
        "cqdhj",
        "ygn",
    }
    assert report | region | {"cqn", "cqw"} == set(layers["rail_lines"]["line_id"])


def test_xi_an_chongqing_includes_the_kaizhou_connector(layers):
    stops = layers["rail_stations"].query("line_id == 'xyw'").sort_values("seq")
    assert list(stops["station_id"]) == ["fankuai", "kaizhou", "wanzhou_bei"]


def test_a_station_shared_by_two_lines_stands_in_one_place(layers):
    stations = layers["rail_stations"]
    for station_id in ("lezhi", "wanzhou_bei", "dazhou_nan", "chongqing_xi", "fankuai"):
        same = stations[stations["station_id"] == station_id]
        assert same["line_id"].nunique() >= 2, station_id
        assert same.geometry.apply(lambda point: (point.x, point.y)).nunique() == 1, station_id


def test_a_rail_section_is_drawn_through_its_stations_in_order(layers):
    section = layers["rail_lines"].set_index("id").loc["cy-1"]
    stations = layers["rail_stations"].query("line_id == 'cy' and seq <= @section.to_seq")
    stations = stations.sort_values("seq")
    coords = list(section.geometry.coords)
    assert coords[0] == (stations.geometry.iloc[0].x, stations.geometry.iloc[0].y)
    assert coords[-1] == (stations.geometry.iloc[-1].x, stations.geometry.iloc[-1].y)
    assert section["geometry_source"] == "schematic_station_chain"


def test_unsourced_positions_say_how_rough_they_are(layers):
    stations = layers["rail_stations"]
    rough = stations[stations["position_basis"] != "station"]
    assert (rough["precision_m"] >= 2000).all()
    assert rough["source"].str.contains("not sourced|airport|not the station", regex=True).all()
    sourced = stations[stations["position_basis"] == "station"]
    assert {"万州北", "重庆西", "成都东", "璧山"} <= set(sourced["name_zh"])
    assert sourced["source"].str.contains("OpenStreetMap|wikipedia", case=False).all()
    assert sourced["station_id"].nunique() >= 44


def test_different_stations_never_share_a_point(layers):
    stations = layers["rail_stations"].drop_duplicates("station_id")
    points = stations.geometry.apply(lambda point: (round(point.x, 5), round(point.y, 5)))
    shared = stations[points.duplicated(keep=False)]
    assert shared.empty, sorted(shared["name_zh"])


def test_logistics_hubs_carry_the_reports_figures(layers):
    hubs = layers["logistics_hubs"].set_index("id")
    park = hubs.loc["wanzhou_xintian_park"]
    assert (
        park["hub_area_mu"],
        park["hub_projects_operating"],
        park["hub_projects_under_construction"],
    ) == (
        2080,
        8,
        11,
    )
    assert set(hubs["kind"]) == {"national_hub", "rail_port", "river_port", "sea_port"}
    assert {
        "chengdu_railway_port",
        "chongqing_tuanjiecun",
        "luzhou_port",
        "yibin_port",
        "qinzhou_port",
    } <= set(hubs.index)


def test_sea_legs_sail_round_the_coasts_not_across_land(layers):
    routes = layers["corridor_routes"].set_index("id")
    to_klang = routes.loc["cdmy-2"].geometry
    # Qinzhou to Port Klang rounds Singapore: the route passes south of 1.5°N near 104°E.
    assert any(lat < 1.5 and 103 < lon < 105 for lon, lat in to_klang.coords)
    to_laem_chabang = routes.loc["cqth-2"].geometry
    # Qinzhou to Laem Chabang rounds the Ca Mau cape at the tip of Vietnam (about 8.6°N).
    assert min(lat for _, lat in to_laem_chabang.coords) < 9.0
    assert set(routes.loc[["cdmy-2", "cqth-2"], "geometry_source"]) == {"searoute_maritime_network"}


def test_rail_legs_follow_the_railway_graph_through_the_corridor_nodes(layers):
    leg = layers["corridor_routes"].set_index("id").loc["cqth-1"]
    assert leg["geometry_source"] == "osm_railway_graph"
    assert leg["origin"] == "chongqing_tuanjiecun" and leg["destination"] == "qinzhou_port"
    # The leg passes the NDRC central route's nodes, Guiyang and Nanning, on the network.
    for lon, lat in ((106.7167, 26.5833), (108.3167, 22.8167)):
        assert min(geodesic_km(lon, lat, x, y) for x, y in leg.geometry.coords) < 35
    # A routed leg has hundreds of vertices, not a few straight segments.
    assert len(leg.geometry.coords) > 100
    assert 0 < leg["off_network_km"] < 70


def test_comparison_routes_are_marked_and_the_river_leg_is_schematic(layers):
    routes = layers["corridor_routes"].set_index("id")
    comparison = routes[routes["service_kind"] == "comparison"]
    assert set(comparison["service_id"]) == {
        "chongqing_yangtze_shanghai_malaysia",
        "chongqing_yangtze_shanghai_thailand",
        "chongqing_qinzhou_malaysia",
    }
    river = routes.loc["cqyzth-1"]
    assert river["mode"] == "river" and river["geometry_source"] == "schematic_waypoints"
    assert river["origin"] == "chongqing_guoyuan_port" and river["destination"] == "shanghai_port"


def test_the_expressways_the_report_names_are_there(layers):
    named = {
        "luzhou_yongchuan", "neijiang_dazu", "kaijiang_liangping", "chengyu_expansion",
        "suiyu_expansion", "dazhu_dianjiang", "zigong_yongchuan", "chongqing_xuyong_junlian",
        "jiangjin_luzhou_yibin",
    }  # fmt: skip
    assert named <= set(layers["expressways"]["road_id"])


def test_airports_are_the_four_the_report_names(layers):
    assert set(layers["airports"]["id"]) == {
        "chongqing_jiangbei",
        "chengdu_tianfu",
        "chengdu_shuangliu",
        "langzhong",
    }


def test_two_loads_give_the_same_features(layers):
    again = route_layers(load_layers(["rail_stations", "expressways"]))
    for name in ("rail_stations", "expressways"):
        assert again[name].equals(layers[name]), name


def test_expressways_in_service_follow_the_highway_graph_the_others_stay_straight(layers):
    roads = layers["expressways"].set_index("id")
    operating = roads[roads["status"] == "operating"]
    assert (operating["geometry_source"] != "schematic_waypoints").sum() >= 5
    suiyu = roads.loc["suiyu"]
    assert suiyu["geometry_source"] == "osm_highway_graph" and suiyu["osm_share"] == 1.0
    assert len(suiyu.geometry.coords) > 20
    building = roads[roads["status"] != "operating"]
    assert (building["geometry_source"] == "schematic_waypoints").all()
    assert all(
        len(line.coords) == len(waypoints.split(";"))
        for line, waypoints in zip(building.geometry, building["waypoints"], strict=True)
    )


def test_every_source_layer_has_a_builder():
    from geo.sources._layer_builders import BUILDERS
    from geo.sources._schema import LAYER_SPECS

    assert set(BUILDERS) == set(LAYER_SPECS)


def test_the_fourth_chengdu_chongqing_expressway_is_in_both_provinces(layers):
    roads = layers["expressways"].set_index("id")
    assert roads.loc["chengziyu_sichuan", "opened"] == "2020-12-31"
    assert roads.loc["chengziyu_chongqing", "length_official_km"] == pytest.approx(94.975)
    # The two parts meet at 崇龛, on the border.
    end = roads.loc["chengziyu_sichuan"].geometry.coords[-1]
    start = roads.loc["chengziyu_chongqing"].geometry.coords[0]
    assert end == pytest.approx(start, abs=1e-3)
