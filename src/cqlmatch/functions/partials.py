"""Mergeable states of the first aggregate stage, for a query run in parts.

A part of the input (a file, a byte range, a Spark partition) runs the
per-event code and folds what it keeps into the state of the first
aggregate stage; states of consecutive parts merge, the earlier first, into
the state one pass over both parts would have; the stage's rows come from
the merged state.  Each state holds only what the stage's own limits bound:

``head(N)``      the first N events (a part stops being read once it has N)
``tail(N)``      the last N events
``sort``/``table``  the first ``limit`` events in sort order (ties in input
                 order: merging the earlier part's events first keeps them so)
``stats``, one aggregate alone (``count``, ``collect``, ``selectLast`` ...)
                 the aggregators' own states, merged with ``Aggregator.merge``
``groupBy`` with aggregates only
                 per group (in order of first appearance) its aggregators;
                 a part keeps up to ``PARTIAL_GROUPS`` groups whatever the
                 stage's limit (a group first seen late in one part may come
                 early in the whole) and the rows apply the limit
anything else    (``neighbor``, ``transpose``, ``groupBy`` with a sub-pipeline)
                 the part's kept events, all of them: such a stage needs
                 its whole input, so it is not bounded

``dump``/``load`` turn a state into plain values (``msgspec`` encodes them;
``runtime.partial`` frames them) and back, given the same checked query.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import islice
from typing import Any

from ..codes import W401
from ..lang.events import Event
from ..lang.exactsum import ExactSum
from ..limits import GROUP_LIMIT_MAX, PARTIAL_GROUPS
from ..semantics.checked import LIMIT_MAX, BoundCall
from ..syntax import ast as A
from .aggregates import Combined
from .registry import AGGREGATE, STAGE, Aggregator
from .stages import default_count, first_sorted, only_aggregates, sort_spec, table as table_stage


def event_data(event: Event) -> list[Any]:
    """An event as plain values: fields, raw line, and the fields free-text
    search reads when they differ."""
    origin = None if event.origin is event.fields else event.origin
    return [event.fields, event.raw, origin]


def event_of(data: list[Any]) -> Event:
    fields, raw, origin = data
    return Event(fields, raw, origin)


class StageState:
    """The state of one aggregate stage over the parts folded so far."""

    kind = ""

    def __init__(self, rt: Any, stage: A.Node, call: BoundCall | None) -> None:
        self.rt = rt
        self.stage = stage
        self.call = call

    @property
    def full(self) -> bool:
        """Whether later events can change nothing (a full ``head``)."""
        return False

    @property
    def overflow(self) -> bool:
        """Whether the state dropped something a merge would need."""
        return False

    def add(self, events: Iterable[Event]) -> None:
        raise NotImplementedError

    def merge(self, other: StageState) -> None:
        """Fold in ``other``, the state of the parts right after these."""
        raise NotImplementedError

    def rows(self) -> list[Event]:
        raise NotImplementedError

    def dump(self) -> Any:
        raise NotImplementedError

    def load(self, data: Any) -> None:
        raise NotImplementedError


class _Events(StageState):
    """A list of events (the kept ones, the first or the last N)."""

    def __init__(self, rt, stage, call):
        super().__init__(rt, stage, call)
        self.events: list[Event] = []

    def dump(self):
        return [event_data(e) for e in self.events]

    def load(self, data):
        self.events = [event_of(d) for d in data]


class Kept(_Events):
    """Every kept event: the stage runs over all of them at the end."""

    kind = "kept"

    def add(self, events):
        self.events.extend(events)

    def merge(self, other):
        self.events.extend(other.events)

    def rows(self):
        if self.stage is None:
            return self.events
        return list(self.rt.stage(self.stage, iter(self.events)))


def _limit(call: BoundCall) -> int:
    from .stages import _row_limit

    return _row_limit(call.get("limit"))


class Head(_Events):
    kind = "head"

    def __init__(self, rt, stage, call):
        super().__init__(rt, stage, call)
        self.limit = _limit(call)

    @property
    def full(self):
        return len(self.events) >= self.limit

    def add(self, events):
        if not self.full:
            self.events.extend(islice(events, self.limit - len(self.events)))

    def merge(self, other):
        self.add(other.events)

    def rows(self):
        return list(self.events)


class Tail(_Events):
    kind = "tail"

    def __init__(self, rt, stage, call):
        super().__init__(rt, stage, call)
        self.limit = _limit(call)

    def add(self, events):
        if not self.limit:
            for _ in events:
                pass
            return
        kept = deque(self.events, maxlen=self.limit)
        kept.extend(events)
        self.events = list(kept)

    def merge(self, other):
        self.add(other.events)

    def rows(self):
        return list(self.events)


class Sorted(_Events):
    """``sort`` (and ``table``): the first ``limit`` events in sort order.
    ``first_sorted`` over (earlier events, later events) keeps ties in that
    order, so merging consecutive parts gives one pass's rows."""

    kind = "sort"

    def __init__(self, rt, stage, call):
        super().__init__(rt, stage, call)
        self.is_table = call.spec.name.lower() == "table"
        if self.is_table:
            sortby = call.get("sortby")
            fields = (sortby,) if isinstance(sortby, str) else tuple(sortby)
            orders = [o.lower() for o in call.get("order")] or ["desc"]
            kinds = [t.lower() for t in call.get("type")] or ["any"]
            orders += orders[-1:] * (len(fields) - len(orders))
            kinds += kinds[-1:] * (len(fields) - len(kinds))
            self.spec = (fields, tuple(orders), tuple(kinds), _limit(call))
        else:
            self.spec = sort_spec(call)

    def add(self, events):
        fields, orders, types, limit = self.spec
        chained = [*self.events, *events]
        self.events = first_sorted(iter(chained), fields, orders, types, limit)

    def merge(self, other):
        self.add(other.events)

    def rows(self):
        if self.is_table:  # the table's own projection of the kept events
            return table_stage(self.rt, self.call, iter(self.events))
        return list(self.events)


