"""Interactive layered web maps (folium / Leaflet) from the map definitions in ``maps/``.

Every map carries one toggleable group per data layer, a legend, bilingual popups, a search box
for stations and hubs, a scale bar, a timeline of openings and a choice of basemaps. The controls
are small inline scripts, so the same page works offline once Leaflet itself is inlined
(``offline=True``): then no request leaves the page.

Text is data: folium renders every element's script as a Jinja template (twice), so no name,
title or figure ever enters a template. The page's data travels in ``<script
type="application/json">`` blocks added after rendering (:class:`_Raw`), escaped for HTML, and
the controls put it on the page through ``textContent``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo import settings
from geo._assets import inline_leaflet
from geo._io import atomic_path, cache_file
from geo._mapdefs import MapDefinition, MapLayer, load_map_definitions
from geo._schema import ALL_SPECS
from geo._styles import STYLES, Symbol
from geo._thin import thin_points
from geo.utils import log

#: Display generalisation per geometry kind, in degrees (about 700 m and 20 m at 30°N): the
#: GeoPackage keeps full detail, the web page only what its zoom levels show.
SIMPLIFY_DEGREES = {"polygon": 0.007, "line": 0.0002, "point": 0.0}
#: Decimals kept in the page's coordinates per geometry kind (1e-3° is about 100 m).
COORDINATE_DECIMALS = {"polygon": 3, "line": 4, "point": 4}
#: Years the timeline runs through.
TIMELINE_YEARS = (2015, 2027)

_LABELS_ZH = {
    "operating": "运营",
    "under_construction": "在建",
    "planned": "规划",
    "reserved": "预留",
    "national_hub": "国家物流枢纽",
    "rail_port": "铁路港",
    "river_port": "内河港",
    "sea_port": "海港",
    "rail": "铁路",
    "sea": "海运",
    "river": "内河",
    "road": "公路",
    "province": "省级",
    "prefecture": "地级",
    "county": "县级",
    "zone": "开发区",
    "reported": "已开行",
    "comparison": "比较",
    "today": "现状",
    "after": "建成后",
    "none": "无",
    "under_25pct": "不足25%",
    "25_50pct": "25%至50%",
    "50_75pct": "50%至75%",
    "75pct_plus": "75%以上",
}
_FIELD_LABELS_ZH = {
    "id": "编号",
    "status": "状态",
    "opened": "开通",
    "opening": "计划开通",
    "started": "开工",
    "status_as_of": "状态截至",
    "line_id": "线路",
    "seq": "站序",
    "design_speed_kmh": "设计时速",
    "length_official_km": "官方里程",
    "line_length_official_km": "全线里程",
    "kind": "类型",
    "precision_m": "位置精度(米)",
    "position_basis": "位置依据",
    "mode": "方式",
    "origin": "起点",
    "destination": "终点",
    "population_2020": "2020年人口",
    "adcode": "行政区划代码",
    "route_no": "编号",
    "facts": "要点",
    "notes": "说明",
    "source": "来源",
    "geometry_source": "几何来源",
}
# Fields shown as the popup's heading rather than as rows.
_HEADING_FIELDS = ("name_zh", "name_en", "service_name_zh", "service_name_en")


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


_DASH = {"solid": None, "dash": "8 6", "dot": "2 6"}


def leaflet_style(symbol: Symbol, geometry: str) -> dict[str, Any]:
    """Leaflet path options for a symbol (the same symbol QGIS draws from the QML)."""
    if geometry == "point":
        return {
            "radius": round(symbol.size_mm * 1.7, 1),
            "color": _hex(symbol.color),
            "weight": 1.5,
            "fillColor": _hex(symbol.fill) if symbol.fill else "#ffffff",
            "fillOpacity": 1.0 if symbol.fill else 0.0,
            "dashArray": _DASH[symbol.dash],
        }
    return {
        "color": _hex(symbol.color),
        "weight": max(1.0, round(symbol.width_mm * 3, 1)),
        "opacity": 0.9,
        "dashArray": _DASH[symbol.dash],
        "fill": symbol.fill is not None,
        "fillColor": _hex(symbol.fill) if symbol.fill else None,
        "fillOpacity": 0.35 if symbol.fill else 0.0,
        "lineCap": "round",
    }


def _symbol_for(layer: str, value: object) -> Symbol:
    style = STYLES[layer]
    return style.categories.get(str(value), style.default)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    return str(value)


_LABELS_EN = {
    "under_25pct": "under 25 %",
    "25_50pct": "25–50 %",
    "50_75pct": "50–75 %",
    "75pct_plus": "75 % or more",
}


def _bilingual(value: str) -> str:
    zh = _LABELS_ZH.get(value)
    english = _LABELS_EN.get(value, value.replace("_", " "))
    return f"{zh} {english}" if zh else english


def popup_content(row: Mapping[str, Any], layer: str) -> dict[str, list[Any]]:
    """A feature's popup as data: names as heading (``h``), then ``[label, value]`` rows (``r``).

    Feature text is data, never markup: the page builds the popup with ``textContent``.
    """
    heading = [text for name in _HEADING_FIELDS if (text := _text(row.get(name)))]
    rows = []
    # The layer's documented fields first, then any computed column (per-radius figures, …).
    documented = ALL_SPECS[layer].field_names
    keys = list(row.keys())  # a pandas row iterates over its values, not its keys
    names = [*documented, *(key for key in keys if key not in documented)]
    for name in names:
        if name in _HEADING_FIELDS or name in ("lon", "lat", "geometry") or name.startswith("_"):
            continue
        text = _text(row.get(name))
        if text is None:
            continue
        if name in ("status", "kind", "mode", "level", "service_kind", "scenario"):
            text = _bilingual(text)
        label_zh = _FIELD_LABELS_ZH.get(name)
        label = f"{label_zh} {name}" if label_zh else name
        rows.append([label, text])
    return {"h": heading or [str(row.get("id", ""))], "r": rows}


def _year(row: Mapping[str, Any]) -> int | None:
    """The year a feature is in service from: opened, else planned opening; 0 if always there."""
    for name in ("opened", "opening"):
        text = _text(row.get(name))
        if text and text[:4].isdigit() and "start" not in text:
            return int(text[:4])
    return 0 if row.get("status", "operating") == "operating" else None


def _generalise(
    geometries: gpd.GeoSeries, kind: str, levels: pd.Series | None
) -> list[shapely.Geometry]:
    """Simplify for display: areas of one level together, so neighbours keep a shared edge.

    Generalising full-resolution boundaries takes a second; the result depends only on the
    geometries and the settings, so it is cached (``settings.cache_dir``).
    """
    values = geometries.to_numpy()
    degrees, decimals = SIMPLIFY_DEGREES[kind], COORDINATE_DECIMALS[kind]
    groups = (
        levels.to_numpy().astype(str) if levels is not None else np.zeros(len(values)).astype(str)
    )
    if kind == "polygon":
        wkb = shapely.to_wkb(values)
        digest = hashlib.sha1(b"".join(wkb) + "|".join(groups).encode()).hexdigest()
        key = [kind, str(degrees), str(decimals), shapely.geos_version_string, digest]
        cache = cache_file(Path(settings.cache_dir), "display", key, ".wkb.npy")
        if cache.is_file():
            return list(shapely.from_wkb(np.load(cache, allow_pickle=True)))
        simplified = values.copy()
        for level in pd.unique(groups):
            members = groups == level
            simplified[members] = shapely.coverage_simplify(values[members], degrees)
        values = shapely.transform(simplified, lambda xy: np.round(xy, decimals))
        with atomic_path(cache) as temporary, temporary.open("wb") as handle:
            np.save(handle, shapely.to_wkb(values), allow_pickle=True)
        return list(values)
    if degrees:
        values = shapely.simplify(values, degrees, preserve_topology=True)
    return list(shapely.transform(values, lambda xy: np.round(xy, decimals)))


def display_features(frame: gpd.GeoDataFrame, entry: MapLayer) -> dict[str, Any]:
    """GeoJSON of one map group: filtered, generalised, styled, with popups as data.

    A point group of more than ``settings.web_max_points_per_group`` features is thinned to
    one point per grid cell (see :func:`geo._thin.thin_points`); the collection's ``thinned``
    member then says how, for the legend.

    Parameters
    ----------
    frame
        The layer's GeoDataFrame (EPSG:4326).
    entry
        The group: which layer, which features, labels.
    """
    spec = ALL_SPECS[entry.layer]
    style = STYLES[entry.layer]
    selected, thinning = _filtered(frame, entry), None
    if spec.geometry == "point":
        selected, thinning = thin_points(selected, limit=settings.web_max_points_per_group)
    if thinning is not None:
        log(
            f"map group {entry.label!r}: {thinning.total:,} points, more than the web map's "
            f"{settings.web_max_points_per_group:,}: showing {thinning.shown:,}, one per "
            f"{thinning.cell_km:g} km cell",
            level=logging.WARNING,
        )
    shapes = _generalise(selected.geometry, spec.geometry, selected.get("level"))
    features = []
    # Plain dicts: reading a field of a pandas row costs microseconds, of a dict nanoseconds.
    for row, geometry in zip(selected.to_dict("records"), shapes, strict=True):
        names = [
            text
            for key in ("name_zh", "name_en", "service_name_en")
            if (text := _text(row.get(key)))
        ]
        labelled = entry.labels and (
            row.get("level") == "prefecture"
            or (row.get("level") == "province" and row.get("name_zh") == "重庆市")
        )
        anchor = row["geometry"].representative_point() if labelled else None
        properties = {
            "_s": leaflet_style(_symbol_for(entry.layer, row.get(style.attribute)), spec.geometry),
            "_p": popup_content(row, entry.layer),
            "_t": " ".join(names[:2]),
            "_y": _year(row),
            "_k": " / ".join(names[:2]) if entry.searchable else None,
            # Where a permanent name label stands (lat, lon), if the feature has one.
            "_l": [round(anchor.y, 3), round(anchor.x, 3)] if anchor is not None else None,
        }
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geometry),
                "properties": properties,
            }
        )
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if thinning is not None:
        collection["thinned"] = asdict(thinning)
    return collection


_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _script_json(value: object) -> str:
    # JSON inside <script>: "</script>" or "<!--" in a feature's text must not end the script.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_SCRIPT_ESCAPES)


class _Raw(Element):
    """Markup written by this module, put into the page as it is: never rendered as a template."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "ChengyuRaw"
        self._html = html

    def render(self, **kwargs: Any) -> str:
        """The markup itself: unlike an ``Element``, no Jinja sees it."""
        return self._html


