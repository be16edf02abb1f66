"""Leg geometry: sea lanes, schematic chains and geodesic distance."""

from __future__ import annotations

import numpy as np
import pytest

from geo.analysis.measure import geodesic_km
from geo.errors import RoutingError
from geo.networks.freight import rail_route, road_geometry_source, road_route, sea_route
from geo.sources._layer_builders import schematic_route

QINZHOU = (108.647, 21.68317)
PORT_KLANG = (101.3604, 3.0159)


def test_a_sea_route_starts_and_ends_at_its_ports_and_is_longer_than_the_straight_line():
    route = sea_route(QINZHOU, PORT_KLANG)
    assert route.coords[0] == QINZHOU and route.coords[-1] == PORT_KLANG
    straight = geodesic_km(*QINZHOU, *PORT_KLANG)
    assert 1.15 * straight < sum(
        geodesic_km(*a, *b) for a, b in zip(route.coords[:-1], route.coords[1:], strict=True)
    )


def test_a_sea_route_from_an_inland_city_is_refused():
    with pytest.raises(RoutingError, match="from the nearest sea lane"):
        sea_route((104.07, 30.67), PORT_KLANG)  # Chengdu


def test_a_schematic_route_drops_repeated_points():
    line = schematic_route([(104.0, 30.0), (104.0, 30.0), (105.0, 29.0)])
    assert list(line.coords) == [(104.0, 30.0), (105.0, 29.0)]


def test_a_schematic_route_needs_two_distinct_points():
    with pytest.raises(RoutingError, match="two distinct points"):
        schematic_route([(104.0, 30.0), (104.0, 30.0)])


TUANJIECUN = (106.3644, 29.6269)
QINZHOU_PORT = (108.647, 21.68317)


def test_a_rail_route_is_cached_and_read_back_unchanged(tmp_path, monkeypatch):
    line, spurs = rail_route([TUANJIECUN, QINZHOU_PORT], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("rail-route-*.cache"))) == 1

    def no_second_load() -> None:
        raise AssertionError("the railway graph was used again: the cache was not")

    monkeypatch.setattr("geo.networks.freight.railway_graph", no_second_load)
    again, spurs_again = rail_route([TUANJIECUN, QINZHOU_PORT], cache_dir=tmp_path)
    assert list(again.coords) == list(line.coords) and spurs_again == spurs
    assert line.coords[0] == TUANJIECUN and line.coords[-1] == QINZHOU_PORT


def test_a_rail_route_passes_the_nodes_it_is_given(tmp_path):
    kunming = (102.72, 25.04)
    line, _ = rail_route([TUANJIECUN, kunming, QINZHOU_PORT], cache_dir=tmp_path)
    assert min(geodesic_km(*kunming, x, y) for x, y in line.coords) < 35


def test_a_rail_route_from_the_open_sea_is_refused(tmp_path):
    with pytest.raises(RoutingError, match="from the nearest railway"):
        rail_route([(115.0, 15.0), QINZHOU_PORT], cache_dir=tmp_path)  # South China Sea


SUINING = (105.5733, 30.5080)
CHONGQING = (106.5577, 29.5603)


def _km(line) -> float:  # type: ignore[no-untyped-def]
    return sum(geodesic_km(*a, *b) for a, b in zip(line.coords[:-1], line.coords[1:], strict=True))


def test_a_road_route_follows_the_highway_graph_and_is_cached(tmp_path, monkeypatch):
    line, share = road_route([SUINING, CHONGQING], cache_dir=tmp_path)
    assert share == 1.0
    assert line.coords[0] == SUINING and line.coords[-1] == CHONGQING
    # Along roads, not one straight segment: longer than the chord, but no detour.
    assert len(line.coords) > 20
    chord = geodesic_km(*SUINING, *CHONGQING)
    assert 1.0 < _km(line) / chord <= 1.3
    assert len(list(tmp_path.glob("road-route-*.cache"))) == 1

    def no_second_load() -> None:
        raise AssertionError("the highway graph was used again: the cache was not")

    monkeypatch.setattr("geo.networks.freight.highway_graph", no_second_load)
    again, share_again = road_route([SUINING, CHONGQING], cache_dir=tmp_path)
    assert list(again.coords) == list(line.coords) and share_again == share


def test_a_road_leg_without_a_road_stays_straight(tmp_path):
    at_sea = (123.5, 30.5)  # East China Sea: no road within reach
    line, share = road_route([SUINING, CHONGQING, at_sea], cache_dir=tmp_path)
    assert 0 < share < 1
    assert line.coords[-1] == at_sea and line.coords[-2] == CHONGQING


def test_a_road_path_that_detours_is_not_taken(tmp_path):
    line, share = road_route([SUINING, CHONGQING], max_detour=1.01, cache_dir=tmp_path)
    assert share == 0.0 and list(line.coords) == [SUINING, CHONGQING]


@pytest.mark.parametrize(
    ("share", "source"),
    [
        (1.0, "osm_highway_graph"),
        (0.99, "osm_highway_graph_partial"),
        (0.01, "osm_highway_graph_partial"),
        (0.0, "schematic_waypoints"),
    ],
)
def test_a_road_is_on_the_highway_graph_only_when_all_its_legs_are(share, source):
    assert road_geometry_source(share) == source


def test_the_graphs_find_the_nearest_node_as_scgraph_does_without_its_warm_up():
    # scgraph's own (pure-Python) k-d tree over 20,000 of the railway graph's nodes, against the
    # scipy one the graphs get instead: the same node for every point, near and between nodes.
    from scgraph.helpers.kd_tree import GeoKDTree

    from geo.networks.freight import railway_graph

    graph = railway_graph()
    assert graph.__warm__ and type(graph.geokdtree).__module__ == "geo.networks.freight"
    nodes = graph.nodes[::13][:20_000]
    theirs, ours = GeoKDTree(points=nodes), type(graph.geokdtree)(nodes)
    generator = np.random.default_rng(7)
    points = [*generator.uniform((-60, -180), (75, 180), (300, 2)), *nodes[:50]]
    for point in points:
        assert ours.closest_idx(tuple(point)) == theirs.closest_idx(tuple(point)), point
