"""The whole build: the analysis (``geo.analysis.stage``) written to every output under ``out/``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo._io import cache_for, output_lock, staged_output
from geo._stages import cached_stage, folder_digest, package_version
from geo.analysis._counting import check_scheduler
from geo.analysis._population_file import PopulationFile
from geo.analysis.stage import ANALYSIS_STEPS, Analysis, analyse
from geo.errors import OptionError
from geo.outputs.export import write_csv, write_geopackage, write_geoparquet
from geo.outputs.figure import FORMATS as FIGURE_FORMATS
from geo.outputs.figure import select_definitions, write_figures
from geo.outputs.index_page import write_index
from geo.outputs.webmap import render_maps, write_pages
from geo.sources._validate import option_problem
from geo.sources.mapdefs import load_map_definitions
from geo.utils import log

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

#: The progress step each output reports once it is written.
_OUTPUT_STEPS: dict[str, str] = {
    settings.geopackage_name: "geopackage",
    "parquet": "geoparquet",
    "lengths.csv": "csv",
    "coverage.csv": "csv",
    "coverage_by_county.csv": "csv",
    "rail_times.csv": "csv",
    "maps": "maps",
    "index.html": "maps",
}
#: Packages that draw the maps: a new version renders them again.
_MAP_PACKAGES = ("folium", "branca", "XStatic-Leaflet")


#: Steps reported to ``on_step`` by a build: the analysis's, then one per kind of output.
BUILD_STEPS: tuple[str, ...] = (*ANALYSIS_STEPS, *dict.fromkeys(_OUTPUT_STEPS.values()))


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


def steps_for(outputs: Sequence[str]) -> tuple[str, ...]:
    """Return the progress steps of writing ``outputs`` (those of the analysis first).

    Parameters
    ----------
    outputs
        Entries of ``BUILD_OUTPUTS``.
    """
    return (*ANALYSIS_STEPS, *_by_step(outputs))


def _by_step(outputs: Sequence[str]) -> dict[str, list[str]]:
    """Group ``outputs`` by their progress step, both in the order a build writes them."""
    steps: dict[str, list[str]] = {}
    for name in BUILD_OUTPUTS:
        if name in outputs:
            steps.setdefault(_OUTPUT_STEPS[name], []).append(name)
    return steps


def write_outputs(
    outputs: Sequence[str],
    *,
    out_dir: Path | None = None,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | PopulationFile | None = None,
    scheduler: str | None = None,
    offline_maps: bool = False,
    on_step: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> tuple[Analysis, dict[str, list[Path]]]:
    """Write some of the build's outputs from the (cached) analysis; leave the others as they are.

    The commands that own one output (``chengyu maps``, ``lengths``, ``coverage``) and the
    whole build share this: the analysis is read back from the cache when its inputs are
    unchanged, and only ``outputs`` are written. All or nothing: the options and the map
    definitions are checked before anything is written; the outputs are written into a
    staging folder beside ``out_dir`` and swapped in as a set at the end, under a lock that
    keeps a second build waiting. A failed or killed run leaves the previous outputs as they
    were.

    Parameters
    ----------
    outputs
        Entries of ``BUILD_OUTPUTS`` to write.
    out_dir
        Output folder (default ``settings.out_dir``).
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    radii_km
        Catchment radii of the coverage analysis (default ``settings.coverage_radii_km``).
    population, scheduler
        How people are counted (see ``geo.analysis.coverage.coverage``).
    offline_maps
        Write self-contained maps that make no request (see ``geo.outputs.webmap.make_map``).
    on_step
        Called with the name of each step of ``steps_for(outputs)`` once it is done.
    cache_dir
        Folder of the cache (default ``geo._io.cache_for(out_dir)``: ``out_dir/cache`` unless
        ``settings.cache_dir`` is set).

    Returns
    -------
    tuple
        The analysis, and the files written for each output (paths under ``out_dir``).
    """
    unknown = [name for name in outputs if name not in _OUTPUT_STEPS]
    if unknown:
        raise ValueError(f"unknown outputs {unknown}; expected some of {list(BUILD_OUTPUTS)}")
    out = Path(out_dir or settings.out_dir)
    cache = cache_for(out) if cache_dir is None else cache_dir
    check_out_dir(out, layers_dir)
    check_options(radii_km)
    check_scheduler(scheduler, connect=True)
    # Map definitions are checked before anything is written: a bad TOML found after the
    # GeoPackage would otherwise fail the build half-way. (Their ``where`` values are checked
    # against the layers again when the maps are written, still inside the staging folder.)
    if "maps" in outputs or "index.html" in outputs:
        load_map_definitions()
    steps = _by_step(outputs)
    chosen = [name for names in steps.values() for name in names]
    with output_lock(out), staged_output(out, outputs=chosen) as stage:
        analysed = analyse(
            layers_dir=layers_dir,
            radii_km=radii_km,
            population=population,
            scheduler=scheduler,
            on_step=on_step,
            cache_dir=cache,
        )
        written: dict[str, list[Path]] = {}
        for step, names in steps.items():
            for name in names:
                written[name] = _write_output(
                    name, analysed, stage, out=out, offline_maps=offline_maps, cache_dir=cache
                )
            if on_step is not None:
                on_step(step)
    return analysed, {
        name: [out / path.relative_to(stage) for path in paths] for name, paths in written.items()
    }


def _write_output(
    name: str, analysed: Analysis, stage: Path, *, out: Path, offline_maps: bool, cache_dir: Path
) -> list[Path]:
    """Write one entry of ``BUILD_OUTPUTS`` into the staging folder; return its files."""
    layers = analysed.layers
    path = stage / name
    if name == settings.geopackage_name:
        return [write_geopackage(layers, path)]
    if name == "parquet":
        return write_geoparquet(layers, path)
    tables = {
        "lengths.csv": analysed.lengths,
        "coverage.csv": analysed.coverage,
        "coverage_by_county.csv": layers["station_coverage"].drop(columns="geometry"),
        "rail_times.csv": analysed.rail_times,
    }
    if name in tables:
        return [write_csv(tables[name], path)]
    if name == "maps":
        return _write_maps(analysed, stage / "maps", offline=offline_maps, cache_dir=cache_dir)
    return [
        write_index(
            layers=layers,
            lengths=analysed.lengths,
            coverage=analysed.coverage,
            out_dir=stage,
            swapped_into=out,
        )
    ]


def _write_maps(analysed: Analysis, folder: Path, *, offline: bool, cache_dir: Path) -> list[Path]:
    """Write the maps of ``analysed``, rendered again only when the maps' inputs changed.

    The pages depend on the analysis, the map definitions, the package's code and the
    packages that draw them; with an analysis of unknown inputs they are always rendered.
    """

    def render() -> dict[str, str]:
        return render_maps(analysed.layers, offline=offline, cache_dir=cache_dir)

    if not analysed.key:
        pages = render()
    else:
        key = [
            *analysed.key,
            folder_digest(Path(settings.maps_dir), "*.toml"),
            f"offline={offline}",
            *(package_version(name) for name in _MAP_PACKAGES),
        ]
        pages = cached_stage("maps", key, render, cache_dir=cache_dir)
    return write_pages(pages, folder, offline=offline)


def build(
    *,
    out_dir: Path | None = None,
    layers_dir: Path | None = None,
    radii_km: Sequence[float] | None = None,
    population: str | gpd.GeoDataFrame | PopulationFile | None = None,
    scheduler: str | None = None,
    offline_maps: bool = False,
    on_step: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> BuildResult:
    """Load and validate every layer, measure the routes, and write every output.

    Writes ``chengyu_corridors.gpkg`` (source and derived layers), ``parquet/<layer>.parquet``,
    ``lengths.csv``, ``coverage.csv``, ``coverage_by_county.csv``, ``rail_times.csv`` (modelled
    against published rail times), ``maps/<name>.html`` and ``index.html``, all or nothing.
    The options are those of ``write_outputs``; ``on_step`` hears each of ``BUILD_STEPS``.
    """
    out = Path(out_dir or settings.out_dir)
    analysed, written = write_outputs(
        BUILD_OUTPUTS,
        out_dir=out,
        layers_dir=layers_dir,
        radii_km=radii_km,
        population=population,
        scheduler=scheduler,
        offline_maps=offline_maps,
        on_step=on_step,
        cache_dir=cache_dir,
    )
    layers = analysed.layers
    counts = {name: len(frame) for name, frame in layers.items()}
    log(f"build done: {sum(counts.values())} features in {len(counts)} layers → {out}")
    return BuildResult(
        written[settings.geopackage_name][0],
        written["parquet"],
        written["lengths.csv"][0],
        analysed.lengths,
        analysed.coverage,
        written["coverage.csv"][0],
        layers["station_coverage"],
        written["maps"],
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

    The other outputs of ``out_dir`` stay as they are (see ``write_outputs``).

    Parameters
    ----------
    out_dir
        Output folder (default ``settings.out_dir``).
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    offline_maps
        Write self-contained maps that make no request (see ``geo.outputs.webmap.make_map``).
    on_step
        Called with the name of each analysis step, then ``maps``.

    Returns
    -------
    list of Path
        The maps written, under ``out_dir/maps``.
    """
    _, written = write_outputs(
        ("maps",), out_dir=out_dir, layers_dir=layers_dir, offline_maps=offline_maps,
        on_step=on_step,
    )  # fmt: skip
    return written["maps"]


