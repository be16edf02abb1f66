"""Benchmark: the population surface and the counting of people in the station catchments.

Part 1, the surface. Build the dasymetric population surface of ``geo.analysis.population``
(uncached),
then count it within the six dissolved catchments of all lines (today and after; 5, 10 and
30 km) two ways:

- indexed: build the dissolved catchments once, prepare each (GEOS indexes its edges), and test
  every point in one vectorised call per catchment, summed per county
  (``geo.analysis.coverage.covered_by``);
- naive: for each catchment, buffer each station, union the buffers, overlay the points with the
  union (``geopandas.overlay``) and sum.

Each runs in its own interpreter, so each reports its own time and peak memory (max RSS, and
Python/numpy allocations traced). The answers must agree to 1e-6; target: indexed >= 20x faster.
``--cells N`` counts N uniform cells spread inside the counties instead of the surface.

Part 2, scale (``--scale 1,10,30``, millions of points; off by default). One GeoParquet file
of the largest size is written once (row groups of 250,000; each million a copy of 1 M uniform
cells moved by up to 500 m), and each smaller size is its first row groups. Each size runs, in
a fresh interpreter, what ``chengyu coverage --population FILE`` does with the file: open it
(metadata and the streamed hash of its cache key), then read, validate, place in the counties
and count every row group in every catchment of every line, per county
(``geo.analysis._population_file.count_population``): once in process, and once on a local
Dask cluster of 2 worker processes (``--scheduler``), where each worker reads its own row
groups. Prints nanoseconds per point and the peak RSS (``VmHWM``) of every process, client and
workers, as ratios to the first size, and asserts that both count the same people (every
catchment and county, exactly).

Part 3, raster (``--raster 20,57``, millions of cells; off by default): the same for a
population GeoTIFF, read by windows of whole rows of ``settings.raster_window_cells`` cells.
Each size is a raster of its own, written once: square cells over the counties' bounds at the
resolution that gives that many cells (float32, tiled, deflate, nodata outside the counties),
so the sizes hold the same people in finer or coarser cells. It is synthetic, not WorldPop or
GHS-POP: each county's census 2020 urban people fall off from its representative point, its
rural people go to a random 30 % of its cells (seeded), so most cells hold nothing and a few
thousands (``_raster_file``). Each line says how many of its cells hold people.

``--quick`` (or ``CHENGYU_BENCH_QUICK=1``): 5,000 uniform cells (the naive overlay of 20,000
took 3 s), the scale part at 20,000 and 40,000 points in row groups of 10,000 and the raster
part at 20,000 and 40,000 cells; all in-process counts in one interpreter, and one 2-worker
cluster for both parts' first sizes. It checks the script still runs, it measures nothing.

Usage: ``python scripts/bench_coverage.py [--cells N] [--scale M,M,..] [--raster M,M,..] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKER = """
import json, resource, sys, time, tracemalloc
import geopandas as gpd, numpy as np
from geo.analysis.coverage import ALL_LINES, catchments, covered_by
from geo.sources.layers import load_layers

method, cells_path = sys.argv[1], sys.argv[2]
layers = load_layers(["rail_stations", "admin_areas"])
stations = layers["rail_stations"]
loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
start = time.perf_counter()
if method == "build":
    from geo.analysis.population import build_surface
    cells = build_surface(layers["admin_areas"])
    cells.to_parquet(cells_path)
    sums = [float(cells["population"].sum())]
else:
    cells = gpd.read_parquet(cells_path)
    loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.reset_peak()
    start = time.perf_counter()
area_seconds = 0.0
if method == "indexed":
    # Only the six catchments of all lines, as the naive way builds them.
    areas = catchments(stations.assign(line_id=ALL_LINES))
    areas = areas[areas["line_id"] == ALL_LINES].drop_duplicates(["scenario", "radius_km"])
    area_seconds = time.perf_counter() - start
    sums = covered_by(cells, areas, by="adcode").sum(axis=1).tolist()
elif method == "naive":
    from geo.analysis.coverage import SCENARIOS
    from geo import settings
    crs = stations.estimate_utm_crs()
    projected_cells = cells.to_crs(crs)
    projected = stations.to_crs(crs)
    sums = []
    for scenario, statuses in SCENARIOS.items():
        for radius in settings.coverage_radii_km:
            began = time.perf_counter()
            chosen = projected[projected["status"].isin(statuses)].drop_duplicates("station_id")
            buffers = chosen.geometry.buffer(radius * 1000, quad_segs=16)
            union = gpd.GeoDataFrame(geometry=[buffers.union_all()], crs=crs)
            area_seconds += time.perf_counter() - began
            inside = gpd.overlay(projected_cells, union, how="intersection", keep_geom_type=True)
            sums.append(float(inside["population"].sum()))
