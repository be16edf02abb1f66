"""The rail network graph: osmnx-compatible, timed from design speeds, and reach on it."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pytest
from click.testing import CliRunner

from geo import settings
from geo.cli.commands import cli
from geo.errors import ChengyuError
from geo.networks.rail_network import (
    TimeModel,
    counties_reached,
    find_station,
    rail_graph,
    reach,
    reach_table,
)
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
    assert nodes.crs == "EPSG:4326" and {"x", "y", "name_zh"} <= set(nodes.columns)
    assert {"length", "travel_time", "line_id"} <= set(edges.columns)
    route = ox.routing.shortest_path(
        after, find_station(after, "成都东"), find_station(after, "万州北"), weight="travel_time"
    )
    assert [after.nodes[node]["name_zh"] for node in route][-1] == "万州北"


def test_a_ride_costs_its_running_time_and_one_start_stop_allowance(after):
    start, end = find_station(after, "重庆西"), find_station(after, "江津北")
    # 九龙坡 between them is reserved: trains pass it, so the ride spans both pieces.
    edge = after.edges[start, end, "yk"]
    model = TimeModel.from_settings()
    assert edge["running_s"] == pytest.approx(edge["length"] / (350 / 3.6), abs=0.2)
    assert edge["travel_time"] == pytest.approx(
        edge["running_s"] / model.speed_factor + model.start_stop_s, abs=0.2
    )


def test_lines_under_construction_are_on_the_network_only_after(today, after):
    with pytest.raises(ChengyuError, match="no station"):
        find_station(today, "达州南")  # only on 成达万 and 西渝, both under construction
    assert find_station(after, "达州南") in after


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
