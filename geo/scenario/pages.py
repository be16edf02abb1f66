"""The proposals' pages: one per proposal, and one that sets every proposal of a run side by side.

``scenarios/<name>/index.html`` gives a proposal's headline numbers, its table of differences in
words and its map; ``scenarios/index.html`` the table ``chengyu scenario`` prints, with the
proposals' bilingual names as its columns, and their maps side by side. Like ``out/index.html``
the pages are built element by element, every value escaped (a proposal's title is data), with
no script and nothing loaded from outside ``out/``, so they open offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

import pandas as pd

from geo import settings
from geo._io import atomic_path
from geo.outputs.index_page import PAGE_CSS, html_table
from geo.scenario.results import Comparison, row_dicts
from geo.scenario.tables import comparison_table, differences
from geo.sources._schema import SCENARIOS
from geo.utils import log

#: Name of a proposal's page in its folder, and of the comparison page in ``scenarios/``.
PAGE_NAME = "index.html"

#: The measures of ``differences`` in words, Chinese and English.
MEASURE_WORDS: dict[str, str] = {
    "people within": "覆盖人口 people within",
    "km² within": "覆盖面积 km² within",
    "counties within": "覆盖区县 counties within",
    "stations reached": "可达车站 stations reached",
    "counties reached": "可达区县 counties reached",
    "stations gained": "新增车站 stations gained",
}

_CSS = (
    PAGE_CSS
    + """
body { max-width: 1320px; }
h1 { font-size: 1.5em; } h1 small { font-size: 0.62em; }
h2 { margin-top: 1.6em; }
th, td { overflow-wrap: break-word; } th { overflow-wrap: normal; }
.note { max-width: 62em; }
.cards, .maps { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr));
                gap: 1em; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.5em 0.9em; background: #fafafa; }