def build_figures(
    names: Sequence[str] = (),
    *,
    out_dir: Path | None = None,
    layers_dir: Path | None = None,
    fmt: str = "png",
    dpi: int | None = None,
    cache_dir: Path | None = None,
) -> tuple[list[Path], Path]:
    """Draw figures of the map definitions into ``out_dir/figures`` and write the index page.

    The analysis comes from the cache when it can (see ``write_outputs``). The figures and
    ``index.html``, which shows them as the maps' thumbnails, are written as a build's
    outputs are: into a staging folder swapped in as a set, under the output folder's lock.
    Figures of other maps already in ``out_dir/figures`` are kept.

    Parameters
    ----------
    names
        Map names (default: every map definition).
    out_dir
        Output folder (default ``settings.out_dir``).
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    fmt, dpi
        File format and PNG resolution (see ``geo.outputs.figure.write_figures``).
    cache_dir
        Folder of the cache (default ``geo._io.cache_for(out_dir)``).

    Returns
    -------
    figures, index
        The figures written and the index page, under ``out_dir``.
    """
    out = Path(out_dir or settings.out_dir)
    cache = cache_for(out) if cache_dir is None else cache_dir
    # Checked before any work: an unknown name or format is one line, nothing written.
    select_definitions(names)
    if fmt not in FIGURE_FORMATS:
        raise OptionError(f"figure format {fmt!r}: use one of {', '.join(FIGURE_FORMATS)}")
    with output_lock(out), staged_output(out, outputs=("figures", "index.html")) as stage:
        analysed = analyse(layers_dir=layers_dir, cache_dir=cache)
        if (out / "figures").is_dir():
            shutil.copytree(out / "figures", stage / "figures")
        figures = write_figures(
            analysed.layers, names=names, out_dir=stage, fmt=fmt, dpi=dpi, cache_dir=cache
        )
        write_index(
            layers=analysed.layers,
            lengths=analysed.lengths,
            coverage=analysed.coverage,
            out_dir=stage,
            swapped_into=out,
        )
    return [out / path.relative_to(stage) for path in figures], out / "index.html"


