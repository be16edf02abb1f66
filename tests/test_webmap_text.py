"""Text is data: template syntax and markup in every text field and map title, shown literally.

One build of a copy of ``layers/`` and ``maps/`` whose every free-text field carries one of the
payloads below: Jinja expressions and statements (one creating a file), an unclosed comment, a
script that closes the page's script, an HTML comment, quotes and backslashes.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tomllib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

import pytest

from geo import settings
from geo.outputs.browser import open_page
from geo.outputs.build import BuildResult, build
from geo.outputs.webmap import MapDefinition, MapLayer, load_map_definitions, make_map, script_json
from geo.sources._schema import LAYER_SPECS, LAYERS
from geo.sources.layers import load_layers

#: Text the build looks things up by, validated as such: not free text. Admin area names must
#: name a boundary; a timed train's stops are station ids.
_LOOKUP_FIELDS = {("admin_areas", "name_zh"), ("admin_areas", "province_zh")}
_LOOKUP_FIELDS |= {("admin_areas", "prefecture_zh"), ("rail_times", "stops")}
# A reference to another row's adcode: loading refuses one that names no row.
_LOOKUP_FIELDS |= {("admin_areas", "parent_adcode")}
# Lines and stations a train runs on to: loading refuses one that names no line or station.
_LOOKUP_FIELDS |= {("rail_lines", "through_running")}
_TITLE_KEYS = ("title_zh", "title_en", "label_zh", "label_en")
_JSON_BLOCK = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.DOTALL)


pytestmark = pytest.mark.usefixtures("shared_chromium")


def _payloads(marker: Path) -> list[str]:
    run = f"cycler.__init__.__globals__.os.system('touch {marker}')"
    return [
        "{{ 7*7 }}",
        "{% set x = 6*7 %}[{{ x }}]",
        "{# an unclosed comment",
        "</script><script>alert(1)</script>",
        "<!-- <img src=x onerror=alert(2)>",
        "quotes ' \" and \\ backslash \\n",
        "{{ " + run + " }}",
        "{% set y = " + run + " %}",
    ]


@dataclass
class HostileBuild:
    result: BuildResult
    marker: Path
    payloads: list[str]
    titles: dict[str, str]
    maps_dir: Path


def _with_payload(text: str, payloads: list[str]) -> str:
    # The same text always gets the same payload: a station named twice stays consistent.
    return f"{text} {payloads[zlib.crc32(text.encode()) % len(payloads)]}"


def _hostile_layers(folder: Path, payloads: list[str]) -> None:
    for spec in LAYERS:
        path = folder / spec.file_name
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            names = list(reader.fieldnames or [])
            rows = list(reader)
        free_text = [
            field.name
            for field in spec.fields
            if field.kind == "text"
            and field.vocabulary is None
            and (spec.name, field.name) not in _LOOKUP_FIELDS
        ]
        for row in rows:
            for name in free_text:
                if row.get(name):
                    row[name] = _with_payload(row[name], payloads)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def _hostile_maps(folder: Path, payloads: list[str]) -> None:
    pattern = re.compile(rf"^({'|'.join(_TITLE_KEYS)}) = .*$", re.MULTILINE)

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        value = tomllib.loads(match.group(0))[key]
        return f"{key} = {json.dumps(_with_payload(value, payloads), ensure_ascii=False)}"

    for path in folder.glob("*.toml"):
        path.write_text(pattern.sub(replace, path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileBuild]:
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / "template_ran"
    payloads = _payloads(marker)
    shutil.copytree(settings.layers_dir, folder / "layers")
    shutil.copytree(settings.maps_dir, folder / "maps")
    _hostile_layers(folder / "layers", payloads)
    _hostile_maps(folder / "maps", payloads)
    saved = settings.maps_dir, settings.reach_origins, settings.max_name_chars
    # The reach origins are found by station name, which now carries a payload: use their ids.
    settings.maps_dir, settings.reach_origins = folder / "maps", ("chengdu_dong", "chongqing_bei")
    # A payload holds this run's temporary path, so a long name (an expressway's, 84
    # characters) can pass the name limit by a few: the limit is tested in test_validate.
    settings.max_name_chars = 1000
    try:
        result = build(out_dir=folder / "out", layers_dir=folder / "layers", offline_maps=True)
        titles = {
            d.name: f"{d.title_zh} · {d.title_en}" for d in load_map_definitions(folder / "maps")
        }
        yield HostileBuild(result, marker, payloads, titles, folder / "maps")
    finally:
        settings.maps_dir, settings.reach_origins, settings.max_name_chars = saved


def test_the_build_succeeds_and_no_template_runs(hostile):
    assert sorted(path.stem for path in hostile.result.maps) == sorted(hostile.titles)
    assert not hostile.marker.exists()


def test_the_text_is_in_the_pages_only_as_json(hostile):
    for path in hostile.result.maps:
        html = path.read_text(encoding="utf-8")
        # The page's <title> holds the map's title as escaped text (checked here), the rest of
        # the text is in JSON blocks only.
        titles = re.findall(r"<title>(.*?)</title>", html, flags=re.S)
        assert titles == [escape(hostile.titles[path.stem], quote=False)], path.name
        outside = _JSON_BLOCK.sub("", re.sub(r"<title>.*?</title>", "", html, flags=re.S))
        for fragment in ("7*7", "6*7", "{#", "alert(", "cycler", "<!--", "src=x", "backslash"):
            assert fragment not in outside, (path.name, fragment)
        blocks = _JSON_BLOCK.findall(html)
        assert all("<" not in block and ">" not in block for block in blocks), path.name
        texts = "\n".join(json.dumps(json.loads(block), ensure_ascii=False) for block in blocks)
        # Each map's title reaches its page whole, as text.
        assert json.dumps(hostile.titles[path.stem], ensure_ascii=False) in texts


def _shown_texts(page, layers: list[str]) -> dict[str, tuple[str, list[str], str, str]]:
    """Per group of the given layers, of its first feature: the popup's text and the texts
    it was built from, the tooltip's text and the name it was built from."""
    texts = {}
    for index, label in enumerate(page.evaluate("window.chengyuLayers.map(e => e.label)")):
        if not any(name in label for name in layers):
            continue
        texts[label] = page.evaluate(
            """index => {
                const layer = window.chengyuLayers[index].wgs.getLayers()[0];
                const at = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
                layer.openPopup(at);
                // This popup's own element: the previous one may still be fading out.
                const popup = layer.getPopup().getElement().textContent;
                const p = layer.feature.properties;
                layer.openTooltip();
                const tooltip = layer.getTooltip().getElement().textContent;
                return [popup, [...p._p.h, ...p._p.r.flat()], tooltip, p._t];
            }""",
            index,
        )
    return texts


