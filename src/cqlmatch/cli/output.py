"""Writing result rows: an aligned table, JSON, NDJSON or CSV."""

from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Any, TextIO

from ..limits import MAX_CELL

WRITE_ROWS = 1024  # rows per write of NDJSON output


def columns_of(rows: list[dict[str, str]], named: tuple[str, ...] = ()) -> list[str]:
    """The columns the query names (``Result.columns``) in its order, then
    every other field name in the order it first appears."""
    seen: dict[str, None] = dict.fromkeys(named)
    for row in rows:
        for name in row:
            seen.setdefault(name, None)
    return list(seen)


def write_rows(rows: list[dict[str, str]], fmt: str, out: TextIO) -> None:
    """``rows`` in ``fmt``; the columns of CSV and tables follow the query's
    ``select()``/``table()`` when ``rows`` is a ``Result`` that names them."""
    named = tuple(getattr(rows, "columns", ()))
    # Written in chunks of WRITE_ROWS rows, not a write per row or per JSON
    # token: standard output is unbuffered under PYTHONUNBUFFERED and
    # line-buffered on a terminal, where each write is a system call.
    if fmt == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "ndjson":
        line = _NdjsonLine()
        raw = _utf8_bytes_of(out)
        for start in range(0, len(rows), WRITE_ROWS):
            chunk = rows[start : start + WRITE_ROWS]
            before = line.fallbacks
            data = b"".join([line(row) for row in chunk])
            if raw is not None and line.fallbacks == before:
                out.flush()  # (what was written as text goes first)
                _write_all(raw, data)
                if getattr(out, "line_buffering", False) or getattr(out, "write_through", False):
                    raw.flush()  # (as the text stream would have: a terminal sees it now)
            else:
                out.write(data.decode("utf-8", "surrogatepass"))
    elif fmt == "csv":
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns_of(rows, named), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        out.write(text.getvalue())
    elif fmt == "table":
        out.write(render_table(rows, named))
    else:
        raise ValueError(f"unknown output format {fmt!r}")


def _utf8_bytes_of(out: TextIO) -> Any:
    """The byte stream under ``out`` when it writes UTF-8 (standard output,
    mostly), else None.  NDJSON is made as UTF-8 bytes: written there, it
    is not decoded into text only for ``out`` to encode it again (16 ms of
    the 28 it took to write the 4,891 hits of the Sigma pack, 8 MB)."""
    raw = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if raw is None or not isinstance(encoding, str):
        return None
    try:
        return raw if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


def _write_all(raw: Any, data: bytes) -> None:
    """``data`` written whole to ``raw``, which may be unbuffered (under
    ``PYTHONUNBUFFERED`` standard output's bytes are a ``FileIO``, whose
    write may take only part of them)."""
    view = memoryview(data)
    while view:
        view = view[raw.write(view) or 0 :]


class _NdjsonLine:
    """A row as one line of compact JSON (what ``json.dumps`` with ``","``
    and ``":"`` separators and ``ensure_ascii=False`` gives) ending in LF,
    by msgspec: about a third of ``json.dumps``'s time, which for thousands
    of pack hits was the last step of a run on one core.  A row msgspec
    cannot encode (a lone surrogate: decoding never makes one) goes
    through ``json`` (counted in ``fallbacks``: its bytes are not UTF-8)."""

    def __init__(self) -> None:
        import msgspec

        self.encode = msgspec.json.Encoder().encode
        self.fallbacks = 0

    def __call__(self, row: dict[str, str]) -> bytes:
        try:
            return self.encode(row) + b"\n"
        except (TypeError, ValueError):  # (UnicodeEncodeError is a ValueError)
            self.fallbacks += 1
            text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
            return (text + "\n").encode("utf-8", "surrogatepass")


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    text = value.replace("\n", "\\n").replace("\t", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def render_table(rows: list[dict[str, str]], named: tuple[str, ...] = ()) -> str:
    """Columns aligned under their headers, one row per line, and a count."""
    if not rows:
        return "(no rows)\n"
    names = columns_of(rows, named)
    cells = [[_cell(row.get(n)) for n in names] for row in rows]
    widths = [max(len(n), *(len(c[i]) for c in cells)) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"
