"""Leg geometry: sea lanes, schematic chains and geodesic distance."""

from __future__ import annotations

import pytest

from geo.errors import RoutingError
from geo.routing import geodesic_km, schematic_route, sea_route

QINZHOU = (108.647, 21.68317)
PORT_KLANG = (101.3604, 3.0159)


def test_geodesic_distance_of_one_degree_of_meridian_at_the_equator():
    # WGS84: the meridian arc from 0° to 1° latitude is 110,574.4 m.
    assert geodesic_km(0, 0, 0, 1) * 1000 == pytest.approx(110_574.4, abs=1.0)


def test_a_sea_route_starts_and_ends_at_its_ports_and_is_longer_than_the_straight_line():
    route = sea_route(QINZHOU, PORT_KLANG)
    assert route.coords[0] == QINZHOU and route.coords[-1] == PORT_KLANG
    straight = geodesic_km(*QINZHOU, *PORT_KLANG)
    assert 1.15 * straight < sum(
        geodesic_km(*a, *b) for a, b in zip(route.coords[:-1], route.coords[1:], strict=True)
    )


def test_a_sea_route_from_an_inland_city_is_refused():
    with pytest.raises(RoutingError, match="from the nearest sea lane"):
        sea_route((104.07, 30.67), PORT_KLANG)  # Chengdu


def test_a_schematic_route_drops_repeated_points():
    line = schematic_route([(104.0, 30.0), (104.0, 30.0), (105.0, 29.0)])
    assert list(line.coords) == [(104.0, 30.0), (105.0, 29.0)]


def test_a_schematic_route_needs_two_distinct_points():
    with pytest.raises(RoutingError, match="two distinct points"):
        schematic_route([(104.0, 30.0), (104.0, 30.0)])
