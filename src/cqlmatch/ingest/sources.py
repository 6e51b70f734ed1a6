"""Many inputs read as one: files, directories and glob patterns.

A Falcon Data Replicator dump is a directory of many gzip files; a hunt
names several days of them.  ``Inputs`` expands what a user names into the
list of files, in the order given (a directory's files and a pattern's
matches sorted by path, so a run is repeatable), and checks up front that
each exists, so a typo fails before any work instead of after an hour.
Plain, gzip and zstd files mix freely: each is sniffed when it is opened.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..lang.tags import input_tags

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def compression_of(head: bytes) -> str | None:
    """``"gzip"`` or ``"zstd"`` when ``head`` (a file's first bytes, four
    are enough) starts a compressed stream, else None."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


class InputError(ValueError):
    """A named input that does not exist or holds no file."""


_GLOB_CHARS = frozenset("*?[")


class Inputs:
    """Paths to read in order as one input; each keeps its own line numbers.

    ``Inputs("dumps/2026-12-01", "extra/*.ndjson.gz", "one.ndjson")``.  A
    directory stands for every file below it (hidden files and folders
    skipped); a pattern (``*``, ``?``, ``[``; ``**`` crosses folders) for
    its matches; ``-`` for standard input (once, as a stream).

    ``tags``: the tags of the source (``lang.tags``), over the default
    Falcon sensor tags (``default_tags=False`` leaves those out), for
    every file named: ``Inputs("exports/", tags={"repo": "detections"})``."""

    __slots__ = ("default_tags", "paths", "tags")

    def __init__(
        self,
        *names: str | os.PathLike[str],
        tags: Mapping[str, str] | Iterable[str] | None = None,
        default_tags: bool = True,
    ) -> None:
        if not names:
            raise InputError("no input named")
        self.paths: tuple[str, ...] = tuple(expand(names))
        self.tags: dict[str, str] = input_tags(tags, defaults=False)
        self.default_tags = default_tags

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return f"Inputs({', '.join(map(repr, self.paths))})"


def expand(names: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The files ``names`` stand for, in order (see ``Inputs``)."""
    out: list[str] = []
    for name in names:
        text = os.fspath(name)
        if text == "-":
            if "-" in out:
                raise InputError("standard input (-) named twice")
            out.append(text)
        elif os.path.isdir(text):
            found = _directory_files(Path(text))
            if not found:
                raise InputError(f"{text}: directory holds no file")
            out.extend(found)
        elif os.path.exists(text):
            out.append(text)
        elif _GLOB_CHARS & set(text):
            found = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not found:
                raise InputError(f"{text}: no file matches")
            out.extend(found)
        else:
            raise InputError(f"{text}: no such file or directory")
    return out


def _directory_files(root: Path) -> list[str]:
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(os.path.join(folder, n) for n in names if not n.startswith("."))
    return sorted(files)


def source_name(source: object) -> str:
    """How messages name a source: its path, or what kind of input it is."""
    if isinstance(source, str | os.PathLike):
        return "<stdin>" if source == "-" else str(source)
    return f"<{type(source).__name__}>"


def as_inputs(source: object) -> Inputs | None:
    """``source`` as ``Inputs`` when it names files: an ``Inputs``, or a
    list or tuple of ``os.PathLike`` paths (plain strings in a list are
    lines of NDJSON, as ever).  None for any other source."""
    if isinstance(source, Inputs):
        return source
    if (
        isinstance(source, list | tuple)
        and source
        and all(isinstance(item, os.PathLike) for item in source)
    ):
        return Inputs(*source)
    return None
