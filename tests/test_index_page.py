"""The planners' page: written by every build, escaped, and whole offline."""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from geo.outputs.browser import open_page
from geo.outputs.index_page import INDEX_NAME, RAIL_TIMES_CSV, index_html
from geo.sources.layers import load_layers
from geo.sources.mapdefs import load_map_definitions as read_definitions

HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>'


@pytest.fixture(scope="module")
def source_layers():
    return load_layers()


def _page(built, layers, out: Path) -> Path:
    html = index_html(layers=layers, lengths=built.lengths, coverage=built.coverage, out_dir=out)
    path = out / INDEX_NAME
    path.write_text(html, encoding="utf-8")
    return path


def test_every_build_writes_the_index_with_its_maps_and_tables(built):
    out = built.geopackage.parent
    html = (out / INDEX_NAME).read_text(encoding="utf-8")
    for path in built.maps:
        assert f'href="maps/{path.name}"' in html
    for definition in read_definitions():
        assert escape(definition.title_en) in html
    for heading in ("Coverage", "Reach by rail", "Lengths against the official ones", "licences"):
        assert heading in html, heading
    # The headline figures are the build's own.
    everyone = built.coverage[
        (built.coverage["line_id"] == "all") & (built.coverage["scenario"] == "after")
    ]
    assert f"{int(everyone['people'].max()):,}" in html


def test_layer_text_is_escaped(built, source_layers, tmp_path):
    lines = source_layers["rail_lines"].copy()
    lines.loc[lines.index[0], "name_en"] = HOSTILE
    lines.loc[lines.index[0], "source"] = HOSTILE
    layers = {**source_layers, "rail_lines": lines}
    (tmp_path / RAIL_TIMES_CSV).write_text(f'from,to,minutes\n"{HOSTILE}",重庆北,62\n')
    html = _page(built, layers, tmp_path).read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<script>" not in html
    assert escape(HOSTILE) in html
    assert "Travel-time calibration" in html


def test_the_page_opens_offline_with_its_thumbnails_and_no_error(built, source_layers, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built.geopackage.parent / "maps", out / "maps")
    (out / "figures").mkdir()
    figure = Figure(figsize=(3, 2))
    figure.add_subplot().plot([0, 1], [0, 1])
    figure.savefig(out / "figures" / "overview.png", dpi=30)
    lines = source_layers["rail_lines"].copy()
    lines.loc[lines.index[0], "name_en"] = HOSTILE
    path = _page(built, {**source_layers, "rail_lines": lines}, out)
    with open_page(path) as (page, report):
        images = page.locator("img")
        assert images.count() == 1
        assert page.evaluate("document.images[0].complete && document.images[0].naturalWidth") > 0
        assert page.locator(".card").count() == len(built.maps)
        assert page.locator("script").count() == 0
        links = page.eval_on_selector_all(".card a", "links => links.map(a => a.href)")
    # Every link of a card leads to a file next to the page (a map or a figure).
    assert links and all(Path(link.removeprefix("file://")).is_file() for link in links)
    assert report.blocked_requests == []
    assert report.console_errors == [] and report.page_errors == [] and report.dialogs == []


def _full_out(built, tmp_path: Path) -> Path:
    """A copy of the build's folder with a proposal's pages, as after ``chengyu scenario``."""
    out = tmp_path / "out"
    source = built.geopackage.parent
    shutil.copytree(source, out, ignore=shutil.ignore_patterns("cache", "*.gpkg"))
    for page in ("scenarios/index.html", "scenarios/suining-guangan/index.html"):
        (out / page).parent.mkdir(parents=True, exist_ok=True)
        title = "遂广城际方案 · Suining–Guang&#x27;an intercity &lt;b&gt;"
        (out / page).write_text(f"<!DOCTYPE html><title>{title}</title>", encoding="utf-8")
    return out


def test_the_overview_comes_first_every_data_file_is_linked_and_names_replace_codes(
    built, tmp_path
):
    import re

    out = _full_out(built, tmp_path)
    html = _page(built, built_layers(built), out).read_text(encoding="utf-8")
    cards = re.findall(r'<h3><a href="([^"]+)"', html)
    assert cards[0] == "maps/overview.html" and len(cards) == len(built.maps)
    assert html.index("Maps") < html.index("Proposals compared") < html.index("Coverage")
    assert f'href="{RAIL_TIMES_CSV}"' in html
    for path in (out / "parquet").glob("*.parquet"):
        assert f'href="parquet/{path.name}"' in html, path.name
    assert 'href="scenarios/index.html"' in html
    # A proposal by its names (its page's title, text: escaped again), not its file name.
    assert (
        '<a href="scenarios/suining-guangan/index.html">遂广城际方案 · Suining–Guang&#x27;an '
        "intercity &lt;b&gt;</a>" in html
    )
    # Names, not codes, in the cells.
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    for code in (
        "cdw",
        "yk",
        "under_construction",
        "operating/under_construction",
        "True",
        "False",
    ):
        assert code not in cells, code
    assert "成达万高铁 Chengdu–Dazhou–Wanzhou HSR" in cells
    assert any(cell.startswith("运营 operating / 在建 under construction") for cell in cells)
    assert {"是 yes", "否 no"} & set(cells)


def built_layers(built):
    """The layers of the build (the analysis it cached, read back)."""
    from geo.analysis.stage import analyse

    return analyse().layers


def test_the_page_fits_1024_pixels_without_horizontal_scrolling(built, tmp_path):
    out = _full_out(built, tmp_path)
    path = _page(built, built_layers(built), out)
    for width, height in ((1024, 640), (1400, 900)):
        with open_page(path, width=width, height=height) as (page, report):
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (width, scroll)
        assert report.blocked_requests == [] and report.page_errors == []
