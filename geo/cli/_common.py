"""What the ``chengyu`` commands share: consoles, options, error messages, progress, JSON rows."""

from __future__ import annotations

import errno
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

from geo import settings
from geo._io import cache_for
from geo.errors import ChengyuError, OptionError
from geo.sources._validate import option_problem

if TYPE_CHECKING:  # the heavy geospatial imports wait for a command that needs them
    import pandas as pd


_console = Console(stderr=True)
# Tables are wide: keep them readable when the output is piped into a file.
stdout_console = Console(width=shutil.get_terminal_size((170, 40)).columns)

layers_option = click.option(
    "--layers",
    "layers_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the layer sources [default: the project's layers/].",
)


out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: out/].",
)


def output_folders(out_dir: Path | None) -> tuple[Path, Path]:
    """Return the output folder of ``--out`` and its cache folder, resolved once per command.

    Passed down to the library as ``out_dir`` and ``cache_dir``: nothing is written into
    ``settings``.
    """
    out = Path(out_dir or settings.out_dir)
    return out, cache_for(out)


class OnceGroup(click.Group):
    """A group whose commands refuse an option of one value given twice.

    click keeps the last silently: ``times --from 成都东 --from 重庆北`` timed from 重庆北 and
    ``coverage --population a.parquet --population b.parquet`` counted b alone.
    """

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and (repeated := _repeated_option(command, rest)):
            raise click.UsageError(f"{repeated} is given more than once: give it once", ctx=ctx)
        return name, command, rest


def _repeated_option(command: click.Command, args: list[str]) -> str | None:
    """Return the first option of ``args`` that takes one value and comes twice, if any."""
    single = {
        flag: parameter.name
        for parameter in command.params
        if isinstance(parameter, click.Option) and not parameter.multiple and not parameter.is_flag
        for flag in (*parameter.opts, *parameter.secondary_opts)
    }
    seen: set[str | None] = set()
    for arg in args:
        if arg == "--":  # what follows is arguments, not options
            break
        flag = arg.split("=", 1)[0]
        if flag in single:
            if single[flag] in seen:
                return flag
            seen.add(single[flag])
    return None


@contextmanager
def errors_as_messages() -> Iterator[None]:
    try:
        yield
    except OptionError as error:  # checked by the library, once: still a usage error (exit 2)
        raise click.UsageError(str(error)) from None
    except ChengyuError as error:
        _fail(str(error))
    except OSError as error:  # a read-only folder, a full disk: one line, not a traceback
        reason = error.strerror or str(error)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            reason = f"disk full ({reason})"
        _fail(f"{error.filename}: {reason}" if error.filename else reason)


def _fail(message: str) -> NoReturn:
    _console.print("[bold red]error:[/] " + escape(message), highlight=False, soft_wrap=True)
    sys.exit(1)


def positive_values(maximum_setting: str, unit: str) -> Callable[..., tuple[float, ...]]:
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
def progress_bar(steps: tuple[str, ...], label: str) -> Iterator[Progress]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_console, transient=True) as progress:
        progress.add_task(label, total=len(steps))
        yield progress


offline_option = click.option(
    "--offline",
    is_flag=True,
    help="Write self-contained maps: Leaflet inlined, no tiles, no request leaves the page.",
)


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the rows as a JSON list instead of tables."
)


def cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    return escape(str(value))


def print_json_rows(rows: list[dict[str, object]]) -> None:
    # Not through rich: the text must reach stdout byte for byte, with no markup read in it.
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


def plain_rows(table: pd.DataFrame) -> list[dict[str, object]]:
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


def number_or_none(value: object) -> float | None:
    """Return a float for JSON, ``None`` for a missing value (NaN is not JSON)."""
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return None