def _json_block(element_id: str, value: object) -> _Raw:
    """A ``<script type="application/json">`` block: how data reaches the page."""
    return _Raw(f'<script type="application/json" id="{element_id}">{_script_json(value)}</script>')


class _GeoJsonGroup(MacroElement):
    """A Leaflet GeoJSON layer inside a folium FeatureGroup, registered with the controls.

    On a GCJ-02 basemap the controls draw a shifted twin from the same data (display only).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{% if this.defer %}
window.chengyuPending = (window.chengyuPending || 0) + 1;
{% endif %}
(window.chengyuGroups = window.chengyuGroups || []).push({{ this._parent.get_name() }});
function {{ this.get_name() }}_build() {
var {{ this.get_name() }}_block = chengyuData({{ this.data_id|tojson }});
var {{ this.get_name() }}_data = {{ this.get_name() }}_block.data;
var {{ this.get_name() }}_options = {
    style: function (f) { return f.properties._s; },
    pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties._s); },
    onEachFeature: function (f, layer) {
        var p = f.properties;
        if (p._p) { layer.bindPopup(function () { return chengyuPopup(p._p); }, {maxWidth: 380}); }
        if (p._t) {
            var tip = function () { return document.createTextNode(p._t); };
            layer.bindTooltip(tip, {sticky: true});
        }
        if (f.properties._l) {
            // Names as div icons: unlike permanent tooltips, they need no layout pass each.
            L.marker(f.properties._l, {
                interactive: false, keyboard: false,
                icon: L.divIcon({
                    className: "chengyu-label", iconSize: null,
                    html: chengyuNode("span", "chengyu-label-text", f.properties._t)
                })
            }).addTo({{ this.get_name() }}_labels);
        }
    }
};
var {{ this.get_name() }}_labels = L.layerGroup().addTo({{ this._parent.get_name() }});
var {{ this.get_name() }} = L.geoJSON({{ this.get_name() }}_data, {{ this.get_name() }}_options)
    .addTo({{ this._parent.get_name() }});
(window.chengyuLayers = window.chengyuLayers || []).push({
    group: {{ this._parent.get_name() }}, wgs: {{ this.get_name() }}, gcj: null,
    data: {{ this.get_name() }}_data, options: {{ this.get_name() }}_options,
    timeline: {{ this.timeline|tojson }}, searchable: {{ this.searchable|tojson }},
    label: {{ this.get_name() }}_block.label
});
{% if this.defer %}
if (--window.chengyuPending === 0) { window.chengyuReady = performance.now(); }
{% endif %}
}
{% if this.defer %}
// A background group: drawn once the page has loaded, so the corridors show first.
window.addEventListener("load", function () { setTimeout({{ this.get_name() }}_build, 0); });
{% elif not this.show %}
// A group hidden at first is drawn the first time it is shown.
{{ this._parent.get_name() }}.once("add", {{ this.get_name() }}_build);
{% else %}
{{ this.get_name() }}_build();
{% endif %}
{% endmacro %}
"""
    )

    def __init__(self, data_id: str, *, entry: MapLayer, timeline: bool) -> None:
        super().__init__()
        self._name = "ChengyuGeoJson"
        # The id of the group's JSON block (its label and GeoJSON), parsed when it is drawn.
        self.data_id = data_id
        self.timeline = timeline
        self.searchable = entry.searchable
        self.defer = entry.defer
        self.show = entry.show


