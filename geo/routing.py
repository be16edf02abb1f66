"""Geometry of route legs: sea legs on a maritime network, schematic legs through named nodes."""

from __future__ import annotations

from collections.abc import Sequence

import searoute
from pyproj import Geod
from shapely import LineString

from geo.errors import RoutingError
from geo.utils import log

_GEOD = Geod(ellps="WGS84")

#: How far a sea leg's end may lie from the maritime network before it counts as on land (km).
MAX_SEA_SNAP_KM = 60.0


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance on the WGS84 ellipsoid between two points, in km."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def sea_route(
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    max_snap_km: float = MAX_SEA_SNAP_KM,
) -> LineString:
    """Route a sea leg on the searoute maritime network (offline).

    Parameters
    ----------
    origin, destination
        ``(lon, lat)`` of the two ports.
    max_snap_km
        How far an end may be from the network before the leg is refused as starting on land.

    Returns
    -------
    LineString
        The route from origin to destination, ends included.

    Raises
    ------
    RoutingError
        If an end lies too far from the sea network, or no route is found.
    """
    try:
        feature = searoute.searoute(list(origin), list(destination), units="km")
    except Exception as error:  # searoute raises bare exceptions of networkx
        raise RoutingError(f"no sea route from {origin} to {destination}: {error}") from error
    coords = [tuple(point) for point in feature["geometry"]["coordinates"]]
    for end, snapped in ((origin, coords[0]), (destination, coords[-1])):
        gap = geodesic_km(end[0], end[1], snapped[0], snapped[1])
        if gap > max_snap_km:
            raise RoutingError(
                f"{end} is {gap:.0f} km from the nearest sea lane (limit {max_snap_km:.0f} km): "
                "a sea leg must start and end at a port on the coast"
            )
    log(f"sea route {origin} → {destination}: {feature['properties']['length']:.0f} km")
    return LineString([origin, *coords, destination])


def schematic_route(points: Sequence[tuple[float, float]]) -> LineString:
    """Join points in order with straight segments, dropping repeated points.

    Raises
    ------
    RoutingError
        If fewer than two distinct points remain.
    """
    kept: list[tuple[float, float]] = []
    for point in points:
        if not kept or point != kept[-1]:
            kept.append(point)
    if len(kept) < 2:
        raise RoutingError(f"a line needs two distinct points, got {list(points)}")
    return LineString(kept)
