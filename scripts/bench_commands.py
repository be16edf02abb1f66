"""Benchmark: what a command costs after a build, against the build and the bare imports.

In fresh interpreters: the bare import of the dependencies, a warm ``chengyu build`` (the
caches filled by a first build), then ``chengyu maps``, ``chengyu lengths`` and
``chengyu coverage`` on the same inputs. Reports medians and ratios.

``--cache DIR`` starts from a cache some build filled (the first build is then skipped);
``--quick`` (or ``CHENGYU_BENCH_QUICK=1``) runs the imports, ``build`` and ``coverage`` once: it
checks the script still runs, it measures nothing.

Usage: ``python scripts/bench_commands.py [--repeat N] [--cache DIR] [--quick]``
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
COMMAND = (
    "import sys; from geo.cli.commands import main; sys.argv = ['chengyu', *sys.argv[1:]]; main()"
)


#: The commands timed; ``--quick`` runs the first and the last (the loop is the same for all).
COMMANDS = ("build", "maps", "lengths", "coverage")
QUICK_COMMANDS = (COMMANDS[0], COMMANDS[-1])


def _seconds(code: str, *args: str, cache: str) -> float:
    environment = dict(os.environ, CHENGYU_CACHE=cache)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "out")
        cache = options.cache or os.path.join(folder, "cache")
        if not options.cache:
            _seconds(COMMAND, "build", "--out", out, cache=cache)  # fills the caches
        runs: dict[str, list[float]] = {}
        for _ in range(options.repeat):
            runs.setdefault("bare imports", []).append(_seconds(IMPORTS, cache=cache))
            for command in QUICK_COMMANDS if options.quick else COMMANDS:
                runs.setdefault(f"chengyu {command}", []).append(
                    _seconds(COMMAND, command, "--out", out, cache=cache)
                )
    bare = statistics.median(runs["bare imports"])
    build = statistics.median(runs["chengyu build"])
    print(f"median of {options.repeat} runs, each in a fresh interpreter, caches warm")
    for label, seconds in runs.items():
        median = statistics.median(seconds)
        ratios = f"{median / bare:.2f}x imports, {median / build:.2f}x build"
        print(f"{label}: {median:.2f} s = {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
