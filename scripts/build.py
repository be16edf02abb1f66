"""Regenerate every output under ``out/`` from the layer sources (same code as ``chengyu build``).

Usage: ``python scripts/build.py [OUT_DIR]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from geo.outputs.build import build
from geo.utils import configure_logging

if __name__ == "__main__":
    configure_logging(level="INFO")
    result = build(out_dir=Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"wrote {result.geopackage} and {len(result.parquet)} GeoParquet files")
