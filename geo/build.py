"""The whole build: layers from their sources to every output under ``out/``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo._io import OSM_GRAPH_FILE, cache_for, output_lock, staged_output
from geo._mapdefs import load_map_definitions
from geo._schema import LAYER_NAMES
from geo._stages import cached_stage, frame_digest, inputs_key
from geo._validate import option_problem
from geo.errors import OptionError, Problem
from geo.export import write_csv, write_geopackage, write_geoparquet
from geo.index_page import write_index
from geo.utils import log
from geo.webmap import write_maps

#: Steps reported to ``on_step``: one per layer, the derived layers, then one per output.
BUILD_STEPS: tuple[str, ...] = (
    *LAYER_NAMES,
    "route_lengths",
    "coverage",
    "geopackage",
    "geoparquet",
    "csv",
    "maps",
)

#: Entries of the output folder a build writes; everything else there (``cache/``,
#: ``screenshots/``) is carried over from one build to the next.
BUILD_OUTPUTS: tuple[str, ...] = (
    settings.geopackage_name,
    "parquet",
    "lengths.csv",
    "coverage.csv",
    "coverage_by_county.csv",
    "rail_times.csv",
    "maps",
    "index.html",
)


@dataclass
class BuildResult:
    """What a build wrote, and the length and coverage tables it computed."""

    geopackage: Path
    parquet: list[Path]
    lengths_csv: Path
    lengths: pd.DataFrame
    coverage: pd.DataFrame
    coverage_csv: Path
    station_coverage: gpd.GeoDataFrame
    maps: list[Path] = field(default_factory=list)
    feature_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Analysis:
    """Every layer, source and derived, with the length, coverage and rail-time tables."""

    layers: dict[str, gpd.GeoDataFrame]
    lengths: pd.DataFrame
    coverage: pd.DataFrame
    rail_times: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[Problem] = field(default_factory=list)


def analyse(
    *,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | None = None,
    scheduler: str | None = None,
    on_step: Callable[[str], None] | None = None,
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
        How people are counted (see ``geo.coverage.coverage``).
    on_step
        Called with the name of each analysis step of ``BUILD_STEPS`` once it is done.
    """
    track = Path(settings.cache_dir) / OSM_GRAPH_FILE
    options = [
        repr(tuple(radii_km) if radii_km else None),
        _population_key(population),
        f"track {track.stat().st_size}:{track.stat().st_mtime_ns}" if track.is_file() else "",
    ]
    computed = []

    def compute() -> Analysis:
        computed.append(True)
        return _analyse(
            layers_dir=layers_dir,
            radii_km=radii_km,
            population=population,
            scheduler=scheduler,
            on_step=on_step,
        )

    analysed = cached_stage("analysis", inputs_key(layers_dir=layers_dir, options=options), compute)
    if not computed:
        for warning in analysed.warnings:
            log(f"warning: {warning}", level=logging.WARNING)
        for step in (*LAYER_NAMES, "route_lengths", "coverage"):
            if on_step is not None:
                on_step(step)
    return analysed


def _population_key(population: str | gpd.GeoDataFrame | None) -> str:
    if population is None or isinstance(population, str):
        chosen = population or settings.population_method
        path = Path(chosen)
        return (
            f"{chosen}:{hashlib.sha1(path.read_bytes()).hexdigest()}" if path.is_file() else chosen
        )
    return frame_digest(population)


