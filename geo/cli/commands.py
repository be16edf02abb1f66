"""The ``chengyu`` command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from geo import settings
from geo.cli._common import (
    OnceGroup,
    cell_text,
    errors_as_messages,
    json_option,
    layers_option,
    offline_option,
    out_option,
    output_folders,
    plain_rows,
    print_json_rows,
    progress_bar,
    stdout_console,
)
from geo.cli.rail import reach_command, times_command
from geo.cli.sources import layers_command, osm_command, scenario_command, validate
from geo.utils import configure_logging


@click.group(cls=OnceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log each step.")
def cli(verbose: bool) -> None:
    """Map the transport and logistics corridors of the Chengdu–Chongqing economic circle."""
    configure_logging(level="INFO" if verbose else "WARNING")


def _write(
    outputs: tuple[str, ...],
    *,
    layers_dir: Path | None,
    out_dir: Path | None,
    offline: bool = False,
    radii_km: tuple[float, ...] | None = None,
    population: str | gpd.GeoDataFrame | PopulationFile | None = None,
    scheduler: str | None = None,
) -> tuple[Analysis, dict[str, list[Path]]]:
    """Write ``outputs`` (from the cached analysis when it can) with a progress bar."""
    from geo.outputs.build import steps_for, write_outputs

    out, cache = output_folders(out_dir)
    with errors_as_messages(), progress_bar(steps_for(outputs), "building") as progress:
        task = progress.task_ids[0]

        def advance(step: str) -> None:
            progress.update(task, advance=1, description=f"built {step}")

        return write_outputs(
            outputs,
            out_dir=out,
            cache_dir=cache,
            layers_dir=layers_dir,
            radii_km=radii_km,
            population=population,
            scheduler=scheduler,
            offline_maps=offline,
            on_step=advance,
        )


@cli.command()
@layers_option
@out_option
@offline_option
def build(layers_dir: Path | None, out_dir: Path | None, offline: bool) -> None:
    """Validate every layer, measure the routes, write the GeoPackage, GeoParquet, CSV and maps."""
    from geo.outputs.build import BUILD_OUTPUTS

    analysed, written = _write(
        BUILD_OUTPUTS, layers_dir=layers_dir, out_dir=out_dir, offline=offline
    )
    total = sum(len(frame) for frame in analysed.layers.values())
    geopackage = written[settings.geopackage_name][0]
    stdout_console.print(f"wrote {geopackage} ({len(analysed.layers)} layers, {total} features)")
    parquet = written["parquet"]
    stdout_console.print(f"wrote {len(parquet)} GeoParquet files to {parquet[0].parent}")
    for name in ("lengths.csv", "coverage.csv", "coverage_by_county.csv", "rail_times.csv"):
        stdout_console.print(f"wrote {written[name][0]}")
    for path in [*written["maps"], *written["index.html"]]:
        stdout_console.print(f"wrote {path}{' (offline)' if offline else ''}")


@cli.command()
@layers_option
@out_option
@offline_option
@click.option(
    "--screenshots",
    is_flag=True,
    help="Also open each map in headless Chromium and save a screenshot to out/screenshots/.",
)
def maps(layers_dir: Path | None, out_dir: Path | None, offline: bool, screenshots: bool) -> None:
    """Write the interactive maps of maps/*.toml to out/maps/, and nothing else.

    The layers come from the analysis the last build cached when the sources, settings and
    code are unchanged; otherwise they are computed (and cached) first.
    """
    written = _write(("maps",), layers_dir=layers_dir, out_dir=out_dir, offline=offline)[1]["maps"]
    for path in written:
        stdout_console.print(
            f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB{', offline' if offline else ''})"
        )
    if screenshots:
        from geo.outputs.browser import screenshot, shared_browser

        with errors_as_messages(), shared_browser():
            for path in written:
                png = path.parent.parent / "screenshots" / f"{path.stem}.png"
                report = screenshot(path, png)
                # The browser has no network: tile requests are blocked and logged as
                # failed loads; only script errors mean the page itself is broken.
                notes = []
                if report.page_errors:
                    notes.append(f"[red]{len(report.page_errors)} script error(s)[/]")
                if report.blocked_requests:
                    notes.append(f"{len(report.blocked_requests)} tile request(s) blocked")
                stdout_console.print(f"wrote {png}" + (f" ({', '.join(notes)})" if notes else ""))


@cli.command(name="figure")
@click.argument("names", metavar="[MAP]...", nargs=-1)
@layers_option
@out_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["png", "pdf", "svg"]),
    default="png",
    show_default=True,
    help="File format.",
)
@click.option("--dpi", type=click.IntRange(20, 1200), default=None, help="PNG resolution [200].")
def figure_command(
    names: tuple[str, ...], layers_dir: Path | None, out_dir: Path | None, fmt: str, dpi: int | None
) -> None:
    """Draw maps of maps/*.toml (default: all) as A4 figures in out/figures/<map>.<format>.

    Also rewrites out/index.html, which shows the figures as the maps' thumbnails.
    """
    from geo.outputs.build import build_figures

    out, cache = output_folders(out_dir)
    with errors_as_messages():
        # The planners' page links the figures and shows them as thumbnails: written with them.
        paths, index = build_figures(
            names, out_dir=out, layers_dir=layers_dir, fmt=fmt, dpi=dpi, cache_dir=cache
        )
    for path in [*paths, index]:
        stdout_console.print(f"wrote {path}")


class _LevelChoice(click.Choice[str]):
    """The levels of ``geo.analysis.measure.LEVELS``, read when a command first needs them.

    Not at start-up: ``measure`` loads geopandas, which would slow ``chengyu --help`` by
    seconds.
    """

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from geo.analysis.measure import LEVELS

        return tuple(LEVELS)

    @choices.setter
    def choices(self, _value: object) -> None:
        """Keep the levels of ``LEVELS``: ``click.Choice`` sets its choices once, at start."""


@cli.command()
@layers_option
@out_option
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=_LevelChoice(),
    help="Show only these levels of the table (repeatable) [default: all].",
)
@json_option
def lengths(
    layers_dir: Path | None, out_dir: Path | None, levels: tuple[str, ...], as_json: bool
) -> None:
    """Geodesic length of every line, leg, service and expressway, by province and mode.

    Prints the table and writes out/lengths.csv, and nothing else; the analysis comes from the
    cache a build left when the sources, settings and code are unchanged. --json prints one
    object per row of the table (the columns of lengths.csv; a missing figure is null).
    """
    from geo.analysis.measure import LEVELS
    from geo.networks.freight import RAIL_GRAPH_CREDIT

    analysed, written = _write(("lengths.csv",), layers_dir=layers_dir, out_dir=out_dir)
    table = analysed.lengths
    if as_json:
        chosen = table[table["level"].isin(levels)] if levels else table
        print_json_rows(plain_rows(chosen))
        return
    for level in levels or tuple(dict.fromkeys(table["level"])):
        rows = table[table["level"] == level]
        stdout_console.print(_length_table(rows, title=LEVELS[level].title))
    stdout_console.print(f"wrote {written['lengths.csv'][0]}")
    stdout_console.print(
        "lengths are geodesic (WGS84 ellipsoid); rail sections follow the railway graph (or a "
        "cached OSM track) where it has the line, elsewhere straight station chains (see "
        f"geometry_source); rail legs and tracks: {RAIL_GRAPH_CREDIT}"
    )


def _length_table(rows: pd.DataFrame, *, title: str) -> Table:
    remarks = list(dict.fromkeys(remark for remark in rows["remark"] if remark))
    caption = "\n".join(f"[{number}] {remark}" for number, remark in enumerate(remarks, 1))
    table = Table(
        title=title, title_justify="left", caption=caption or None, caption_justify="left"
    )
    columns = ["id", "mode", "status", "sichuan_km", "chongqing_km", "other_km", "total_km",
               "official_km", "diff_km", "diff_pct", "geometry_source"]  # fmt: skip
    for column in [*columns, "note"]:
        numeric = column.endswith(("_km", "_pct"))
        table.add_column(column.removesuffix("_km"), justify="right" if numeric else "left")
    for row in rows.itertuples():
        note = f"[{remarks.index(row.remark) + 1}]" if row.remark else ""
        table.add_row(*(cell_text(getattr(row, column)) for column in columns), escape(note))
    return table


@cli.command(name="coverage")
@layers_option
@out_option
@click.option(
    "--radius",
    "radii",
    type=float,
    multiple=True,
    help="Catchment radius in km (repeatable) [default: 5, 10, 30 — conventions, not times].",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Counties in the gain table.",
)
@click.option(
    "--population",
    "population",
    default="dasymetric",
    show_default=True,
    metavar="dasymetric|areal|FILE",
    help="How people are placed: the population surface, the county figures spread evenly "
    "(areal weighting), your own GeoParquet/GeoPackage of weighted points or polygons, or a "
    "population raster (GeoTIFF, e.g. WorldPop or GHS-POP: people per cell in band 1).",
)
@click.option(
    "--weight",
    default="population",
    show_default=True,
    help="Column of the people in a --population FILE.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS|local",
    help="Count people on a Dask cluster: a scheduler's address, or 'local' for a LocalCluster.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary rows as JSON.")
def coverage_command(
    layers_dir: Path | None,
    out_dir: Path | None,
    radii: tuple[float, ...],
    top: int,
    population: str,
    weight: str,
    scheduler: str | None,
    as_json: bool,
) -> None:
    """Area, counties and people within reach of the stations, today and after the new lines.

    Prints the summary for all lines and for each line with stations still to open, and the
    counties that gain most;
    writes out/coverage.csv and out/coverage_by_county.csv, and nothing else (the GeoPackage
    and the maps keep the build's defaults). The analysis comes from the cache when the
    sources, options and code are unchanged. --json prints the summary rows (one object per
    line, scenario and radius) instead of the tables.
    """
    from geo.analysis.coverage import ALL_LINES
    from geo.analysis.stage import coverage_radii

    chosen: str | PopulationFile = population
    if population not in ("dasymetric", "areal"):
        from geo.analysis._population_file import open_population

        # Only the file's metadata here: it is read partition by partition where it is counted.
        with errors_as_messages():
            chosen = open_population(Path(population), weight=weight)
    analysed, written = _write(
        ("coverage.csv", "coverage_by_county.csv"),
        layers_dir=layers_dir,
        out_dir=out_dir,
        radii_km=radii or None,
        population=chosen,
        scheduler=scheduler,
    )
    table = analysed.coverage
    if as_json:
        print_json_rows(plain_rows(table))
        return
    shown = table[table["line_id"].isin([ALL_LINES, *_lines_that_change(table)])]
    summary = Table(
        title=f"Within reach of a station: today and after the lines open ({escape(population)})",
        title_justify="left",
    )
    for column in (
        "line",
        "radius km",
        "stations today",
        "stations after",
        "people today",
        "people after",
        "gain",
        "km² today",
        "km² after",
        "counties today",
        "counties after",
    ):
        summary.add_column(column, justify="left" if column == "line" else "right")  # fmt: skip
    for (_, radius), rows in shown.groupby(["line_id", "radius_km"], sort=False):
        today = rows[rows["scenario"] == "today"].iloc[0]
        after = rows[rows["scenario"] == "after"].iloc[0]
        summary.add_row(
            escape(f"{today['line_name_zh']} {today['line_name_en']}"), f"{radius:g}",
            str(today["stations"]), str(after["stations"]), f"{today['people']:,}",
            f"{after['people']:,}",
            f"{after['people'] - today['people']:+,}", f"{today['covered_land_km2']:,.0f}",
            f"{after['covered_land_km2']:,.0f}", str(today["counties"]), str(after["counties"]),
        )  # fmt: skip
    stdout_console.print(summary)
    counties = analysed.layers["station_coverage"]
    widest = f"{max(coverage_radii(radii)):g}km"
    gains = counties.sort_values(f"gain_people_{widest}", ascending=False).head(top)
    headline = Table(
        title=f"Counties that gain most within {widest} (all lines)", title_justify="left"
    )
    for column in (
        "county",
        "prefecture",
        "population 2020",
        "people today",
        "people after",
        "gain",
        "share after",
    ):
        headline.add_column(
            column, justify="left" if column in ("county", "prefecture") else "right"
        )
    # By column name: ``people_after_2.5km`` is no attribute name (itertuples renames it).
    for _, row in gains.iterrows():
        after = row[f"people_after_{widest}"]
        headline.add_row(
            escape(f"{row['name_zh']} {row['name_en']}"),
            escape(_region(row["prefecture_zh"], row["prefecture_en"], row["province_zh"],
                           row["province_en"])),
            f"{row['population_2020']:,}", f"{row[f'people_today_{widest}']:,}", f"{after:,}",
            f"{row[f'gain_people_{widest}']:+,}", f"{after / row['population_2020']:.0%}",
        )  # fmt: skip
    stdout_console.print(headline)
    stdout_console.print(escape(str(counties["method"].iloc[0])))
    stdout_console.print(
        f"wrote {written['coverage.csv'][0]} and {written['coverage_by_county.csv'][0]}"
    )


def _lines_that_change(table: pd.DataFrame) -> list[str]:
    """Return the lines (and "all lines") with stations that open between today and after."""
    stations = table.pivot_table(
        index="line_id", columns="scenario", values="stations", aggfunc="max", sort=False
    )
    changing = stations[stations["after"] != stations["today"]].index
    return [str(line_id) for line_id in changing]


def _region(
    prefecture_zh: object, prefecture_en: object, province_zh: object, province_en: object
) -> str:
    # Chongqing's districts have no prefecture: show the municipality.
    if isinstance(prefecture_zh, str) and prefecture_zh:
        return f"{prefecture_zh} {prefecture_en}"
    return f"{province_zh} {province_en}"


# The commands of their own modules (rail; layer sources and proposals).
for _command in (
    reach_command,
    times_command,
    osm_command,
    scenario_command,
    layers_command,
    validate,
):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``chengyu`` console script."""
    cli()


if TYPE_CHECKING:  # the heavy geospatial imports wait for a command that needs them
    import geopandas as gpd
    import pandas as pd

    from geo.analysis._population_file import PopulationFile
    from geo.analysis.stage import Analysis
