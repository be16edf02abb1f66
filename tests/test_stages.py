"""Cached stages: computed once per set of inputs, read back otherwise."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from shapely import Point
from shapely.affinity import translate

from geo import settings
from geo._stages import (
    GEOPARQUET,
    JSON,
    NPY,
    PICKLE,
    RAW,
    cached_stage,
    frame_digest,
    inputs_key,
)
from geo.analysis.stage import _Network, _People
from geo.cli.commands import cli
from geo.scenario.results import NetworkAnalysis
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


def test_the_entries_kept_are_the_most_recently_used(tmp_path):
    # Three kept: "a" is read after "b" and "c" are written, so "b" goes when "d" comes in.
    for key in "abc":
        cached_stage("demo", [key], lambda key=key: key, cache_dir=tmp_path, keep=3)
        time.sleep(0.01)  # modification times a step apart on any filesystem
    assert cached_stage("demo", ["a"], _refuse, cache_dir=tmp_path, keep=3) == "a"
    time.sleep(0.01)
    cached_stage("demo", ["d"], lambda: "d", cache_dir=tmp_path, keep=3)
    assert cached_stage("demo", ["a"], _refuse, cache_dir=tmp_path, keep=3) == "a"
    assert cached_stage("demo", ["b"], lambda: "again", cache_dir=tmp_path, keep=3) == "again"


def _refuse() -> str:
    raise AssertionError("computed again: the entry was pruned")


def _slow_stage(cache: str, log_file: str) -> int:
    def compute() -> int:
        with open(log_file, "a") as handle:
            handle.write("computed\n")
        time.sleep(1.0)  # long enough for the other process to ask meanwhile
        return 7

    return cached_stage("slow", ["k"], compute, cache_dir=Path(cache))


def test_two_processes_asking_for_one_entry_compute_it_once(tmp_path):
    log_file = tmp_path / "computed.txt"
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        answers = pool.starmap(_slow_stage, [(str(tmp_path), str(log_file))] * 2)
    assert answers == [7, 7]
    assert log_file.read_text().splitlines() == ["computed"]


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


# --- A damaged cache never changes an answer -------------------------------------------------

_CODECS = {codec.name: codec for codec in (PICKLE, GEOPARQUET, NPY, JSON, RAW)}
#: Kinds of cache entry a build reads (``china`` and ``land`` only for the figures' context).
_BUILD_KINDS = {
    "network", "people", "maps", "boundaries", "population", "drive-areas", "display",
    "rail-segments", "rail-route", "road-route", "rail-graphs",
}  # fmt: skip


def _split(path: Path) -> tuple[bytes, bytes]:
    data = path.read_bytes()
    end = data.index(b"\n") + 1
    return data[:end], data[end:]


def flip(path: Path) -> None:
    """Invert 64 bytes near the end of the payload, as a bad sector would."""
    header, payload = _split(path)
    damaged = bytearray(payload)
    for index in range(max(0, len(damaged) - 80), max(0, len(damaged) - 16)):
        damaged[index] ^= 0xFF
    path.write_bytes(header + bytes(damaged))


def truncate(path: Path) -> None:
    """Keep the first two thirds of the entry, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def renumber(path: Path) -> None:
    """Change one number and write the payload again in its own format, header kept as it was.

    Only the size in the header follows, so that it is the checksum that finds the change.
    """
    header, payload = _split(path)
    kind = header.split()[1].removeprefix(b"kind=").decode()
    codec = _CODECS[kind]
    changed = codec.dump(_nudge(codec.load(payload)))
    assert changed != payload
    fields = header.split()
    fields[3] = b"bytes=%d" % len(changed)
    path.write_bytes(b" ".join(fields) + b"\n" + changed)


def _nudge(value: Any) -> Any:
    """The same value with its first number changed."""
    if isinstance(value, gpd.GeoDataFrame):
        changed = value.copy()
        first = changed.index[0]
        changed.loc[first, "geometry"] = translate(changed.geometry[first], 0.01, 0.01)
        return changed
    if isinstance(value, pd.DataFrame):
        changed = value.copy()
        column = changed.select_dtypes("number").columns[0]
        changed.loc[changed.index[0], column] += 1
        return changed
    if isinstance(value, np.ndarray):
        changed = value.copy()
        changed.flat[0] += 0.01
        return changed
    if isinstance(value, bytes):
        return shapely.to_wkb(translate(shapely.from_wkb(value), 0.01, 0.01))
    if isinstance(value, str):
        return re.sub(r"\d", lambda digit: str((int(digit[0]) + 1) % 10), value, count=1)
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, list):  # an empty one too: a map group may have nothing to draw
        return [_nudge(value[0]), *value[1:]] if value else [0]
    if isinstance(value, dict):
        first = next(iter(value))
        return {**value, first: _nudge(value[first])}
    if isinstance(value, _Network):
        return dataclasses.replace(value, lengths=_nudge(value.lengths))
    if isinstance(value, _People):
        return dataclasses.replace(value, summary=_nudge(value.summary))
    if isinstance(value, NetworkAnalysis):  # a proposal's base, cached by chengyu scenario
        return dataclasses.replace(value, coverage=_nudge(value.coverage))
    if isinstance(value, nx.Graph):  # the rail graphs: one edge's time
        changed = value.copy()
        data = next(iter(changed.edges(data=True)))[2]
        data["travel_time"] += 1
        return changed
    raise AssertionError(f"no number to change in a {type(value).__name__}")


