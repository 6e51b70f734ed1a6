"""Aggregate functions: count, sum, avg, min, max, stats, collect,
selectLast, selectFromMax, selectFromMin.

An aggregate skips events that lack its input field (and, for the numeric
ones, values that are not numbers); one that saw no input gives no output.
"""

from __future__ import annotations

from ..lang.values import format_number, parse_number
from . import AGGREGATE, Aggregator, aggregator


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
    """Shared input handling of sum, avg, min and max."""

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


@aggregator("sum")
class Sum(_Numeric):
    def reduce(self, values):
        return sum(values)


@aggregator("avg")
class Avg(_Numeric):
    def reduce(self, values):
        return sum(values) / len(values)


@aggregator("min")
class Min(_Numeric):
    def reduce(self, values):
        return min(values)


@aggregator("max")
class Max(_Numeric):
    def reduce(self, values):
        return max(values)


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
