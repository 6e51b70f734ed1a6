"""Lookup files for match(file=...), matchAsArray(file=...), cidr(file=...)
and readFile(...): CSV (header row) or JSON (an array of objects, or one
object per line).

A query names a lookup file by name only; the caller says what the names
are (docs/security.md):

* ``given``: a mapping of names to paths or rows (``--lookup NAME=PATH``,
  ``lookups=`` from Python), looked at first;
* ``directory``: a lookup directory (``--lookups DIR``, ``lookup_dir=``),
  where ``NAME`` is ``DIR/NAME`` (subfolders allowed) as long as the file
  it resolves to, symlinks followed, stays inside ``DIR``.

A name that is absolute or has a ``..`` part is refused before anything is
looked at (``name_problem``).  Resolving (``resolve_sources``) looks only at
whether a provided path is a file; nothing is read until a query runs and
asks ``Tables`` for a table, and a file that cannot be read as a table is
then a ``LookupFileError`` with the file's name and the line.  A file is
read only up to ``limits.MAX_LOOKUP_BYTES`` and a table holds at most
``limits.MAX_LOOKUP_VALUES`` values; a larger one is a ``LookupFileError``
naming the limit (E225 at the query's argument).
"""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import CQLCompileError, Diagnostic, Span
from ..lang.events import count_values
from ..lang.lazyre import lazy
from ..limits import MAX_LOOKUP_BYTES, MAX_LOOKUP_VALUES

Table = list[dict[str, str]]
#: What a caller gives for a name: a path, or the rows themselves.
Source = str | Path | Table

_DRIVE = lazy(r"^[A-Za-z]:")


class LookupFileError(ValueError):
    """A lookup file that is not a table: ``reason`` names the line (or item)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"lookup file {name!r}: {reason}")


class LookupNameError(LookupError):
    """A name that does not resolve: ``code`` is E222 (not provided) or E224 (refused)."""

    def __init__(self, name: str, code: str, message: str) -> None:
        self.name = name
        self.code = code
        super().__init__(message)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a lookup file, or None.  Looks at the text
    only, so the answer is the same whatever exists on disk."""
    if not name:
        return "is empty"
    if "\0" in name:
        return "holds a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "has a '..' part"
    return None


def resolve_sources(
    names: set[str], given: Mapping[str, Source] | None, directory: str | Path | None = None
) -> dict[str, Source]:
    """Where each name's table comes from, nothing read: rows as given, or
    the path of a file.  Raises ``LookupNameError`` for the first name (in
    sorted order) that is refused (E224) or not provided (E222)."""
    given = dict(given or {})
    for name in sorted(names):
        problem = name_problem(name)
        if problem is not None:
            raise LookupNameError(
                name,
                "E224",
                f"lookup file name {name!r} {problem}: a query names lookup files only by "
                "names the caller provides (--lookup NAME=PATH or a --lookups directory)",
            )
    root = None if directory is None else Path(directory).resolve()
    sources: dict[str, Source] = {}
    for name in sorted(names):
        source = given.get(name)
        if isinstance(source, list):
            sources[name] = source
        elif source is not None:
            if not Path(source).is_file():
                raise LookupNameError(
                    name, "E222", f"lookup file {name!r} given as {str(source)!r}: not a file"
                )
            sources[name] = Path(source)
        elif root is not None:
            sources[name] = _in_directory(name, root)
        else:
            raise LookupNameError(name, "E222", _not_provided(name, sorted(given)))
    return sources


def _in_directory(name: str, root: Path) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise LookupNameError(
            name, "E224", f"lookup file {name!r} points outside the lookup directory {str(root)!r}"
        )
    if not path.is_file():
        raise LookupNameError(
            name, "E222", f"lookup file {name!r} is not in the lookup directory {str(root)!r}"
        )
    return path


def _not_provided(name: str, provided: list[str]) -> str:
    have = f"provided: {', '.join(provided)}" if provided else "no lookup files were provided"
    return (
        f"lookup file {name!r} is not provided ({have}); "
        f"give it with --lookup {name}=PATH or a --lookups DIR holding it "
        "(lookups= or lookup_dir= from Python)"
    )


