"""Bad input stops the load with a message naming the file, the feature and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.errors import LayerValidationError
from geo.layers import load_layers
from tests.conftest import drop_column, duplicate_row, edit_field


def _problems(layers_dir: Path, names: list[str] | None = None) -> list[str]:
    with pytest.raises(LayerValidationError) as caught:
        load_layers(names, layers_dir=layers_dir)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("file", "feature", "field", "value", "expected"),
    [
        ("rail_stations.csv", "cdw-05", "name_zh", "", "required but empty"),
        ("rail_stations.csv", "cdw-05", "status", "open", "not one of"),
        ("rail_stations.csv", "cdw-05", "lon", "200", "outside the WGS84 range"),
        ("rail_stations.csv", "cdw-05", "precision_m", "about 5 km", "not a valid int"),
        ("rail_stations.csv", "cy-01", "opened", "2015-13-26", "not a valid date"),
        ("rail_lines.csv", "cdw-1", "opening", "Sept 2027", "not a year"),
        ("rail_stations.csv", "cdw-05", "station_id", "Suining Station", "lowercase"),
        ("logistics_hubs.csv", "luzhou_port", "kind", "dry_port", "not one of"),
        (
            "expressways.csv",
            "luzhou_yongchuan_sichuan",
            "waypoints",
            "Luzhou 105.4 28.9",
            "not 'Name (lon lat)'",
        ),
        ("admin_areas.csv", "510104", "population_2020", "-5", "below the minimum"),
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


def test_a_station_placed_differently_on_two_lines_is_refused(layers_dir):
    edit_field(layers_dir / "rail_stations.csv", "cyzx-06", "lat", "30.4")  # 乐至 on 成渝中线
    problems = _problems(layers_dir, ["rail_stations"])
    assert any("'cyzx-06'" in p and "'lat'" in p and "lezhi" in p for p in problems), problems


def test_a_section_naming_a_stop_its_line_lacks_is_refused(layers_dir):
    edit_field(layers_dir / "rail_lines.csv", "cdw-1", "to_seq", "14")
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
    problems = _problems(layers_dir, ["corridor_routes"])
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
