"""chengyu-corridors: sourced maps and measures of the Chengdu–Chongqing corridors.

Load the curated layers with ``geo.layers.load_layers``; write every output with
``geo.build.build``; or run the ``chengyu`` command.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chengyu-corridors")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