class Tables(Mapping[str, Table]):
    """The tables of a query by name, each read from its file the first
    time it is asked for (thread-safe); pickles as plain rows.

    With the query ``text`` and the ``spans`` of the arguments naming each
    file, a file that is not a table is a ``CQLCompileError`` (E225) at the
    argument; else the ``LookupFileError`` itself."""

    def __init__(
        self,
        sources: Mapping[str, Source],
        text: str | None = None,
        spans: Mapping[str, Span] | None = None,
    ) -> None:
        self._sources = dict(sources)
        self._text = text
        self._spans = dict(spans or {})
        self._loaded: dict[str, Table] = {
            name: source for name, source in self._sources.items() if isinstance(source, list)
        }
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Table:
        table = self._loaded.get(name)
        if table is not None:
            return table
        source = self._sources[name]
        with self._lock:
            if name not in self._loaded:
                try:
                    self._loaded[name] = load_table(source, name)  # type: ignore[arg-type]
                except LookupFileError as err:
                    span = self._spans.get(name)
                    if self._text is None or span is None:
                        raise
                    diagnostic = Diagnostic("error", "E225", str(err), span)
                    raise CQLCompileError(self._text, [diagnostic]) from None
            return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def __repr__(self) -> str:
        return f"Tables({sorted(self._sources)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))


def load_table(path: str | Path, name: str | None = None) -> Table:
    """Rows of a CSV or JSON lookup file, every value a string.  Raises
    ``LookupFileError`` (named ``name``, else the path) for a file that
    cannot be read or is not a table."""
    path = Path(path)
    label = str(path) if name is None else name
    try:
        with path.open("rb") as file:
            data = file.read(MAX_LOOKUP_BYTES + 1)
    except OSError as err:
        raise LookupFileError(label, f"cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_LOOKUP_BYTES:
        raise LookupFileError(
            label,
            f"larger than {MAX_LOOKUP_BYTES:,} bytes (MAX_LOOKUP_BYTES): "
            "a lookup file is read whole when the query runs",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise LookupFileError(label, f"line {line}: not UTF-8 text (binary?)") from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise LookupFileError(label, f"line {line}: a NUL character (binary?)")
    try:
        if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
            return _json_rows(text)
        return _csv_rows(text)
    except _Bad as bad:
        raise LookupFileError(label, str(bad)) from None


class _Bad(Exception):
    """A file that is not a table (the message says where)."""


def _too_many(where: str) -> _Bad:
    return _Bad(
        f"{where}: more than {MAX_LOOKUP_VALUES:,} values (MAX_LOOKUP_VALUES): "
        "a lookup table is kept in memory while the query runs"
    )


def _json_rows(text: str) -> Table:
    stripped = text.strip()
    if stripped.startswith("["):
        if len(text) > MAX_LOOKUP_VALUES and count_values(text) > MAX_LOOKUP_VALUES:
            raise _too_many("the array")
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as err:
            raise _Bad(f"line {err.lineno}: not JSON ({err.msg})") from None
        for number, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise _Bad(f"item {number} of the array is not a JSON object")
        return [_row(row) for row in rows]
    out: Table = []
    values = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        # a long line is counted before it is decoded
        long = len(line) > MAX_LOOKUP_VALUES - values
        if long and values + 1 + count_values(line) > MAX_LOOKUP_VALUES:
            raise _too_many(f"line {number}")
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise _Bad(f"line {number}: not JSON ({err.msg})") from None
        else:
            values += _size(row)
            if values > MAX_LOOKUP_VALUES:
                raise _too_many(f"line {number}")
        if not isinstance(row, dict):
            raise _Bad(
                f"line {number}: not a JSON object "
                "(expected one object per line, or one array of objects)"
            )
        out.append(_row(row))
    return out


def _size(value: object) -> int:
    """The JSON values of ``value``, itself included."""
    if isinstance(value, dict):
        return 1 + sum(_size(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(item) for item in value)
    return 1


def _row(row: dict[str, object]) -> dict[str, str]:
    return {str(k): _cell(v) for k, v in row.items()}


def _csv_rows(text: str) -> Table:
    reader = csv.reader(text.splitlines())
    out: Table = []
    try:
        header = next(reader, None)
        if header is None:
            return out
        values = 0
        for cells in reader:
            if not cells:
                continue
            values += len(header)
            if values > MAX_LOOKUP_VALUES:
                raise _too_many(f"line {reader.line_num}")
            if len(cells) > len(header):
                raise _Bad(
                    f"line {reader.line_num}: {len(cells)} cells, the header has {len(header)}"
                )
            cells += [""] * (len(header) - len(cells))
            out.append(dict(zip(header, cells, strict=True)))
    except csv.Error as err:
        raise _Bad(f"line {reader.line_num}: not CSV ({err})") from None
    return out


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)
