"""Planners' proposals: known effects on a simple surface, reuse, errors, and the command."""

from __future__ import annotations

import csv
import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import signal
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geo import settings
from geo.analysis import coverage
from geo.cli.commands import cli
from geo.errors import LayerValidationError
from geo.outputs.webmap import bilingual_label
from geo.scenario import compare as scenario
from geo.scenario import outputs as scenario_outputs
from geo.scenario.compare import (
    BASE_LAYERS,
    cached_base_analysis,
    compare,
    read_proposal,
    write_outputs,
)
from geo.scenario.proposal import proposal_records
from geo.scenario.results import Comparison
from geo.sources._schema import LAYER_SPECS
from geo.sources.layers import load_layers
from tests.conftest import announce_writes, file_hashes

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
#: Centre of the uncovered test county: the Leshan hills, far from every station of the base.
FAR = (103.5, 29.3)
#: 蓬溪南 station of the base (成达万, under construction: open in the base "after").
SUINING = "pengxi_nan"


@pytest.fixture(scope="module")
def real() -> dict[str, gpd.GeoDataFrame]:
    """The base layers; loading them fills the session's boundary cache once."""
    return load_layers(BASE_LAYERS)


def _square(lon: float, lat: float, half_km: float) -> shapely.Polygon:
    """A square of side 2 × half_km around a point, drawn in UTM 48N, returned in WGS84."""
    centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(32648).iloc[0]
    square = shapely.box(
        centre.x - half_km * 1000,
        centre.y - half_km * 1000,
        centre.x + half_km * 1000,
        centre.y + half_km * 1000,
    )
    return gpd.GeoSeries([square], crs=32648).to_crs(4326).iloc[0]


@pytest.fixture(scope="module")
def surface(real) -> dict[str, gpd.GeoDataFrame]:
    """The real network on a test surface: two 4 km × 4 km counties of known population, one
    far from any station, one around 蓬溪南 station."""
    stations = real["rail_stations"]
    suining = stations[stations["station_id"] == SUINING].geometry.iloc[0]
    counties = gpd.GeoDataFrame(
        {
            "adcode": ["999001", "999002"],
            "level": ["county", "county"],
            "name_zh": ["远县", "遂县"],
            "name_en": ["Yuan County", "Sui County"],
            "province_zh": ["四川省", "四川省"],
            "province_en": ["Sichuan", "Sichuan"],
            "prefecture_zh": [None, None],
            "prefecture_en": [None, None],
            "population_2020": [12_345, 2_000],
        },
        geometry=[_square(*FAR, 2.0), _square(suining.x, suining.y, 2.0)],
        crs=4326,
    )
    return {**real, "admin_areas": counties}


@pytest.fixture(autouse=True)
def _areal_on_the_test_surface(request, monkeypatch) -> None:
    """The test surface's counties have no urban/rural split: count their people by area."""
    if "surface" in request.fixturenames:
        monkeypatch.setattr(settings, "population_method", "areal")


def _write_csv(path: Path, layer: str, rows: list[dict[str, str]]) -> None:
    names = LAYER_SPECS[layer].field_names
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{name: row.get(name, "") for name in names} for row in rows])


def _stop(seq: int, station_id: str, **fields: str) -> dict[str, str]:
    return {
        "id": f"t-{seq}",
        "station_id": station_id,
        "line_id": "t",
        "seq": str(seq),
        "status": "planned",
        "status_as_of": "2026-11-26",
        **fields,
    }


def _new_stop(seq: int, lon: float, lat: float, **fields: str) -> dict[str, str]:
    return _stop(
        seq,
        "t_new",
        name_zh="新站",
        name_en="New",
        lon=str(lon),
        lat=str(lat),
        precision_m="1000",
        position_basis="town",
        source="test",
        **fields,
    )


def _proposal(
    folder: Path,
    stops: list[dict[str, str]],
    *,
    name: str = "test-line",
    title: str = "测试 · Test line",
    base: str = "after",
) -> Path:
    rows = folder / "rows"
    rows.mkdir(parents=True)
    _write_csv(rows / "rail_stations.csv", "rail_stations", stops)
    section = {
        "id": "t-1",
        "line_id": "t",
        "name_zh": "测试线",
        "name_en": "Test line",
        "from_seq": "1",
        "to_seq": str(len(stops)),
        "status": "planned",
        "status_as_of": "2026-11-26",
        "design_speed_kmh": "200",
        "source": "test",
    }
    _write_csv(rows / "rail_lines.csv", "rail_lines", [section])
    path = folder / f"{name.replace('/', '_')}.toml"
    path.write_text(
        f'name = "{name}"\ntitle = "{title}"\nbase = "{base}"\nlayers = "rows"\n', encoding="utf-8"
    )
    return path


