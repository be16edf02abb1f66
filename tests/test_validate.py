"""Bad input stops the load with a message naming the file, the feature and the field."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import LayerValidationError
from geo.networks.routing import route_layers
from geo.sources._schema import LAYER_SPECS
from geo.sources._validate import read_rows
from geo.sources.layers import load_layers
from tests.conftest import drop_column, duplicate_row, edit_field


def _problems(layers_dir: Path, names: list[str] | None = None) -> list[str]:
    with pytest.raises(LayerValidationError) as caught:
        load_layers(names, layers_dir=layers_dir)
    return [str(problem) for problem in caught.value.problems]


def test_a_status_as_of_tomorrow_is_in_the_future_and_today_is_not(layers_dir):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    edit_field(layers_dir / "rail_stations.csv", "cdw-05", "status_as_of", tomorrow.isoformat())
    assert any("in the future" in problem for problem in _problems(layers_dir, ["rail_stations"]))
    today = dt.date.today().isoformat()
    edit_field(layers_dir / "rail_stations.csv", "cdw-05", "status_as_of", today)
    load_layers(["rail_stations"], layers_dir=layers_dir)


@pytest.mark.parametrize(
    ("file", "feature", "field", "value", "expected"),
    [
        ("rail_stations.csv", "cdw-07", "name_zh", "", "required but empty"),
        ("rail_stations.csv", "cdw-07", "status", "open", "not one of"),
        ("rail_stations.csv", "cdw-07", "lon", "200", "outside the WGS84 range"),
        # 昆明南 moved west into Myanmar: inside the region's rectangle, not in China.
        ("rail_stations.csv", "yk-21", "lon", "97.5", "lies outside China"),
        ("rail_stations.csv", "cdw-07", "precision_m", "about 5 km", "not a whole number"),
        ("rail_stations.csv", "cy-01", "opened", "2015-13-26", "not a valid date"),
        ("rail_lines.csv", "cdw-1", "opening", "Sept 2027", "not a year"),
        ("rail_stations.csv", "cdw-07", "station_id", "Suining Station", "lowercase"),
        ("logistics_hubs.csv", "luzhou_port", "kind", "dry_port", "not one of"),
        (
            "expressways.csv",
            "luzhou_yongchuan_sichuan",
            "waypoints",
            "Luzhou 105.4 28.9",
            "not 'Name (lon lat)'",
        ),
        ("admin_areas.csv", "510104", "population_2020", "-5", "below the minimum"),
        ("admin_areas.csv", "513300", "name_en", "Garzê", "not ASCII"),
        ("admin_areas.csv", "510104", "name_en", "", "required"),
        # Valid-looking values that crashed later, or were guessed at:
        ("rail_lines.csv", "cdw-1", "length_official_km", "0", "0 is not above 0"),
        ("rail_lines.csv", "cdw-2", "line_length_official_km", "0.0", "0 is not above 0"),
        ("rail_stations.csv", "cdw-05", "lon", "1_04.5", "not a number in ASCII digits"),
        ("rail_stations.csv", "cdw-05", "lat", "３０.５", "not a number in ASCII digits"),
        ("rail_stations.csv", "cdw-05", "precision_m", "1_00", "not a whole number"),
        ("rail_stations.csv", "cdw-05", "precision_m", "１００", "not a whole number"),
        ("rail_stations.csv", "cdw-05", "status_as_of", "2099-01-01", "in the future"),
        ("rail_stations.csv", "cdw-05", "status_as_of", "２０２３-12-26", "not a YYYY-MM-DD"),
        ("admin_areas.csv", "510104", "urban_2020", "1", "is not the population"),
    ],
)
def test_a_bad_field_is_named_with_its_file_and_feature(
    layers_dir, file, feature, field, value, expected
):
    edit_field(layers_dir / file, feature, field, value)
    problems = _problems(layers_dir)
    assert any(
        file in problem
        and repr(feature) in problem
        and repr(field) in problem
        and expected in problem
        for problem in problems
    ), problems


def test_swapped_lon_lat_is_recognised(layers_dir):
    edit_field(layers_dir / "airports.csv", "chongqing_jiangbei", "lon", "29.7192")
    edit_field(layers_dir / "airports.csv", "chongqing_jiangbei", "lat", "106.6417")
    problems = _problems(layers_dir, ["airports"])
    assert any("'chongqing_jiangbei'" in p and "swapped" in p for p in problems), problems


def test_swapped_lon_lat_inside_wgs84_range_is_recognised(layers_dir):
    # A waypoint at (29.3, 105.9) is a valid WGS84 position, in the wrong place.
    edit_field(
        layers_dir / "expressways.csv",
        "zigong_yongchuan_sichuan",
        "waypoints",
        "Zigong (104.7769 29.3416); Yongchuan (29.3538 105.8939)",
    )
    problems = _problems(layers_dir, ["expressways"])
    assert any(
        "'zigong_yongchuan_sichuan'" in p and "'waypoints'" in p and "swapped" in p
        for p in problems
    ), problems


def test_a_point_outside_the_region_is_refused_unless_its_kind_allows_it(layers_dir):
    edit_field(layers_dir / "airports.csv", "langzhong", "lon", "116.4")  # Beijing's longitude
    edit_field(layers_dir / "logistics_hubs.csv", "yibin_port", "lon", "101.36")
    edit_field(
        layers_dir / "logistics_hubs.csv", "yibin_port", "lat", "3.01"
    )  # a river port in Malaysia
    problems = _problems(layers_dir, ["airports", "logistics_hubs"])
    assert any("airports.csv" in p and "'langzhong'" in p and "outside" in p for p in problems), (
        problems
    )
    assert any(
        "logistics_hubs.csv" in p and "'yibin_port'" in p and "outside" in p for p in problems
    ), problems
    # Port Klang and Laem Chabang are sea ports: they may lie outside the region.
    assert not any("port_klang" in p or "laem_chabang" in p for p in problems)


def test_duplicate_ids_are_refused(layers_dir):
    duplicate_row(layers_dir / "airports.csv", "langzhong")
    problems = _problems(layers_dir, ["airports"])
    assert any(
        "airports.csv" in p and "'langzhong'" in p and "not unique" in p for p in problems
    ), problems


def test_a_missing_column_is_named(layers_dir):
    drop_column(layers_dir / "expressways.csv", "source")
    problems = _problems(layers_dir, ["expressways"])
    assert any(
        "expressways.csv" in p and "'(header)'" in p and "'source'" in p for p in problems
    ), problems


def test_a_missing_column_is_one_line_not_one_more_per_row(layers_dir):
    drop_column(layers_dir / "airports.csv", "lat")
    assert _problems(layers_dir, ["airports"]) == [
        "airports.csv: feature '(header)', field 'lat': column is missing"
    ]


def test_spaces_around_the_column_names_of_the_header_are_ignored(layers_dir):
    path = layers_dir / "airports.csv"
    before = load_layers(["airports"], layers_dir=layers_dir)["airports"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = ", ".join(lines[0].rstrip("\n").split(",")) + " \n"
    path.write_text("".join(lines), encoding="utf-8")
    pd.testing.assert_frame_equal(
        load_layers(["airports"], layers_dir=layers_dir)["airports"], before
    )


def test_a_station_placed_differently_on_two_lines_is_refused(layers_dir):
    edit_field(layers_dir / "rail_stations.csv", "cyzx-06", "lat", "30.4")  # 乐至 on 成渝中线
    problems = _problems(layers_dir, ["rail_stations"])
    assert any("'cyzx-06'" in p and "'lat'" in p and "lezhi" in p for p in problems), problems


def test_a_section_naming_a_stop_its_line_lacks_is_refused(layers_dir):
    edit_field(layers_dir / "rail_lines.csv", "cdw-1", "to_seq", "15")
    problems = _problems(layers_dir, ["rail_lines"])
    assert any("rail_lines.csv" in p and "'cdw-1'" in p and "'to_seq'" in p for p in problems), (
        problems
    )


def test_a_route_leg_from_an_unknown_hub_is_refused(layers_dir):
    edit_field(layers_dir / "corridor_routes.csv", "cqth-1", "origin", "chongqing_nowhere")
    problems = _problems(layers_dir, ["corridor_routes"])
    assert any(
        "'cqth-1'" in p and "'origin'" in p and "not a logistics_hubs id" in p for p in problems
    ), problems


def test_a_sea_leg_from_an_inland_point_cannot_be_routed(layers_dir):
    edit_field(layers_dir / "corridor_routes.csv", "cdmy-2", "origin", "chengdu_railway_port")
    layers = load_layers(["corridor_routes"], layers_dir=layers_dir)  # loading only checks
    with pytest.raises(LayerValidationError) as caught:
        route_layers(layers)
    problems = [str(problem) for problem in caught.value.problems]
    assert any(
        "'cdmy-2'" in p and "'routing'" in p and "from the nearest sea lane" in p for p in problems
    ), problems


def test_an_area_without_a_boundary_is_refused(layers_dir):
    edit_field(layers_dir / "admin_areas.csv", "510104", "name_zh", "锦江新区")
    problems = _problems(layers_dir, ["admin_areas"])
    assert any(
        "admin_areas.csv" in p and "'510104'" in p and "no county boundary" in p for p in problems
    ), problems


def test_every_problem_in_every_file_is_reported_at_once(layers_dir):
    edit_field(layers_dir / "airports.csv", "langzhong", "status", "closed")
    edit_field(layers_dir / "expressways.csv", "suiyu", "status_as_of", "")
    problems = _problems(layers_dir)
    assert any("airports.csv" in p for p in problems) and any(
        "expressways.csv" in p for p in problems
    )


def test_a_missing_source_file_is_named(layers_dir):
    (layers_dir / "airports.csv").unlink()
    problems = _problems(layers_dir, ["airports"])
    assert any("airports.csv" in p and "does not exist" in p for p in problems), problems


# --- Reading: no row is lost silently --------------------------------------------------------


def _rewrite(path: Path, change) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_an_unclosed_quote_is_refused_with_its_line(layers_dir):
    # The quote opened in line 3 would swallow the following rows into one field.
    path = layers_dir / "airports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",", ',"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    problems = _problems(layers_dir, ["airports"])
    assert any("airports.csv" in p and "'line 3'" in p and "quote" in p for p in problems), problems


_AIRPORTS = LAYER_SPECS["airports"]
#: The rest of an airports row after its first two fields, left empty.
_BLANK = "," * (len(_AIRPORTS.field_names) - 2)


def _airport_rows_problems(tmp_path: Path, rows: str) -> list[str]:
    """The problems ``read_rows`` finds in an airports file of the header and ``rows``."""
    path = tmp_path / "airports.csv"
    path.write_text(",".join(_AIRPORTS.field_names) + "\n" + rows, encoding="utf-8")
    return [str(problem) for problem in read_rows(path, _AIRPORTS)[1]]


def test_a_quote_closed_lines_later_is_refused(tmp_path):
    # The quote opened in line 2 closes in line 3: one record with a line break in its name.
    problems = _airport_rows_problems(tmp_path, f'a,"Lang{_BLANK}\nb,zhong"{_BLANK}\n')
    assert any("'line 2'" in p and "lines 2–3" in p for p in problems), problems


def test_a_character_after_a_closing_quote_is_named_with_its_column(tmp_path):
    # A NUL pasted after a quoted source read "',' expected after '\"'": is a quote left open?
    problems = _airport_rows_problems(tmp_path, f'a,"Lang"\x00{_BLANK}\n')
    assert problems == [
        f"airports.csv: feature 'line 2', field '{_AIRPORTS.field_names[1]}': the control "
        "character U+0000 follows the closing quote: a quoted field must end at its closing "
        "quote, then a comma"
    ]


@pytest.mark.parametrize("change", [1, -1])
def test_a_row_wider_or_narrower_than_the_header_is_refused(layers_dir, change):
    path = layers_dir / "airports.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    count = f"{len(rows[0]) + change} values for {len(rows[0])} columns"
    rows[1] = rows[1] + ["extra"] if change > 0 else rows[1][:-1]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    problems = _problems(layers_dir, ["airports"])
    assert any("airports.csv" in p and "'line 2'" in p and count in p for p in problems), problems


def test_a_utf8_byte_order_mark_is_accepted(layers_dir):
    path = layers_dir / "airports.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    airports = load_layers(["airports"], layers_dir=layers_dir)["airports"]
    assert "langzhong" in set(airports["id"])


def test_a_column_named_twice_is_one_problem_not_the_second_value(layers_dir):
    # Every value valid: without the check, the second name_en would silently replace the first.
    path = layers_dir / "airports.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",name_en"] + [line + ",Somewhere Else" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _problems(layers_dir, ["airports"]) == [
        "airports.csv: feature '(header)', field 'name_en': column is named twice (columns 3 "
        "and 14): keep one"
    ]


def test_a_line_repeating_the_header_is_one_problem_naming_it(layers_dir):
    path = layers_dir / "airports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([lines[0], *lines]), encoding="utf-8")
    assert _problems(layers_dir, ["airports"]) == [
        "airports.csv: feature 'line 2', field '(row)': repeats the header: delete the line"
    ]


def test_a_spreadsheet_export_with_crlf_a_trailing_comma_and_empty_lines_is_read_whole(
    layers_dir,
):
    path = layers_dir / "airports.csv"
    before = load_layers(["airports"], layers_dir=layers_dir)["airports"]
    lines = path.read_text(encoding="utf-8").splitlines()
    separators_only = "," * lines[0].count(",")
    lines = [line + "," for line in lines] + [separators_only + ",", "  ", ""]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    after = load_layers(["airports"], layers_dir=layers_dir)["airports"]
    pd.testing.assert_frame_equal(after, before)


def test_a_value_under_a_column_with_no_name_is_refused(layers_dir):
    path = layers_dir / "airports.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + "," for line in lines]
    lines[2] += "stray"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _problems(layers_dir, ["airports"]) == [
        "airports.csv: feature 'line 3', field '(column 14)': holds a value in a column whose "
        "header has no name"
    ]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("gbk", "is not UTF-8"), ("utf-16", "is UTF-16"), ("latin-1", "is not UTF-8")],
)
def test_a_file_in_another_encoding_is_one_problem(layers_dir, encoding, expected):
    path = layers_dir / "airports.csv"
    text = path.read_text(encoding="utf-8")
    if encoding == "latin-1":
        text = text.replace("Langzhong", "Langzhöng")
    path.write_bytes(text.encode(encoding, errors="replace"))
    problems = _problems(layers_dir, ["airports"])
    assert len(problems) == 1 and "airports.csv" in problems[0] and expected in problems[0], (
        problems
    )


@pytest.mark.parametrize(
    ("field", "length", "setting"),
    [("name_en", 201, "max_name_chars (200)"), ("facts", 4_001, "max_text_chars (4,000)"),
     ("lat", 5_000, "max_text_chars (4,000)")],
)  # fmt: skip
def test_a_field_longer_than_its_limit_is_one_short_problem(layers_dir, field, length, setting):
    # Under csv's own limit, but no name is 201 characters: a paste gone wrong, which would
    # otherwise be carried into every map, and echoed whole in a number's problem.
    edit_field(layers_dir / "airports.csv", "langzhong", field, "9" * length)
    assert _problems(layers_dir, ["airports"]) == [
        f"airports.csv: feature 'langzhong', field '{field}': is {length:,} characters long, "
        f"over settings.{setting}"
    ]


def test_a_field_over_the_csv_limit_is_a_clear_problem(layers_dir):
    edit_field(layers_dir / "airports.csv", "langzhong", "facts", "x" * 200_000)
    problems = _problems(layers_dir, ["airports"])
    assert any("airports.csv" in p and "longer than the CSV limit" in p for p in problems), problems


# --- Values that used to pass -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2027-13", "2027-00", "0000", "20201224", "2021-W01-1"])
def test_a_date_that_is_not_a_real_calendar_date_is_refused(layers_dir, value):
    edit_field(layers_dir / "rail_lines.csv", "cdw-1", "opening", value)
    problems = _problems(layers_dir, ["rail_lines"])
    assert any("'cdw-1'" in p and "'opening'" in p for p in problems), problems


@pytest.mark.parametrize("value", ["20201224", "2021-W01-1", "2020-02-30"])
def test_a_full_date_field_takes_only_yyyy_mm_dd(layers_dir, value):
    edit_field(layers_dir / "airports.csv", "langzhong", "opened", value)
    problems = _problems(layers_dir, ["airports"])
    assert any("'langzhong'" in p and "'opened'" in p for p in problems), problems


@pytest.mark.parametrize("value", ["2027", "2027-09", "2027-09-30"])
def test_a_year_a_month_or_a_day_is_accepted(layers_dir, value):
    edit_field(layers_dir / "rail_lines.csv", "cdw-1", "opening", value)
    lines = load_layers(["rail_lines"], layers_dir=layers_dir)["rail_lines"].set_index("id")
    assert lines.loc["cdw-1", "opening"] == value


@pytest.mark.parametrize(
    ("file", "feature", "field", "value"),
    [
        ("rail_stations.csv", "cdw-07", "lon", "nan"),
        ("rail_stations.csv", "cdw-07", "lat", "inf"),
        ("airports.csv", "langzhong", "lon", "-inf"),
        ("rail_lines.csv", "cdw-1", "length_official_km", "NaN"),
        ("logistics_hubs.csv", "luzhou_port", "area_km2", "1e400"),
    ],
)
def test_a_figure_that_is_not_finite_is_refused(layers_dir, file, feature, field, value):
    edit_field(layers_dir / file, feature, field, value)
    problems = _problems(layers_dir)
    matching = [p for p in problems if repr(feature) in p and repr(field) in p]
    assert any("not a finite number" in p for p in matching), problems
    # A nan station is not compared with itself ("has lon nan here but nan in cdw-05").
    assert not any("but nan" in p for p in problems), problems


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\u2028", "\t"])
def test_a_control_character_in_text_is_refused(layers_dir, character):
    edit_field(layers_dir / "airports.csv", "langzhong", "name_en", f"Lang{character}zhong")
    problems = _problems(layers_dir, ["airports"])
    assert any(
        "'langzhong'" in p and "'name_en'" in p and "control character" in p for p in problems
    ), problems


def test_a_station_on_a_line_that_rail_lines_lacks_is_refused(layers_dir):
    edit_field(layers_dir / "rail_stations.csv", "cdw-07", "line_id", "xyz")
    problems = _problems(layers_dir)
    assert any(
        "rail_stations.csv" in p and "'cdw-07'" in p and "'line_id'" in p and "'xyz'" in p
        for p in problems
    ), problems


def test_a_county_listed_twice_under_two_adcodes_is_refused(layers_dir):
    path = layers_dir / "admin_areas.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    twin = next(line for line in lines if line.startswith("510104,"))
    lines.append(twin.replace("510104,", "510199,", 1))
    path.write_text("".join(lines), encoding="utf-8")
    problems = _problems(layers_dir, ["admin_areas"])
    assert any("'510199'" in p and "already adcode '510104'" in p for p in problems), problems


def test_a_county_with_another_name_and_the_same_boundary_is_refused(layers_dir, monkeypatch):
    from geo.sources import admin

    real = admin.boundaries

    def twin_boundaries(**kwargs):
        frame = real(**kwargs)
        extra = frame[frame["name_zh"] == "锦江区"].assign(name_zh="锦江新区")
        return gpd.GeoDataFrame(pd.concat([frame, extra], ignore_index=True), crs=frame.crs)

    monkeypatch.setattr(admin, "boundaries", twin_boundaries)
    path = layers_dir / "admin_areas.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names, rows = list(reader.fieldnames or []), list(reader)
    index = next(i for i, row in enumerate(rows) if row["adcode"] == "510104")
    # Split 锦江区's people between itself and the twin so the totals still add up.
    original, twin = rows[index], dict(rows[index], adcode="510198", name_zh="锦江新区")
    for column in ("population_2020", "urban_2020", "rural_2020"):
        half = int(original[column]) // 2
        twin[column] = str(int(original[column]) - half)
        original[column] = str(half)
    rows.insert(index + 1, twin)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    problems = _problems(layers_dir, ["admin_areas"])
    assert any("'510198'" in p and "same boundary as '510104'" in p for p in problems), problems


def test_county_figures_that_no_longer_add_up_are_refused(layers_dir):
    edit_field(layers_dir / "admin_areas.csv", "510104", "population_2020", "1")
    problems = _problems(layers_dir, ["admin_areas"])
    assert any(
        "'510100'" in p and "'population_2020'" in p and "add up to" in p for p in problems
    ), problems


def test_a_column_added_later_may_be_left_out_of_a_file(layers_dir):
    path = layers_dir / "rail_times.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    header = [name for name in rows[0] if name != "use"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    times = load_layers(["rail_times"], layers_dir=layers_dir)["rail_times"]
    assert len(times) == len(rows) and times["use"].isna().all()
    # A required column is still required.
    header.remove("minutes")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(LayerValidationError, match="'minutes': column is missing"):
        load_layers(["rail_times"], layers_dir=layers_dir)


def test_a_header_only_layer_is_one_problem_naming_the_file(layers_dir):
    path = layers_dir / "admin_areas.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    problems = _problems(layers_dir)
    assert problems == ["admin_areas.csv: feature '(file)', field '(all)': has a header but no "
                        "features; a layer needs one"]  # fmt: skip


def test_swapped_stop_numbers_are_refused_not_sorted_away(layers_dir):
    edit_field(layers_dir / "rail_stations.csv", "cdw-04", "seq", "5")
    edit_field(layers_dir / "rail_stations.csv", "cdw-05", "seq", "4")
    problems = _problems(layers_dir)
    assert len(problems) == 1 and "'cdw-05', field 'seq'" in problems[0], problems
    assert "swapped" in problems[0]


def test_a_deleted_section_whose_stops_remain_is_refused(layers_dir):
    path = layers_dir / "rail_lines.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("cdw-2,")), "utf-8")
    problems = _problems(layers_dir)
    assert len(problems) == 1, problems
    assert "rail_lines.csv: feature 'cdw'" in problems[0]
    assert "stop 5 of line 'cdw' lies on no section (nor 9 more)" in problems[0]


def test_a_through_running_to_a_line_not_calling_there_is_refused(layers_dir):
    edit_field(layers_dir / "rail_lines.csv", "cy-1", "through_running", "cqn@bishan; yk@bishan")
    problems = _problems(layers_dir, ["rail_lines"])
    assert len(problems) == 1, problems
    assert "'cy-1', field 'through_running': 'yk@bishan'" in problems[0]


def test_a_through_running_direction_must_name_the_next_stop_of_the_other_line(layers_dir):
    # 广元 is a stop of 兰渝 but not next to 南充北: a direction says which neighbour trains take.
    path = layers_dir / "rail_lines.csv"
    edit_field(path, "hbn-1", "through_running", "ly@nanchong_bei>guangyuan")
    problems = _problems(layers_dir, ["rail_lines"])
    assert problems == [
        "rail_lines.csv: feature 'hbn-1', field 'through_running': 'ly@nanchong_bei>guangyuan': "
        "after '>' write the next stop of line 'ly' the trains run to from 'nanchong_bei': "
        "'nanbu' or 'wusheng'"
    ]
    edit_field(path, "hbn-1", "through_running", "ly@nanchong_bei>")
    assert "'ly@nanchong_bei>': after '>' write" in _problems(layers_dir, ["rail_lines"])[0]
    edit_field(path, "hbn-1", "through_running", "ly@nanchong_bei>nanbu")
    load_layers(["rail_lines"], layers_dir=layers_dir)
