"""Writes that either complete or leave the previous file, or the previous build, untouched."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from geo import settings
from geo.errors import ChengyuError, DamagedCacheError, ExportError
from geo.utils import log

#: File name of the OpenStreetMap rail graph kept in the cache folder by ``chengyu osm``.
OSM_GRAPH_FILE = "osm_rail.graphml"

# SQLite side files a GeoPackage may leave next to a half-written temporary file.
_SIDE_SUFFIXES = ("-journal", "-wal", "-shm")


def make_folder(folder: Path, *, role: str = "the folder", set_by: str = "") -> None:
    """Make ``folder`` and its parents, or say in one line which file stands in the way.

    Parameters
    ----------
    folder
        The folder to make (an existing one is left as it is).
    role
        What the folder is, for the message (``the cache folder``…).
    set_by
        Where its path was given (``CHENGYU_CACHE``), for the message.

    Raises
    ------
    ChengyuError
        If a file stands where the folder or one of its parents should be (``mkdir`` only says
        "File exists" or "Not a directory", naming the folder).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        blocking = next((path for path in (folder, *folder.parents) if path.is_file()), folder)
        given = f" ({set_by})" if set_by else ""
        raise ChengyuError(
            f"{role} {folder}{given} cannot be made: {blocking} is a file, not a folder"
        ) from error


