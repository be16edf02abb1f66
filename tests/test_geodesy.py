"""The shared geodesy: nearest points, pairs within a distance, the metric CRS, dissolved discs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

from geo import settings
from geo._geodesy import dissolved_discs, geodesic_km, metric_crs, nearest, pairs_within_km


@pytest.fixture(scope="module")
def scattered() -> np.ndarray:
    generator = np.random.default_rng(7)
    return np.column_stack([generator.uniform(103, 109, 400), generator.uniform(28, 32, 400)])


def test_nearest_is_the_brute_force_nearest(scattered):
    places = scattered[:25] + 0.01
    found, metres = nearest(scattered, places)
    for place, index, distance in zip(places, found, metres, strict=True):
        brute = [geodesic_km(*place, *candidate) for candidate in scattered]
        assert index == int(np.argmin(brute))
        assert distance / 1000 == pytest.approx(min(brute), rel=0.005)


def test_pairs_within_are_every_pair_that_close(scattered):
    km = 30.0
    found = {
        pair
        for pair in pairs_within_km(scattered, km)
        if geodesic_km(*scattered[pair[0]], *scattered[pair[1]]) <= km
    }
    brute = {
        (i, j)
        for i in range(len(scattered))
        for j in range(i + 1, len(scattered))
        if geodesic_km(*scattered[i], *scattered[j]) <= km
    }
    assert found == brute and brute


def test_nearest_and_pairs_answer_as_the_haversine_ball_tree_did(scattered):
    """scipy's k-d tree on the unit sphere replaced scikit-learn's haversine ball tree."""
    neighbors = pytest.importorskip("sklearn.neighbors")
    radians = np.radians(scattered[:, ::-1])
    places = scattered[::3] + np.array([0.013, -0.007])
    angle, index = neighbors.BallTree(radians, metric="haversine").query(
        np.radians(places[:, ::-1]), k=1
    )
    found, km = nearest(scattered, places, metres=False)
    assert found.tolist() == index[:, 0].tolist()
    np.testing.assert_allclose(km, angle[:, 0] * 6371.0088, rtol=1e-9)
    for radius_km in (5.0, 30.0, 120.0):
        near = neighbors.BallTree(radians, metric="haversine").query_radius(
            radians, r=1.01 * radius_km / 6371.0088
        )
        before = sorted((i, int(j)) for i, js in enumerate(near) for j in js if int(j) > i)
        assert pairs_within_km(scattered, radius_km) == before


def test_nearest_across_the_antimeridian_and_at_the_poles():
    candidates = np.array([[179.9, 0.0], [-179.9, 10.0], [0.0, 89.99], [10.0, -89.9]])
    found, metres = nearest(candidates, np.array([[-179.95, 0.0], [120.0, 89.995], [0, -90]]))
    assert found.tolist() == [0, 2, 3]
    assert metres[0] / 1000 == pytest.approx(geodesic_km(-179.95, 0.0, 179.9, 0.0), rel=0.005)


def test_the_metric_crs_of_the_region_is_utm_48n():
    points = gpd.GeoSeries([Point(104.1, 30.6), Point(106.5, 29.6)], crs=settings.storage_crs)
    assert metric_crs(points).to_epsg() == 32648
    assert metric_crs().to_epsg() == 32648  # the region of settings.region_bounds


def test_dissolved_discs_count_overlaps_once():
    points = gpd.GeoSeries([Point(0, 0), Point(1000, 0), Point(50_000, 0)])
    area = dissolved_discs(points, 1000.0)
    one = dissolved_discs(points[:1], 1000.0).area
    assert one == pytest.approx(np.pi * 1000**2, rel=0.002)
    assert 2 * one < area.area < 3 * one
    by_point = dissolved_discs(points, [1000.0, 1000.0, 2000.0])
    assert by_point.area == pytest.approx(area.area + 3 * one, rel=0.01)
    assert dissolved_discs(points[:0], 1000.0).is_empty
    coarse = dissolved_discs(points[:1], 1000.0, quad_segs=1)
    assert coarse.area == pytest.approx(2 * 1000**2)