def check_out_dir(out: Path, layers_dir: Path | None = None) -> None:
    """Refuse an output folder whose outputs would replace the layer sources.

    The outputs replace the folder's entries of their names as a set: ``rail_times.csv`` is a
    layer source and an output, so ``--layers DIR --out DIR`` wrote the modelled times over
    the published ones, and sources kept in ``out/maps/`` would go with the old maps. Sources
    in another folder of ``out`` are carried over like any entry the build does not write.

    Raises
    ------
    OptionError
        Naming both folders.
    """
    sources = Path(layers_dir or settings.layers_dir).resolve()
    target = out.resolve()
    if sources == target or any(sources.is_relative_to(target / name) for name in BUILD_OUTPUTS):
        raise OptionError(
            f"output folder {out}: its outputs would replace the layer sources ({sources}); "
            "write the outputs to another folder"
        )


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
        ("catchment radius", "km", settings.max_radius_km, list(radii_km or ())),
        ("settings.reach_minutes", "minutes", settings.max_minutes, settings.reach_minutes),
        ("settings.access_minutes", "minutes", settings.max_minutes, settings.access_minutes),
    ]
    for name, unit, maximum, values in checks:
        for value in values:
            message = option_problem(value, maximum=maximum, unit=unit)
            if message:
                raise OptionError(f"{name}: {message}")
