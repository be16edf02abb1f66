"""``out/index.html``: the page a planner opens first and forwards.

The maps (linked, the overview first, with a thumbnail where a figure or a screenshot exists),
the proposals compared (``out/scenarios/``), links to every data file, the headline tables
(coverage today and after, reach by rail, lengths against the official ones, and the travel-time
calibration when ``out/rail_times.csv`` exists), the figures, and the sources and licences.

The page is built element by element with every value passed through ``html.escape``: layer
text is data, never markup, and no template engine sees it. It has no script and loads nothing
from outside ``out/``, so it works offline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from html import escape, unescape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo._io import atomic_path
from geo.analysis.road_access import ROAD_GRAPH_CREDIT
from geo.networks.freight import RAIL_GRAPH_CREDIT
from geo.outputs.webmap import bilingual_label
from geo.sources._schema import ALL_SPECS
from geo.sources.mapdefs import load_map_definitions
from geo.utils import log

#: Name of the page in ``out_dir``.
INDEX_NAME = "index.html"
#: The travel-time calibration table another step writes into ``out_dir``, if present.
RAIL_TIMES_CSV = "rail_times.csv"

_RAIL_TIMES_COLUMNS = ("from", "to", "train", "date", "stops", "published_min", "modelled_min",
                       "error_pct", "within_tolerance")  # fmt: skip

_SIGNED = re.compile(r"[+-][\d,]+(\.\d+)?")

_RAIL_TIMES_HEADERS = {
    "train": "train", "date": "date", "stops": "stops (modelled)",
    "published_min": "published min", "modelled_min": "modelled min",
    "error_pct": "error %", "within_tolerance": "within tolerance",
}  # fmt: skip

#: The style the project's plain pages share (this index, the proposals' pages): fonts with CJK,
#: headings, tables with right-aligned numbers, notes. A page adds its own rules after it.
PAGE_CSS = """
body { font: 15px/1.45 system-ui, "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.2em 1.5em 3em; color: #1d1d1d; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h1 small { display: block; font-size: 0.6em;
     font-weight: normal; color: #444; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; max-width: 100%; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.55em; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f1f1f1; text-align: left; overflow-wrap: normal; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;
       overflow-wrap: normal; }
