"""The front end of a query, without the runtime: parse, check, and find the
tables its lookups read.

``front_end`` does everything ``cqlmatch.compile`` does before it makes a
runnable query, so the layers below the runtime (``check --fix``, linters)
can check a query as compile would, errors included:

* ``CQLSyntaxError`` from the parser and ``CQLCompileError`` from the checker
  (in ``strict`` mode cqlmatch's extensions are errors);
* E222 when ``match(table=NAME)`` names a table no ``defineTable(name=NAME)``
  in the query makes (at the table argument);
* E222 when a lookup file that ``match(file=...)``, ``cidr(file=...)`` or
  ``readFile(...)`` (a name no ``defineTable`` makes) reads is neither in
  ``lookups`` nor a file beside the query (``base``) or in the working
  directory (at the file argument).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import CQLCompileError, Diagnostic
from ..syntax.parser import parse
from .check import check
from .checked import Checked
from .lookups import Table, resolve_tables

__all__ = ["FrontEnd", "front_end"]


@dataclass(frozen=True, slots=True)
class FrontEnd:
    """A parsed and checked query with the tables its lookups read."""

    text: str
    checked: Checked
    tables: dict[str, Table]
    strict: bool = False

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The checker's warnings (errors were raised)."""
        return list(self.checked.diagnostics)


def front_end(
    text: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
    base: Path | None = None,
) -> FrontEnd:
    """Parse and check ``text`` and load its lookup tables; raises
    ``CQLSyntaxError`` or ``CQLCompileError``.

    ``strict`` turns cqlmatch's extensions (positional if(), drop() without
    fields, filter conditions) into errors.  ``params`` fills ``?name``
    placeholders; ``lookups`` maps lookup-file names to paths or rows;
    ``base`` is the query file's directory, where lookup files not in
    ``lookups`` are looked for first."""
    tree = parse(text)
    checked = check(tree, text, params=params, strict=strict)
    defined = {
        str(b.get("name")) for b in checked.bindings.values() if b.spec.name == "defineTable"
    }
    files: dict[str, object] = {}
    for b in checked.bindings.values():
        if b.spec.name == "match" and b.given("table") and str(b.get("table")) not in defined:
            name = str(b.get("table"))
            message = f"no table {name!r}: match(table=...) reads a table defineTable() makes"
            diagnostic = Diagnostic(
                "error",
                "E222",
                message,
                b.nodes["table"].span,
                expected=f'defineTable(name="{name}", ...)',
            )
            raise CQLCompileError(text, [diagnostic])
        if b.spec.name in ("match", "cidr") and b.given("file"):
            files[str(b.get("file"))] = b.nodes["file"]
        elif b.spec.name == "readFile":
            files.update((name, b.nodes["file"]) for name in b.get("file") if name not in defined)
    try:
        tables = resolve_tables(set(files), lookups, base)
    except FileNotFoundError as err:
        span = files[err.filename].span  # type: ignore[attr-defined]
        diagnostic = Diagnostic(
            "error", "E222", str(err.args[0]), span, expected=f"--lookup {err.filename}=PATH"
        )
        raise CQLCompileError(text, [diagnostic]) from None
    return FrontEnd(text, checked, tables, strict)