.card h3 { margin: 0.3em 0; font-size: 1.05em; } .card ul { padding-left: 1.2em; margin: 0.3em 0; }
.card li { margin: 0.2em 0; } .gain { color: #1a6b2f; font-weight: 600; }
figure { margin: 0; } figcaption { font-size: 0.9em; margin: 0.3em 0; }
iframe { width: 100%; height: 540px; border: 1px solid #ccc; border-radius: 4px; }
"""
)


def proposal_names(comparison: Comparison) -> tuple[str, str]:
    """Return a proposal's Chinese and English names, from its ``title`` ("中文 · English")."""
    title = comparison.proposal.title
    zh, separator, english = title.partition(" · ")
    return (zh.strip(), english.strip()) if separator else (title, comparison.proposal.name)


def measure_words(measure: str) -> str:
    """Return a measure of ``differences`` in words (``km of …`` as ``里程 km of …``)."""
    if measure.startswith("km of "):
        return f"里程 {measure}"
    return MEASURE_WORDS.get(measure, measure)


def headline_radius(comparison: Comparison) -> float:
    """Return the radius a headline quotes: 10 km where counted, else the widest."""
    radii = [float(r) for r in comparison.coverage["radius_km"]]
    return 10.0 if 10.0 in radii else max(radii)


def headline(comparison: Comparison) -> list[str]:
    """Return a proposal's headline numbers as sentences (plain text, escaped where shown).

    People gained within each radius, the counties newly served, the stations gained, the
    length of its lines by province and the counties newly reached from each origin.
    """
    lines = []
    for row in row_dicts(comparison.coverage):
        gain = int(row["people_scenario"]) - int(row["people_base"])
        lines.append(
            f"{row['radius_km']:g}公里内人口 people within {row['radius_km']:g} km: {gain:+,}"
            f" ({int(row['people_scenario']):,})"
        )
    nearest = row_dicts(comparison.coverage)[0] if len(comparison.coverage) else None
    if nearest and nearest["counties_newly_served"]:
        lines.append(
            f"新覆盖区县 counties newly served within {nearest['radius_km']:g} km: "
            + "、".join(nearest["counties_newly_served"])
        )
    gained = comparison.stations_gained
    if len(gained):
        names = [f"{zh} {en}" for zh, en in zip(gained["name_zh"], gained["name_en"], strict=True)]
        lines.append(f"新增车站 stations gained ({len(gained)}): " + "、".join(names))
    for row in row_dicts(comparison.lengths):
        name = " ".join(str(row.get(k) or "") for k in ("name_zh", "name_en")).strip()
        lines.append(
            f"里程 length of {name or row['id']}: {row['total_km']:,.1f} km (四川 Sichuan "
            f"{row['sichuan_km']:,.1f}, 重庆 Chongqing {row['chongqing_km']:,.1f})"
        )
    for row in row_dicts(comparison.reach):
        if row["counties_gained"]:
            lines.append(
                f"{row['origin']} {row['minutes']:g} 分钟新可达区县 counties newly reached "
                f"within {row['minutes']:g} min: " + "、".join(row["counties_gained"])
            )
    return lines


def map_title(comparison: Comparison) -> tuple[str, str]:
    """Return the map's titles: the proposal's names, with its headline gain in people."""
    zh, english = proposal_names(comparison)
    radius = headline_radius(comparison)
    row = comparison.coverage[comparison.coverage["radius_km"] == radius].iloc[0]
    gain = int(row["people_scenario"]) - int(row["people_base"])
    # Short: the map's title box must leave its search field clear in a half-width frame.
    return (
        f"{zh}：{radius:g}公里内人口{gain:+,}",
        f"{english}: {gain:+,} people within {radius:g} km",
    )


def _page(title: str, body: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _base_note(comparisons: Sequence[Comparison]) -> str:
    bases = dict.fromkeys(comparison.proposal.base for comparison in comparisons)
    words = "; ".join(f"'{base}' ({', '.join(SCENARIOS[base])} lines)" for base in bases)
    return (
        f'<p class="note">Each proposal is added to the base network {escape(words)} and '
        "analysed as the build analyses it: people on the population surface (2020 census), "
        "catchments per radius, reach by the calibrated rail-time model. Proposed station "
        "positions carry their precision_m, so figures near them are estimates.</p>"
    )


def _card(comparison: Comparison, link: str) -> str:
    zh, english = proposal_names(comparison)
    items = "".join(f"<li>{escape(line)}</li>" for line in headline(comparison))
    return (
        f'<div class="card"><h3><a href="{escape(link)}">{escape(zh)}</a> '
        f"<small>{escape(english)}</small></h3><ul>{items}</ul></div>"
    )


def _signed(value: object) -> object:
    """Return a change with its sign: ``+12`` (a gain reads as one), ``0``, ``-3``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return f"+{value:,}" if float(value).is_integer() else f"+{value:,.1f}"
    return value


def comparison_rows(comparisons: Sequence[Comparison]) -> tuple[list[str], list[list[object]]]:
    """Return the table ``chengyu scenario`` prints, in words: headers and rows.

    Columns: the measure (bilingual), its key, each base, then per proposal its value and its
    change, headed by the proposal's bilingual name.
    """
    frame = comparison_table(comparisons)
    headers = []
    for column in frame.columns:
        name = str(column)
        proposal = next(
            (c for c in comparisons if name in (c.proposal.name, f"{c.proposal.name} change")),
            None,
        )
        if name == "measure":
            headers.append("指标 measure")
        elif name == "key":
            headers.append("范围 of")
        elif name.startswith("base "):
            headers.append(f"基准 base ({name.removeprefix('base ')})")
        elif proposal is not None:
            zh, english = proposal_names(proposal)
            headers.append(
                f"{zh} {english}" if name == proposal.proposal.name else f"变化 change: {zh}"
            )
        else:
            headers.append(name)
    rows = []
    for record in frame.to_dict("records"):
        row: list[object] = []
        for key, value in record.items():
            label = str(key)
            if label == "measure":
                row.append(measure_words(str(value)))
            elif label.endswith(" change"):
                row.append(_signed(value))
            else:
                row.append(None if isinstance(value, float) and pd.isna(value) else value)
        rows.append(row)
    return headers, rows


def proposal_page(comparison: Comparison) -> str:
    """Return a proposal's page: headline numbers, differences in words, its map and files."""
    name = comparison.proposal.name
    zh, english = proposal_names(comparison)
    table = differences(comparison)
    rows = [
        [measure_words(str(r["measure"])), r["key"], r["base"], r["scenario"],
         _signed(r["change"]), r["detail"]]
        for r in table.to_dict("records")
    ]  # fmt: skip
    body = [
        f"<h1>{escape(zh)}<small>{escape(english)}</small></h1>",
        _base_note([comparison]),
        '<div class="cards">',
        _card(comparison, "map.html"),
        "</div>",
        "<h2>地图 Map</h2>",
        f'<figure><iframe src="map.html" title="{escape(english)}"></iframe>'
        '<figcaption><a href="map.html">全屏打开 Open the map on its own</a></figcaption></figure>',
        "<h2>差异 Differences</h2>",
        html_table(
            ["指标 measure", "范围 of", "基准 base", "方案 scenario", "变化 change", "名称 names"],
            rows,
        ),
        "<h2>文件 Files</h2><ul>",
        f'<li><a href="{escape(name)}.gpkg">{escape(name)}.gpkg</a> — the proposal\'s layers, '
        "styled for QGIS</li>",
        '<li><a href="differences.csv">differences.csv</a> — the table above</li>',
        '<li><a href="../index.html">方案对比 All proposals of the run side by side</a></li>',
        '<li><a href="../../index.html">首页 The project\'s first page</a></li></ul>',
    ]
    return _page(f"{zh} · {english}", body)


def comparison_page(comparisons: Sequence[Comparison]) -> str:
    """Return the page that sets the proposals of one run side by side: table and maps."""
    headers, rows = comparison_rows(comparisons)
    cards = "".join(_card(c, f"{c.proposal.name}/{PAGE_NAME}") for c in comparisons)
    maps = []
    for comparison in comparisons:
        zh, english = proposal_names(comparison)
        link = f"{comparison.proposal.name}/map.html"
        maps.append(
            f'<figure><figcaption><a href="{escape(link)}">{escape(zh)} {escape(english)}</a>'
            f'</figcaption><iframe src="{escape(link)}" title="{escape(english)}" '
            "></iframe></figure>"
        )
    body = [
        "<h1>方案比较<small>Proposals compared side by side</small></h1>",
        _base_note(comparisons),
        f'<div class="cards">{cards}</div>',
        "<h2>地图 Maps side by side</h2>",
        f'<div class="maps">{"".join(maps)}</div>',
        "<h2>对比表 The table</h2>",
        html_table(headers, rows),
        '<p class="note">The same table as <code>chengyu scenario</code> prints; each '
        "proposal's folder holds its differences.csv and GeoPackage. "
        '<a href="../index.html">首页 The project\'s first page</a>.</p>',
    ]
    return _page("方案比较 Proposals compared", body)


def write_pages(comparisons: Sequence[Comparison], *, out_dir: Path | None = None) -> list[Path]:
    """Write each proposal's page and the comparison page into ``out_dir/scenarios/``.

    Call after each proposal's folder is written (``geo.scenario.outputs.write_outputs``):
    the pages show the maps there.
    """
    folder = Path(out_dir or settings.out_dir) / "scenarios"
    written = []
    for comparison in comparisons:
        target = folder / comparison.proposal.name / PAGE_NAME
        with atomic_path(target) as temporary:
            temporary.write_text(proposal_page(comparison), encoding="utf-8")
        written.append(target)
    target = folder / PAGE_NAME
    with atomic_path(target) as temporary:
        temporary.write_text(comparison_page(comparisons), encoding="utf-8")
    written.append(target)
    log(f"wrote {len(written)} proposal pages to {folder}")
    return written
