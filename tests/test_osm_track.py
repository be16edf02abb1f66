"""OpenStreetMap track geometry from local files, and the offline paths; never the network."""

from __future__ import annotations

import bz2
import itertools
import logging
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx
import pytest
from click.testing import CliRunner
from shapely import LineString, Point

from geo.analysis.measure import length_km
from geo.analysis.stage import analyse, drawn_sections
from geo.cli.commands import cli
from geo.errors import ChengyuError
from geo.networks import osm_track as osm
from geo.networks.track_graph import rail_track_graph, track_graph
from geo.sources._schema import RAIL_GEOMETRY_SOURCES
from geo.sources.layers import load_layers

# 沙坪坝 and 重庆 (菜园坝) are consecutive stops of 成渝高铁 at their OpenStreetMap positions.
SHAPINGBA = (106.4562, 29.5568)
CAIYUANBA = (106.5396, 29.5498)
# A hand-drawn track between them, bowing south (about 2.5 km off the straight line).
TRACK = [
    (106.4540, 29.5560),
    (106.4700, 29.5450),
    (106.4900, 29.5350),
    (106.5100, 29.5330),
    (106.5300, 29.5400),
    (106.5430, 29.5520),
]


def _osm_xml(
    ways: list[tuple[list[int], dict[str, str]]], nodes: dict[int, tuple[float, float]]
) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="chengyu tests">',
    ]
    for number, (lon, lat) in nodes.items():
        lines.append(f'<node id="{number}" version="1" lat="{lat}" lon="{lon}"/>')
    for index, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'<way id="{index}" version="1">')
        lines += [f'<nd ref="{ref}"/>' for ref in refs]
        lines += [f'<tag k="{key}" v="{value}"/>' for key, value in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    return "\n".join(lines)


@pytest.fixture
def track_file(tmp_path: Path) -> Path:
    nodes = {index: point for index, point in enumerate(TRACK, start=1)}
    nodes[100], nodes[101] = (106.50, 29.60), (106.52, 29.61)  # a road
    ways = [
        (
            list(range(1, len(TRACK) + 1)),
            {"railway": "rail", "highspeed": "yes", "name": "成渝高铁"},
        ),
        ([100, 101], {"highway": "primary"}),
        ([100, 101], {}),  # no tags at all
    ]
    path = tmp_path / "track.osm.bz2"
    path.write_bytes(bz2.compress(_osm_xml(ways, nodes).encode()))
    return path


def test_a_local_file_gives_the_rail_graph_with_its_tags(track_file):
    graph = osm.rail_graph_from_file(track_file)
    assert graph.number_of_edges() > 0
    assert {data["railway"] for _, _, data in graph.edges(data=True)} == {"rail"}
    assert all(data.get("highspeed") == "yes" for _, _, data in graph.edges(data=True))


def test_sections_follow_the_track_where_stations_snap_to_it(track_file):
    layers = load_layers(["rail_stations", "rail_lines"])
    graph = osm.rail_graph_from_file(track_file)
    snapped = osm.snap_sections(layers["rail_lines"], layers["rail_stations"], graph).set_index(
        "id"
    )
    chengyu = snapped.loc["cy-2"]
    # The one leg of 沙坪坝 → 重庆 (菜园坝) has precise stations and a track: drawn on OSM.
    assert chengyu["geometry_source"] == "osm"
    assert chengyu["osm_share"] == pytest.approx(1.0)
    assert (106.4900, 29.5350) in list(chengyu.geometry.coords)
    before = layers["rail_lines"].set_index("id").loc["cy-2"]
    assert length_km(chengyu.geometry) > length_km(before.geometry)  # the track bows south
    # 璧山 → 沙坪坝 has no track in the file: that section keeps its schematic chain.
    assert snapped.loc["cy-1", "geometry_source"] == "schematic_station_chain"
    untouched = snapped.loc["cdw-1"]
    assert untouched["geometry_source"] == "schematic_station_chain" and untouched["osm_share"] == 0


def test_a_file_without_railways_is_a_clear_error(tmp_path):
    path = tmp_path / "roads.osm"
    path.write_text(
        _osm_xml([([1, 2], {"highway": "primary"})], {1: (106.5, 29.5), 2: (106.6, 29.6)})
    )
    with pytest.raises(ChengyuError, match=r"roads\.osm: no railway=rail"):
        osm.rail_graph_from_file(path)


def test_a_broken_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "broken.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="29.5" lon="106.5"/><way id="1"><nd ref="1"/>'
    )
    with pytest.raises(ChengyuError, match=r"broken\.osm"):
        osm.rail_graph_from_file(path)


