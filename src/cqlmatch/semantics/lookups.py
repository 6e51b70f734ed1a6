"""Lookup files for match(file=...) and cidr(file=...): CSV (header row) or
JSON (an array of objects, or one object per line), loaded once per query."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path

Table = list[dict[str, str]]


def load_table(path: str | Path) -> Table:
    """Rows of a CSV or JSON lookup file, every value a string."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        stripped = text.strip()
        if stripped.startswith("["):
            rows = json.loads(stripped)
        else:
            rows = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        return [{str(k): _cell(v) for k, v in row.items()} for row in rows]
    return [dict(row) for row in csv.DictReader(text.splitlines())]


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def resolve_tables(
    names: set[str], given: Mapping[str, str | Path | Table] | None, base: Path | None = None
) -> dict[str, Table]:
    """The tables a query names: from ``given`` (name -> path or rows), else a
    file of that name relative to ``base`` (the query's directory) or the
    working directory.  Missing tables raise ``FileNotFoundError``."""
    tables: dict[str, Table] = {}
    given = dict(given or {})
    for name in sorted(names):
        source = given.get(name)
        if source is None:
            for folder in ((base,) if base else ()) + (Path.cwd(),):
                candidate = folder / name
                if candidate.is_file():
                    source = candidate
                    break
        if source is None:
            err = FileNotFoundError(f"lookup file {name!r} not found")
            err.filename = name
            raise err
        tables[name] = source if isinstance(source, list) else load_table(source)
    return tables
