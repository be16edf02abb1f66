"""Travel times: the fastest-service model, its fit to published times, and `chengyu times`."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import Point

from geo import settings
from geo.cli.commands import cli
from geo.errors import ChengyuError, LayerValidationError
from geo.networks._rail_graph import station_seconds
from geo.networks.rail_network import (
    ALL_STOPS,
    FASTEST,
    TimeModel,
    calibration_markdown,
    calibration_table,
    find_station,
    fit_time_model,
    journey,
    rail_graph,
    travel_times,
)
from geo.sources.layers import load_layers
from tests.conftest import edit_field


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return load_layers(["rail_stations", "rail_lines", "rail_times"])


def _tiny_line(*, operating_speed_kmh: float | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Three stations a, b, c on one 100 km section; b halfway along a meridian."""
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["a", "b", "c"],
            "line_id": ["l"] * 3,
            "seq": [1, 2, 3],
            "name_zh": ["甲", "乙", "丙"],
            "name_en": ["A", "B", "C"],
            "status": ["operating"] * 3,
        },
        geometry=[Point(105.0, 30.0), Point(105.0, 30.3), Point(105.0, 30.6)],
        crs="EPSG:4326",
    )
    lines = gpd.GeoDataFrame(
        {
            "id": ["l-1"],
            "line_id": ["l"],
            "from_seq": [1],
            "to_seq": [3],
            "status": ["operating"],
            "design_speed_kmh": [360],
            "length_official_km": [100.0],
            "operating_speed_kmh": [operating_speed_kmh],
        },
        geometry=[None],
        crs="EPSG:4326",
    )
    return {"rail_stations": stations, "rail_lines": lines}


def _seconds(graph, a, b, weight=FASTEST):
    return station_seconds(graph, a, weight=weight)[0][b]


def test_a_known_ride_on_a_tiny_line():
    model = TimeModel(speed_factor=0.5, start_stop_s=60, stop_s=120)
    graph = rail_graph(_tiny_line(), scenario="today", model=model)
    a, b, c = (find_station(graph, name) for name in "abc")
    # 100 km (the official length) at 360 x 0.5 = 180 km/h is 2,000 s, plus one allowance.
    trip = journey(graph, station_seconds(graph, a)[1][c])
    assert trip.running_s * 360 / 3.6 == pytest.approx(100_000, rel=1e-3)
    assert _seconds(graph, a, c) == pytest.approx(2_060, abs=0.5)
    # Calling at b costs one stop more; the ride to b is half the running time.
    assert _seconds(graph, a, c, ALL_STOPS) == pytest.approx(2_180, abs=0.5)
    assert _seconds(graph, a, b) == pytest.approx(1_060, abs=1)
    assert trip.rides == 1 and trip.stops == 0 and trip.stops_all == 1


def test_express_stops_and_the_operating_speed_change_the_ride():
    express = TimeModel(0.5, 60, 120, express_stops={"l": ("b",)})
    graph = rail_graph(_tiny_line(), scenario="today", model=express)
    a, c = find_station(graph, "a"), find_station(graph, "c")
    assert _seconds(graph, a, c) == pytest.approx(2_180, abs=0.5)
    slower = rail_graph(
        _tiny_line(operating_speed_kmh=240), scenario="today", model=TimeModel(0.5, 60, 120)
    )
    # Operating speed 240 km/h x 0.5 = 120 km/h over 100 km: 3,000 s.
    assert _seconds(slower, a, c) == pytest.approx(3_060, abs=0.5)


def test_the_calibration_is_within_tolerance_of_every_fitted_time(layers):
    table = calibration_table(layers)
    low, high = settings.rail_time_tolerance_pct
    assert len(table) == len(layers["rail_times"]) >= 15
    fitted = table[table["use"] == "fit"]
    assert len(fitted) >= 10 and (table["use"] == "check").sum() >= 5
    assert fitted["error_pct"].between(low, high).all(), fitted[["id", "error_pct"]]
    row = table.set_index("id").loc["cdd-spb-2020"]
    assert row["published_min"] == 62 and row["all_stops_min"] > row["modelled_min"]


