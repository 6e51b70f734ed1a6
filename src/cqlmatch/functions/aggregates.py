"""Aggregate functions: count, sum, avg, min, max, stdDev, range,
percentile, stats (collect, selectLast, selectFromMax and selectFromMin are
in select.py).

An aggregate skips events that lack its input field (and, for the numeric
ones, values that are not numbers); one that saw no input gives no output.

``sum``, ``avg``
    The exact total of the numbers, rounded once to a double (an integer
    while only integers were added; ``lang.exactsum``): the same result in
    any order and however the input is split among workers (UNCONFIRMED
    for LogScale, which may round as it goes).  ``avg`` divides it by the count.
``stdDev``
    Population standard deviation (UNCONFIRMED).
``range``
    max - min.
``percentile(field, percentiles=[50,75,99], as)``
    Nearest rank on the exact values, the value at rank ceil(p/100 * n)
    (LogScale estimates within ``accuracy``; for the page's 12, 25, 50, 99 it
    gives 25 for the 50th percentile where the page shows the estimate
    25.79); output fields ``<as>_<p>`` (``_50`` without ``as``); negative
    input is skipped with W482 (page: "only works on non-negative input
    values"); a percentile outside 0-100 is left out with W483.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..lang.exactsum import ExactSum
from ..lang.values import format_number, parse_number
from .registry import AGGREGATE, Aggregator, aggregator


def _output(agg: Aggregator) -> str:
    return str(agg.call.get("as", agg.call.spec.output))


@aggregator("count")
class Count(Aggregator):
    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.field = call.get("field")
        self.distinct = call.get("distinct")
        self.n = 0
        self.seen: set[str] = set()

    def step(self, event):
        if self.field is None:
            self.n += 1
            return
        value = event.get(self.field)
        if value is None:
            return
        if self.distinct:
            self.seen.add(value)
        else:
            self.n += 1

    def merge(self, other):
        self.n += other.n
        self.seen |= other.seen

    def result(self):
        return {_output(self): str(len(self.seen) if self.distinct else self.n)}


class _Numeric(Aggregator):
    """The numeric values of ``field`` in the group: the shared input of
    sum, avg, min, max, stdDev, range and percentile."""

    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.field = call.get("field")
        self.values: list[int | float] = []

    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is not None:
            self.values.append(number)

    def merge(self, other):
        self.values.extend(other.values)

    def result(self):
        if not self.values:
            return None
        return {_output(self): format_number(self.reduce(self.values))}

    def reduce(self, values):
        raise NotImplementedError


class _Folded(_Numeric):
    """A numeric aggregate whose state is a running fold of the values
    (the same result as reducing the list: ``fold`` repeats builtin
    min/max step by step), so it holds no values."""

    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.n = 0
        self.acc: int | float = 0

    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is not None:
            self.acc = number if self.n == 0 else self.fold(self.acc, number)
            self.n += 1

    def merge(self, other):
        if other.n:
            self.acc = other.acc if self.n == 0 else self.fold(self.acc, other.acc)
            self.n += other.n

    def result(self):
        if not self.n:
            return None
        return {_output(self): format_number(self.acc)}

    def fold(self, acc, number):
        raise NotImplementedError


@aggregator("sum")
class Sum(_Numeric):
    """The exact sum, rounded once (``lang.exactsum``): the same whatever
    the order of the events or the split of the input."""

    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.n = 0
        self.total = ExactSum()

    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is not None:
            self.total.add(number)
            self.n += 1

    def merge(self, other):
        self.total.merge(other.total)
        self.n += other.n

    def result(self):
        if not self.n:
            return None
        return {_output(self): format_number(self.finish(self.total.value(), self.n))}

    def finish(self, total, n):
        return total


@aggregator("avg")
class Avg(Sum):
    """The exact sum (rounded once) divided by the count."""

    def finish(self, total, n):
        return total / n


@aggregator("min")
class Min(_Folded):
    def fold(self, acc, number):
        return number if number < acc else acc  # min() keeps the first least


@aggregator("max")
class Max(_Folded):
    def fold(self, acc, number):
        return number if number > acc else acc  # max() keeps the first greatest


@aggregator("stdDev")
class StdDev(_Numeric):
    def reduce(self, values):
        mean = math.fsum(values) / len(values)
        return math.sqrt(math.fsum((x - mean) ** 2 for x in values) / len(values))


@aggregator("range")
class Range(_Numeric):
    """max - min, folded as min() and max() fold (no values kept)."""

    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.low: int | float | None = None
        self.high: int | float | None = None

    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is not None:
            self._take(number, number)

    def _take(self, low, high):
        if self.low is None:
            self.low, self.high = low, high
            return
        if low < self.low:
            self.low = low
        if high > self.high:
            self.high = high

    def merge(self, other):
        if other.low is not None:
            self._take(other.low, other.high)

    def result(self):
        if self.low is None:
            return None
        return {_output(self): format_number(self.high - self.low)}


@aggregator("percentile")
class Percentile(_Numeric):
    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is None:
            return
        if number < 0:
            self.rt.warn(
                "W482", "percentile() skipped negative values (it takes non-negative input)"
            )
            return
        self.values.append(number)

    def result(self):
        if not self.values:
            return None
        ordered = sorted(self.values)
        prefix = self.call.get("as") or ""
        out = {}
        for p in self.call.get("percentiles"):
            share = parse_number(p)
            if share is None or not 0 <= share <= 100:
                self.rt.warn("W483", f"percentile(): {p!r} is not a percentile from 0 to 100")
                continue
            rank = max(1, math.ceil(Fraction(p) * len(ordered) / 100))
            out[f"{prefix}_{p}"] = format_number(ordered[rank - 1])
        return out or None


class Combined(Aggregator):
    """Several aggregates over the same events; outputs merged in order.
    No row at all when none of them had input."""

    def __init__(self, rt, call, calls):
        super().__init__(rt, call)
        self.parts = [AGGREGATE[c.spec.name.lower()](rt, c) for c in calls]

    def step(self, event):
        for part in self.parts:
            part.step(event)

    def merge(self, other):
        for mine, theirs in zip(self.parts, other.parts, strict=True):
            mine.merge(theirs)

    def result(self):
        out: dict[str, str] = {}
        produced = False
        for part in self.parts:
            fields = part.result()
            if fields is not None:
                produced = True
                out.update(fields)
        return out if produced or not self.parts else None


@aggregator("stats")
def stats_aggregator(rt, call):
    return Combined(rt, call, call.get("function") or ())
