"""How each layer looks: one definition, rendered as QGIS QML, web-map styles and figures.

Colours come from the colour-blind-safe palette of Okabe and Ito (2008): one colour per rail
line, status shown by dash (operating solid, under construction dashed, planned dotted),
expressways in a dark grey that stays apart from every line colour, hubs in warm colours and
airports in blue. ``tests/test_styles.py`` checks the pairs that must stay apart under a
simulated deuteranopia.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from geo.outputs._vocabulary import bilingual_label
from geo.sources._schema import ALL_SPECS

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Symbol:
    """One symbol: a line, a point marker or a polygon outline.

    Attributes
    ----------
    color
        Stroke (line, outline) or fill (marker) colour.
    width_mm
        Line width, marker outline width or polygon outline width.
    dash
        ``solid``, ``dash`` or ``dot`` (QGIS line styles).
    marker
        QGIS simple-marker shape for points.
    size_mm
        Marker size.
    fill
        Marker fill; ``None`` for a hollow marker or an unfilled polygon.
    fill_opacity
        Opacity of a polygon's fill: low for areas drawn over others, high for a choropleth.
    """

    color: RGB
    width_mm: float = 0.6
    dash: str = "solid"
    marker: str = "circle"
    size_mm: float = 2.6
    fill: RGB | None = None
    fill_opacity: float = 0.35


@dataclass(frozen=True)
class LayerStyle:
    """A layer's look: symbols by the value of one field, a fallback, and a label field.

    Attributes
    ----------
    attribute
        The field whose value picks the symbol (its dash, marker and width).
    categories
        Symbol per value of ``attribute``.
    default
        Symbol of any other value.
    label
        Field labelled on the map, if any.
    color_by
        A second field whose value picks the colour (``line_id``: one colour per line); the
        symbol's dash, marker and width still come from ``attribute``.
    colors
        Colour per value of ``color_by``; other values keep the category's colour.
    """

    attribute: str
    categories: dict[str, Symbol]
    default: Symbol
    label: str | None = None
    color_by: str | None = None
    colors: dict[str, RGB] = field(default_factory=dict)

    def symbol(self, row: Mapping[str, object]) -> Symbol:
        """Return the symbol of one feature (a row or a mapping of its fields)."""
        symbol = self.categories.get(str(row.get(self.attribute)), self.default)
        if self.color_by is None:
            return symbol
        color = self.colors.get(str(row.get(self.color_by)))
        if color is None:
            return symbol
        return replace(symbol, color=color, fill=color if symbol.fill is not None else None)

    def drawn_symbol(self, row: Mapping[str, object]) -> Symbol:
        """Return :meth:`symbol`, thinner where the line is drawn as straight station chords."""
        symbol = self.symbol(row)
        if row.get("geometry_source") in SCHEMATIC_SOURCES:
            return replace(symbol, width_mm=round(symbol.width_mm * SCHEMATIC_WIDTH_SHARE, 2))
        return symbol

    def classes(self) -> list[tuple[str, str, Symbol]]:
        """Every class as (value, label, symbol); values are ``color|attribute`` if ``color_by``.

        The last class is the fallback (value ``""``).
        """
        classes = []
        for value, symbol in self.categories.items():
            if self.color_by is None:
                classes.append((value, value.replace("_", " "), symbol))
                continue
            for key in self.colors:
                row = {self.color_by: key, self.attribute: value}
                label = f"{key} {value.replace('_', ' ')}"
                classes.append((f"{key}|{value}", label, self.symbol(row)))
        return [*classes, ("", "other", self.default)]

    @property
    def expression(self) -> str:
        """What QGIS categorises by: the field, or ``color_by|attribute`` as an expression."""
        if self.color_by is None:
            return self.attribute
        return f'concat("{self.color_by}", \'|\', "{self.attribute}")'


#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart by people with
#: every common colour-vision deficiency.
OKABE_ITO: dict[str, RGB] = {
    "orange": (230, 159, 0),
    "sky_blue": (86, 180, 233),
    "bluish_green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "blue": (0, 114, 178),
    "vermillion": (213, 94, 0),
    "reddish_purple": (204, 121, 167),
    "black": (0, 0, 0),
}

#: One colour per rail line (``line_id``); a line not listed is drawn in dark red.
LINE_COLORS: dict[str, RGB] = {
    "cdw": OKABE_ITO["vermillion"],  # 成达万
    "yk": OKABE_ITO["blue"],  # 渝昆
    "cy": OKABE_ITO["bluish_green"],  # 成渝
    "cyzx": OKABE_ITO["orange"],  # 成渝中线
    "xy": OKABE_ITO["reddish_purple"],  # 西渝
    "zy": OKABE_ITO["sky_blue"],  # 郑渝
}
#: The region's other lines (not named by the report): one quiet slate, so the report's lines
#: stay the subject and 34 lines do not become 34 colours; they are told apart by their labels.
CONTEXT_LINES: tuple[str, ...] = (
    "cyb", "cml", "cg", "xc", "cs", "dc", "sy", "ly", "yg", "yl", "yx", "yw2", "cya", "cn", "chq",
    "cgj", "cgp", "hbn", "dcn", "dcd", "msn", "ckx", "yyc", "cqdh", "cqdhj", "ygn",
)  # fmt: skip
_CONTEXT = (112, 128, 144)
#: The one legend entry of ``CONTEXT_LINES`` (their names stand beside them on the map).
CONTEXT_LEGEND = "成渝地区其他铁路 Other railways of the region (≥ 160 km/h)"
#: Reach rings by origin (``settings.reach_origins``): apart from each other for every reader.
REACH_ORIGIN_COLORS: dict[str, RGB] = {
    "成都东": OKABE_ITO["orange"],
    "重庆北": OKABE_ITO["blue"],
}
#: ``origin`` of the area reached from both origins within one time, which the maps cut out of
#: each origin's fill and draw in a colour of its own (not orange and blue mixed into olive).
REACH_BOTH = "both"
REACH_BOTH_COLOR: RGB = OKABE_ITO["reddish_purple"]
#: A line not in ``LINE_COLORS`` (and every line where a renderer ignores ``color_by``, as the
#: web maps did before the palette): the project's former rail red.
_RAIL = (178, 34, 34)
#: Lines drawn in the colour of the project they belong to (the 樊哙–开州–万州北 connector is
#: part of the 西渝 project).
LINE_PARTS: dict[str, str] = {"xyw": "xy", "cqn": "cy", "cqw": "cy"}
#: Expressways: dark grey, apart from every line colour even under deuteranopia.
_ROAD = (68, 68, 68)
_STATION = (33, 33, 33)
_AIRPORT = OKABE_ITO["blue"]
#: A proposal's features stand out in magenta over a grey base network (``chengyu scenario``).
_PROPOSAL = (194, 24, 91)
_GREY = (150, 150, 150)
#: Coverage fills: light enough that a line, a ring or a label over them keeps a contrast of 3:1.
_COVERED_NONE = (247, 246, 243)
_COVERED_PART = (232, 245, 239)
_COVERED_MOST = (208, 236, 224)
#: How a line is drawn, by ``geometry_source``: straight chords between stations are drawn at
#: this share of the width, so nobody takes them for the track (OpenRailwayMap users compare).
SCHEMATIC_SOURCES: tuple[str, ...] = ("schematic_station_chain",)
SCHEMATIC_WIDTH_SHARE = 0.75
_STATUS_DASH = {
    "operating": "solid",
    "under_construction": "dash",
    "planned": "dot",
    "reserved": "dot",
    "junction": "dot",
}


def _station_style(size_mm: float) -> LayerStyle:
    """White stations with a dark ring whose dash says the status; planned ones smaller, grey."""
    white = (255, 255, 255)
    minor = Symbol((110, 110, 110), 0.4, "dot", fill=white, size_mm=round(size_mm - 0.2, 1))
    return LayerStyle(
        "status",
        {
            "operating": Symbol(_STATION, 0.5, fill=white, size_mm=size_mm),
            "under_construction": Symbol(_STATION, 0.5, "dash", fill=white, size_mm=size_mm),
            "planned": minor,
            "reserved": minor,
            "junction": minor,
        },
        Symbol(_STATION, 0.5, fill=white, size_mm=size_mm),
        label="name_zh",
    )


STYLES: dict[str, LayerStyle] = {
    "rail_lines": LayerStyle(
        "status",
        {status: Symbol(_RAIL, 1.2, dash) for status, dash in _STATUS_DASH.items()},
        Symbol(_RAIL, 1.2),
        label="name_zh",
        color_by="line_id",
        colors={
            **LINE_COLORS,
            **{part: LINE_COLORS[line] for part, line in LINE_PARTS.items()},
            **dict.fromkeys(CONTEXT_LINES, _CONTEXT),
        },
    ),
    # Stations as on a metro map: white with a dark ring; the ring's dash says the status.
    "rail_stations": _station_style(2.2),
    # One point per physical station, a little larger than a line's stop.
    "stations": _station_style(2.4),
    # Hubs and ports warm (orange, vermillion, yellow), airports blue: apart by hue and shape.
    "logistics_hubs": LayerStyle(
        "kind",
        {
            "national_hub": Symbol(
                (60, 40, 0), 0.4, marker="square", size_mm=3.4, fill=OKABE_ITO["orange"]
            ),
            "rail_port": Symbol(
                (60, 20, 0), 0.4, marker="diamond", size_mm=3.8, fill=OKABE_ITO["vermillion"]
            ),
            "river_port": Symbol(
                (60, 60, 0), 0.4, marker="circle", size_mm=3.2, fill=OKABE_ITO["yellow"]
            ),
            "sea_port": Symbol(
                (60, 60, 0), 0.4, marker="triangle", size_mm=3.6, fill=OKABE_ITO["yellow"]
            ),
        },
        Symbol((60, 40, 0), 0.4, fill=OKABE_ITO["orange"]),
        label="name_zh",
    ),
    "airports": LayerStyle(
        "status",
        {
            status: Symbol(
                (0, 40, 80),
                0.4,
                dash,
                marker="star",
                size_mm=4.2,
                fill=_AIRPORT if status == "operating" else (255, 255, 255),
            )
            for status, dash in _STATUS_DASH.items()
        },
        Symbol((0, 40, 80), 0.4, marker="star", size_mm=4.2, fill=(255, 255, 255)),
        label="name_zh",
    ),
    "corridor_routes": LayerStyle(
        "mode",
        {
            "rail": Symbol(OKABE_ITO["vermillion"], 1.4),
            "sea": Symbol(OKABE_ITO["blue"], 1.4, "dash"),
            "river": Symbol(OKABE_ITO["sky_blue"], 1.4, "dash"),
            "road": Symbol(_ROAD, 1.4),
        },
        Symbol(_ROAD, 1.0),
        label="service_name_en",
    ),
    "rail_times": LayerStyle(
        "train",
        {},
        Symbol((255, 111, 0), 1.2, "dot"),
        label="minutes",
    ),
    "expressways": LayerStyle(
        "status",
        {status: Symbol(_ROAD, 0.7, dash) for status, dash in _STATUS_DASH.items()},
        Symbol(_ROAD, 0.7),
        label="name_zh",
    ),
    "route_lengths": LayerStyle(
        "mode",
        {
            "rail": Symbol(OKABE_ITO["vermillion"], 1.0),
            "sea": Symbol(OKABE_ITO["blue"], 1.0, "dash"),
            "river": Symbol(OKABE_ITO["sky_blue"], 1.0, "dash"),
            "road": Symbol(_ROAD, 0.8),
        },
        Symbol(_ROAD, 0.8),
        label="length_km",
    ),
    # Light fills in three steps (none, partly, mostly covered): the lines, stations and rings
    # drawn over them are the subject, and 116 of 221 counties fall in the top class. Classes
    # that share a symbol share one legend entry ("不足75% under 75 %").
    "station_coverage": LayerStyle(
        "covered_class",
        {
            "none": Symbol((200, 200, 200), 0.1, fill=_COVERED_NONE, fill_opacity=0.85),
            "under_25pct": Symbol((190, 190, 190), 0.1, fill=_COVERED_PART, fill_opacity=0.85),
            "25_50pct": Symbol((190, 190, 190), 0.1, fill=_COVERED_PART, fill_opacity=0.85),
            "50_75pct": Symbol((190, 190, 190), 0.1, fill=_COVERED_PART, fill_opacity=0.85),
            "75pct_plus": Symbol((190, 190, 190), 0.1, fill=_COVERED_MOST, fill_opacity=0.85),
        },
        Symbol((200, 200, 200), 0.1, fill=_COVERED_NONE),
        label="name_zh",
    ),
    "station_catchments": LayerStyle(
        "ring",
        {
            "5 km": Symbol((8, 81, 156), 0.6),
            "10 km": Symbol((33, 113, 181), 0.5, "dash"),
            "30 km": Symbol((66, 146, 198), 0.5, "dot"),
        },
        Symbol((90, 90, 90), 0.4),
    ),
    # Reach rings: the colour says the origin; the time, filled or not. One hour is a light
    # tint with a thin outline, two hours an outline alone, so each outline stays in its
    # origin's colour. Where the two origins' one-hour tints overlap, the maps draw the overlap
    # as an area of its own (``REACH_BOTH``), so no two fills mix into olive.
    "rail_reach": LayerStyle(
        "ring",
        {
            "60 min": Symbol((84, 39, 143), 0.4, fill=(158, 154, 200), fill_opacity=0.3),
            "120 min": Symbol((84, 39, 143), 0.9),
        },
        Symbol((90, 90, 90), 0.4),
        color_by="origin",
        colors={**REACH_ORIGIN_COLORS, REACH_BOTH: REACH_BOTH_COLOR},
    ),
    "station_access": LayerStyle(
        "ring",
        {
            "30 min": Symbol((140, 81, 10), 0.5, fill=(223, 194, 125)),
            "60 min": Symbol((191, 129, 45), 0.4, "dash", fill=(246, 232, 195)),
        },
        Symbol((90, 90, 90), 0.4),
    ),
    "scenario_network": LayerStyle(
        "role",
        {"base": Symbol(_GREY, 0.8), "proposal": Symbol(_PROPOSAL, 1.6)},
        Symbol(_GREY, 0.8),
        label="name_zh",
    ),
    "scenario_stations": LayerStyle(
        "role",
        {
            "base": Symbol(_GREY, 0.3, size_mm=2.0, fill=(255, 255, 255)),
            "reused": Symbol(_PROPOSAL, 0.5, size_mm=3.0, fill=(255, 255, 255)),
            "proposal": Symbol(_PROPOSAL, 0.5, size_mm=3.0, fill=_PROPOSAL),
        },
        Symbol(_GREY, 0.3, size_mm=2.0, fill=(255, 255, 255)),
        label="name_zh",
    ),
    "scenario_catchments": LayerStyle(
        "part",
        {
            "base": Symbol(_GREY, 0.3, "dash"),
            "gained": Symbol(_PROPOSAL, 0.4, fill=(244, 143, 177)),
        },
        Symbol(_GREY, 0.3),
    ),
    "scenario_counties": LayerStyle(
        "change",
        {
            "newly_served": Symbol((200, 200, 200), 0.1, fill=(255, 224, 130)),
            "more_covered": Symbol((200, 200, 200), 0.1, fill=(255, 243, 205)),
        },
        Symbol((200, 200, 200), 0.1, fill=(247, 247, 247)),
        label="name_zh",
    ),
    "admin_areas": LayerStyle(
        "level",
        {
            "province": Symbol((60, 60, 60), 0.8),
            "prefecture": Symbol((110, 110, 110), 0.4, "dash"),
            "county": Symbol((170, 170, 170), 0.15),
            "zone": Symbol((170, 170, 170), 0.15, "dot"),
        },
        Symbol((170, 170, 170), 0.15),
    ),
}

_QGIS_VERSION = "3.28.0"


def _option(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "Option", {"type": "QString", "name": name, "value": value})


def _rgba(color: RGB | None) -> str:
    return "0,0,0,0" if color is None else f"{color[0]},{color[1]},{color[2]},255"


def _symbol_element(symbol: Symbol, geometry: str, name: str) -> ET.Element:
    kind = {"point": "marker", "line": "line", "polygon": "fill"}[geometry]
    element = ET.Element(
        "symbol",
        {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    layer_class = {"marker": "SimpleMarker", "line": "SimpleLine", "fill": "SimpleFill"}[kind]
    layer = ET.SubElement(
        element, "layer", {"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"}
    )
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    if kind == "line":
        _option(options, "line_color", _rgba(symbol.color))
        _option(options, "line_style", symbol.dash)
        _option(options, "line_width", str(symbol.width_mm))
        _option(options, "line_width_unit", "MM")
        _option(options, "capstyle", "round")
        _option(options, "joinstyle", "round")
    elif kind == "marker":
        _option(options, "name", symbol.marker)
        _option(options, "color", _rgba(symbol.fill))
        _option(options, "outline_color", _rgba(symbol.color))
        _option(options, "outline_style", symbol.dash)
        _option(options, "outline_width", str(symbol.width_mm))
        _option(options, "outline_width_unit", "MM")
        _option(options, "size", str(symbol.size_mm))
        _option(options, "size_unit", "MM")
    else:
        fill = _rgba(symbol.fill)
        if symbol.fill is not None:
            # Areas drawn over others stay see-through, as on the web maps.
            fill = f"{fill.rsplit(',', 1)[0]},{round(255 * symbol.fill_opacity)}"
        _option(options, "color", fill)
        _option(options, "style", "solid" if symbol.fill else "no")
        _option(options, "outline_color", _rgba(symbol.color))
        _option(options, "outline_style", symbol.dash)
        _option(options, "outline_width", str(symbol.width_mm))
        _option(options, "outline_width_unit", "MM")
    return element


#: Layers that hold today and after on top of each other (``scenario``): styled apart in QGIS.
SCENARIO_LAYERS: tuple[str, ...] = ("station_catchments", "rail_reach", "station_access")
#: Today's rings in QGIS: an unfilled dark outline drawn over after's filled rings.
_TODAY = (40, 40, 40)


def _present(frame: pd.DataFrame, columns: list[str]) -> set[str]:
    """Return the category values the features of ``frame`` have (``a|b`` for two columns)."""
    if not len(frame) or any(column not in frame.columns for column in columns):
        return set()
    text = [frame[column].astype(str) for column in columns]
    joined = text[0]
    for part in text[1:]:
        joined = joined + "|" + part
    return set(joined)


def _classes_of(
    layer: str, frame: pd.DataFrame | None
) -> tuple[str, list[tuple[str, str, Symbol]], bool]:
    """Return the expression, the classes (value, label, symbol) and whether today is apart.

    Without ``frame`` every class the style knows; with it only those some feature has, and
    the fallback only if a feature matches no other class.
    """
    style = STYLES[layer]
    classes = style.classes()
    expression = style.expression
    if frame is None:
        return expression, classes, False
    names: dict[str, str] = {}
    if style.color_by and "name_zh" in frame.columns:
        first = frame.drop_duplicates(style.color_by)
        names = {
            str(k): str(n) for k, n in zip(first[style.color_by], first["name_zh"], strict=True)
        }
    columns = [style.attribute] if style.color_by is None else [style.color_by, style.attribute]
    worded = []
    for value, _, symbol in classes[:-1]:
        if style.color_by is None:
            label = bilingual_label(value)
        else:
            key, _, category = value.partition("|")
            label = f"{names.get(key, key)} · {bilingual_label(category)}"
        worded.append((value, label, symbol))
    apart = layer in SCENARIO_LAYERS and "scenario" in frame.columns
    if apart:
        inner = expression if style.color_by else _field(style.attribute)
        expression = f"concat(\"scenario\", '|', {inner})"
        scenario_classes = []
        for scenario in ("after", "today"):
            for value, label, symbol in worded:
                if scenario == "today":
                    symbol = replace(
                        symbol, color=_TODAY, fill=None, width_mm=symbol.width_mm + 0.2
                    )
                scenario_classes.append(
                    (f"{scenario}|{value}", f"{bilingual_label(scenario)} · {label}", symbol)
                )
        worded = scenario_classes
        columns = ["scenario", *columns]
    present = _present(frame, columns)
    kept = [entry for entry in worded if entry[0] in present]
    if present - {value for value, _, _ in kept}:
        kept.append(("", "其他 other", style.default))
    return expression, kept, apart


def _field(name: str) -> str:
    """Return a field as a QGIS expression: its name in double quotes."""
    return f'"{name}"'


def qml(layer: str, frame: pd.DataFrame | None = None) -> str:
    """Return the QGIS style (QML document) of a layer: categorised symbols and labels.

    Parameters
    ----------
    layer
        A layer name.
    frame
        The layer's features: the style then lists only the categories they have, labelled in
        words (``成达万高铁 · 在建 under construction``), and in the layers that hold today and
        after (``SCENARIO_LAYERS``) styles today's rings apart, unfilled and drawn on top.
    """
    style = STYLES[layer]
    geometry = ALL_SPECS[layer].geometry
    expression, classes, apart = _classes_of(layer, frame)
    root = ET.Element("qgis", {"version": _QGIS_VERSION, "styleCategories": "Symbology|Labeling"})
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        {
            "type": "categorizedSymbol",
            "attr": expression,
            "symbollevels": "0",
            "enableorderby": "1" if apart else "0",
            "forceraster": "0",
        },
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (value, label, symbol) in enumerate(classes):
        ET.SubElement(
            categories,
            "category",
            {
                "render": "true",
                "symbol": str(index),
                "value": value,
                "label": label,
                "type": "string",
            },
        )
        symbols.append(_symbol_element(symbol, geometry, str(index)))
    if apart:
        # Today last, so its outline shows over after's filled ring that contains it.
        order = ET.SubElement(renderer, "orderby")
        clause = ET.SubElement(order, "orderByClause", {"asc": "1", "nullsFirst": "0"})
        clause.text = "\"scenario\" = 'today'"
    if style.label:
        labeling = ET.SubElement(root, "labeling", {"type": "simple"})
        settings = ET.SubElement(labeling, "settings", {"calloutType": "simple"})
        ET.SubElement(
            settings,
            "text-style",
            {
                "fieldName": style.label,
                "fontSize": "8",
                "fontSizeUnit": "Point",
                "textColor": "40,40,40,255",
                "isExpression": "0",
            },
        )
        ET.SubElement(
            settings,
            "text-buffer",
            {"bufferDraw": "1", "bufferSize": "0.8", "bufferColor": "255,255,255,255"},
        )
        placement = {"point": "6", "line": "2", "polygon": "0"}[geometry]
        ET.SubElement(settings, "placement", {"placement": placement, "dist": "1"})
        ET.SubElement(settings, "rendering", {"scaleVisibility": "0", "obstacle": "1"})
    ET.SubElement(root, "layerGeometryType").text = {"point": "0", "line": "1", "polygon": "2"}[
        geometry
    ]
    body = ET.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"
