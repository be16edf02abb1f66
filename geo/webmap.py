"""Interactive layered web maps (folium / Leaflet) from the map definitions in ``maps/``.

Every map carries one toggleable group per data layer, a legend, bilingual popups, a search box
for stations and hubs, a scale bar, a timeline of openings and a choice of basemaps. The controls
are small inline scripts, so the same page works offline once Leaflet itself is inlined
(``offline=True``): then no request leaves the page.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo import settings
from geo._assets import LEAFLET_CSS_URL, LEAFLET_JS_URL, inline_leaflet
from geo._io import atomic_path, cache_file
from geo._schema import ALL_SPECS
from geo._styles import STYLES, Symbol
from geo.errors import ChengyuError
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


@dataclass(frozen=True)
class MapLayer:
    """One toggleable group of a map: a data layer, optionally filtered."""

    layer: str
    label_zh: str
    label_en: str
    show: bool = True
    where: dict[str, list[str]] = field(default_factory=dict)
    searchable: bool = False
    labels: bool = False
    #: Draw the group after the page's load event (a large background such as county outlines).
    defer: bool = False

    @property
    def label(self) -> str:
        """The group's name in the layer control and legend."""
        return f"{self.label_zh} {self.label_en}"


@dataclass(frozen=True)
class MapDefinition:
    """A map: its name (file name), titles, groups and what to fit the view to."""

    name: str
    title_zh: str
    title_en: str
    layers: tuple[MapLayer, ...]
    fit: tuple[str, ...] = ()
    timeline: bool = False
    requires: tuple[str, ...] = ()


