"""The rail commands of ``chengyu``: reach and journey times on the passenger rail network."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from geo import settings
from geo.cli._common import (
    cell_text,
    errors_as_messages,
    json_option,
    layers_option,
    number_or_none,
    positive_values,
    print_json_rows,
    stdout_console,
)

if TYPE_CHECKING:  # the heavy geospatial imports wait for a command that needs them
    import geopandas as gpd
    import pandas as pd


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


@click.command(name="reach", cls=_ReachCommand)
@layers_option
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
    callback=positive_values("max_minutes", "minutes"),
    help="Travel-time limits in minutes: --minutes 60 120, or the flag repeated.",
)
@json_option
def reach_command(
    layers_dir: Path | None, origins: tuple[str, ...], minutes: tuple[float, ...], as_json: bool
) -> None:
    """Stations and counties reachable by rail within each time, today and after the new lines.

    Times come from the fastest-service model fitted to published timetables (see chengyu
    times), with transfers between the stations of one city; a county counts as reached when
    one of its stations is. --json prints one object per origin, scenario and time limit.
    """
    from geo.networks.rail_network import rail_graphs, reach_table
    from geo.sources.layers import load_layers

    with errors_as_messages():
        layers = load_layers(["rail_stations", "rail_lines", "admin_areas"], layers_dir=layers_dir)
        # The analysis's graphs, from the cache: not built again on every call.
        graphs = rail_graphs(layers, layers_dir=layers_dir)
        table = reach_table(layers, origins=origins, minutes=minutes, graphs=graphs)
    if as_json:
        print_json_rows(
            [
                {
                    "origin": row["origin"],
                    "scenario": row["scenario"],
                    "minutes": float(row["minutes"]),
                    "stations": int(row["stations"]),
                    "note": row["note"] or None,
                    "counties": [
                        {"adcode": adcode, "name_zh": name, "name_en": name_en}
                        for adcode, name, name_en in zip(
                            _split(row["county_adcodes"]),
                            _split(row["county_names"]),
                            _split(row["county_names_en"]),
                            strict=True,
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


def _named(row: pd.Series) -> list[str]:
    """Name the counties of a reach row in both languages ("万州区 Wanzhou District")."""
    names = zip(_split(row["county_names"]), _split(row["county_names_en"]), strict=True)
    return [f"{zh} {en}" for zh, en in names]


def _reach_tables(layers: dict[str, gpd.GeoDataFrame], table: pd.DataFrame) -> None:
    from geo.analysis.population import for_access
    from geo.analysis.road_access import ROAD_GRAPH_CREDIT, drive_areas
    from geo.networks.rail_network import TimeModel

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
        gained = sorted(set(_named(after)) - set(_named(today)))
        headline.add_row(
            escape(str(origin)), f"{limit:g}", str(today["stations"]), str(after["stations"]),
            str(today["counties"]), str(after["counties"]), escape("; ".join(gained)),
        )  # fmt: skip
    stdout_console.print(headline)
    for row in table[table["note"] != ""].drop_duplicates(["origin", "scenario"]).itertuples():
        stdout_console.print(escape(f"{row.origin}: {row.note}"))
    stdout_console.print(escape(TimeModel.from_settings().describe()))
    with errors_as_messages():
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
    stdout_console.print(drive)
    stdout_console.print(escape(f"{access['method'].iloc[0]}; {ROAD_GRAPH_CREDIT}"))


@click.command(name="times", cls=_TimesCommand)
@layers_option
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
@json_option
def times_command(
    layers_dir: Path | None, origin: str, destinations: tuple[str, ...], as_json: bool
) -> None:
    """Rail journey times: modelled fastest and all-stops minutes, today and after the new lines.

    The model (running time at the section speed x a factor, one start/stop allowance, a charge
    per intermediate stop) is fitted to the published fastest times of layers/rail_times.csv,
    shown where the pair is known. --json prints one object per destination and scenario.
    """
    from geo.networks.rail_network import TimeModel, travel_times
    from geo.sources.layers import load_layers

    with errors_as_messages():
        layers = load_layers(["rail_stations", "rail_lines", "rail_times"], layers_dir=layers_dir)
        table = travel_times(layers, origin=origin, destinations=destinations)
    if as_json:
        print_json_rows(
            [
                {
                    "from": row["from"],
                    "to": row["to"],
                    "scenario": row["scenario"],
                    "minutes": number_or_none(row["minutes"]),
                    "all_stops_minutes": number_or_none(row["all_stops_minutes"]),
                    "published_minutes": number_or_none(row["published_minutes"]),
                    "published_source": row["published_source"] or None,
                    "route": row["route"].split("–") if row["route"] else [],
                    "lines": row["lines"].split(" → ") if row["lines"] else [],
                    "transfers": row["transfers"],
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
            escape(row["from"]), escape(row["to"]), row["scenario"], cell_text(row["minutes"]),
            cell_text(row["all_stops_minutes"]), cell_text(row["published_minutes"]),
            escape(row["route"] or "not on this network"),
        )  # fmt: skip
    stdout_console.print(shown)
    sources = sorted({row for row in table["published_source"] if row})
    for source in sources:
        stdout_console.print(escape(f"published: {source}"))
    stdout_console.print(escape(TimeModel.from_settings().describe()))