_CONTROLS_JS = (Path(__file__).parent / "_webmap_controls.js").read_text(encoding="utf-8")
_CONTROLS_CSS = (Path(__file__).parent / "_webmap_controls.css").read_text(encoding="utf-8")


_CONTROLS_ID = "chengyu-controls"


class _Controls(MacroElement):
    """Title, legend, layer control, search, timeline and the GCJ-02 swap (options as JSON)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
chengyuControls({{ this._parent.get_name() }}, chengyuData({{ this.options_id|tojson }}));
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ChengyuControls"
        self.options_id = _CONTROLS_ID


def _legend(
    definition: MapDefinition, layers: Mapping[str, gpd.GeoDataFrame]
) -> list[dict[str, Any]]:
    """The legend as data: per group its label and, per category shown, a swatch and a text."""
    parts = []
    for entry in definition.layers:
        style = STYLES[entry.layer]
        geometry = ALL_SPECS[entry.layer].geometry
        frame = _filtered(layers[entry.layer], entry)
        values = set(frame[style.attribute].dropna().astype(str).unique())
        present = [value for value in style.categories if value in values]
        items = [
            {"swatch": _swatch(style.categories[value], geometry), "text": _bilingual(value)}
            for value in present
        ]
        parts.append({"label": entry.label, "items": items})
    return parts


def _swatch(symbol: Symbol, geometry: str) -> dict[str, Any]:
    """A legend swatch: the SVG shape (24 × 14 px) and its attributes, drawn by the page."""
    style = leaflet_style(symbol, geometry)
    dash = {"stroke-dasharray": style["dashArray"]} if style.get("dashArray") else {}
    if geometry == "polygon" and symbol.fill:
        attrs = {"x": 2, "y": 2, "width": 20, "height": 10, "fill": style["fillColor"]}
        return {"tag": "rect", "attrs": {**attrs, "stroke": style["color"], "stroke-width": 1}}
    if geometry == "point":
        attrs = {"cx": 12, "cy": 7, "r": 5, "stroke": style["color"], "stroke-width": 1.5}
        fill = {"fill": style["fillColor"], "fill-opacity": style["fillOpacity"]}
        return {"tag": "circle", "attrs": {**attrs, **fill, **dash}}
    attrs = {"x1": 1, "y1": 7, "x2": 23, "y2": 7, "stroke": style["color"]}
    return {"tag": "line", "attrs": {**attrs, "stroke-width": min(style["weight"], 4), **dash}}


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: its Leaflet URL template, attribution, and whether it is GCJ-02."""

    name: str
    url: str
    attribution: str
    subdomains: str = "abc"
    gcj02: bool = False
    overlay_url: str | None = None


