"""The rail network graph: osmnx-compatible, timed from design speeds, and reach on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd
import pytest
from click.testing import CliRunner

from geo import settings
from geo.cli.commands import cli
from geo.errors import ChengyuError
from geo.networks._rail_graph import arrival_node, station_seconds
from geo.networks.rail_network import (
    TimeModel,
    counties_reached,
    find_station,
    journey,
    rail_graph,
    reach,
    reach_table,
)
from geo.sources._schema import SCENARIOS
from geo.sources.layers import load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return load_layers(["rail_stations", "rail_lines", "admin_areas"])


@pytest.fixture(scope="module")
def today(layers) -> nx.MultiDiGraph:
    return rail_graph(layers, scenario="today")


@pytest.fixture(scope="module")
def after(layers) -> nx.MultiDiGraph:
    return rail_graph(layers, scenario="after")


def test_the_graph_is_what_osmnx_expects(after):
    nodes, edges = ox.graph_to_gdfs(after)
    assert nodes.crs == "EPSG:4326" and {"x", "y", "station_id", "kind"} <= set(nodes.columns)
    assert {"length", "travel_time", "line_id", "kind"} <= set(edges.columns)
    start, end = find_station(after, "成都东"), find_station(after, "万州北")
    route = ox.routing.shortest_path(after, start, arrival_node(after, end), weight="travel_time")
    assert after.nodes[route[-1]]["station_id"] == "wanzhou_bei"


def test_a_ride_costs_its_running_time_and_one_start_stop_allowance(after):
    start, end = find_station(after, "重庆西"), find_station(after, "江津北")
    seconds, paths = station_seconds(after, start)
    # 九龙坡 between them is reserved: trains pass it without a charge.
    legs = [
        data
        for a, b in zip(paths[end][:-1], paths[end][1:], strict=True)
        for data in after.get_edge_data(a, b).values()
        if data["kind"] == "leg"
    ]
    model = TimeModel.from_settings()
    running = sum(leg["running_s"] for leg in legs)
    assert len(legs) == 2 and {leg["line_id"] for leg in legs} == {"yk"}
    assert running == pytest.approx(sum(leg["length"] for leg in legs) / (350 / 3.6), abs=0.5)
    assert seconds[end] == pytest.approx(running / model.speed_factor + model.start_stop_s, abs=1)


def _trip(graph: nx.MultiDiGraph, origin: str, end: str):
    """The fastest journey between two stations, by name."""
    paths = station_seconds(graph, find_station(graph, origin))[1]
    return journey(graph, paths[find_station(graph, end)])


def test_trains_run_through_from_one_line_onto_another(today):
    # 成渝高铁 trains run on from 璧山 to 重庆北 over the hub connector: no change of trains.
    trip = _trip(today, "成都东", "重庆北")
    assert trip.lines == ("cy", "cqn") and trip.transfers == () and trip.rides == 1
    assert trip.route == "成都东–重庆北"


def test_bazhong_trains_run_through_nanchong_north_to_chengdu_east(today):
    # 巴南 trains run on at 南充北 over the connection to 遂宁 and 遂成 (dcn, then cs): one ride.
    trip = _trip(today, "巴中东", "成都东")
    assert trip.transfers == () and trip.rides == 1
    assert trip.lines == ("hbn", "dcn", "cs") and trip.route == "巴中东–成都东"


def test_dazhou_trains_run_on_from_sanhuizhen_to_chengdu_east(today):
    # dcd-1 says dc@sanhuizhen: 达成 trains run on over 襄渝 from 三汇镇 to 达州 (cs, dc, dcd).
    trip = _trip(today, "成都东", "达州")
    assert trip.transfers == () and trip.rides == 1
    assert trip.lines == ("cs", "dc", "dcd") and trip.route == "成都东–达州"


def test_the_east_ring_takes_chongqing_north_to_the_airport_and_luohuang_to_nanpeng(today):
    # 重庆东环 (opened 2022-12-30): its airport branch cqdhj from 重庆北, and its main line cqdh
    # from 珞璜南 on 渝贵; each is one ride on the ring's own track.
    airport = _trip(today, "重庆北", "江北机场")
    assert airport.lines == ("cqdhj",) and airport.transfers == () and airport.rides == 1
    assert airport.route == "重庆北–江北机场"
    nanpeng = _trip(today, "珞璜南", "南彭")
    assert nanpeng.lines == ("cqdh",) and nanpeng.transfers == (), nanpeng.route
    # 迎龙 and 龙兴 (人民日报 2024-02-06) are stops of the ring's east side. No through running is
    # entered at 珞璜南: no source says which way the 重庆西–水土 trains reach the ring.
    assert _trip(today, "迎龙", "龙兴").lines == ("cqdh",)
    assert _trip(today, "重庆西", "水土").transfers[0]["at"] == "珞璜南"


def test_a_shared_section_between_two_stretches_of_one_line_is_not_a_line_of_the_journey(today):
    # 成宜 trains run from 天府 to 资阳西 over 成达万's shared section (cyb-1 says cdw@tianfu,
    # cyb-2 cdw@ziyang_xi>tianfu_airport) and on to 宜宾 over 渝昆's: 成宜, then 渝昆, once
    # each (before: 成宜 → 成达万 → 成宜 → 渝昆).
    yibin = _trip(today, "成都东", "宜宾")
    assert yibin.lines == ("cyb", "yk") and yibin.rides == 1, yibin.lines
    assert _trip(today, "成都东", "三岔湖").lines == ("cyb", "cdw")  # it ends on 成达万
    # A change of trains at 重庆北 onto the East Ring's branch: every line ridden stays.
    airport = _trip(today, "成都东", "江北机场")
    assert airport.lines == ("cy", "cqn", "cqdhj") and len(airport.transfers) == 1


def test_chongqing_west_trains_run_north_through_the_tongjiaxi_junction(today):
    # ygn-1 (渝贵's north end, 23 km to 童家溪线路所) says sy@tongjiaxi>hechuan: from 重庆西 to
    # 巴中东 in one ride over 宁蓉 and 兰渝 (before: out over 成渝高铁 to 璧山, back to 重庆北 and a
    # change there, 215 min against the 164 published).
    trip = _trip(today, "重庆西", "巴中东")
    assert trip.transfers == () and trip.rides == 1, trip.route
    assert trip.lines == ("ygn", "sy", "ly", "hbn")
    # Towards 合川 only: 重庆西–重庆北 does not turn at the junction.
    assert "ygn" not in _trip(today, "重庆西", "重庆北").lines
    # A junction is on the track, not a station: trains pass it, nobody boards there.
    kinds = {d["kind"] for _, d in today.nodes(data=True) if d["station_id"] == "tongjiaxi"}
    assert kinds == {"arrive", "depart"}


def test_trains_from_chengdu_east_run_onto_the_new_chengdu_kunming_line(today):
    # ckx-1 says cml@chengdu_nan>chengdu_dong: 成都东 trains reach 新成昆 through 成都南.
    xichang = _trip(today, "成都东", "西昌西")
    assert xichang.transfers == () and xichang.lines == ("cml", "ckx"), xichang.route


def test_lanzhou_chongqing_trains_join_suining_chongqing_towards_chongqing_only(today):
    # ly-1 says sy@weituo>hechuan: 兰渝 trains run on at 渭沱 to 合川 and 重庆北, while a train
    # from 遂宁 does not turn north onto 兰渝 there (before: 遂宁–武胜 "through", 成都东–武胜 too).
    through = _trip(today, "武胜", "合川")
    assert through.transfers == () and through.lines == ("ly", "sy")
    assert _trip(today, "遂宁", "武胜").rides == 2 and _trip(today, "成都东", "武胜").rides == 2


def test_chengdu_yibin_trains_join_the_kunming_line_towards_yibin_only(today):
    # cyb-2 says yk@yibin_dong>yibin: 成宜 trains end at 宜宾站 over the 渝昆 track; towards 南溪
    # (and 泸州) a journey from 自贡 changes at 宜宾东 (before: 24.2 min "through").
    assert _trip(today, "成都东", "宜宾").transfers == ()
    assert [change["at"] for change in _trip(today, "自贡", "南溪").transfers] == ["宜宾东"]


def test_bazhong_trains_join_lanzhou_chongqing_southwards_only(today):
    # hbn-1 says ly@nanchong_bei>wusheng: 巴南 trains run on over 兰渝 towards 武胜 and 重庆, so a
    # journey north to 阆中 changes trains at 南充北, both ways.
    for origin, end in (("巴中东", "武胜"), ("武胜", "巴中东")):
        south = _trip(today, origin, end)
        assert south.transfers == () and south.rides == 1, (origin, end)
    for origin, end in (("巴中东", "阆中"), ("阆中", "巴中东")):
        north = _trip(today, origin, end)
        assert north.rides == 2 and [change["at"] for change in north.transfers] == ["南充北"]
    # A train of a line joined one way keeps its direction at every stop: no turning back.
    calls = [(a, b) for a, b, kind in today.edges(data="kind")
             if kind == "call" and today.nodes[a]["line_id"] == "ly"]  # fmt: skip
    assert calls and all(
        today.nodes[a]["direction"] == today.nodes[b]["direction"] != 0 for a, b in calls
    )


def test_a_change_of_trains_costs_its_stated_time_and_shows_in_the_route(today):
    # No train runs from 成渝高铁 onto 渝万 at 重庆北: the traveller changes there.
    origin, end = find_station(today, "成都东"), find_station(today, "万州北")
    trip = journey(today, station_seconds(today, origin)[1][end])
    assert trip.rides == 2 and len(trip.transfers) == 1
    assert trip.transfers[0]["minutes"] == settings.rail_change_minutes
    assert "(transfer 15 min)" in trip.route and trip.route.endswith("万州北")
    without = journey(today, station_seconds(today, origin)[1][find_station(today, "重庆北")])
    assert trip.seconds > without.seconds + settings.rail_change_minutes * 60


def test_a_station_on_three_lines_is_one_node_served_by_each(layers, today):
    stations = layers["rail_stations"]
    lines_at = stations[stations["station_id"] == "chengdu_dong"]["line_id"]
    assert {"cy", "cyb", "cml", "cs"} <= set(lines_at)
    node = find_station(today, "成都东")
    boarded = {today.nodes[b]["line_id"] for _, b, kind in today.out_edges(node, data="kind")
               if kind == "board"}  # fmt: skip
    assert {"cy", "cyb", "cml", "cs"} <= boarded


def test_lines_under_construction_are_on_the_network_only_after(today, after):
    with pytest.raises(ChengyuError, match="no station"):
        find_station(today, "达州南")  # only on 成达万 and 西渝, both under construction
    assert find_station(after, "达州南") in after


@pytest.mark.parametrize(
    "typed",
    [
        "成都东",
        "成都东站",
        " 成都东　",
        "Chengdu East",
        "chengdu  east",
        "ＣＨＥＮＧＤＵ　ＥＡＳＴ",
    ],
)
def test_a_station_is_found_however_its_name_is_typed(after, typed):
    # An IME left in full-width mode, a doubled space or another case names the same station.
    assert find_station(after, typed) == find_station(after, "chengdu_dong")


def test_a_name_two_stations_share_is_refused_naming_both_not_guessed(after):
    with pytest.raises(ChengyuError, match=r"'Yuexi' names 2 stations: .*岳溪 \(yuexi\).*越西"):
        find_station(after, "Yuexi")
    # The id, or the Chinese name, says which.
    assert after.nodes[find_station(after, "yuexi")]["name_zh"] == "岳溪"
    assert after.nodes[find_station(after, "越西")]["station_id"] == "yuexi_liangshan"


def test_the_stations_of_one_city_are_joined_by_a_transfer(after):
    west, north = find_station(after, "重庆西"), find_station(after, "重庆北")
    assert after.has_edge(west, north, "transfer")
    assert (
        after.edges[west, north, "transfer"]["travel_time"] >= settings.rail_transfer_minutes * 60
    )


def test_reach_grows_when_the_new_lines_open(today, after):
    found_today = reach(today, find_station(today, "成都东"), limit_minutes=120)
    found_after = reach(after, find_station(after, "成都东"), limit_minutes=120)
    assert len(found_after.minutes) > len(found_today.minutes)
    assert all(minutes <= 120 for minutes in found_after.minutes.values())
    assert found_today.minutes[find_station(today, "成都东")] == 0


def test_counties_are_reached_through_their_stations(layers, after):
    counties = layers["admin_areas"].query("level == 'county'")
    found = reach(after, find_station(after, "Chongqing North"), limit_minutes=30)
    reached = counties_reached(found, after, counties, within_minutes=30)
    assert "500112" in reached  # 渝北区, where 重庆北 stands


def test_the_docs_show_the_reach_the_network_gives(layers, today, after):
    # docs/reach.md's table of reach from the default origins: a line added without measuring
    # it again (it kept the figures from before the East Ring) fails here.
    page = (Path(__file__).resolve().parents[1] / "docs" / "reach.md").read_text(encoding="utf-8")
    table = reach_table(
        layers,
        origins=settings.reach_origins,
        minutes=settings.reach_minutes,
        graphs={"today": today, "after": after},
    ).set_index(["origin", "scenario", "minutes"])
    for origin in settings.reach_origins:
        for limit in settings.reach_minutes:
            today_row, after_row = (table.loc[(origin, scenario, limit)] for scenario in SCENARIOS)
            row = (
                f"| {origin} | {limit:g} | {today_row['stations']} / {today_row['counties']} "
                f"| {after_row['stations']} / {after_row['counties']} |"
            )
            assert row in page


def test_reach_table_and_command_report_before_and_after(layers):
    table = reach_table(layers, origins=["成都东"], minutes=[60, 120])
    assert set(table["scenario"]) == {"today", "after"}
    by = table.set_index(["scenario", "minutes"])
    assert by.loc[("after", 120), "counties"] >= by.loc[("today", 120), "counties"]
    result = CliRunner().invoke(cli, ["reach", "--from", "重庆北", "--minutes", "120"])
    assert result.exit_code == 0, result.output
    assert "重庆北" in result.output and "counties after" in result.output
    gained = result.output.split("gained", 1)[1].splitlines()[2]
    assert " County" in gained or " District" in gained  # counties named in both languages


def test_an_unknown_origin_is_a_clear_error():
    result = CliRunner().invoke(cli, ["reach", "--from", "Atlantis"])
    assert result.exit_code == 1 and "no station 'Atlantis'" in result.output
    assert "Traceback" not in result.output


def test_a_station_or_a_limit_asked_twice_is_reported_once(layers):
    once = reach_table(layers, origins=["成都东"], minutes=[60])
    pd.testing.assert_frame_equal(
        reach_table(layers, origins=["成都东", "Chengdu East"], minutes=[60, 60.0]), once
    )
    from geo.networks.rail_network import reach_areas

    areas = reach_areas(layers, origins=["成都东", "chengdu_dong"], minutes=[60, 60])
    assert areas["id"].is_unique and len(areas) == 2  # today and after


def test_reach_areas_grow_with_time_and_with_the_new_lines(layers):
    from geo.networks.rail_network import reach_areas

    areas = reach_areas(layers, origins=["成都东"], minutes=[60, 120]).set_index("id")
    assert areas.crs.to_epsg() == 4326
    origin = "chengdu_dong"
    assert (
        areas.loc[f"{origin}-today-120min", "area_km2"]
        > areas.loc[f"{origin}-today-60min", "area_km2"]
    )
    assert (
        areas.loc[f"{origin}-after-120min", "area_km2"]
        > areas.loc[f"{origin}-today-120min", "area_km2"]
    )
    # An hour at most at the access speed around the origin alone bounds the one-hour area below.
    assert areas.loc[f"{origin}-today-60min"].geometry.contains(
        layers["rail_stations"].query("station_id == 'chengdu_dong'").geometry.iloc[0]
    )


def test_reach_builds_the_graphs_once_not_on_every_call(monkeypatch, tmp_path):
    from geo.networks import rail_network

    # A cache of its own without rail graphs; the entries the graphs do not depend on (the
    # boundaries, China's outline, the routed legs) are copied from the session's cache, so
    # only the graphs are built here (when this worker has built before).
    cache = tmp_path / "cache"
    cache.mkdir()
    for entry in Path(settings.cache_dir).glob("*.cache"):
        if not entry.name.startswith(("rail-graphs-", "network-", "analysis-")):
            shutil.copy2(entry, cache / entry.name)
    monkeypatch.setattr(settings, "cache_dir", cache)
    built: list[str] = []

    def counted(layers, *, scenario, model=None):
        built.append(scenario)
        return rail_graph(layers, scenario=scenario, model=model)

    monkeypatch.setattr(rail_network, "rail_graph", counted)
    outputs, command = [], ["reach", "--from", "重庆北", "--minutes", "120", "--json"]
    for _ in range(2):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert sorted(built) == ["after", "today"] and outputs[0] == outputs[1]
