"""The basemaps: tile services online (OpenStreetMap, Amap in GCJ-02, Tianditu), none offline."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


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
    """The online basemaps: OpenStreetMap, Amap (GCJ-02), and Tianditu when a key is given."""
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
