"""Every benchmark of scripts/ runs at its smallest size (``--quick``), so none can rot.

They measure nothing here: each must run to the end and print its figures. The cache the
session's build filled is handed to them, so no benchmark builds the analysis cold again.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import pytest

from geo import settings

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted(path.name for path in (ROOT / "scripts").glob("bench_*.py"))
#: What each prints last when it ran through.
LAST_WORDS = {
    "bench_access.py": "drive areas, empty cache",
    "bench_build.py": "warm build (unchanged inputs)",
    "bench_commands.py": "chengyu coverage",
    "bench_coverage.py": "cells: time per cell",
    "bench_maps.py": "x bare",
    "bench_reach.py": "ratio reach / Dijkstra",
    "bench_routing.py": "ratio cold/cached",
    "bench_scenario.py": "scenario with its outputs",
}


def test_every_benchmark_has_its_check():
    assert sorted(LAST_WORDS) == BENCHMARKS


@pytest.mark.parametrize("script", BENCHMARKS)
def test_the_benchmark_runs_quick(script, built, tmp_path, monkeypatch, capsys):
    if script == "bench_maps.py":
        from geo.outputs.browser import chromium_path

        try:
            chromium_path()
        except Exception as error:  # no browser here: the browser tests skip as well
            pytest.skip(f"no Chromium: {error}")
    cache = str(settings.cache_dir)  # filled by the session's build
    arguments = ["--cache", cache] if script in ("bench_build.py", "bench_commands.py") else []
    # In this interpreter, whose imports are done (each script as its own interpreter spent
    # about 1.5 s importing them); the fresh interpreters a script starts itself inherit the
    # environment set here.
    monkeypatch.setenv("CHENGYU_BENCH_QUICK", "1")
    monkeypatch.setenv("CHENGYU_CACHE", cache)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setattr(sys, "argv", [str(ROOT / "scripts" / script), *arguments])
    monkeypatch.chdir(tmp_path)  # a benchmark that wrote beside itself would write here
    try:
        runpy.run_path(str(ROOT / "scripts" / script), run_name="__main__")
    except SystemExit as stopped:
        assert stopped.code in (None, 0), capsys.readouterr().err[-3000:]
    printed = capsys.readouterr().out
    assert LAST_WORDS[script] in printed.strip().splitlines()[-1], printed
