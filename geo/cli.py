"""The ``chengyu`` command."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo import settings
from geo._schema import LAYERS
from geo._validate import option_problem
from geo.errors import ChengyuError
from geo.utils import configure_logging

if TYPE_CHECKING:  # the heavy geospatial imports wait for a command that needs them
    import geopandas as gpd
    import pandas as pd

    from geo.build import BuildResult

_console = Console(stderr=True)
# Tables are wide: keep them readable when the output is piped into a file.
_out = Console(width=shutil.get_terminal_size((170, 40)).columns)

_layers_option = click.option(
    "--layers",
    "layers_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the layer sources [default: the project's layers/].",
)


_out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: out/].",
)


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    try:
        yield
    except ChengyuError as error:
        _fail(str(error))
    except OSError as error:  # a read-only folder, a full disk: one line, not a traceback
        _fail(f"{error.filename}: {error.strerror}" if error.filename else str(error))


def _fail(message: str) -> NoReturn:
    _console.print("[bold red]error:[/] " + escape(message), highlight=False, soft_wrap=True)
    sys.exit(1)


def _positive(maximum_setting: str, unit: str) -> Callable[..., tuple[float, ...]]:
    """Return a click callback refusing values not positive, finite and sensible (exit 2)."""

    def check(
        _context: click.Context, parameter: click.Parameter, values: tuple[float, ...]
    ) -> tuple[float, ...]:
        for value in values:
            message = option_problem(value, maximum=getattr(settings, maximum_setting), unit=unit)
            if message:
                raise click.BadParameter(message, param=parameter)
        return values

    return check


@contextmanager
def _progress(steps: tuple[str, ...], label: str) -> Iterator[Progress]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_console, transient=True) as progress:
        progress.add_task(label, total=len(steps))
        yield progress


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log each step.")
def cli(verbose: bool) -> None:
    """Map the transport and logistics corridors of the Chengdu–Chongqing economic circle."""
    configure_logging(level="INFO" if verbose else "WARNING")


def _run_build(
    layers_dir: Path | None,
    out_dir: Path | None,
    *,
    offline: bool = False,
    radii_km: tuple[float, ...] | None = None,
    population: str | gpd.GeoDataFrame | None = None,
    scheduler: str | None = None,
) -> BuildResult:
    from geo.build import BUILD_STEPS
    from geo.build import build as run_build

    with _errors_as_messages(), _progress(BUILD_STEPS, "building") as progress:
        task = progress.task_ids[0]

        def advance(step: str) -> None:
            progress.update(task, advance=1, description=f"built {step}")

        return run_build(
            out_dir=out_dir,
            layers_dir=layers_dir,
            radii_km=radii_km,
            population=population,
            scheduler=scheduler,
            offline_maps=offline,
            on_step=advance,
        )


_offline_option = click.option(
    "--offline",
    is_flag=True,
    help="Write self-contained maps: Leaflet inlined, no tiles, no request leaves the page.",
)


@cli.command()
@_layers_option
@_out_option
@_offline_option
def build(layers_dir: Path | None, out_dir: Path | None, offline: bool) -> None:
    """Validate every layer, measure the routes, write the GeoPackage, GeoParquet, CSV and maps."""
    result = _run_build(layers_dir, out_dir, offline=offline)
    total = sum(result.feature_counts.values())
    _out.print(f"wrote {result.geopackage} ({len(result.feature_counts)} layers, {total} features)")
    _out.print(f"wrote {len(result.parquet)} GeoParquet files to {result.parquet[0].parent}")
    _out.print(f"wrote {result.lengths_csv}")
    for path in result.maps:
        _out.print(f"wrote {path}{' (offline)' if offline else ''}")


@cli.command()
@_layers_option
@_out_option
@_offline_option
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
    from geo._schema import LAYER_NAMES
    from geo.build import build_maps

    steps = (*LAYER_NAMES, "route_lengths", "coverage", "maps")
    with _errors_as_messages(), _progress(steps, "mapping") as progress:
        task = progress.task_ids[0]

        def advance(step: str) -> None:
            progress.update(task, advance=1, description=f"built {step}")

        written = build_maps(
            out_dir=out_dir, layers_dir=layers_dir, offline_maps=offline, on_step=advance
        )
    for path in written:
        _out.print(
            f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB{', offline' if offline else ''})"
        )
    if screenshots:
        from geo.browser import screenshot

        with _errors_as_messages():
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
                _out.print(f"wrote {png}" + (f" ({', '.join(notes)})" if notes else ""))


@cli.command(name="figure")
@click.argument("names", metavar="[MAP]...", nargs=-1)
@_layers_option
@_out_option
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
    from geo.build import analyse
    from geo.figure import select_definitions, write_figures
    from geo.index_page import write_index

    with _errors_as_messages():
        select_definitions(names)
        analysed = analyse(layers_dir=layers_dir)
        paths = write_figures(analysed.layers, names=names, out_dir=out_dir, fmt=fmt, dpi=dpi)
        # The planners' page links the figures and shows them as thumbnails.
        index = write_index(
            layers=analysed.layers,
            lengths=analysed.lengths,
            coverage=analysed.coverage,
            out_dir=out_dir,
        )
    for path in [*paths, index]:
        _out.print(f"wrote {path}")


_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the rows as a JSON list instead of tables."
)


@cli.command()
@_layers_option
@_out_option
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=click.Choice(
        ["section", "line", "line_status", "leg", "service_mode", "service", "expressway"]
    ),
    help="Show only these levels of the table (repeatable) [default: all].",
)
@_json_option
def lengths(
    layers_dir: Path | None, out_dir: Path | None, levels: tuple[str, ...], as_json: bool
) -> None:
    """Geodesic length of every line, leg, service and expressway, by province and mode.

    Builds everything (as ``chengyu build``), prints the table and writes out/lengths.csv and
    the route_lengths layer of the GeoPackage. --json prints one object per row of the table
    (the columns of lengths.csv; a missing figure is null).
    """
    from geo.freight import RAIL_GRAPH_CREDIT

    result = _run_build(layers_dir, out_dir)
    table = result.lengths
    if as_json:
        chosen = table[table["level"].isin(levels)] if levels else table
        _print_json(_plain_rows(chosen))
        return
    for level in levels or tuple(dict.fromkeys(table["level"])):
        rows = table[table["level"] == level]
        _out.print(_length_table(rows, title=_LEVEL_TITLES.get(level, level)))
    _out.print(f"wrote {result.lengths_csv} and the route_lengths layer of {result.geopackage}")
    _out.print(
        "lengths are geodesic (WGS84 ellipsoid); rail lines are schematic station chains; "
        f"rail legs: {RAIL_GRAPH_CREDIT}"
    )


_LEVEL_TITLES = {
    "section": "Rail sections: measured vs official length",
    "line": "Rail lines: measured vs official length",
    "line_status": "Rail lines by status",
    "leg": "Land–Sea Corridor legs (and comparison routes)",
    "service_mode": "Services by mode",
    "service": "Services in total: Land–Sea Corridor vs the Yangtze via Shanghai",
    "expressway": "Expressways",
}


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
        table.add_row(*(_cell(getattr(row, column)) for column in columns), escape(note))
    return table


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    return escape(str(value))


@cli.command(name="coverage")
@_layers_option
@_out_option
@click.option(
    "--radius",
    "radii",
    type=float,
    multiple=True,
    callback=_positive("max_radius_km", "km"),
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
    "(areal weighting), or your own GeoParquet/GeoPackage of weighted points or polygons.",
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

    Builds everything (as ``chengyu build``), prints the summary for 成达万 and 渝昆 and all lines,
    and the counties that gain most; writes out/coverage.csv, out/coverage_by_county.csv and
    the station_coverage and station_catchments layers of the GeoPackage. --json prints the
    summary rows (one object per line, scenario and radius) instead of the tables.
    """
    from geo.coverage import ALL_LINES

    chosen: str | gpd.GeoDataFrame = population
    if population not in ("dasymetric", "areal"):
        from geo.layers import load_layers
        from geo.population import read_population

        with _errors_as_messages():
            admin = load_layers(["admin_areas"], layers_dir=layers_dir)["admin_areas"]
            chosen = read_population(Path(population), admin=admin, weight=weight)
    result = _run_build(
        layers_dir, out_dir, radii_km=radii or None, population=chosen, scheduler=scheduler
    )
    table = result.coverage
    if as_json:
        _print_json(_plain_rows(table))
        return
    shown = table[table["line_id"].isin(["cdw", "yk", ALL_LINES])]
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
    for (line_id, radius), rows in shown.groupby(["line_id", "radius_km"], sort=False):
        today = rows[rows["scenario"] == "today"].iloc[0]
        after = rows[rows["scenario"] == "after"].iloc[0]
        line_name = _LINE_NAMES.get(str(line_id), str(line_id))
        summary.add_row(
            escape(line_name), f"{radius:g}", str(today["stations"]),
            str(after["stations"]), f"{today['people']:,}", f"{after['people']:,}",
            f"{after['people'] - today['people']:+,}", f"{today['covered_land_km2']:,.0f}",
            f"{after['covered_land_km2']:,.0f}", str(today["counties"]), str(after["counties"]),
        )  # fmt: skip
    _out.print(summary)
    counties = result.station_coverage
    widest = f"{max(radii or settings.coverage_radii_km):g}km"
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
    for row in gains.itertuples():
        after = getattr(row, f"people_after_{widest}")
        headline.add_row(
            escape(str(row.name_zh)), escape(_region(row.prefecture_zh, row.province_zh)),
            f"{row.population_2020:,}", f"{getattr(row, f'people_today_{widest}'):,}", f"{after:,}",
            f"{getattr(row, f'gain_people_{widest}'):+,}", f"{after / row.population_2020:.0%}",
        )  # fmt: skip
    _out.print(headline)
    _out.print(escape(str(counties["method"].iloc[0])))
    _out.print(f"wrote {result.coverage_csv} and the station_coverage layer of {result.geopackage}")


