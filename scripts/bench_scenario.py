"""Benchmark: a proposal compared with its base, once the base is cached, against a base-only run.

In a fresh interpreter, with the boundaries already cached (a warm-up load runs first):

- base only: ``analyse_network`` on the base network (coverage at every radius and reach from
  the default origins), what ``chengyu coverage``/``reach`` compute for one scenario;
- scenario: ``compare`` of the shipped example with the base read from the cache (validating
  the proposal with the base, the scenario's coverage and reach, lengths, map layers);
- outputs: ``write_outputs`` (GeoPackage, CSV, offline map).

Prints the seconds of each and the ratio of the scenario to the base-only run.

``--quick`` (or ``CHENGYU_BENCH_QUICK=1``) runs once: it checks the script
still runs, it measures nothing.

Usage: ``python scripts/bench_scenario.py [PROPOSAL.toml] [--repeat N] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from geo import settings
from geo.analysis import coverage
from geo.scenario.compare import (
    BASE_LAYERS,
    analyse_network,
    cached_base_analysis,
    compare,
    read_proposal,
    write_outputs,
)
from geo.sources.layers import load_layers

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example" / "suining_guangan.toml"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proposal", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("CHENGYU_BENCH_QUICK"))
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.repeat = 1

    proposal = read_proposal(arguments.proposal)
    layers = load_layers(BASE_LAYERS)  # warm-up: boundaries from their cache
    crs = coverage.metric_crs(layers["rail_stations"])
    options = {
        "scenario": proposal.base,
        "crs": crs,
        "radii_km": settings.coverage_radii_km,
        "origins": settings.reach_origins,
        "minutes": settings.reach_minutes,
    }
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        cached_base_analysis(layers, **options, cache_dir=cache)  # fills the cache

        base_times, scenario_times, write_times = [], [], []
        for _ in range(arguments.repeat):
            start = time.perf_counter()
            analyse_network(layers, **options)
            base_times.append(time.perf_counter() - start)

            start = time.perf_counter()
            base = cached_base_analysis(layers, **options, cache_dir=cache)
            result = compare(proposal, layers, base_analysis=base, cache_dir=cache)
            scenario_times.append(time.perf_counter() - start)

            start = time.perf_counter()
            write_outputs(result, out_dir=Path(folder) / "out", offline=True, cache_dir=cache)
            write_times.append(time.perf_counter() - start)

    base_s = statistics.median(base_times)
    scenario_s = statistics.median(scenario_times)
    write_s = statistics.median(write_times)
    print(f"proposal {proposal.name} (base {proposal.base}), median of {arguments.repeat} runs")
    print(f"base-only run (coverage + reach):      {base_s:6.2f} s")
    print(
        f"scenario, base cached:                 {scenario_s:6.2f} s  = {scenario_s / base_s:.2f}x"
    )
    print(f"outputs (GeoPackage, CSV, offline map): {write_s:6.2f} s")
    print(f"scenario with its outputs:             {scenario_s + write_s:6.2f} s")


if __name__ == "__main__":
    main()