def test_a_pbf_extract_is_filtered_to_its_railways_first(track_file, tmp_path, monkeypatch):
    import osmium

    monkeypatch.setattr(osm.settings, "cache_dir", tmp_path / "cache")
    pbf = tmp_path / "region.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for entity in osmium.FileProcessor(str(track_file)):
            writer.add(entity)
    graph = osm.rail_graph_from_file(pbf)
    assert {data["railway"] for _, _, data in graph.edges(data=True)} == {"rail"}
    assert len(list((tmp_path / "cache").glob("osm-rail-*.osm"))) == 1


def test_a_broken_pbf_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.setattr(osm.settings, "cache_dir", tmp_path / "cache")
    path = tmp_path / "sichuan.osm.pbf"
    path.write_bytes(b"\x00not a pbf")
    with pytest.raises(ChengyuError, match=r"sichuan\.osm\.pbf"):
        osm.rail_graph_from_file(path)


def test_overpass_unreachable_fails_fast_with_one_message_and_the_build_goes_on(
    monkeypatch, tmp_path
):
    asked = []

    def offline(address, timeout=None):
        asked.append((address, timeout))
        raise OSError(101, "Network is unreachable")

    def never(*args, **kwargs):
        raise AssertionError("osmnx must not be asked when Overpass cannot be reached")

    cache = _copy_of_the_session_cache(tmp_path)
    monkeypatch.setattr(osm.socket, "create_connection", offline)
    monkeypatch.setattr(osmnx, "graph_from_bbox", never)
    monkeypatch.setattr(osm.settings, "cache_dir", cache)
    result = CliRunner().invoke(cli, ["osm", "--source", "overpass"])
    assert result.exit_code == 1
    assert "Overpass" in result.output and "could not be reached" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert asked and asked[0][1] == osm.settings.overpass_connect_timeout_s
    assert not (cache / osm.CACHED_GRAPH).exists()
    # Without a cached graph no section follows the OSM track (the railway graph may carry some):
    # the sections drawn as the analysis draws them, without computing the rest of it again.
    sources = load_layers(["rail_lines", "rail_stations"])
    lines = drawn_sections(sources["rail_lines"], sources["rail_stations"], cache_dir=cache)
    assert not {"osm", "osm_partial"} & set(lines["geometry_source"])


def test_overpass_gives_the_rail_graph_only(track_file, monkeypatch):
    # Overpass answers with what the filter let through; only railway=rail ways are kept, and
    # the nodes no railway uses are dropped (as for a local file).
    ox = osm._osmnx()
    before = list(ox.settings.useful_tags_way)
    with osm._rail_tags():
        answer = ox.graph_from_xml(track_file, bidirectional=True, simplify=True, retain_all=True)
    assert ox.settings.useful_tags_way == before  # osmnx's own setting is left as it was
    assert {data.get("railway") for _, _, data in answer.edges(data=True)} > {"rail"}
    asked = []

    def graph_from_bbox(bbox, **kwargs):
        asked.append(bbox)
        return answer.copy()

    monkeypatch.setattr(osm, "_check_reachable", lambda url: None)
    monkeypatch.setattr(ox, "graph_from_bbox", graph_from_bbox)
    graph = osm.rail_graph_from_overpass((106.4, 29.5, 106.6, 29.7))
    assert asked == [(106.4, 29.5, 106.6, 29.7)]
    assert {data.get("railway") for _, _, data in graph.edges(data=True)} == {"rail"}
    assert all(graph.degree(node) > 0 for node in graph.nodes)
    assert graph.number_of_nodes() < answer.number_of_nodes()


def _copy_of_the_session_cache(tmp_path: Path) -> Path:
    """The session's cache of derived data (boundaries, routes, people), not its networks.

    The network stage is computed again; what it reads from the cache is what the tests of
    those stages check.
    """
    target = tmp_path / "cache"
    ignored = shutil.ignore_patterns("network-*", osm.CACHED_GRAPH)
    shutil.copytree(osm.settings.cache_dir, target, ignore=ignored)
    return target


