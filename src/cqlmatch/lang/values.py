"""Field values: everything is a string; these helpers read and write numbers
and booleans the one way both engines use.

Rules (see docs/semantics.md):
- A value is numeric when it is a decimal number, optionally signed, with an
  optional fraction and exponent (``42``, ``-1.5``, ``2e3``); surrounding
  space, hex and ``NaN`` are not numbers.
- Integral results print without a fraction (``6 / 3`` gives ``2``); other
  results print in the shortest form that reads back to the same double.
- ``true`` / ``false`` are the boolean spellings, compared case-insensitively.
"""

from __future__ import annotations

import math
import re

from ..limits import MAX_DIGITS

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")

Number = int | float


def parse_number(value: str | None) -> Number | None:
    """The number a value spells, or None when it is not numeric."""
    if value is None or len(value) > MAX_DIGITS or not _NUMBER.fullmatch(value):
        return None
    if _INTEGER.fullmatch(value):
        return int(value)
    result = float(value)
    return result if math.isfinite(result) else None


def format_number(number: Number) -> str:
    """A number as LogScale shows it: integers without a fraction."""
    if isinstance(number, bool):
        number = int(number)
    if isinstance(number, int):
        return str(number)
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number)


def parse_bool(value: str | None) -> bool | None:
    """``true``/``false`` in any letter case; anything else is not a boolean."""
    if value is None:
        return None
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def format_bool(flag: bool) -> str:
    return "true" if flag else "false"


def unescape_bare(text: str) -> str:
    """An unquoted filter value as a string: ``\\\\`` is one backslash and
    ``\\"`` a quote, as in quoted strings; any other backslash is kept
    (``C:\\Windows`` stays as written)."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '\\"':
            out.append(text[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
