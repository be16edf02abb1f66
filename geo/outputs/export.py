"""Write layers to a styled GeoPackage and to GeoParquet, atomically."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from geo import settings
from geo._io import atomic_path, disk_full
from geo.errors import ExportError
from geo.outputs._styles import qml
from geo.sources._schema import ALL_SPECS
from geo.utils import PACKAGE_VERSION, log

_LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT CURRENT_TIMESTAMP
)
"""


def _layer_sources(frame: gpd.GeoDataFrame) -> str:
    # Distinct citations of the layer, in order, for the layer metadata.
    seen: dict[str, None] = {}
    for value in frame.get("source", []):
        for part in str(value).split(";"):
            cited = part.strip()
            if cited and not cited.startswith("position:"):
                seen.setdefault(cited, None)
    return "; ".join(seen)


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: Path | None = None,
    *,
    build_date: dt.date | None = None,
) -> Path:
    """Write every layer into one GeoPackage with spatial indexes, QGIS styles and metadata.

    The file is written beside its target and renamed into place only when complete, so a
    failed or interrupted write leaves the previous GeoPackage as it was.

    Parameters
    ----------
    layers
        Layer name to GeoDataFrame in EPSG:4326.
    path
        Target file (default ``settings.out_dir / settings.geopackage_name``).
    build_date
        Date written into the metadata (default today).

    Returns
    -------
    Path
        The GeoPackage written.
    """
    target = Path(path or Path(settings.out_dir) / settings.geopackage_name)
    build_date = build_date or dt.date.today()
    dataset_metadata = {
        "title": "Chengdu–Chongqing economic circle: transport and logistics corridors",
        "build_date": build_date.isoformat(),
        "generator": f"chengyu-corridors {PACKAGE_VERSION}",
        "origin": "Chongqing Daily, 2022-12-31 (6th Sichuan–Chongqing joint meeting)",
        "attribution": settings.attribution,
    }
    try:
        _write_layers(layers, target, dataset_metadata)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.Error) as error:
        # GDAL and SQLite report a full disk or an unwritable folder in their own kinds, a full
        # disk often only as "Failed to commit transaction".
        reason = f"disk full ({error})" if disk_full(error, target.parent) else str(error)
        raise ExportError(f"{target}: cannot be written: {reason}") from error
    log(f"wrote {target} with {len(layers)} layers")
    return target


def _write_layers(
    layers: Mapping[str, gpd.GeoDataFrame], target: Path, dataset_metadata: dict[str, str]
) -> None:
    with atomic_path(target) as temporary:
        for name, frame in layers.items():
            spec = ALL_SPECS[name]
            if frame.crs is None or not frame.crs.equals(settings.storage_crs):
                raise ExportError(
                    f"layer {name} must be in {settings.storage_crs}, got {frame.crs}"
                )
            pyogrio.write_dataframe(
                frame,
                temporary,
                layer=name,
                driver="GPKG",
                # One geometry type per layer: GIS tools read a mix of single and multi parts
                # (route pieces cut at a border) as a layer of unknown geometry.
                promote_to_multi=spec.geometry == "polygon"
                or frame.geom_type.dropna().nunique() > 1,
                layer_options={
                    "SPATIAL_INDEX": "YES",
                    "DESCRIPTION": spec.title,
                    "IDENTIFIER": name,
                },
                layer_metadata={"title": spec.title, "sources": _layer_sources(frame)},
                dataset_metadata=dataset_metadata,
                # GPKG 1.2 keeps the file readable by older GDAL and QGIS releases.
                dataset_options=None if temporary.exists() else {"VERSION": "1.2"},
                append=temporary.exists(),
            )
            log(f"wrote layer {name} ({len(frame)} features) to {target.name}")
        _write_styles(temporary, layers)


def _write_styles(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Store a default QML style per layer in ``layer_styles``, the table QGIS reads.

    Each style lists the categories the layer's features have, labelled in words.
    """
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(_LAYER_STYLES_DDL)
            geometry_columns = dict(
                connection.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            connection.executemany(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'chengyu', '', "
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                [
                    (
                        name,
                        geometry_columns[name],
                        name,
                        qml(name, layers[name]),
                        ALL_SPECS[name].title,
                    )
                    for name in layers
                ],
            )
            # Registering the table lets GDAL and QGIS list it as an attribute table.
            connection.execute(
                "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
                "description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                "'QGIS default styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
            )
    finally:
        connection.close()


def write_geoparquet(
    layers: Mapping[str, gpd.GeoDataFrame], folder: Path | None = None
) -> list[Path]:
    """Write each layer to ``folder/<layer>.parquet`` (GeoParquet), each file atomically.

    Parameters
    ----------
    layers
        Layer name to GeoDataFrame.
    folder
        Target folder (default ``settings.out_dir / "parquet"``).
    """
    folder = Path(folder or Path(settings.out_dir) / "parquet")
    written = []
    for name, frame in layers.items():
        target = folder / f"{name}.parquet"
        with atomic_path(target) as temporary:
            frame.to_parquet(temporary, index=False)
        written.append(target)
    log(f"wrote {len(written)} GeoParquet files to {folder}")
    return written


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table to CSV (UTF-8, no index), atomically."""
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False, encoding="utf-8", lineterminator="\n")
    log(f"wrote {path} ({len(frame)} rows)")
    return path
