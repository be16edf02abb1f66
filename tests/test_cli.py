"""The ``chengyu`` command as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely import Point

from geo import settings
from geo.analysis.stage import Analysis
from geo.cli.commands import cli
from geo.outputs import build as build_module
from geo.outputs.build import BuildResult
from geo.sources._schema import BUILD_SPECS
from geo.sources.layers import LAYER_NAMES
from tests.conftest import edit_field

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _analysis_of(built: BuildResult) -> Analysis:
    layers = {"station_coverage": built.station_coverage}
    return Analysis(layers, built.lengths, built.coverage)


@pytest.mark.parametrize("command", [[], ["build"], ["layers"], ["validate"], ["scenario"]])
def test_every_command_has_help(runner, command):
    result = runner.invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_layers_lists_every_layer_with_its_count(runner):
    result = runner.invoke(cli, ["layers"])
    assert result.exit_code == 0, result.output
    for name in LAYER_NAMES:
        assert name in result.output
    assert "rail_stations.csv" in result.output


def test_validate_reports_success(runner):
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid: 8 layers" in result.output


def test_validate_names_the_bad_field_and_fails(runner, layers_dir):
    edit_field(layers_dir / "airports.csv", "langzhong", "status", "closed")
    result = runner.invoke(cli, ["validate", "--layers", str(layers_dir)])
    assert result.exit_code == 1
    assert (
        "airports.csv" in result.output
        and "langzhong" in result.output
        and "status" in result.output
    )
    assert "Traceback" not in result.output


def test_build_writes_the_geopackage_and_parquet(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {name for name, _ in pyogrio.list_layers(tmp_path / "chengyu_corridors.gpkg")} >= set(
        LAYER_NAMES
    )
    assert sorted(path.stem for path in (tmp_path / "parquet").glob("*.parquet")) == sorted(
        BUILD_SPECS
    )
    assert (tmp_path / "lengths.csv").is_file()


def test_a_failed_build_keeps_the_previous_output(runner, tmp_path, layers_dir):
    assert runner.invoke(cli, ["build", "--out", str(tmp_path)]).exit_code == 0
    before = (tmp_path / "chengyu_corridors.gpkg").read_bytes()
    edit_field(layers_dir / "rail_stations.csv", "cdw-07", "lat", "")
    result = runner.invoke(cli, ["build", "--out", str(tmp_path), "--layers", str(layers_dir)])
    assert result.exit_code == 1
    assert "rail_stations.csv" in result.output
    assert (tmp_path / "chengyu_corridors.gpkg").read_bytes() == before


def test_lengths_prints_the_table_and_writes_the_csv_and_nothing_else(runner, tmp_path):
    (tmp_path / "kept.txt").write_text("a previous output")
    result = runner.invoke(cli, ["lengths", "--out", str(tmp_path), "--level", "section"])
    assert result.exit_code == 0, result.output
    assert "cdw-2" in result.output and "432.4" in result.output
    assert "station chain" in result.output
    assert "cqth-1" not in result.output  # only the level asked for
    assert {path.name for path in tmp_path.iterdir()} == {"lengths.csv", "kept.txt"}
    lines = (tmp_path / "lengths.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(
        "level,id,name_zh,name_en,mode,status,sichuan_km,chongqing_km,other_km,total_km"
    )
    assert any(line.startswith("section,cdw-2,成达万高铁,") for line in lines)


def test_coverage_prints_both_seed_lines_and_the_counties_that_gain(runner, tmp_path):
    # 2.5 km: a radius whose columns (people_after_2.5km) are no Python names.
    result = runner.invoke(
        cli, ["coverage", "--out", str(tmp_path), "--radius", "2.5", "--top", "40"]
    )
    assert result.exit_code == 0, result.output
    assert "成达万" in result.output and "渝昆" in result.output
    assert "Counties that gain most within 2.5km" in result.output
    # Chongqing's districts show their municipality (巴南区 Banan holds the letters, not a NaN).
    assert not re.search(r"\bnan\b", result.output)
    assert "Chongqing" in result.output and "District" in result.output  # names in English too
    assert "dasymetric" in result.output and "城镇人口" in result.output
    written = {path.name for path in tmp_path.iterdir()}
    assert written == {"coverage.csv", "coverage_by_county.csv"}
    header = (tmp_path / "coverage.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("line_id,line_name_zh,line_name_en,")
    by_county = (tmp_path / "coverage_by_county.csv").read_text(encoding="utf-8").splitlines()
    assert by_county[0].startswith(
        "adcode,name_zh,name_en,prefecture_zh,prefecture_en,province_zh,province_en,"
    )
    assert any(line.startswith("510185,简阳市,Jianyang City,成都市,Chengdu City,四川省,Sichuan,")
               for line in by_county)  # fmt: skip
    assert any(line.startswith("500101,万州区,Wanzhou District,,,重庆市,Chongqing,")
               for line in by_county)  # fmt: skip


def test_coverage_json_prints_plain_rows(runner, built, monkeypatch):
    asked = {}

    def write(outputs, **options):  # the session's build stands in for a second one
        asked.update(options, outputs=outputs)
        return _analysis_of(built), {}

    monkeypatch.setattr("geo.cli.commands._write", write)
    result = runner.invoke(cli, ["coverage", "--population", "areal", "--json"])
    assert result.exit_code == 0, result.output
    assert asked["population"] == "areal" and asked["scheduler"] is None
    assert asked["outputs"] == ("coverage.csv", "coverage_by_county.csv")
    rows = json.loads(result.stdout)
    assert len(rows) == len(built.coverage)
    assert {"line_id", "line_name_zh", "line_name_en", "scenario", "radius_km", "people"} <= set(
        rows[0]
    )
    assert rows[0]["people"] == int(built.coverage["people"].iloc[0])


@pytest.mark.parametrize("radius", ["0.5", "2.5", "7.25"])
def test_coverage_prints_the_gains_at_any_radius(runner, built, monkeypatch, radius):
    counties = built.station_coverage.rename(
        columns=lambda name: name.replace("_10km", f"_{float(radius):g}km")
    )

    def write(outputs, **options):  # the session's build, its 10 km columns renamed
        analysis = _analysis_of(built)
        analysis.layers["station_coverage"] = counties
        return analysis, {name: [Path("out") / name] for name in outputs}

    monkeypatch.setattr("geo.cli.commands._write", write)
    result = runner.invoke(cli, ["coverage", "--radius", radius, "--radius", "0.1"])
    assert result.exit_code == 0, result.output
    assert f"Counties that gain most within {float(radius):g}km" in result.output
    top = counties.sort_values(f"gain_people_{float(radius):g}km", ascending=False).iloc[0]
    assert f"{top[f'gain_people_{float(radius):g}km']:+,}" in result.output


def test_coverage_refuses_a_bad_population_file_in_one_line(runner, tmp_path):
    frame = gpd.GeoDataFrame({"people": [-1.0]}, geometry=[Point(104.06, 30.65)], crs=4326)
    frame.to_parquet(tmp_path / "mine.parquet")
    result = runner.invoke(
        cli, ["coverage", "--population", str(tmp_path / "mine.parquet"), "--weight", "people"]
    )
    assert result.exit_code == 1
    assert "mine.parquet: feature '0', field 'people'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["coverage", "--radius", "0"], "not positive"),
        (["coverage", "--radius", "nan"], "not a finite number"),
        (["coverage", "--radius", "1e9"], "beyond the largest sensible value"),
        (["coverage", "--top", "0"], "--top"),
        (["reach", "--minutes", "0"], "not positive"),
        (["reach", "--minutes", "-30"], "not positive"),
        (["reach", "--minutes", "nan"], "not a finite number"),
        (["reach", "--minutes", "inf"], "not a finite number"),
    ],
)
def test_a_bad_option_is_a_usage_error_before_any_work(runner, arguments, expected):
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("out", "expected"),
    [("/sys/chengyu_out", "cannot write"), ("/nonexistent/deep/out", "does not exist")],
)
def test_an_unwritable_or_missing_out_is_one_line(runner, out, expected):
    result = runner.invoke(cli, ["build", "--out", out])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and out in lines[0] and expected in lines[0], result.output


def test_a_bad_scheduler_is_one_line_naming_the_option_and_nothing_is_written(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["coverage", "--out", str(out), "--scheduler", "garbage://x"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--scheduler garbage://x" in lines[0], result.output
    assert not out.exists()


def test_an_os_error_is_one_line_not_a_traceback(runner, monkeypatch, tmp_path):
    import errno

    from geo.outputs import build as build_module

    def full(**_):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr(build_module, "analyse", full)
    result = runner.invoke(cli, ["build", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "disk full (No space left on device)" in result.output
    assert "Traceback" not in result.output


def test_validate_never_loads_the_railway_or_highway_graph_or_the_sea_lanes(runner, monkeypatch):
    from geo.networks import freight as routing
    from geo.networks.track_graph import rail_graph_segments

    def forbidden(*args, **kwargs):
        raise AssertionError("validate must not route")

    # The position check reads the region's railway segments from its cache (filled here);
    # routing the corridor legs would need the whole graph.
    rail_graph_segments()
    monkeypatch.setattr(routing, "railway_graph", forbidden)
    monkeypatch.setattr(routing, "rail_route", forbidden)
    monkeypatch.setattr(routing, "sea_route", forbidden)
    monkeypatch.setattr(routing, "highway_graph", forbidden)
    monkeypatch.setattr(routing, "road_route", forbidden)
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid: " in result.output


def test_lengths_offers_and_titles_every_level_of_levels(runner, built, monkeypatch):
    from geo.analysis.measure import LEVELS

    monkeypatch.setattr(
        "geo.cli.commands._write",
        lambda *args, **kwargs: (_analysis_of(built), {"lengths.csv": ["x"]}),
    )
    result = runner.invoke(cli, ["lengths", "--help"])
    assert "[" + "|".join(LEVELS) + "]" in result.output
    result = runner.invoke(cli, ["lengths"])
    assert result.exit_code == 0, result.output
    for level in LEVELS.values():
        assert level.title in result.output


def test_coverage_shows_every_line_with_stations_to_open_and_no_other(runner, built, monkeypatch):
    monkeypatch.setattr(
        "geo.cli.commands._write",
        lambda *args, **kwargs: (
            _analysis_of(built),
            {"coverage.csv": ["x"], "coverage_by_county.csv": ["y"]},
        ),
    )
    from geo.cli._common import stdout_console

    monkeypatch.setattr(stdout_console, "width", 400)  # no line's name wraps in its cell
    result = runner.invoke(cli, ["coverage"])
    assert result.exit_code == 0, result.output
    table = built.coverage
    stations = table.pivot_table(index="line_id", columns="scenario", values="stations")
    changing = set(stations.index[stations["after"] != stations["today"]])
    assert {"cdw", "yk", "all"} <= changing and len(changing) > 3
    names = table.drop_duplicates("line_id").set_index("line_id")["line_name_en"]
    for line_id, name in names.items():
        assert (name in result.output) == (line_id in changing), line_id


def test_lengths_json_prints_plain_rows(runner, built, monkeypatch):
    import json
    import math

    monkeypatch.setattr(
        "geo.cli.commands._write", lambda *args, **kwargs: (_analysis_of(built), {})
    )
    result = runner.invoke(cli, ["lengths", "--json", "--level", "section", "--level", "line"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    table = built.lengths[built.lengths["level"].isin(["section", "line"])]
    assert len(rows) == len(table) and {row["level"] for row in rows} == {"section", "line"}
    assert list(rows[0]) == list(table.columns)
    by_id = {(row["level"], row["id"]): row for row in rows}
    section = table.set_index(["level", "id"]).loc[("section", "cdw-2")]
    assert by_id[("section", "cdw-2")]["total_km"] == pytest.approx(section["total_km"])
    assert by_id[("section", "cdw-2")]["official_km"] == pytest.approx(432.4)
    # A missing official length is null, never NaN (which is not JSON).
    assert any(row["official_km"] is None for row in rows)
    assert all(not (isinstance(v, float) and math.isnan(v)) for row in rows for v in row.values())


def test_the_command_line_starts_without_the_geospatial_stack():
    # The commands import the library when they run, not when `chengyu --help` is read: the
    # library with geopandas, cnmaps and matplotlib takes about 4 s to import, --help 0.4 s.
    code = (
        "import sys, geo.cli; "
        "print(sorted(m for m in ('geopandas', 'cnmaps', 'matplotlib', 'folium', 'networkx') "
        "if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd()
    )
    assert found.stdout.strip() == "[]", found.stdout


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["times", "--from", "成都东", "--from", "重庆北", "--to", "遂宁"], "--from"),
        (["coverage", "--population", "areal", "--population=dasymetric"], "--population"),
        (["figure", "--dpi", "100", "--format", "png", "--dpi", "300"], "--dpi"),
    ],
)
def test_an_option_of_one_value_given_twice_is_refused_not_the_last_kept(args, flag, tmp_path):
    # click kept the last silently: the journeys were timed from 重庆北.
    out = ["--out", str(tmp_path)] if args[0] != "times" else []  # if it runs, not into out/
    result = CliRunner().invoke(cli, [*args, *out])
    assert result.exit_code == 2, result.output
    assert f"{flag} is given more than once: give it once" in result.output
    # Repeatable options still repeat.
    assert not CliRunner().invoke(cli, ["times", "--to", "遂宁", "--to", "x", "--help"]).exit_code


def test_python_dash_m_runs_the_command():
    # Without the installed script (a fresh checkout, another interpreter) it is still there.
    found = subprocess.run(
        [sys.executable, "-m", "geo.cli", "times", "--help"],
        capture_output=True, text=True, check=False, cwd=Path.cwd(),
    )  # fmt: skip
    assert found.returncode == 0 and "Usage: " in found.stdout, found.stderr


class _WatchedSettings(types.ModuleType):
    """``geo.settings`` that records every assignment made to it."""

    assigned: ClassVar[list[str]] = []

    def __setattr__(self, name: str, value: object) -> None:
        _WatchedSettings.assigned.append(name)
        super().__setattr__(name, value)


def _settings_values() -> dict[str, str]:
    values = vars(settings).items()
    return {name: repr(value) for name, value in values if not name.startswith("__")}


@pytest.mark.parametrize(
    "arguments",
    [
        ["build"],
        ["figure", "overview", "--dpi", "20"],
        ["scenario", str(EXAMPLE / "suining_guangan.toml")],
        ["coverage", "--json"],
    ],
    ids=["build", "figure", "scenario", "coverage"],
)
def test_a_command_leaves_the_settings_as_they_were(
    runner, built, tmp_path, monkeypatch, arguments
):
    # The session's cache holds the analysis: each command only writes its outputs. The
    # build's slowest writers are left out (what they write does not touch the settings).
    monkeypatch.setattr(build_module, "write_geopackage", lambda _, path: path)
    monkeypatch.setattr(build_module, "write_geoparquet", lambda _, path: [path])
    monkeypatch.setattr(build_module, "write_pages", lambda *_, **__: [])
    before = _settings_values()
    _WatchedSettings.assigned = []
    settings.__class__ = _WatchedSettings
    try:
        result = runner.invoke(cli, [*arguments, "--out", str(tmp_path / "out")])
    finally:
        assigned = list(_WatchedSettings.assigned)
        settings.__class__ = types.ModuleType
    assert result.exit_code == 0, result.output
    assert assigned == []
    assert _settings_values() == before


def test_the_default_radii_given_in_any_order_reuse_the_builds_analysis(
    runner, built, tmp_path, monkeypatch
):
    def not_again(*_, **__):
        raise AssertionError("the analysis was computed again")

    monkeypatch.setattr("geo.analysis.stage._network", not_again)
    monkeypatch.setattr("geo.analysis.stage._people", not_again)
    radii = ["--radius", "30", "--radius", "5", "--radius", "10.0", "--radius", "5"]
    result = runner.invoke(cli, ["coverage", *radii, "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {row["radius_km"] for row in json.loads(result.output)} == {5.0, 10.0, 30.0}


def test_a_bad_radius_is_refused_once_by_the_library_naming_it(runner, tmp_path):
    result = runner.invoke(cli, ["coverage", "--radius", "-5", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "catchment radius: -5 km is not positive" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_fails_in_one_line_even_with_a_warm_cache(
    runner, built, monkeypatch, tmp_path
):
    from geo import settings
    from geo.analysis import stage

    # Warm the analysis of this file: the build's network and people stand in for computing
    # them (the timeout below is a setting, so it keys stages of its own).
    default = stage.analyse()
    network = stage._Network(
        {name: frame for name, frame in default.layers.items() if name not in stage.PEOPLE_LAYERS},
        default.lengths,
        default.rail_times,
        default.warnings,
    )
    people = stage._People(
        {name: default.layers[name] for name in stage.PEOPLE_LAYERS}, default.coverage
    )
    monkeypatch.setattr(settings, "dask_connect_timeout_s", 1.0)
    frame = gpd.GeoDataFrame({"people": [5.0]}, geometry=[Point(104.06, 30.65)], crs=4326)
    frame.to_parquet(tmp_path / "mine.parquet")
    command = ["coverage", "--out", str(tmp_path / "out"), "--population"]
    command += [str(tmp_path / "mine.parquet"), "--weight", "people"]
    monkeypatch.setattr(stage, "_network", lambda *_, **__: network)
    monkeypatch.setattr(stage, "_people", lambda *_, **__: people)
    assert runner.invoke(cli, command).exit_code == 0
    monkeypatch.setattr(stage, "_people", lambda *_, **__: pytest.fail("the cache was cold"))
    monkeypatch.setattr(stage, "_network", lambda *_, **__: pytest.fail("the cache was cold"))
    assert runner.invoke(cli, command).exit_code == 0, "the cache is warm"
    result = runner.invoke(cli, [*command, "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--scheduler tcp://127.0.0.1:9: no Dask" in lines[0], lines


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_cache_folder_that_is_a_file_is_one_line_naming_the_file(tmp_path, monkeypatch, below):
    # CHENGYU_CACHE pointing at a file (or below one) said only "File exists" (or "Not a
    # directory", naming the folder that was not one).
    taken = tmp_path / "taken"
    taken.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(settings, "cache_dir", taken / below if below else taken)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"error: the cache folder {settings.cache_dir} (CHENGYU_CACHE) cannot be made: {taken} "
        "is a file, not a folder"
    ]
    assert taken.read_text(encoding="utf-8") == "not a folder"