def _region(prefecture: object, province: object) -> str:
    # Chongqing's districts have no prefecture: show the municipality.
    return prefecture if isinstance(prefecture, str) and prefecture else str(province)


_LINE_NAMES = {
    "all": "all lines 全部",
    "cdw": "成达万 Chengdu–Dazhou–Wanzhou",
    "yk": "渝昆 Chongqing–Kunming",
}


class _SpreadCommand(click.Command):
    """A command whose repeatable options also take several values after one flag.

    ``--minutes 60 120`` is read as ``--minutes 60 --minutes 120``: the values that follow a
    flag of ``spread`` up to the next option all belong to it (these commands take no
    positional arguments).
    """

    spread: tuple[str, ...] = ()

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        spread_args: list[str] = []
        current: str | None = None
        for arg in args:
            if arg.startswith("-"):
                current = arg if arg in self.spread else None
                spread_args.append(arg)
            elif current is not None and spread_args[-1] != current:
                spread_args += [current, arg]
            else:
                spread_args.append(arg)
        return super().parse_args(ctx, spread_args)


class _ReachCommand(_SpreadCommand):
    spread = ("--from", "--minutes")


class _TimesCommand(_SpreadCommand):
    spread = ("--to",)


def _print_json(rows: list[dict[str, object]]) -> None:
    # Not through rich: the text must reach stdout byte for byte, with no markup read in it.
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


