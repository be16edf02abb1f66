"""Report figures: drawn from the map definitions, legible, honest about scale, text as data."""

from __future__ import annotations

import io
import itertools
import logging
import shutil
import struct
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from pyproj import Geod, Transformer

from geo import settings
from geo._stages import cached_stage
from geo.analysis.stage import Analysis, analyse
from geo.cli.commands import cli
from geo.outputs._styles import CONTEXT_LEGEND, CONTEXT_LINES
from geo.outputs.figure import (
    _nice_length_km,
    draw_figure,
    figure_style,
    select_definitions,
    write_figures,
)
from geo.sources.mapdefs import load_map_definitions as read_definitions

#: Low resolution keeps the tests fast; layout and measures do not depend on it.
DPI = 40


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyse()


@pytest.fixture(scope="module")
def layers(analysis) -> dict[str, gpd.GeoDataFrame]:
    return analysis.layers


@pytest.fixture(scope="module")
def drawn_map(layers):
    """Draw each map once at ``DPI``, for the tests that read a drawing and change nothing."""
    drawings = {}

    def draw(name: str):
        if name not in drawings:
            with figure_style():
                drawings[name] = draw_figure(_definition(name), layers, dpi=DPI)
        return drawings[name]

    return draw


def test_a_map_is_drawn_only_where_its_pixels_are_read(layers, monkeypatch):
    # geopandas asks for a drawing after every layer it plots (84 for the four maps); the canvas
    # draws only for the two corner checks of each panel.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    drawings = 0
    original = FigureCanvasAgg.draw

    def counted(self, *args, **kwargs):
        nonlocal drawings
        drawings += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FigureCanvasAgg, "draw", counted)
    with figure_style():
        draw_figure(_definition("corridor"), layers, dpi=DPI)
    assert drawings == 2


def _definition(name: str):
    return next(d for d in read_definitions() if d.name == name)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_every_map_is_written_as_an_a4_landscape_png_and_two_panels_on_a3(layers, tmp_path):
    from geo.outputs.figure import figure_panels

    paths = write_figures(layers, out_dir=tmp_path, dpi=DPI)
    assert sorted(path.stem for path in paths) == sorted(d.name for d in read_definitions())
    for path in paths:
        assert path.parent == tmp_path / "figures" and path.suffix == ".png"
        width, height = _png_size(path)
        assert width / height == pytest.approx(297 / 210, rel=0.01)
        two = len(figure_panels(_definition(path.stem))) == 2
        page = settings.figure_pair_size_in if two else settings.figure_size_in
        assert width == pytest.approx(page[0] * DPI, abs=1)


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("svg", b"<?xml")])
def test_vector_formats(layers, tmp_path, fmt, magic):
    (path,) = write_figures(layers, names=["corridor"], out_dir=tmp_path, fmt=fmt, dpi=DPI)
    assert path.name == f"corridor.{fmt}" and path.read_bytes().startswith(magic)


def test_the_legend_names_each_line_and_the_title_is_bilingual(layers, drawn_map):
    overview = _definition("overview")
    drawn = drawn_map("overview")
    legend_texts = [
        text.get_text().replace("\n", " ")
        for axes in drawn.figure.axes
        if (legend := axes.get_legend()) is not None
        for text in legend.get_texts()
    ]
    lines = layers["rail_lines"]
    for name in set(lines.loc[~lines["line_id"].isin(CONTEXT_LINES), "name_en"]):
        assert any(name in text for text in legend_texts), name
    # The region's other lines, drawn in one colour, share one legend row.
    assert sum(text == CONTEXT_LEGEND for text in legend_texts) == 1
    figure_texts = [text.get_text() for text in drawn.figure.texts]
    assert overview.title_zh in figure_texts and overview.title_en in figure_texts
    assert any("OpenStreetMap" in text for text in figure_texts)  # the credits