def test_held_out_times_are_not_fitted_on(layers):
    fitted = fit_time_model(layers)
    times = layers["rail_times"].copy()
    times.loc[times["use"] == "check", "minutes"] *= 3  # wildly off: must not move the fit
    assert fit_time_model({**layers, "rail_times": times}) == fitted


def test_settings_hold_the_fitted_values(layers):
    fitted = fit_time_model(layers)
    assert fit_time_model(layers) == fitted  # deterministic
    message = "re-run python scripts/fit_rail_times.py and copy its values into geo/settings.py"
    assert fitted.speed_factor == settings.rail_speed_factor, message
    assert fitted.start_stop_s == settings.rail_start_stop_s, message
    assert fitted.stop_s == settings.rail_stop_s, message


def test_a_worse_model_fails_the_tolerance(layers):
    table = calibration_table(layers, model=TimeModel(0.6, 150, 360))
    assert not table["within_tolerance"].all()


def test_travel_times_today_and_after(layers):
    table = travel_times(layers, origin="成都东", destinations=["沙坪坝", "达州南"])
    by = table.set_index(["to", "scenario"])
    assert by.loc[("沙坪坝", "today"), "published_minutes"] == 62
    assert pd.isna(by.loc[("达州南", "today"), "minutes"])  # not open today
    assert by.loc[("达州南", "after"), "minutes"] > 0
    assert pd.isna(by.loc[("沙坪坝", "after"), "published_minutes"])  # today's figure only
    assert by.loc[("沙坪坝", "today"), "all_stops_minutes"] > by.loc[("沙坪坝", "today"), "minutes"]


def test_a_destination_asked_twice_is_one_destination(layers):
    once = travel_times(layers, origin="成都东", destinations=["遂宁", "重庆北"])
    twice = travel_times(
        layers, origin="成都东", destinations=["遂宁", "Suining", "重庆北", "遂宁"]
    )
    pd.testing.assert_frame_equal(twice, once)


def test_a_station_on_no_network_has_rows_without_a_time_not_a_no_such_station(layers):
    # 渭沱 is a station of the layers, reserved: on neither scenario's network.
    table = travel_times(layers, origin="成都东", destinations=["渭沱"])
    assert list(table["scenario"]) == ["today", "after"] and table["minutes"].isna().all()
    assert (table["to"] == "渭沱").all() and (table["route"] == "").all()
    with pytest.raises(ChengyuError, match="no station '火星' on the rail network"):
        travel_times(layers, origin="成都东", destinations=["火星"])


