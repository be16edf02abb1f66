"""Print how a population raster's cells change coverage against the dasymetric surface.

A raster (WorldPop, GHS-POP) is counted at its cells' centres: a cell counts whole on whichever
side of a catchment's edge its centre falls. This measures what that rule alone does to the
answers: the dasymetric surface of ``geo.analysis.population`` is summed into square cells of
each resolution (in the surface's metric CRS), written as a GeoTIFF, and counted as
``chengyu coverage --population FILE.tif`` counts it. Against the surface's own count, the
difference is the cell-centre rule's, since both hold the same people in the same places (to
within a cell). Where people live in a real raster is a different question, that no offline
file here can answer. Prints Markdown for docs/coverage.md.

Usage: ``python scripts/raster_versus_surface.py [--resolutions 100,1000]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np


def _write_raster(surface, path: Path, resolution_m: float) -> None:  # type: ignore[no-untyped-def]
    """Sum the surface's people into square cells of ``resolution_m`` and write a GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin

    xs, ys = surface.geometry.x.to_numpy(), surface.geometry.y.to_numpy()
    west, north = np.floor(xs.min() / resolution_m) * resolution_m, ys.max() + resolution_m
    columns = int(np.ceil((xs.max() - west) / resolution_m)) + 1
    rows = int(np.ceil((north - ys.min()) / resolution_m)) + 1
    cells = np.zeros((rows, columns), dtype="float64")
    np.add.at(
        cells,
        (((north - ys) // resolution_m).astype(int), ((xs - west) // resolution_m).astype(int)),
        surface["population"].to_numpy(),
    )
    profile = {
        "driver": "GTiff", "height": rows, "width": columns, "count": 1, "dtype": "float64",
        "crs": surface.crs, "transform": from_origin(west, north, resolution_m, resolution_m),
        "tiled": True, "compress": "deflate", "nodata": -1.0,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as raster:
        raster.write(cells, 1)


def main() -> int:
    from geo.analysis.coverage import ALL_LINES, coverage
    from geo.analysis.population import open_population, population_surface
    from geo.sources.layers import load_layers

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resolutions", default="100,1000", help="cell sizes in metres")
    options = parser.parse_args()
    resolutions = [float(value) for value in options.resolutions.split(",")]
    layers = load_layers(["rail_stations", "rail_lines", "admin_areas"])
    # The cached surface: the same points `coverage(population="dasymetric")` counts below.
    surface = population_surface(layers["admin_areas"])
    tables = {"surface": coverage(layers, population="dasymetric")[0]}
    with tempfile.TemporaryDirectory() as folder:
        for resolution in resolutions:
            path = Path(folder) / f"surface-{resolution:g}m.tif"
            _write_raster(surface, path, resolution)
            population = open_population(path)
            tables[f"{resolution:g} m"] = coverage(layers, population=population)[0]
    keyed = {
        name: table.set_index(["line_id", "scenario", "radius_km"])["people"]
        for name, table in tables.items()
    }
    rasters = [name for name in tables if name != "surface"]
    print(
        "| line | scenario | km | surface | " + " | ".join(f"cells of {n}" for n in rasters) + " |"
    )
    print("| --- | --- | ---: | ---: |" + " ---: |" * len(rasters))
    names = tables["surface"].drop_duplicates("line_id").set_index("line_id")["line_name_zh"]
    worst: dict[tuple[str, float], float] = {}
    for key in keyed["surface"].index:
        line_id, scenario, radius = key
        base = keyed["surface"][key]
        cells = []
        for name in rasters:
            change = keyed[name][key] / base - 1 if base else 0.0
            worst[name, radius] = max(worst.get((name, radius), 0.0), abs(change))
            cells.append(f"{keyed[name][key] / 1e6:.2f} M ({change:+.1%})")
        if line_id == ALL_LINES or radius == min(tables["surface"]["radius_km"]):
            label = "all lines" if line_id == ALL_LINES else names[line_id]
            print(
                f"| {label} | {scenario} | {radius:g} | {base / 1e6:.2f} M | {' | '.join(cells)} |"
            )
    print()
    for (name, radius), change in sorted(worst.items()):
        print(f"largest change over every line and scenario, {radius:g} km, cells of {name}: "
              f"{change:.1%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