def test_main_stations_are_labelled_and_no_two_labels_overlap(drawn_map):
    drawn = drawn_map("overview")
    texts = [label.get_text() for label in drawn.labels]
    for station in ("成都东", "重庆北", "万州北"):
        assert any(text.startswith(station) for text in texts), station
    renderer = drawn.figure.canvas.get_renderer()
    boxes = [label.get_window_extent(renderer) for label in drawn.labels]
    frame = drawn.map_axes.get_window_extent(renderer)
    for box in boxes:
        assert frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
    for first, second in itertools.combinations(boxes, 2):
        assert not first.overlaps(second)


def test_the_scale_bar_is_as_long_on_the_ground_as_it_says(drawn_map):
    drawn = drawn_map("corridor")
    bar = [patch for patch in drawn.map_axes.patches if patch.get_zorder() == 20]
    assert len(bar) == 2
    x0 = min(patch.get_x() for patch in bar)
    x1 = max(patch.get_x() + patch.get_width() for patch in bar)
    y = bar[0].get_y()
    to_lonlat = Transformer.from_crs(drawn.crs, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_lonlat.transform([x0, x1], [y, y])
    _, _, metres = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    assert metres / 1000 == pytest.approx(drawn.scale_km, rel=0.005)


@pytest.mark.parametrize(("span", "length"), [(1000, 200), (740, 100), (3.3, 0.5), (2600, 500)])
def test_scale_bar_lengths_are_round(span, length):
    assert _nice_length_km(span) == length


def test_a_name_with_dollar_signs_is_drawn_as_written(layers):
    hostile = r"$\frac{1}{0$ <b>x</b>"
    stations = layers["rail_stations"].copy()
    first = stations.index[stations["station_id"] == "chengdu_dong"]
    stations.loc[first, "name_zh"] = hostile
    stations.loc[first, "name_en"] = hostile
    changed = {**layers, "rail_stations": stations}
    with figure_style():
        drawn = draw_figure(_definition("overview"), changed, dpi=DPI)
        # mathtext would fail on the unbalanced formula; as data it is drawn as it is written.
        drawn.figure.savefig(io.BytesIO(), format="png")
    assert any(hostile in label.get_text() for label in drawn.labels)


@pytest.mark.filterwarnings("ignore:Glyph")
def test_without_a_cjk_font_the_figure_is_written_with_a_warning(
    layers, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(settings, "figure_fonts", ("No Such Font 123",))
    with caplog.at_level(logging.WARNING, logger="chengyu"):
        (path,) = write_figures(layers, names=["corridor"], out_dir=tmp_path, dpi=DPI)
    assert path.is_file()
    assert any("No Such Font 123" in record.getMessage() for record in caplog.records)


_STALE_CACHE_SCRIPT = """
import json, sys, warnings
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

cjk_files = set(json.loads(sys.argv[1]))
title, out = sys.argv[2], sys.argv[3]
stale = not any(entry.fname in cjk_files for entry in font_manager.fontManager.ttflist)

from geo.outputs.figure import cjk_font, figure_style

def draw(text, families=None):
    fig = Figure(figsize=(6, 1), dpi=60)
    style = {"family": families} if families else {}
    fig.text(0.02, 0.5, text, fontsize=18, va="center", **style)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., 0]

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with figure_style():
        font = cjk_font()
        rendered = draw(title)
missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
with warnings.catch_warnings(record=True) as boxes:
    warnings.simplefilter("always")
    box = draw(title, ["DejaVu Sans"])
box_warned = any("missing from font" in str(w.message) for w in boxes)
np.save(out + "/title.npy", rendered)
np.save(out + "/box.npy", box)
print(json.dumps({"stale": stale, "font": font, "missing": missing, "box_warned": box_warned}))
"""


def test_a_stale_font_cache_does_not_turn_chinese_into_boxes(tmp_path):
    # The newcomer's case: matplotlib's font list was written before the CJK font was installed.
    import json
    import os
    import subprocess
    import sys

    import numpy as np
    from matplotlib import font_manager

    from geo.outputs.figure import _fontconfig_files

    cjk_files = set(_fontconfig_files(settings.figure_fonts)) | {
        path for path in settings.figure_font_files if Path(path).is_file()
    }
    if not cjk_files:
        pytest.skip("no CJK font installed on this machine")
    stale = font_manager.FontManager()
    stale.ttflist = [entry for entry in stale.ttflist if entry.fname not in cjk_files]
    config = tmp_path / "mplconfig"
    config.mkdir()
    font_manager.json_dump(stale, config / f"fontlist-v{font_manager.FontManager.__version__}.json")
    title = _definition("coverage").title_zh
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _STALE_CACHE_SCRIPT,
            json.dumps(sorted(cjk_files)),
            title,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLCONFIGDIR": str(config)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["stale"], "the font list in MPLCONFIGDIR was not the one matplotlib read"
    assert report["font"] in settings.figure_fonts
    assert report["missing"] == []
    # The same title in DejaVu Sans alone is what boxes look like: the figure's must differ.
    assert report["box_warned"]
    rendered, box = np.load(tmp_path / "title.npy"), np.load(tmp_path / "box.npy")
    ink = rendered < 128
    assert ink.sum() > 50
    assert (ink != (box < 128)).mean() > 0.3 * max(ink.mean(), (box < 128).mean())


def test_an_unknown_map_is_refused_in_one_line_before_any_work():
    runner = CliRunner()
    result = runner.invoke(cli, ["figure", "nowhere"])
    assert result.exit_code == 1
    assert "no map definition named nowhere" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(Exception, match="overview"):
        select_definitions(["nowhere"])


def test_the_figure_command_writes_the_named_map_and_the_index(analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "figure_dpi", DPI)
    # The command's own analysis is the build's (tested there): reuse this module's.
    monkeypatch.setattr("geo.outputs.build.analyse", lambda **_: analysis)
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "corridor.html").write_text("<p>map</p>")
    result = CliRunner().invoke(cli, ["figure", "corridor", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "figures" / "corridor.png").is_file()
    assert "corridor.png" in result.output
    # The planners' page now shows the figure as the map's thumbnail.
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'src="figures/corridor.png"' in index and 'href="maps/corridor.html"' in index


def test_station_statuses_have_distinct_symbols_in_the_legend(layers):
    import numpy as np

    with figure_style():
        drawn = draw_figure(_definition("overview"), layers, dpi=100)
        canvas = drawn.figure.canvas
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
        renderer = canvas.get_renderer()
        legend = next(a.get_legend() for a in drawn.figure.axes if a.get_legend() is not None)
        texts = [text.get_text().replace("\n", " ") for text in legend.get_texts()]
        start = texts.index("车站 Stations")
        rows = {}
        for text in legend.get_texts()[start + 1 : start + 4]:
            box = text.get_window_extent(renderer)
            height = pixels.shape[0]
            # The symbol sits left of its text, in the legend's column.
            left = int(legend.get_window_extent(renderer).x0)
            # A fixed band around the text's middle: rows of equal size, whatever the rounding.
            middle = int(height - (box.y0 + box.y1) / 2)
            rows[text.get_text()] = pixels[middle - 6 : middle + 6, left : int(box.x0) - 2]
    operating, building = rows["运营 operating"], rows["在建 under construction"]
    ink = (operating < 128).any(axis=-1)
    assert ink.sum() > 10 and (building < 128).any(axis=-1).sum() > 10
    # The map dashes a station under construction: its legend symbol is not the operating one.
    assert (ink != (building < 128).any(axis=-1)).sum() > 0.2 * ink.sum()


def test_a_map_of_today_and_after_is_drawn_as_two_panels(drawn_map):
    from geo.outputs.figure import figure_panels

    coverage = _definition("coverage")
    panels = figure_panels(coverage)
    assert [scenario for scenario, _ in panels] == ["today", "after"]
    for scenario, entries in panels:
        catchments = [e for e in entries if e.layer == "station_catchments"]
        assert [e.where["scenario"] for e in catchments] == [[scenario]]
    assert [scenario for scenario, _ in figure_panels(_definition("overview"))] == [None]
    drawn = drawn_map("coverage")
    today, after = drawn.panels
    assert "现状" in today.get_title(loc="left") and "建成后" in after.get_title(loc="left")
    # Each panel about as wide as a one-panel figure's map (8.2 in), not 4.1 in as on A4.
    inches = [ax.get_position().width * drawn.figure.get_figwidth() for ax in drawn.panels]
    assert min(inches) >= 6.0, inches
    # One extent at one scale, and today draws fewer features (no line under construction).
    assert today.get_xlim() == after.get_xlim() and today.get_ylim() == after.get_ylim()
    assert len(today.collections) < len(after.collections)


def test_the_reach_figure_names_its_origins_and_draws_their_overlap_apart(drawn_map):
    from matplotlib.colors import to_hex

    from geo.outputs._styles import REACH_BOTH_COLOR

    drawn = drawn_map("reach")
    legend = next(ax.get_legend() for ax in drawn.figure.axes if ax.get_legend() is not None)
    rows = {
        text.get_text().replace("\n", " "): handle
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    # Each origin named in both languages, as on the web map.
    assert {"成都东 Chengdu East", "重庆北 Chongqing North"} <= set(rows)
    handle = rows["两地1小时均可达 reached from both within 60 min"]
    colour = "#{:02x}{:02x}{:02x}".format(*REACH_BOTH_COLOR)
    assert to_hex(handle.get_facecolor()) == colour
    # Both panels draw an area in that colour (today 333 km², after 718 km² reached from both).
    for ax in drawn.panels:
        fills = {to_hex(c) for coll in ax.collections for c in coll.get_facecolor()}
        assert colour in fills


def _scale_bar_box(ax):
    import shapely

    bar = [patch for patch in ax.patches if patch.get_zorder() == 20]
    assert len(bar) == 2
    x0 = min(patch.get_x() for patch in bar)
    x1 = max(patch.get_x() + patch.get_width() for patch in bar)
    y0 = bar[0].get_y()
    height = bar[0].get_height()
    # The bar with its figures above it.
    return shapely.box(x0, y0, x1, y0 + 5 * height)


@pytest.mark.parametrize("name", ["reach", "coverage", "overview", "corridor"])
def test_the_scale_bar_sits_where_no_line_or_station_is(layers, drawn_map, name):
    definition = _definition(name)
    drawn = drawn_map(name)
    import shapely
    from matplotlib.text import Annotation

    from geo.sources._schema import SCENARIOS

    for ax in drawn.panels:
        # The lines and stations drawn in the panel: a today panel leaves out those being built.
        today = ax.get_title(loc="left").startswith("现状")
        statuses = SCENARIOS["today" if today else "after"]
        rail = layers["rail_lines"][layers["rail_lines"]["status"].isin(statuses)]
        stops = layers["rail_stations"][layers["rail_stations"]["status"].isin(statuses)]
        shown = {e.layer for e in definition.layers if e.show}
        routes = layers["corridor_routes"] if "corridor_routes" in shown else rail.iloc[:0]
        lines = gpd.GeoSeries(list(rail.geometry) + list(routes.geometry), crs="EPSG:4326").to_crs(
            drawn.crs
        )
        stations = stops.geometry.to_crs(drawn.crs)
        box = _scale_bar_box(ax)
        assert not lines.intersects(box).any(), (name, ax.get_title(loc="left"))
        assert not stations.intersects(box).any(), name
        # The north arrow too.
        renderer = drawn.figure.canvas.get_renderer()
        arrow = next(t for t in ax.texts if isinstance(t, Annotation)).arrow_patch
        corners = ax.transData.inverted().transform(arrow.get_window_extent(renderer).get_points())
        arrow_box = shapely.box(*corners[0], *corners[1])
        assert not lines.intersects(arrow_box).any(), (name, "north arrow")


def test_a_marker_just_beyond_the_routes_is_drawn_whole_and_names_keep_off_routes(
    layers, drawn_map
):
    import numpy as np

    from geo.outputs.webmap import group_features

    definition = _definition("corridor")
    drawn = drawn_map("corridor")
    renderer = drawn.figure.canvas.get_renderer()
    ax = drawn.map_axes
    entry = next(e for e in definition.layers if e.layer == "logistics_hubs")
    hubs = group_features(layers["logistics_hubs"], entry).to_crs(drawn.crs)
    shanghai = hubs[hubs["name_zh"].str.contains("上海")]
    assert len(shanghai)
    frame = ax.get_window_extent(renderer)
    margin = 4  # pixels: half a marker at this resolution
    for point in shanghai.geometry:
        x, y = ax.transData.transform((point.x, point.y))
        assert (
            frame.x0 + margin < x < frame.x1 - margin and frame.y0 + margin < y < frame.y1 - margin
        )
    # A country's name does not sit on a route: no point along the routes inside its box.
    routes = layers["corridor_routes"]
    routes = routes[routes["service_kind"] == "reported"].to_crs(drawn.crs)
    points = ax.transData.transform(routes.geometry.segmentize(5000).get_coordinates().to_numpy())
    countries = [t for t in drawn.labels if "\n" in t.get_text() and t.get_ha() == "center"]
    assert any("Vietnam" in t.get_text() for t in countries)
    for text in countries:
        box = text.get_window_extent(renderer)
        inside = (
            (points[:, 0] >= box.x0)
            & (points[:, 0] <= box.x1)
            & (points[:, 1] >= box.y0)
            & (points[:, 1] <= box.y1)
        )
        assert not np.any(inside), text.get_text()


def test_the_view_takes_in_a_marker_just_beyond_what_it_fits_and_not_a_far_one():
    import numpy as np
    from matplotlib.figure import Figure

    from geo.outputs.figure import _set_extent

    def view(points):
        fig = Figure(figsize=(4, 4))
        ax = fig.add_axes((0, 0, 1, 1))
        _set_extent(fig, ax, np.array([0.0, 0.0]), np.array([100.0, 100.0]), points)
        return ax.get_xlim(), ax.get_ylim()

    (x0, x1), (y0, y1) = view(None)
    near = np.array([[50.0, y1 + 0.05 * (y1 - y0)]])  # just above the frame: would be cut
    far = np.array([[50.0, y1 + 0.5 * (y1 - y0)]])
    assert view(far) == ((x0, x1), (y0, y1))
    (_, _), (_, top) = view(near)
    assert top > near[0, 1]


def test_a_failing_figure_run_leaves_the_output_folder_as_it_was(analysis, tmp_path, monkeypatch):
    from geo.outputs import build as build_module

    monkeypatch.setattr(settings, "figure_dpi", DPI)
    monkeypatch.setattr(build_module, "analyse", lambda **_: analysis)
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "overview.png").write_bytes(b"the previous figure")
    (out / "index.html").write_text("the previous page")
    (out / "maps").mkdir()
    (out / "maps" / "corridor.html").write_text("<p>map</p>")  # linked from the new page

    def failing(**_):
        raise RuntimeError("disk trouble")

    with monkeypatch.context() as patch:
        patch.setattr(build_module, "write_index", failing)  # after the figure is drawn
        with pytest.raises(RuntimeError, match="disk trouble"):
            build_module.build_figures(["corridor"], out_dir=out)
    assert sorted(path.name for path in (out / "figures").iterdir()) == ["overview.png"]
    assert (out / "index.html").read_text() == "the previous page"
    assert sorted(path.name for path in tmp_path.iterdir()) == [".out.lock", "out"]

    figures, index = build_module.build_figures(["corridor"], out_dir=out)
    assert figures == [out / "figures" / "corridor.png"] and index == out / "index.html"
    assert (out / "figures" / "overview.png").read_bytes() == b"the previous figure"
    page = index.read_text(encoding="utf-8")
    assert 'src="figures/corridor.png"' in page and 'href="maps/corridor.html"' in page


def test_the_figure_command_caches_in_the_out_folder(analysis, tmp_path, monkeypatch):
    from geo.outputs import _context

    monkeypatch.setattr(settings, "figure_dpi", DPI)
    analysed_in = []

    def analyse(**options):
        analysed_in.append(options["cache_dir"])
        return analysis

    monkeypatch.setattr("geo.outputs.build.analyse", analyse)
    # The land outlines the session cached, copied: the command reads them from --out's cache.
    cache = tmp_path / "out" / "cache"
    cache.mkdir(parents=True)
    for entry in [*settings.cache_dir.glob("land-*"), *settings.cache_dir.glob("china-*")]:
        shutil.copy(entry, cache / entry.name)
    read_from = []

    def recording(name, key, compute, **options):
        read_from.append(options["cache_dir"])
        return cached_stage(name, key, compute, **options)

    monkeypatch.setattr(_context, "cached_stage", recording)
    monkeypatch.setattr(settings, "cache_dir", None)
    monkeypatch.setattr(settings, "out_dir", tmp_path / "default")
    result = CliRunner().invoke(cli, ["figure", "corridor", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert analysed_in == [cache] and read_from and set(read_from) == {cache}
    assert not (tmp_path / "default").exists()


def test_the_array_overlap_test_agrees_with_matplotlibs_boxes():
    # Label placement tests each spot against every box at once; touching boxes overlap, and a
    # box given with its corners swapped is the same box, as for Bbox.overlaps.
    import numpy as np
    from matplotlib.transforms import Bbox

    from geo.outputs._figure_labels import _extents, _overlaps_any

    generator = np.random.default_rng(3)
    corners = generator.integers(0, 12, size=(160, 4)).astype(float)
    boxes = [Bbox.from_extents(*row) for row in corners]
    for box, other in itertools.product(boxes[:80], boxes[80:]):
        assert _overlaps_any(box, _extents([other])) == box.overlaps(other), (box, other)
    assert _overlaps_any(boxes[0], _extents(boxes[80:])) == any(
        boxes[0].overlaps(other) for other in boxes[80:]
    )
    assert not _overlaps_any(boxes[0], _extents([]))


@pytest.mark.parametrize("dpi", [40, 200])
def test_a_labels_box_measured_once_is_its_box_at_every_alignment(dpi):
    # Placement measures a label once and moves its box to each spot by arithmetic: that box
    # must be the one matplotlib draws, or labels would overlap or be dropped.
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from geo.outputs._figure_labels import _box_at, _Label, _text, _text_size

    figure = Figure(dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_xlim(100, 110)
    axes.set_ylim(28, 33)
    renderer = figure.canvas.get_renderer()
    for text, size in (("成都东\nChengdu East", 7.5), ("江油", 9.0), ("CKG", 7.0)):
        label = _Label(104.07, 30.63, text, 100, size)
        width, height = _text_size(axes, renderer, label)
        for ha, va in itertools.product(("left", "right", "center"), ("bottom", "top", "center")):
            x_px, y_px = axes.transData.transform((label.x, label.y)) + np.array([3.5, -2.0])
            x, y = axes.transData.inverted().transform((x_px, y_px))
            drawn = _text(axes, label, x, y, ha=ha, va=va).get_window_extent(renderer)
            expected = _box_at(x_px, y_px, width, height, ha, va)
            np.testing.assert_allclose(drawn.extents, expected.extents, atol=1e-6)
