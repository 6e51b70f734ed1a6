"""Whole-stream functions: groupBy, stats, sort, head, tail, table, sankey,
neighbor and transpose.

``neighbor(include, prefix=_neighbor, direction, distance=1)``
    Adds ``<prefix>.<field>`` from the event ``distance`` before or after
    (W486 when ``distance`` is above its maximum).

``transpose(pivot, header, column=column, limit=5)``
    One row per field name of the first ``limit`` rows (at most 1000, W489
    above), names in code point order, the name in ``column`` and the values
    in ``row[1]``, ``row[2]`` ... (page example), or in fields named by each
    row's ``header`` value; ``pivot=F`` is ``header=F, column=F``.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable
from itertools import islice

from ..codes import W401
from ..lang.events import Event
from ..lang.values import parse_number
from ..limits import (
    GROUP_LIMIT_MAX,
    NEIGHBOR_DISTANCE_MAX,
    ROW_LIMIT_MAX,
    TRANSPOSE_LIMIT_MAX,
)
from ..semantics.catalogue import lookup
from ..semantics.checked import LIMIT_MAX, BoundCall
from .aggregates import Combined
from .registry import STAGE, stage_function, streaming

#: groupBy()'s warning when its group limit is reached (both engines word it so).


def default_count(call: BoundCall) -> tuple[BoundCall, ...]:
    """``function=``'s default: ``count()``."""
    spec = lookup("count")
    assert spec is not None
    return (BoundCall(spec, call.node),)


def only_aggregates(items) -> bool:
    return all(isinstance(i, BoundCall) and i.spec.kind == "aggregate" for i in items)


def fold_aggregates(rt, call, items, events: Iterable[Event]) -> list[dict[str, str]]:
    """Aggregates alone over events in one pass: at most one row."""
    agg = Combined(rt, call, items)
    for event in events:
        agg.step(event)
    fields = agg.result()
    return [] if fields is None else [fields]


def apply_function(rt, call, items, events: list[Event]) -> list[dict[str, str]]:
    """Run a groupBy/stats ``function=`` over a list of events.

    Aggregates alone give at most one row (none when no aggregate had
    input).  A stage function (``tail(1)``) or a composite ``{ ... }``
    sub-pipeline gives the rows it outputs.  Several items combine as the
    stats() page says: the Cartesian product of their outputs, an item
    with no row counting as one empty row (``[avg(x), table([x])]`` gives
    every row of the table with ``_avg``); no row when no item gave one."""
    if only_aggregates(items):
        return fold_aggregates(rt, call, items, events)
    outputs = []
    for item in items:
        if isinstance(item, BoundCall) and item.spec.kind == "aggregate":
            outputs.append(apply_function(rt, call, (item,), events))
        elif isinstance(item, BoundCall):
            outputs.append(
                [e.fields for e in STAGE[item.spec.name.lower()](rt, item, list(events))]
            )
        else:
            outputs.append([e.fields for e in rt.run_pipeline(item, list(events))])
    if len(outputs) == 1:
        return outputs[0]
    if not any(outputs):
        return []
    combined: list[dict[str, str]] = [{}]
    for rows in outputs:
        combined = [{**left, **right} for left in combined for right in rows or [{}]]
    return combined


@stage_function("stats")
def stats(rt, call, events):
    return [Event(row) for row in apply_function(rt, call, call.get("function") or (), events)]


@streaming("stats")
def stats_stream(rt, call, stream):
    items = call.get("function") or ()
    if not only_aggregates(items):
        return None
    return [Event(row) for row in fold_aggregates(rt, call, items, stream)]


@stage_function("groupBy")
def group_by(rt, call, events):
    keys = call.get("field")
    items = call.get("function") if call.given("function") else default_count(call)
    limit = call.get("limit")
    if limit == LIMIT_MAX:
        limit = GROUP_LIMIT_MAX
    groups: dict[tuple[str, ...], list[Event]] = {}
    for event in events:
        values = tuple(event.get(k) for k in keys)
        if any(v is None for v in values):
            continue  # an event lacking a group field counts toward no group
        members = groups.get(values)  # type: ignore[arg-type]
        if members is None:
            if len(groups) >= limit:
                rt.warn("W401", W401.format(limit))
                continue
            members = groups[values] = []  # type: ignore[index]
        members.append(event)
    rows = []
    for values, members in groups.items():
        for fields in apply_function(rt, call, items, members):
            row = dict(zip(keys, values, strict=True))
            row.update(fields)
            rows.append(Event(row))
    return rows


