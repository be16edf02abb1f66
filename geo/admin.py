"""Administrative areas of Sichuan and Chongqing: cnmaps boundaries joined to census figures."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from cnmaps import get_adm_maps
from shapely import make_valid

from geo import settings
from geo._validate import Record
from geo.errors import LayerValidationError, Problem
from geo.utils import log

#: cnmaps' level names for each of ours.
_CNMAPS_LEVELS = {"province": "省", "prefecture": "市", "county": "区县"}

BOUNDARY_SOURCE = "Amap boundaries via cnmaps 2.1 (GCJ-02 converted to WGS84 by cnmaps)"


def boundaries(*, provinces: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Boundaries of the provinces, their prefectures and counties, in WGS84.

    cnmaps reads Amap's GCJ-02 files and converts them to WGS84 itself (``wgs84=True``), so the
    result must not be converted again.

    Parameters
    ----------
    provinces
        Province names as cnmaps spells them (default ``settings.provinces``).

    Returns
    -------
    GeoDataFrame
        Columns ``level``, ``province_zh``, ``prefecture_zh``, ``name_zh``, ``geometry``.
    """
    frames = []
    for province in provinces or settings.provinces:
        for level, cnmaps_level in _CNMAPS_LEVELS.items():
            frame = get_adm_maps(province=province, level=cnmaps_level, engine="geopandas", wgs84=True)
            if frame is None or frame.empty:
                continue
            frame = frame.assign(level=level)
            frames.append(frame)
    joined = pd.concat(frames, ignore_index=True)
    result = gpd.GeoDataFrame(
        {
            "level": joined["level"],
            "province_zh": joined["province"],
            "prefecture_zh": joined["city"].fillna(""),
            "name_zh": joined["district"].fillna(joined["city"]).fillna(joined["province"]),
        },
        geometry=joined.geometry.values,
        crs=settings.storage_crs,
    )
    invalid = ~result.geometry.is_valid
    if invalid.any():
        result.loc[invalid, "geometry"] = result.geometry[invalid].apply(make_valid)
    log(f"cnmaps boundaries: {len(result)} areas, {int(invalid.sum())} repaired")
    return result


def admin_areas(records: list[Record], *, file: str) -> gpd.GeoDataFrame:
    """The ``admin_areas`` layer: census records with their boundaries.

    Parameters
    ----------
    records
        Parsed rows of ``admin_areas.csv`` (adcode, level, names, population).
    file
        Source file name, for error messages.

    Raises
    ------
    LayerValidationError
        If a province, prefecture or county has no boundary of that name.
    """
    shapes = boundaries()
    keys = {
        _key(row.level, row.province_zh, row.prefecture_zh, row.name_zh): row.geometry
        for row in shapes.itertuples()
    }
    problems: list[Problem] = []
    geometries = []
    for record in records:
        if record["level"] == "zone":
            geometries.append(None)  # development zones are counted apart but have no boundary
            continue
        key = _key(record["level"], record["province_zh"], record["prefecture_zh"], record["name_zh"])
        geometry = keys.get(key)
        if geometry is None:
            problems.append(
                Problem(file, record["adcode"], "name_zh", f"no {record['level']} boundary named {key}")
            )
        geometries.append(geometry)
    if problems:
        raise LayerValidationError(problems)
    frame = gpd.GeoDataFrame(records, geometry=geometries, crs=settings.storage_crs)
    frame["boundary_source"] = [
        "" if record["level"] == "zone" else BOUNDARY_SOURCE for record in records
    ]
    return frame


def _key(level: str, province: str, prefecture: str | None, name: str) -> tuple[str, str, str, str]:
    # cnmaps files Chongqing's districts under the city 重庆市; the census leaves the prefecture empty.
    if level == "county" and not prefecture:
        prefecture = province
    if level == "province":
        prefecture = ""
    return (level, province, prefecture or "", name)
