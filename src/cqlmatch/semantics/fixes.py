"""Applying the fixes diagnostics suggest (``cqlmatch check --fix``).

Only fixes that keep the query's meaning as its author intended are applied
automatically: the LogScale spellings of cqlmatch's extensions (W301
positional ``if()``, W302 ``drop()``), the documented value a retired or
undocumented argument value runs as (W305 ``type=any``, W308
``order=descending``), the ``default()`` that lets a
``groupBy`` see every event (W310), a ``*`` for an empty ``case`` (W304) and
escaped dots in file names (W331).  Fixes are applied innermost first, and
the query is checked again after each round, so a fix inside another fix's
text (nested ``if()``) is applied before the outer one.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import Diagnostic
from ..limits import MAX_FIX_ROUNDS
from .frontend import front_end

SAFE = frozenset({"W301", "W302", "W304", "W305", "W308", "W310", "W331"})


def _apply(text: str, diagnostics: list[Diagnostic]) -> tuple[str, list[str]]:
    chosen: list[Diagnostic] = []
    for d in sorted(diagnostics, key=lambda d: (d.span.end - d.span.start, d.span.start)):
        if all(d.span.end <= c.span.start or d.span.start >= c.span.end for c in chosen):
            chosen.append(d)
    for d in sorted(chosen, key=lambda d: d.span.start, reverse=True):
        text = text[: d.span.start] + str(d.fix) + text[d.span.end :]
    return text, [d.code for d in sorted(chosen, key=lambda d: d.span.start)]


def fix_query(text: str, params: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """The query with every safe fix applied, and the codes of the fixes made.
    Raises the usual query errors if the text (or a fixed version) is invalid."""
    applied: list[str] = []
    for _ in range(MAX_FIX_ROUNDS):
        query = front_end(text, params=params)
        fixable = [d for d in query.diagnostics if d.code in SAFE and d.fix is not None]
        if not fixable:
            return text, applied
        text, codes = _apply(text, fixable)
        applied.extend(codes)
    front_end(text, params=params)
    return text, applied
