"""Cached stages: computed once per set of inputs, read back otherwise."""

from __future__ import annotations

import pytest

from geo import settings
from geo._stages import cached_stage, inputs_key
from tests.conftest import edit_field


def test_a_stage_is_computed_once_then_read_back(tmp_path):
    calls = []

    def compute() -> dict[str, int]:
        if calls:
            raise AssertionError("computed again: the cache was not used")
        calls.append(1)
        return {"answer": 42}

    assert cached_stage("demo", ["a"], compute, cache_dir=tmp_path) == {"answer": 42}
    assert cached_stage("demo", ["a"], compute, cache_dir=tmp_path) == {"answer": 42}
    assert len(calls) == 1
    with pytest.raises(AssertionError, match="computed again"):
        cached_stage("demo", ["b"], compute, cache_dir=tmp_path)


def test_an_unreadable_cache_is_computed_again(tmp_path):
    cached_stage("demo", ["a"], lambda: 1, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("demo-*.cache")
    entry.write_bytes(b"not a pickle")
    assert cached_stage("demo", ["a"], lambda: 2, cache_dir=tmp_path) == 2


def test_the_key_changes_with_a_source_a_setting_or_an_option(layers_dir, monkeypatch):
    first = inputs_key(layers_dir=layers_dir)
    assert inputs_key(layers_dir=layers_dir) == first
    assert inputs_key(layers_dir=layers_dir, options=["radii=10"]) != first
    monkeypatch.setattr(settings, "road_speed_kph", settings.road_speed_kph + 1)
    assert inputs_key(layers_dir=layers_dir) != first
    monkeypatch.undo()
    monkeypatch.setattr(settings, "out_dir", settings.out_dir / "elsewhere")
    assert inputs_key(layers_dir=layers_dir) == first  # where outputs go changes no result
    edit_field(layers_dir / "rail_stations.csv", "cdw-07", "name_en", "Renamed")
    assert inputs_key(layers_dir=layers_dir) != first


def test_only_the_newest_results_of_a_stage_are_kept(tmp_path):
    import os

    for number in range(5):
        cached_stage("demo", [str(number)], lambda number=number: number, cache_dir=tmp_path)
        for entry in tmp_path.glob("demo-*.cache"):  # distinct, increasing times
            os.utime(entry, ns=(entry.stat().st_mtime_ns - 10**9,) * 2)
    assert len(list(tmp_path.glob("demo-*.cache"))) == 3
    assert cached_stage("demo", ["4"], lambda: -1, cache_dir=tmp_path) == 4  # newest kept
    assert cached_stage("demo", ["0"], lambda: -1, cache_dir=tmp_path) == -1  # oldest gone
