"""The ``chengyu`` command."""

from geo.cli.commands import main

__all__ = ["main"]