def basemaps(*, tianditu_key: str | None = None) -> list[Basemap]:
    """The online basemaps: OpenStreetMap, Amap (GCJ-02), and Tianditu when a key is given."""
    maps = [
        Basemap(
            "OpenStreetMap",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "© OpenStreetMap contributors",
        ),
        Basemap(
            "高德 Amap (GCJ-02)",
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            "© 高德地图 AutoNavi",
            subdomains="1234",
            gcj02=True,
        ),
    ]
    if tianditu_key:
        # The key is text from outside: URL-quoted, so it is one query value and no Leaflet {field}.
        tianditu_key = quote(tianditu_key, safe="")
        maps.append(
            Basemap(
                "天地图 Tianditu",
                f"https://t{{s}}.tianditu.gov.cn/DataServer?T=vec_w&x={{x}}&y={{y}}&l={{z}}&tk={tianditu_key}",
                "© 天地图 Tianditu",
                subdomains="01234567",
                overlay_url=(
                    f"https://t{{s}}.tianditu.gov.cn/DataServer?T=cva_w&x={{x}}&y={{y}}&l={{z}}&tk={tianditu_key}"
                ),
            )
        )
    return maps


NO_TILES = "矢量底图 Vector basemap (no tiles)"


def make_map(
    definition: MapDefinition,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    offline: bool = False,
    tianditu_key: str | None = None,
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
    """
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_control=True)
    # Leaflet is inlined in every map, online or not: a CDN that cannot be reached (or is
    # blocked) must not leave the page blank. Online, only the basemap tiles use the network.
    fmap.default_js, fmap.default_css = [], []
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(_Raw(inline_leaflet()), name="leaflet_inline", index=0)
    root.header.add_child(_Raw(f"<style>{_CONTROLS_CSS}</style>"), name="chengyu_css")
    root.header.add_child(_Raw(f"<script>{_CONTROLS_JS}</script>"), name="chengyu_js")

    # Set the view before any layer is added, so that Leaflet draws the data once.
    fitted = [_filtered(layers[e.layer], e) for e in definition.layers if e.layer in definition.fit]
    fit = pd.concat(fitted) if fitted else None
    lon_min, lat_min, lon_max, lat_max = (
        fit.total_bounds if fit is not None and len(fit) else settings.region_bounds
    )
    fmap.fit_bounds([[lat_min, lon_min], [lat_max, lon_max]], padding=(20, 20))

    notes: list[str] = []
    for number, entry in enumerate(definition.layers):
        # The group's name is ours; its label reaches the layer control from the JSON below.
        group = folium.FeatureGroup(name=f"group {number}", show=entry.show, control=False)
        group.add_to(fmap)
        data_id = f"chengyu-group-{number}"
        data = display_features(layers[entry.layer], entry)
        if "thinned" in data:
            notes.append(_thinned_note(entry, **data.pop("thinned")))
        block = {"label": entry.label, "data": data}
        root.header.add_child(_json_block(data_id, block), name=data_id)
        group.add_child(_GeoJsonGroup(data_id, entry=entry, timeline=definition.timeline))

    key = tianditu_key or os.environ.get("TIANDITU_KEY")
    options = {
        "title": f"{definition.title_zh} · {definition.title_en}",
        "legend": _legend(definition, layers),
        "notes": notes,
        "groups": [entry.label for entry in definition.layers],
        "search": any(entry.searchable for entry in definition.layers),
        "timeline": list(TIMELINE_YEARS) if definition.timeline else None,
        # Offline, no tile basemap: no request leaves the page.
        "basemaps": [] if offline else [asdict(base) for base in basemaps(tianditu_key=key)],
        "noTiles": NO_TILES,
        "credit": settings.attribution,
    }
    root.header.add_child(_json_block(_CONTROLS_ID, options), name=_CONTROLS_ID)
    fmap.add_child(_Controls())
    return fmap


def _thinned_note(entry: MapLayer, *, shown: int, total: int, cell_km: float) -> str:
    """The legend's line for a thinned group: what is shown and by which rule."""
    return (
        f"{entry.label}：显示 {shown:,} / {total:,} 个点，每 {cell_km:g} 公里格网一个 · "
        f"showing {shown:,} of {total:,} points, one per {cell_km:g} km grid cell "
        "(all in the GeoPackage)"
    )


def _filtered(frame: gpd.GeoDataFrame, entry: MapLayer) -> gpd.GeoDataFrame:
    """The features a map group draws: those matching its ``where``, with a geometry."""
    for name, values in entry.where.items():
        frame = frame[frame[name].astype(str).isin(values)]
    return frame[frame.geometry.notna()]


def write_maps(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    out_dir: Path | None = None,
    offline: bool = False,
    names: Sequence[str] | None = None,
    maps_dir: Path | None = None,
) -> list[Path]:
    """Write every map definition whose layers are present to ``out_dir/maps/<name>.html``.

    Each file is written atomically. A definition that ``requires`` a layer not built (the
    coverage map before coverage exists) is skipped with a log line.
    """
    folder = Path(out_dir or settings.out_dir) / "maps"
    written = []
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
        html = make_map(definition, layers, offline=offline).get_root().render()
        target = folder / f"{definition.name}.html"
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
        written.append(target)
    return written