def test_times_json_has_one_object_per_destination_and_scenario():
    result = CliRunner().invoke(
        cli, ["times", "--from", "成都东", "--to", "沙坪坝", "万州北", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(row["to"], row["scenario"]) for row in rows] == [
        ("沙坪坝", "today"),
        ("万州北", "today"),
        ("沙坪坝", "after"),
        ("万州北", "after"),
    ]
    assert {"from", "to", "scenario", "minutes", "all_stops_minutes"} <= set(rows[0])
    assert rows[0]["published_minutes"] == 62 and isinstance(rows[0]["minutes"], float)


def test_times_prints_a_table_and_names_an_unknown_station():
    result = CliRunner().invoke(cli, ["times", "--from", "重庆西", "--to", "宜宾"])
    assert result.exit_code == 0 and "宜宾" in result.output and "published" in result.output
    result = CliRunner().invoke(cli, ["times", "--from", "重庆西", "--to", "Atlantis"])
    assert result.exit_code == 1 and "no station 'Atlantis'" in result.output
    assert "Traceback" not in result.output


def test_reach_takes_several_minutes_after_one_flag():
    command = cli.commands["reach"]
    spread = command.make_context("reach", ["--from", "重庆北", "成都东", "--minutes", "60", "120"])
    repeated = command.make_context(
        "reach", ["--from", "重庆北", "--from", "成都东", "--minutes", "60", "--minutes", "120"]
    )
    assert spread.params == repeated.params
    assert spread.params["minutes"] == (60.0, 120.0)
    assert command.make_context("reach", []).params["minutes"] == settings.reach_minutes


def test_reach_json_has_one_row_per_scenario_and_limit():
    result = CliRunner().invoke(
        cli, ["reach", "--from", "重庆北", "--minutes", "60", "120", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {(row["scenario"], row["minutes"]) for row in rows} == {
        (scenario, minutes) for scenario in ("today", "after") for minutes in (60.0, 120.0)
    }
    row = rows[0]
    assert set(row) == {"origin", "scenario", "minutes", "stations", "counties", "note"}
    assert row["origin"] == "重庆北"
    assert {"adcode", "name_zh", "name_en"} == set(row["counties"][0])
    yubei = next(county for county in row["counties"] if county["adcode"] == "500112")
    assert (yubei["name_zh"], yubei["name_en"]) == ("渝北区", "Yubei District")
    assert len(row["counties"]) <= row["stations"]


def test_a_published_time_off_the_lines_is_a_clear_error(layers_dir):
    edit_field(layers_dir / "rail_times.csv", "cqx-yb-2024", "to", "chongqing_xi")
    with pytest.raises(LayerValidationError, match="no line or chain of lines joins") as caught:
        load_layers(["rail_times"], layers_dir=layers_dir)
    assert "rail_times.csv: feature 'cqx-yb-2024', field 'to'" in str(caught.value)
    edit_field(layers_dir / "rail_times.csv", "cqx-yb-2024", "stops", "nowhere")
    with pytest.raises(LayerValidationError, match="'nowhere' is not a station_id"):
        load_layers(["rail_times"], layers_dir=layers_dir)


def test_reach_from_a_station_not_yet_open_says_when_it_opens():
    result = CliRunner().invoke(cli, ["reach", "--from", "天府", "--minutes", "60", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["scenario"]: row for row in json.loads(result.output)}
    assert rows["today"]["stations"] == 0 and "opens 2027" in rows["today"]["note"]
    assert rows["after"]["stations"] > 10 and rows["after"]["note"] is None


def test_times_json_gives_routes_lines_and_transfers():
    result = CliRunner().invoke(
        cli, ["times", "--from", "成都东", "--to", "宜宾", "万州北", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {(row["to"], row["scenario"]): row for row in json.loads(result.output)}
    yibin = rows[("宜宾", "today")]
    assert yibin["transfers"] == [] and yibin["lines"][0] == "成宜高铁"
    assert yibin["minutes"] < 90  # through-running on 成宜, not via Chongqing (145 min before)
    wanzhou = rows[("万州北", "today")]
    assert len(wanzhou["transfers"]) == 1 and wanzhou["transfers"][0]["minutes"] > 0
    assert any("transfer" in stop for stop in wanzhou["route"])


def test_the_docs_show_the_calibration_the_data_give(layers):
    # The calibration table of docs/reach.md is written by scripts/fit_rail_times.py --markdown:
    # a published time, a section or a fitted value changed without it fails here.
    page = (Path(__file__).resolve().parents[1] / "docs" / "reach.md").read_text(encoding="utf-8")
    shown = page.split("<!-- calibration-table:start", 1)[1].split("-->\n", 1)[1]
    shown = shown.split("<!-- calibration-table:end -->", 1)[0]
    table = calibration_markdown(calibration_table(layers))
    assert shown == table
    # The README quotes the two summary lines (fitted and held out) of the same table.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    quoted = readme.split("<!-- calibration-summary:start -->\n", 1)[1].split("<!--", 1)[0]
    summary = [line for line in table.splitlines() if line.startswith(("fit:", "check:"))]
    assert quoted.splitlines() == [f"- {line}" for line in summary]
