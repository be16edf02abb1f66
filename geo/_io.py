"""Writes that either complete or leave the previous file untouched."""

from __future__ import annotations

import hashlib
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


def cache_file(folder: Path, prefix: str, key_parts: list[str], suffix: str) -> Path:
    """Path of a cache entry whose name changes whenever any of ``key_parts`` does.

    Parameters
    ----------
    folder
        The cache folder.
    prefix
        What is cached (``boundaries``, ``rail-route``…), for people browsing the folder.
    key_parts
        Everything the cached value depends on: versions of the data, inputs.
    suffix
        File suffix, with its dot.
    """
    digest = hashlib.sha1("|".join(key_parts).encode()).hexdigest()[:16]
    return folder / f"{prefix}-{digest}{suffix}"
