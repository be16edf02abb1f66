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

Part 2, scale (``--scale 1,2,5,10``, millions of points; off by default). One GeoParquet file
of the largest size is written once (row groups of 250,000; each million a copy of 1 M uniform
cells moved by up to 500 m), and each smaller size is its first row groups. Each size runs, in
a fresh interpreter, what ``chengyu coverage --population FILE`` does with the file: open it
(metadata and the streamed hash of its cache key), then read, validate, place in the counties
and count every row group in every catchment of every line, per county
(``geo.analysis._population_file.count_population``): once in process, and once on a local
Dask cluster of 2 worker processes (``--scheduler``), where each worker reads its own row
groups. Prints nanoseconds per point and the peak RSS (``VmHWM``) of every process, client and
workers, as ratios to the first size.

``--quick`` (or ``CHENGYU_BENCH_QUICK=1``): 20,000 uniform cells, and the scale part at 20,000
and 40,000 points in row groups of 10,000 (on the workers at 20,000 only); it checks the
script still runs, it measures nothing.

Usage: ``python scripts/bench_coverage.py [--cells N] [--scale M,M,..] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


SCALE = """
import json, logging, resource, sys, time
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

path, mode = Path(sys.argv[1]), sys.argv[2]
layers = load_layers(["rail_stations", "admin_areas"])
areas = catchments(layers["rail_stations"])
admin = layers["admin_areas"]
counties = admin[admin["level"] == "county"]

def run(scheduler=None):
    start = time.perf_counter()
    source = open_population(path)
    opened = time.perf_counter() - start
    counted, total, _ = count_population(source, areas, counties, scheduler=scheduler)
    return source, opened, time.perf_counter() - start, float(counted.to_numpy().sum())

workers, workers_before = [], []
before_mb = peak_mb()
if mode == "process":
    source, opened, seconds, people = run()
else:
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        # Each worker imports the package once, outside the timing.
        client.run(lambda: __import__("geo.analysis._population_file"))
        workers_before = list(client.run(peak_mb).values())
        before_mb = peak_mb()
        source, opened, seconds, people = run(cluster.scheduler_address)
        workers = list(client.run(peak_mb).values())
print(json.dumps({"points": source.features, "partitions": len(source.partitions),
                  "open_seconds": opened, "seconds": seconds, "before_mb": before_mb,
                  "peak_mb": peak_mb(), "workers_mb": workers,
                  "workers_before_mb": workers_before, "people": people}))
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


def _scale_part(
    sizes: list[int], folder: Path, *, unit: int, group: int, quick: bool = False
) -> None:
    """Time per point and peak RSS of every process, in process and on 2 workers, per size."""
    path = folder / "scale.parquet"
    started = time.perf_counter()
    _scale_file(path, max(sizes) * unit, unit, group)
    print(f"{max(sizes) * unit:,} points written in {time.perf_counter() - started:.0f} s")
    first: dict[str, dict[str, float]] = {}
    last: dict[str, dict[str, float]] = {}
    for size in sizes:
        points = size * unit
        cut = _first_rows(path, points, group)
        # Quick: the cluster once, at the first size (starting it is most of a quick run).
        for mode in ("process",) if quick and size != sizes[0] else ("process", "dask"):
            output = subprocess.run(
                [sys.executable, "-c", SCALE, str(cut), mode],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            run = json.loads(output.strip().splitlines()[-1])
            figures = {
                "ns": run["seconds"] / points * 1e9,
                "client": run["peak_mb"],
                "workers": max(run["workers_mb"], default=0.0),
            }
            base = first.setdefault(mode, figures)
            last[mode] = figures
            workers = (
                f"; workers' peak RSS {', '.join(f'{mb:,.0f}' for mb in run['workers_mb'])} MB "
                f"({figures['workers'] / base['workers']:.2f}x; "
                f"{max(run['workers_before_mb']):,.0f} MB once imported)"
                if run["workers_mb"]
                else ""
            )
            print(
                f"{'in process' if mode == 'process' else 'on 2 workers'}, {points:>10,} points "
                f"({run['partitions']} row groups): {run['seconds']:6.1f} s "
                f"(opening {run['open_seconds']:.1f} s), {figures['ns']:5.0f} ns/point "
                f"({figures['ns'] / base['ns']:.2f}x); client peak RSS {run['peak_mb']:,.0f} MB "
                f"({figures['client'] / base['client']:.2f}x; {run['before_mb']:,.0f} MB before "
                f"reading){workers}; {run['people']:,.0f} people counted"
            )
    print(
        f"ratios {max(sizes) * unit:,} / {min(sizes) * unit:,} points: time per point "
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
        help="in-process sizes in millions of points, e.g. 1,2,5,10 (default: none)",
    )
    options = parser.parse_args()
    unit, group = 1_000_000, 250_000
    sizes = [int(size) for size in options.scale.split(",") if size.strip()]
    if options.quick:
        options.cells = options.cells or 20_000
        sizes, unit, group = [1, 2], 20_000, 10_000
    with tempfile.TemporaryDirectory() as folder:
        agreed = _surface_part(options, Path(folder))
        if sizes:
            _scale_part(sizes, Path(folder), unit=unit, group=group, quick=options.quick)
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
