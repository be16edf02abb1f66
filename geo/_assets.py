"""Leaflet's JavaScript and CSS from the installed XStatic package, for offline pages."""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from geo.errors import ChengyuError


@cache
def inline_leaflet() -> str:
    """``<style>`` and ``<script>`` elements carrying Leaflet 1.9.3, its images as data URIs.

    Raises
    ------
    ChengyuError
        If the ``xstatic-leaflet`` package is not installed.
    """
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError as error:
        raise ChengyuError("offline maps need the xstatic-leaflet package") from error
    folder = Path(leaflet.BASE_DIR)
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = folder / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[\w\-.]+\.png)\)", data_uri, css)
    script = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    return f"<style>{css}</style>\n<script>{script}</script>"