def read_definitions(folder: Path | None = None) -> list[MapDefinition]:
    """Read every ``*.toml`` map definition of ``folder`` (default ``settings.maps_dir``).

    Raises
    ------
    ChengyuError
        Naming the file and the entry that is not a valid definition.
    """
    folder = Path(folder or settings.maps_dir)
    definitions = []
    for path in sorted(folder.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            layers = tuple(MapLayer(**entry) for entry in raw.pop("layers"))
            definition = MapDefinition(
                layers=layers,
                fit=tuple(raw.pop("fit", ())),
                requires=tuple(raw.pop("requires", ())),
                **raw,
            )
        except (tomllib.TOMLDecodeError, TypeError, KeyError) as error:
            raise ChengyuError(f"{path.name}: not a valid map definition: {error}") from error
        unknown = [entry.layer for entry in layers if entry.layer not in ALL_SPECS]
        if unknown:
            raise ChengyuError(f"{path.name}: unknown layer(s) {unknown}")
        definitions.append(definition)
    return definitions


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


def popup_html(row: Mapping[str, Any], layer: str) -> str:
    """A feature's popup: its names as heading, then every field with its value, escaped.

    Feature text is data, never markup: every name and value goes through ``html.escape``.
    """
    heading = [escape(text) for name in _HEADING_FIELDS if (text := _text(row.get(name)))]
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
        rows.append(f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>")
    title = "<br>".join(heading) or escape(str(row.get("id", "")))
    return f'<div class="chengyu-popup"><b>{title}</b><table>{"".join(rows)}</table></div>'


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
    """GeoJSON of one map group: filtered, generalised, styled, with escaped popups.

    Parameters
    ----------
    frame
        The layer's GeoDataFrame (EPSG:4326).
    entry
        The group: which layer, which features, labels.
    """
    spec = ALL_SPECS[entry.layer]
    style = STYLES[entry.layer]
    selected = _filtered(frame, entry)
    shapes = _generalise(selected.geometry, spec.geometry, selected.get("level"))
    features = []
    for (_, row), geometry in zip(selected.iterrows(), shapes, strict=True):
        names = [
            text
            for key in ("name_zh", "name_en", "service_name_en")
            if (text := _text(row.get(key)))
        ]
        labelled = entry.labels and (
            row.get("level") == "prefecture"
            or (row.get("level") == "province" and row.get("name_zh") == "重庆市")
        )
        anchor = row.geometry.representative_point() if labelled else None
        properties = {
            "_s": leaflet_style(_symbol_for(entry.layer, row.get(style.attribute)), spec.geometry),
            "_p": popup_html(row, entry.layer),
            "_t": escape(" ".join(names[:2])),
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
    return {"type": "FeatureCollection", "features": features}


def _script_json(value: object) -> str:
    # JSON inside <script>: "</script>" or "<!--" in a feature's text must not end the script.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
function {{ this.get_name() }}_build() {
var {{ this.get_name() }}_data = JSON.parse({{ this.data }});
var {{ this.get_name() }}_options = {
    style: function (f) { return f.properties._s; },
    pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties._s); },
    onEachFeature: function (f, layer) {
        if (f.properties._p) { layer.bindPopup(f.properties._p, {maxWidth: 380}); }
        if (f.properties._t) { layer.bindTooltip(f.properties._t, {sticky: true}); }
        if (f.properties._l) {
            // Names as div icons: unlike permanent tooltips, they need no layout pass each.
            L.marker(f.properties._l, {
                interactive: false, keyboard: false,
                icon: L.divIcon({
                    className: "chengyu-label", iconSize: null,
                    html: '<span class="chengyu-label-text">' + f.properties._t + "</span>"
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
    label: {{ this.label|tojson }}
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

    def __init__(self, data: dict[str, Any], *, entry: MapLayer, timeline: bool) -> None:
        super().__init__()
        self._name = "ChengyuGeoJson"
        # A JSON string parsed at run time: V8 reads it much faster than an object literal.
        self.data = _script_json(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        self.timeline = timeline
        self.searchable = entry.searchable
        self.label = entry.label
        self.defer = entry.defer
        self.show = entry.show


_CONTROLS_JS = (Path(__file__).parent / "_webmap_controls.js").read_text(encoding="utf-8")
_CONTROLS_CSS = (Path(__file__).parent / "_webmap_controls.css").read_text(encoding="utf-8")


class _Controls(MacroElement):
    """Title, legend, search box, timeline and the GCJ-02 swap, as one inline script."""

    _template = Template(
        """
{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
{% macro script(this, kwargs) %}
{{ this.js }}
chengyuControls({{ this._parent.get_name() }}, {{ this.options }});
{% endmacro %}
"""
    )

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "ChengyuControls"
        self.css = _CONTROLS_CSS
        self.js = _CONTROLS_JS
        self.options = _script_json(options)


def _legend_html(definition: MapDefinition, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    parts = []
    for entry in definition.layers:
        style = STYLES[entry.layer]
        geometry = ALL_SPECS[entry.layer].geometry
        frame = _filtered(layers[entry.layer], entry)
        present = [
            value for value in style.categories if value in set(frame[style.attribute].astype(str))
        ]
        items = "".join(
            f'<div class="chengyu-legend-item">{_swatch(style.categories[value], geometry)}'
            f"{escape(_bilingual(value))}</div>"
            for value in present
        )
        parts.append(f'<div class="chengyu-legend-group"><b>{escape(entry.label)}</b>{items}</div>')
    return "".join(parts)


def _swatch(symbol: Symbol, geometry: str) -> str:
    style = leaflet_style(symbol, geometry)
    dash = f' stroke-dasharray="{style["dashArray"]}"' if style.get("dashArray") else ""
    if geometry == "polygon" and symbol.fill:
        return (
            f'<svg width="24" height="14"><rect x="2" y="2" width="20" height="10" '
            f'fill="{style["fillColor"]}" stroke="{style["color"]}" stroke-width="1"/></svg>'
        )
    if geometry == "point":
        return (
            f'<svg width="24" height="14"><circle cx="12" cy="7" r="5" stroke="{style["color"]}" '
            f'stroke-width="1.5" fill="{style["fillColor"]}" '
            f'fill-opacity="{style["fillOpacity"]}"{dash}/></svg>'
        )
    return (
        f'<svg width="24" height="14"><line x1="1" y1="7" x2="23" y2="7" stroke="{style["color"]}" '
        f'stroke-width="{min(style["weight"], 4)}"{dash}/></svg>'
    )


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
        Inline Leaflet and leave out every tile basemap, so that no request leaves the page.
    tianditu_key
        A Tianditu key; adds the Tianditu basemap (online only).
    """
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_control=True)
    # Only Leaflet is needed: the controls are inline. Offline, Leaflet is inlined too.
    fmap.default_js = [] if offline else [("leaflet", LEAFLET_JS_URL)]
    fmap.default_css = [] if offline else [("leaflet_css", LEAFLET_CSS_URL)]
    if offline:
        root = fmap.get_root()
        assert isinstance(root, Figure)
        root.header.add_child(Element(inline_leaflet()), name="leaflet_inline", index=0)

    # An empty group as the "no tiles" base layer: a blank tile layer would still lay out a grid.
    blank = folium.FeatureGroup(name=NO_TILES, overlay=False, show=offline)
    gcj_names = []
    if not offline:
        for number, base in enumerate(
            basemaps(tianditu_key=tianditu_key or os.environ.get("TIANDITU_KEY"))
        ):
            folium.TileLayer(
                tiles=base.url,
                attr=base.attribution,
                name=base.name,
                subdomains=base.subdomains,
                show=number == 0,
                overlay=False,
            ).add_to(fmap)
            if base.overlay_url:
                folium.TileLayer(
                    tiles=base.overlay_url, attr=base.attribution, name=f"{base.name} 注记 labels",
                    subdomains=base.subdomains, overlay=True, show=False,
                ).add_to(fmap)  # fmt: skip
            if base.gcj02:
                gcj_names.append(base.name)
    blank.add_to(fmap)

    # Set the view before any layer is added, so that Leaflet draws the data once.
    fitted = [_filtered(layers[e.layer], e) for e in definition.layers if e.layer in definition.fit]
    fit = pd.concat(fitted) if fitted else None
    lon_min, lat_min, lon_max, lat_max = (
        fit.total_bounds if fit is not None and len(fit) else settings.region_bounds
    )
    fmap.fit_bounds([[lat_min, lon_min], [lat_max, lon_max]], padding=(20, 20))

    for entry in definition.layers:
        frame = layers[entry.layer]
        group = folium.FeatureGroup(name=escape(entry.label), show=entry.show).add_to(fmap)
        data = display_features(frame, entry)
        group.add_child(_GeoJsonGroup(data, entry=entry, timeline=definition.timeline))

    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    options = {
        "title": escape(f"{definition.title_zh} · {definition.title_en}"),
        "legend": _legend_html(definition, layers),
        "search": any(entry.searchable for entry in definition.layers),
        "timeline": list(TIMELINE_YEARS) if definition.timeline else None,
        "gcjBasemaps": gcj_names,
        "credit": escape(settings.attribution),
    }
    fmap.add_child(_Controls(options))
    return fmap


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
    for definition in read_definitions(maps_dir):
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
        log(f"wrote map {target} ({len(html) / 1e6:.2f} MB{', offline' if offline else ''})")
        written.append(target)
    return written
