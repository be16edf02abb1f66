"""Leaflet: where online pages load it from, and its files from the installed XStatic package.

The online maps load Leaflet 1.9.3 from a CDN; the offline maps inline the same release from
``xstatic-leaflet``, which also lets a browser without internet answer the CDN's URLs locally.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from geo.errors import ChengyuError

#: Where the online maps load Leaflet from.
LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"


def _leaflet_folder() -> Path:
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError as error:
        raise ChengyuError("offline maps need the xstatic-leaflet package") from error
    return Path(leaflet.BASE_DIR)


def leaflet_cdn_files() -> dict[str, Path]:
    """Return the local file for each Leaflet URL of the online maps (to answer them offline)."""
    folder = _leaflet_folder()
    return {LEAFLET_JS_URL: folder / "leaflet.js", LEAFLET_CSS_URL: folder / "leaflet.css"}


@cache
def inline_leaflet() -> str:
    """``<style>`` and ``<script>`` elements carrying Leaflet 1.9.3, its images as data URIs.

    Raises
    ------
    ChengyuError
        If the ``xstatic-leaflet`` package is not installed.
    """
    folder = _leaflet_folder()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = folder / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[\w\-.]+\.png)\)", data_uri, css)
    script = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    return f"<style>{css}</style>\n<script>{script}</script>"