def _aggregator_state(agg: Aggregator) -> dict[str, Any]:
    """An aggregator's state as plain values (what ``_restore`` reads)."""
    if isinstance(agg, Combined):
        return {"parts": [_aggregator_state(part) for part in agg.parts]}
    out = {}
    for name, value in vars(agg).items():
        if name in ("rt", "call") or isinstance(value, tuple):
            continue  # the call's constants, made again by the constructor
        out[name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    """``value`` in what msgpack carries; every dict made is a tag."""
    if isinstance(value, set):
        return {"set": sorted(value)}
    if isinstance(value, ExactSum):
        return {
            "exactsum": [
                value.ints,
                value.floats,
                value.saw_float,
                value.special,
                None
                if value.overflowed is None
                else [value.overflowed.numerator, value.overflowed.denominator],
            ]
        }
    if isinstance(value, dict):
        return {"dict": [[k, _plain(v)] for k, v in value.items()]}
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict):
        if "set" in value:
            return set(value["set"])
        if "dict" in value:
            return {k: _unplain(v) for k, v in value["dict"]}
        if "exactsum" in value:
            from fractions import Fraction

            ints, floats, saw_float, special, overflowed = value["exactsum"]
            total = ExactSum()
            total.ints, total.floats, total.saw_float, total.special = (
                ints,
                list(floats),
                saw_float,
                special,
            )
            total.overflowed = None if overflowed is None else Fraction(*overflowed)
            return total
    return value


def _restore(agg: Aggregator, state: dict[str, Any]) -> None:
    if isinstance(agg, Combined):
        for part, saved in zip(agg.parts, state["parts"], strict=True):
            _restore(part, saved)
        return
    for name, value in state.items():
        setattr(agg, name, _unplain(value))


class Aggregates(StageState):
    """``stats`` or one aggregate alone: the aggregators' states."""

    kind = "stats"

    def __init__(self, rt, stage, call):
        super().__init__(rt, stage, call)
        self.agg = Combined(rt, call, call.get("function") or ())

    def add(self, events):
        step = self.agg.step
        for event in events:
            step(event)

    def merge(self, other):
        self.agg.merge(other.agg)

    def rows(self):
        fields = self.agg.result()
        return [] if fields is None else [Event(fields)]

    def dump(self):
        return _aggregator_state(self.agg)

    def load(self, data):
        _restore(self.agg, data)