def test_a_refreshed_graph_is_cached_and_used_by_the_build(track_file, monkeypatch, tmp_path):
    cache = _copy_of_the_session_cache(tmp_path)
    monkeypatch.setattr(osm.settings, "cache_dir", cache)
    result = CliRunner().invoke(cli, ["osm", "--source", str(track_file)])
    assert result.exit_code == 0, result.output
    assert (cache / osm.CACHED_GRAPH).is_file()
    lines = analyse().layers["rail_lines"].set_index("id")
    assert lines.loc["cy-2", "geometry_source"] == "osm"


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_cached_graph_is_one_line_not_other_sections(track_file, tmp_path, damage):
    # Unlike a stage, it cannot be computed again without its source: read damaged, a flipped
    # coordinate would move the sections drawn along it, and a cut file was a traceback.
    cache = tmp_path / "cache"
    path = osm.refresh(str(track_file), cache_dir=cache)
    edges = osm.cached_rail_graph(cache).number_of_edges()
    assert edges > 0
    data = path.read_bytes()
    at = data.index(b"106.")  # a coordinate
    changed = data[:at] + b"107." + data[at + 4 :] if damage == "flip" else data[: len(data) // 2]
    path.write_bytes(changed)
    with pytest.raises(ChengyuError, match=r"osm_rail.graphml: damaged .*run chengyu osm"):
        osm.cached_rail_graph(cache)


def test_a_graph_cached_without_its_checksum_is_refused_not_read_unchecked(track_file, tmp_path):
    # Before the graph was a checked record, a plain GraphML (or one beside a .sha256 file)
    # was kept: read as it is, a changed coordinate would move the sections drawn along it.
    cache = tmp_path / "cache"
    path = osm.refresh(str(track_file), cache_dir=cache)
    header, graphml = path.read_bytes().split(b"\n", 1)
    assert header.startswith(b"chengyu-cache/2 kind=graphml")
    path.write_bytes(graphml.replace(b"106.", b"107.", 1))
    with pytest.raises(ChengyuError, match=r"osm_rail.graphml: damaged or of an older version"):
        osm.cached_rail_graph(cache)


def test_a_truncated_bz2_file_is_named_in_one_line(track_file, tmp_path, monkeypatch):
    import bz2

    monkeypatch.setattr(osm.settings, "cache_dir", tmp_path / "cache")
    whole = bz2.compress(track_file.read_bytes())
    path = tmp_path / "cut.osm.bz2"
    path.write_bytes(whole[: len(whole) // 2])
    result = CliRunner().invoke(cli, ["osm", "--source", str(path)])
    assert result.exit_code == 1
    assert "cut.osm.bz2" in result.output and "truncated" in result.output
    assert "Aborted" not in result.output and "Traceback" not in result.output


def test_the_graph_is_cached_in_the_cache_of_the_out_folder(track_file, tmp_path, monkeypatch):
    monkeypatch.setattr(osm.settings, "cache_dir", None)
    result = CliRunner().invoke(
        cli, ["osm", "--out", str(tmp_path / "out"), "--source", str(track_file)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "cache" / osm.CACHED_GRAPH).is_file()


# Drawing sections along scgraph_data's railway graph (geo.networks.track_graph.rail_track_graph),
# with the
# same snap_sections, under the railway graph's guards.

# Three stations of a made-up line, west to east (about 9.7 km apart).
WEST, MIDDLE, EAST = (106.00, 29.50), (106.10, 29.50), (106.20, 29.50)


def _made_up_layers(
    *, status: str = "operating", official_km: float | None = None, precision_m: int = 100
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A line ``t`` of one section through WEST, MIDDLE and EAST, as the layers hold it."""
    stations = gpd.GeoDataFrame(
        {
            "id": ["t-1", "t-2", "t-3"],
            "line_id": "t",
            "seq": [1, 2, 3],
            "precision_m": [100, precision_m, 100],
        },
        geometry=[Point(place) for place in (WEST, MIDDLE, EAST)],
        crs="EPSG:4326",
    )
    sections = gpd.GeoDataFrame(
        {
            "id": ["t-1"],
            "line_id": ["t"],
            "from_seq": [1],
            "to_seq": [3],
            "status": [status],
            "length_official_km": [official_km],
            "line_length_official_km": [None],
            "geometry_source": ["schematic_station_chain"],
            "osm_share": [0.0],
        },
        geometry=[LineString([WEST, MIDDLE, EAST])],
        crs="EPSG:4326",
    )
    return sections, stations


def _graph(*tracks: list[tuple[float, float]]) -> nx.Graph:
    """The track graph of polylines, as ``rail_track_graph`` builds it from the railway graph."""
    rows = [(*a, *b) for track in tracks for a, b in itertools.pairwise(track)]
    return track_graph(np.array(rows))


# Along the line, bowing 1 km north between the stations (about 1 % longer than the chord).
ALONG = [
    (106.00, 29.5005),
    (106.05, 29.509),
    (106.1005, 29.5005),
    (106.15, 29.509),
    (106.20, 29.50),
]
# Round about: from WEST 6 km south, then to MIDDLE (the chord is 9.7 km, the path about 15 km).
ROUND = [(106.00, 29.5005), (106.05, 29.445), (106.1005, 29.5005)]


def _drawn(sections, stations, graph, **guards):
    return (
        osm.snap_sections(sections, stations, graph, source="osm_railway_graph", **guards)
        .set_index("id")
        .loc["t-1"]
    )


def test_a_leg_follows_the_railway_graph_where_it_runs_between_the_stations():
    sections, stations = _made_up_layers()
    section = _drawn(sections, stations, _graph(ALONG))
    assert section["geometry_source"] == "osm_railway_graph" and section["osm_share"] == 1.0
    assert (106.05, 29.509) in list(section.geometry.coords)  # the track's bend, not the chord
    assert section.geometry.coords[0] == WEST and section.geometry.coords[-1] == EAST
    # Through MIDDLE, not out from the track node to the station and back.
    assert MIDDLE in list(section.geometry.coords) and section.geometry.is_simple
    chain = length_km(sections.geometry.iloc[0])
    assert chain < length_km(section.geometry) < 1.03 * chain


def test_a_line_passes_through_a_station_beside_the_track_without_a_spur_out_and_back():
    sections, stations = _made_up_layers()
    # A straight track 330 m north of the stations, with a node level with MIDDLE.
    north = [(106.0, 29.503), (106.1, 29.503), (106.2, 29.503)]
    section = _drawn(sections, stations, _graph(north))
    coords = list(section.geometry.coords)
    assert section["geometry_source"] == "osm_railway_graph"
    assert MIDDLE in coords and (106.1, 29.503) not in coords and section.geometry.is_simple


def test_a_line_ends_at_its_last_station_not_at_a_track_node_beyond_it():
    sections, stations = _made_up_layers()
    # The track runs on 200 m past EAST; EAST's nearest node lies beyond it, the one before
    # about 300 m back: the line goes from that one to the station, not out and back.
    beyond = [*ALONG[:-1], (106.2020, 29.5005)]
    section = _drawn(sections, stations, _graph(beyond))
    assert section["geometry_source"] == "osm_railway_graph"
    assert max(x for x, _ in section.geometry.coords) == EAST[0]


def test_a_leg_whose_only_path_is_a_detour_stays_straight():
    sections, stations = _made_up_layers()
    section = _drawn(sections, stations, _graph(ROUND, ALONG[2:]))
    # WEST → MIDDLE only round about (1.5 times the chord): straight; MIDDLE → EAST on the track.
    assert section["geometry_source"] == "osm_railway_graph_partial"
    assert section["osm_share"] == 0.5
    assert (106.05, 29.445) not in list(section.geometry.coords)
    assert list(section.geometry.coords)[:2] == [WEST, MIDDLE]


def test_a_station_far_from_the_graph_or_placed_by_its_town_is_not_snapped():
    sections, stations = _made_up_layers()
    # The track passes 2 km south of MIDDLE (the limit is 1.5 km): both of its legs straight.
    south = [(106.00, 29.5005), (106.10, 29.482), (106.20, 29.50)]
    assert _drawn(sections, stations, _graph(south))["geometry_source"] == "schematic_station_chain"
    # MIDDLE placed only by its town (5 km): its legs stay straight, though it lies on the track.
    sections, stations = _made_up_layers(precision_m=5000)
    assert _drawn(sections, stations, _graph(ALONG))["geometry_source"] == "schematic_station_chain"


def test_a_section_not_operating_stays_a_chain():
    # The graph holds the railways built when it was made: an older line may run where a new one
    # is being built, and the new one would be drawn along it.
    sections, stations = _made_up_layers(status="under_construction")
    section = _drawn(sections, stations, _graph(ALONG))
    assert section["geometry_source"] == "schematic_station_chain" and section["osm_share"] == 0
    assert section.geometry.equals(sections.geometry.iloc[0])


def test_a_section_longer_on_the_graph_than_its_official_length_keeps_its_chain(caplog):
    along = length_km(_drawn(*_made_up_layers(), _graph(ALONG)).geometry)
    # Within 3 % of the official length: drawn along the graph.
    sections, stations = _made_up_layers(official_km=along / 1.02)
    assert _drawn(sections, stations, _graph(ALONG))["geometry_source"] == "osm_railway_graph"
    # 5 % longer than the official length: the path ran along another railway; the chain stays.
    sections, stations = _made_up_layers(official_km=along / 1.05)
    with caplog.at_level(logging.INFO, logger="chengyu"):
        section = _drawn(sections, stations, _graph(ALONG))
    assert section["geometry_source"] == "schematic_station_chain"
    assert section.geometry.equals(sections.geometry.iloc[0])
    assert "t-1 keeps its station chain" in caplog.text and "+ 3 %" in caplog.text


def test_a_section_already_on_the_osm_track_keeps_it():
    sections, stations = _made_up_layers()
    sections["geometry_source"] = "osm_partial"
    section = _drawn(sections, stations, _graph(ALONG))
    assert section["geometry_source"] == "osm_partial"
    assert section.geometry.equals(sections.geometry.iloc[0])


@pytest.fixture(scope="module")
def on_the_railway_graph() -> gpd.GeoDataFrame:
    layers = load_layers(["rail_stations", "rail_lines"])
    sections, stations = layers["rail_lines"], layers["rail_stations"]
    graph = rail_track_graph()
    return osm.snap_sections(sections, stations, graph, source="osm_railway_graph").set_index("id")


# Old 成渝铁路 passes through these towns (GeoNames points of 资中 and 内江), about 3 km from
# the high-speed stations 资中北 and 内江北.
ZIZHONG, NEIJIANG = (104.85224, 29.78062), (105.06216, 29.58354)


def test_the_operating_high_speed_lines_follow_the_railway_graph(on_the_railway_graph):
    lines = on_the_railway_graph
    # 成渝高铁 成都东–沙坪坝 and 渝万 (郑渝 万州北–重庆北): most legs along the graph.
    for section_id in ("cy-1", "zy-2"):
        assert lines.loc[section_id, "geometry_source"] == "osm_railway_graph_partial"
        assert lines.loc[section_id, "osm_share"] >= 0.6
    zhengyu = lines.loc["zy-2"]
    assert length_km(zhengyu.geometry) == pytest.approx(zhengyu["length_official_km"], rel=0.03)
    chengyu = length_km(lines.loc["cy-1"].geometry) + length_km(lines.loc["cy-2"].geometry)
    assert chengyu == pytest.approx(308, rel=0.03)  # 成都东–重庆 (菜园坝), officially 308 km
    # The high-speed line, not the old 成渝铁路 that runs through the towns (the graph has it, and
    # a gap in its high-speed line between 资中北 and 内江北 that the old line goes round).
    drawn = gpd.GeoSeries([lines.loc["cy-1"].geometry], crs="EPSG:4326").to_crs(32648).iloc[0]
    for town in (ZIZHONG, NEIJIANG):
        point = gpd.GeoSeries([Point(town)], crs="EPSG:4326").to_crs(32648).iloc[0]
        assert drawn.distance(point) > 2500


def test_lines_the_railway_graph_lacks_or_that_are_not_open_stay_chains(on_the_railway_graph):
    lines = on_the_railway_graph
    # 渝昆 重庆西–宜宾东 (2024) is not in the graph; older lines it has run elsewhere.
    assert lines.loc["yk-1", "geometry_source"] == "schematic_station_chain"
    # 成达万 is being built beside 达成铁路, which the graph has between 遂宁 and 南充.
    building = lines[lines["status"] != "operating"]
    assert set(building["geometry_source"]) == {"schematic_station_chain"}
    assert set(lines["geometry_source"]) <= set(RAIL_GEOMETRY_SOURCES)
    assert lines["osm_share"].between(0, 1).all()


def test_the_analysis_draws_and_measures_the_sections_along_the_railway_graph():
    analysed = analyse()
    lines = analysed.layers["rail_lines"].set_index("id")
    assert lines.loc["zy-2", "geometry_source"] == "osm_railway_graph_partial"
    table = analysed.lengths.set_index(["level", "id"])
    zhengyu = table.loc[("section", "zy-2")]
    assert zhengyu["geometry_source"] == "osm_railway_graph_partial"
    assert "of its legs along scgraph_data's railway graph" in zhengyu["remark"]
    assert zhengyu["total_km"] == pytest.approx(length_km(lines.loc["zy-2"].geometry), abs=0.1)
    assert table.loc[("line", "cy"), "geometry_source"] == (
        "osm_railway_graph_partial/schematic_station_chain"
    )


def test_a_cache_folder_that_is_a_file_stops_the_refresh_in_one_line(
    track_file, tmp_path, monkeypatch
):
    # The graph is written as a cache record, not through a cached stage's lock: it said only
    # "File exists" (the folder is made where every file is written, geo._io.make_folder).
    taken = tmp_path / "taken"
    taken.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(osm.settings, "cache_dir", taken / "sub")
    result = CliRunner().invoke(cli, ["osm", "--source", str(track_file)])
    assert result.exit_code == 1, result.output
    assert [line for line in result.output.splitlines() if line.strip()] == [
        f"error: the cache folder {taken / 'sub'} (CHENGYU_CACHE) cannot be made: {taken} is a "
        "file, not a folder"
    ]
