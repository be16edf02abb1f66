"""The analysis stage: computed once per set of inputs, read back from the cache after."""

from __future__ import annotations

import pytest

from geo.analysis import stage as analysis_module
from geo.analysis.stage import analyse


def test_the_analysis_is_computed_once_per_set_of_inputs(monkeypatch):
    first = analyse()  # computed, or read back from what an earlier test computed

    def again(**_):
        raise AssertionError("analysed again: the cached stage was not used")

    monkeypatch.setattr(analysis_module, "_analyse", again)
    second = analyse()
    assert list(second.layers) == list(first.layers)
    assert second.lengths.equals(first.lengths) and second.coverage.equals(first.coverage)
    assert list(second.layers["rail_reach"].geometry.to_wkb()) == list(
        first.layers["rail_reach"].geometry.to_wkb()
    )
    with pytest.raises(AssertionError, match="analysed again"):
        analyse(radii_km=[7.0])  # another input: computed


@pytest.mark.parametrize("radii", [[5, 10, 30], (30.0, 5, 10, 10), [10.0, 5.0, 30.0]])
def test_the_default_radii_in_any_form_read_back_the_builds_analysis(radii, monkeypatch):
    analyse()  # the build's analysis (default radii), computed or already cached

    def again(**_):
        raise AssertionError("analysed again: the radii were not normalised")

    monkeypatch.setattr(analysis_module, "_analyse", again)
    assert list(analyse(radii_km=radii).coverage["radius_km"].unique()) == [5.0, 10.0, 30.0]
