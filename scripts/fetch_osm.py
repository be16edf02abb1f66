"""Refresh the OpenStreetMap rail graph the build draws rail sections along.

Usage: ``python scripts/fetch_osm.py FILE.osm`` or ``python scripts/fetch_osm.py overpass``
(the same as ``chengyu osm --source …``).
"""

from __future__ import annotations

import sys

from geo.networks.osm_track import refresh
from geo.utils import configure_logging

if __name__ == "__main__":
    configure_logging(level="INFO")
    print(f"cached {refresh(sys.argv[1] if len(sys.argv) > 1 else 'overpass')}")
