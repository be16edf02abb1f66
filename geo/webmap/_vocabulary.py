"""Words for codes: the bilingual labels of values and fields, and a feature's popup as data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo._schema import ALL_SPECS

_LABELS_ZH = {
    "operating": "运营",
    "under_construction": "在建",
    "planned": "规划",
    "reserved": "预留",
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
}


_LABELS_EN = {
    "under_25pct": "under 25 %",
    "25_50pct": "25–50 %",
    "50_75pct": "50–75 %",
    "75pct_plus": "75 % or more",
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
}


# Fields shown as the popup's heading rather than as rows.
_HEADING_FIELDS = ("name_zh", "name_en", "service_name_zh", "service_name_en")


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    return str(value)


def _bilingual(value: str) -> str:
    zh = _LABELS_ZH.get(value)
    english = _LABELS_EN.get(value, value.replace("_", " "))
    return f"{zh} {english}" if zh else english


def popup_content(row: Mapping[str, Any], layer: str) -> dict[str, list[Any]]:
    """A feature's popup as data: names as heading (``h``), then ``[label, value]`` rows (``r``).

    Feature text is data, never markup: the page builds the popup with ``textContent``.
    """
    heading = [text for name in _HEADING_FIELDS if (text := _text(row.get(name)))]
    rows = []
    # The layer's documented fields first, then any computed column (per-radius figures, …).
    documented = ALL_SPECS[layer].field_names
    keys = list(row.keys())  # a pandas row iterates over its values, not its keys
    names = [*documented, *(key for key in keys if key not in documented)]
    for name in names:
        if name in _HEADING_FIELDS or name in ("lon", "lat", "geometry") or name.startswith("_"):
            continue
        text = _text(row.get(name))
        if text is None:
            continue
        if name in ("status", "kind", "mode", "level", "service_kind", "scenario"):
            text = _bilingual(text)
        label_zh = _FIELD_LABELS_ZH.get(name)
        label = f"{label_zh} {name}" if label_zh else name
        rows.append([label, text])
    return {"h": heading or [str(row.get("id", ""))], "r": rows}
