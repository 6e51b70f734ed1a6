"""The exact sum behind ``sum()`` and ``avg()``: bounded state, any order.

A running float total depends on the order of its additions, so a sum
split over worker processes (or, later, a cluster) and merged would differ
from one pass in the last bits; keeping every number instead costs memory
in proportion to the input.  ``ExactSum`` keeps the sum exactly in a few
numbers and rounds once, at the end:

* integers (values written without a fraction or exponent) add up as a
  Python ``int``, exactly;
* floats are kept as a short list of non-overlapping doubles whose sum is
  exactly the sum of the floats added so far (each addition splits into
  the rounded sum and its rounding error, both kept; there can be no more
  than about 40 such doubles over the whole double range);
* infinities and NaN are added apart (``inf + -inf`` is NaN); the rare sum
  whose running parts overflow a double goes on as a ``Fraction``.

The result is the exact total rounded to the nearest double (ties to
even), or an ``int`` when only integers were added, whatever the order of
the numbers and however the input was split; ``merge`` adds another
state's numbers.  The VM's group table keeps the same state in C and
finishes it with ``exact_total``.
"""

from __future__ import annotations

import math
from fractions import Fraction

Number = int | float

#: |int| up to this converts to a double exactly.
_EXACT_INT = 1 << 53


class ExactSum:
    """The exact sum of the numbers ``add``-ed (see the module docstring)."""

    __slots__ = ("floats", "ints", "overflowed", "saw_float", "special")

    def __init__(self) -> None:
        self.ints = 0
        self.floats: list[float] = []  # non-overlapping, increasing magnitude
        self.saw_float = False
        self.special: float | None = None  # the sum of infinities and NaNs
        self.overflowed: Fraction | None = None  # the floats' sum, once a part overflowed

    def add(self, number: Number) -> None:
        if type(number) is int:
            self.ints += number
            return
        self.saw_float = True
        if not math.isfinite(number):
            self.special = number if self.special is None else self.special + number
        elif self.overflowed is not None:
            self.overflowed += Fraction(number)
        else:
            self._grow(number)

    def _grow(self, x: float) -> None:
        """Add ``x`` to the float parts, keeping their sum exact: each step
        replaces (part, x) by their rounded sum and its rounding error."""
        parts = self.floats
        kept = 0
        for part in parts:
            big, small = (x, part) if abs(x) >= abs(part) else (part, x)
            high = big + small
            if math.isinf(high):  # the parts no longer fit a double
                self.overflowed = sum(map(Fraction, parts), Fraction(x))
                self.floats = []
                return
            low = small - (high - big)  # exact: what rounding ``high`` lost
            if low:
                parts[kept] = low
                kept += 1
            x = high
        del parts[kept:]
        parts.append(x)

    def merge(self, other: ExactSum) -> None:
        """Add ``other``'s numbers (exactly, so the order of merging does not matter)."""
        self.ints += other.ints
        if other.special is not None:
            self.special = other.special if self.special is None else self.special + other.special
        self.saw_float = self.saw_float or other.saw_float
        for part in other.floats:
            self.add(part)
        if other.overflowed is not None:
            if self.overflowed is None:
                self.overflowed = sum(map(Fraction, self.floats), Fraction(0))
                self.floats = []
            self.overflowed += other.overflowed

    def value(self) -> Number:
        return exact_total(self.ints, self.floats, self.saw_float, self.special, self.overflowed)


def exact_total(
    ints: int,
    floats: list[float],
    saw_float: bool,
    special: float | None,
    overflowed: Fraction | None,
) -> Number:
    """The sum of an ``ExactSum``'s parts: an ``int`` when no float was
    added, else the exact total rounded to the nearest double (an infinity
    past the double range)."""
    if special is not None:
        return special
    if not saw_float:
        return ints
    if overflowed is None and -_EXACT_INT <= ints <= _EXACT_INT:
        try:
            return math.fsum([*floats, float(ints)])  # exact parts: one rounding
        except OverflowError:
            pass
    exact = Fraction(ints) + (overflowed if overflowed is not None else sum(map(Fraction, floats)))
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf
