"""Leaflet path options from the shared symbols of ``geo._styles`` (those QGIS draws too)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from geo._styles import OKABE_ITO, STYLES, Symbol


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


#: Colours of the origins of the reach rings, in the order the origins first appear (Okabe & Ito,
#: apart from the rings' purple-free line colours): the rings of two origins never share one.
ORIGIN_COLORS: tuple[tuple[int, int, int], ...] = (
    OKABE_ITO["vermillion"],
    OKABE_ITO["blue"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
)


def origin_colors(origins: Iterable[object]) -> dict[str, tuple[int, int, int]]:
    """A colour per origin, in the order the origins first appear (cycling past six)."""
    unique = list(dict.fromkeys(str(origin) for origin in origins))
    return {origin: ORIGIN_COLORS[i % len(ORIGIN_COLORS)] for i, origin in enumerate(unique)}


def feature_symbol(
    layer: str,
    row: Mapping[str, object],
    *,
    origins: Mapping[str, tuple[int, int, int]] | None = None,
) -> Symbol:
    """A feature's symbol: its layer's style (a rail line in its line's colour), and a reach
    ring in its origin's colour when ``origins`` is given."""
    symbol = STYLES[layer].symbol(row)
    color = (origins or {}).get(str(row.get("origin")))
    if color is None:
        return symbol
    return replace(symbol, color=color, fill=color if symbol.fill is not None else None)
