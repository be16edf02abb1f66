"""``python -m geo.cli``: the ``chengyu`` command where the script is not on the PATH."""

from geo.cli.commands import main

main()
