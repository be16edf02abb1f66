"""Benchmark: ``chengyu reach`` at 5,000 stations against networkx's Dijkstra on the same graphs.

The region's lines are copied side by side (each copy shifted by half a degree, with its own
station and line ids; trains run through only on the first copy) until the network holds
5,000 stations. Then, in one process:

- the rail graphs of both scenarios are built once and kept as a cached stage
  (``geo._stages.cached_stage``, as ``geo.networks.rail_network.rail_graphs`` keeps them);
- reach: the graphs read back from the cache, then ``reach_table`` for the default origins and
  time limits (stations and counties reached, per origin, scenario and limit) — what
  ``chengyu reach`` does once its layers are loaded;
- the baseline: the graphs read back from the cache, then one plain
  ``networkx.single_source_dijkstra`` per origin and scenario, cut off at the longest limit.

Prints each time (median of ``--repeat``) and the ratio reach / baseline (target <= 2x).

``--quick`` (or ``CHENGYU_BENCH_QUICK=1``): two copies of the lines, one repeat; it checks the
script still runs, it measures nothing.

Usage: ``python scripts/bench_reach.py [--stations N] [--repeat N] [--quick]``
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd


def copied_network(layers: dict[str, gpd.GeoDataFrame], copies: int) -> dict[str, gpd.GeoDataFrame]:
    """The rail layers copied ``copies`` times, each copy half a degree from the last."""
    stations, lines = layers["rail_stations"], layers["rail_lines"]
    station_frames, line_frames = [], []
    for copy in range(copies):
        dx, dy = (copy % 8) * 0.5, (copy // 8) * 0.5
        suffix = "" if copy == 0 else f"~{copy}"
        moved = stations.copy()
        moved["geometry"] = stations.geometry.translate(dx, dy)
        moved["station_id"] = stations["station_id"] + suffix
        moved["line_id"] = stations["line_id"] + suffix
        moved["name_zh"] = stations["name_zh"] + suffix
        moved["name_en"] = stations["name_en"] + suffix
        station_frames.append(moved)
        renamed = lines.copy()
        renamed["line_id"] = lines["line_id"] + suffix
        renamed["id"] = lines["id"] + suffix
        if copy:
            renamed["through_running"] = None
        line_frames.append(renamed)
    return {
        **layers,
        "rail_stations": gpd.GeoDataFrame(
            pd.concat(station_frames, ignore_index=True), crs=stations.crs
        ),
        "rail_lines": gpd.GeoDataFrame(pd.concat(line_frames, ignore_index=True), crs=lines.crs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("CHENGYU_BENCH_QUICK"))
    )
    options = parser.parse_args()

    from geo import settings
    from geo._stages import cached_stage
    from geo.errors import ChengyuError
    from geo.networks.rail_network import FASTEST, find_station, rail_graph, reach_table
    from geo.sources._schema import SCENARIOS
    from geo.sources.layers import load_layers

    layers = load_layers(["rail_stations", "rail_lines", "admin_areas"])
    unique = layers["rail_stations"]["station_id"].nunique()
    copies = 2 if options.quick else math.ceil(options.stations / unique)
    repeat = 1 if options.quick else options.repeat
    network = copied_network(layers, copies)
    stations = network["rail_stations"]["station_id"].nunique()
    origins, minutes = list(settings.reach_origins), list(settings.reach_minutes)

    def build() -> dict[str, nx.MultiDiGraph]:
        return {scenario: rail_graph(network, scenario=scenario) for scenario in SCENARIOS}

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        key = ["bench_reach", str(copies)]
        started = time.perf_counter()
        graphs = cached_stage("rail-graphs", key, build, cache_dir=cache)
        built_s = time.perf_counter() - started
        edges = sum(graph.number_of_edges() for graph in graphs.values())
        print(
            f"{stations:,} stations ({copies} copies of the lines): both scenarios' graphs "
            f"({edges:,} edges) built and cached in {built_s:.2f} s"
        )

        def reach_run() -> float:
            started = time.perf_counter()
            cached = cached_stage("rail-graphs", key, build, cache_dir=cache)
            reach_table(network, origins=origins, minutes=minutes, graphs=cached)
            return time.perf_counter() - started

        def baseline_run() -> float:
            started = time.perf_counter()
            cached = cached_stage("rail-graphs", key, build, cache_dir=cache)
            for graph in cached.values():
                for origin in origins:
                    try:
                        node = find_station(graph, origin)
                    except ChengyuError:
                        continue  # not open in this scenario
                    nx.single_source_dijkstra(graph, node, cutoff=max(minutes) * 60, weight=FASTEST)
            return time.perf_counter() - started

        reach_s = statistics.median(reach_run() for _ in range(repeat))
        baseline_s = statistics.median(baseline_run() for _ in range(repeat))
    print(
        f"median of {repeat}: reach (cached graphs + reach_table, {len(origins)} origins x "
        f"{len(minutes)} limits x {len(SCENARIOS)} scenarios) {reach_s:.2f} s; networkx "
        f"Dijkstra over the same cached graphs {baseline_s:.2f} s"
    )
    print(f"ratio reach / Dijkstra: {reach_s / baseline_s:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
