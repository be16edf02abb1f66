"""Words for codes: the bilingual labels of values and fields, and a feature's popup as data."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo.sources._schema import ALL_SPECS

_LABELS_ZH = {
    "operating": "运营",
    "under_construction": "在建",
    "planned": "规划",
    "reserved": "预留",
    "junction": "线路所",
    "national_hub": "国家物流枢纽",
    "rail_port": "铁路港",
    "river_port": "内河港",
    "sea_port": "海港",
    "rail": "铁路",
    "sea": "海运",
    "river": "内河",
    "road": "公路",
    "province": "省级",
    "prefecture": "地级",
    "county": "县级",
    "zone": "开发区",
    "reported": "已开行",
    "comparison": "比较",
    "today": "现状",
    "after": "建成后",
    "none": "无",
    "under_25pct": "不足25%",
    "25_50pct": "25%至50%",
    "50_75pct": "50%至75%",
    "75pct_plus": "75%以上",
    "30 min": "30分钟",
    "60 min": "1小时",
    "120 min": "2小时",
    "schematic_station_chain": "车站间直线示意",
    "osm": "沿OpenStreetMap轨道",
    "osm_partial": "部分沿OpenStreetMap轨道",
    "osm_railway_graph": "沿铁路网图",
    "osm_railway_graph_partial": "部分沿铁路网图",
    # A proposal's map and layers (geo.scenario): roles, parts and changes.
    "base": "基准",
    "reused": "沿用车站",
    "proposal": "方案新增",
    "gained": "方案新增覆盖",
    "newly_served": "新纳入覆盖",
    "more_covered": "覆盖人口增加",
}


_LABELS_EN = {
    "junction": "junction (no passengers)",
    "under_25pct": "under 25 %",
    "25_50pct": "25–50 %",
    "50_75pct": "50–75 %",
    "75pct_plus": "75 % or more",
    "schematic_station_chain": "straight from station to station (schematic)",
    "osm": "along the OpenStreetMap track",
    "osm_partial": "partly along the OpenStreetMap track, partly straight",
    "osm_railway_graph": "along the railway graph (OpenStreetMap-derived, simplified)",
    "osm_railway_graph_partial": (
        "partly along the railway graph (OpenStreetMap-derived, simplified), partly straight"
    ),
    "reused": "base station the proposal calls at",
    "proposal": "added by the proposal",
    "gained": "gained by the proposal",
    "newly_served": "newly served",
    "more_covered": "more people covered",
}


_FIELD_LABELS_ZH = {
    "id": "编号",
    "status": "状态",
    "opened": "开通",
    "opening": "计划开通",
    "started": "开工",
    "status_as_of": "状态截至",
    "line_id": "线路",
    "seq": "站序",
    "design_speed_kmh": "设计时速",
    "length_official_km": "官方里程",
    "line_length_official_km": "全线里程",
    "kind": "类型",
    "precision_m": "位置精度(米)",
    "position_basis": "位置依据",
    "mode": "方式",
    "origin": "起点",
    "destination": "终点",
    "population_2020": "2020年人口",
    "adcode": "行政区划代码",
    "route_no": "编号",
    "facts": "要点",
    "notes": "说明",
    "source": "来源",
    "geometry_source": "几何来源",
    "osm_share": "沿轨道比例",
    "lines": "线路",
    "covered_class": "覆盖人口比例",
    "ring": "范围",
    "minutes": "分钟",
    "stations": "车站数",
    "area_km2": "面积(平方公里)",
    "people": "人口",
    "method": "方法",
    "radius_km": "半径(公里)",
    "name_zh": "名称",
    "prefecture_zh": "地级市",
    "province_zh": "省级",
    "level": "级别",
    "name_en_source": "英文名来源",
    "role": "角色",
    "part": "部分",
    "change": "变化",
}
_SCENARIO_WORDS = {"today": ("现状", "today"), "after": ("建成后", "after")}
#: Computed per-radius columns of station_coverage: ``<measure>_<scenario>_<radius>km``.
_PER_RADIUS = re.compile(r"(share_area|people|gain_people)_(?:(today|after)_)?(\d+)km")
_MEASURE_WORDS = {
    "share_area": ("面积比例", "share of area"),
    "people": ("覆盖人口", "people covered"),
    "gain_people": ("新增覆盖人口", "people gained"),
}
#: Fields whose values are codes of a vocabulary, shown in words.
_CODED_FIELDS = (
    "status",
    "kind",
    "mode",
    "level",
    "service_kind",
    "scenario",
    "covered_class",
    "geometry_source",
    "role",
    "part",
    "change",
)
#: What heads a popup of a feature without a name (a catchment, a reach ring).
_HEADING_FALLBACK = ("origin", "scenario", "ring")


# Fields shown as the popup's heading rather than as rows.
_HEADING_FIELDS = ("name_zh", "name_en", "service_name_zh", "service_name_en")


def display_text(value: object) -> str | None:
    """Return a value as shown to a reader: ``None`` when missing, big integers with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    return str(value)


