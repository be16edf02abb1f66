"""The palette stays legible for colour-blind readers, and the QML follows it."""

from __future__ import annotations

import csv
import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from geo import settings
from geo.outputs._styles import LINE_COLORS, REACH_ORIGIN_COLORS, RGB, STYLES, qml

#: Machado, Oliveira and Fernandes (2009) simulation of deuteranopia (full severity), the model
#: colorspacious implements.
DEUTERANOPIA = {"name": "sRGB1+CVD", "cvd_type": "deuteranomaly", "severity": 100}
#: Smallest perceptual difference (CAM02-UCS ΔE) kept under deuteranopia between line colours,
#: and between things that must never be confused (rail and road, hub and airport).
MIN_LINES = 14.0
MIN_APART = 25.0


def _seen_by_deuteranope(color: RGB) -> np.ndarray:
    simulated = cspace_convert(np.array(color) / 255, DEUTERANOPIA, "sRGB1")
    return np.clip(simulated, 0, 1)


def deuteranope_difference(first: RGB, second: RGB) -> float:
    """Perceptual distance of two colours as a deuteranope sees them (CAM02-UCS ΔE)."""
    return float(
        deltaE(_seen_by_deuteranope(first), _seen_by_deuteranope(second), input_space="sRGB1")
    )


def test_the_simulation_merges_red_and_green():
    # The check itself can fail: a red and a green far apart for most readers look alike.
    red, green = (200, 60, 50), (90, 150, 40)
    assert deltaE(np.array(red) / 255, np.array(green) / 255, input_space="sRGB1") > 30
    assert deuteranope_difference(red, green) < MIN_LINES


def test_every_line_has_its_own_colour_under_deuteranopia():
    assert len(set(LINE_COLORS.values())) == len(LINE_COLORS) >= 6
    for (a, first), (b, second) in itertools.combinations(LINE_COLORS.items(), 2):
        assert deuteranope_difference(first, second) >= MIN_LINES, (a, b)


def test_rail_stays_apart_from_expressways_under_deuteranopia():
    roads = {symbol.color for symbol in STYLES["expressways"].categories.values()}
    for road in roads:
        for line, color in LINE_COLORS.items():
            assert deuteranope_difference(road, color) >= MIN_APART, line


def test_hubs_do_not_look_like_airports_under_deuteranopia():
    airports = {s.fill for s in STYLES["airports"].categories.values() if s.fill != (255,) * 3}
    hubs = STYLES["logistics_hubs"].categories
    assert airports
    for airport in airports:
        assert airport is not None
        for kind, hub in hubs.items():
            assert hub.fill is not None
            assert deuteranope_difference(airport, hub.fill) >= MIN_APART, kind
            assert hub.marker != "star", kind


def test_corridor_modes_stay_apart_under_deuteranopia():
    modes = STYLES["corridor_routes"].categories
    for (a, first), (b, second) in itertools.combinations(modes.items(), 2):
        assert deuteranope_difference(first.color, second.color) >= MIN_LINES, (a, b)


@pytest.mark.parametrize(
    ("status", "dash"),
    [("operating", "solid"), ("under_construction", "dash"), ("planned", "dot")],
)
def test_a_line_takes_its_colour_from_the_line_and_its_dash_from_the_status(status, dash):
    symbol = STYLES["rail_lines"].symbol({"line_id": "cdw", "status": status})
    assert symbol.color == LINE_COLORS["cdw"] and symbol.dash == dash
    other = STYLES["rail_lines"].symbol({"line_id": "not_a_line", "status": status})
    assert other.color not in LINE_COLORS.values() and other.dash == dash


def test_the_qml_categorises_rail_lines_by_line_and_status():
    root = ET.fromstring(qml("rail_lines").split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert renderer.get("attr") == 'concat("line_id", \'|\', "status")'
    categories = {c.get("value"): c.get("symbol") for c in renderer.iter("category")}
    assert {"cdw|operating", "yk|under_construction", "zy|planned", ""} <= set(categories)
    colors = {}
    for symbol in renderer.iter("symbol"):
        options = {o.get("name"): o.get("value") for o in symbol.iter("Option")}
        colors[symbol.get("name")] = (options["line_color"], options["line_style"])
    red, green, blue = LINE_COLORS["yk"]
    assert colors[categories["yk|under_construction"]] == (f"{red},{green},{blue},255", "dash")


def test_reach_rings_of_each_origin_differ_under_deuteranopia():
    colors = list(REACH_ORIGIN_COLORS.values())
    assert len(colors) >= 2
    for first, second in itertools.combinations(colors, 2):
        assert deuteranope_difference(first, second) >= MIN_APART
    chengdu = STYLES["rail_reach"].symbol({"origin": "成都东", "ring": "120 min"})
    # Two hours: the origin's outline alone; one hour: filled, so no two fills mix into olive.
    assert chengdu.color == REACH_ORIGIN_COLORS["成都东"] and chengdu.fill is None
    hour = STYLES["rail_reach"].symbol({"origin": "成都东", "ring": "60 min"})
    assert hour.fill == REACH_ORIGIN_COLORS["成都东"]


def test_every_line_of_the_layer_has_its_own_colour():

    with (settings.layers_dir / "rail_lines.csv").open(encoding="utf-8") as handle:
        line_ids = {row["line_id"] for row in csv.DictReader(handle)}
    colors = STYLES["rail_lines"].colors
    assert line_ids <= set(colors), f"lines drawn in the fallback colour: {line_ids - set(colors)}"


def test_every_layer_an_output_may_hold_has_a_style():
    from geo.sources._schema import ALL_SPECS

    assert set(STYLES) == set(ALL_SPECS)
