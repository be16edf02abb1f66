"""Benchmark: counting people in the station catchments on a grid of 1 M weighted cells.

The cells are spread inside each county with its 2020 census population. Two ways to count what
lies inside the dissolved catchments (all lines; today and after; 5, 10 and 30 km):

- indexed: build the dissolved catchments once, prepare each (GEOS indexes its edges), and test
  every cell in one vectorised call per catchment (``geo.coverage.covered_weights``);
- naive: for each catchment, buffer each station, union the buffers, overlay the cells with the
  union (``geopandas.overlay``) and sum.

Each runs in its own interpreter, so each reports its own peak memory (max RSS). The answers
must agree to 1e-6. Target: indexed ≥ 20× faster.

Usage: ``python scripts/bench_coverage.py [--cells N]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = """
import json, resource, sys, time, tracemalloc
import geopandas as gpd, numpy as np
from geo.coverage import ALL_LINES, catchments, covered_weights
from geo.layers import load_layers

method, cells_path = sys.argv[1], sys.argv[2]
layers = load_layers(["rail_stations"])
cells = gpd.read_parquet(cells_path)
stations = layers["rail_stations"]
loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
start = time.perf_counter()
if method == "indexed":
    areas = catchments(stations)
    areas = areas[areas["line_id"] == ALL_LINES]
    sums = covered_weights(cells, areas).tolist()
else:
    from geo.coverage import SCENARIOS
    from geo import settings
    crs = stations.estimate_utm_crs()
    projected_cells = cells.to_crs(crs)
    projected = stations.to_crs(crs)
    sums = []
    for scenario, statuses in SCENARIOS.items():
        for radius in settings.coverage_radii_km:
            chosen = projected[projected["status"].isin(statuses)].drop_duplicates("station_id")
            buffers = chosen.geometry.buffer(radius * 1000, quad_segs=16)
            union = gpd.GeoDataFrame(geometry=[buffers.union_all()], crs=crs)
            inside = gpd.overlay(projected_cells, union, how="intersection", keep_geom_type=True)
            sums.append(float(inside["population"].sum()))
seconds = time.perf_counter() - start
traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "loaded_mb": loaded_mb,
                  "traced_mb": traced_mb, "sums": sums}))
"""


def _run(method: str, cells: Path) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-c", WORKER, method, str(cells)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=1_000_000)
    options = parser.parse_args()
    from geo.coverage import population_cells
    from geo.layers import load_layers

    admin = load_layers(["admin_areas"])["admin_areas"]
    started = time.perf_counter()
    cells = population_cells(admin, total_cells=options.cells)
    print(f"{len(cells):,} population cells built in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cells.parquet"
        cells.to_parquet(path)
        indexed = _run("indexed", path)
        naive = _run("naive", path)
    fast_sums, slow_sums = indexed["sums"], naive["sums"]
    assert isinstance(fast_sums, list) and isinstance(slow_sums, list)
    worst = max(abs(a - b) / max(abs(b), 1.0) for a, b in zip(fast_sums, slow_sums, strict=True))
    for name, run in (("indexed", indexed), ("naive", naive)):
        peak, loaded = float(run["peak_mb"]), float(run["loaded_mb"])  # type: ignore[arg-type]
        print(
            f"{name}: {float(run['seconds']):.2f} s; peak RSS {peak:.0f} MB "  # type: ignore[arg-type]
            f"({peak - loaded:+.0f} MB over the {loaded:.0f} MB with the cells loaded); "
            f"Python/numpy allocations peak at {float(run['traced_mb']):.0f} MB"  # type: ignore[arg-type]
        )
    ratio = float(naive["seconds"]) / float(indexed["seconds"])  # type: ignore[arg-type]
    print(f"speed-up: {ratio:.1f}x (target >= 20x)")
    print(f"largest relative difference between the answers: {worst:.1e} (must be <= 1e-6)")
    return 0 if worst <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
