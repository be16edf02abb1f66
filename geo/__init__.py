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
from typing import TYPE_CHECKING, Any

from geo.utils import PACKAGE_VERSION

__version__ = PACKAGE_VERSION

#: Public name to the module that holds it. ``geo.outputs.build.build`` and
#: ``geo.analysis.coverage.coverage``
#: are not here: their names are their modules'.
_PUBLIC: dict[str, str] = {
    "SCENARIOS": "geo.sources._schema",
    "load_layers": "geo.sources.layers",
    "load_layer": "geo.sources.layers",
    "route_layers": "geo.networks.routing",
    "build_maps": "geo.outputs.build",
    "analyse": "geo.analysis.stage",
    "geodesic_km": "geo._geodesy",
    "route_lengths": "geo.analysis.measure",
    "length_table": "geo.analysis.measure",
    "catchments": "geo.analysis.coverage",
    "coverage_table": "geo.analysis.coverage",
    "covered_weights": "geo.analysis.coverage",
    "rail_graph": "geo.networks.rail_network",
    "reach_table": "geo.networks.rail_network",
    "reach_areas": "geo.networks.rail_network",
    "travel_times": "geo.networks.rail_network",
    "drive_areas": "geo.analysis.road_access",
    "load_map_definitions": "geo.sources.mapdefs",
    "make_map": "geo.outputs.webmap",
    "write_maps": "geo.outputs.webmap",
    "write_geopackage": "geo.outputs.export",
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
    from geo.analysis.coverage import catchments, coverage_table, covered_weights
    from geo.analysis.measure import length_table, route_lengths
    from geo.analysis.road_access import drive_areas
    from geo.analysis.stage import analyse
    from geo.networks.rail_network import rail_graph, reach_areas, reach_table, travel_times
    from geo.networks.routing import route_layers
    from geo.outputs.build import build_maps
    from geo.outputs.export import write_geopackage
    from geo.outputs.webmap import make_map, write_maps
    from geo.sources._schema import SCENARIOS
    from geo.sources.layers import load_layer, load_layers
    from geo.sources.mapdefs import load_map_definitions


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
