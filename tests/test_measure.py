"""Geodesic lengths by province, status and mode, and the comparison with official lengths."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString

from geo.analysis.measure import LEVELS, geodesic_km, length_km, length_table, route_lengths
from geo.networks.routing import route_layers
from geo.sources.layers import load_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    built = route_layers(load_layers())
    built["route_lengths"] = route_lengths(built)
    return built


@pytest.fixture(scope="module")
def table(layers) -> pd.DataFrame:
    return length_table(layers, layers["route_lengths"]).set_index(["level", "id"], drop=False)


def test_one_degree_of_meridian_at_the_equator_is_110574_metres():
    # WGS84: the meridian arc from 0° to 1° latitude is 110,574.4 m.
    assert geodesic_km(0, 0, 0, 1) * 1000 == pytest.approx(110_574.4, abs=1.0)
    assert length_km(LineString([(0, 0), (0, 0.5), (0, 1)])) * 1000 == pytest.approx(
        110_574.4, abs=1.0
    )


def test_a_degree_of_longitude_shrinks_with_latitude_as_on_the_ellipsoid():
    # At 30°N (Chengdu, Chongqing) a degree of longitude is 96.486 km on WGS84, not 111.3.
    assert geodesic_km(104, 30, 105, 30) == pytest.approx(96.486, abs=0.01)


def test_province_pieces_add_up_to_the_whole_line(layers):
    pieces = layers["route_lengths"]
    for _, section in layers["rail_lines"].iterrows():
        measured = pieces[
            (pieces["layer"] == "rail_lines") & (pieces["feature_id"] == section["id"])
        ]
        assert measured["length_km"].sum() == pytest.approx(length_km(section.geometry), abs=0.05)


def test_a_line_within_chongqing_is_all_chongqing(table):
    zhengyu = table.loc[("line", "zy")]
    assert zhengyu["sichuan_km"] == 0 and zhengyu["other_km"] == 0
    assert zhengyu["chongqing_km"] == zhengyu["total_km"] > 300


def test_the_kunming_line_splits_into_sichuan_chongqing_and_yunnan(table):
    line = table.loc[("line", "yk")]
    assert line["chongqing_km"] > 50 and line["sichuan_km"] > 100 and line["other_km"] > 300
    by_status = table.loc["line_status"].query("id == 'yk'").set_index("status")["total_km"]
    assert by_status["operating"] + by_status["under_construction"] == pytest.approx(
        line["total_km"], abs=0.2
    )


def test_the_official_length_is_compared_in_km_and_percent(table):
    section = table.loc[("section", "cdw-2")]
    assert section["official_km"] == 432.4
    assert section["diff_km"] == pytest.approx(section["total_km"] - 432.4, abs=0.05)
    assert section["diff_pct"] == pytest.approx(100 * section["diff_km"] / 432.4, abs=0.05)
    assert "station chain" in section["remark"] and "precision" in section["remark"]


def test_services_are_totalled_per_mode_and_overall(table):
    by_mode = (
        table.loc["service_mode"].query("id == 'tuanjiecun_qinzhou_thailand'").set_index("mode")
    )
    total = table.loc[("service", "tuanjiecun_qinzhou_thailand")]
    assert total["mode"] == "rail+sea"
    assert by_mode.loc["rail", "total_km"] + by_mode.loc["sea", "total_km"] == pytest.approx(
        total["total_km"], abs=0.2
    )
    # Scale check: the network routes Tuanjiecun–Qinzhou at about 1,230 km.
    assert 1150 < by_mode.loc["rail", "total_km"] < 1350


def test_the_yangtze_route_is_set_beside_the_land_sea_route(table):
    land_sea = table.loc[("service", "tuanjiecun_qinzhou_thailand")]
    yangtze = table.loc[("service", "chongqing_yangtze_shanghai_thailand")]
    assert yangtze["mode"] == "river+sea" and yangtze["status"] == "comparison"
    assert yangtze["total_km"] > land_sea["total_km"]


def test_the_length_table_has_a_column_for_every_province_of_the_settings():
    from geo import settings
    from geo.sources._schema import PROVINCE_COLUMNS

    assert tuple(PROVINCE_COLUMNS) == settings.provinces


def test_the_table_has_the_levels_of_levels_in_their_order(table):
    assert list(dict.fromkeys(table["level"])) == list(LEVELS)


def test_a_lines_statuses_follow_the_line(table):
    levels_and_ids = list(zip(table["level"], table["id"], strict=True))
    for position, (level, line_id) in enumerate(levels_and_ids):
        if level == "line_status":
            parent = next(
                entry for entry in reversed(levels_and_ids[:position]) if entry[0] == "line"
            )
            assert parent == ("line", line_id)


def test_each_level_makes_only_its_own_rows(layers):
    for name, level in LEVELS.items():
        rows = level.rows(layers, layers["route_lengths"])
        assert rows and {row["level"] for row in rows} == {name}


def test_a_reported_length_is_compared_in_the_remark(layers):
    # The Land–Sea rail legs have only rough reported lengths ("more than 1,400 km"): the
    # table says how far the routed leg is from them, and leaves the official column empty.
    legs = length_table(layers, layers["route_lengths"]).query("level == 'leg'").set_index("id")
    reported = layers["corridor_routes"].set_index("id")["length_reported_km"].dropna()
    assert {"cdmy-1", "cqth-1"} <= set(reported.index)
    for leg_id, km in reported.items():
        change = 100 * (legs.loc[leg_id, "total_km"] - km) / km
        expected = f"reported about {km:,.0f} km: measured {change:+.0f} %"
        assert expected in legs.loc[leg_id, "remark"]
        assert pd.isna(legs.loc[leg_id, "official_km"])
    assert "straight spurs" in legs.loc["cdmy-1", "remark"]  # the other remark is kept
