"""Compiled literal scanners kept on disk between runs.

A pack run compiles Hyperscan databases for the literals it looks for:
a scanner per event type, whose literals depend on the groups ranked on
the input's first lines (the Sigma pack's seven took about 80 ms of CPU,
40 ms of a run's start on two threads), and the scanner of every literal
when the pack is compiled from its sources (about 0.1 s).  The same pack
over data of the same shape asks for the same databases run after run,
so each is kept, serialised, under a key made of what it was compiled
from; a later run loads it (under a millisecond) instead of compiling.

Where: ``$CQLMATCH_CACHE_DIR/scanners`` when that variable is set (``off``
or empty: no cache), else ``$XDG_CACHE_HOME/cqlmatch/scanners``, else
``~/.cache/cqlmatch/scanners``.  A file is ``MAGIC``, the SHA-256 of the
database, then the database; one that is damaged, cut short or made by
another Hyperscan (or for another machine's instructions) is compiled
again and replaced.  Files are written whole under another name and
renamed, so runs side by side never read half a file.  The directory
keeps at most ``KEEP`` files, the least recently used removed first, and is
used only when it belongs to the user and no one else may write to it
(Hyperscan's loader trusts what it is given).  A
cache that cannot be read or written is not an error: the run compiles,
as it would without one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable
from itertools import chain
from operator import methodcaller
from pathlib import Path
from typing import Any

__all__ = ["KEEP", "MAGIC", "cache_dir", "cached", "counts", "keep", "lookup", "scanner_key"]

MAGIC = b"cqlmatch scanner 1\n"
KEEP = 64  # files kept (each tens of KB to a few MB)
_DIGEST = 32

#: This process's scanners so far: loaded from the cache, and compiled
#: (``pack run --stats`` reports them; typed scanners compile in threads).
counts = {"loaded": 0, "compiled": 0}
_counting = threading.Lock()


def cache_dir() -> Path | None:
    """The directory of the kept scanners, or None when there is none."""
    chosen = os.environ.get("CQLMATCH_CACHE_DIR")
    if chosen is not None:
        if chosen.strip() in ("", "off"):
            return None
        return Path(chosen) / "scanners"
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # (the XDG rule: a relative path is ignored)
        home = os.environ.get("HOME")
        if not home:
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "cqlmatch" / "scanners"


def scanner_key(version: str, patterns: list[bytes], ids: list[int] | None, every: bool) -> str:
    """What a database is compiled from: the Hyperscan version, how it
    reports (each occurrence or each pattern once), the patterns in order
    and the id each is reported as."""
    digest = hashlib.sha256(b"hyperscan " + version.encode("ascii", "replace") + b"\0")
    digest.update(b"every\0" if every else b"once\0")
    numbers = range(len(patterns)) if ids is None else ids
    # Each pattern as its number, its size (4 bytes each, little-endian) and
    # its bytes, hashed as one join: a pack's typed scanners have thousands.
    spelled = map(_FOUR_BYTES, numbers)
    sizes = map(_FOUR_BYTES, map(len, patterns))
    digest.update(b"".join(chain.from_iterable(zip(spelled, sizes, patterns, strict=True))))
    return digest.hexdigest()


_FOUR_BYTES = methodcaller("to_bytes", 4, "little")


def lookup(key: str, load: Callable[[bytes], Any]) -> Any:
    """The scanner kept under ``key`` (``load(database)``, which raises
    ``ValueError`` for a database it cannot use), or None."""
    where = cache_dir()
    if where is None or not _private(where):
        return None
    path = where / f"{key}.hsdb"
    database = _read(path)
    if database is None:
        return None
    try:
        scanner = load(database)
    except ValueError:
        return None
    if scanner is not None:
        _count("loaded")
        _touch(path)
    return scanner


def keep(key: str, scanner: Any) -> None:
    """Keep ``scanner`` (its ``serialize()``) under ``key``."""
    where = cache_dir()
    if where is not None and scanner is not None:
        _write(where, where / f"{key}.hsdb", scanner.serialize())


def cached(key: str, load: Callable[[bytes], Any], compile_new: Callable[[], Any]) -> Any:
    """``lookup(key, load)``, or else ``compile_new()``'s scanner, kept."""
    scanner = lookup(key, load)
    if scanner is None:
        scanner = compile_new()
        _count("compiled")
        keep(key, scanner)
    return scanner


def _count(what: str) -> None:
    with _counting:
        counts[what] += 1


def _private(where: Path) -> bool:
    """Whether ``where`` is this user's own directory that nobody else may
    write to: a database is handed to Hyperscan's loader, which trusts it,
    so a directory others could write to is not read (nor written)."""
    try:
        info = os.stat(where)
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read(path: Path) -> bytes | None:
    """The database in ``path``, or None (no file, unreadable, damaged)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    if len(data) <= head or not data.startswith(MAGIC):
        return None
    database = data[head:]
    if hashlib.sha256(database).digest() != data[len(MAGIC) : head]:
        return None
    return database


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _write(where: Path, path: Path, database: bytes) -> None:
    """Keep ``database`` in ``path`` (written whole, then renamed), then
    remove the least recently used files past ``KEEP``."""
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(where):
            return
        part = where / f".{path.name}.{os.getpid()}.{threading.get_ident()}.part"
        with open(part, "wb") as out:
            out.write(MAGIC + hashlib.sha256(database).digest() + database)
        os.replace(part, path)
    except OSError:
        return
    _prune(where)


def _prune(where: Path) -> None:
    """Remove the least recently used files past ``KEEP``, and pieces a
    run stopped in the middle of writing left over an hour ago."""
    stale = time.time_ns() - 3600 * 10**9
    kept: list[tuple[int, str]] = []
    gone: list[str] = []
    try:
        with os.scandir(where) as entries:
            for entry in entries:
                if entry.name.endswith(".hsdb"):
                    kept.append((entry.stat().st_mtime_ns, entry.path))
                elif entry.name.endswith(".part") and entry.stat().st_mtime_ns < stale:
                    gone.append(entry.path)
    except OSError:
        return
    kept.sort()
    gone += [name for _, name in kept[: max(0, len(kept) - KEEP)]]
    for name in gone:
        with contextlib.suppress(OSError):
            os.unlink(name)
