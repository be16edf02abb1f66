"""The analysis: the source layers loaded, validated and measured, and the derived layers.

The first stage of a build, kept in the cache (``geo._stages``): every command that needs
the layers or the tables (``chengyu build``, ``maps``, ``lengths``, ``coverage``, ``figure``)
reads it back when its inputs are unchanged. ``geo.outputs.build`` writes it out.
"""

from __future__ import annotations

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

    The analysis is a cached stage (``geo._stages``): with the same package, layer sources,
    settings, data packages, options and OpenStreetMap track, it is read back from the cache
    instead of computed again, so ``chengyu maps`` or ``lengths`` after a build reuse the
    build's work. The plausibility warnings are logged again when it is read back.

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
        Folder of the cache, of this stage and of those it uses (default
        ``geo._io.cache_for()``).
    """
    radii = coverage_radii(radii_km)
    cache = cache_for() if cache_dir is None else cache_dir
    track = cache / OSM_GRAPH_FILE
    options = [
        repr(radii),
        _population_key(population),
        f"track {track.stat().st_size}:{track.stat().st_mtime_ns}" if track.is_file() else "",
    ]
    computed = []

    def compute() -> Analysis:
        computed.append(True)
        return _analyse(
            layers_dir=layers_dir,
            radii_km=radii,
            population=population,
            scheduler=scheduler,
            on_step=on_step,
            cache_dir=cache,
        )

    key = inputs_key(layers_dir=layers_dir, options=options)
    analysed = cached_stage("analysis", key, compute, cache_dir=cache)
    analysed.key = key
    if not computed:
        for warning in analysed.warnings:
            log(f"warning: {warning}", level=logging.WARNING)
        for step in ANALYSIS_STEPS:
            if on_step is not None:
                on_step(step)
    return analysed


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


def _analyse(
    *,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | PopulationFile | None = None,
    scheduler: str | None = None,
    on_step: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> Analysis:
    """Compute the analysis (see ``analyse``).

    Adds ``stations``, ``route_lengths``, ``station_coverage``, ``station_catchments``,
    ``rail_reach`` and ``station_access``; where
    ``chengyu osm`` has cached an OpenStreetMap rail graph, rail sections follow its track.
    People are counted on ``population`` (see ``geo.analysis.coverage.coverage``), on Dask with
    ``scheduler``.
    """
    layers = load_layers(layers_dir=layers_dir, on_layer=on_step, cache_dir=cache_dir)
    admin = layers["admin_areas"]
    counties = admin[admin["level"] == "county"]
    counted: str | gpd.GeoDataFrame | PopulationFile | CountedPopulation | None = population
    access = None
    if isinstance(population, PopulationFile):
        # The user's file first, read once for the catchments and the drive areas together: it
        # needs only the stations, and a bad feature in it stops the run before the routing.
        counted, access = _count_file_once(
            layers, population, radii_km, counties, scheduler, cache_dir=cache_dir
        )
    layers = route_layers(layers, cache_dir=cache_dir)
    warnings = layer_warnings(layers, cache_dir=cache_dir)
    layers["rail_lines"] = drawn_sections(
        layers["rail_lines"], layers["rail_stations"], cache_dir=cache_dir
    )
    layers["stations"] = physical_stations(layers["rail_stations"], layers["rail_lines"])
    layers["route_lengths"] = route_lengths(layers)
    lengths = length_table(layers, layers["route_lengths"])
    if on_step is not None:
        on_step("route_lengths")
    summary, layers["station_coverage"], layers["station_catchments"] = coverage(
        layers, radii_km=radii_km, population=counted, scheduler=scheduler, cache_dir=cache_dir
    )
    # Built once (and cached): the reach areas, the calibration and ``chengyu reach`` share them.
    graphs = rail_graphs(layers, layers_dir=layers_dir, cache_dir=cache_dir)
    layers["rail_reach"] = reach_areas(
        layers, origins=settings.reach_origins, minutes=settings.reach_minutes, graphs=graphs
    )
    layers["station_access"] = (
        access
        if access is not None
        else drive_areas(
            layers["rail_stations"],
            population=for_access(admin, population, cache_dir=cache_dir),
            counties=counties,
            scheduler=scheduler,
            cache_dir=cache_dir,
        )
    )
    if on_step is not None:
        on_step("coverage")
    rail_times = calibration_table(layers, graph=graphs["today"])
    return Analysis(layers, lengths, summary, rail_times, warnings)


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
