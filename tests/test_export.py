"""The GeoPackage as GDAL and QGIS see it, the GeoParquet files, and atomic writes."""

from __future__ import annotations

import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import pytest

from geo.errors import ExportError
from geo.outputs._styles import STYLES
from geo.outputs.build import build
from geo.outputs.export import write_geopackage
from geo.sources._schema import BUILD_SPECS
from geo.sources.layers import load_layers


def test_the_geopackage_holds_every_layer_and_the_style_table(built):
    listed = {name for name, _ in pyogrio.list_layers(built.geopackage)}
    assert listed == {*BUILD_SPECS, "layer_styles"}


def test_each_layer_reads_back_in_epsg_4326_with_its_features(built):
    for name in BUILD_SPECS:
        info = pyogrio.read_info(built.geopackage, layer=name)
        assert info["crs"] == "EPSG:4326", name
        assert info["features"] == built.feature_counts[name], name
        assert info["features"] > 0
        assert info["geometry_type"] not in (None, "Unknown"), name


def test_ogrinfo_reads_the_file_and_its_metadata(built):
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(built.geopackage), "rail_stations"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Feature Count: {built.feature_counts['rail_stations']}" in result.stdout
    assert "build_date=" in result.stdout
    assert "EPSG" in result.stdout or 'ID["EPSG",4326]' in result.stdout


def test_every_layer_has_an_rtree_spatial_index(built):
    with sqlite3.connect(built.geopackage) as connection:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        extensions = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM gpkg_extensions WHERE extension_name='gpkg_rtree_index'"
            )
        }
    for name in BUILD_SPECS:
        assert f"rtree_{name}_geom" in tables, name
        assert name in extensions, name


def test_every_layer_has_a_default_qgis_style_that_covers_its_vocabulary(built):
    styles = pyogrio.read_dataframe(built.geopackage, layer="layer_styles")
    assert sorted(styles["f_table_name"]) == sorted(BUILD_SPECS)
    assert styles["useAsDefault"].astype(bool).all()
    for row in styles.itertuples():
        root = ET.fromstring(row.styleQML.split("\n", 1)[1])
        renderer = root.find("renderer-v2")
        style = STYLES[row.f_table_name]
        assert renderer is not None and renderer.get("attr") == style.expression
        # Categorised by one field, or by "colour field|field" (rail lines: line and status).
        values = {
            (category.get("value") or "").rsplit("|", 1)[-1]
            for category in renderer.iter("category")
        }
        field_spec = next(
            f for f in BUILD_SPECS[row.f_table_name].fields if f.name == style.attribute
        )
        assert set(field_spec.vocabulary or ()) <= values, row.f_table_name
        assert row.f_geometry_column == "geom"


def test_geoparquet_files_read_back_equal_to_the_geopackage(built):
    for path in built.parquet:
        from_parquet = gpd.read_parquet(path)
        from_gpkg = pyogrio.read_dataframe(built.geopackage, layer=path.stem)
        assert from_parquet.crs.to_epsg() == 4326
        assert len(from_parquet) == len(from_gpkg)
        assert list(from_parquet["source"]) == list(from_gpkg["source"])


def test_two_builds_give_the_same_features_and_attributes(built, tmp_path):
    again = build(out_dir=tmp_path)
    for name in BUILD_SPECS:
        first = pyogrio.read_dataframe(built.geopackage, layer=name)
        second = pyogrio.read_dataframe(again.geopackage, layer=name)
        pd.testing.assert_frame_equal(
            first.drop(columns="geometry"), second.drop(columns="geometry")
        )
        assert list(first.geometry.to_wkb()) == list(second.geometry.to_wkb()), name


def test_a_failed_write_leaves_the_previous_geopackage_intact(tmp_path: Path):
    layers = load_layers(["airports", "expressways"])
    target = tmp_path / "corridors.gpkg"
    write_geopackage(layers, target)
    before = target.read_bytes()
    broken = dict(layers)
    broken["expressways"] = layers["expressways"].set_crs(None, allow_override=True)
    with pytest.raises(ExportError, match="EPSG:4326"):
        write_geopackage(broken, target)
    assert target.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corridors.gpkg"]


def test_an_interrupted_write_leaves_no_partial_file(tmp_path: Path, monkeypatch):
    layers = load_layers(["airports"])
    target = tmp_path / "corridors.gpkg"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("geo.outputs.export._write_styles", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_geopackage(layers, target)
    assert list(tmp_path.iterdir()) == []


def test_a_gdal_write_error_is_an_export_error_and_leaves_no_file(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise pyogrio.errors.DataSourceError("sqlite3_exec() failed: database or disk is full")

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    target = tmp_path / "x.gpkg"
    with pytest.raises(ExportError, match=r"x\.gpkg: cannot be written: .*disk is full"):
        write_geopackage(load_layers(["airports"]), target)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_that_gdal_reports_as_a_failed_commit_says_disk_full(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    def failed(*args, **kwargs):  # what GDAL says when SQLite cannot grow the file
        raise pyogrio.errors.DataSourceError("Failed to commit transaction")

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(pyogrio, "write_dataframe", failed)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**9, 10**9 - 4096, 4096))
    with pytest.raises(ExportError, match=r"x\.gpkg: cannot be written: disk full \(Failed to"):
        write_geopackage(load_layers(["airports"]), tmp_path / "x.gpkg")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**12, 10**9, 10**12 - 10**9))
    with pytest.raises(ExportError) as caught:  # room left: the error is not put on the disk
        write_geopackage(load_layers(["airports"]), tmp_path / "x.gpkg")
    assert "disk full" not in str(caught.value)
