"""Selecting aggregates -- collect, selectLast, selectFromMax, selectFromMin
-- and the top() stage.

Decisions (LogScale pages ``functions-<name>.html``; UNCONFIRMED where the
page is silent):

``collect(fields, limit=2000, multival=true, separator="\\n")``
    Each field's distinct values, in input order (the page: "the sequence of
    output values is undefined"), at most ``limit`` of them, written to the
    field of the same name joined with ``separator``.  Events without the
    field add nothing; the empty string is a value.  When a field has more
    distinct values than ``limit`` the rest are left out and warning W410
    says so (the page: "returns partial results and displays a warning").
    The page's memory caps hold too: the kept values of one collect() take
    at most 10 MiB (UTF-8) as a stage of its own, 1 MiB inside groupBy() or
    another function; past the cap new values are left out with W410.
    Memory is so bounded by ``limit`` and the cap, whatever the input.
    ``multival=false`` ("output as multiple rows containing individual
    values") cannot be several rows inside a group's one row, so the values
    are written as an array, ``<field>[0]``, ``<field>[1]``, ..., which
    ``split(<field>)`` turns into rows (UNCONFIRMED).  No output when none
    of the fields had a value.

``selectLast(fields)``
    For each field, its value in the last event (in input order, which
    stands for time order) that has the field; fields no event had are left
    out ("for each field it will keep the field value of the most recent
    event with that field").

``selectFromMax(field, include)`` / ``selectFromMin(field, include)``
    The ``include`` fields of the event whose ``field`` is the largest /
    smallest number.  Only events whose ``field`` is numeric and that have
    every ``include`` field are candidates (the page's example: "selects the
    event with maximum value of @timestamp that also contains the specified
    field x").  The page calls ties non-deterministic; here the first such
    event in input order wins.

``top(field, limit=10, sum, max, percent=false, as, rest, error)``
    Groups on the fields; an event lacking any of them is not counted ("An
    event is not counted if fields are not present").  The value is the
    count (``_count``), or with ``sum=`` the sum of that field (``_sum``), or
    with ``max=`` its maximum (``_max``); ``as`` renames it.  With ``sum`` or
    ``max`` an event whose field is missing or not a number is not counted.
    Rows are sorted by the value, largest first, ties in order of first
    appearance, and the first ``limit`` kept (``limit=max`` is 20,000, the
    row limit).  ``percent=true`` adds ``percent``: the row's value as a
    percentage of the total over all groups.  ``rest=<label>`` adds, when
    groups were left out, one more row whose group fields all hold the label
    and whose value is the left-out groups' count or sum (for ``max``, their
    maximum).  ``error`` only tunes LogScale's approximation warning; the
    offline count is exact, so it is ignored.  At most ``TOP_GROUPS_MAX``
    (1,000,000, groupBy's maximum) distinct groups are counted, so memory is
    bounded whatever the input; groups first seen after that are left out of
    the counts (and of ``rest`` and ``percent``) and warning W402 says so.
"""

from __future__ import annotations

from ..lang.events import Event
from ..lang.values import format_number, parse_number
from ..limits import COLLECT_BYTES_NESTED, COLLECT_BYTES_TOP, ROW_LIMIT_MAX, TOP_GROUPS_MAX
from ..semantics.checked import LIMIT_MAX
from .registry import Aggregator, aggregator, stage_function, streaming

# --- collect -------------------------------------------------------------------------------


@aggregator("collect")
class Collect(Aggregator):
    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.fields = tuple(call.get("fields"))
        self.limit = int(call.get("limit"))
        self.values: dict[str, dict[str, None]] = {name: {} for name in self.fields}
        self.truncated: set[str] = set()
        stages = getattr(getattr(rt, "tree", None), "stages", ())
        top = any(stage is call.node for stage in stages)
        self.budget = COLLECT_BYTES_TOP if top else COLLECT_BYTES_NESTED
        self.used = 0  # UTF-8 bytes of the kept values

    def _add(self, name: str, value: str) -> None:
        seen = self.values[name]
        if value in seen:
            return
        size = len(value.encode("utf-8", "surrogatepass"))
        if len(seen) >= self.limit or self.used + size > self.budget:
            self.truncated.add(name)
            return
        self.used += size
        seen[value] = None

    def step(self, event):
        for name in self.fields:
            value = event.get(name)
            if value is not None:
                self._add(name, value)

    def merge(self, other):
        for name in self.fields:
            for value in other.values[name]:
                self._add(name, value)
        self.truncated |= other.truncated

    def result(self):
        if self.truncated:
            names = ", ".join(sorted(self.truncated))
            self.rt.warn(
                "W410",
                f"collect() kept the first {self.limit} distinct values of {names} "
                f"(at most {self.budget >> 20} MiB); the others were left out",
            )
        out: dict[str, str] = {}
        multival = self.call.get("multival")
        separator = str(self.call.get("separator"))
        for name, seen in self.values.items():
            if not seen:
                continue
            if multival:
                out[name] = separator.join(seen)
            else:
                out.update({f"{name}[{i}]": value for i, value in enumerate(seen)})
        return out or None


