"""Stretches two roads share, drawn once: a click there names both, not the one drawn last.

Two expressways may be built as one road for a while (遂渝 and 渝蓉 share 76 km of carriageway):
drawn twice, the later one takes every click on the stretch. Here the stretch is cut out of
both and drawn once, its popup naming both roads and the shared length.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import shapely

from geo._geodesy import GEOD
from geo.outputs._vocabulary import bilingual_label, display_text
from geo.utils import log

#: Layers whose shared stretches are drawn once (rail lines keep one colour per line instead).
SHARED_STRETCH_LAYERS = ("expressways",)
#: Within this distance (degrees, about 50 m) two lines count as one; a stretch shorter than
#: ``SHARED_MIN_KM`` (a junction, a crossing) stays with both.
SHARED_TOLERANCE_DEGREES = 0.0005
SHARED_MIN_KM = 3.0


def _names(row: Mapping[str, Any]) -> list[str]:
    return [text for key in ("name_zh", "name_en") if (text := display_text(row.get(key)))]


def _shared_popup(first: Mapping[str, Any], second: Mapping[str, Any], km: float) -> dict[str, Any]:
    """Return the shared stretch's popup: both roads' names, the length, their numbers, status."""
    rows: list[list[str]] = [["共线里程 shared length", f"{km:.1f} km"]]
    for row in (first, second):
        words = [
            t for t in (display_text(row.get("route_no")), display_text(row.get("status"))) if t
        ]
        if words and words[-1] == display_text(row.get("status")):
            words[-1] = bilingual_label(words[-1])
        rows.append([display_text(row.get("name_zh")) or str(row.get("id")), " · ".join(words)])
    return {"h": [*_names(first), *_names(second)], "r": rows}


def merge_shared_stretches(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the lines with each stretch two of them share drawn once, as a row of its own.

    Only lines of one status are merged (a planned widening along an operating road keeps its
    own dash). The shared row carries both roads' text (``_popup``, ``_tooltip``) and the earlier
    opening; the two roads keep the rest of their lines.

    Parameters
    ----------
    frame
        A line layer's rows (EPSG:4326).
    """
    rows = frame.to_dict("records")
    shapes = [row["geometry"] for row in rows]
    shared = []
    for i, first in enumerate(rows):
        for j in range(i + 1, len(rows)):
            second, a, b = rows[j], shapes[i], shapes[j]
            if a is None or b is None or a.is_empty or b.is_empty:
                continue
            if first.get("status") != second.get("status") or not a.envelope.intersects(b.envelope):
                continue
            common = shapely.line_merge(shapely.intersection(b, a.buffer(SHARED_TOLERANCE_DEGREES)))
            km = GEOD.geometry_length(common) / 1000 if not common.is_empty else 0.0
            if km < SHARED_MIN_KM:
                continue
            shapes[i] = a.difference(common.buffer(SHARED_TOLERANCE_DEGREES))
            shapes[j] = b.difference(a.buffer(SHARED_TOLERANCE_DEGREES))
            openings = sorted(
                t for row in (first, second) if (t := display_text(row.get("opened")))
            )
            names = [(display_text(row.get("name_zh")) or "") for row in (first, second)]
            shared.append(
                {
                    **first,
                    "id": f"{first.get('id')}+{second.get('id')}",
                    "opened": openings[0] if openings else first.get("opened"),
                    "geometry": common,
                    "_popup": _shared_popup(first, second, km),
                    "_tooltip": " / ".join(names),
                }
            )
            log(f"{names[0]} and {names[1]} share {km:.1f} km: drawn once, both in its popup")
    if not shared:
        return frame
    for row, shape in zip(rows, shapes, strict=True):
        row["geometry"] = shape
    kept = [row for row in rows if row["geometry"] is not None and not row["geometry"].is_empty]
    return gpd.GeoDataFrame([*kept, *shared], geometry="geometry", crs=frame.crs)
