"""Plausibility warnings: operating stations far from the OpenStreetMap-derived railway graph."""

from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from geo._geodesy import GEOD, geodesic_km, nearest
from geo.cli.commands import cli
from geo.networks.track_graph import (
    distances_to_rail_graph_km,
    layer_warnings,
    rail_graph_segments,
    rail_track_graph,
    stations_far_from_rail_graph,
    track_graph,
)
from geo.sources.layers import load_layer
from tests.conftest import edit_field

BISHAN = (106.2207, 29.5067)  # OpenStreetMap position of 璧山 on 成渝高铁


@pytest.fixture(scope="module")
def stations():
    return load_layer("rail_stations")


def test_a_station_on_the_track_is_close_to_the_graph():
    (gap,) = distances_to_rail_graph_km([BISHAN])
    assert gap < 1.0


def test_the_region_s_edges_are_cached_and_read_back_unchanged(tmp_path):
    first = rail_graph_segments(cache_dir=tmp_path)
    assert len(list(tmp_path.glob("rail-segments-*.cache"))) == 1
    assert first.shape[1] == 4 and len(first) > 1000
    assert np.array_equal(rail_graph_segments(cache_dir=tmp_path), first)


def test_the_track_graph_cuts_long_segments_and_measures_them_on_the_ellipsoid():
    west, east, north = (106.0, 29.5), (106.2, 29.5), (106.2, 29.6)  # 19.4 and 11.1 km
    graph = track_graph(np.array([[*west, *east], [*east, *north]]))
    lengths = [data["length"] for _, _, data in graph.edges(data=True)]
    assert max(lengths) <= 500 and len(lengths) == 39 + 23
    assert sum(lengths) / 1000 == pytest.approx(
        geodesic_km(*west, *east) + geodesic_km(*east, *north), rel=1e-6
    )
    positions = {(data["x"], data["y"]) for _, data in graph.nodes(data=True)}
    assert {west, east, north} <= positions
    assert nx.is_connected(graph)  # the two segments meet at their shared end
    # Across the prime meridian -0.1 + (0.3 - -0.1) is not 0.3 in floating point: still joined.
    across = track_graph(np.array([[-0.1, 0.0, 0.3, 0.0], [0.3, 0.0, 0.3, 0.1]]))
    assert nx.is_connected(across)


def test_of_two_edges_joining_the_same_nodes_the_shorter_is_kept(monkeypatch):
    # On the ellipsoid a segment and its reverse measure the same; a measure that depends on
    # the direction (eastwards 10 % longer) tells which of the two parallel edges stays.
    from geo.networks import track_graph as module

    class Directed:
        def inv(self, lon1, lat1, lon2, lat2):
            azimuth, back, metres = GEOD.inv(lon1, lat1, lon2, lat2)
            return azimuth, back, np.where(np.asarray(lon2) > np.asarray(lon1), 1.1, 1.0) * metres

    monkeypatch.setattr(module, "GEOD", Directed())
    west, east = (106.0, 29.5), (106.001, 29.5)  # about 97 m: one piece each way
    for segments in ([[*west, *east], [*east, *west]], [[*east, *west], [*west, *east]]):
        graph = track_graph(np.array(segments))
        assert graph.number_of_edges() == 1
        ((_, _, length),) = graph.edges(data="length")
        assert length == pytest.approx(geodesic_km(*west, *east) * 1000)


def test_the_region_s_railway_graph_keeps_its_length_and_a_node_beside_each_station():
    segments = rail_graph_segments()
    graph = rail_track_graph()
    metres = GEOD.inv(segments[:, 0], segments[:, 1], segments[:, 2], segments[:, 3])[2]
    lengths = [data["length"] for _, _, data in graph.edges(data=True)]
    assert sum(lengths) == pytest.approx(metres.sum(), rel=1e-3)
    assert max(lengths) < 505
    nodes = np.array([(data["x"], data["y"]) for _, data in graph.nodes(data=True)])
    _, metres_away = nearest(nodes, np.array([BISHAN]))
    assert metres_away[0] < 400  # 璧山 lies 345 m from the graph (344 m from a node)


def test_every_operating_station_is_on_the_rail_graph_or_explained(stations):
    assert stations_far_from_rail_graph(stations) == []


def test_a_station_moved_10_km_off_the_track_warns(layers_dir):
    edit_field(layers_dir / "rail_stations.csv", "cy-07", "lat", "29.5262")  # 荣昌北, 10 km north
    moved = load_layer("rail_stations", layers_dir=layers_dir)
    warnings = stations_far_from_rail_graph(moved)
    (moved_one,) = [problem for problem in warnings if problem.feature_id == "cy-07"]
    assert moved_one.file == "rail_stations.csv" and moved_one.field == "lon"
    assert (
        "荣昌北 (rongchang_bei) lies 9.8" in moved_one.message and "limit 2 km" in moved_one.message
    )


def test_a_listed_exception_does_not_warn_but_would_without_its_reason(stations):
    excused = {problem.feature_id for problem in stations_far_from_rail_graph(stations)}
    assert "yk-07" not in excused  # 南溪: the graph lacks the 2024 Chongqing–Yibin section
    strict = stations_far_from_rail_graph(stations, exceptions={})
    nanxi = [problem for problem in strict if problem.feature_id == "yk-07"]
    assert nanxi and "28." in nanxi[0].message


def test_stations_under_construction_are_not_checked(stations):
    building = stations[stations["status"] != "operating"]
    assert stations_far_from_rail_graph(building, exceptions={}) == []


def test_warnings_are_logged_one_line_each(layers_dir, caplog):
    edit_field(layers_dir / "rail_stations.csv", "cy-07", "lat", "29.5262")  # 荣昌北, 10 km north
    moved = load_layer("rail_stations", layers_dir=layers_dir)
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        warnings = layer_warnings({"rail_stations": moved})
    lines = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(lines) == len(warnings) > 0
    assert all("\n" not in line and "rail_stations.csv" in line for line in lines)


def test_validate_counts_the_warnings(layers_dir):
    edit_field(layers_dir / "rail_stations.csv", "cy-07", "lat", "29.5262")  # 荣昌北, 10 km north
    result = CliRunner().invoke(cli, ["validate", "--layers", str(layers_dir)])
    assert result.exit_code == 0, result.output
    assert "1 position warning(s)" in result.output
