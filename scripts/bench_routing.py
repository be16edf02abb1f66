"""Benchmark: routing the Land–Sea Corridor's rail legs cold and from the cache, as a ratio.

Cold: a fresh interpreter with an empty cache loads the OpenStreetMap railway graph of
scgraph_data and routes every rail leg of ``corridor_routes``. Cached: a fresh interpreter
routes the same legs with the cache the cold run filled. Both include the interpreter's
start-up and the package imports, so the ratio is what a user waits for.

``--quick`` (or ``CHENGYU_BENCH_QUICK=1``) runs once, with the first two rail legs in one
process: it checks the script still runs, it measures nothing.

Usage: ``python scripts/bench_routing.py [--repeat N] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUTE_ALL = """
from geo.networks.routing import route_layers
from geo.sources.layers import load_layers
legs = route_layers(load_layers(["corridor_routes"]))["corridor_routes"]
rail = legs[legs["routing"] == "rail_network"]
print(len(rail), "rail legs")
"""


def _seconds(cache: str) -> float:
    environment = dict(os.environ, CHENGYU_CACHE=cache)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", ROUTE_ALL], check=True, env=environment, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def _in_process(cache: str, legs_at_most: int | None = None) -> tuple[float, float]:
    """Seconds for the rail legs alone: cold (graph load included), then from the cache."""
    from geo.networks.freight import rail_route
    from geo.sources._validate import parse_waypoints
    from geo.sources.layers import load_layers

    hubs = load_layers(["logistics_hubs"])["logistics_hubs"].set_index("id")
    legs = load_layers(["corridor_routes"])["corridor_routes"]
    inputs = []
    for leg in legs[legs["routing"] == "rail_network"].itertuples():
        start, end = hubs.loc[leg.origin].geometry, hubs.loc[leg.destination].geometry
        nodes = [(lon, lat) for _, lon, lat in parse_waypoints(leg.waypoints)]
        inputs.append([(start.x, start.y), *nodes, (end.x, end.y)])
    inputs = inputs[:legs_at_most]
    timings = []
    for _ in range(2):
        began = time.perf_counter()
        for points in inputs:
            rail_route(points, cache_dir=Path(cache))
        timings.append(time.perf_counter() - began)
    return timings[0], timings[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("CHENGYU_BENCH_QUICK"))
    )
    options = parser.parse_args()
    if options.quick:
        options.repeat = 1
    with tempfile.TemporaryDirectory() as folder:
        cold = [_seconds(os.path.join(folder, f"cold{i}")) for i in range(options.repeat)]
        cached = [_seconds(os.path.join(folder, "cold0")) for _ in range(options.repeat)]
    cold_s, cached_s = statistics.median(cold), statistics.median(cached)
    print(f"median of {options.repeat} runs, each in a fresh interpreter")
    print(f"cold routing (empty cache): {cold_s:.2f} s")
    print(f"cached routing:             {cached_s:.2f} s")
    print(f"ratio cold/cached: {cold_s / cached_s:.1f}x")
    with tempfile.TemporaryDirectory() as folder:
        cold_legs, cached_legs = _in_process(folder, 2 if options.quick else None)
    print(
        f"rail legs alone, one process: cold {cold_legs:.2f} s, cached {cached_legs * 1e3:.1f} ms"
    )
    print(f"ratio cold/cached: {cold_legs / cached_legs:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