seconds = time.perf_counter() - start
traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "area_seconds": area_seconds, "peak_mb": peak_mb,
                  "loaded_mb": loaded_mb, "traced_mb": traced_mb, "sums": sums,
                  "cells": len(cells)}))
"""


COUNT = """
import hashlib, json, logging, resource, sys, time
from pathlib import Path

def peak_mb():
    # VmHWM: this process's own peak. ru_maxrss of a child starts at its parent's RSS at the
    # fork on Linux, and the parent holds the generated points.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from geo.analysis._population_file import count_population, open_population
from geo.analysis.coverage import catchments
from geo.sources.layers import load_layers

# A mode, then one file (GeoParquet or GeoTIFF: open_population tells them apart) or, in a
# quick run, several counted one after another in this interpreter and on one cluster.
mode, paths = sys.argv[1], [Path(argument) for argument in sys.argv[2:]]
layers = load_layers(["rail_stations", "admin_areas"])
areas = catchments(layers["rail_stations"])
admin = layers["admin_areas"]
counties = admin[admin["level"] == "county"]

def run(path, scheduler=None):
    start = time.perf_counter()
    source = open_population(path)
    opened = time.perf_counter() - start
    counted, total, _ = count_population(source, areas, counties, scheduler=scheduler)
    seconds = time.perf_counter() - start
    table = counted.to_numpy()
    return {"features": source.features, "partitions": len(source.partitions),
            "open_seconds": opened, "seconds": seconds, "people": float(table.sum()),
            "total": total, "digest": hashlib.sha1(table.tobytes()).hexdigest()}

def report(figures, workers=(), workers_before=()):
    print(json.dumps({**figures, "before_mb": before_mb, "peak_mb": peak_mb(),
                      "workers_mb": list(workers), "workers_before_mb": list(workers_before)}),
          flush=True)

before_mb = peak_mb()
if mode == "process":
    for path in paths:
        report(run(path))
else:
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        # Each worker imports the package once, outside the timing.
        client.run(lambda: __import__("geo.analysis._population_file"))
        workers_before = list(client.run(peak_mb).values())
        before_mb = peak_mb()
        for path in paths:
            figures = run(path, cluster.scheduler_address)
            report(figures, client.run(peak_mb).values(), workers_before)
"""


def _run(method: str, cells: Path) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-c", WORKER, method, str(cells)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _report(name: str, run: dict[str, object]) -> None:
    peak, loaded = float(run["peak_mb"]), float(run["loaded_mb"])  # type: ignore[arg-type]
    print(
        f"{name}: {float(run['seconds']):.2f} s; peak RSS {peak:.0f} MB "  # type: ignore[arg-type]
        f"({peak - loaded:+.0f} MB over the {loaded:.0f} MB before the step); "
        f"Python/numpy allocations peak at {float(run['traced_mb']):.0f} MB"  # type: ignore[arg-type]
    )


def _surface_part(options: argparse.Namespace, folder: Path) -> bool:
    path = folder / "cells.parquet"
    if options.cells:
        from geo.analysis.coverage import population_cells
        from geo.sources.layers import load_layers

        admin = load_layers(["admin_areas"])["admin_areas"]
        started = time.perf_counter()
        population_cells(admin, total_cells=options.cells).to_parquet(path)
        print(f"{options.cells:,} uniform cells built in {time.perf_counter() - started:.1f} s")
    else:
        built = _run("build", path)
        _report(f"population surface built ({int(built['cells']):,} points)", built)  # type: ignore[call-overload]
    indexed = _run("indexed", path)
    naive = _run("naive", path)
    fast_sums, slow_sums = indexed["sums"], naive["sums"]
    assert isinstance(fast_sums, list) and isinstance(slow_sums, list)
    worst = max(abs(a - b) / max(abs(b), 1.0) for a, b in zip(fast_sums, slow_sums, strict=True))
    _report("indexed count (6 catchments, per county)", indexed)
    _report("naive overlay (6 catchments)", naive)
    time_ratio = float(naive["seconds"]) / float(indexed["seconds"])  # type: ignore[arg-type]
    counting = {
        name: float(run["seconds"]) - float(run["area_seconds"])  # type: ignore[arg-type]
        for name, run in (("indexed", indexed), ("naive", naive))
    }
    print(
        f"counting alone (catchments built the same way excluded): indexed "
        f"{counting['indexed']:.2f} s, naive {counting['naive']:.2f} s, "
        f"{counting['naive'] / counting['indexed']:.0f}x"
    )
    memory_ratio = float(naive["traced_mb"]) / max(float(indexed["traced_mb"]), 1e-9)  # type: ignore[arg-type]
    print(f"speed-up: {time_ratio:.1f}x (target >= 20x); allocations: {memory_ratio:.1f}x fewer")
    print(f"largest relative difference between the answers: {worst:.1e} (must be <= 1e-6)")
    return worst <= 1e-6


@dataclass(frozen=True)
class _Sizes:
    """One file per size, counted by ``COUNT``: the GeoParquet points or the raster's cells."""

    title: str
    unit: str
    partition: str
    files: tuple[Path, ...]
    #: What each file holds beyond its features (the raster's cells with people), or "".
    notes: tuple[str, ...]


