"""The analysis: the source layers loaded, validated and measured, and the derived layers.

The first stage of a build, kept in the cache (``geo._stages``) as two entries, the network and
the people near its stations: every command that needs the layers or the tables (``chengyu
build``, ``maps``, ``lengths``, ``coverage``, ``figure``) reads them back when its inputs are
unchanged, and a new radius or population counts the people again without routing the network.
``geo.outputs.build`` writes it out.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo._io import OSM_GRAPH_FILE, cache_for
from geo._stages import cached_stage, frame_digest, inputs_key
from geo.analysis._population_file import (
    CountedPopulation,
    PopulationFile,
    count_population,
    file_key,
)
from geo.analysis.coverage import catchments, coverage
from geo.analysis.measure import length_table, route_lengths
from geo.analysis.population import for_access
from geo.analysis.road_access import drive_areas
from geo.analysis.stations import physical_stations
from geo.errors import Problem
from geo.networks.osm_track import cached_rail_graph, snap_sections
from geo.networks.rail_network import calibration_table, rail_graphs, reach_areas
from geo.networks.routing import route_layers
from geo.networks.track_graph import layer_warnings, rail_track_graph
from geo.sources._schema import LAYER_NAMES
from geo.sources.layers import load_layers
from geo.utils import log

#: The layers the people stage adds (the network stage adds the rest).
PEOPLE_LAYERS: tuple[str, ...] = ("station_coverage", "station_catchments", "station_access")
#: Steps of the analysis, reported whether it is computed or read back from the cache.
ANALYSIS_STEPS: tuple[str, ...] = (*LAYER_NAMES, "route_lengths", "coverage")


@dataclass
class Analysis:
    """Every layer, source and derived, with the length, coverage and rail-time tables."""

    layers: dict[str, gpd.GeoDataFrame]
    lengths: pd.DataFrame
    coverage: pd.DataFrame
    rail_times: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[Problem] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    """Everything the analysis depends on (see ``geo._stages.inputs_key``); empty if unknown."""


def analyse(
    *,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | PopulationFile | None = None,
    scheduler: str | None = None,
    on_step: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> Analysis:
    """Load and validate the source layers, then compute the derived ones, once per input.

    The analysis is two cached stages (``geo._stages``): the network (the layers routed and
    measured, the rail graphs, reach and calibration), keyed by the package, the layer sources,
    the settings, the data packages and the OpenStreetMap track; and the people (coverage and
    the drive areas' people), keyed by the same but the radii and the population instead of the
    track. With the same inputs both are read back from the cache, so ``chengyu maps`` or
    ``lengths`` after a build reuse the build's work; a new radius or population computes the
    people alone, a new track the network alone. The plausibility warnings are logged again
    when the network is read back.

    Parameters
    ----------
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    radii_km
        Catchment radii (default ``settings.coverage_radii_km``).
    population, scheduler
        How people are counted (see ``geo.analysis.coverage.coverage``).
    on_step
        Called with the name of each analysis step of ``BUILD_STEPS`` once it is done.
    cache_dir
        Folder of the cache, of these stages and of those they use (default
        ``geo._io.cache_for()``).
    """
    radii = coverage_radii(radii_km)
    cache = cache_for() if cache_dir is None else cache_dir
    track = cache / OSM_GRAPH_FILE
    track_option = (
        f"track {track.stat().st_size}:{track.stat().st_mtime_ns}" if track.is_file() else ""
    )
    # One digest of the code, sources and settings for both stages, each with its own options.
    inputs = inputs_key(layers_dir=layers_dir)
    network_options = ["network", track_option]
    people_options = ["people", repr(radii), _population_key(population)]
    reported: list[str] = []

    def step(name: str) -> None:
        if on_step is not None and name not in reported:
            reported.append(name)
            on_step(name)

    @functools.cache
    def loaded() -> dict[str, gpd.GeoDataFrame]:
        """Return the layer sources, loaded and validated once for whichever stage computes."""
        return load_layers(layers_dir=layers_dir, on_layer=step, cache_dir=cache)

    # The people first: a user's file is read before the routing, so a bad feature in it
    # stops the run at once.
    people = cached_stage(
        "people",
        [*inputs, *people_options],
        lambda: _people(
            dict(loaded()),
            radii_km=radii,
            population=population,
            scheduler=scheduler,
            cache_dir=cache,
        ),
        cache_dir=cache,
    )
    network_computed: list[bool] = []

    def network() -> _Network:
        network_computed.append(True)
        return _network(dict(loaded()), layers_dir=layers_dir, on_step=step, cache_dir=cache)

    routed = cached_stage("network", [*inputs, *network_options], network, cache_dir=cache)
    if not network_computed:
        for warning in routed.warnings:
            log(f"warning: {warning}", level=logging.WARNING)
    # In the order the layers are written: the people's layers before the reach, as ever.
    layers = {name: frame for name, frame in routed.layers.items() if name != "rail_reach"}
    layers.update(
        station_coverage=people.layers["station_coverage"],
        station_catchments=people.layers["station_catchments"],
        rail_reach=routed.layers["rail_reach"],
        station_access=people.layers["station_access"],
    )
    for name in ANALYSIS_STEPS:
        step(name)
    return Analysis(
        layers,
        routed.lengths,
        people.summary,
        routed.rail_times,
        routed.warnings,
        key=[*inputs, *network_options, *people_options],
    )


def coverage_radii(radii_km: Sequence[float] | None) -> tuple[float, ...]:
    """Return catchment radii in one form: floats, each once, smallest first.

    ``--radius 5 --radius 10 --radius 30``, ``(30, 10, 5.0)`` and the default
    (``settings.coverage_radii_km``, when ``radii_km`` is empty) are the same analysis.
    """
    return tuple(sorted({float(radius) for radius in (radii_km or settings.coverage_radii_km)}))


def _population_key(population: str | gpd.GeoDataFrame | PopulationFile | None) -> str:

    if isinstance(population, PopulationFile):
        return f"{population.kind}:{population.key}"
    if population is None or isinstance(population, str):
        chosen = population or settings.population_method
        path = Path(chosen)
        # A big file is hashed in chunks, never read into memory.
        return f"{chosen}:{file_key(path)}" if path.is_file() else chosen
    return frame_digest(population)


@dataclass
class _Network:
    """The network stage: the layers routed and measured, with lengths, times and warnings."""

    layers: dict[str, gpd.GeoDataFrame]
    lengths: pd.DataFrame
    rail_times: pd.DataFrame
    warnings: list[Problem]


@dataclass
class _People:
    """The people stage: the coverage table and the layers of people near the stations.

    ``station_coverage``, ``station_catchments`` and ``station_access``.
    """

    layers: dict[str, gpd.GeoDataFrame]
    summary: pd.DataFrame


def _network(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    layers_dir: Path | None,
    on_step: Callable[[str], None],
    cache_dir: Path,
) -> _Network:
    """Route and measure the loaded layers: sections, stations, lengths, rail graphs, reach.

    Adds ``stations``, ``route_lengths`` and ``rail_reach``; where ``chengyu osm`` has cached
    an OpenStreetMap rail graph, rail sections follow its track.
    """
    layers = route_layers(layers, cache_dir=cache_dir)
    warnings = layer_warnings(layers, cache_dir=cache_dir)
    layers["rail_lines"] = drawn_sections(
        layers["rail_lines"], layers["rail_stations"], cache_dir=cache_dir
    )
    layers["stations"] = physical_stations(layers["rail_stations"], layers["rail_lines"])
    layers["route_lengths"] = route_lengths(layers)
    lengths = length_table(layers, layers["route_lengths"])
    on_step("route_lengths")
    # Built once (and cached): the reach areas, the calibration and ``chengyu reach`` share them.
    graphs = rail_graphs(layers, layers_dir=layers_dir, cache_dir=cache_dir)
    layers["rail_reach"] = reach_areas(
        layers, origins=settings.reach_origins, minutes=settings.reach_minutes, graphs=graphs
    )
    rail_times = calibration_table(layers, graph=graphs["today"])
    return _Network(layers, lengths, rail_times, warnings)


def _people(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    radii_km: Sequence[float],
    population: str | gpd.GeoDataFrame | PopulationFile | None,
    scheduler: str | None,
    cache_dir: Path,
) -> _People:
    """Count people near the stations of the loaded layers: coverage and the drive areas.

    People are counted on ``population`` (see ``geo.analysis.coverage.coverage``), on Dask
    with ``scheduler``; a user's file is read once for the catchments and the drive areas.
    """
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    counted: str | gpd.GeoDataFrame | PopulationFile | CountedPopulation | None = population
    access = None
    if isinstance(population, PopulationFile):
        counted, access = _count_file_once(
            layers, population, radii_km, counties, scheduler, cache_dir=cache_dir
        )
    summary, station_coverage, station_catchments = coverage(
        layers, radii_km=radii_km, population=counted, scheduler=scheduler, cache_dir=cache_dir
    )
    if access is None:
        access = drive_areas(
            layers["rail_stations"],
            population=for_access(admin, population, cache_dir=cache_dir),
            counties=counties,
            scheduler=scheduler,
            cache_dir=cache_dir,
        )
    frames = (station_coverage, station_catchments, access)
    return _People(dict(zip(PEOPLE_LAYERS, frames, strict=True)), summary)


def _count_file_once(
    layers: dict[str, gpd.GeoDataFrame],
    population: PopulationFile,
    radii_km: Sequence[float] | None,
    counties: gpd.GeoDataFrame,
    scheduler: str | None,
    *,
    cache_dir: Path | None = None,
) -> tuple[CountedPopulation, gpd.GeoDataFrame]:
    """Count a user's file in the catchments and the drive areas in one reading of it.

    Returns the catchments' counts for ``coverage`` and the ``station_access`` layer with its
    ``people``.
    """
    stations = layers["rail_stations"]
    access = drive_areas(stations, cache_dir=cache_dir)
    areas = catchments(stations, radii_km=radii_km)
    both = gpd.GeoDataFrame(
        geometry=pd.concat([areas.geometry, access.geometry.to_crs(areas.crs)], ignore_index=True),
        crs=areas.crs,
    )
    matrix, total, geometry = count_population(population, both, counties, scheduler=scheduler)
    counted = CountedPopulation(
        population, matrix.iloc[: len(areas)].set_axis(areas.index), total, geometry
    )
    people = matrix.iloc[len(areas) :].sum(axis=1).to_numpy()
    access.insert(list(access.columns).index("area_km2") + 1, "people", people.round().astype(int))
    return counted, access


def drawn_sections(
    sections: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, *, cache_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """Draw the rail sections along the track where one is known, as station chains elsewhere.

    The OpenStreetMap track that ``chengyu osm`` cached comes first; what it leaves as station
    chains follows the offline railway graph where it has the line (see
    ``geo.networks.osm_track.snap_sections`` for the rules). The build and the scenarios' base
    network
    are drawn the same way.

    Parameters
    ----------
    sections, stations
        The ``rail_lines`` and ``rail_stations`` layers.
    cache_dir
        Folder of the cache: the OpenStreetMap track and the railway graph (default
        ``geo._io.cache_for()``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``sections`` with their geometry, ``geometry_source`` and ``osm_share``.
    """
    track = cached_rail_graph(cache_dir)
    if track is not None:
        sections = snap_sections(sections, stations, track)
    railway = rail_track_graph(cache_dir=cache_dir)
    return snap_sections(sections, stations, railway, source="osm_railway_graph")
