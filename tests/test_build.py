"""A build is all or nothing: checked first, staged, swapped in whole, locked, recoverable."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import signal
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from geo import settings
from geo._io import cache_for, output_lock
from geo.analysis.stage import Analysis, analyse
from geo.errors import ChengyuError, ExportError, OptionError
from geo.outputs import build as build_module
from geo.outputs.build import BUILD_OUTPUTS, build
from tests.conftest import announce_writes, file_hashes

PROJECT_MAPS = Path(settings.maps_dir)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    """A small analysis (a few simplified features per layer) that each test only writes.

    What is tested is the write stage, so the content only needs every layer and table.
    """
    full = analyse()
    layers = {}
    for name, frame in full.layers.items():
        small = frame.head(6).copy()
        small["geometry"] = small.geometry.simplify(0.02)
        layers[name] = small
    return Analysis(layers, full.lengths, full.coverage, full.rail_times)


@pytest.fixture
def quick(analysis, monkeypatch):
    """Builds in this test reuse the module's analysis (the write stage is what is tested)."""
    monkeypatch.setattr(build_module, "analyse", lambda **_: analysis)


@pytest.fixture(scope="module")
def template(analysis, tmp_path_factory) -> Path:
    """One complete build, a cache file and a screenshot, written once for the module."""
    out = tmp_path_factory.mktemp("template") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_module, "analyse", lambda **_: analysis)
        build(out_dir=out)
    (out / "cache").mkdir()
    (out / "cache" / "kept.json").write_text("{}")
    (out / "screenshots").mkdir()
    (out / "screenshots" / "overview.png").write_bytes(b"png")
    return out


@pytest.fixture
def previous(template, tmp_path, quick) -> Path:
    """An output folder holding a previous build (a copy of the template)."""
    out = tmp_path / "place" / "out"
    shutil.copytree(template, out)
    return out


def _inodes(out: Path) -> dict[str, int]:
    return {
        str(path.relative_to(out)): path.stat().st_ino
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name not in (out.name, ".out.lock"))


def test_a_build_writes_the_set_and_keeps_the_cache_and_screenshots(previous, quick):
    before = file_hashes(previous)
    time.sleep(0.01)
    result = build(out_dir=previous)
    after = file_hashes(previous)
    assert {path.split("/")[0] for path in after} == {*BUILD_OUTPUTS, "cache", "screenshots"}
    assert after["cache/kept.json"] == before["cache/kept.json"]
    assert after["screenshots/overview.png"] == before["screenshots/overview.png"]
    assert result.geopackage == previous / settings.geopackage_name
    assert all(path.parent == previous / "maps" for path in result.maps)
    assert all(path.is_file() for path in [*result.maps, *result.parquet, result.lengths_csv])
    assert _siblings(previous) == []


@pytest.mark.parametrize("radius", [0.0, -5.0, float("nan"), float("inf"), 1e9])
def test_a_bad_radius_fails_before_anything_is_written(previous, radius):
    before = file_hashes(previous)
    with pytest.raises(OptionError, match="catchment radius"):
        build(out_dir=previous, radii_km=[radius])
    assert file_hashes(previous) == before


def test_a_bad_time_limit_in_the_settings_fails_before_anything_is_written(previous, monkeypatch):
    monkeypatch.setattr(settings, "reach_minutes", (60.0, float("inf")))
    before = file_hashes(previous)
    with pytest.raises(OptionError, match=r"settings\.reach_minutes: inf"):
        build(out_dir=previous)
    assert file_hashes(previous) == before


def test_a_bad_map_definition_fails_before_anything_is_written(previous, tmp_path, monkeypatch):
    maps = tmp_path / "definitions" / "maps"
    shutil.copytree(PROJECT_MAPS, maps)
    (maps / "zz_broken.toml").write_text('name = "broken"\ntitle_zh = [\n', encoding="utf-8")
    monkeypatch.setattr(settings, "maps_dir", maps)
    before = file_hashes(previous)
    with pytest.raises(ChengyuError, match=r"zz_broken\.toml"):
        build(out_dir=previous)
    assert file_hashes(previous) == before
    assert _siblings(previous) == []


def test_a_failure_while_writing_leaves_the_previous_build(previous, monkeypatch):
    # The GeoPackage is already written into the staging folder when the maps fail.
    def broken(*args, **kwargs):
        raise RuntimeError("a map cannot be rendered")

    monkeypatch.setattr(build_module, "render_maps", broken)
    before = file_hashes(previous)
    with pytest.raises(RuntimeError):
        build(out_dir=previous)
    assert file_hashes(previous) == before
    assert _siblings(previous) == []