def test_the_text_shows_literally_in_the_browser(hostile):
    payloads, checked = hostile.payloads, 0
    for path in hostile.result.maps:
        definition = next(d for d in load_map_definitions(hostile.maps_dir) if d.name == path.stem)
        labels = [entry.label for entry in definition.layers]
        sources = [entry.label for entry in definition.layers if entry.layer in LAYER_SPECS]
        with open_page(path) as (page, report):
            page.wait_for_function("window.chengyuReady")
            assert page.locator(".chengyu-title").inner_text() == hostile.titles[path.stem]
            assert page.title() == hostile.titles[path.stem]  # the tab's title, as text
            # Groups hidden at first are in the legend too, shown when switched on.
            legend = page.locator(".chengyu-legend").text_content() or ""
            assert all(label in legend for label in labels)
            listed = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
            assert [text.strip() for text in listed] == labels
            # Each source feature's popup shows its text as it is: every source carries a payload.
            for label, (popup, texts, tooltip, name) in _shown_texts(page, sources).items():
                assert any(payload in popup for payload in payloads), (path.name, label, popup)
                assert all(text in popup for text in texts), (path.name, label, popup)
                assert tooltip == name, (path.name, label)
                checked += 1
            assert page.locator(".leaflet-popup-content img, .chengyu-legend img").count() == 0
            page.wait_for_timeout(100)
        assert report.dialogs == [], path.name
        assert report.page_errors == [] and report.console_errors == [], path.name
    assert checked >= 8
    assert not hostile.marker.exists()


def test_a_tianditu_key_stays_one_url_value():
    key = "k{{ 7*7 }}{x}</script>\"'"
    definition = MapDefinition(
        name="t",
        title_zh="机场",
        title_en="Airports",
        layers=(MapLayer("airports", "机场", "Airports"),),
    )
    html = make_map(definition, load_layers(["airports"]), tianditu_key=key).get_root().render()
    assert f"tk={quote(key, safe='')}" in html
    assert "7*7" not in html and '</script>"' not in html


def test_json_in_a_script_escapes_what_could_end_or_break_it():
    text = script_json({"a": "</script><!-- & \u2028\u2029"})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029"}
