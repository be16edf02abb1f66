"""Benchmark: the whole build's time as a ratio to the bare import time of its dependencies.

Each measurement runs in a fresh interpreter, so both sides pay the same start-up and import
costs; the ratio says how much the build itself adds. A cold build starts with an empty cache
(it converts cnmaps' boundaries again); a warm build reuses the cache. Target: under 3×.

Usage: ``python scripts/bench_build.py [--repeat N]``
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
BUILD = "from geo.build import build; import sys; build(out_dir=sys.argv[1])"
TARGET_RATIO = 3.0


def _seconds(code: str, *args: str, cache: str | None = None) -> float:
    environment = dict(os.environ, CHENGYU_CACHE=cache) if cache else None
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=environment)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        warm_cache = os.path.join(out, "cache")
        _seconds(BUILD, out, cache=warm_cache)  # fills the cache and the file system's cache
        imports = [_seconds(IMPORTS) for _ in range(options.repeat)]
        cold = [
            _seconds(BUILD, out, cache=os.path.join(out, f"cold{i}")) for i in range(options.repeat)
        ]
        warm = [_seconds(BUILD, out, cache=warm_cache) for _ in range(options.repeat)]
    bare = statistics.median(imports)
    print(f"median of {options.repeat} runs, each in a fresh interpreter")
    print(f"bare imports of the dependencies: {bare:.2f} s")
    for label, runs in (
        ("cold build (empty cache)", cold),
        ("warm build (cached boundaries)", warm),
    ):
        seconds = statistics.median(runs)
        ratio = seconds / bare
        verdict = "OK" if ratio < TARGET_RATIO else "OVER"
        target = f"target < {TARGET_RATIO:.0f}x: {verdict}"
        print(f"{label}: {seconds:.2f} s = {ratio:.2f}x imports ({target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
