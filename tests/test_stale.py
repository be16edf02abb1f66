"""Facts to re-check: statuses known only as of long ago, and dates that have passed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner

from geo.cli.commands import cli
from geo.sources.layers import load_layers
from geo.sources.stale import months_between, period_end, stale_facts
from tests.conftest import edit_field

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def layers() -> dict[str, pd.DataFrame]:
    return load_layers(["expressways", "logistics_hubs", "airports"])


def _roads(*rows: dict[str, str]) -> dict[str, pd.DataFrame]:
    return {"expressways": pd.DataFrame.from_records(rows)}


def _road(feature_id: str, status: str, as_of: str, **dates: str) -> dict[str, str]:
    return {"id": feature_id, "status": status, "status_as_of": as_of, **dates}


@pytest.mark.parametrize(
    ("text", "end"),
    [("2027", dt.date(2027, 12, 31)), ("2028-02", dt.date(2028, 2, 29)),
     ("2026-03-16", dt.date(2026, 3, 16))],
)  # fmt: skip
def test_a_partial_date_ends_with_its_period(text, end):
    assert period_end(text) == end


def test_months_between_counts_whole_months():
    assert months_between(dt.date(2025, 11, 25), TODAY) == 12
    assert months_between(dt.date(2025, 11, 26), TODAY) == 11


def test_a_past_opening_under_construction_is_always_a_warning():
    frames = _roads(
        _road("late", "under_construction", "2026-10-01", opening="2026-06"),
        _road("on_time", "under_construction", "2026-10-01", opening="2026-11"),
        _road("open", "operating", "2020-01-01", opening="2019"),
    )
    problems = stale_facts(frames, today=TODAY)
    assert [(p.feature_id, p.field) for p in problems] == [("late", "opening")]
    assert problems[0].file == "expressways.csv" and "2026-06" in problems[0].message


def test_stale_lists_old_statuses_most_important_first():
    frames = _roads(
        _road("old_operating", "operating", "2020-12-30"),
        _road("recent", "under_construction", "2026-03-17"),
        _road("old_building", "under_construction", "2024-03-11"),
        _road("planned_started", "planned", "2026-08-14", started="2025"),
        _road("late", "under_construction", "2026-10-01", opening="2026-06"),
        _road("older_building", "planned", "2022-12-30"),
    )
    problems = stale_facts(frames, months=12, today=TODAY)
    assert [p.feature_id for p in problems] == [
        "late",  # under construction, planned opening past
        "planned_started",  # planned, start past
        "older_building",  # not yet operating, oldest first
        "old_building",
        "old_operating",
    ]
    assert [p.field for p in problems[:2]] == ["opening", "started"]
    assert all(p.field == "status_as_of" for p in problems[2:])


def test_the_limit_decides_what_is_old():
    frames = _roads(_road("a", "operating", "2025-05-25"))
    assert stale_facts(frames, months=18, today=TODAY) == []
    assert [p.feature_id for p in stale_facts(frames, months=12, today=TODAY)] == ["a"]


def test_a_status_exactly_the_limit_old_is_not_stale_and_a_month_more_is():
    frames = _roads(
        _road("limit", "operating", "2025-11-25"), _road("over", "operating", "2025-10-25")
    )
    assert [p.feature_id for p in stale_facts(frames, months=12, today=TODAY)] == ["over"]


def test_layers_without_status_as_of_are_skipped():
    frames = {"admin_areas": pd.DataFrame({"adcode": ["500000"], "status_as_of": ["1990-01-01"]})}
    assert stale_facts(frames, months=1, today=TODAY) == []


def test_every_status_of_the_project_carries_its_date(layers):
    for name in ("expressways", "logistics_hubs", "airports"):
        frame = layers[name]
        assert frame["status_as_of"].notna().all(), name
        assert (frame["status_as_of"].map(dt.date.fromisoformat) <= TODAY).all(), name


def test_the_project_has_no_opening_past_while_under_construction_today(layers):
    assert stale_facts(layers, today=TODAY) == []


def test_validate_stale_warns_with_layer_feature_and_field(layers_dir):
    edit_field(layers_dir / "expressways.csv", "chengyu_expansion_sichuan", "opening", "2025-06")
    runner = CliRunner()
    plain = runner.invoke(cli, ["validate", "--layers", str(layers_dir), "--today", "2026-11-25"])
    assert plain.exit_code == 0, plain.output
    lines = [line for line in plain.output.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1
    assert "expressways.csv" in lines[0] and "'chengyu_expansion_sichuan'" in lines[0]
    assert "'opening'" in lines[0]

    stale = runner.invoke(
        cli, ["validate", "--layers", str(layers_dir), "--stale", "12", "--today", "2026-11-25"]
    )
    assert stale.exit_code == 0, stale.output
    lines = [line for line in stale.output.splitlines() if line.startswith("warning:")]
    assert len(lines) > 1 and "'chengyu_expansion_sichuan'" in lines[0]
    assert any("'suiyu_expansion'" in line and "'status_as_of'" in line for line in lines)
    assert "fact(s) to re-check" in stale.output
