"""A map page: its groups, controls and data blocks put together, rendered and written."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from geo import settings
from geo._io import atomic_path
from geo.outputs.webmap._assets import inline_leaflet
from geo.outputs.webmap._elements import (
    CONTROLS_CSS,
    CONTROLS_ID,
    CONTROLS_JS,
    Controls,
    GeoJsonGroup,
    RawElement,
    json_block,
)
from geo.outputs.webmap._features import display_features, group_features
from geo.outputs.webmap._labels import line_names
from geo.outputs.webmap._legend import legend_element, thinned_note
from geo.outputs.webmap._thin import Thinning
from geo.outputs.webmap.basemaps import (
    CONTEXT_CREDIT,
    NO_TILES,
    basemaps,
    context_layer,
    place_layer,
)
from geo.sources.mapdefs import MapDefinition, load_map_definitions
from geo.utils import log

#: Years the timeline runs through.
TIMELINE_YEARS = (2015, 2027)


#: Room kept round the data in the first view, in pixels. At the top, the title box (two lines
#: at 1024 px wide: its bottom edge 56 px down) and the names above the top points: fitted to
#: the top edge, the corridor map's Sichuan–Chongqing outline and hubs sat under the title.
FIT_PADDING_TOP_LEFT = (20, 100)
FIT_PADDING_BOTTOM_RIGHT = (20, 20)


def make_map(
    definition: MapDefinition,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    offline: bool = False,
    tianditu_key: str | None = None,
    cache_dir: Path | None = None,
) -> folium.Map:
    """Build one map.

    Parameters
    ----------
    definition
        What the map shows.
    layers
        Built layers by name (those the definition names).
    offline
        Leave out every tile basemap, so that no request leaves the page (Leaflet is always
        inlined).
    tianditu_key
        A Tianditu key; adds the Tianditu basemap (online only).
    cache_dir
        Folder of the cache of the display geometry and the land outlines (default
        ``geo._io.cache_for()``).
    """
    # Quarter zoom steps: the first view fits the data closely instead of a whole level out.
    fmap = folium.Map(
        tiles=None, control_scale=True, prefer_canvas=False, zoom_control=True, zoom_snap=0.25
    )
    # Leaflet is inlined in every map, online or not: a CDN that cannot be reached (or is
    # blocked) must not leave the page blank. Online, only the basemap tiles use the network.
    fmap.default_js, fmap.default_css = [], []
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(RawElement(inline_leaflet()), name="leaflet_inline", index=0)
    root.header.add_child(RawElement(f"<style>{CONTROLS_CSS}</style>"), name="chengyu_css")
    root.header.add_child(RawElement(f"<script>{CONTROLS_JS}</script>"), name="chengyu_js")

    # Set the view before any layer is added, so that Leaflet draws the data once.
    fitted = [
        group_features(layers[e.layer], e) for e in definition.layers if e.layer in definition.fit
    ]
    fit = pd.concat(fitted) if fitted else None
    lon_min, lat_min, lon_max, lat_max = (
        fit.total_bounds if fit is not None and len(fit) else settings.region_bounds
    )
    fmap.fit_bounds(
        [[lat_min, lon_min], [lat_max, lon_max]],
        padding_top_left=FIT_PADDING_TOP_LEFT,
        padding_bottom_right=FIT_PADDING_BOTTOM_RIGHT,
    )

    notes: list[str] = []
    names = line_names(layers["rail_lines"]) if "rail_lines" in layers else {}
    for number, entry in enumerate(definition.layers):
        # The group's name is ours; its label reaches the layer control from the JSON below.
        group = folium.FeatureGroup(name=f"group {number}", show=entry.show, control=False)
        group.add_to(fmap)
        data_id = f"chengyu-group-{number}"
        data = display_features(layers[entry.layer], entry, line_names=names, cache_dir=cache_dir)
        if "thinned" in data:
            notes.append(thinned_note(entry, Thinning(**data.pop("thinned"))))
        block = {"label": entry.label, "data": data}
        root.header.add_child(json_block(data_id, block), name=data_id)
        group.add_child(GeoJsonGroup(data_id, entry=entry, timeline=definition.timeline))

    key = tianditu_key or os.environ.get("TIANDITU_KEY")
    title = f"{definition.title_zh} · {definition.title_en}"
    # branca writes the title into <title> as it is: a title is data, so escaped here.
    root.title = html.escape(title, quote=False)
    options = {
        "title": title,
        "legend": legend_element(definition, layers),
        "notes": notes,
        "groups": [entry.label for entry in definition.layers],
        "search": any(entry.searchable for entry in definition.layers),
        "timeline": list(TIMELINE_YEARS) if definition.timeline else None,
        # Offline, no tile basemap: no request leaves the page.
        "basemaps": [] if offline else [asdict(base) for base in basemaps(tianditu_key=key)],
        "noTiles": NO_TILES,
        "credit": settings.attribution,
        "context": None,
        # Seats, county names and towns on the vector basemap, from closer zooms (GeoNames,
        # credited in ``settings.attribution``).
        "places": place_layer(
            (lon_min, lat_min, lon_max, lat_max), admin_areas=layers.get("admin_areas")
        ),
    }
    if definition.context:
        # Land, coasts, neighbours and places under the data, with the vector basemap.
        bounds = (lon_min, lat_min, lon_max, lat_max)
        options["context"] = context_layer(
            bounds, admin_areas=layers.get("admin_areas"), cache_dir=cache_dir
        )
        options["credit"] = f"{settings.attribution}; {CONTEXT_CREDIT}"
    root.header.add_child(json_block(CONTROLS_ID, options), name=CONTROLS_ID)
    fmap.add_child(Controls())
    return fmap


def render_maps(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    offline: bool = False,
    names: Sequence[str] | None = None,
    maps_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> dict[str, str]:
    """Render every map definition whose layers are present, as HTML pages by map name.

    A definition that ``requires`` a layer not built (the coverage map before coverage
    exists) is skipped with a log line. ``cache_dir`` is ``make_map``'s.
    """
    pages = {}
    for definition in load_map_definitions(maps_dir, layers=layers):
        if names and definition.name not in names:
            continue
        missing = [
            name
            for name in {*definition.requires, *(e.layer for e in definition.layers)}
            if name not in layers
        ]
        if missing:
            log(f"map {definition.name}: skipped, layers {sorted(missing)} not built")
            continue
        page = make_map(definition, layers, offline=offline, cache_dir=cache_dir)
        pages[definition.name] = page.get_root().render()
    return pages


def write_maps(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    out_dir: Path | None = None,
    offline: bool = False,
    names: Sequence[str] | None = None,
    maps_dir: Path | None = None,
) -> list[Path]:
    """Write every map definition whose layers are present to ``out_dir/maps/<name>.html``.

    Each file is written atomically (see ``render_maps`` and ``write_page``).
    """
    folder = Path(out_dir or settings.out_dir) / "maps"
    pages = render_maps(layers, offline=offline, names=names, maps_dir=maps_dir)
    return write_pages(pages, folder, offline=offline)


def write_map(
    definition: MapDefinition,
    layers: Mapping[str, gpd.GeoDataFrame],
    target: Path,
    *,
    offline: bool = False,
) -> Path:
    """Render one map (:func:`make_map`) and write it to ``target`` atomically."""
    html = make_map(definition, layers, offline=offline).get_root().render()
    return write_page(html, target, offline=offline)


def write_pages(pages: Mapping[str, str], folder: Path, *, offline: bool = False) -> list[Path]:
    """Write rendered maps (HTML by map name) to ``folder/<name>.html``, each atomically."""
    return [
        write_page(page, folder / f"{name}.html", offline=offline) for name, page in pages.items()
    ]


def write_page(html: str, target: Path, *, offline: bool = False) -> Path:
    """Write a rendered map to ``target`` atomically.

    Logs a warning when the page is larger than ``settings.web_max_map_mb``.
    """
    with atomic_path(target) as temporary:
        temporary.write_text(html, encoding="utf-8")
    size_mb = len(html.encode("utf-8")) / 1e6
    log(f"wrote map {target} ({size_mb:.2f} MB{', offline' if offline else ''})")
    if size_mb > settings.web_max_map_mb:
        log(
            f"map {target} is {size_mb:.1f} MB, over settings.web_max_map_mb "
            f"({settings.web_max_map_mb:g} MB): a browser will be slow to open it",
            level=logging.WARNING,
        )
    return target