def _analyse(
    *,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | None = None,
    scheduler: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Analysis:
    """Compute the analysis (see ``analyse``).

    Adds ``route_lengths``, ``station_coverage``, ``station_catchments``, ``rail_reach`` and
    ``station_access``; where
    ``chengyu osm`` has cached an OpenStreetMap rail graph, rail sections follow its track.
    People are counted on ``population`` (see ``geo.coverage.coverage``), on Dask with
    ``scheduler``.
    """
    # Imported here: a command that reads the analysis back never loads the graph toolkits.
    from geo._checks import layer_warnings
    from geo.coverage import coverage
    from geo.layers import load_layers, route_layers
    from geo.measure import length_table, route_lengths
    from geo.osm_track import cached_rail_graph, snap_sections
    from geo.population import for_access
    from geo.rail_network import calibration_table, reach_areas
    from geo.road_access import drive_areas

    layers = route_layers(load_layers(layers_dir=layers_dir, on_layer=on_step))
    warnings = layer_warnings(layers)
    track = cached_rail_graph()
    if track is not None:
        layers["rail_lines"] = snap_sections(layers["rail_lines"], layers["rail_stations"], track)
    layers["route_lengths"] = route_lengths(layers)
    lengths = length_table(layers, layers["route_lengths"])
    if on_step is not None:
        on_step("route_lengths")
    summary, layers["station_coverage"], layers["station_catchments"] = coverage(
        layers, radii_km=radii_km, population=population, scheduler=scheduler
    )
    layers["rail_reach"] = reach_areas(
        layers, origins=settings.reach_origins, minutes=settings.reach_minutes
    )
    layers["station_access"] = drive_areas(
        layers["rail_stations"], population=for_access(layers["admin_areas"], population)
    )
    if on_step is not None:
        on_step("coverage")
    return Analysis(layers, lengths, summary, calibration_table(layers), warnings)


def build(
    *,
    out_dir: Path | None = None,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | None = None,
    scheduler: str | None = None,
    offline_maps: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> BuildResult:
    """Load and validate every layer, measure the routes, and write every output.

    Writes ``chengyu_corridors.gpkg`` (source and derived layers), ``parquet/<layer>.parquet``,
    ``lengths.csv``, ``coverage.csv``, ``coverage_by_county.csv``, ``rail_times.csv`` (modelled
    against published rail times), ``maps/<name>.html`` and ``index.html``.
    All or nothing: the options, the map definitions and every layer are checked before
    anything is written; the outputs are written into a staging folder beside ``out_dir`` and
    swapped in as a set at the end, under a lock that keeps a second build waiting. A failed
    or killed build leaves the previous outputs as they were.

    Parameters
    ----------
    out_dir
        Output folder (default ``settings.out_dir``).
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    radii_km
        Catchment radii of the coverage analysis (default ``settings.coverage_radii_km``).
    population, scheduler
        How people are counted (see ``geo.coverage.coverage``).
    offline_maps
        Write self-contained maps that make no request (see ``geo.webmap.make_map``).
    on_step
        Called with the name of each step of ``BUILD_STEPS`` once it is done.
    """

    def done(step: str) -> None:
        if on_step is not None:
            on_step(step)

    out = Path(out_dir or settings.out_dir)
    check_options(radii_km)
    # Map definitions are checked before anything is written: a bad TOML found after the
    # GeoPackage would otherwise fail the build half-way. (Their ``where`` values are checked
    # against the layers again when the maps are written, still inside the staging folder.)
    load_map_definitions()
    with output_lock(out), _cache_beside(out), staged_output(out, outputs=BUILD_OUTPUTS) as stage:
        analysed = analyse(
            layers_dir=layers_dir,
            radii_km=radii_km,
            population=population,
            scheduler=scheduler,
            on_step=on_step,
        )
        layers = analysed.layers
        write_geopackage(layers, stage / settings.geopackage_name)
        done("geopackage")
        parquet = write_geoparquet(layers, stage / "parquet")
        done("geoparquet")
        write_csv(analysed.lengths, stage / "lengths.csv")
        write_csv(analysed.coverage, stage / "coverage.csv")
        write_csv(
            layers["station_coverage"].drop(columns="geometry"), stage / "coverage_by_county.csv"
        )
        write_csv(analysed.rail_times, stage / "rail_times.csv")
        done("csv")
        maps = write_maps(layers, out_dir=stage, offline=offline_maps)
        done("maps")
        write_index(
            layers=layers, lengths=analysed.lengths, coverage=analysed.coverage, out_dir=stage
        )
    counts = {name: len(frame) for name, frame in layers.items()}
    log(f"build done: {sum(counts.values())} features in {len(counts)} layers → {out}")
    return BuildResult(
        out / settings.geopackage_name,
        [out / path.relative_to(stage) for path in parquet],
        out / "lengths.csv",
        analysed.lengths,
        analysed.coverage,
        out / "coverage.csv",
        layers["station_coverage"],
        [out / path.relative_to(stage) for path in maps],
        counts,
    )


def build_maps(
    *,
    out_dir: Path | None = None,
    layers_dir: Path | None = None,
    offline_maps: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write only the interactive maps, from the analysis a build cached when it can.

    The maps are written into a staging folder and swapped in like a build's outputs; the
    other outputs of ``out_dir`` stay as they are.

    Parameters
    ----------
    out_dir
        Output folder (default ``settings.out_dir``).
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    offline_maps
        Write self-contained maps that make no request (see ``geo.webmap.make_map``).
    on_step
        Called with the name of each analysis step, then ``maps``.

    Returns
    -------
    list of Path
        The maps written, under ``out_dir/maps``.
    """
    out = Path(out_dir or settings.out_dir)
    load_map_definitions()
    with output_lock(out), _cache_beside(out), staged_output(out, outputs=("maps",)) as stage:
        analysed = analyse(layers_dir=layers_dir, on_step=on_step)
        maps = write_maps(analysed.layers, out_dir=stage, offline=offline_maps)
        if on_step is not None:
            on_step("maps")
    return [out / path.relative_to(stage) for path in maps]


def check_options(radii_km: Sequence[float] | None) -> None:
    """Refuse radii and time limits that are not positive, finite and sensible.

    Checks the catchment radii (at most ``settings.max_radius_km``) and the time limits of
    ``settings.reach_minutes`` and ``settings.access_minutes`` (at most ``settings.max_minutes``).

    Raises
    ------
    OptionError
        Naming the radius and the problem.
    """
    checks = [
        ("--radius", "km", settings.max_radius_km, list(radii_km or ())),
        ("settings.reach_minutes", "minutes", settings.max_minutes, settings.reach_minutes),
        ("settings.access_minutes", "minutes", settings.max_minutes, settings.access_minutes),
    ]
    for name, unit, maximum, values in checks:
        for value in values:
            message = option_problem(value, maximum=maximum, unit=unit)
            if message:
                raise OptionError(f"{name}: {message}")


@contextmanager
def _cache_beside(out: Path) -> Iterator[None]:
    """Keep the cache in ``out/cache`` during the build unless a cache folder was chosen."""
    if "cache_dir" in vars(settings):
        yield
        return
    settings.cache_dir = cache_for(out)
    try:
        yield
    finally:
        vars(settings).pop("cache_dir", None)