def _plain_rows(table: pd.DataFrame) -> list[dict[str, object]]:
    """Return the rows of a table as plain JSON values (null for a missing value)."""
    return [
        {str(column): _plain(value) for column, value in row.items()}
        for row in table.to_dict("records")
    ]


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return value


def _number(value: object) -> float | None:
    """Return a float for JSON, ``None`` for a missing value (NaN is not JSON)."""
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return None


@cli.command(name="reach", cls=_ReachCommand)
@_layers_option
@click.option(
    "--from",
    "origins",
    multiple=True,
    default=settings.reach_origins,
    show_default=True,
    help="Origin stations: id, Chinese or English name (several after one flag, or repeated).",
)
@click.option(
    "--minutes",
    type=float,
    multiple=True,
    default=settings.reach_minutes,
    show_default=True,
    callback=_positive("max_minutes", "minutes"),
    help="Travel-time limits in minutes: --minutes 60 120, or the flag repeated.",
)
@_json_option
def reach_command(
    layers_dir: Path | None, origins: tuple[str, ...], minutes: tuple[float, ...], as_json: bool
) -> None:
    """Stations and counties reachable by rail within each time, today and after the new lines.

    Times come from the fastest-service model fitted to published timetables (see chengyu
    times), with transfers between the stations of one city; a county counts as reached when
    one of its stations is. --json prints one object per origin, scenario and time limit.
    """
    from geo.layers import load_layers
    from geo.rail_network import reach_table

    with _errors_as_messages():
        layers = load_layers(["rail_stations", "rail_lines", "admin_areas"], layers_dir=layers_dir)
        table = reach_table(layers, origins=origins, minutes=minutes)
    if as_json:
        _print_json(
            [
                {
                    "origin": row["origin"],
                    "scenario": row["scenario"],
                    "minutes": float(row["minutes"]),
                    "stations": int(row["stations"]),
                    "counties": [
                        {"adcode": adcode, "name_zh": name}
                        for adcode, name in zip(
                            _split(row["county_adcodes"]), _split(row["county_names"]), strict=True
                        )
                    ],
                }
                for row in table.to_dict("records")
            ]
        )
        return
    _reach_tables(layers, table)


