"""The math: family beside math:floor (numbers.py): math:ceil, math:abs,
math:sqrt, math:log, math:log10, math:log2, math:exp and math:pow.

Each reads the number in ``field`` and writes the result to ``as``
(``_ceil``, ``_abs``, ... as in math:floor's ``_floor``).  Decisions
(LogScale pages ``functions-math-<name>.html``; UNCONFIRMED where silent):

- A value that is not a number gives no output (the event passes unchanged).
- A result that is not a finite number (``math:sqrt(-1)``, ``math:log(0)``)
  gives no output rather than ``NaN`` or ``Infinity`` (UNCONFIRMED).
- Integers stay integers where the result is one (``math:abs(-3)`` is 3,
  ``math:pow(2, exponent=10)`` is 1024); other results print as doubles.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..lang.values import format_number, parse_number
from .registry import value_function


def _finite(result: int | float) -> str | None:
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return format_number(result)


def _unary(name: str, compute: Callable[[int | float], int | float]) -> None:
    def fn(rt, call, event):
        number = parse_number(event.get(call.get("field")))
        if number is None:
            return None
        try:
            return _finite(compute(number))
        except (ValueError, OverflowError):
            return None  # outside the function's domain

    value_function(name)(fn)


def _ceil(number: int | float) -> int:
    return number if isinstance(number, int) else math.ceil(number)


_unary("math:ceil", _ceil)
_unary("math:abs", abs)
_unary("math:sqrt", math.sqrt)
_unary("math:log", math.log)
_unary("math:log10", math.log10)
_unary("math:log2", math.log2)
_unary("math:exp", math.exp)


@value_function("math:pow")
def _pow(rt, call, event):
    base = parse_number(event.get(call.get("field")))
    exponent = call.get("exponent")
    if base is None:
        return None
    if isinstance(base, int) and isinstance(exponent, int) and 0 <= exponent <= 1024:
        return format_number(base**exponent)
    try:
        return _finite(math.pow(base, exponent))
    except (ValueError, OverflowError):
        return None
