"""Where two origins' filled reach areas overlap, drawn as an area of its own.

Chengdu's and Chongqing's one-hour areas overlap around 璧山: two translucent fills drawn one
over the other mix (orange over blue) into a muddy olive that is neither origin's colour and
reads as a third thing without saying what. Here the overlap is cut out of both fills and drawn
once, in its own colour, with a legend entry saying what it is: reached from both within the
hour. The GeoPackage keeps each origin's whole area; this is the map's drawing only.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from geo._geodesy import GEOD
from geo.outputs._styles import REACH_BOTH, STYLES
from geo.outputs._vocabulary import bilingual_label, chinese_label, field_label
from geo.utils import log

#: Layers whose filled areas of several origins overlap: drawn cut apart.
OVERLAP_LAYERS = ("rail_reach",)


def overlap_label(ring: str) -> str:
    """Return the words of an overlap: "两地1小时均可达 reached from both within 60 min"."""
    return f"两地{chinese_label(ring)}均可达 reached from both within {ring}"


def _area_km2(shape: shapely.Geometry) -> float:
    return abs(float(GEOD.geometry_area_perimeter(shape)[0])) / 1e6


def split_overlaps(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Return the areas with each overlap of two origins' fills cut out and drawn as its own row.

    Per scenario and time whose symbol is filled (one hour; two hours is an outline alone and
    mixes nothing), the part reached from two or more origins becomes one row (``origin`` is
    ``REACH_BOTH``, its popup names the origins and the area); each origin keeps the rest of
    its area, so no two fills lie over each other.

    Parameters
    ----------
    frame
        The group's rows of a layer in ``OVERLAP_LAYERS`` (EPSG:4326).
    layer
        The layer's name.
    """
    style = STYLES[layer]
    if layer not in OVERLAP_LAYERS or style.color_by is None or not len(frame):
        return frame
    rows = frame.to_dict("records")
    both = []
    keys = [(str(row.get("scenario")), str(row.get(style.attribute))) for row in rows]
    for key in dict.fromkeys(keys):
        if style.categories.get(key[1], style.default).fill is None:
            continue
        members = [i for i, other in enumerate(keys) if other == key and rows[i]["geometry"]]
        pairs = [
            shapely.intersection(rows[i]["geometry"], rows[j]["geometry"])
            for n, i in enumerate(members)
            for j in members[n + 1 :]
        ]
        common = shapely.union_all([shape for shape in pairs if not shape.is_empty])
        common = shapely.make_valid(common)
        if common.is_empty or _area_km2(common) < 1.0:
            continue  # areas that only touch
        for i in members:
            rows[i]["geometry"] = shapely.difference(rows[i]["geometry"], common)
        origins = [str(rows[i][style.color_by]) for i in members]
        scenario, ring = key
        area = _area_km2(common)
        text = overlap_label(ring)
        both.append(
            {
                **rows[members[0]],
                "id": "+".join(str(rows[i].get("id")) for i in members),
                style.color_by: REACH_BOTH,
                "area_km2": round(area, 1),
                "geometry": common,
                "_popup": _both_popup(text, origins, scenario, area),
                "_tooltip": text,
            }
        )
        log(f"{'、'.join(origins)} {scenario} {ring}: {area:,.0f} km² reached from both")
    if not both:
        return frame
    return gpd.GeoDataFrame([*rows, *both], geometry="geometry", crs=frame.crs)


def _both_popup(text: str, origins: list[str], scenario: str, area: float) -> dict[str, Any]:
    """Return the overlap's popup: what it is, from which origins, when, and how large."""
    return {
        "h": [text],
        "r": [
            [field_label("origin"), "、".join(origins)],
            [field_label("scenario"), bilingual_label(scenario)],
            [field_label("area_km2"), f"{area:,.0f}"],
        ],
    }
