"""The analysis stages: computed once per set of inputs, read back from the cache after."""

from __future__ import annotations

import pytest

from geo.analysis import stage as analysis_module
from geo.analysis.stage import analyse


def _refuse(stage: str):
    def again(*_, **__):
        raise AssertionError(f"{stage} computed again: the cached stage was not used")

    return again


def test_the_analysis_is_computed_once_per_set_of_inputs(monkeypatch):
    first = analyse()  # computed, or read back from what an earlier test computed
    monkeypatch.setattr(analysis_module, "_network", _refuse("network"))
    monkeypatch.setattr(analysis_module, "_people", _refuse("people"))
    second = analyse()
    assert list(second.layers) == list(first.layers)
    assert second.lengths.equals(first.lengths) and second.coverage.equals(first.coverage)
    assert list(second.layers["rail_reach"].geometry.to_wkb()) == list(
        first.layers["rail_reach"].geometry.to_wkb()
    )
    with pytest.raises(AssertionError, match="people computed again"):
        analyse(radii_km=[7.0])  # another input: computed


def test_a_new_radius_counts_the_people_again_not_the_network(monkeypatch):
    # Routing, lengths, rail graphs, reach and calibration do not depend on the radii: a new
    # radius read them back and counted only the people (it took the whole analysis again).
    analyse()
    monkeypatch.setattr(analysis_module, "_network", _refuse("network"))
    seven = analyse(radii_km=[7.0])
    assert list(seven.coverage["radius_km"].unique()) == [7.0]
    assert "people_today_7km" in seven.layers["station_coverage"]
    assert list(seven.layers) == list(analyse().layers)  # the same layers in the same order


@pytest.mark.parametrize("radii", [[5, 10, 30], (30.0, 5, 10, 10), [10.0, 5.0, 30.0]])
def test_the_default_radii_in_any_form_read_back_the_builds_analysis(radii, monkeypatch):
    analyse()  # the build's analysis (default radii), computed or already cached
    monkeypatch.setattr(analysis_module, "_network", _refuse("network"))
    monkeypatch.setattr(analysis_module, "_people", _refuse("people"))
    assert list(analyse(radii_km=radii).coverage["radius_km"].unique()) == [5.0, 10.0, 30.0]
