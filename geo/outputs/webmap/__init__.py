"""Interactive layered web maps (folium / Leaflet) from the map definitions in ``maps/``.

Every map carries one toggleable group per data layer, a legend, bilingual popups, a search box
for stations and hubs, a scale bar, a timeline of openings and a choice of basemaps. Leaflet and
the controls are inlined, so every page draws its data with the network cut; online, only the
basemap tiles use the network, and ``offline=True`` leaves them out.

Modules: ``geo.sources.mapdefs`` (definitions), ``geo.outputs._vocabulary`` (words for codes,
popups; the figures and QGIS labels use it too), ``_generalise`` (display geometry, cached),
``_features`` (a group's GeoJSON), ``_shared`` and ``_overlap`` (roads sharing a stretch,
reach areas overlapping: drawn once), ``_symbols`` (Leaflet styles), ``_legend``, ``_elements``
(JSON blocks, scripts, assets), ``basemaps``, and ``_page`` (a page put together and written).
"""

from geo.outputs._vocabulary import bilingual_label, popup_content
from geo.outputs.webmap._elements import script_json
from geo.outputs.webmap._features import display_features, group_features
from geo.outputs.webmap._generalise import COORDINATE_DECIMALS, SIMPLIFY_DEGREES
from geo.outputs.webmap._overlap import OVERLAP_LAYERS, overlap_label, split_overlaps
from geo.outputs.webmap._page import (
    TIMELINE_YEARS,
    make_map,
    render_maps,
    write_map,
    write_maps,
    write_page,
    write_pages,
)
from geo.outputs.webmap._symbols import leaflet_style
from geo.outputs.webmap.basemaps import NO_TILES, Basemap, basemaps
from geo.sources.mapdefs import MapDefinition, MapLayer, load_map_definitions

__all__ = [
    "COORDINATE_DECIMALS",
    "NO_TILES",
    "OVERLAP_LAYERS",
    "SIMPLIFY_DEGREES",
    "TIMELINE_YEARS",
    "Basemap",
    "MapDefinition",
    "MapLayer",
    "basemaps",
    "bilingual_label",
    "display_features",
    "group_features",
    "leaflet_style",
    "load_map_definitions",
    "make_map",
    "overlap_label",
    "popup_content",
    "render_maps",
    "script_json",
    "split_overlaps",
    "write_map",
    "write_maps",
    "write_page",
    "write_pages",
]
