"""The front end of a query, without the runtime: parse, check, and find the
tables its lookups read.

``front_end`` does everything ``cqlmatch.compile`` does before it makes a
runnable query, so the layers below the runtime (``check --fix``, linters)
can check a query as compile would, errors included:

* ``CQLSyntaxError`` from the parser and ``CQLCompileError`` from the checker
  (in ``strict`` mode cqlmatch's extensions are errors);
* E222 when ``match(table=NAME)`` or ``matchAsArray(table=NAME)`` names a
  table no ``defineTable(name=NAME)`` in the query makes (at the table
  argument);
* E224 when a lookup file that ``match(file=...)``, ``matchAsArray(file=...)``,
  ``cidr(file=...)`` or ``readFile(...)`` (a name no ``defineTable`` makes)
  names is absolute or has a ``..`` part, or resolves (symlinks followed)
  outside ``lookup_dir``;
* E222 when such a name is neither in ``lookups`` nor a file in
  ``lookup_dir`` (both at the file argument).

Names resolve only through ``lookups`` and ``lookup_dir`` (never the working
directory or the query's folder), and no lookup file is read here: the
``tables`` mapping reads each file when a run first asks for it, and a file
that is not a table is then E225 at the argument (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import CQLCompileError, Diagnostic
from ..records import Record, record
from ..syntax.parser import parse
from .check import check
from .checked import Checked
from .enrich import IOC_COLUMNS, NEEDS, Enrichment, EnrichmentError
from .lookups import LookupNameError, Source, Table, Tables, resolve_sources

__all__ = ["FrontEnd", "front_end"]


@record
class FrontEnd(Record):
    """A parsed and checked query with the tables its lookups read."""

    text: str
    checked: Checked
    tables: Mapping[str, Table]
    strict: bool = False

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The checker's warnings (errors were raised)."""
        return list(self.checked.diagnostics)


def front_end(
    text: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, Source] | None = None,
    lookup_dir: str | Path | None = None,
    enrichment: Enrichment | None = None,
    warnings: bool = True,
) -> FrontEnd:
    """Parse and check ``text`` and resolve the names of its lookup files
    (reading none); raises ``CQLSyntaxError`` or ``CQLCompileError``, and
    ``NotADirectoryError`` when ``lookup_dir`` is not a directory.

    ``strict`` turns cqlmatch's extensions (positional if(), drop() without
    fields, filter conditions) into errors.  ``params`` fills ``?name``
    placeholders; ``lookups`` maps lookup-file names to paths or rows;
    ``lookup_dir`` is a directory where names not in ``lookups`` are files
    (subfolders allowed, nothing outside it).  ``enrichment``: the user's
    GeoIP and ASN databases and indicator file; each one a call needs is
    opened here (E226 when it cannot be read; E223 when it is not given).
    ``warnings=False``: ``check`` leaves out the analyses that only warn."""
    if lookup_dir is not None and not Path(lookup_dir).is_dir():
        raise NotADirectoryError(f"lookup directory {str(lookup_dir)!r}: not a directory")
    tree = parse(text)
    provides = enrichment.provides if enrichment is not None else frozenset()
    checked = check(tree, text, params=params, strict=strict, provides=provides, warnings=warnings)
    if enrichment is not None:
        _open_enrichment(text, checked, enrichment)
    defined = {
        str(b.get("name")) for b in checked.bindings.values() if b.spec.name == "defineTable"
    }
    files: dict[str, object] = {}
    for b in checked.bindings.values():
        lookup = b.spec.name in ("match", "matchAsArray")
        if lookup and b.given("table") and str(b.get("table")) not in defined:
            name = str(b.get("table"))
            message = (
                f"no table {name!r}: {b.spec.name}(table=...) reads a table defineTable() makes"
            )
            diagnostic = Diagnostic(
                "error",
                "E222",
                message,
                b.nodes["table"].span,
                expected=f'defineTable(name="{name}", ...)',
            )
            raise CQLCompileError(text, [diagnostic])
        if (lookup or b.spec.name == "cidr") and b.given("file"):
            files[str(b.get("file"))] = b.nodes["file"]
        elif b.spec.name == "readFile":
            files.update((name, b.nodes["file"]) for name in b.get("file") if name not in defined)
    spans = {name: node.span for name, node in files.items()}  # type: ignore[attr-defined]
    try:
        sources = resolve_sources(set(files), lookups, lookup_dir)
    except LookupNameError as err:
        expected = f"--lookup {err.name}=PATH" if err.code == "E222" else "a name, not a path"
        diagnostic = Diagnostic("error", err.code, str(err), spans[err.name], expected=expected)
        raise CQLCompileError(text, [diagnostic]) from None
    return FrontEnd(text, checked, Tables(sources, text, spans), strict)


def _open_enrichment(text: str, checked: Checked, enrichment: Enrichment) -> None:
    """Open the data each enrichment call reads, so that a missing or broken
    file is E226 at the first call needing it, before any event is read;
    an ``include=`` of ``ioc:lookup()`` naming no column is E207."""
    for binding in checked.bindings.values():
        kind = binding.spec.needs
        if kind is None:
            continue
        try:
            enrichment.open(kind)
        except EnrichmentError as err:
            diagnostic = Diagnostic(
                "error", "E226", str(err), binding.node.span, expected=NEEDS[kind][0]
            )
            raise CQLCompileError(text, [diagnostic]) from None
        if kind == "iocs" and binding.given("include"):
            for column in binding.get("include"):  # type: ignore[union-attr]
                if column not in IOC_COLUMNS:
                    diagnostic = Diagnostic(
                        "error",
                        "E207",
                        f"ioc:lookup() include: {column!r} is not a column of the indicator"
                        f" file ({', '.join(IOC_COLUMNS)})",
                        binding.nodes["include"].span,
                    )
                    raise CQLCompileError(text, [diagnostic])
