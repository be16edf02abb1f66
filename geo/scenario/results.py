"""What a comparison holds: the analysis of one network, and a proposal against its base.

``geo.scenario.compare`` makes them; ``geo.scenario.tables`` and ``geo.scenario.outputs`` read
them. This module imports neither, so the three stand in a line, not a circle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.scenario.proposal import Proposal

__all__ = ["Comparison", "NetworkAnalysis", "json_records", "row_dicts"]


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the frame's rows as plain JSON-ready dicts."""
    # Through JSON, so numpy numbers become plain ones.
    loaded: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return loaded


def row_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the frame's rows as dicts with string keys."""
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


@dataclass
class NetworkAnalysis:
    """Coverage and reach of one network (a base, or a base with a proposal).

    Attributes
    ----------
    catchments
        One dissolved catchment per radius (all lines), in the metric CRS.
    coverage
        Per radius: ``people``, ``catchment_km2``, ``covered_land_km2``, ``counties``.
    county_people
        People within each radius per county (``adcode`` × ``radius_km``).
    reach
        Per origin and time limit: ``stations`` and ``counties`` (lists of ids and adcodes).
    stations
        Station ids open in the network.
    """

    catchments: gpd.GeoDataFrame
    coverage: pd.DataFrame
    county_people: pd.DataFrame
    reach: pd.DataFrame
    stations: set[str]


@dataclass
class Comparison:
    """A proposal against its base: the differences, and the layers to write and map."""

    proposal: Proposal
    coverage: pd.DataFrame
    reach: pd.DataFrame
    lengths: pd.DataFrame
    stations_gained: pd.DataFrame
    layers: dict[str, gpd.GeoDataFrame]
    outputs: list[Path] = field(default_factory=list)
    #: What the proposal's map draws: ``rail_lines`` and ``rail_stations`` of the base network
    #: with the proposal's rows (as written), so the map names and labels them as the others.
    display: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as plain JSON-ready data."""
        return {
            "name": self.proposal.name,
            "title": self.proposal.title,
            "base": self.proposal.base,
            "coverage": json_records(self.coverage),
            "reach": json_records(self.reach),
            "lengths": json_records(self.lengths),
            "stations_gained": json_records(self.stations_gained),
            "outputs": [str(path) for path in self.outputs],
        }

    def details(self) -> list[str]:
        """Return the names behind the counts: counties newly served or reached, stations gained."""
        lines = [
            f"counties newly served within {row['radius_km']:g} km: "
            + "、".join(row["counties_newly_served"])
            for row in row_dicts(self.coverage)
            if row["counties_newly_served"]
        ]
        lines += [
            f"counties newly reached from {row['origin']} within {row['minutes']:g} min: "
            + "、".join(row["counties_gained"])
            for row in row_dicts(self.reach)
            if row["counties_gained"]
        ]
        gained = self.stations_gained
        if len(gained):
            names = [
                f"{zh} {en}" for zh, en in zip(gained["name_zh"], gained["name_en"], strict=True)
            ]
            lines.append(f"stations gained: {'、'.join(names)}")
        return lines
