"""Display generalisation of the page's geometries, cached: the GeoPackage keeps full detail."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._stages import cached_stage

#: Display generalisation per geometry kind, in degrees (about 700 m and 20 m at 30°N): the
#: GeoPackage keeps full detail, the web page only what its zoom levels show.
SIMPLIFY_DEGREES = {"polygon": 0.007, "line": 0.0002, "point": 0.0}


#: Decimals kept in the page's coordinates per geometry kind (1e-3° is about 100 m).
COORDINATE_DECIMALS = {"polygon": 3, "line": 4, "point": 4}


def generalise(
    geometries: gpd.GeoSeries, kind: str, levels: pd.Series | None, *, cache_dir: Path | None
) -> list[shapely.Geometry]:
    """Simplify for display: areas of one level together, so neighbours keep a shared edge.

    Generalising full-resolution boundaries takes a second; the result depends only on the
    geometries and the settings, so it is cached in ``cache_dir`` (``None``:
    ``geo._io.cache_for()``).
    """
    values = geometries.to_numpy()
    degrees, decimals = SIMPLIFY_DEGREES[kind], COORDINATE_DECIMALS[kind]
    groups = (
        levels.to_numpy().astype(str) if levels is not None else np.zeros(len(values)).astype(str)
    )
    if kind == "polygon":
        wkb = shapely.to_wkb(values)
        digest = hashlib.sha1(b"".join(wkb) + "|".join(groups).encode()).hexdigest()
        key = [kind, str(degrees), str(decimals), shapely.geos_version_string, digest]

        def simplify() -> list[bytes]:
            simplified = values.copy()
            for level in pd.unique(groups):
                members = groups == level
                simplified[members] = _simplify_areas(values[members], degrees)
            rounded = shapely.transform(simplified, lambda xy: np.round(xy, decimals))
            return list(shapely.to_wkb(rounded))

        wkb = cached_stage("display", key, simplify, cache_dir=cache_dir, keep=None)
        return list(shapely.from_wkb(wkb))
    if degrees:
        values = shapely.simplify(values, degrees, preserve_topology=True)
    return list(shapely.transform(values, lambda xy: np.round(xy, decimals)))


def _simplify_areas(areas: np.ndarray, degrees: float) -> np.ndarray:
    """Simplify areas that tile (counties) as a coverage, so neighbours keep a shared edge.

    Areas that overlap (catchments of several radii, rings of one origin) are no coverage, and
    GEOS refuses them (or a ring collapses to one point): those are simplified one by one.
    """
    if shapely.coverage_is_valid(areas):
        try:
            return np.asarray(shapely.coverage_simplify(areas, degrees))
        except shapely.errors.GEOSException:
            pass  # a degenerate ring in a valid coverage: fall back below
    return np.asarray(shapely.simplify(areas, degrees, preserve_topology=True))