def _scale_file(path: Path, points: int, per_million: int, group: int) -> None:
    """Write ``points`` cells in row groups of ``group``: jittered copies of one uniform spread."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    from geo.analysis.coverage import population_cells
    from geo.sources.layers import load_layers

    admin = load_layers(["admin_areas"])["admin_areas"]
    base_path = path.with_name("scale-base.parquet")
    population_cells(admin, total_cells=per_million).to_parquet(base_path)
    base = pq.read_table(base_path)
    geometry = shapely.from_wkb(base.column("geometry").to_numpy(zero_copy_only=False))
    xs, ys = shapely.get_x(geometry), shapely.get_y(geometry)
    generator = np.random.default_rng(1)
    with pq.ParquetWriter(path, base.schema) as writer:
        written = 0
        while written < points:
            size = min(base.num_rows, points - written)
            moved = shapely.to_wkb(
                shapely.points(
                    xs[:size] + generator.uniform(-500, 500, size),
                    ys[:size] + generator.uniform(-500, 500, size),
                )
            )
            column = base.schema.get_field_index("geometry")
            table = base.slice(0, size).set_column(
                column,
                base.schema.field(column),
                pa.array(moved, type=base.schema.field(column).type),
            )
            writer.write_table(table, row_group_size=group)
            written += size


def _first_rows(path: Path, points: int, group: int) -> Path:
    """The first ``points`` rows of ``path`` as a file of their own (``path`` if all)."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    if points >= source.metadata.num_rows:
        return path
    target = path.with_name(f"first-{points}.parquet")
    with pq.ParquetWriter(target, source.schema_arrow) as writer:
        left = points
        for index in range(source.num_row_groups):
            table = source.read_row_group(index).slice(0, left)
            writer.write_table(table, row_group_size=group)
            left -= table.num_rows
            if not left:
                break
    return target


def _parquet_sizes(points: list[int], folder: Path, *, per_million: int, group: int) -> _Sizes:
    """The GeoParquet of the largest size, written once, and its first row groups."""
    path = folder / "scale.parquet"
    started = time.perf_counter()
    _scale_file(path, max(points), per_million, group)
    print(f"{max(points):,} points written in {time.perf_counter() - started:.0f} s")
    files = tuple(_first_rows(path, size, group) for size in points)
    return _Sizes("GeoParquet", "point", "row groups", files, ("",) * len(files))