# --- selectLast ----------------------------------------------------------------------------


@aggregator("selectLast")
class SelectLast(Aggregator):
    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.fields = tuple(call.get("fields"))
        self.last: dict[str, str] = {}

    def step(self, event):
        for name in self.fields:
            value = event.get(name)
            if value is not None:
                self.last[name] = value

    def merge(self, other):
        # ``other`` saw later events: its values are the more recent ones.
        self.last.update(other.last)

    def result(self):
        if not self.last:
            return None
        return {name: self.last[name] for name in self.fields if name in self.last}


# --- selectFromMax / selectFromMin --------------------------------------------------------------


class _SelectFrom(Aggregator):
    """The include fields of the event with the extreme numeric ``field``."""

    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.field = call.get("field")
        self.include = tuple(call.get("include"))
        self.best: int | float | None = None
        self.selected: dict[str, str] | None = None

    def better(self, candidate, current) -> bool:
        raise NotImplementedError

    def _offer(self, number, selected: dict[str, str]) -> None:
        if self.best is None or self.better(number, self.best):
            self.best, self.selected = number, selected

    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is None:
            return
        selected = {name: event.get(name) for name in self.include}
        if any(value is None for value in selected.values()):
            return
        self._offer(number, selected)  # type: ignore[arg-type]

    def merge(self, other):
        if other.selected is not None:
            self._offer(other.best, other.selected)

    def result(self):
        return None if self.selected is None else dict(self.selected)


@aggregator("selectFromMax")
class SelectFromMax(_SelectFrom):
    def better(self, candidate, current) -> bool:
        return candidate > current


@aggregator("selectFromMin")
class SelectFromMin(_SelectFrom):
    def better(self, candidate, current) -> bool:
        return candidate < current


# --- top --------------------------------------------------------------------------------------


def _top_measure(call) -> tuple[str, str | None, str]:
    """(kind, input field, default output name) of a top() call."""
    if call.given("sum"):
        return "sum", call.get("sum"), "_sum"
    if call.given("max"):
        return "max", call.get("max"), "_max"
    return "count", None, "_count"


def _combine(kind: str, a, b):
    return max(a, b) if kind == "max" else a + b


@stage_function("top")
@streaming("top")
def top(rt, call, events):
    """The groups with the highest count (or sum) in one pass: a list or a
    stream of events, holding one number per group (up to TOP_GROUPS_MAX)."""
    keys = tuple(call.get("field"))
    kind, source, default_output = _top_measure(call)
    output = call.get("as") if call.given("as") else default_output
    groups: dict[tuple[str, ...], int | float] = {}
    overflow = False
    for event in events:
        values = tuple(event.get(k) for k in keys)
        if any(v is None for v in values):
            continue
        if source is None:
            amount: int | float = 1
        else:
            number = parse_number(event.get(source))
            if number is None:
                continue
            amount = number
        group = values  # type: ignore[assignment]
        if group in groups:
            groups[group] = _combine(kind, groups[group], amount)
        elif len(groups) < TOP_GROUPS_MAX:
            groups[group] = amount
        else:
            overflow = True
    if overflow:
        rt.warn(
            "W402",
            f"top() counted the first {TOP_GROUPS_MAX:,} distinct groups; "
            "later groups were left out",
        )
    limit = call.get("limit")
    limit = ROW_LIMIT_MAX if limit == LIMIT_MAX else int(limit)
    ranked = sorted(groups.items(), key=lambda item: item[1], reverse=True)  # stable
    kept, left = ranked[:limit], ranked[limit:]
    rows = [(dict(zip(keys, group, strict=True)), value) for group, value in kept]
    rest = call.get("rest")
    if rest is not None and left:
        value = left[0][1]
        for _, other in left[1:]:
            value = _combine(kind, value, other)
        rows.append(({k: str(rest) for k in keys}, value))
    total = sum(groups.values())
    out = []
    for fields, value in rows:
        fields[output] = format_number(value)
        if call.get("percent"):
            fields["percent"] = format_number(value * 100 / total) if total else "0"
        out.append(Event(fields))
    return out
