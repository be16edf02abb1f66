"""A proposal against its base as tables: coverage, reach and lengths side by side.

The differences ``geo.scenario.compare.compare`` keeps in a ``Comparison``, and the long tables of
them (``differences``, ``comparison_table``) that ``geo.scenario.compare`` writes and prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.analysis import measure
from geo.scenario.results import Comparison, NetworkAnalysis, row_dicts


def coverage_difference(
    before: NetworkAnalysis, after: NetworkAnalysis, names: pd.Series
) -> pd.DataFrame:
    """Per radius: people, area and counties within it, base and scenario, and counties gained."""
    rows = []
    for (_, base), (_, scenario) in zip(
        before.coverage.iterrows(), after.coverage.iterrows(), strict=True
    ):
        radius = float(base["radius_km"])
        served = _served(before, radius)
        newly = sorted(_served(after, radius) - served)
        rows.append(
            {
                "radius_km": radius,
                "people_base": int(base["people"]),
                "people_scenario": int(scenario["people"]),
                "area_km2_base": float(base["catchment_km2"]),
                "area_km2_scenario": float(scenario["catchment_km2"]),
                "counties_base": int(base["counties"]),
                "counties_scenario": int(scenario["counties"]),
                "counties_newly_served": [str(names.get(code, code)) for code in newly],
            }
        )
    return pd.DataFrame(rows)


def _served(analysis: NetworkAnalysis, radius: float) -> set[str]:
    people = analysis.county_people
    return set(people.loc[(people["radius_km"] == radius) & (people["people"] > 0), "adcode"])


def reach_difference(
    before: NetworkAnalysis, after: NetworkAnalysis, names: pd.Series
) -> pd.DataFrame:
    """Per origin and time limit: stations and counties reached, base and scenario."""
    rows = []
    for (_, base), (_, scenario) in zip(
        before.reach.iterrows(), after.reach.iterrows(), strict=True
    ):
        gained = sorted(set(scenario["counties"]) - set(base["counties"]))
        rows.append(
            {
                "origin": base["origin"],
                "minutes": base["minutes"],
                "stations_base": len(base["stations"]),
                "stations_scenario": len(scenario["stations"]),
                "counties_base": len(base["counties"]),
                "counties_scenario": len(scenario["counties"]),
                "counties_gained": [str(names.get(code, code)) for code in gained],
            }
        )
    return pd.DataFrame(rows)


def route_pieces(
    added: Mapping[str, gpd.GeoDataFrame], admin: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Return the proposal's lines and expressways cut by province (``measure.route_lengths``)."""
    empty = gpd.GeoDataFrame(geometry=[], crs=settings.storage_crs)
    return measure.route_lengths(
        {
            "rail_lines": added.get("rail_lines", empty),
            "corridor_routes": empty,
            "expressways": added.get("expressways", empty),
            "admin_areas": admin,
        }
    )


def province_lengths(pieces: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Lengths of the proposal's lines and expressways by province, from ``route_lengths``."""
    columns = ["layer", "id", "name_zh", "name_en", "mode",
               *measure.PROVINCE_COLUMNS.values(), "other_km"]  # fmt: skip
    if pieces is None or pieces.empty:
        return pd.DataFrame(columns=[*columns, "total_km"])
    province = pieces["province"].map(measure.PROVINCE_COLUMNS).fillna("other_km")
    table = (
        pieces.assign(column=province)
        .pivot_table(
            index=["layer", "group_id", "name_zh", "name_en", "mode"],
            columns="column",
            values="length_km",
            aggfunc="sum",
            fill_value=0.0,
        )
        .reset_index()
        .rename(columns={"group_id": "id"})
    )
    for column in columns:
        if column not in table:
            table[column] = 0.0
    table = table[columns].copy()
    kms = [*measure.PROVINCE_COLUMNS.values(), "other_km"]
    table[kms] = table[kms].astype(float).round(1)
    table["total_km"] = table[kms].sum(axis=1).round(1)
    table.columns.name = None
    result: pd.DataFrame = table
    return result


def comparison_table(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Return the differences as one table: a row per measure, base and scenario side by side.

    Columns: ``measure``, ``key``, then per distinct base ``base <name>`` and per proposal
    its value and its change (``<name>`` and ``<name> change``).
    """
    merged: pd.DataFrame | None = None
    for comparison in comparisons:
        name = comparison.proposal.name
        frame = differences(comparison).drop(columns="detail")
        frame = frame.rename(
            columns={
                "base": f"base {comparison.proposal.base}",
                "scenario": name,
                "change": f"{name} change",
            }
        )
        if merged is None:
            merged = frame
            continue
        shared = [column for column in frame.columns if column in merged.columns]
        # A left join keeps the first proposal's order; another's new lines come after.
        extra = frame.merge(merged[shared], on=shared, how="left", indicator=True)
        merged = pd.concat(
            [
                merged.merge(frame, on=shared, how="left"),
                extra[extra["_merge"] == "left_only"].drop(columns="_merge"),
            ],
            ignore_index=True,
        )
    return merged if merged is not None else pd.DataFrame()


#: The columns of ``province_lengths`` in words, as the ``key`` of a length's difference row.
LENGTH_KEYS: dict[str, str] = {
    "sichuan_km": "四川 Sichuan",
    "chongqing_km": "重庆 Chongqing",
    "other_km": "其他 other",
    "total_km": "合计 total",
}


def _given(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _difference_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """Return the differences of one proposal as long rows: measure, key, base, scenario, change."""
    rows: list[dict[str, Any]] = []

    def add(measure_name: str, key: str, base: float, scenario: float, detail: str = "") -> None:
        rows.append(
            {
                "measure": measure_name,
                "key": key,
                "base": base,
                "scenario": scenario,
                "change": round(scenario - base, 1),
                "detail": detail,
            }
        )

    for row in row_dicts(comparison.coverage):
        key = f"{row['radius_km']:g} km"
        add("people within", key, row["people_base"], row["people_scenario"])
        add("km² within", key, row["area_km2_base"], row["area_km2_scenario"])
        newly = "、".join(row["counties_newly_served"])
        add("counties within", key, row["counties_base"], row["counties_scenario"], newly)
    for row in row_dicts(comparison.reach):
        key = f"{row['origin']} {row['minutes']:g} min"
        add("stations reached", key, row["stations_base"], row["stations_scenario"])
        gained_names = "、".join(row["counties_gained"])
        add("counties reached", key, row["counties_base"], row["counties_scenario"], gained_names)
    gained = comparison.stations_gained
    add(
        "stations gained",
        "",
        0,
        len(gained),
        "、".join(gained["name_zh"]),
    )
    for row in row_dicts(comparison.lengths):
        # Named, not by id: "km of 遂广城际 Suining–Guang'an intercity", "四川 Sichuan".
        names = " ".join(str(row[key]) for key in ("name_zh", "name_en") if _given(row.get(key)))
        for column in (*measure.PROVINCE_COLUMNS.values(), "other_km", "total_km"):
            add(f"km of {names or row['id']}", LENGTH_KEYS.get(column, column), 0.0, row[column])
    return rows


def differences(comparison: Comparison) -> pd.DataFrame:
    """One proposal's differences as a table (the CSV written beside its map)."""
    # Object columns keep counts as integers beside areas and lengths in km.
    return pd.DataFrame(_difference_rows(comparison), dtype=object)