def chinese_label(value: str) -> str:
    """Return a code's Chinese word (``60min``: 1小时), the code itself where there is none."""
    return _LABELS_ZH.get(value, value)


def bilingual_label(value: str) -> str:
    zh = _LABELS_ZH.get(value)
    english = _LABELS_EN.get(value, value.replace("_", " "))
    return f"{zh} {english}" if zh else english


#: Bounds (per cent) of the share classes of ``covered_class``.
_SHARE_BOUNDS = {
    "under_25pct": (0, 25),
    "25_50pct": (25, 50),
    "50_75pct": (50, 75),
    "75pct_plus": (75, 100),
}


#: The share classes ``share_range_label`` joins into one range.
SHARE_CLASSES = frozenset(_SHARE_BOUNDS)


def share_range_label(classes: list[str]) -> str:
    """Return the label of consecutive share classes drawn alike: "不足75% under 75 %"."""
    low, high = _SHARE_BOUNDS[classes[0]][0], _SHARE_BOUNDS[classes[-1]][1]
    if low == 0:
        return f"不足{high}% under {high} %"
    if high == 100:
        return f"{low}%以上 {low} % or more"
    return f"{low}%至{high}% {low}–{high} %"


def field_label(name: str) -> str:
    """Return a field's label in words: Chinese and English (``share_area_after_30km`` too)."""
    match = _PER_RADIUS.fullmatch(name)
    if match:
        measure, scenario, radius = match.groups()
        zh, english = _MEASURE_WORDS[measure]
        when_zh, when_en = _SCENARIO_WORDS.get(scenario or "", ("", ""))
        within = f"within {radius} km" + (f", {when_en}" if when_en else "")
        return f"{when_zh}{radius}公里内{zh} {english} {within}"
    label_zh = _FIELD_LABELS_ZH.get(name)
    english = name.replace("_", " ")
    return f"{label_zh} {english}" if label_zh else english


def _value_text(name: str, value: object) -> str | None:
    """Return a value in words: codes of a vocabulary bilingual, shares as percentages."""
    text = display_text(value)
    if text is None:
        return None
    if name in _CODED_FIELDS:
        return bilingual_label(text)
    is_share = name.startswith("share_") or name.endswith("_share")
    if is_share and isinstance(value, float | int | np.floating):
        return f"{float(value) * 100:.0f} %"
    return text


def _heading(row: Mapping[str, Any]) -> list[str]:
    """Return a popup's heading: the feature's names, else what it is (origin, scenario, ring)."""
    names = [text for name in _HEADING_FIELDS if (text := display_text(row.get(name)))]
    if names:
        return names
    parts = [text for name in _HEADING_FALLBACK if (text := _value_text(name, row.get(name)))]
    return [" · ".join(parts)] if parts else [str(row.get("id", ""))]


def popup_content(row: Mapping[str, Any], layer: str) -> dict[str, list[Any]]:
    """Return a feature's popup as data: names as heading (``h``), then rows (``r``).

    Codes are shown in words (``under_25pct`` as "不足25% under 25 %"), shares as percentages.
    Feature text is data, never markup: the page builds the popup with ``textContent``.
    """
    rows = []
    # The layer's documented fields first, then any computed column (per-radius figures, …).
    documented = ALL_SPECS[layer].field_names
    keys = list(row.keys())  # a pandas row iterates over its values, not its keys
    names = [*documented, *(key for key in keys if key not in documented)]
    for name in names:
        if name in _HEADING_FIELDS or name in ("lon", "lat", "geometry") or name.startswith("_"):
            continue
        stem = name.removesuffix("_zh").removesuffix("_en")
        if name != stem and f"{stem}_zh" in keys and f"{stem}_en" in keys:
            # A name in both languages is one row: "地级市 prefecture: 成都市 Chengdu City".
            if name.endswith("_zh"):
                both = [t for key in (name, f"{stem}_en") if (t := display_text(row.get(key)))]
                if both:
                    label = _FIELD_LABELS_ZH.get(name, "")
                    rows.append([f"{label} {stem.replace('_', ' ')}".strip(), " ".join(both)])
            continue
        text = _value_text(name, row.get(name))
        if text is not None:
            rows.append([field_label(name), text])
    return {"h": _heading(row), "r": rows}
