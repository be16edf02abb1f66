"""Benchmark: the whole build's time as a ratio to the bare import time of its dependencies.

Each measurement runs in a fresh interpreter, so both sides pay the same start-up and import
costs; the ratio says how much the build itself adds. A cold build starts with an empty cache
(it converts cnmaps' boundaries, routes the legs and builds the population surface again); a
warm build with unchanged inputs reuses the cached analysis and rendered maps. Target for the
warm build: at most 2× (issue #10); the cold build is reported.

``--cache DIR`` starts from a cache some build filled (the first build is then skipped);
``--quick`` (or ``CHENGYU_BENCH_QUICK=1``) measures once and skips the cold builds: it checks
the script still runs, it measures nothing.

Usage: ``python scripts/bench_build.py [--repeat N] [--cache DIR] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

IMPORTS = "import geopandas, pyogrio, shapely, pyproj, cnmaps, searoute, folium, click, rich"
BUILD = "from geo.outputs.build import build; import sys; build(out_dir=sys.argv[1])"
TARGET_RATIO = 2.0


def _seconds(code: str, *args: str, cache: str | None = None) -> float:
    environment = dict(os.environ, CHENGYU_CACHE=cache) if cache else None
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=environment)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", help="a cache a build filled, to start from")
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("CHENGYU_BENCH_QUICK"))
    )
    options = parser.parse_args()
    if options.quick:
        options.repeat = 1
    with tempfile.TemporaryDirectory() as out:
        warm_cache = options.cache or os.path.join(out, "cache")
        if not options.cache:
            _seconds(BUILD, out, cache=warm_cache)  # fills the cache and the file system's
        imports = [_seconds(IMPORTS) for _ in range(options.repeat)]
        cold = [
            _seconds(BUILD, out, cache=os.path.join(out, f"cold{i}"))
            for i in range(0 if options.quick else options.repeat)
        ]
        warm = [_seconds(BUILD, out, cache=warm_cache) for _ in range(options.repeat)]
    bare = statistics.median(imports)
    print(f"median of {options.repeat} runs, each in a fresh interpreter")
    print(f"bare imports of the dependencies: {bare:.2f} s")
    if cold:
        cold_seconds = statistics.median(cold)
        print(
            f"cold build (empty cache): {cold_seconds:.2f} s = {cold_seconds / bare:.2f}x imports"
        )
    seconds = statistics.median(warm)
    ratio = seconds / bare
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER"
    target = f"target <= {TARGET_RATIO:.0f}x: {verdict}"
    print(f"warm build (unchanged inputs): {seconds:.2f} s = {ratio:.2f}x imports ({target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