def _people(comparison, radius: float) -> tuple[int, int]:
    row = comparison.coverage[comparison.coverage["radius_km"] == radius].iloc[0]
    return int(row["people_base"]), int(row["people_scenario"])


def test_a_station_in_an_uncovered_county_gains_exactly_its_people(surface, tmp_path):
    path = _proposal(tmp_path, [_stop(1, SUINING), _new_stop(2, *FAR)])
    result = compare(read_proposal(path), surface, radii_km=(5.0,))
    base, scenario = _people(result, 5.0)
    # 遂县 is already covered by 遂宁 in the base: only 远县's people are gained, all of them
    # (the 4 km square lies inside the 5 km circle).
    assert base == 2_000
    assert scenario - base == 12_345
    row = result.coverage.iloc[0]
    assert row["counties_newly_served"] == ["远县"]
    assert list(result.stations_gained["station_id"]) == ["t_new"]
    counties = result.layers["scenario_counties"]
    assert list(counties["adcode"]) == ["999001"]
    assert counties[["name_en", "province_en"]].values.tolist() == [["Yuan County", "Sichuan"]]
    assert list(counties["change"]) == ["newly_served"]
    assert counties["gain_people_5km"].tolist() == [12_345]


def test_a_reused_station_is_not_counted_twice(surface, tmp_path):
    path = _proposal(tmp_path, [_stop(1, SUINING), _stop(2, "guangan_dong")])
    result = compare(read_proposal(path), surface)
    for row in result.coverage.itertuples():
        assert row.people_scenario == row.people_base, row.radius_km
        assert row.area_km2_scenario == row.area_km2_base, row.radius_km
    assert result.stations_gained.empty
    roles = result.layers["scenario_stations"].set_index("station_id")["role"]
    assert roles[SUINING] == "reused" and roles["guangan_dong"] == "reused"
    # The stop took the base station's name and position.
    stops = result.layers["rail_stations"].set_index("station_id")
    assert stops.loc[SUINING, "name_zh"] == "蓬溪南"


def test_a_proposal_on_today_opens_a_station_that_is_only_under_construction(surface, tmp_path):
    # 蓬溪南 is not open today: a planned line through it opens it in that scenario.
    path = _proposal(tmp_path, [_stop(1, SUINING), _new_stop(2, *FAR)], base="today")
    result = compare(read_proposal(path), surface, radii_km=(5.0,))
    base, scenario = _people(result, 5.0)
    assert base == 0 and scenario == 2_000 + 12_345
    assert sorted(result.stations_gained["station_id"]) == [SUINING, "t_new"]


def test_the_outputs_are_written_and_the_title_stays_text(surface, tmp_path):
    title = "<script>alert(1)</script> · <b>bold</b>"
    path = _proposal(tmp_path / "p", [_stop(1, SUINING), _new_stop(2, *FAR)], title=title)
    result = compare(read_proposal(path), surface)
    gpkg, table, page = write_outputs(result, out_dir=tmp_path / "out", offline=True)
    assert gpkg == tmp_path / "out" / "scenarios" / "test-line" / "test-line.gpkg"
    listed = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"rail_stations", "rail_lines", "scenario_catchments", "scenario_network"} <= listed
    gained = pyogrio.read_dataframe(gpkg, layer="scenario_catchments")
    assert gained.crs.to_epsg() == 4326
    assert set(gained["part"]) == {"base", "gained"}
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    people = [row for row in rows if row["measure"] == "people within" and row["key"] == "5 km"]
    assert float(people[0]["change"]) == 12_345
    html = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html
    assert "alert(1)" in html and "bold" in html  # shown as text


def _legend_texts(html: str) -> list[str]:
    block = re.search(r'<script type="application/json" id="chengyu-controls">(.*?)</script>', html)
    assert block is not None
    legend = json.loads(block.group(1))["legend"]
    return [item["text"] for group in legend for item in group["items"]]


