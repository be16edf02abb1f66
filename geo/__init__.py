"""chengyu-corridors: sourced maps and measures of the Chengdu–Chongqing corridors.

The public functions are re-exported here and imported on first use, so ``import geo`` (and
``chengyu --help``) stays fast::

    import geo

    layers = geo.load_layers()
    areas = geo.catchments(layers["rail_stations"], radii_km=[10])

Or run the ``chengyu`` command. ``geo.settings`` holds the defaults.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("chengyu-corridors")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

#: Public name to the module that holds it. ``geo.build.build`` and ``geo.coverage.coverage``
#: are not here: their names are their modules'.
_PUBLIC: dict[str, str] = {
    "SCENARIOS": "geo._schema",
    "load_layers": "geo.layers",
    "load_layer": "geo.layers",
    "route_layers": "geo.layers",
    "build_maps": "geo.build",
    "analyse": "geo.analysis",
    "geodesic_km": "geo._geodesy",
    "route_lengths": "geo.measure",
    "length_table": "geo.measure",
    "catchments": "geo.coverage",
    "coverage_table": "geo.coverage",
    "covered_weights": "geo.coverage",
    "rail_graph": "geo.rail_network",
    "reach_table": "geo.rail_network",
    "reach_areas": "geo.rail_network",
    "travel_times": "geo.rail_network",
    "drive_areas": "geo.road_access",
    "load_map_definitions": "geo._mapdefs",
    "make_map": "geo.webmap",
    "write_maps": "geo.webmap",
    "write_geopackage": "geo.export",
}

__all__ = [
    "SCENARIOS",
    "__version__",
    "analyse",
    "build_maps",
    "catchments",
    "coverage_table",
    "covered_weights",
    "drive_areas",
    "geodesic_km",
    "length_table",
    "load_layer",
    "load_layers",
    "load_map_definitions",
    "make_map",
    "rail_graph",
    "reach_areas",
    "reach_table",
    "route_layers",
    "route_lengths",
    "travel_times",
    "write_geopackage",
    "write_maps",
]

if TYPE_CHECKING:  # the type checker sees the real objects; at run time they load lazily
    from geo._geodesy import geodesic_km
    from geo._mapdefs import load_map_definitions
    from geo._schema import SCENARIOS
    from geo.analysis import analyse
    from geo.build import build_maps
    from geo.coverage import catchments, coverage_table, covered_weights
    from geo.export import write_geopackage
    from geo.layers import load_layer, load_layers, route_layers
    from geo.measure import length_table, route_lengths
    from geo.rail_network import rail_graph, reach_areas, reach_table, travel_times
    from geo.road_access import drive_areas
    from geo.webmap import make_map, write_maps


def __getattr__(name: str) -> Any:
    """Import a public function's module on first use."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the module's names with the public functions not yet imported."""
    return sorted({*globals(), *_PUBLIC})