def test_a_full_disk_is_one_clear_error_and_the_previous_build_stays(previous, monkeypatch):
    def full(frame, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(build_module, "write_csv", full)
    before = file_hashes(previous)
    with pytest.raises(ExportError, match=r"disk full \(No space left on device\)") as caught:
        build(out_dir=previous)
    assert "left as it was" in str(caught.value) and "\n" not in str(caught.value)
    assert file_hashes(previous) == before
    assert _siblings(previous) == []


@pytest.mark.parametrize("where", ["the layers folder", "an output's folder"])
def test_an_output_folder_whose_outputs_replace_the_sources_is_refused(
    layers_dir, monkeypatch, where
):
    # rail_times.csv is a layer and an output: --layers DIR --out DIR wrote over the source.
    def analysed(**_):
        raise AssertionError("analysed: the build went on")

    monkeypatch.setattr(build_module, "analyse", analysed)
    if where == "the layers folder":
        sources, out = layers_dir, layers_dir
    else:
        sources, out = layers_dir.parent / "maps" / "layers", layers_dir.parent
        shutil.copytree(layers_dir, sources)
    before = file_hashes(sources)
    with pytest.raises(OptionError, match=r"its outputs would replace the layer sources"):
        build(out_dir=out, layers_dir=sources)
    assert file_hashes(sources) == before


def test_an_output_folder_that_is_a_file_is_refused(tmp_path, quick):
    out = tmp_path / "out"
    out.write_text("not a folder")
    with pytest.raises(ExportError, match="is a file"):
        build(out_dir=out)


def test_an_output_folder_in_a_missing_folder_is_refused(tmp_path, quick):
    with pytest.raises(ExportError, match="does not exist"):
        build(out_dir=tmp_path / "missing" / "out")


def test_a_read_only_place_is_one_clear_error(quick):
    # /sys refuses new files even to root, as a read-only working directory would.
    with pytest.raises(ExportError, match="cannot write"):
        build(out_dir=Path("/sys/chengyu_out"))


def test_a_second_build_waits_for_the_lock_then_says_so(tmp_path):
    out = tmp_path / "out"
    with output_lock(out):
        started = time.monotonic()
        with (
            pytest.raises(ExportError, match="another build is writing"),
            output_lock(out, timeout_s=0.5),
        ):
            pass
        assert time.monotonic() - started >= 0.5
    with output_lock(out, timeout_s=0):  # released
        pass


def test_the_second_of_two_builds_runs_after_the_first(previous, analysis, monkeypatch):
    order = []

    def slow(**_):
        order.append("analyse")
        return analysis

    monkeypatch.setattr(build_module, "analyse", slow)
    monkeypatch.setattr(settings, "build_lock_timeout_s", 0.3)
    with output_lock(previous), pytest.raises(ExportError, match="another build"):
        build(out_dir=previous)
    assert order == []  # nothing was done while the other build held the folder


def test_the_cache_follows_the_output_folder(tmp_path, analysis, monkeypatch):
    seen = []

    def record(**options):
        seen.append(options["cache_dir"])
        return analysis

    monkeypatch.setattr(build_module, "analyse", record)
    monkeypatch.setattr(settings, "cache_dir", None)
    monkeypatch.setattr(settings, "out_dir", tmp_path / "default_out")
    assert cache_for() == tmp_path / "default_out" / "cache"
    build(out_dir=tmp_path / "elsewhere")
    assert seen == [tmp_path / "elsewhere" / "cache"]
    assert settings.cache_dir is None  # never written during the build


def test_leftovers_of_a_killed_build_are_cleaned_by_the_next(previous, quick):
    (previous.parent / ".out.staging").mkdir()
    (previous.parent / ".out.staging" / "lengths.csv").write_text("half")
    (previous / ".chengyu_corridors.abcd1234.gpkg").write_bytes(b"half")
    (previous / ".chengyu_corridors.abcd1234.gpkg-journal").write_bytes(b"half")
    (previous / "parquet" / ".airports.x_y1z2w3.parquet").write_bytes(b"half")
    build(out_dir=previous)
    assert _siblings(previous) == []
    assert not [p for p in previous.rglob(".*") if p.is_file()]


def test_a_build_moved_aside_but_not_replaced_is_put_back(previous, quick):
    before = file_hashes(previous)
    aside = previous.parent / ".out.previous"
    previous.rename(aside)
    # The next build finds the previous one back before it starts.
    from geo._io import recover

    recover(previous, staging=previous.parent / ".out.staging", previous=aside, outputs=set())
    assert file_hashes(previous) == before


_WRITERS = (
    "write_geopackage",
    "write_geoparquet",
    "write_csv",
    "render_maps",
    "write_index",
)


def _build_announcing_the_writes(out: Path, reached: Event, step: int) -> None:
    """Run in a forked child: a build that says when its ``step``-th output write starts."""
    announce_writes(build_module, _WRITERS, reached, step)
    build(out_dir=out)


def test_a_build_killed_at_any_moment_leaves_the_previous_build_whole(previous, quick):
    # Forked children share the parent's imports and its quick analysis: each starts at once.
    context = multiprocessing.get_context("fork")
    before = file_hashes(previous)
    inodes = _inodes(previous)
    # Killed as the GeoPackage, the GeoParquet, a CSV, the maps, the index page are written
    # (writes 1, 2, 3, 7 and 8), and a moment later.
    for step, delay in ((1, 0.5), (2, 0.1), (3, 0.0), (7, 0.3), (8, 0.0), (8, 0.5)):
        reached = context.Event()
        child = context.Process(target=_build_announcing_the_writes, args=(previous, reached, step))
        child.start()
        assert reached.wait(timeout=120), step
        time.sleep(delay)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        after = file_hashes(previous)
        files = _inodes(previous)
        # Whole as a set: every output is the previous build's file (same inode, same bytes)
        # or every output is a new file. Identical bytes alone would not tell (a CSV of the
        # same analysis is the same), so the inodes say which build a file belongs to.
        outputs = {k: v for k, v in files.items() if k.split("/")[0] in BUILD_OUTPUTS}
        old = {k: v for k, v in inodes.items() if k.split("/")[0] in BUILD_OUTPUTS}
        assert set(outputs) == set(old), step
        kept = [k for k in outputs if outputs[k] == old[k]]
        assert kept == [] or len(kept) == len(outputs), (step, delay, kept)
        assert all(after[k] == before[k] for k in kept), step
        assert after["cache/kept.json"] == before["cache/kept.json"]
        inodes = files
        before = after
    build(out_dir=previous)
    assert _siblings(previous) == []
    assert not [p for p in previous.rglob(".*") if p.is_file()]


def test_an_output_folder_holding_the_working_folder_or_the_sources_is_refused(
    tmp_path, monkeypatch, quick
):
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    for out in (Path("."), Path(".."), tmp_path):
        with pytest.raises(ExportError, match="a folder of their own"):
            build(out_dir=out)
    monkeypatch.setattr(settings, "layers_dir", tmp_path / "data" / "layers")
    with pytest.raises(ExportError, match="a folder of their own"):
        build(out_dir=tmp_path / "data")
    assert (work / "notes.txt").read_text() == "mine"


def test_maps_writes_the_maps_and_nothing_else(previous, quick):
    from geo.outputs.build import build_maps

    before = file_hashes(previous)
    (previous / "maps" / "overview.html").unlink()
    written = build_maps(out_dir=previous)
    after = file_hashes(previous)
    assert written and all(path.parent == previous / "maps" for path in written)
    assert (previous / "maps" / "overview.html").is_file()
    assert {k: v for k, v in after.items() if not k.startswith("maps/")} == {
        k: v for k, v in before.items() if not k.startswith("maps/")
    }
    assert _siblings(previous) == []


def test_maps_are_rendered_again_only_when_their_inputs_change(analysis, tmp_path, monkeypatch):
    from dataclasses import replace

    from geo.outputs.build import build_maps

    known = replace(analysis, key=["inputs of this test", str(tmp_path)])
    monkeypatch.setattr(build_module, "analyse", lambda **_: known)
    out = tmp_path / "out"
    first = {path.name: path.read_bytes() for path in build_maps(out_dir=out)}

    def render_again(*args, **kwargs):
        raise AssertionError("rendered again")

    rendering = build_module.render_maps
    monkeypatch.setattr(build_module, "render_maps", render_again)
    again = {path.name: path.read_bytes() for path in build_maps(out_dir=out)}
    assert again == first  # unchanged inputs: the pages are read back
    with pytest.raises(AssertionError, match="rendered again"):
        build_maps(out_dir=out, offline_maps=True)
    maps_dir = tmp_path / "maps"
    shutil.copytree(PROJECT_MAPS, maps_dir)
    overview = maps_dir / "overview.toml"
    overview.write_text(overview.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(settings, "maps_dir", maps_dir)
    with pytest.raises(AssertionError, match="rendered again"):
        build_maps(out_dir=out)  # an edited map definition
    monkeypatch.setattr(build_module, "render_maps", rendering)
    assert build_maps(out_dir=out)


def test_progress_reports_each_step_once_in_the_order_it_is_done(tmp_path):
    from geo.analysis.stage import ANALYSIS_STEPS
    from geo.outputs.build import BUILD_STEPS, steps_for, write_outputs

    assert steps_for(BUILD_OUTPUTS) == BUILD_STEPS
    heard: list[str] = []
    write_outputs(("coverage.csv", "lengths.csv"), out_dir=tmp_path / "out", on_step=heard.append)
    assert heard == [*ANALYSIS_STEPS, "csv"] == list(steps_for(("lengths.csv", "coverage.csv")))
    heard.clear()
    build(out_dir=tmp_path / "out", on_step=heard.append)
    assert heard == list(BUILD_STEPS)
