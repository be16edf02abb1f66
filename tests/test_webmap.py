"""The web maps: definitions, escaping, offline pages, and a person's view in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from cnmaps.geo import wgs84_to_gcj02

from geo.analysis.stage import analyse
from geo.errors import ChengyuError
from geo.outputs._styles import CONTEXT_LEGEND, CONTEXT_LINES, LINE_PARTS
from geo.outputs.browser import PageReport, open_page, screenshot
from geo.outputs.webmap import (
    load_map_definitions,
    make_map,
    popup_content,
    script_json,
    write_maps,
)
from geo.outputs.webmap._assets import LEAFLET_JS_URL

HOSTILE = "<img src=x onerror=alert(1)>"


pytestmark = pytest.mark.usefixtures("shared_chromium")


def _layers(layers_dir: Path | None = None) -> dict[str, gpd.GeoDataFrame]:
    return analyse(layers_dir=layers_dir).layers


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return _layers()


@pytest.fixture(scope="module")
def offline_maps(layers, tmp_path_factory) -> dict[str, Path]:
    paths = write_maps(layers, out_dir=tmp_path_factory.mktemp("maps"), offline=True)
    return {path.stem: path for path in paths}


@pytest.fixture(scope="module")
def default_maps(layers, tmp_path_factory) -> dict[str, Path]:
    """The maps as ``chengyu build`` writes them: online, with tile basemaps."""
    paths = write_maps(layers, out_dir=tmp_path_factory.mktemp("default"), offline=False)
    return {path.stem: path for path in paths}


@pytest.fixture(scope="module")
def first_views(offline_maps, shared_chromium) -> Iterator[dict[str, tuple[Any, PageReport]]]:
    """Each offline map opened once at 1400 × 900 and drawn, for the tests that only look.

    Opening a map takes most of a second; the tests that click, zoom, search or toggle open a
    page of their own, so these stay as a person first sees them.
    """
    with ExitStack() as pages:
        views = {}
        for name, path in offline_maps.items():
            page, report = pages.enter_context(open_page(path))
            page.wait_for_function("window.chengyuReady", timeout=10_000)
            views[name] = (page, report)
        yield views


def test_every_definition_is_read():
    names = {definition.name for definition in load_map_definitions()}
    assert {"overview", "corridor"} <= names


def test_a_definition_naming_an_unknown_layer_is_refused(tmp_path):
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\ntitle_zh = "坏"\ntitle_en = "Bad"\n'
        '[[layers]]\nlayer = "railways"\nlabel_zh = "铁路"\nlabel_en = "Rail"\n',
        encoding="utf-8",
    )
    with pytest.raises(ChengyuError, match=r"bad\.toml.*railways"):
        load_map_definitions(tmp_path)


def test_popups_carry_feature_text_as_data():
    row = {"name_zh": HOSTILE, "name_en": "x", "source": "<b>s</b>"}
    popup = popup_content(row, "rail_stations")
    assert popup == {"h": [HOSTILE, "x"], "r": [["来源 source", "<b>s</b>"]]}


def test_data_in_a_script_cannot_close_it():
    text = script_json({"name": "</script><script>alert(1)</script>"})
    assert "</script" not in text and "<" not in text


def test_offline_maps_reference_nothing_outside_the_page(offline_maps):
    for path in offline_maps.values():
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", html), path.name
        # Markup outside the inlined code (Leaflet's own attribution link is a string in it).
        markup = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.DOTALL)
        assert not re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', markup), path.name
        assert "url(http" not in html and "url(//" not in html
        assert "tile.openstreetmap.org" not in html


def test_offline_overview_stays_under_two_megabytes(offline_maps):
    assert offline_maps["overview"].stat().st_size < 2_000_000


def test_online_maps_offer_the_basemaps(layers, monkeypatch):
    overview = next(d for d in load_map_definitions() if d.name == "overview")
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    html = make_map(overview, layers).get_root().render()
    assert "tile.openstreetmap.org" in html and "autonavi.com" in html
    # Leaflet is in the page: no script or stylesheet is loaded from elsewhere.
    assert LEAFLET_JS_URL not in html and "cdn.jsdelivr.net" not in html
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", html)
    assert "tianditu" not in html
    with_key = make_map(overview, layers, tianditu_key="test-key").get_root().render()
    assert "tianditu.gov.cn" in with_key and "tk=test-key" in with_key


# --- in the browser ------------------------------------------------------------------------


def _map_name(page: Any) -> str:
    return page.evaluate("document.querySelector('.folium-map').id")


def _registry_entry(page: Any, label_en: str) -> str:
    return f"window.chengyuLayers.find(e => e.label.endsWith({label_en!r}))"


def _drawn(page: Any, png: Path) -> int:
    page.screenshot(path=str(png))
    return int(page.locator(".leaflet-interactive").count())


@pytest.mark.parametrize("kind", ["offline", "default"])
def test_every_map_draws_with_the_network_cut(kind, request, tmp_path):
    maps = request.getfixturevalue(f"{kind}_maps")
    assert set(maps) == {d.name for d in load_map_definitions()}
    for name, path in maps.items():
        # Every request that is not for the file itself is aborted: no CDN answers.
        if kind == "offline":
            page, report = request.getfixturevalue("first_views")[name]
            drawn = _drawn(page, tmp_path / f"{name}.png")
        else:
            with open_page(path) as (page, report):
                page.wait_for_function("window.chengyuReady", timeout=10_000)
                drawn = _drawn(page, tmp_path / f"{name}.png")
        assert report.page_errors == [], (kind, name)  # "L is not defined" would be here
        assert drawn > 10, (kind, name)
        if kind == "offline":
            assert report.blocked_requests == [], name
            assert report.console_errors == [], name
        else:
            # Only the tiles of the first basemap were asked for, and they were blocked.
            assert report.blocked_requests, name
            assert all("tile.openstreetmap.org" in url for url in report.blocked_requests), name


def test_the_layer_control_lists_every_group(first_views):
    for definition in load_map_definitions():
        page, _ = first_views[definition.name]
        listed = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert [text.strip() for text in listed] == [entry.label for entry in definition.layers]


def test_a_station_popup_opens_on_click_with_both_names_and_the_source(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        point = page.evaluate(
            f"""() => {{
                const map = window[{_map_name(page)!r}];
                let target = null;
                {_registry_entry(page, "Stations")}.wgs.eachLayer(l => {{
                    if (l.feature.properties._k.startsWith("万州北")) target = l; }});
                map.setView(target.getLatLng(), 9, {{animate: false}});
                const p = map.latLngToContainerPoint(target.getLatLng());
                const box = map.getContainer().getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }}"""
        )
        page.mouse.click(*point)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=3000)
        text = popup.inner_text()
    assert "万州北" in text and "Wanzhou North" in text
    assert "来源 source" in text and "OpenStreetMap" in text


def test_toggling_a_layer_hides_it(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        visible = f"window[{_map_name(page)!r}].hasLayer({_registry_entry(page, 'Stations')}.group)"
        paths_before = page.locator(".leaflet-map-pane path.leaflet-interactive").count()
        assert page.evaluate(visible) is True
        page.locator(".leaflet-control-layers-overlays label", has_text="Stations").locator(
            "input"
        ).uncheck()
        assert page.evaluate(visible) is False
        assert page.locator(".leaflet-map-pane path.leaflet-interactive").count() < paths_before


def test_the_search_box_finds_a_station(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        box = page.locator(".chengyu-search input")
        box.fill("Kunming South")
        box.press("Enter")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=3000)
        assert "昆明南" in popup.inner_text()


def test_the_timeline_fades_what_had_not_opened_by_that_year(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        opacity = f"""() => {{
            const out = {{}};
            {_registry_entry(page, "High-speed rail")}.wgs.eachLayer(l => {{
                const p = l.feature.properties;
                out[p._t.split(" ")[0] + " " + p._y] = l.options.opacity; }});
            return out;
        }}"""
        page.locator("#chengyu-timeline-on").check()
        page.locator(".chengyu-timeline input[type=range]").fill("2016")
        in_2016 = page.evaluate(opacity)
        page.locator(".chengyu-timeline input[type=range]").fill("2027")
        in_2027 = page.evaluate(opacity)
    assert in_2016["成渝高铁 2015"] > 0.5  # 成都东–沙坪坝 opened 2015
    assert in_2016["成达万高铁 2023"] < 0.2  # 天府–资阳西, with 成宜 HSR
    assert in_2016["成达万高铁 2027"] < 0.2 and in_2027["成达万高铁 2027"] > 0.5


def test_a_hostile_station_name_is_shown_as_text(layers, tmp_path):
    # Every stop of 万州北, in the analysed layers (test_webmap_text carries such text from the
    # sources through a whole build).
    stops = layers["rail_stations"].copy()
    stops.loc[stops["station_id"] == "wanzhou_bei", "name_en"] = HOSTILE
    changed = {**layers, "rail_stations": stops}
    paths = write_maps(changed, out_dir=tmp_path, offline=True, names=["overview"])
    with open_page(paths[0]) as (page, report):
        box = page.locator(".chengyu-search input")
        box.fill("onerror")
        box.press("Enter")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=3000)
        assert HOSTILE in popup.inner_text()
        assert page.locator(".leaflet-popup-content img").count() == 0
        page.wait_for_timeout(200)
    assert report.dialogs == [] and report.page_errors == []


def test_on_the_amap_basemap_the_data_is_drawn_shifted_to_gcj02(layers, tmp_path):
    overview = next(d for d in load_map_definitions() if d.name == "overview")
    path = tmp_path / "online.html"
    path.write_text(make_map(overview, layers).get_root().render(), encoding="utf-8")
    with open_page(path) as (page, report):
        page.locator(".leaflet-control-layers-base label", has_text="Amap").locator("input").check()
        shifted = page.evaluate(
            f"""() => {{
                const entry = {_registry_entry(page, "Stations")};
                const group = entry.group;
                let out = null;
                entry.gcj.eachLayer(l => {{ if (l.feature.properties._k.startsWith("重庆西")) {{
                    const c = l.feature.geometry.coordinates; const ll = l.getLatLng();
                    out = [c[0], c[1], ll.lng, ll.lat,
                           group.hasLayer(entry.gcj), group.hasLayer(entry.wgs)];
                }} }});
                return out;
            }}"""
        )
        samples = [(106.43, 29.50), (104.07, 30.67), (108.65, 21.68), (101.36, 3.02)]
        from_js = page.evaluate(
            "samples => samples.map(p => chengyuWgs84ToGcj02(p[0], p[1]))",
            [list(p) for p in samples],
        )
    lon, lat, shifted_lon, shifted_lat, gcj_shown, wgs_shown = shifted
    assert (shifted_lon, shifted_lat) == pytest.approx(wgs84_to_gcj02(lon, lat), abs=1e-9)
    assert gcj_shown and not wgs_shown
    for (sample_lon, sample_lat), js in zip(samples[:3], from_js[:3], strict=True):
        assert tuple(js) == pytest.approx(wgs84_to_gcj02(sample_lon, sample_lat), abs=1e-9)
    assert tuple(from_js[3]) == samples[3]  # outside China: no shift
    # After the switch, Amap's tiles were asked for (and blocked): the basemap did change.
    assert any("autonavi.com" in url for url in report.blocked_requests)


def test_a_group_hidden_at_first_is_drawn_when_shown(offline_maps):
    with open_page(offline_maps["corridor"]) as (page, _):
        registered = "window.chengyuLayers.map(e => e.label)"
        assert not any("Yangtze" in label for label in page.evaluate(registered))
        paths_before = page.locator(".leaflet-map-pane path.leaflet-interactive").count()
        page.locator(".leaflet-control-layers-overlays label", has_text="Yangtze").locator(
            "input"
        ).check()
        assert any("Yangtze" in label for label in page.evaluate(registered))
        assert page.locator(".leaflet-map-pane path.leaflet-interactive").count() > paths_before


def test_background_boundaries_are_drawn_after_the_page_has_loaded(first_views):
    page, _ = first_views["overview"]
    labels = page.evaluate("window.chengyuLayers.map(e => e.label)")
    assert any("Boundaries" in label for label in labels)
    # Prefecture names are drawn where the network's labels leave room (成都市 gives way to
    # the stations of Chengdu): several, each once.
    names = page.locator(".chengyu-label-text").all_inner_texts()
    prefectures = [name for name in names if name.endswith("市") and len(name) <= 4]
    assert len(prefectures) >= 5 and len(prefectures) == len(set(prefectures))


def test_a_screenshot_of_an_online_map_works_without_internet(layers, tmp_path):
    overview = next(d for d in load_map_definitions() if d.name == "overview")
    path = tmp_path / "online.html"
    path.write_text(make_map(overview, layers).get_root().render(), encoding="utf-8")
    report = screenshot(path, tmp_path / "online.png")
    assert report.page_errors == []
    assert (tmp_path / "online.png").stat().st_size > 10_000
    # The tiles were requested and blocked, and nothing else was.
    assert report.blocked_requests
    assert all("tile.openstreetmap.org" in url for url in report.blocked_requests)


def test_the_webmap_package_keeps_its_modules_small():
    import geo.outputs.webmap

    folder = Path(geo.outputs.webmap.__file__).parent
    sizes = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in folder.glob("*.py")
    }
    assert len(sizes) >= 6 and max(sizes.values()) <= 450, sizes


# --- legible at a glance -------------------------------------------------------------------


def _click_station(page: Any, name_zh: str, zoom: int) -> list[str]:
    """Click a station where it is drawn; return what lies under the pointer (its panes)."""
    point = page.evaluate(
        f"""() => {{
            const map = window[{_map_name(page)!r}];
            let target = null;
            {_registry_entry(page, "Stations")}.wgs.eachLayer(l => {{
                if (l.feature.properties._k.startsWith({name_zh!r})) target = l; }});
            map.setView(target.getLatLng(), {zoom}, {{animate: false}});
            const p = map.latLngToContainerPoint(target.getLatLng());
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }}"""
    )
    under = page.evaluate(
        """([x, y]) => document.elementsFromPoint(x, y)
            .map(e => e.closest('.leaflet-pane') ? e.closest('.leaflet-pane').className : '')""",
        point,
    )
    page.mouse.click(*point)
    return under


def test_a_station_click_opens_the_station_over_a_county(offline_maps):
    with open_page(offline_maps["coverage"]) as (page, _):
        page.wait_for_function("window.chengyuReady")
        under = _click_station(page, "资阳北", 10)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=3000)
        text = popup.inner_text()
    # A county polygon is drawn under the station, and the click still reached the station.
    assert any("chengyu-polygon" in pane for pane in under)
    assert "资阳北" in text and "线路 lines" in text


def test_one_marker_per_station_with_its_lines_in_the_popup(layers, offline_maps):
    stations = layers["rail_stations"]
    with open_page(offline_maps["overview"]) as (page, _):
        drawn = page.evaluate(
            f"{_registry_entry(page, 'Stations')}.wgs.getLayers().map(l => l.feature.properties._k)"
        )
        _click_station(page, "万州北", 9)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=3000)
        text = popup.inner_text()
    assert len(drawn) == len(set(drawn)) == stations["station_id"].nunique() < len(stations)
    # 万州北 is a stop of 成达万 (under construction) and of 郑渝 (operating): both in words.
    assert "成达万高铁" in text and "郑渝高铁" in text
    assert "在建 under construction" in text and "运营 operating" in text


def test_the_overview_legend_names_each_line_in_its_colour(layers, first_views):
    names = layers["rail_lines"].drop_duplicates("line_id")
    # A connector drawn in its project's colour is named with the project (LINE_PARTS).
    names = names[~names["line_id"].isin(LINE_PARTS)]
    report = names[~names["line_id"].isin(CONTEXT_LINES)]
    page, _ = first_views["overview"]
    group = page.locator(".chengyu-legend-group", has_text="High-speed rail")
    items = group.locator(".chengyu-legend-item")
    texts = items.all_inner_texts()
    colours = items.locator("svg line").evaluate_all(
        "lines => lines.map(l => l.getAttribute('stroke'))"
    )
    drawn = page.evaluate(
        f"""{_registry_entry(page, "High-speed rail")}.wgs.getLayers()
            .map(l => [l.feature.properties._t, l.options.color])"""
    )
    # The report's lines each by name in a colour of their own, then one item for the region's
    # other lines, drawn in one quiet colour (their names stand beside them on the map).
    assert sorted(text.split(" ")[0] for text in texts[: len(report)]) == sorted(
        name.split(" ")[0] for name in report["name_zh"]
    )
    assert texts[len(report)] == CONTEXT_LEGEND
    line_colours = colours[: len(report) + 1]
    assert len(set(line_colours)) == len(report) + 1  # one colour per entry
    # The lines on the map wear the colours the legend gives them.
    for text, colour in zip(texts[: len(report)], line_colours, strict=False):
        assert any(t.startswith(text.split(" ")[0]) and c == colour for t, c in drawn), text
    others = set(names.loc[names["line_id"].isin(CONTEXT_LINES), "name_zh"])
    assert {c for t, c in drawn if t.split(" ")[0] in others} == {line_colours[-1]}


def _visible_labels(page: Any) -> list[dict[str, Any]]:
    # The label's own text (a station's English name beside it is a child element).
    return page.locator(".chengyu-label-text").evaluate_all(
        """spans => spans.map(s => { const r = s.getBoundingClientRect();
            return {text: s.firstChild.textContent, english: s.textContent,
                    box: [r.left, r.top, r.right, r.bottom]}; })"""
    )


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_main_stations_and_lines_are_labelled_at_first_view_without_overlaps(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        page.wait_for_function("window.chengyuReady")
        page.wait_for_timeout(100)
        first = _visible_labels(page)
        main = page.evaluate(
            f"""{_registry_entry(page, "Stations")}.data.features
                .filter(f => f.properties._z === 0).map(f => f.properties._lt)"""
        )
        minor = page.evaluate(
            f"""{_registry_entry(page, "Stations")}.data.features
                .filter(f => f.properties._z > 0).map(f => f.properties._lt)"""
        )
        _click_station(page, "资阳北", 10)  # closer: every station may be labelled
        page.wait_for_timeout(200)
        closer = {label["text"] for label in _visible_labels(page)}
    texts = {label["text"] for label in first}
    assert {"成都东", "重庆北", "昆明南", "万州北"} <= set(main)
    assert len(texts & set(main)) >= 6, (texts & set(main), main)
    assert {"成都东", "重庆北"} & texts
    assert not texts & set(minor)  # the other stations wait for a closer zoom
    assert {"成渝高铁", "渝昆高铁", "成达万高铁"} <= texts  # line names beside the lines
    assert any("港" in text or "物流" in text for text in texts)  # hubs and ports
    assert closer & set(minor)
    for i, a in enumerate(first):
        for b in first[i + 1 :]:
            assert not _overlap(a["box"], b["box"]), (a["text"], b["text"])


def test_the_timeline_restores_full_opacity(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        faded = """() => window.chengyuLayers.filter(e => e.timeline).flatMap(e =>
            e.wgs.getLayers().filter(l => {
                const s = l.feature.properties._s;
                return l.options.opacity !== (s.opacity === undefined ? 1 : s.opacity)
                    || l.options.fillOpacity !== s.fillOpacity; })
            .map(l => [l.feature.properties._t, l.feature.properties._y]))"""
        slider = page.locator(".chengyu-timeline input[type=range]")
        page.locator("#chengyu-timeline-on").check()
        slider.fill("2016")
        in_2016 = page.evaluate(faded)
        slider.fill("2027")
        in_2027 = page.evaluate(faded)
        slider.fill("2016")
        page.locator("#chengyu-timeline-on").uncheck()
        off = page.evaluate(faded)
    assert any("蓬溪南" in name for name, _ in in_2016)  # opens 2027
    assert all(year is None or year > 2016 for _, year in in_2016)  # the open ones stay
    assert not any("蓬溪南" in name for name, _ in in_2027)
    assert off == []


def test_a_failed_search_says_so(offline_maps):
    with open_page(offline_maps["overview"]) as (page, _):
        message = page.locator(".chengyu-miss-text")
        assert not message.is_visible()
        box = page.locator(".chengyu-search input")
        box.fill("no such place")
        box.press("Enter")
        assert message.is_visible() and "Not found" in message.inner_text()
        box.fill("Kunming South")
        box.press("Enter")
        assert not message.is_visible()


def test_usable_on_a_small_screen(offline_maps):
    with open_page(offline_maps["overview"], width=1024, height=640) as (page, _):
        assert page.locator(".leaflet-control-layers-expanded").count() == 0  # folded
        title = page.locator(".chengyu-title").bounding_box()
        control = page.locator(".leaflet-control-layers").bounding_box()
        assert title["x"] + title["width"] < control["x"]
        page.locator(".chengyu-legend summary").click()
        credit = page.locator(".chengyu-credit").bounding_box()
        legend = page.locator(".chengyu-legend").bounding_box()
    # The credit line shows in full inside the legend, and the legend inside the window.
    assert (
        credit["height"] > 20 and credit["y"] + credit["height"] <= legend["y"] + legend["height"]
    )
    assert legend["y"] >= 0 and legend["y"] + legend["height"] <= 640


def test_the_corridor_map_has_land_and_places_offline(offline_maps):
    with open_page(offline_maps["corridor"]) as (page, report):
        page.wait_for_function("window.chengyuReady")
        page.wait_for_timeout(100)
        canvas = page.locator(".leaflet-chengyu-context-pane canvas").count()
        texts = {label["text"] for label in _visible_labels(page)}
    assert report.blocked_requests == [] and report.page_errors == []
    assert canvas == 1
    assert {"马来西亚 Malaysia", "泰国 Thailand", "越南 Vietnam"} <= texts
    assert {"Kuala Lumpur", "Hanoi"} & texts


_UNDER_TITLE = """() => {
  const title = document.querySelector('.chengyu-title').getBoundingClientRect();
  const map = Object.values(window).find(v => v instanceof L.Map);
  const seen = {title: title.bottom};
  window.chengyuLayers.filter(entry => entry.label && entry.group._map).forEach(entry => {
    let under = 0, points = 0;
    const visit = latlngs => {
      if (Array.isArray(latlngs)) { latlngs.forEach(visit); return; }
      const p = map.latLngToContainerPoint(latlngs);
      points += 1;
      if (p.x > title.left - 4 && p.x < title.right + 4 && p.y < title.bottom + 4) under += 1;
    };
    entry.wgs.eachLayer(layer => visit(layer.getLatLngs ? layer.getLatLngs() : layer.getLatLng()));
    seen[entry.label] = [points, under];
  });
  return seen;
}"""


@pytest.mark.parametrize("size", [(1400, 900), (1024, 640)])
def test_the_corridor_map_fits_its_data_below_the_title(offline_maps, size):
    width, height = size
    with open_page(offline_maps["corridor"], width=width, height=height) as (page, _):
        page.wait_for_function("window.chengyuReady")
        page.wait_for_function("window.chengyuLayers.filter(e => e.label).length >= 3")
        seen = page.evaluate(_UNDER_TITLE)
    # The Sichuan–Chongqing outline and hubs are at the top of the corridor's extent: no point
    # of them (nor of the services) lies under the title box.
    groups = ("川渝省界 Sichuan and Chongqing", "陆海新通道班列 Land–Sea Corridor services",
              "枢纽与港口 Hubs and ports")  # fmt: skip
    for group in groups:
        points, under = seen[group]
        assert points > 0 and under == 0, (group, seen)


def test_with_the_tiles_blocked_the_default_corridor_map_falls_back_to_its_context(default_maps):
    with open_page(default_maps["corridor"]) as (page, report):
        page.wait_for_function("window.chengyuReady")
        page.wait_for_function(
            "document.querySelector('.chengyu-tiles-failed') !== null", timeout=10_000
        )
        page.wait_for_timeout(100)
        canvas = page.locator(".leaflet-chengyu-context-pane canvas").count()
        texts = {label["text"] for label in _visible_labels(page)}
    assert report.blocked_requests and report.page_errors == []
    assert canvas == 1
    assert {"马来西亚 Malaysia", "越南 Vietnam"} <= texts


@pytest.mark.parametrize("size", [(1280, 860), (1400, 900)])
@pytest.mark.parametrize("kind", ["offline", "default"])
def test_the_open_legend_stays_clear_of_the_layer_control(offline_maps, default_maps, kind, size):
    width, height = size
    maps = offline_maps if kind == "offline" else default_maps
    with open_page(maps["overview"], width=width, height=height) as (page, _):
        page.wait_for_function("window.chengyuReady")
        control = page.locator(".leaflet-control-layers").bounding_box()
        legend = page.locator(".chengyu-legend").bounding_box()
    assert control["y"] + control["height"] <= legend["y"], (control, legend)
    assert legend["y"] + legend["height"] <= height


def test_map_pages_are_titled_with_the_map_title_as_text(layers, first_views):
    from dataclasses import replace

    definitions = {d.name: d for d in load_map_definitions()}
    title = first_views["overview"][0].title()
    overview = definitions["overview"]
    assert title == f"{overview.title_zh} · {overview.title_en}"
    hostile = replace(overview, title_en=f"</title>{HOSTILE}")
    html = make_map(hostile, layers, offline=True).get_root().render()
    head = html[: html.index("</head>")]
    assert "&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;</title>" in head
    assert HOSTILE not in head.split("<title>")[1].split("</title>")[0]


@pytest.mark.parametrize("size", [(1400, 900), (1024, 640)])
def test_the_search_placeholder_shows_in_full(offline_maps, size):
    width, height = size
    with open_page(offline_maps["overview"], width=width, height=height) as (page, _):
        fits = page.evaluate(
            """() => { const input = document.querySelector('.chengyu-search input');
                       input.value = input.placeholder;  // measured as text
                       return [input.scrollWidth, input.clientWidth]; }"""
        )
    assert fits[0] <= fits[1], fits


_LEGEND_SCROLL = """() => {
  const body = document.querySelector('.chengyu-legend-body');
  const thumb = document.querySelector('.chengyu-scrollbar-thumb');
  const box = thumb.getBoundingClientRect();
  const legend = document.querySelector('.chengyu-legend').getBoundingClientRect();
  const visible = thumb.offsetParent !== null && box.width >= 4 && box.height >= 20;
  return {scroll: body.scrollHeight, client: body.clientHeight, visible: visible,
          thumb: [box.top, box.bottom, box.left, box.right],
          legend: [legend.top, legend.bottom, legend.left, legend.right]};
}"""


def test_the_legend_is_whole_at_1400_and_shows_a_scrollbar_when_it_scrolls(offline_maps):
    with open_page(offline_maps["overview"], width=1400, height=900) as (page, _):
        page.wait_for_function("window.chengyuReady")
        whole = page.evaluate(_LEGEND_SCROLL)
        airports = page.locator(".chengyu-legend-group").last.bounding_box()  # Airports
        legend_box = page.locator(".chengyu-legend-body").bounding_box()
    assert whole["scroll"] <= whole["client"] + 1, whole  # nothing cut off
    assert not whole["visible"]  # and no scrollbar for nothing
    assert airports["y"] + airports["height"] <= legend_box["y"] + legend_box["height"]
    with open_page(offline_maps["overview"], width=1024, height=640) as (page, _):
        page.wait_for_function("window.chengyuReady")
        page.locator(".chengyu-legend summary").click()
        page.wait_for_function(
            "document.querySelector('.chengyu-legend-body').scrollHeight >"
            " document.querySelector('.chengyu-legend-body').clientHeight"
        )
        page.wait_for_timeout(100)
        top = page.evaluate(_LEGEND_SCROLL)
        page.locator(".chengyu-legend-body").evaluate("body => { body.scrollTop = 1e6; }")
        page.wait_for_timeout(100)
        bottom = page.evaluate(_LEGEND_SCROLL)
    assert top["scroll"] > top["client"]
    assert top["visible"], top
    legend_top, legend_bottom, legend_left, legend_right = top["legend"]
    assert legend_left <= top["thumb"][2] and top["thumb"][3] <= legend_right + 1
    assert legend_top <= top["thumb"][0] and bottom["thumb"][1] <= legend_bottom
    # The thumb says where the view is: at the top, then at the bottom.
    assert bottom["thumb"][0] > top["thumb"][0] + 20


def test_a_group_switched_off_leaves_the_legend_and_comes_back(offline_maps):
    with open_page(offline_maps["corridor"]) as (page, _):
        legend = page.locator(".chengyu-legend-group", has_text="Yangtze")
        assert legend.count() == 1 and not legend.is_visible()  # hidden at first, not listed
        box = page.locator(".leaflet-control-layers-overlays label", has_text="Yangtze")
        box.locator("input").check()
        assert legend.is_visible()
        box.locator("input").uncheck()
        assert not legend.is_visible()


def test_categories_drawn_alike_share_an_item_named_by_each():
    from geo.outputs.webmap._legend import _category_items

    # 渭沱 (reserved) and 童家溪线路所 (a junction) share the minor station symbol: one item that
    # names both (the range label of the coverage classes raised a KeyError here).
    items = _category_items(
        "rail_stations", ["operating", "reserved", "junction"], "point", coloured=False
    )
    assert [item["text"] for item in items] == [
        "运营 operating",
        "预留 reserved / 线路所 junction (no passengers)",
    ]
    # Share classes drawn alike still read as one range.
    classes = ["none", "under_25pct", "25_50pct", "50_75pct", "75pct_plus"]
    shares = _category_items("station_coverage", classes, "polygon", coloured=False)
    assert [item["text"] for item in shares] == [
        "无 none",
        "不足75% under 75 %",
        "75%以上 75 % or more",
    ]
