"""Writes that either complete or leave the previous file untouched."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# SQLite side files a GeoPackage may leave next to a half-written temporary file.
_SIDE_SUFFIXES = ("-journal", "-wal", "-shm")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any error (or interruption) the temporary file is removed and ``target`` is left as it was.

    Parameters
    ----------
    target
        The file to create or replace.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()  # writers such as GDAL refuse to open an existing empty file
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        for path in (temporary, *(Path(f"{temporary}{suffix}") for suffix in _SIDE_SUFFIXES)):
            path.unlink(missing_ok=True)
