"""Benchmark: the station drive areas (road graph walk and dissolve), graph already loaded.

Loads the layers and scgraph_data's highway graph once, then times ``drive_areas`` with an
empty cache ``--repeat`` times and prints the best, so the graph's import is not counted.
``--save FILE`` writes the areas (WKB hex and figures) to compare two versions of the code.

Usage: ``python scripts/bench_access.py [--repeat N] [--save FILE]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from geo.analysis.road_access import drive_areas
from geo.networks.freight import highway_graph
from geo.sources.layers import load_layers


def main() -> None:
    """Time ``drive_areas`` on the embedded stations and print the best of the runs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", type=Path)
    options = parser.parse_args()
    layers = load_layers(["rail_stations", "admin_areas"])
    counties = layers["admin_areas"].query("level == 'county'")
    start = time.perf_counter()
    highway_graph()
    print(f"highway graph import: {time.perf_counter() - start:.2f} s")
    times = []
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            areas = drive_areas(layers["rail_stations"], counties=counties, cache_dir=Path(cache))
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
