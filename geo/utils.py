"""Logging shared by every module, and the package's version."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from geo import settings

try:
    #: The installed distribution's version (``geo.__version__``; written into the outputs).
    PACKAGE_VERSION = version("chengyu-corridors")
except PackageNotFoundError:  # running from a source tree that is not installed
    PACKAGE_VERSION = "0.0.0"

_LOGGER_NAME = "chengyu"


def log(message: str, *, level: int = logging.INFO) -> None:
    """Write one line to the package's logger.

    Parameters
    ----------
    message
        What was done, with the figures that matter.
    level
        A ``logging`` level.
    """
    logger = logging.getLogger(_LOGGER_NAME)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.log(level, message)


def configure_logging(*, level: str | int | None = None) -> None:
    """Send the package's log lines to stderr at ``level`` (default ``settings.log_level``)."""
    logger = logging.getLogger(_LOGGER_NAME)
    logger.setLevel(level if level is not None else settings.log_level)
    if not any(isinstance(handler, logging.StreamHandler) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