def _make_cache_folder(folder: Path) -> None:
    set_by = "CHENGYU_CACHE" if settings.cache_dir is not None else ""
    make_folder(folder, role="the cache folder", set_by=set_by)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any error (or interruption) the temporary file is removed and ``target`` is left as it was.

    Parameters
    ----------
    target
        The file to create or replace.
    """
    make_folder(target.parent)
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


#: Free bytes under which a failed write is put down to a full disk: GDAL and SQLite often say
#: only "Failed to commit transaction".
_NEARLY_FULL_BYTES = 16 * 2**20


def disk_full(error: BaseException, folder: Path) -> bool:
    """Whether ``error``, raised writing into ``folder``, comes from a full disk (or quota).

    Parameters
    ----------
    error
        What the write raised: an ``OSError`` with ``ENOSPC`` or ``EDQUOT``, a library's error
        saying so, or any error while the folder's file system has almost no space left.
    folder
        Where the write went.
    """
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error).lower()
    if any(words in text for words in ("no space left", "disk is full", "disk full")):
        return True
    try:
        return shutil.disk_usage(_existing(folder)).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def _existing(folder: Path) -> Path:
    """``folder``, or its nearest existing parent (a staging folder may be gone by now)."""
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def cache_for(out: Path | None = None) -> Path:
    """Return the cache folder of builds into ``out``: ``settings.cache_dir``, else out/cache.

    The commands resolve it once, from their ``--out``, and pass it down as ``cache_dir``.

    Parameters
    ----------
    out
        The output folder (default ``settings.out_dir``).
    """
    if settings.cache_dir is not None:
        return Path(settings.cache_dir)
    return Path(out or settings.out_dir) / "cache"


#: First bytes of every cache entry; the number changes with the record's layout.
RECORD_FORMAT = b"chengyu-cache/2"
#: Longest header of a cache entry (its first line), in bytes.
_HEADER_MAX = 256


def write_record(path: Path, payload: bytes, *, kind: str, key: str) -> None:
    """Write ``payload`` as a cache entry: a header line with its sha256, size and key, then it.

    The header reads ``chengyu-cache/2 kind=<kind> sha256=<hex> bytes=<size> key=<key>``. The
    entry is written atomically (``atomic_path``) and synced, so a reader sees no entry or a
    whole one; ``read_record`` finds any later damage, and an entry copied or renamed onto
    another key's file name.

    Parameters
    ----------
    path
        The entry (see ``cache_file``).
    payload
        The serialised value.
    kind
        How the payload is serialised (``geoparquet``, ``pickle``…), for people browsing.
    key
        The digest of everything the value depends on (ASCII, no space).
    """
    digest = hashlib.sha256(payload).hexdigest()
    header = (
        f"{RECORD_FORMAT.decode()} kind={kind} sha256={digest} bytes={len(payload)} key={key}\n"
    )
    _make_cache_folder(path.parent)
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        handle.write(header.encode("ascii"))
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def read_record(path: Path, *, key: str) -> bytes:
    """Return the payload of a cache entry written by ``write_record``, checked.

    Parameters
    ----------
    path
        The entry.
    key
        The key it must have been written for: a whole entry of another key (a cache folder
        copied over another, files renamed) would otherwise pass every checksum.

    Raises
    ------
    DamagedCacheError
        If the header is not a cache entry's, was written for another key, or the payload's
        size or sha256 differ from it.
    OSError
        If the entry cannot be read.
    """
    data = path.read_bytes()
    end = data.find(b"\n", 0, _HEADER_MAX)
    fields = data[:end].split(b" ") if end > 0 else []
    if len(fields) != 5 or fields[0] != RECORD_FORMAT:
        raise DamagedCacheError("no cache header")
    try:
        digest = fields[2].removeprefix(b"sha256=").decode("ascii")
        size = int(fields[3].removeprefix(b"bytes="))
        written_for = fields[4].removeprefix(b"key=").decode("ascii")
    except (UnicodeDecodeError, ValueError):
        raise DamagedCacheError("unreadable cache header") from None
    if written_for != key:
        raise DamagedCacheError(
            f"written for the key {written_for[:16]}…, not {key[:16]}… (copied or renamed)"
        )
    payload = data[end + 1 :]
    if len(payload) != size:
        raise DamagedCacheError(f"{len(payload)} bytes where the header says {size}")
    if hashlib.sha256(payload).hexdigest() != digest:
        raise DamagedCacheError("the payload does not match its sha256")
    return payload


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


@contextmanager
def entry_lock(path: Path) -> Iterator[None]:
    """Hold an OS lock on one cache entry while it is computed, so two processes compute it once.

    The lock is ``<entry>.lock`` beside the entry, locked with ``flock``: a second process
    asking for the same entry waits, then reads what the first wrote. The system releases the
    lock when the process ends, even killed.

    Parameters
    ----------
    path
        The entry (see ``cache_file``).
    """
    _make_cache_folder(path.parent)
    with path.with_name(path.name + ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


# A temporary file of ``atomic_path`` (mkstemp adds eight characters), with SQLite's side files.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}(\.[^.]+)?(-journal|-wal|-shm)?$")


@contextmanager
def output_lock(out: Path, *, timeout_s: float | None = None) -> Iterator[None]:
    """Hold an OS lock on ``out`` so that two builds never write into it at once.

    The lock is a file beside ``out`` (``.out.lock``), locked with ``flock``: the system
    releases it when the process ends, even killed, so a stale lock cannot block a build.
    A second build waits, with a warning, up to ``timeout_s`` (default
    ``settings.build_lock_timeout_s``), then fails.

    Raises
    ------
    ExportError
        If the folder beside ``out`` cannot be written or the lock is not released in time.
    """
    limit = settings.build_lock_timeout_s if timeout_s is None else timeout_s
    parent = _parent_of(out)
    lock_path = parent / f".{Path(os.path.abspath(out)).name}.lock"
    try:
        handle = lock_path.open("a")
    except OSError as error:
        raise ExportError(
            f"{out}: cannot write beside it in {parent} ({error.strerror})"
        ) from error
    try:
        deadline = time.monotonic() + limit
        warned = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ExportError(
                        f"{out}: another build is writing to it (lock {lock_path}); "
                        "try again when it is done"
                    ) from None
                if not warned:
                    log(f"another build is writing to {out}; waiting up to {limit:g} s", level=30)
                    warned = True
                time.sleep(0.2)
        yield
    finally:
        handle.close()  # closing the file releases the lock


@contextmanager
def staged_output(out: Path, *, outputs: Iterable[str]) -> Iterator[Path]:
    """Yield an empty staging folder beside ``out``; swap it in for ``out`` on success.

    Readers see either the previous ``out`` or the new one, never a mix: the outputs are
    written into the staging folder, then the two folders are exchanged in one rename
    (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, recovered by the next
    build if interrupted between them). Entries of ``out`` that a build does not write (the
    cache, screenshots) are carried over. On failure the staging folder is removed and ``out``
    stays as it was. Call it while holding ``output_lock(out)``: it first cleans what a killed
    build left behind.

    Parameters
    ----------
    out
        The output folder.
    outputs
        Names of the entries of ``out`` that a build writes.

    Raises
    ------
    ExportError
        If ``out`` cannot be written (read-only, missing parent, disk full); ``out`` is intact.
    """
    produced = set(outputs)
    parent = _parent_of(out)
    out = Path(os.path.abspath(out))
    staging = parent / f".{out.name}.staging"
    previous = parent / f".{out.name}.previous"
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: is a file, not a folder")
    try:
        recover(out, staging=staging, previous=previous, outputs=produced)
        staging.mkdir()
    except OSError as error:
        raise ExportError(
            f"{out}: cannot write beside it in {parent} ({error.strerror})"
        ) from error
    try:
        yield staging
        for entry in list(out.iterdir()) if out.is_dir() else []:
            if entry.name not in produced and not (staging / entry.name).exists():
                _carry(entry, staging / entry.name)
        if out.is_dir() and _exchange(staging, out):
            shutil.rmtree(staging)
        else:
            if out.is_dir():
                out.rename(previous)
            staging.rename(out)
            shutil.rmtree(previous, ignore_errors=True)
    except OSError as error:
        recover(out, staging=staging, previous=previous, outputs=produced)
        where = error.filename or out
        reason = f"disk full ({error.strerror})" if disk_full(error, parent) else error.strerror
        raise ExportError(f"{where}: {reason}; {out} is left as it was") from error
    except BaseException:
        recover(out, staging=staging, previous=previous, outputs=produced)
        raise
    log(f"swapped the new build into {out}")


def _carry(entry: Path, target: Path) -> None:
    """Carry an entry a build does not write into the staging folder, as hard links.

    Linked, not moved: until the exchange, ``out`` still holds it, so a build killed between
    the carrying and the swap leaves the previous folder whole (a planner's own files too).
    """
    if entry.is_dir() and not entry.is_symlink():
        shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(entry), str(target))


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link ``source`` to ``target``, copying where the file system cannot link."""
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def recover(out: Path, *, staging: Path, previous: Path, outputs: set[str]) -> None:
    """Undo what an interrupted build left beside and inside ``out``.

    Puts the previous build back if it was moved aside but not replaced, returns carried-over
    entries (cache, screenshots) to ``out``, removes the staging folder, and deletes
    temporary files of ``atomic_path`` inside ``out``.
    """
    if previous.is_dir():
        if not out.exists():
            previous.rename(out)
        else:
            _return_carried(previous, out, outputs)
            shutil.rmtree(previous, ignore_errors=True)
    if staging.is_dir():
        if out.is_dir():
            _return_carried(staging, out, outputs)
        shutil.rmtree(staging, ignore_errors=True)
    if out.is_dir():
        for path in out.rglob(".*"):
            if path.is_file() and _TEMPORARY.match(path.name):
                path.unlink(missing_ok=True)
                log(f"removed {path}, left by an interrupted build")


def _return_carried(source: Path, out: Path, outputs: set[str]) -> None:
    for entry in list(source.iterdir()):
        if entry.name not in outputs and not (out / entry.name).exists():
            entry.rename(out / entry.name)


def _parent_of(out: Path) -> Path:
    absolute = Path(os.path.abspath(out))
    parent = absolute.parent
    if not parent.is_dir():
        raise ExportError(f"{out}: its folder {parent} does not exist")
    # The whole folder is replaced: it must not hold the working folder or the sources.
    for inside in (Path.cwd(), Path(settings.layers_dir), Path(settings.maps_dir)):
        if Path(os.path.abspath(inside)).is_relative_to(absolute):
            raise ExportError(
                f"{out}: holds {inside}; the outputs need a folder of their own (e.g. out/)"
            )
    return parent


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic rename; ``False`` where the system cannot."""
    renameat2 = getattr(_libc(), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(result == 0)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
