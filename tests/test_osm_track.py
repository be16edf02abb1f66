"""OpenStreetMap track geometry from local files, and the offline paths; never the network."""

from __future__ import annotations

import bz2
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo import osm_track as osm
from geo.analysis import analyse
from geo.cli import cli
from geo.errors import ChengyuError
from geo.layers import load_layers
from geo.measure import length_km

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
    monkeypatch.setattr(osm.ox, "graph_from_bbox", never)
    monkeypatch.setattr(osm.settings, "cache_dir", cache)
    result = CliRunner().invoke(cli, ["osm", "--source", "overpass"])
    assert result.exit_code == 1
    assert "Overpass" in result.output and "could not be reached" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert asked and asked[0][1] == osm.settings.overpass_connect_timeout_s
    assert not (cache / osm.CACHED_GRAPH).exists()
    # Without a cached graph the build keeps the schematic chains.
    lines = analyse().layers["rail_lines"]
    assert set(lines["geometry_source"]) == {"schematic_station_chain"}


def _copy_of_the_session_cache(tmp_path: Path) -> Path:
    """The session's cache of derived data (boundaries, routes, people), not its analyses.

    The analysis itself is computed again; what it reads from the cache is what the tests of
    those stages check.
    """
    target = tmp_path / "cache"
    ignored = shutil.ignore_patterns("analysis-*", osm.CACHED_GRAPH)
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
    monkeypatch.delattr(osm.settings, "cache_dir")
    result = CliRunner().invoke(
        cli, ["osm", "--out", str(tmp_path / "out"), "--source", str(track_file)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "cache" / osm.CACHED_GRAPH).is_file()
