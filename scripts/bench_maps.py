"""Benchmark: size of each map and its time to the page's load event in headless Chromium.

Both are printed as ratios to a bare folium map (Leaflet inlined the same way, nothing else)
opened in the same run with the network blocked. Targets: overview ≤ 2 MB, load ≤ 2× the bare
map.

``--quick`` (or ``CHENGYU_BENCH_QUICK=1``) opens the bare map and the first map once each: it
checks the script still runs, it measures nothing.

Usage: ``python scripts/bench_maps.py [--repeat N] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import folium
from branca.element import Element

from geo.analysis.stage import analyse
from geo.outputs.browser import open_page
from geo.outputs.webmap import write_maps
from geo.outputs.webmap._assets import inline_leaflet

LOAD_MS = "performance.getEntriesByType('navigation')[0].loadEventEnd"
# Set by the page once every group is drawn, deferred background groups included.
READY_MS = "window.chengyuReady"


def _bare_map(folder: Path) -> Path:
    bare = folium.Map(location=[30, 105], zoom_start=6, tiles=None)
    bare.default_js, bare.default_css = [], []
    bare.get_root().header.add_child(Element(inline_leaflet()), name="leaflet_inline", index=0)
    path = folder / "bare.html"
    bare.save(str(path))
    return path


def _timings(path: Path, repeat: int) -> tuple[float, float | None]:
    """Median ms to the load event, and to every group drawn (``None`` for a bare map)."""
    loads, ready = [], []
    for _ in range(repeat):
        with open_page(path) as (page, _report):
            loads.append(float(page.evaluate(LOAD_MS)))
            if page.evaluate("typeof window.chengyuLayers") != "undefined":
                page.wait_for_function(READY_MS)
                ready.append(float(page.evaluate(READY_MS)))
    return statistics.median(loads), statistics.median(ready) if ready else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("CHENGYU_BENCH_QUICK"))
    )
    options = parser.parse_args()
    if options.quick:
        options.repeat = 1
    layers = analyse().layers
    with tempfile.TemporaryDirectory() as folder:
        bare = _bare_map(Path(folder))
        maps = write_maps(layers, out_dir=Path(folder), offline=True)
        bare_ms, _ = _timings(bare, options.repeat)
        bare_mb = bare.stat().st_size / 1e6
        print(f"median of {options.repeat} loads in headless Chromium, network blocked")
        print(f"bare folium map: {bare_mb:.2f} MB, load event at {bare_ms:.0f} ms")
        for path in maps[:1] if options.quick else maps:
            load_ms, ready_ms = _timings(path, options.repeat)
            size_mb = path.stat().st_size / 1e6
            print(
                f"{path.stem}: {size_mb:.2f} MB ({size_mb / bare_mb:.1f}x bare); "
                f"load event at {load_ms:.0f} ms ({load_ms / bare_ms:.2f}x bare); "
                f"every group drawn at {ready_ms:.0f} ms ({(ready_ms or 0) / bare_ms:.2f}x bare)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
