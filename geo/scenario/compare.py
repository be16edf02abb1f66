"""Planners' own proposals: what a proposed line adds to the network as it is or as planned.

A proposal is a TOML file (``name``, ``title``, ``base``, ``layers``) and a folder of extra rows
in the schema of ``layers/`` (stations, lines, hubs, expressways), validated like ``layers/``
together with the base. Its rows of status ``planned`` (or of a status the base counts) are
open in the scenario; it may reuse a base station by its ``station_id``.

The comparison runs the project's own analyses on the base and on base + proposal, with the
public functions of ``geo.analysis.coverage`` (catchments and the people in them),
``geo.networks.rail_network`` (rail
graph and reach) and ``geo.analysis.measure`` (lengths by province), so that their methods apply to
scenarios unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from geo import settings
from geo._io import cache_for, output_lock
from geo._stages import cached_stage, frame_digest, inputs_key
from geo.analysis import coverage
from geo.analysis.stage import drawn_sections
from geo.errors import ChengyuError, LayerValidationError
from geo.networks import rail_network
from geo.scenario.outputs import display_layers, map_layers, write_outputs
from geo.scenario.pages import write_pages
from geo.scenario.proposal import Proposal, combined_layers, read_proposal
from geo.scenario.results import Comparison, NetworkAnalysis
from geo.scenario.tables import (
    comparison_table,
    coverage_difference,
    differences,
    province_lengths,
    reach_difference,
    route_pieces,
)
from geo.sources._schema import SCENARIOS
from geo.sources.layers import load_layers
from geo.utils import log

__all__ = [
    "COUNTED_STATUSES",
    "Comparison",
    "NetworkAnalysis",
    "Proposal",
    "analyse_network",
    "cached_base_analysis",
    "compare",
    "comparison_table",
    "differences",
    "read_proposal",
    "run_scenarios",
    "write_outputs",
]

#: Statuses of a proposal's rows that are open in its scenario, besides those its base counts.
COUNTED_STATUSES: tuple[str, ...] = ("planned",)
#: Layers read from ``layers/`` for a scenario.
BASE_LAYERS: tuple[str, ...] = (
    "rail_stations",
    "rail_lines",
    "logistics_hubs",
    "expressways",
    "admin_areas",
)
_METHOD = (
    "base: the network '{base}' (statuses {statuses}); scenario: base plus the proposal's rows "
    "of status {counted}. Catchments, people (2020 census) and reach as in station_coverage, "
    "station_catchments and rail_reach; proposed station positions carry their precision_m."
)


def analyse_network(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    scenario: str,
    crs: CRS,
    radii_km: Sequence[float],
    origins: Sequence[str],
    minutes: Sequence[float],
    cache_dir: Path | None = None,
) -> NetworkAnalysis:
    """Coverage and reach of the stations and sections open in ``scenario``.

    Parameters
    ----------
    layers
        ``rail_stations``, ``rail_lines`` and ``admin_areas``.
    scenario
        Which statuses are open (a key of ``geo.sources._schema.SCENARIOS``).
    crs
        Metric CRS of the catchments (the same for a base and its scenarios).
    radii_km, origins, minutes
        Catchment radii, reach origins (station names) and time limits.
    cache_dir
        Folder of the cache of the population surface (default ``geo._io.cache_for()``).
    """
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    areas = coverage.catchments(layers["rail_stations"], radii_km=radii_km, crs=crs)
    areas = areas[
        (areas["line_id"] == coverage.ALL_LINES) & (areas["scenario"] == scenario)
    ].reset_index(drop=True)
    pieces, _, _ = coverage.people_pieces(admin, areas, cache_dir=cache_dir)
    table = coverage.summary(areas, pieces)
    by_county = pieces.groupby(["radius_km", "adcode"])["people"].sum().reset_index()

    graph = rail_network.rail_graph(layers, scenario=scenario)
    rows = []
    for name in origins:
        origin = rail_network.find_station(graph, name)
        found = rail_network.reach(graph, origin, limit_minutes=max(minutes))
        for limit in minutes:
            reached = [node for node, value in found.minutes.items() if value <= limit]
            rows.append(
                {
                    "origin": graph.nodes[origin]["name_zh"],
                    "minutes": float(limit),
                    "stations": sorted(graph.nodes[node]["station_id"] for node in reached),
                    "counties": rail_network.counties_reached(
                        found, graph, counties, within_minutes=limit
                    ),
                }
            )
    stations = layers["rail_stations"]
    open_ids = set(stations.loc[stations["status"].isin(SCENARIOS[scenario]), "station_id"])
    return NetworkAnalysis(areas, table, by_county, pd.DataFrame(rows), open_ids)


def cached_base_analysis(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    scenario: str,
    crs: CRS,
    radii_km: Sequence[float],
    origins: Sequence[str],
    minutes: Sequence[float],
    cache_dir: Path | None = None,
) -> NetworkAnalysis:
    """``analyse_network`` of a base, a cached stage (``geo._stages``) in ``cache_dir``.

    The key holds the layers' content, the options and everything ``inputs_key`` holds (the
    package's code, the settings, the data packages): any of them changing computes it afresh.
    Default ``cache_dir``: ``geo._io.cache_for()``.
    """
    options = [
        scenario,
        crs.to_wkt(),
        repr(tuple(radii_km)),
        repr(tuple(origins)),
        repr(tuple(minutes)),
        *(frame_digest(layers[name]) for name in ("rail_stations", "rail_lines", "admin_areas")),
    ]

    def compute() -> NetworkAnalysis:
        return analyse_network(
            layers,
            scenario=scenario,
            crs=crs,
            radii_km=radii_km,
            origins=origins,
            minutes=minutes,
            cache_dir=cache_dir,
        )

    return cached_stage(
        f"scenario-base-{scenario}", inputs_key(options=options), compute, cache_dir=cache_dir
    )


def _open_in_scenario(
    combined: Mapping[str, gpd.GeoDataFrame], added: Mapping[str, gpd.GeoDataFrame], base: str
) -> dict[str, gpd.GeoDataFrame]:
    """Return base plus proposal, the proposal's rows given the base's newest open status.

    ``geo.analysis.coverage`` and ``geo.networks.rail_network`` count rows by status; a proposal's
    ``planned`` row
    is open in its scenario, so it takes a status the base scenario counts.
    """
    counted = (*SCENARIOS[base], *COUNTED_STATUSES)
    opened = SCENARIOS[base][-1]
    layers = dict(combined)
    for name in ("rail_stations", "rail_lines"):
        if name not in added:
            continue
        frame = combined[name].copy()
        mine = frame["id"].isin(added[name]["id"]) & frame["status"].isin(counted)
        frame.loc[mine, "status"] = opened
        layers[name] = frame
    return layers


def compare(
    proposal: Proposal,
    base_layers: Mapping[str, gpd.GeoDataFrame],
    *,
    radii_km: Sequence[float] | None = None,
    origins: Sequence[str] | None = None,
    minutes: Sequence[float] | None = None,
    base_analysis: NetworkAnalysis | None = None,
    cache_dir: Path | None = None,
) -> Comparison:
    """Run coverage, reach and lengths on the base and on base + proposal.

    Parameters
    ----------
    proposal
        From ``read_proposal``.
    base_layers
        Built layers: ``rail_stations``, ``rail_lines``, ``admin_areas`` (and
        ``logistics_hubs``, ``expressways`` if the proposal adds to them).
    radii_km, origins, minutes
        Defaults: ``settings.coverage_radii_km``, ``settings.reach_origins``,
        ``settings.reach_minutes``.
    base_analysis
        The base's ``analyse_network`` with the same options, when several proposals share it.
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).

    Raises
    ------
    LayerValidationError
        If the proposal's rows are not valid (file, feature and field named).
    """
    radii = tuple(radii_km or settings.coverage_radii_km)
    origins = tuple(origins or settings.reach_origins)
    limits = tuple(minutes or settings.reach_minutes)
    added, combined = combined_layers(proposal, base_layers)
    scenario_layers = _open_in_scenario(combined, added, proposal.base)
    crs = coverage.metric_crs(base_layers["rail_stations"])
    options: dict[str, Any] = {
        "scenario": proposal.base,
        "crs": crs,
        "radii_km": radii,
        "origins": origins,
        "minutes": limits,
        "cache_dir": cache_dir,
    }
    before = base_analysis or analyse_network(base_layers, **options)
    after = analyse_network(scenario_layers, **options)

    admin = base_layers["admin_areas"]
    counties = admin[admin["level"] == "county"].set_index("adcode")
    table = coverage_difference(before, after, counties["name_zh"])
    reach = reach_difference(before, after, counties["name_zh"])
    pieces = route_pieces(added, admin) if {"rail_lines", "expressways"} & set(added) else None
    lengths = province_lengths(pieces)
    stations = scenario_layers["rail_stations"].drop_duplicates("station_id")
    gained = stations[stations["station_id"].isin(after.stations - before.stations)]
    stations_gained = gained[["station_id", "name_zh", "name_en"]].sort_values("station_id")
    method = _METHOD.format(
        base=proposal.base,
        statuses=", ".join(SCENARIOS[proposal.base]),
        counted=", ".join((*SCENARIOS[proposal.base], *COUNTED_STATUSES)),
    )
    layers = {
        **added,
        **map_layers(proposal, base_layers, added, scenario_layers, before, after, method),
    }
    if pieces is not None:
        layers["route_lengths"] = pieces
    log(
        f"scenario {proposal.name}: {len(stations_gained)} stations gained, "
        f"{table['people_scenario'].sum() - table['people_base'].sum():+,} people over all radii"
    )
    return Comparison(
        proposal,
        table,
        reach,
        lengths,
        stations_gained.reset_index(drop=True),
        layers,
        display=display_layers(proposal, base_layers, added),
    )


def run_scenarios(
    paths: Sequence[Path],
    *,
    layers_dir: Path | None = None,
    out_dir: Path | None = None,
    offline: bool = False,
    write: bool = True,
    cache_dir: Path | None = None,
) -> list[Comparison]:
    """Read, check and compare every proposal, then write their outputs.

    Every proposal is read and compared before anything is written: an invalid one leaves
    ``out_dir`` as it was. The base is analysed once per base network.

    Raises
    ------
    LayerValidationError
        For an invalid proposal or layer source.
    ChengyuError
        If two proposals have the same name.
    """
    proposals = [read_proposal(Path(path)) for path in paths]
    names = [proposal.name for proposal in proposals]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ChengyuError(f"proposals share the name(s) {', '.join(repeated)}: names must differ")
    out = Path(out_dir or settings.out_dir)
    cache = cache_for(out) if cache_dir is None else cache_dir
    base_layers = load_layers(BASE_LAYERS, layers_dir=layers_dir, cache_dir=cache)
    # The base network drawn as the build draws it (along the track where one is known).
    base_layers["rail_lines"] = drawn_sections(
        base_layers["rail_lines"], base_layers["rail_stations"], cache_dir=cache
    )
    # Every proposal is checked before any work is cached or written.
    problems = []
    for proposal in proposals:
        try:
            combined_layers(proposal, base_layers)
        except LayerValidationError as error:
            problems += error.problems
    if problems:
        raise LayerValidationError(problems)
    crs = coverage.metric_crs(base_layers["rail_stations"])
    analyses: dict[str, NetworkAnalysis] = {}
    comparisons = []
    for proposal in proposals:
        if proposal.base not in analyses:
            analyses[proposal.base] = cached_base_analysis(
                base_layers,
                scenario=proposal.base,
                crs=crs,
                radii_km=settings.coverage_radii_km,
                origins=settings.reach_origins,
                minutes=settings.reach_minutes,
                cache_dir=cache,
            )
        comparisons.append(
            compare(proposal, base_layers, base_analysis=analyses[proposal.base], cache_dir=cache)
        )
    if write:
        for comparison in comparisons:
            write_outputs(comparison, out_dir=out, offline=offline, cache_dir=cache)
        with output_lock(out):  # the run's pages, as its folders: under the build's lock
            write_pages(comparisons, out_dir=out)
    return comparisons
