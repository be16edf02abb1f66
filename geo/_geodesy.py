"""Distances and discs shared by every analysis: the ellipsoid, the metric CRS, dissolved discs.

One home for three things the modules used to do each their own way: the geodesic distance
between two points (WGS84 ellipsoid), the metric CRS geometry is buffered in (the UTM zone of
the data, EPSG:32648 for Sichuan and Chongqing), and "discs around points, dissolved".
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Geod
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.utils import log

#: The WGS84 ellipsoid every length and distance is measured on.
GEOD = Geod(ellps="WGS84")
#: Mean Earth radius (IUGG) of the searches on the sphere, km.
EARTH_RADIUS_KM = 6371.0088


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance on the WGS84 ellipsoid between two points, in km."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def length_km(geometry: BaseGeometry | None) -> float:
    """Geodesic length of a (multi)line in km; 0 for an empty or missing geometry."""
    if geometry is None or geometry.is_empty:
        return 0.0
    return float(GEOD.geometry_length(geometry)) / 1000.0


def unit_vectors(lon_lat: np.ndarray) -> np.ndarray:
    """Rows of ``(lon, lat)`` in degrees as points on the unit sphere, ``(n, 3)``."""
    lon, lat = np.radians(np.asarray(lon_lat, dtype=float).reshape(-1, 2)).T
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def nearest(
    candidates: np.ndarray, places: np.ndarray, *, metres: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """For each place, the nearest candidate on the sphere and how far it is.

    The same answer as ``osmnx.distance.nearest_nodes`` on an unprojected graph (a haversine
    ball tree), for points that are not an osmnx graph's nodes: a k-d tree of scipy over the
    points on the unit sphere, where the nearest in a straight line (the chord) is the nearest
    on the great circle.

    Parameters
    ----------
    candidates, places
        Rows of ``(lon, lat)`` in degrees.
    metres
        Whether the distances come in metres (else km); great-circle distances on a sphere of
        the Earth's mean radius, within 0.5 % of the geodesic.

    Returns
    -------
    index, distance
        The row of ``candidates`` nearest each place, and the distance to it.
    """
    from scipy.spatial import cKDTree

    chord, index = cKDTree(unit_vectors(candidates)).query(unit_vectors(places), k=1)
    angle = 2 * np.arcsin(np.minimum(np.asarray(chord, dtype=float) / 2, 1.0))
    radius = EARTH_RADIUS_KM * (1000 if metres else 1)
    return np.asarray(index, dtype=np.intp), angle * radius


def pairs_within_km(places: np.ndarray, km: float) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of ``(lon, lat)`` places about ``km`` apart or closer.

    A k-d tree of the places on the unit sphere finds the candidates (the chord of the
    great-circle radius); the sphere and the ellipsoid differ by under 0.5 %, so the radius is
    widened by 1 %: keep the pairs whose ``geodesic_km`` is within.
    """
    if len(places) < 2:
        return []
    from scipy.spatial import cKDTree

    angle = min(1.01 * km / EARTH_RADIUS_KM, np.pi)
    found = cKDTree(unit_vectors(places)).query_pairs(
        r=2 * np.sin(angle / 2), output_type="ndarray"
    )
    return sorted((int(i), int(j)) for i, j in found)


def metric_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries | None = None) -> CRS:
    """Return the metric CRS to buffer and measure areas in: the UTM zone of the data's centre.

    Parameters
    ----------
    frame
        Features with a CRS (usually ``settings.storage_crs``); default: the region of
        ``settings.region_bounds``.

    Returns
    -------
    pyproj.CRS
        EPSG:32648 (UTM 48N) for Sichuan and Chongqing.
    """
    if frame is None:
        frame = gpd.GeoSeries([shapely.box(*settings.region_bounds)], crs=settings.storage_crs)
    crs: CRS = frame.estimate_utm_crs()
    log(f"metric CRS: {crs.name}")
    return crs


def dissolved_discs(
    points: gpd.GeoSeries | np.ndarray | Sequence[BaseGeometry],
    radius_m: float | np.ndarray | Sequence[float],
    *,
    quad_segs: int | None = None,
) -> BaseGeometry:
    """Return the union of discs around points, in the points' metric CRS.

    Parameters
    ----------
    points
        Points in a metric CRS (see ``metric_crs``).
    radius_m
        One radius for every disc, or one per point, in metres.
    quad_segs
        Points per quarter circle (default ``settings.disc_quad_segs``).

    Returns
    -------
    shapely geometry
        The dissolved discs; an empty polygon when there are no points.
    """
    geometries = np.asarray(points.values if isinstance(points, gpd.GeoSeries) else points)
    if len(geometries) == 0:
        return shapely.Polygon()
    segments = settings.disc_quad_segs if quad_segs is None else quad_segs
    discs = shapely.buffer(geometries, np.asarray(radius_m, dtype=float), quad_segs=segments)
    return shapely.union_all(discs)
