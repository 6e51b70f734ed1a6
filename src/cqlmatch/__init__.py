"""cqlmatch: CrowdStrike LogScale queries (CQL), compiled and run offline.

``compile`` parses and checks a query and returns a ``CompiledQuery`` with
``run`` (a ``Result``: rows or kept events over many events, with the run's
counts) and ``match`` (one event); ``Inputs`` names several files,
directories or patterns read as one input.
``compile_pack`` reads and compiles a pack of rules (a YAML manifest or a
folder of ``.cql`` files) run over the events in one pass.
``CompiledQuery.partial``/``finish`` and ``PartialState`` run a query in
parts (docs/scale-out.md; ``cqlmatch.dask``, ``cqlmatch.spark``).
``Matcher`` embeds one query in a program that already has events (per
event, per batch, per NDJSON chunk; shared between threads).
``parse`` and ``format_query`` expose the front end.  Query errors are
``CQLSyntaxError`` or ``CQLCompileError`` (both ``CQLError``), carrying
codes, spans and caret excerpts.
"""

from importlib import import_module

from .version import __version__

# ``typing`` is not imported for its flag: that alone would be most of
# ``import cqlmatch``'s time (a type checker reads the imports below).
TYPE_CHECKING = False

# Each public name and the module that defines it, imported on first use:
# ``import cqlmatch`` itself loads nothing else (a command or an embedding
# pays only for the parts it touches).
_HOMES = {
    "CQLCompileError": ".errors",
    "CQLError": ".errors",
    "CQLSyntaxError": ".errors",
    "Diagnostic": ".errors",
    "Span": ".errors",
    "Inputs": ".ingest.sources",
    "Pack": ".packs.pack",
    "compile_pack": ".packs.pack",
    "Matcher": ".runtime.matcher",
    "CompiledQuery": ".runtime.query",
    "PartialState": ".runtime.partial",
    "PartialStateError": ".errors",
    "compile": ".runtime.query",
    "Result": ".runtime.result",
    "Pipeline": ".syntax.ast",
    "tokenize": ".syntax.lexer",
    "parse": ".syntax.parser",
    "format_query": ".syntax.printer",
}

if TYPE_CHECKING:
    from typing import Any

    from .errors import (
        CQLCompileError,
        CQLError,
        CQLSyntaxError,
        Diagnostic,
        PartialStateError,
        Span,
    )
    from .ingest.sources import Inputs
    from .packs.pack import Pack, compile_pack
    from .runtime.matcher import Matcher
    from .runtime.partial import PartialState
    from .runtime.query import CompiledQuery, compile
    from .runtime.result import Result
    from .syntax.ast import Pipeline
    from .syntax.lexer import tokenize
    from .syntax.parser import parse
    from .syntax.printer import format_query


def __getattr__(name: str) -> "Any":
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cqlmatch' has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "CQLCompileError",
    "CQLError",
    "CQLSyntaxError",
    "CompiledQuery",
    "Diagnostic",
    "Inputs",
    "Matcher",
    "Pack",
    "PartialState",
    "PartialStateError",
    "Pipeline",
    "Result",
    "Span",
    "__version__",
    "compile",
    "compile_pack",
    "format_query",
    "parse",
    "tokenize",
]
