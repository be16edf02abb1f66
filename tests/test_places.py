"""The maps' places and towns: each GeoNames table read once a process, whatever the boxes."""

from __future__ import annotations

import pytest

from geo.sources import places as places_module
from geo.sources._geonames import city_records
from geo.sources.places import places, towns

REGION = (102.0, 27.5, 110.5, 33.0)
WIDER = (95.0, 0.0, 125.0, 40.0)  # the corridor map's box reaches Malaysia


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The tables read from now on (the caches emptied first)."""
    places_module._world_cities.cache_clear()
    places_module._chinese_towns.cache_clear()
    read: list[str] = []

    def counted(table, **options):  # type: ignore[no-untyped-def]
        read.append(table)
        return city_records(table, **options)

    monkeypatch.setattr(places_module, "city_records", counted)
    return read


def test_each_table_is_read_once_for_every_box(reads):
    for box in (REGION, WIDER, (104.0, 30.0, 105.0, 31.0)):
        places(box, countries={"MYS", "THA"})
        towns(box)
    assert sorted(reads) == ["cities15000", "cities500"]


def test_the_towns_of_a_box_are_its_chinese_towns_largest_first():
    expected = sorted(
        (
            (city["name"], float(city["longitude"]), float(city["latitude"]))
            for city in city_records("cities500", marker=b'"countrycode": "CN"')
            if REGION[0] <= city["longitude"] <= REGION[2]
            and REGION[1] <= city["latitude"] <= REGION[3]
        ),
        key=lambda town: town,
    )
    found = towns(REGION)
    assert sorted((town.name_en, town.lon, town.lat) for town in found) == expected
    assert len(found) > 500
    populations = [town.population for town in found]
    assert populations == sorted(populations, reverse=True)


def test_capitals_come_from_the_box_and_the_countries_asked_for():
    capitals = {p.name for p in places(WIDER, countries={"MYS", "THA"}) if p.kind == "capital"}
    assert capitals == {"Kuala Lumpur", "Bangkok"}
    assert not [p for p in places(REGION, countries={"MYS", "THA"}) if p.kind == "capital"]
