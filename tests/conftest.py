"""Shared fixtures: a writable copy of the layer sources, and one build for the export tests."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from collections.abc import Iterator, Sequence
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from geo import settings
from geo.outputs.build import BuildResult, build

PROJECT_LAYERS = Path(settings.layers_dir)

# The commands' tables are as wide as the terminal: the same width wherever the tests run (a
# terminal, CI, or a pytest-xdist worker, which has none), so that no cell wraps differently.
os.environ["COLUMNS"] = "200"

#: The slowest test modules, slowest first (seconds of the suite on this project's 2-core
#: machine, 2026-12-06: 77, 42, 39, 34, 26, 23, 23, 19, 17, 14, 13, 13). scripts/test.sh runs
#: xdist with ``--no-loadscope-reorder``, so modules are handed to the workers in collection
#: order: the long ones first, the short ones last to even out the two workers' ends (by
#: default xdist orders modules by their number of tests). Any order gives the same results.
SLOWEST_MODULES = (
    "test_webmap.py",
    "test_cli.py",
    "test_benchmarks.py",
    "test_scenario.py",
    "test_figure.py",
    "test_stages.py",
    "test_coverage.py",
    "test_build.py",
    "test_webmap_legible.py",
    "test_thin.py",
    "test_webmap_text.py",
    "test_population_file.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the slowest modules first, each module's tests in their own order."""
    rank = {name: position for position, name in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture
def layers_dir(tmp_path: Path) -> Path:
    """A copy of the project's layer sources that a test may break."""
    target = tmp_path / "layers"
    shutil.copytree(PROJECT_LAYERS, target)
    return target


def edit_field(path: Path, feature_id: str, field: str, value: str) -> None:
    """Set one field of one feature in a layer CSV (the id is the first column)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or [])
        rows = list(reader)
    matches = [row for row in rows if row[names[0]] == feature_id]
    assert matches, f"{feature_id} not in {path.name}"
    for row in matches:
        row[field] = value
    _write(path, names, rows)


def drop_column(path: Path, field: str) -> None:
    """Remove a column from a layer CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names = [name for name in reader.fieldnames or [] if name != field]
        rows = [{name: row[name] for name in names} for row in reader]
    _write(path, names, rows)


def duplicate_row(path: Path, feature_id: str) -> None:
    """Append a second copy of a feature to a layer CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or [])
        rows = list(reader)
    rows.append(next(row for row in rows if row[names[0]] == feature_id))
    _write(path, names, rows)


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by its path relative to it."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def announce_writes(module: object, names: Sequence[str], reached: Event, step: int) -> None:
    """Wrap ``module``'s writers so that ``reached`` is set as the ``step``-th write starts.

    For the kill tests: a forked child patches its writers, and the parent kills it then.
    """
    count = 0

    def announcing(write):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1
            if count == step:
                reached.set()
            return write(*args, **kwargs)

        return wrapper

    for name in names:
        setattr(module, name, announcing(getattr(module, name)))


def _write(path: Path, names: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="session", autouse=True)
def _cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the tests' derived-data cache out of the working tree.

    One folder per test worker, not one per run: a cache keeps only the newest entries of a
    stage, and a test that reads its entry back must not find it pruned by another worker.
    """
    settings.cache_dir = tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """One full build into a temporary folder, shared by the read-back tests."""
    return build(out_dir=tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def shared_chromium() -> Iterator[None]:
    """One Chromium for the browser tests of a module (each page still in a fresh context)."""
    from geo.outputs.browser import shared_browser

    with shared_browser():
        yield
