"""Regexes compiled on first use.

A module-level ``re.compile`` runs at every start, whether or not the run
ever meets the text it is for (a ``format()`` string, a drive letter in a
lookup name, a POSIX class in a regex): each costs tens of microseconds,
which no bytecode cache keeps.  ``lazy(pattern)`` stands for the compiled
pattern and compiles it when a method is first asked for; patterns every
run uses stay plain ``re.compile`` (the indirection costs each call).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LazyPattern", "lazy"]


class LazyPattern:
    """``re.compile(pattern, flags)`` on first use (``search``, ``match``,
    ``fullmatch``, ``sub``, ``finditer``... as the compiled pattern has them)."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return getattr(compiled, name)


def lazy(pattern: str | bytes, flags: int = 0) -> Any:
    """A pattern compiled when first used (typed as ``Any``: it has the
    methods of ``re.Pattern``)."""
    return LazyPattern(pattern, flags)
