"""The ``chengyu`` commands on the layer sources: layers, validate, osm and scenario proposals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from geo import settings
from geo.cli._common import (
    cell_text,
    errors_as_messages,
    layers_option,
    offline_option,
    out_option,
    output_folders,
    progress_bar,
    stdout_console,
)
from geo.sources._schema import LAYERS

if TYPE_CHECKING:  # the heavy geospatial imports wait for a command that needs them
    import geopandas as gpd


@click.command(name="osm")
@out_option
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
    from geo.networks.osm_track import refresh

    _, cache = output_folders(out_dir)
    with errors_as_messages():
        path = refresh(source, cache_dir=cache)
    stdout_console.print(
        f"cached the rail graph from {escape(source)} in {path}; run chengyu build to use it"
    )


@click.command(name="scenario")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@layers_option
@out_option
@offline_option
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
    out/scenarios/<name>/ (GeoPackage, differences.csv, map.html, index.html) for each proposal
    and out/scenarios/index.html, the proposals side by side (linked from out/index.html).
    """
    from geo.scenario.compare import comparison_table, run_scenarios

    out, cache = output_folders(out_dir)
    with errors_as_messages():
        results = run_scenarios(
            files, layers_dir=layers_dir, out_dir=out, offline=offline, cache_dir=cache
        )
        index = _refresh_index(layers_dir, out, cache)
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
    stdout_console.print(table)
    for result in results:
        details = [escape(f"{result.proposal.name}: {line}") for line in result.details()]
        for line in details:
            stdout_console.print(line)
        stdout_console.print(escape(f"wrote {', '.join(str(path) for path in result.outputs)}"))
    if index is not None:
        stdout_console.print(escape(f"wrote {index}"))


def _refresh_index(layers_dir: Path | None, out: Path, cache: Path) -> Path | None:
    """Rewrite ``out/index.html``, if a build wrote one, so that it links the proposals.

    From the cached analysis (computed again only when its inputs changed); under the output
    folder's lock, as a build writes it, and atomically.
    """
    from geo._io import output_lock
    from geo.analysis.stage import analyse
    from geo.outputs.index_page import INDEX_NAME, write_index

    with output_lock(out):
        if not (out / INDEX_NAME).is_file():
            return None
        analysed = analyse(layers_dir=layers_dir, cache_dir=cache)
        return write_index(
            layers=analysed.layers,
            lengths=analysed.lengths,
            coverage=analysed.coverage,
            out_dir=out,
        )


def _signed(column: str, value: object) -> str:
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    text = f"{int(value):,}" if whole and isinstance(value, int | float) else cell_text(value)
    if column.endswith(" change") and text and not text.startswith("-"):
        return f"+{text}"
    return text


def _load_with_progress(layers_dir: Path | None, label: str) -> dict[str, gpd.GeoDataFrame]:
    from geo.sources.layers import load_layers

    with errors_as_messages(), progress_bar(tuple(s.name for s in LAYERS), label) as progress:
        task = progress.task_ids[0]
        return load_layers(layers_dir=layers_dir, on_layer=lambda _: progress.advance(task))


@click.command(name="layers")
@layers_option
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
    stdout_console.print(table)


@click.command()
@layers_option
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
    from geo.networks.track_graph import layer_warnings
    from geo.sources.stale import stale_facts

    frames = _load_with_progress(layers_dir, "validating")
    total = sum(len(frame) for frame in frames.values())
    positions = len(layer_warnings(frames))  # each is logged as one line on stderr
    stdout_console.print(
        f"valid: {len(frames)} layers, {total} features, {positions} position warning(s)"
    )
    warnings = stale_facts(frames, months=stale_months, today=today.date() if today else None)
    for warning in warnings:
        stdout_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if stale_months is not None:
        stdout_console.print(f"{len(warnings)} fact(s) to re-check (--stale {stale_months})")