def _split(joined: str) -> list[str]:
    return [part for part in str(joined).split("、") if part]


def _reach_tables(layers: dict[str, gpd.GeoDataFrame], table: pd.DataFrame) -> None:
    from geo.population import for_access
    from geo.rail_network import TimeModel
    from geo.road_access import ROAD_GRAPH_CREDIT, drive_areas

    headline = Table(
        title="Reach by rail: counties with a station within the time", title_justify="left"
    )
    for column in (
        "from",
        "minutes",
        "stations today",
        "stations after",
        "counties today",
        "counties after",
        "gained",
    ):
        headline.add_column(column, justify="left" if column == "from" else "right")
    for (origin, limit), rows in table.groupby(["origin", "minutes"], sort=False):
        today = rows[rows["scenario"] == "today"].iloc[0]
        after = rows[rows["scenario"] == "after"].iloc[0]
        gained = sorted(set(_split(after["county_names"])) - set(_split(today["county_names"])))
        headline.add_row(
            escape(str(origin)), f"{limit:g}", str(today["stations"]), str(after["stations"]),
            str(today["counties"]), str(after["counties"]), escape("、".join(gained)),
        )  # fmt: skip
    _out.print(headline)
    _out.print(escape(TimeModel.from_settings().describe()))
    with _errors_as_messages():
        access = drive_areas(layers["rail_stations"], population=for_access(layers["admin_areas"]))
    drive = Table(
        title="Station access by road: people within the drive time", title_justify="left"
    )
    for column in ("minutes", "scenario", "stations", "area km²", "people"):
        drive.add_column(column, justify="right")
    for row in access.itertuples():
        drive.add_row(
            f"{row.minutes:g}", str(row.scenario), str(row.stations), f"{row.area_km2:,.0f}",
            f"{row.people:,}",
        )  # fmt: skip
    _out.print(drive)
    _out.print(escape(f"{access['method'].iloc[0]}; {ROAD_GRAPH_CREDIT}"))


@cli.command(name="times", cls=_TimesCommand)
@_layers_option
@click.option(
    "--from", "origin", required=True, help="Station the journeys start from: id or name."
)
@click.option(
    "--to",
    "destinations",
    multiple=True,
    required=True,
    help="Destination stations: --to 沙坪坝 万州北, or the flag repeated.",
)
@_json_option
def times_command(
    layers_dir: Path | None, origin: str, destinations: tuple[str, ...], as_json: bool
) -> None:
    """Rail journey times: modelled fastest and all-stops minutes, today and after the new lines.

    The model (running time at the section speed x a factor, one start/stop allowance, a charge
    per intermediate stop) is fitted to the published fastest times of layers/rail_times.csv,
    shown where the pair is known. --json prints one object per destination and scenario.
    """
    from geo.layers import load_layers
    from geo.rail_network import TimeModel, travel_times

    with _errors_as_messages():
        layers = load_layers(["rail_stations", "rail_lines", "rail_times"], layers_dir=layers_dir)
        table = travel_times(layers, origin=origin, destinations=destinations)
    if as_json:
        _print_json(
            [
                {
                    "from": row["from"],
                    "to": row["to"],
                    "scenario": row["scenario"],
                    "minutes": _number(row["minutes"]),
                    "all_stops_minutes": _number(row["all_stops_minutes"]),
                    "published_minutes": _number(row["published_minutes"]),
                    "published_source": row["published_source"] or None,
                    "route": row["route"].split("–") if row["route"] else [],
                }
                for row in table.to_dict("records")
            ]
        )
        return
    shown = Table(title="Rail journey times (minutes)", title_justify="left")
    for column in ("from", "to", "scenario", "fastest", "all stops", "published", "route"):
        numeric = column in ("fastest", "all stops", "published")
        shown.add_column(column, justify="right" if numeric else "left")
    for row in table.to_dict("records"):
        shown.add_row(
            escape(row["from"]), escape(row["to"]), row["scenario"], _cell(row["minutes"]),
            _cell(row["all_stops_minutes"]), _cell(row["published_minutes"]),
            escape(row["route"] or "not on this network"),
        )  # fmt: skip
    _out.print(shown)
    sources = sorted({row for row in table["published_source"] if row})
    for source in sources:
        _out.print(escape(f"published: {source}"))
    _out.print(escape(TimeModel.from_settings().describe()))