def test_the_scenario_legend_names_its_categories_in_chinese_and_english(surface, tmp_path):
    path = _proposal(tmp_path / "p", [_stop(1, SUINING), _new_stop(2, *FAR)])
    result = compare(read_proposal(path), surface)
    *_, page = write_outputs(result, out_dir=tmp_path / "out", offline=True)
    texts = _legend_texts(page.read_text(encoding="utf-8"))
    assert "新纳入覆盖 newly served" in texts  # 远县: nobody within reach before
    assert "方案新增覆盖 gained by the proposal" in texts
    assert "基准 base" in texts
    # Every category of the scenario layers has its Chinese word (none left English only).
    for value in ("base", "reused", "proposal", "gained", "newly_served", "more_covered"):
        label = bilingual_label(value)
        assert re.search("[\u4e00-\u9fff]", label), value


@pytest.fixture
def rewritten(surface, tmp_path) -> tuple[Comparison, Path]:
    """A comparison whose outputs a previous run already wrote; the folder it wrote them to."""
    path = _proposal(tmp_path / "p", [_stop(1, SUINING), _new_stop(2, *FAR)])
    result = compare(read_proposal(path), surface)
    out = tmp_path / "out"
    write_outputs(result, out_dir=out, offline=True)
    folder = out / "scenarios" / "test-line"
    (folder / "notes.txt").write_text("mine")  # a planner's own file beside the outputs
    # The next run writes different bytes: a file kept from before is told apart.
    result.proposal = dataclasses.replace(result.proposal, title="测试 · Test line, second run")
    return result, folder