def _raster_file(path: Path, cells: int, counties: Any, *, seed: int = 23) -> tuple[int, int]:
    """Write a synthetic population raster of about ``cells`` cells; return its width and how
    many of its cells hold people.

    Not WorldPop nor GHS-POP, and no one's estimate of where people live: square cells in
    degrees over the bounds of ``counties`` (the admin areas' county rows; EPSG:4326, float32,
    tiles of 256, deflate, nodata ``-99999`` outside the counties, as WorldPop marks them), with
    each county's census 2020 people spread in a made-up shape. Its urban people fall off
    exponentially from the county's representative point (over ``1.5 km x sqrt(urban /
    100,000)``; cells under half a person are left at 0); its rural people go to a random 30 %
    of its cells, lognormal around their share. So most cells hold nothing (nodata or 0) and a
    few hold thousands, as in a real grid, and the totals are near the census (the
    normalisations are analytic). The random numbers are seeded per window, so the file is the
    same on every run.
    """
    import math

    import numpy as np
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    west, south, east, north = (float(bound) for bound in counties.total_bounds)
    size = math.sqrt((east - west) * (north - south) / cells)
    width, height = math.ceil((east - west) / size), math.ceil((north - south) / size)
    transform = from_origin(west, north, size, size)
    centres = counties.geometry.representative_point()
    centre_x = np.r_[0.0, centres.x.to_numpy()]  # code 0: outside every county
    centre_y = np.r_[0.0, centres.y.to_numpy()]
    urban = np.r_[0.0, counties["urban_2020"].to_numpy(dtype=float)]
    rural = np.r_[0.0, counties["rural_2020"].to_numpy(dtype=float)]
    reach_km = 1.5 * np.sqrt(np.maximum(urban, 1.0) / 100_000)
    km2 = np.r_[1.0, counties.to_crs(counties.estimate_utm_crs()).area.to_numpy() / 1e6]
    occupied = 0.3
    shapes = list(zip(counties.geometry, range(1, len(counties) + 1), strict=True))
    profile = {
        "driver": "GTiff", "dtype": "float32", "count": 1, "width": width, "height": height,
        "crs": "EPSG:4326", "transform": transform, "nodata": -99999.0, "tiled": True,
        "blockxsize": 256, "blockysize": 256, "compress": "deflate", "predictor": 3,
        "BIGTIFF": "IF_SAFER",
    }  # fmt: skip
    step, with_people = 512, 0
    with rasterio.open(path, "w", **profile) as raster:
        for block, first in enumerate(range(0, height, step)):
            rows = min(step, height - first)
            window = rasterio.windows.Window(0, first, width, rows)
            codes = rasterize(
                shapes,
                out_shape=(rows, width),
                transform=rasterio.windows.transform(window, transform),
                fill=0,
                dtype="int16",
            )
            ys = north - (first + np.arange(rows)[:, None] + 0.5) * size
            xs = west + (np.arange(width)[None, :] + 0.5) * size
            cos = np.cos(np.radians(ys))
            cell_km2 = (size * 111.32 * cos) * (size * 110.57)
            distance = np.hypot(
                (xs - centre_x[codes]) * 111.32 * cos, (ys - centre_y[codes]) * 110.57
            )
            reach = reach_km[codes]
            people = urban[codes] * np.exp(-distance / reach) / (2 * np.pi * reach**2) * cell_km2
            people[people < 0.5] = 0.0
            generator = np.random.default_rng([seed, block])
            lucky = generator.random((rows, width)) < occupied
            share = rural[codes] * cell_km2 / km2[codes] / occupied
            people += np.where(lucky, share * generator.lognormal(-0.5, 1.0, (rows, width)), 0.0)
            people[codes == 0] = profile["nodata"]
            values = people.astype("float32")
            with_people += int(np.count_nonzero(values > 0))
            raster.write(values, 1, window=window)
    return width, with_people


def _raster_sizes(cells: list[int], folder: Path) -> _Sizes:
    """One raster per size, each of the whole region at the resolution that gives its cells.

    Each size holds the same people in the same shape, only in finer or coarser cells, so the
    sizes differ in cells alone (a cut of one raster's first rows would also differ in how
    crowded its part of the region is, and in how many catchments cover each cell).
    """
    from geo.sources.layers import load_layers

    admin = load_layers(["admin_areas"])["admin_areas"]
    counties = admin[admin["level"] == "county"].reset_index(drop=True)
    paths, notes = [], []
    for size in cells:
        path = folder / f"population-{size}.tif"
        started = time.perf_counter()
        width, with_people = _raster_file(path, size, counties)
        print(
            f"raster of {size:,} cells ({width:,} columns) written in "
            f"{time.perf_counter() - started:.0f} s: {path.stat().st_size / 1e6:,.1f} MB"
        )
        paths.append(path)
        notes.append(f"{with_people:,} with people")
    return _Sizes("raster", "cell", "windows", tuple(paths), tuple(notes))