.note { color: #555; font-size: 0.88em; max-width: 60em; }
"""

_CSS = (
    PAGE_CSS
    + """
.maps { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1em; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em; background: #fafafa; }
.card img { width: 100%; height: auto; border: 1px solid #e4e4e4; background: white; }
.card .none { height: 150px; display: flex; flex-direction: column; align-items: center;
              justify-content: center; gap: 0.3em; color: #777; font-size: 0.85em;
              border: 1px dashed #ccc; text-align: center; }
.card h3 { font-size: 1em; margin: 0.4em 0 0.2em; } .card p { margin: 0.2em 0; font-size: 0.9em; }
td.remark { min-width: 12em; font-size: 0.92em; } td:first-child { min-width: 9em; }
.data li { margin: 0.15em 0; } .data code { font-size: 0.92em; }
details { margin: 0.3em 0; } summary { cursor: pointer; }
"""
)


def _cell(value: object) -> tuple[str, bool]:
    """Return a value as escaped text, and whether it is a number (right-aligned)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if isinstance(value, bool | np.bool_):
        return ("是 yes" if value else "否 no"), False
    if isinstance(value, int | np.integer):
        return f"{int(value):,}", True
    if isinstance(value, float | np.floating):
        number = float(value)
        return (f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.1f}"), True
    text = str(value)
    # A signed change ("+1,234", "+0.5") reads as a number: right-aligned like one.
    return escape(text), bool(_SIGNED.fullmatch(text))


def _number(value: object) -> int | float:
    """Return a whole number as an int (shown without decimals), else a float."""
    number = float(str(value))
    return int(number) if number.is_integer() else number


def html_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, wide: Iterable[str] = ()
) -> str:
    """Return an HTML table; every header and cell is escaped.

    Cells of the ``wide`` columns (long remarks) get the class ``remark``: wrapped, smaller.
    """
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    remarks = {index for index, column in enumerate(columns) if column in set(wide)}
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            text, numeric = _cell(value)
            if numeric:
                cells.append(f'<td class="n">{text}</td>')
            elif index in remarks:
                cells.append(f'<td class="remark">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _line_names(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    lines = layers["rail_lines"].drop_duplicates("line_id")
    names = {str(r.line_id): f"{r.name_zh} {r.name_en}" for r in lines.itertuples()}
    return {"all": "全部线路 all lines", **names}


def _coverage_section(coverage: pd.DataFrame, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    names = _line_names(layers)
    rows = []
    for (line_id, radius), group in coverage.groupby(["line_id", "radius_km"], sort=False):
        today = group[group["scenario"] == "today"].iloc[0]
        after = group[group["scenario"] == "after"].iloc[0]
        rows.append(
            [
                names.get(str(line_id), str(line_id)),
                _number(radius),
                int(today["stations"]),
                int(after["stations"]),
                int(today["people"]),
                int(after["people"]),
                int(after["people"]) - int(today["people"]),
                int(today["counties"]),
                int(after["counties"]),
            ]
        )
    columns = ["line", "radius km", "stations today", "stations after", "people today",
               "people after", "gain", "counties today", "counties after"]  # fmt: skip
    method = ""
    if "station_coverage" in layers and len(layers["station_coverage"]):
        method = str(layers["station_coverage"]["method"].iloc[0])
    return (
        "<h2>站点覆盖人口 Coverage: people within reach of a station</h2>"
        + html_table(columns, rows)
        + f'<p class="note">{escape(method)}</p>'
    )


def _reach_section(layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    if "rail_reach" not in layers or not len(layers["rail_reach"]):
        return ""
    reach = layers["rail_reach"]
    rows = []
    for (origin, minutes), group in reach.groupby(["origin", "minutes"], sort=False):
        by = {str(row.scenario): row for row in group.itertuples()}
        today, after = by.get("today"), by.get("after")
        rows.append(
            [
                origin,
                _number(minutes),
                today.stations if today else None,
                after.stations if after else None,
                today.area_km2 if today else None,
                after.area_km2 if after else None,
            ]
        )
    columns = ["from", "minutes", "stations today", "stations after", "km² today", "km² after"]
    return (
        "<h2>铁路交通圈 Reach by rail</h2>"
        + html_table(columns, rows)
        + f'<p class="note">{escape(str(reach["method"].iloc[0]))}</p>'
    )


def _status_words(status: object) -> str:
    """Return a status in words; a line of several (``operating/under_construction``) each."""
    if not isinstance(status, str) or not status:
        return ""
    return " / ".join(bilingual_label(part) for part in status.split("/"))


def _lengths_section(lengths: pd.DataFrame) -> str:
    lines = lengths[lengths["level"] == "line"]
    columns = ["line", "status", "Sichuan km", "Chongqing km", "other km", "measured km",
               "official km", "difference km", "difference %", "remark"]  # fmt: skip
    rows = [
        [
            f"{r.name_zh} {r.name_en}",
            _status_words(r.status),
            r.sichuan_km,
            r.chongqing_km,
            r.other_km,
            r.total_km,
            r.official_km,
            r.diff_km,
            r.diff_pct,
            r.remark,
        ]
        for r in lines.itertuples()
    ]
    return (
        "<h2>线路里程 Lengths against the official ones</h2>"
        + html_table(columns, rows, wide={"remark"})
        + '<p class="note">Geodesic lengths (WGS84 ellipsoid) of lines drawn through their '
        "stations: straight from station to station, or, for operating sections where it has the "
        "line, along the simplified railway graph of scgraph_data (OpenStreetMap-derived); "
        "neither is the surveyed track length. Each row's remark says which. The full table is "
        "in lengths.csv.</p>"
    )


def _found(folders: Sequence[Path], relative: str) -> Path:
    """``relative`` in the first of ``folders`` that holds it (else in the first folder)."""
    for folder in folders:
        if (folder / relative).exists():
            return folder / relative
    return folders[0] / relative


def _rail_times_section(folders: Sequence[Path]) -> str:
    path = _found(folders, RAIL_TIMES_CSV)
    if not path.is_file():
        return ""
    table = pd.read_csv(path)
    # The headline columns where the table has them; the method and sources stay in the file.
    shown = [c for c in _RAIL_TIMES_COLUMNS if c in table.columns] or list(table.columns)
    method = str(table["method"].iloc[0]) if "method" in table.columns and len(table) else ""
    if "within_tolerance" in table.columns:
        # Read back from CSV a flag is text or a number; on the page it is a word.
        flags = table["within_tolerance"].astype(str).str.lower().isin(("true", "1", "1.0"))
        table = table.assign(within_tolerance=flags.where(table["within_tolerance"].notna()))
    headers = [_RAIL_TIMES_HEADERS.get(c, str(c).replace("_", " ")) for c in shown]
    return (
        "<h2>行车时间校核 Travel-time calibration</h2>"
        + html_table(headers, table[shown].itertuples(index=False))
        + (f'<p class="note">{escape(method)}</p>' if method else "")
        + f'<p class="note">From {escape(RAIL_TIMES_CSV)}.</p>'
    )


def _thumbnail(folders: Sequence[Path], name: str) -> str | None:
    """Relative path of the picture that stands for a map: its figure, else a screenshot."""
    for relative in (f"figures/{name}.png", f"screenshots/{name}.png"):
        if _found(folders, relative).is_file():
            return relative
    return None


def _maps_section(folders: Sequence[Path], titles: Mapping[str, tuple[str, str]]) -> str:
    cards = []
    figure_folder = _found(folders, "figures")
    # The overview first: the map a planner opens before any other.
    pages = sorted(
        _found(folders, "maps").glob("*.html"), key=lambda p: (p.stem != "overview", p.stem)
    )
    for path in pages:
        name = path.stem
        title_zh, title_en = titles.get(name, (name, ""))
        link = f"maps/{path.name}"
        thumb = _thumbnail(folders, name)
        picture = (
            f'<a href="{escape(link)}"><img src="{escape(thumb)}" alt="{escape(title_en)}" '
            'loading="lazy"></a>'
            if thumb
            else f'<div class="none"><span>no picture yet: run</span><code>chengyu figure '
            f"{escape(name)}</code></div>"
        )
        figures = sorted(figure_folder.glob(f"{name}.*")) if figure_folder.is_dir() else []
        figure_links = " · ".join(
            f'<a href="figures/{escape(f.name)}">{escape(f.suffix.lstrip(".").upper())}</a>'
            for f in figures
        )
        cards.append(
            f'<div class="card">{picture}<h3><a href="{escape(link)}">{escape(title_zh)}</a></h3>'
            f"<p>{escape(title_en)}</p>"
            + (f"<p>Figure: {figure_links}</p>" if figure_links else "")
            + "</div>"
        )
    if not cards:
        return ""
    return f'<h2>地图 Maps</h2><div class="maps">{"".join(cards)}</div>'


def _data_section(folders: Sequence[Path]) -> str:
    """Return links to every data file of the build that exists: GeoPackage, CSVs, GeoParquet."""
    files = [
        (settings.geopackage_name, "GeoPackage: every layer, QGIS styles included"),
        ("lengths.csv", "lengths by section, line, status and province against the official ones"),
        ("coverage.csv", "people, area and counties within each radius, today and after"),
        ("coverage_by_county.csv", "the same per county"),
        (RAIL_TIMES_CSV, "published fastest times against the model (travel-time calibration)"),
    ]
    items = [
        f'<li><a href="{escape(name)}">{escape(name)}</a> — {escape(what)}</li>'
        for name, what in files
        if _found(folders, name).is_file()
    ]
    parquet_folder = _found(folders, "parquet")
    parquet = sorted(parquet_folder.glob("*.parquet")) if parquet_folder.is_dir() else []
    if parquet:
        links = " · ".join(
            f'<a href="parquet/{escape(path.name)}"><code>{escape(path.stem)}</code></a>'
            for path in parquet
        )
        items.append(f"<li>GeoParquet, one file per layer: {links}</li>")
    if not items:
        return ""
    return f'<h2>数据 Data files</h2><ul class="data">{"".join(items)}</ul>'


def _page_title(page: Path) -> str | None:
    """Return the text of a page's ``<title>`` (a proposal's names), or ``None``."""
    match = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S)
    return unescape(match.group(1)).strip() or None if match else None


def _scenarios_section(folders: Sequence[Path]) -> str:
    """Return the links to the proposals ``chengyu scenario`` compared, or how to compare them."""
    folder = _found(folders, "scenarios")
    pages = sorted(folder.glob("*/index.html")) if folder.is_dir() else []
    heading = "<h2>方案比较 Proposals compared</h2>"
    if not pages:
        return (
            heading + '<p class="note">No proposal compared yet: '
            "<code>chengyu scenario scenarios/example/*.toml</code> compares the two example "
            "proposals and writes their pages here.</p>"
        )
    parts = [heading]
    if (folder / "index.html").is_file():
        parts.append(
            '<p><a href="scenarios/index.html">方案对比 The proposals side by side</a> '
            "(table and maps).</p>"
        )
    items = "".join(
        f'<li><a href="scenarios/{escape(page.parent.name)}/index.html">'
        f"{escape(_page_title(page) or page.parent.name)}</a></li>"
        for page in pages
    )
    return "".join(parts) + f'<ul class="data">{items}</ul>'


def _sources_section(layers: Mapping[str, gpd.GeoDataFrame], credits: Sequence[str]) -> str:
    parts = ["<h2>来源与许可 Sources and licences</h2><ul>"]
    parts += [f"<li>{escape(credit)}</li>" for credit in credits]
    parts.append("</ul>")
    for name, frame in layers.items():
        if "source" not in frame.columns or name not in ALL_SPECS:
            continue
        sources = sorted({str(s) for s in frame["source"].dropna() if str(s)})
        items = "".join(f"<li>{escape(source)}</li>" for source in sources)
        parts.append(
            f"<details><summary><code>{escape(name)}</code> — {escape(ALL_SPECS[name].title)} "
            f"({len(frame):,} features, {len(sources)} sources)</summary><ul>{items}</ul></details>"
        )
    return "".join(parts)


def index_html(
    *,
    layers: Mapping[str, gpd.GeoDataFrame],
    lengths: pd.DataFrame,
    coverage: pd.DataFrame,
    out_dir: Path,
    titles: Mapping[str, tuple[str, str]] | None = None,
    credits: Sequence[str] = (),
    swapped_into: Path | None = None,
) -> str:
    """Return the page's HTML, from the analysis and the files already in ``out_dir``.

    Parameters
    ----------
    layers, lengths, coverage
        The build's layers and tables.
    out_dir
        The output folder: maps, figures, screenshots and ``rail_times.csv`` are found there.
    titles
        Chinese and English title per map name.
    credits
        Credit lines of the data and the networks used.
    swapped_into
        When ``out_dir`` is a staging folder: the output folder it will be swapped in for,
        where the entries not written again (maps, figures, screenshots) are found.
    """
    folders = [Path(out_dir), *([Path(swapped_into)] if swapped_into is not None else [])]
    body = [
        "<h1>成渝地区双城经济圈 交通与物流通道"
        "<small>Chengdu–Chongqing economic circle: transport and logistics corridors</small></h1>",
        f'<p class="note">Built {date.today():%Y-%m-%d}. Maps first, then the proposals '
        "compared, the data files and the headline tables.</p>",
        _maps_section(folders, titles or {}),
        _scenarios_section(folders),
        _data_section(folders),
        _coverage_section(coverage, layers),
        _reach_section(layers),
        _lengths_section(lengths),
        _rail_times_section(folders),
        _sources_section(layers, [settings.attribution, *credits]),
    ]
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>成渝交通与物流通道 Chengdu–Chongqing corridors</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_index(
    *,
    layers: Mapping[str, gpd.GeoDataFrame],
    lengths: pd.DataFrame,
    coverage: pd.DataFrame,
    out_dir: Path | None = None,
    maps_dir: Path | None = None,
    swapped_into: Path | None = None,
) -> Path:
    """Write ``out_dir/index.html`` (atomically) and return its path.

    Parameters
    ----------
    layers, lengths, coverage
        The build's layers and tables.
    out_dir
        Output folder (default ``settings.out_dir``).
    maps_dir
        Folder of the map definitions, for the maps' titles.
    swapped_into
        As for ``index_html``: the output folder a staging ``out_dir`` will replace.
    """
    out = Path(out_dir or settings.out_dir)
    titles = {d.name: (d.title_zh, d.title_en) for d in load_map_definitions(maps_dir)}
    html = index_html(
        layers=layers,
        lengths=lengths,
        coverage=coverage,
        out_dir=out,
        titles=titles,
        credits=[
            f"Rail legs and operating rail sections: {RAIL_GRAPH_CREDIT}",
            f"Station access: {ROAD_GRAPH_CREDIT}",
            "Census: 7th national census (2020) by county, compiled by Lei Dong et al. (MIT)",
        ],
        swapped_into=swapped_into,
    )
    target = out / INDEX_NAME
    with atomic_path(target) as temporary:
        temporary.write_text(html, encoding="utf-8")
    log(f"wrote {target} ({len(html) / 1e3:.0f} kB)")
    return target
