"""Benchmark: the station drive areas (road graph walk and dissolve), graph already loaded.

Loads the layers and scgraph_data's highway graph once, then times ``drive_areas`` with an
empty cache ``--repeat`` times and prints the best, so the graph's import is not counted.
People are counted in the areas by areal weighting of the counties (``population`` given the
county polygons). ``--save FILE`` writes the areas (figures) to compare two versions of the
code. ``--quick`` (or ``CHENGYU_BENCH_QUICK=1``) runs once with five stations and the shortest
limit: it checks the script still runs, it measures nothing.

Usage: ``python scripts/bench_access.py [--repeat N] [--save FILE] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from geo import settings
from geo.analysis.road_access import drive_areas
from geo.networks.freight import highway_graph
from geo.sources.layers import load_layers

#: Set (to anything but empty) for the smallest run of every benchmark, as CI does.
QUICK = "CHENGYU_BENCH_QUICK"


def main() -> None:
    """Time ``drive_areas`` on the embedded stations and print the best of the runs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get(QUICK)))
    options = parser.parse_args()
    layers = load_layers(["rail_stations", "admin_areas"])
    counties = layers["admin_areas"].query("level == 'county'")
    stations, minutes = layers["rail_stations"], list(settings.access_minutes)
    if options.quick:
        options.repeat = 1
        stations = stations[stations["station_id"].isin(stations["station_id"].unique()[:5])]
        minutes = minutes[:1]
    start = time.perf_counter()
    highway_graph()
    print(f"highway graph import: {time.perf_counter() - start:.2f} s")
    times = []
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            areas = drive_areas(
                stations, minutes=minutes, population=counties, cache_dir=Path(cache)
            )
            times.append(time.perf_counter() - start)
    print(f"drive areas, empty cache: best {min(times):.2f} s of {options.repeat}")
    if options.save:
        rows = {
            row.id: [row.area_km2, int(row.people), row.stations, row.off_road]
            for row in areas.itertuples()
        }
        options.save.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