@streaming("groupBy")
def group_by_stream(rt, call, stream):
    """``group_by`` folding as it goes: one state per group (aggregates
    alone), the same rows in the same order, memory bounded by the group
    limit and each aggregate's own caps."""
    items = call.get("function") if call.given("function") else default_count(call)
    if not only_aggregates(items):
        return None
    keys = call.get("field")
    limit = call.get("limit")
    if limit == LIMIT_MAX:
        limit = GROUP_LIMIT_MAX
    groups: dict[tuple[str, ...], Combined] = {}
    for event in stream:
        values = tuple(event.get(k) for k in keys)
        if any(v is None for v in values):
            continue
        state = groups.get(values)  # type: ignore[arg-type]
        if state is None:
            if len(groups) >= limit:
                rt.warn("W401", W401.format(limit))
                continue
            state = groups[values] = Combined(rt, call, items)  # type: ignore[index]
        state.step(event)
    rows = []
    for values, state in groups.items():
        fields = state.result()
        if fields is not None:
            row = dict(zip(keys, values, strict=True))
            row.update(fields)
            rows.append(Event(row))
    return rows


@stage_function("head")
def head(rt, call, events):
    return events[: _row_limit(call.get("limit"))]


@stage_function("tail")
def tail(rt, call, events):
    limit = _row_limit(call.get("limit"))
    return events[-limit:] if limit else []


@streaming("head")
def head_stream(rt, call, stream):
    """The first N, reading no further: nothing after head() sees the rest,
    so the input stops there (the run's stats count what was read, and
    warnings and malformed lines past that point are not looked for)."""
    return list(islice(stream, _row_limit(call.get("limit"))))


@streaming("tail")
def tail_stream(rt, call, stream):
    limit = _row_limit(call.get("limit"))
    if not limit:
        for _ in stream:
            pass
        return []
    return list(deque(stream, maxlen=limit))


def _row_limit(limit) -> int:
    return ROW_LIMIT_MAX if limit == LIMIT_MAX else int(limit)


def sort_key(value: str, kind: str) -> tuple[int, object]:
    """(class, key) for one value.  Under ``number`` numbers are
    class 0 and everything else class 1; ``hex`` reads base 16; ``string``
    compares code points.  Classes always ascend, whatever the order."""
    if kind == "string":
        return (0, value)
    if kind == "hex":
        try:
            return (0, int(value, 16))
        except ValueError:
            return (1, value)
    number = parse_number(value)
    return (0, number) if number is not None else (1, value)


def sort_events(events, fields, orders, types):
    """Stable multi-key sort; events missing a key go last whatever the order,
    and under ``number`` non-numbers go after numbers.

    One stable pass per key, last key first, gives the lexicographic order
    with ties in input order; each value's key is computed once.  A pass
    for ``desc`` sorts in reverse (which Python keeps stable) on keys built
    so that missing values and the non-number class still come last."""
    ordered = list(events)
    for name, order, kind in reversed(list(zip(fields, orders, types, strict=True))):
        if order == "desc":
            ordered.sort(key=lambda e, n=name, k=kind: _descending_key(e.get(n), k), reverse=True)
        else:
            ordered.sort(key=lambda e, n=name, k=kind: _ascending_key(e.get(n), k))
    return ordered


def _ascending_key(value, kind):
    if value is None:
        return (1,)
    category, key = sort_key(value, kind)
    return (0, category, key)


def _descending_key(value, kind):
    """Sorted in reverse: missing values smallest, classes negated."""
    if value is None:
        return (0,)
    category, key = sort_key(value, kind)
    return (1, -category, key)


