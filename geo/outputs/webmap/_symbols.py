"""Leaflet path options from the shared symbols of ``geo.outputs._styles`` (QGIS draws them too)."""

from __future__ import annotations

from typing import Any

from geo.outputs._styles import STYLES, Symbol


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
        "opacity": 1.0,
        "dashArray": _DASH[symbol.dash],
        "fill": symbol.fill is not None,
        "fillColor": _hex(symbol.fill) if symbol.fill else None,
        "fillOpacity": symbol.fill_opacity if symbol.fill else 0.0,
        "lineCap": "round",
    }


def _symbol_for(layer: str, value: object) -> Symbol:
    style = STYLES[layer]
    return style.categories.get(str(value), style.default)