def _counted(mode: str, paths: list[Path]) -> list[dict[str, Any]]:
    """Run ``COUNT`` on ``paths`` in a fresh interpreter: one line of figures per file."""
    output = subprocess.run(
        [sys.executable, "-c", COUNT, mode, *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _count_sizes(parts: list[_Sizes], *, quick: bool = False) -> None:
    """Time per feature and peak RSS of every process, in process and on 2 workers, per size.

    Each size of each part runs alone in a fresh interpreter (on its own cluster). Quick: every
    in-process count in one interpreter, and the cluster once, at each part's first size, all
    in one interpreter (starting interpreters and clusters is most of a quick run).
    """
    jobs = [
        (part, index, mode)
        for part in parts
        for index in range(len(part.files))
        for mode in (("process",) if quick and index else ("process", "dask"))
    ]
    batches = (
        [[job for job in jobs if job[2] == mode] for mode in ("process", "dask")]
        if quick
        else [[job] for job in jobs]
    )
    runs: dict[tuple[str, int, str], dict[str, Any]] = {}
    for batch in batches:
        mode = batch[0][2]
        for (part, index, _), run in zip(
            batch, _counted(mode, [part.files[index] for part, index, _ in batch]), strict=True
        ):
            runs[part.title, index, mode] = run
            _print_run(part, index, mode, run, runs[part.title, 0, mode])
    for part in parts:
        _print_ratios(part, runs)


def _figures(run: dict[str, Any]) -> dict[str, float]:
    return {
        "ns": run["seconds"] / run["features"] * 1e9,
        "client": run["peak_mb"],
        "workers": max(run["workers_mb"], default=0.0),
    }


def _print_run(
    part: _Sizes, index: int, mode: str, run: dict[str, Any], first: dict[str, Any]
) -> None:
    figures, base = _figures(run), _figures(first)
    workers = (
        f"; workers' peak RSS {', '.join(f'{mb:,.0f}' for mb in run['workers_mb'])} MB "
        f"({figures['workers'] / base['workers']:.2f}x; "
        f"{max(run['workers_before_mb']):,.0f} MB once imported)"
        if run["workers_mb"]
        else ""
    )
    note = f", {part.notes[index]}" if part.notes[index] else ""
    print(
        f"{part.title} {'in process' if mode == 'process' else 'on 2 workers'}, "
        f"{run['features']:>10,} {part.unit}s{note} ({run['partitions']} {part.partition}): "
        f"{run['seconds']:6.1f} s (opening {run['open_seconds']:.1f} s), "
        f"{figures['ns']:5.0f} ns/{part.unit} ({figures['ns'] / base['ns']:.2f}x); client peak "
        f"RSS {run['peak_mb']:,.0f} MB ({figures['client'] / base['client']:.2f}x; "
        f"{run['before_mb']:,.0f} MB before reading){workers}; {run['people']:,.0f} people "
        f"summed over every catchment, one person counted once per catchment that holds them "
        f"(the file holds {run['total']:,.0f})"
    )


def _print_ratios(part: _Sizes, runs: dict[tuple[str, int, str], dict[str, Any]]) -> None:
    """Ratios of the largest size to the first; asserts in process and Dask counted the same."""
    both = [index for index in range(len(part.files)) if (part.title, index, "dask") in runs]
    for index in both:
        here, there = runs[part.title, index, "process"], runs[part.title, index, "dask"]
        assert (here["digest"], here["total"]) == (there["digest"], there["total"]), (
            f"{part.title}, {here['features']:,} {part.unit}s: in process {here['people']!r}, "
            f"on 2 workers {there['people']!r} people"
        )
    first = {mode: _figures(runs[part.title, 0, mode]) for mode in ("process", "dask")}
    last = {
        "process": _figures(runs[part.title, len(part.files) - 1, "process"]),
        "dask": _figures(runs[part.title, both[-1], "dask"]),
    }
    sizes = [runs[part.title, index, "process"]["features"] for index in (len(part.files) - 1, 0)]
    print(
        f"{part.title}, every count the same in process and on 2 workers ({len(both)} sizes); "
        f"ratios {sizes[0]:,} / {sizes[1]:,} {part.unit}s: time per {part.unit} "
        f"{last['process']['ns'] / first['process']['ns']:.2f}x in process, "
        f"{last['dask']['ns'] / first['dask']['ns']:.2f}x on 2 workers; peak RSS of the client "
        f"{last['process']['client'] / first['process']['client']:.2f}x in process, "
        f"{last['dask']['client'] / first['dask']['client']:.2f}x with workers, of the workers "
        f"{last['dask']['workers'] / first['dask']['workers']:.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=0, help="uniform cells instead of the surface")
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("CHENGYU_BENCH_QUICK"))
    )
    parser.add_argument(
        "--scale",
        default="",
        help="sizes in millions of GeoParquet points, e.g. 1,10,30 (default: none)",
    )
    parser.add_argument(
        "--raster",
        default="",
        help="sizes in millions of raster cells, e.g. 20,57 (default: none)",
    )
    options = parser.parse_args()
    unit, group = 1_000_000, 250_000
    points, cells = (
        [round(float(size) * unit) for size in sizes.split(",") if size.strip()]
        for sizes in (options.scale, options.raster)
    )
    if options.quick:
        options.cells = options.cells or 5_000
        unit, group = 20_000, 10_000
        points = cells = [20_000, 40_000]
    with tempfile.TemporaryDirectory() as folder:
        agreed = _surface_part(options, Path(folder))
        parts = []
        if points:
            parts.append(_parquet_sizes(points, Path(folder), per_million=unit, group=group))
        if cells:
            parts.append(_raster_sizes(cells, Path(folder)))
        if parts:
            _count_sizes(parts, quick=options.quick)
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