@cli.command(name="osm")
@_out_option
@click.option(
    "--source",
    required=True,
    help="A local OpenStreetMap file (.osm, .osm.bz2) or 'overpass' (needs the internet).",
)
def osm_command(out_dir: Path | None, source: str) -> None:
    """Refresh the OpenStreetMap rail graph the build draws rail sections along.

    The graph is cached in out/cache (the cache of the --out a build uses); the next build
    redraws each section along the track where its stations snap to it, and says which
    sections are on the track.
    """
    from geo._io import cache_for
    from geo.osm_track import refresh

    with _errors_as_messages():
        path = refresh(source, cache_dir=cache_for(Path(out_dir or settings.out_dir)))
    _out.print(
        f"cached the rail graph from {escape(source)} in {path}; run chengyu build to use it"
    )


@cli.command(name="scenario")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_layers_option
@_out_option
@_offline_option
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def scenario_command(
    files: tuple[Path, ...],
    layers_dir: Path | None,
    out_dir: Path | None,
    offline: bool,
    as_json: bool,
) -> None:
    """Compare proposals (FILE.toml …) with the network they add to, side by side.

    Prints people and area within each radius, counties newly served, reach from the default
    origins, lengths of the new lines by province and the stations gained; writes
    out/scenarios/<name>/ (GeoPackage, differences.csv, map.html) for each proposal.
    """
    import json

    from geo.scenario import comparison_table, run_scenarios

    with _errors_as_messages():
        results = run_scenarios(files, layers_dir=layers_dir, out_dir=out_dir, offline=offline)
    if as_json:
        data = [result.to_dict() for result in results]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2))
        return
    frame = comparison_table(results)
    table = Table(
        title=" | ".join(escape(result.proposal.title) for result in results),
        title_justify="left",
    )
    for column in frame.columns:
        table.add_column(
            escape(str(column)), justify="left" if column in ("measure", "key") else "right"
        )
    for row in frame.itertuples(index=False):
        table.add_row(
            *(_signed(name, value) for name, value in zip(frame.columns, row, strict=True))
        )
    _out.print(table)
    for result in results:
        details = [escape(f"{result.proposal.name}: {line}") for line in result.details()]
        for line in details:
            _out.print(line)
        _out.print(escape(f"wrote {', '.join(str(path) for path in result.outputs)}"))


def _signed(column: str, value: object) -> str:
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    text = f"{int(value):,}" if whole and isinstance(value, int | float) else _cell(value)
    if column.endswith(" change") and text and not text.startswith("-"):
        return f"+{text}"
    return text


def _load_with_progress(layers_dir: Path | None, label: str) -> dict[str, gpd.GeoDataFrame]:
    from geo.layers import load_layers

    with _errors_as_messages(), _progress(tuple(s.name for s in LAYERS), label) as progress:
        task = progress.task_ids[0]
        return load_layers(layers_dir=layers_dir, on_layer=lambda _: progress.advance(task))


@cli.command(name="layers")
@_layers_option
def layers_command(layers_dir: Path | None) -> None:
    """List the layers: geometry, feature count, source file and title."""
    frames = _load_with_progress(layers_dir, "loading")
    table = Table(title=f"chengyu layers in {layers_dir or settings.layers_dir}")
    for column in ("layer", "geometry", "features", "source", "title"):
        table.add_column(column, justify="right" if column == "features" else "left")
    for spec in LAYERS:
        table.add_row(
            spec.name, spec.geometry, str(len(frames[spec.name])), spec.file_name, spec.title
        )
    _out.print(table)


@cli.command()
@_layers_option
@click.option(
    "--stale",
    "stale_months",
    type=click.IntRange(min=0),
    default=None,
    metavar="MONTHS",
    help="Also list statuses known only as of more than MONTHS months ago, most important first.",
)
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, hidden=True)
def validate(layers_dir: Path | None, stale_months: int | None, today: dt.datetime | None) -> None:
    """Check every layer source: fields, vocabularies, ids, geometry and positions.

    Warns (always) about features still under construction after their planned opening.
    """
    from geo._checks import layer_warnings
    from geo._stale import stale_facts

    frames = _load_with_progress(layers_dir, "validating")
    total = sum(len(frame) for frame in frames.values())
    positions = len(layer_warnings(frames))  # each is logged as one line on stderr
    _out.print(f"valid: {len(frames)} layers, {total} features, {positions} position warning(s)")
    warnings = stale_facts(frames, months=stale_months, today=today.date() if today else None)
    for warning in warnings:
        _out.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if stale_months is not None:
        _out.print(f"{len(warnings)} fact(s) to re-check (--stale {stale_months})")


def main() -> None:
    """Entry point of the ``chengyu`` console script."""
    cli()