class Groups(StageState):
    """``groupBy`` with aggregates only: the groups in order of first
    appearance, each with its aggregators (see the module docstring)."""

    kind = "groupBy"

    def __init__(self, rt, stage, call):
        super().__init__(rt, stage, call)
        self.items = call.get("function") if call.given("function") else default_count(call)
        self.keys = tuple(call.get("field"))
        limit = call.get("limit")
        self.limit = GROUP_LIMIT_MAX if limit == LIMIT_MAX else int(limit)
        self.keep = max(self.limit, PARTIAL_GROUPS)
        self.groups: dict[tuple[str, ...], Combined] = {}
        self._overflow = False  # a part's own groups passed ``keep``
        self.dropped = False  # a merge left groups out (all past the limit)

    @property
    def overflow(self):
        return self._overflow

    def _group(self, values: tuple[str, ...], merging: bool = False) -> Combined | None:
        state = self.groups.get(values)
        if state is None:
            if len(self.groups) >= self.keep:
                if merging:
                    self.dropped = True
                else:
                    self._overflow = True
                return None
            state = self.groups[values] = Combined(self.rt, self.call, self.items)
        return state

    def add(self, events):
        keys = self.keys
        for event in events:
            values = tuple(event.get(k) for k in keys)
            if any(v is None for v in values):
                continue
            state = self._group(values)  # type: ignore[arg-type]
            if state is not None:
                state.step(event)

    def merge(self, other):
        for values, theirs in other.groups.items():
            mine = self._group(values, merging=True)
            if mine is not None:
                mine.merge(theirs)
        self._overflow = self._overflow or other._overflow
        self.dropped = self.dropped or other.dropped

    def rows(self):
        if len(self.groups) > self.limit or self.dropped:
            self.rt.warn("W401", W401.format(self.limit))
        rows = []
        for values, state in islice(self.groups.items(), self.limit):
            fields = state.result()
            if fields is not None:
                row = dict(zip(self.keys, values, strict=True))
                row.update(fields)
                rows.append(Event(row))
        return rows

    def dump(self):
        return [
            [list(values), _aggregator_state(state)] for values, state in self.groups.items()
        ] + [self._overflow, self.dropped]

    def load(self, data):
        self.groups = {}
        *entries, self._overflow, self.dropped = data
        for values, saved in entries:
            state = Combined(self.rt, self.call, self.items)
            _restore(state, saved)
            self.groups[tuple(values)] = state


_BY_NAME: dict[str, type[StageState]] = {
    "head": Head,
    "tail": Tail,
    "sort": Sorted,
    "table": Sorted,
    "groupby": Groups,
    "stats": Aggregates,
}


def _stats(calls: tuple[BoundCall, ...], node: A.Node) -> BoundCall:
    """A ``stats`` call over ``calls`` (an aggregate alone, ``[a(), b()]``)."""
    from ..semantics.catalogue import lookup

    spec = lookup("stats")
    assert spec is not None
    return BoundCall(spec, node, args={"function": calls})


def stage_state(rt: Any, checked: Any, stage: A.Node | None) -> StageState:
    """The mergeable state of ``stage`` (the first aggregate stage; None:
    the query has none, its kept events are its output) for interpreter
    ``rt`` of ``checked``."""
    if stage is None:
        return Kept(rt, None, None)
    if isinstance(stage, A.Array):
        if all(isinstance(item, A.Call) for item in stage.items):
            calls = tuple(checked.binding(item) for item in stage.items)
            if only_aggregates(calls):
                return Aggregates(rt, stage, _stats(calls, stage))
        return Kept(rt, stage, None)
    call = checked.binding(stage)
    name = call.spec.name.lower()
    if name in AGGREGATE and name not in STAGE:
        return Aggregates(rt, stage, _stats((call,), stage))
    cls = _BY_NAME.get(name)
    if cls is Groups:
        items = call.get("function") if call.given("function") else default_count(call)
        if not only_aggregates(items):
            cls = None
    elif cls is Aggregates and not only_aggregates(call.get("function") or ()):
        cls = None
    return Kept(rt, stage, call) if cls is None else cls(rt, stage, call)
