"""Page elements: the JSON data blocks, the groups' and controls' scripts, and the assets.

Text is data: folium renders every element's script as a Jinja template (twice), so no name,
title or figure ever enters a template. The page's data travels in ``<script
type="application/json">`` blocks added after rendering (:class:`_Raw`), escaped for HTML, and
the controls put it on the page through ``textContent``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from branca.element import Element, MacroElement
from jinja2 import Template

from geo.outputs._styles import STYLES
from geo.sources._schema import ALL_SPECS
from geo.sources.mapdefs import MapLayer

_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: object) -> str:
    # JSON inside <script>: "</script>" or "<!--" in a feature's text must not end the script.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_SCRIPT_ESCAPES)


class RawElement(Element):
    """Markup written by this module, put into the page as it is: never rendered as a template."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "ChengyuRaw"
        self._html = html

    def render(self, **kwargs: Any) -> str:
        """Return the markup itself: unlike an ``Element``, no Jinja sees it."""
        return self._html


def json_block(element_id: str, value: object) -> RawElement:
    """Return a ``<script type="application/json">`` block: how data reaches the page."""
    return RawElement(
        f'<script type="application/json" id="{element_id}">{script_json(value)}</script>'
    )


def pane_of(layer: str) -> str:
    """Return the pane a layer is drawn in: its geometry kind, ``outline`` for unfilled areas.

    Boundaries stay a backdrop in the areas' pane, under every fill's subject.
    """
    geometry = ALL_SPECS[layer].geometry
    if layer == "admin_areas":
        return geometry
    style = STYLES[layer]
    symbols = [*style.categories.values(), style.default]
    if geometry == "polygon" and all(symbol.fill is None for symbol in symbols):
        return "outline"
    return geometry


class GeoJsonGroup(MacroElement):
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
var {{ this.get_name() }}_pane = chengyuPane(
    {{ this._parent._parent.get_name() }}, {{ this.pane|tojson }});
var {{ this.get_name() }}_options = {
    pane: {{ this.get_name() }}_pane,
    // Areas on a canvas: hundreds of county outlines draw faster than as SVG paths.
    renderer: chengyuRenderer({{ this._parent._parent.get_name() }}, {{ this.get_name() }}_pane),
    style: function (f) { return f.properties._s; },
    pointToLayer: function (f, latlng) {
        var style = L.extend({pane: {{ this.get_name() }}_pane}, f.properties._s);
        return L.circleMarker(latlng, style);
    },
    onEachFeature: function (f, layer) {
        var p = f.properties;
        if (p._p) {
            layer.bindPopup(function () { return chengyuPopup(p._p); }, chengyuPopupOptions);
        }
        if (p._t) {
            var tip = function () { return document.createTextNode(p._t); };
            layer.bindTooltip(tip, {sticky: true});
        }
    }
};
var {{ this.get_name() }} = L.geoJSON({{ this.get_name() }}_data, {{ this.get_name() }}_options)
    .addTo({{ this._parent.get_name() }});
(window.chengyuLayers = window.chengyuLayers || []).push({
    group: {{ this._parent.get_name() }}, wgs: {{ this.get_name() }}, gcj: null,
    data: {{ this.get_name() }}_data, options: {{ this.get_name() }}_options,
    timeline: {{ this.timeline|tojson }}, searchable: {{ this.searchable|tojson }},
    label: {{ this.get_name() }}_block.label
});
chengyuLabelsRefresh();
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
        super().__init__()  # type: ignore[no-untyped-call]  # folium is untyped
        self._name = "ChengyuGeoJson"
        # The id of the group's JSON block (its label and GeoJSON), parsed when it is drawn.
        self.data_id = data_id
        self.timeline = timeline
        self.searchable = entry.searchable
        self.defer = entry.defer
        self.show = entry.show
        # Its geometry kind names its pane: polygons under lines, lines under points; areas
        # drawn as outlines alone (catchment rings) above the filled ones, with a halo.
        self.pane = pane_of(entry.layer)


CONTROLS_JS = (Path(__file__).parent / "controls.js").read_text(encoding="utf-8")


CONTROLS_CSS = (Path(__file__).parent / "controls.css").read_text(encoding="utf-8")


CONTROLS_ID = "chengyu-controls"


class Controls(MacroElement):
    """Title, legend, layer control, search, timeline and the GCJ-02 swap (options as JSON)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
chengyuControls({{ this._parent.get_name() }}, chengyuData({{ this.options_id|tojson }}));
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # folium is untyped
        self._name = "ChengyuControls"
        self.options_id = CONTROLS_ID
