"""Leaflet from the installed XStatic package, inlined into every map.

Every map, online or offline, inlines Leaflet 1.9.3 from ``xstatic-leaflet``: a CDN that is
slow or blocked (common for users in China) would leave the page blank. The CDN URLs are kept
only so that a test can check no page refers to them.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from geo.errors import ChengyuError

#: Where a page would load Leaflet from a CDN: no map does.
LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"


def _leaflet_folder() -> Path:
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError as error:
        raise ChengyuError("offline maps need the xstatic-leaflet package") from error
    return Path(leaflet.BASE_DIR)


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