def test_a_scenario_run_failing_after_its_first_file_leaves_the_previous_folder_whole(
    rewritten, monkeypatch
):
    result, folder = rewritten
    before = file_hashes(folder)

    def failing(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(scenario_outputs, "write_csv", failing)  # after the GeoPackage
    with pytest.raises(RuntimeError, match="disk trouble"):
        write_outputs(result, out_dir=folder.parent.parent, offline=True)
    assert file_hashes(folder) == before
    assert sorted(path.name for path in folder.parent.iterdir()) == ["test-line"]
    monkeypatch.undo()
    write_outputs(result, out_dir=folder.parent.parent, offline=True)
    after = file_hashes(folder)
    assert set(after) == set(before) and after["notes.txt"] == before["notes.txt"]
    assert after["map.html"] != before["map.html"]


def _write_announcing(result: Comparison, out: Path, reached: Event, step: int) -> None:
    """Run in a forked child: write a comparison, saying when its ``step``-th file starts."""
    announce_writes(
        scenario_outputs, ("write_geopackage", "write_csv", "write_page"), reached, step
    )
    write_outputs(result, out_dir=out, offline=True)


def test_a_scenario_run_killed_at_any_moment_leaves_the_previous_folder_whole(rewritten):
    result, folder = rewritten
    context = multiprocessing.get_context("fork")
    for step, delay in ((1, 0.0), (1, 0.2), (2, 0.0), (3, 0.0), (3, 0.05)):
        before = file_hashes(folder)
        inodes = {name: (folder / name).stat().st_ino for name in before}
        reached = context.Event()
        child = context.Process(
            target=_write_announcing, args=(result, folder.parent.parent, reached, step)
        )
        child.start()
        assert reached.wait(timeout=60), step
        time.sleep(delay)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        after = file_hashes(folder)
        assert set(after) == set(before), (step, delay)
        # Whole as a set: every file is the previous run's (same inode, same bytes) or new.
        kept = [name for name in after if (folder / name).stat().st_ino == inodes[name]]
        outputs = [name for name in after if name != "notes.txt"]
        assert not set(outputs) & set(kept) or set(outputs) <= set(kept), (step, delay, kept)
        assert all(after[name] == before[name] for name in kept)
    write_outputs(result, out_dir=folder.parent.parent, offline=True)
    assert sorted(path.name for path in folder.parent.iterdir()) == ["test-line"]
    assert not [path for path in folder.rglob(".*") if path.is_file()]


def _invalid(case: str, folder: Path) -> tuple[Path, list[str]]:
    if case == "unknown station_id":
        path = _proposal(folder, [_stop(1, "nowhere"), _new_stop(2, *FAR)])
        return path, ["rows/rail_stations.csv", "'t-1'", "'station_id'", "'nowhere'"]
    if case == "bad status":
        path = _proposal(folder, [_stop(1, SUINING), _new_stop(2, *FAR, status="dreamt")])
        return path, ["rows/rail_stations.csv", "'t-2'", "'status'", "dreamt"]
    if case == "swapped coordinates":
        path = _proposal(folder, [_stop(1, SUINING), _new_stop(2, FAR[1], FAR[0])])
        return path, ["rows/rail_stations.csv", "'t-2'", "'lon'", "swapped"]
    if case == "a moved reused station":
        moved = _stop(1, SUINING, name_zh="蓬溪南", name_en="Pengxi South", lon="105.6", lat="30.5",
                      precision_m="1000", position_basis="town", source="test")  # fmt: skip
        path = _proposal(folder, [moved, _new_stop(2, *FAR)])
        return path, ["rows/rail_stations.csv", "'t-1'", "'lon'", "cdw-07"]
    path = _proposal(folder, [_stop(1, SUINING), _new_stop(2, *FAR)], name="../x")
    return path, [".toml", "'name'", "'../x'", "plain file stem"]


@pytest.mark.parametrize(
    "case",
    ["unknown station_id", "bad status", "swapped coordinates", "a moved reused station", "name"],
)
def test_an_invalid_proposal_gets_one_clear_line_and_writes_nothing(
    case, real, tmp_path, monkeypatch
):
    path, expected = _invalid(case, tmp_path / "p")
    out = tmp_path / "out"
    # The session's cache (boundaries) without any base analysis of a scenario.
    cache = tmp_path / "cache"
    shutil.copytree(settings.cache_dir, cache, ignore=shutil.ignore_patterns("scenario-*"))
    monkeypatch.setattr(settings, "cache_dir", cache)
    result = CliRunner().invoke(cli, ["scenario", str(path), "--out", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = next(line for line in result.output.splitlines() if expected[2] in line)
    for text in expected:
        assert text in line, (text, line)
    assert not out.exists()
    assert not list(cache.glob("scenario-*"))


def test_an_invalid_proposal_raises_the_layer_error(surface, tmp_path):
    path, _ = _invalid("bad status", tmp_path)
    with pytest.raises(LayerValidationError) as caught:
        compare(read_proposal(path), surface)
    assert [problem.field for problem in caught.value.problems] == ["status"]


def test_the_example_runs_side_by_side_as_json(examples_run):
    tmp_path, output = examples_run
    data = json.loads(output)
    assert [entry["name"] for entry in data] == ["suining-guangan", "suining-hechuan"]
    for entry in data:
        assert entry["base"] == "after"
        assert {"radius_km", "people_base", "people_scenario", "area_km2_base",
                "area_km2_scenario"} <= set(entry["coverage"][0])  # fmt: skip
        gains = [row["people_scenario"] - row["people_base"] for row in entry["coverage"]]
        assert all(gain > 0 for gain in gains)
        assert entry["reach"] and entry["lengths"][0]["total_km"] > 50
        for output in entry["outputs"]:
            assert Path(output).is_file()
    assert [s["name_zh"] for s in data[0]["stations_gained"]] == ["岳池"]
    assert data[0]["coverage"][0]["counties_newly_served"] == ["岳池县"]
    # The base network is drawn as the build draws it: 成渝 along the railway graph, 渝昆's
    # section from 重庆西 (not on the graph) through its stations.
    network = gpd.read_file(
        tmp_path / "scenarios" / "suining-guangan" / "suining-guangan.gpkg",
        layer="scenario_network",
    ).set_index("id")
    with (Path(settings.layers_dir) / "rail_stations.csv").open(encoding="utf-8") as handle:
        lines = [row["line_id"] for row in csv.DictReader(handle)]
    for section, on_graph in (("cy-1", True), ("yk-1", False)):
        vertices = len(network.loc[section].geometry.coords)
        stops = lines.count(section.partition("-")[0])
        assert (vertices > 2 * stops) is on_graph, (section, vertices, stops)


def test_the_table_shows_two_proposals_side_by_side(real, tmp_path):
    far = _proposal(tmp_path / "a", [_stop(1, SUINING), _new_stop(2, *FAR)], name="far-line")
    reuse = _proposal(tmp_path / "b", [_stop(1, SUINING), _stop(2, "guangan_dong")], name="reuse")
    result = CliRunner().invoke(cli, ["scenario", str(far), str(reuse), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "measure" in line)
    assert header.index("base after") < header.index("far-line") < header.index("reuse")
    people = next(line for line in result.output.splitlines() if "people within" in line)
    assert people.count("+") == 2  # one change per proposal
    assert "far-line: stations gained: 新站 New" in result.output
    assert (tmp_path / "scenarios" / "reuse" / "map.html").is_file()


def test_a_proposal_id_taken_by_the_base_is_an_error(surface, tmp_path):
    path = _proposal(tmp_path, [_stop(1, SUINING), _new_stop(2, *FAR, id="cdw-01")])
    with pytest.raises(LayerValidationError) as caught:
        compare(read_proposal(path), surface)
    [problem] = caught.value.problems
    assert (problem.file, problem.feature_id, problem.field) == (
        "rows/rail_stations.csv",
        "cdw-01",
        "id",
    )


def test_the_base_analysis_is_cached_until_its_layers_change(surface, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_dir", tmp_path)
    options = {
        "scenario": "after",
        "crs": coverage.metric_crs(surface["rail_stations"]),
        "radii_km": (5.0,),
        "origins": ("成都东",),
        "minutes": (60.0,),
    }
    first = cached_base_analysis(surface, **options)
    assert len(list(tmp_path.glob("scenario-base-after-*.cache"))) == 1

    def not_again(*args, **kwargs):
        raise AssertionError("the base was analysed again")

    monkeypatch.setattr(scenario, "analyse_network", not_again)
    again = cached_base_analysis(surface, **options)
    assert again.coverage.equals(first.coverage) and again.stations == first.stations

    counties = surface["admin_areas"].assign(population_2020=[1, 2])
    with pytest.raises(AssertionError, match="analysed again"):
        cached_base_analysis({**surface, "admin_areas": counties}, **options)


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory) -> tuple[Path, str]:
    """The two shipped proposals compared offline, as JSON, into a folder a build had written
    into: the folder and what the command printed."""
    out = tmp_path_factory.mktemp("examples")
    (out / "index.html").write_text("<!DOCTYPE html><title>stale</title>", encoding="utf-8")
    files = [EXAMPLE / "suining_guangan.toml", EXAMPLE / "suining_hechuan.toml"]
    result = CliRunner().invoke(
        cli, ["scenario", *map(str, files), "--out", str(out), "--offline", "--json"]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def examples_out(examples_run) -> Path:
    """The folder of ``examples_run``."""
    return examples_run[0]


def test_the_comparison_page_names_the_proposals_and_sets_their_maps_side_by_side(examples_out):
    page = (examples_out / "scenarios" / "index.html").read_text(encoding="utf-8")
    for zh, english in (("遂广城际方案", "Suining–Guang&#x27;an intercity proposal"),
                        ("遂合城际方案", "Suining–Hechuan alternative")):  # fmt: skip
        assert f"{zh} {english}</th>" in page  # the table's column, by name
    assert 'src="suining-guangan/map.html"' in page and 'src="suining-hechuan/map.html"' in page
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert "覆盖人口 people within" in cells
    assert not any(re.search(r"\b(sgi|shi)\b", cell) for cell in cells)
    assert "里程 km of 遂广城际（方案） Suining–Guang&#x27;an intercity (proposal)" in cells
    # The gain the terminal prints, signed, for each radius.
    rows = list(
        csv.DictReader(
            (examples_out / "scenarios" / "suining-guangan" / "differences.csv").open(
                encoding="utf-8"
            )
        )
    )
    people = next(r for r in rows if r["measure"] == "people within" and r["key"] == "10 km")
    gain = f"+{int(float(people['change'])):,}"
    assert gain in cells
    proposal = (examples_out / "scenarios" / "suining-guangan" / "index.html").read_text("utf-8")
    assert f"people within 10 km: {gain}" in proposal and "岳池 Yuechi" in proposal
    assert not [r for r in rows if r["measure"].startswith("km of sgi")]
    # The map carries the headline, and a station's lines by name.
    assert f"{gain} people within 10 km" in (
        examples_out / "scenarios" / "suining-guangan" / "map.html"
    ).read_text("utf-8")
    stations = gpd.read_file(
        examples_out / "scenarios" / "suining-guangan" / "suining-guangan.gpkg",
        layer="scenario_stations",
    )
    yuechi = stations[stations["name_zh"] == "岳池"].iloc[0]
    assert yuechi["line_ids"] == "sgi" and yuechi["lines"] == "遂广城际（方案）"
    # The planners' first page now links the comparison.
    index = (examples_out / "index.html").read_text(encoding="utf-8")
    assert 'href="scenarios/index.html"' in index and "stale" not in index


def test_the_comparison_page_opens_offline_with_both_maps_drawn(examples_out):
    from geo.outputs.browser import open_page

    path = examples_out / "scenarios" / "index.html"
    for width, height in ((1400, 900), (1024, 640)):
        with open_page(path, width=width, height=height) as (page, report):
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            frames = page.locator("iframe")
            assert frames.count() == 2
            for number in range(2):
                frames.nth(number).scroll_into_view_if_needed()
                frame = frames.nth(number).element_handle().content_frame()
                assert frame is not None
                frame.wait_for_function("window.chengyuReady", timeout=15_000)
                assert frame.locator(".leaflet-interactive").count() > 10
        assert report.blocked_requests == [] and report.page_errors == []
        assert report.console_errors == []


def _refusal(path: Path, base=None) -> str:
    with pytest.raises(LayerValidationError) as error:
        proposal = read_proposal(path)
        proposal_records(proposal, base or {})
    assert len(error.value.problems) == 1, error.value.problems
    return str(error.value.problems[0])


def test_a_layers_folder_outside_the_proposal_is_refused_in_one_line(tmp_path):
    path = _proposal(tmp_path / "p", [_stop(1, SUINING), _new_stop(2, *FAR)])
    (tmp_path / "elsewhere").mkdir()
    for layers in ("../elsewhere", str(tmp_path / "elsewhere"), "rows/../.."):
        path.write_text(
            f'name = "x"\ntitle = "t"\nbase = "after"\nlayers = "{layers}"\n', encoding="utf-8"
        )
        line = _refusal(path)
        assert path.name in line and "'layers'" in line and "outside the proposal's folder" in line


def test_a_symlink_out_of_the_proposal_is_refused(tmp_path, real):
    path = _proposal(tmp_path / "p", [_stop(1, SUINING), _new_stop(2, *FAR)])
    outside = tmp_path / "secret"
    shutil.copytree(tmp_path / "p" / "rows", outside)
    shutil.rmtree(tmp_path / "p" / "rows")
    (tmp_path / "p" / "rows").symlink_to(outside, target_is_directory=True)
    assert "outside the proposal's folder" in _refusal(path)
    # A link to one file out of the folder: named.
    shutil.copytree(outside, tmp_path / "p" / "real_rows")
    path.write_text(path.read_text(encoding="utf-8").replace('"rows"', '"real_rows"'))
    stations = tmp_path / "p" / "real_rows" / "rail_stations.csv"
    stations.unlink()
    stations.symlink_to(outside / "rail_stations.csv")  # valid rows, but not the proposal's
    line = _refusal(path, real)
    assert "real_rows/rail_stations.csv" in line and "outside the proposal's folder" in line


def test_a_control_character_in_a_proposal_title_is_refused(tmp_path):
    path = _proposal(tmp_path / "p", [_stop(1, SUINING)], title="测试\\u0007 · Test")
    line = _refusal(path)
    assert "'title'" in line and "U+0007" in line


def test_a_proposal_title_pasted_many_times_over_is_refused_in_one_short_line(tmp_path):
    path = _proposal(tmp_path / "p", [_stop(1, SUINING)], title="遂广城际" * 100_000)
    line = _refusal(path)
    assert "'title'" in line and "400,000 characters long" in line and len(line) < 300


def test_a_proposal_of_more_stations_than_the_limit_is_refused_before_any_work(
    tmp_path, real, monkeypatch
):
    path = _proposal(tmp_path / "p", [_stop(1, SUINING), _new_stop(2, *FAR)])
    monkeypatch.setattr(settings, "scenario_max_stations", 2)
    records, _ = proposal_records(read_proposal(path), real)  # at the limit: read
    assert len(records["rail_stations"]) == 2
    monkeypatch.setattr(settings, "scenario_max_stations", 1)
    monkeypatch.setattr(scenario, "analyse_network", None)  # never reached
    result = CliRunner().invoke(cli, ["scenario", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = next(line for line in result.output.splitlines() if "scenario_max_stations" in line)
    assert "rows/rail_stations.csv" in line and "2 stations, more than" in line and "(1)" in line
    assert not (tmp_path / "out").exists()
