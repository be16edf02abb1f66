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


def _renderers(path: Path) -> dict[str, ET.Element]:
    styles = pyogrio.read_dataframe(path, layer="layer_styles")
    assert styles["useAsDefault"].astype(bool).all()
    assert (styles["f_geometry_column"] == "geom").all()
    renderers = {}
    for row in styles.itertuples():
        renderer = ET.fromstring(row.styleQML.split("\n", 1)[1]).find("renderer-v2")
        assert renderer is not None
        renderers[row.f_table_name] = renderer
    return renderers


def test_every_layer_has_a_default_qgis_style_of_the_categories_its_features_have(built):
    renderers = _renderers(built.geopackage)
    assert sorted(renderers) == sorted(BUILD_SPECS)
    for name, renderer in renderers.items():
        style = STYLES[name]
        frame = pyogrio.read_dataframe(built.geopackage, layer=name)
        columns = [style.attribute] if style.color_by is None else [style.color_by, style.attribute]
        if "scenario" in renderer.get("attr", ""):
            columns = ["scenario", *columns]
        joined = frame[columns[0]].astype(str)
        for column in columns[1:]:
            joined = joined + "|" + frame[column].astype(str)
        present = set(joined)
        values = {category.get("value") for category in renderer.iter("category")}
        # Every category has features; every feature has its category (else one "other").
        assert values - {""} <= present, (name, sorted(values - {""} - present))
        assert (present <= values) or ("" in values), name
        for category in renderer.iter("category"):
            label = category.get("label") or ""
            assert "_" not in label, (name, label)  # words, not codes


def test_qgis_labels_name_the_lines_and_today_is_drawn_apart_over_after(built):
    renderers = _renderers(built.geopackage)
    labels = {c.get("value"): c.get("label") for c in renderers["rail_lines"].iter("category")}
    assert labels["cdw|under_construction"] == "成达万高铁 · 在建 under construction"
    for name in ("rail_reach", "station_catchments", "station_access"):
        renderer = renderers[name]
        symbols = {s.get("name"): s for s in renderer.iter("symbol")}
        styles = {}
        for category in renderer.iter("category"):
            options = {
                o.get("name"): o.get("value")
                for o in symbols[category.get("symbol")].iter("Option")
            }
            scenario = category.get("value").split("|", 1)[0]
            styles.setdefault(scenario, set()).add((options["style"], options["outline_color"]))
            assert category.get("label").startswith(("现状 today", "建成后 after")), name
        # Today unfilled in its own outline colour, so after's filled rings do not hide it.
        assert styles["today"] == {("no", "40,40,40,255")}, name
        assert not styles["today"] & styles["after"], name
        # And drawn last (on top).
        assert renderer.get("enableorderby") == "1"
        clause = renderer.find("orderby/orderByClause")
        assert clause is not None and clause.text == "\"scenario\" = 'today'"


def test_one_point_per_physical_station_with_the_lines_that_call_there(built):
    stops = pyogrio.read_dataframe(built.geopackage, layer="rail_stations")
    stations = pyogrio.read_dataframe(built.geopackage, layer="stations")
    assert len(stations) == stops["station_id"].nunique() < len(stops)
    assert stations["station_id"].is_unique
    wanzhou = stations[stations["name_zh"] == "万州北"]
    assert len(wanzhou) == 1 and len(stops[stops["name_zh"] == "万州北"]) > 1
    calling = set(stops.loc[stops["name_zh"] == "万州北", "line_id"])
    assert set(wanzhou["lines"].iloc[0].split(";")) == calling
    assert wanzhou["n_lines"].iloc[0] == len(calling)
    # Its position is one of its stops' (never an invented one).
    stop_points = set(stops.loc[stops["name_zh"] == "万州北"].geometry.to_wkb())
    assert wanzhou.geometry.to_wkb().iloc[0] in stop_points
    # A station still being built on every line it serves is under construction; one with an
    # operating line is operating.
    by_station = stops.groupby("station_id")["status"].agg(set)
    for row in stations.itertuples():
        expected = "operating" if "operating" in by_station[row.station_id] else row.status
        assert row.status == expected


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
