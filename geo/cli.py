"""The ``chengyu`` command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo import settings
from geo._schema import LAYERS
from geo.errors import ChengyuError
from geo.utils import configure_logging

_console = Console(stderr=True)
_out = Console()

_layers_option = click.option(
    "--layers",
    "layers_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the layer sources [default: the project's layers/].",
)


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    try:
        yield
    except ChengyuError as error:
        _console.print(f"[bold red]error:[/] {error}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(1)


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


@cli.command()
@_layers_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: out/].",
)
def build(layers_dir: Path | None, out_dir: Path | None) -> None:
    """Validate every layer and write the GeoPackage and GeoParquet files."""
    from geo.build import BUILD_STEPS
    from geo.build import build as run_build

    with _errors_as_messages(), _progress(BUILD_STEPS, "building") as progress:
        task = progress.task_ids[0]

        def advance(step: str) -> None:
            progress.update(task, advance=1, description=f"built {step}")

        result = run_build(out_dir=out_dir, layers_dir=layers_dir, on_step=advance)
    total = sum(result.feature_counts.values())
    _out.print(f"wrote {result.geopackage} ({len(result.feature_counts)} layers, {total} features)")
    _out.print(f"wrote {len(result.parquet)} GeoParquet files to {result.parquet[0].parent}")


@cli.command(name="layers")
@_layers_option
def layers_command(layers_dir: Path | None) -> None:
    """List the layers: geometry, feature count, source file and title."""
    from geo.layers import load_layers

    with (
        _errors_as_messages(),
        _progress(tuple(spec.name for spec in LAYERS), "loading") as progress,
    ):
        task = progress.task_ids[0]
        frames = load_layers(layers_dir=layers_dir, on_layer=lambda _: progress.advance(task))
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
def validate(layers_dir: Path | None) -> None:
    """Check every layer source: fields, vocabularies, ids, geometry and positions."""
    from geo.layers import load_layers

    with (
        _errors_as_messages(),
        _progress(tuple(spec.name for spec in LAYERS), "validating") as progress,
    ):
        task = progress.task_ids[0]
        frames = load_layers(layers_dir=layers_dir, on_layer=lambda _: progress.advance(task))
    total = sum(len(frame) for frame in frames.values())
    _out.print(f"valid: {len(frames)} layers, {total} features")


def main() -> None:
    """Entry point of the ``chengyu`` console script."""
    cli()