_DAMAGES = [flip, truncate, renumber]
_VALUES = {
    "pickle": {"answer": [1.5, 2]},
    "geoparquet": gpd.GeoDataFrame({"people": [3, 4]}, geometry=[Point(104, 30), Point(106, 29)]),
    "npy": np.arange(64, dtype=float).reshape(-1, 4),
    "json": {"coordinates": [[104.1, 30.6], [106.5, 29.5]], "off_network_km": 0.5},
    "raw": shapely.to_wkb(Point(104.0, 30.0)),
}


def _equal(first: Any, second: Any) -> bool:
    if isinstance(first, pd.DataFrame):
        return bool(first.equals(second))
    if isinstance(first, np.ndarray):
        return bool(np.array_equal(first, second))
    return bool(first == second)


def _damage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "is damaged" in record.getMessage()
    ]


@pytest.mark.parametrize("damage", _DAMAGES)
@pytest.mark.parametrize("kind", sorted(_VALUES))
def test_a_damaged_entry_is_reported_once_deleted_and_computed_again(
    kind, damage, tmp_path, caplog
):
    value = _VALUES[kind]
    codec = _CODECS[kind]
    cached_stage("demo", ["a"], lambda: value, cache_dir=tmp_path, codec=codec)
    (entry,) = tmp_path.glob("demo-*.cache")
    damage(entry)
    caplog.set_level(logging.INFO, logger="chengyu")
    calls = []

    def compute() -> Any:
        calls.append(1)
        return value

    again = cached_stage("demo", ["a"], compute, cache_dir=tmp_path, codec=codec)
    assert _equal(again, value) and calls == [1]
    assert len(_damage_warnings(caplog)) == 1 and str(entry) in _damage_warnings(caplog)[0]
    # Written again, whole: the next read needs no computing and says nothing.
    caplog.clear()
    assert _equal(cached_stage("demo", ["a"], compute, cache_dir=tmp_path, codec=codec), value)
    assert calls == [1] and not _damage_warnings(caplog)


def test_an_entry_copied_onto_another_key_is_not_read_as_its_answer(tmp_path, caplog):
    # Whole and checksummed, but written for other inputs (a cache folder copied over another,
    # an entry renamed): read as this key's, it would change the answer without a warning.
    cached_stage("demo", ["radius 5"], lambda: {"people": 5}, cache_dir=tmp_path)
    (five,) = tmp_path.glob("demo-*.cache")
    cached_stage("demo", ["radius 10"], lambda: {"people": 10}, cache_dir=tmp_path)
    (ten,) = set(tmp_path.glob("demo-*.cache")) - {five}
    shutil.copyfile(ten, five)
    caplog.set_level(logging.INFO, logger="chengyu")
    again = cached_stage("demo", ["radius 5"], lambda: {"people": 5}, cache_dir=tmp_path)
    assert again == {"people": 5}
    (warning,) = _damage_warnings(caplog)
    assert str(five) in warning and "copied or renamed" in warning


def _normalised(path: Path) -> bytes:
    """A file's content without what differs from one identical build to the next."""
    if path.suffix == ".gpkg":
        digest = hashlib.sha256()
        with tempfile.TemporaryDirectory() as folder:  # GDAL may write beside what it reads
            copy = Path(shutil.copy(path, folder))
            frames = {
                name: pyogrio.read_dataframe(copy, layer=name)
                for name, _ in pyogrio.list_layers(copy)
            }
        for name, frame in frames.items():
            frame = frame.drop(columns="update_time", errors="ignore")  # when styles were written
            digest.update(name.encode() + frame_digest(frame).encode())
        return digest.digest()
    if path.suffix == ".html":  # folium names its elements with random ids
        return re.sub(rb"_[0-9a-f]{32}(?![0-9a-f])", b"_ID", path.read_bytes())
    return path.read_bytes()


def _output_hashes(out: Path) -> dict[str, str]:
    return {
        str(path.relative_to(out)): hashlib.sha256(_normalised(path)).hexdigest()
        for path in sorted(out.rglob("*"))
        # GDAL's side files (``.aux.xml``) are written by whoever reads the GeoPackage.
        if path.is_file()
        and "cache" not in path.relative_to(out).parts
        and not path.name.endswith(".aux.xml")
    }


def test_a_build_on_a_damaged_cache_writes_the_clean_build_and_warns_once_per_entry(
    built, tmp_path, monkeypatch, caplog
):
    # Every entry is damaged, the three damages taking turns: each codec meets each damage in the
    # test above, so one build (about 20 s) shows the build reads its caches through that check.
    clean = built.geopackage.parent
    cache = tmp_path / "cache"
    shutil.copytree(settings.cache_dir, cache)
    entries = sorted(cache.glob("*.cache"))
    assert len(entries) >= len(_DAMAGES)
    for number, entry in enumerate(entries):
        _DAMAGES[number % len(_DAMAGES)](entry)
    monkeypatch.setattr(settings, "cache_dir", cache)
    caplog.set_level(logging.WARNING, logger="chengyu")
    result = CliRunner().invoke(cli, ["build", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert _output_hashes(tmp_path / "out") == _output_hashes(clean)
    named = [
        re.search(r"cache entry (\S+) is damaged", line)[1] for line in _damage_warnings(caplog)
    ]
    assert len(named) == len(set(named))  # each damaged entry once
    assert {Path(name).name.rsplit("-", 1)[0] for name in named} >= _BUILD_KINDS