class _Reversed:
    """A key that orders the other way round (for a ``desc`` field)."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other):
        return other.key < self.key

    def __eq__(self, other):
        return self.key == other.key


def first_sorted(events, fields, orders, types, limit):
    """``sort_events(events, ...)[:limit]`` in one pass holding ``limit`` events.

    The passes of sort_events order by the fields' keys lexicographically,
    ties in input order; heapq.nsmallest orders by one key tuple the same
    way (it is documented as ``sorted(iterable, key=key)[:n]``, stable)."""
    if limit <= 0:
        for _ in events:
            pass
        return []
    spec = tuple(zip(fields, orders, types, strict=True))

    def key(event):
        return tuple(
            _Reversed(_descending_key(event.get(name), kind))
            if order == "desc"
            else _ascending_key(event.get(name), kind)
            for name, order, kind in spec
        )

    return heapq.nsmallest(limit, events, key=key)


def _parallel(values, n, default):
    values = tuple(values) if values else (default,)
    return values + (values[-1],) * (n - len(values))


def _orders(call, n: int) -> tuple[str, ...]:
    """One order per sort field; the deprecated ``reverse=`` counts when
    ``order=`` is not given (``reverse=true`` is descending)."""
    if call.get("reverse") is not None and not call.given("order"):
        return _parallel(("desc" if call.get("reverse") else "asc",), n, "desc")
    return _parallel(call.get("order"), n, "desc")


def sort_spec(call) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int]:
    """sort()'s fields, their orders and types (one each), and its row limit."""
    fields = tuple(call.get("field"))
    orders = _orders(call, len(fields))
    types = _parallel([t.lower() for t in call.get("type")], len(fields), "number")
    return fields, orders, types, _row_limit(call.get("limit"))


@stage_function("sort")
def sort(rt, call, events):
    fields, orders, types, limit = sort_spec(call)
    return sort_events(events, fields, orders, types)[:limit]


@streaming("sort")
def sort_stream(rt, call, stream):
    fields, orders, types, limit = sort_spec(call)
    return first_sorted(stream, fields, orders, types, limit)


@stage_function("table")
@streaming("table")
def table(rt, call, stream):
    """The ``fields`` of the first ``limit`` events by ``sortby``, holding
    only those rows (a heap, as sort) whether given a list or a stream."""
    fields = call.get("fields")
    sortby = call.get("sortby")
    if isinstance(sortby, str):
        sortby = (sortby,)
    orders = _orders(call, len(sortby))
    kinds = _parallel([t.lower() for t in call.get("type")], len(sortby), "number")
    first = first_sorted(iter(stream), sortby, orders, kinds, _row_limit(call.get("limit")))
    return [Event({f: v for f in fields if (v := event.get(f)) is not None}) for event in first]


@stage_function("sankey")
def sankey(rt, call, events):
    """Edges for a Sankey diagram: one row per (source, target) pair with
    fields ``source``, ``target`` and ``weight`` (the first output of the
    weight aggregate, ``count()`` by default)."""
    source, target = call.get("source"), call.get("target")
    items = call.get("weight") if call.given("weight") else default_count(call)
    pairs: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        s, t = event.get(source), event.get(target)
        if s is not None and t is not None:
            pairs.setdefault((s, t), []).append(event)
    rows = []
    for (s, t), members in pairs.items():
        for fields in apply_function(rt, call, items, members):
            weight = next(iter(fields.values()), None)
            if weight is not None:
                rows.append(Event({"source": s, "target": t, "weight": weight}))
    return rows


@stage_function("neighbor")
def neighbor(rt, call, events):
    include = call.get("include")
    prefix = str(call.get("prefix") or "")
    distance = int(call.get("distance"))
    if distance > NEIGHBOR_DISTANCE_MAX:
        rt.warn("W486", f"neighbor() distance is at most {NEIGHBOR_DISTANCE_MAX}")
        distance = NEIGHBOR_DISTANCE_MAX
    step = distance if call.get("direction") == "succeeding" else -distance
    out = []
    for index, event in enumerate(events):
        other = index + step
        updates = {}
        if 0 <= other < len(events):
            for name in include:
                value = events[other].get(name)
                if value is not None:
                    updates[f"{prefix}.{name}" if prefix else name] = value
        out.append(event.with_fields(updates) if updates else event)
    return out


@stage_function("transpose")
def transpose(rt, call, events):
    limit = int(call.get("limit"))
    if limit > TRANSPOSE_LIMIT_MAX:
        rt.warn("W489", f"transpose() limit is at most {TRANSPOSE_LIMIT_MAX}")
        limit = TRANSPOSE_LIMIT_MAX
    pivot = call.get("pivot")
    header = pivot or call.get("header")
    column = pivot or str(call.get("column"))
    rows = events[:limit]
    names = sorted({name for row in rows for name in row.fields} - {header})
    out = []
    for name in names:
        fields = {column: name}
        for number, row in enumerate(rows, 1):
            value = row.fields.get(name)
            if value is None:
                continue
            title = row.fields.get(header) if header else None
            fields[title if title is not None else f"row[{number}]"] = value
        out.append(Event(fields))
    return out
