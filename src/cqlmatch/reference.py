"""The reference interpreter: a plain tree-walking evaluator of the checked
syntax tree.  It is cqlmatch's executable specification; the bytecode VM must
give the same answers.  Clarity wins over speed here.

Semantics are stated in docs/semantics.md; the main rules, briefly:
- Stages run in order; per-event stages keep input order; an aggregate stage
  consumes its whole input and later stages see its rows as events.
- ``F=v`` is a whole-value, case-sensitive glob; ``F=/re/`` an unanchored
  RE2 search; both are false when F is missing, and ``F!=v`` / ``NOT`` true.
- ``case`` and ``match``: the first branch that emits the event wins; an event
  that no branch emits is dropped.
- ``x := expr`` leaves the event unchanged when the expression has no value
  (a missing operand); ``test()`` drops it.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

# The common stages' implementations; the other modules load on first use.
from .functions import (
    select as _select,  # noqa: F401
    stages as _stages,  # noqa: F401
)
from .functions.registry import AGGREGATE, EVENT, STAGE, STREAMING, VALUE
from .lang.events import Event
from .lang.glob import glob_match
from .lang.regex import CompiledRegex, RegexGaveUp, compile_regex, repeats
from .lang.values import format_bool, format_number, parse_bool, parse_number, unescape_bare
from .semantics.catalogue import lookup
from .semantics.checked import BoundCall, Checked
from .semantics.enrich import Enrichment, EnrichmentError
from .semantics.tags import TagWatch
from .syntax import ast as A


class _TimeBound:
    """A regex only a backtracking engine runs, as the interpreter uses it: a
    search that gives up on a value (``RegexGaveUp``) counts as no match and
    is warned of (W420) instead of ending the run."""

    __slots__ = ("_compiled", "_warn", "translated")

    def __init__(self, compiled: CompiledRegex, warn: Callable[[str, str], None]) -> None:
        self._compiled = compiled
        self._warn = warn
        self.translated = compiled.translated

    def search(self, text: str) -> bool:
        try:
            return self._compiled.search(text)
        except RegexGaveUp as err:
            self._warn(*err.warning)
            return False

    def extract(self, text: str) -> dict[str, str] | None:
        try:
            return self._compiled.extract(text)
        except RegexGaveUp as err:
            self._warn(*err.warning)
            return None

    def extract_all(self, text: str, most: int | None = None) -> list[dict[str, str]]:
        try:
            return self._compiled.extract_all(text, most)
        except RegexGaveUp as err:
            self._warn(*err.warning)
            return []


# Fields free text never searches (besides tags).
_FREE_TEXT_SKIP = frozenset({"@id", "@timestamp", "@ingesttimestamp"})
_ARITHMETIC: dict[str, Callable] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}
# matches a /regex/g literal makes events of: regex(repeat=true)'s default limit
_REPEAT_LIMIT = lookup("regex").param("limit").default
_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class Interpreter:
    """Runs one checked query; holds no per-event state between calls."""

    def __init__(
        self,
        checked: Checked,
        lookups: dict[str, list[dict[str, str]]] | None = None,
        clock: Callable[[], int] | None = None,
        tags: Mapping[str, str] | None = None,
        enrichment: Enrichment | None = None,
    ) -> None:
        """``tags``: the tags of the inputs (``lang.tags``), read by ``#name``
        when an event has neither ``#name`` nor ``name``; ``enrichment``:
        the user's GeoIP, ASN and indicator data (``semantics.enrich``)."""
        self.checked = checked
        self.tree = checked.tree
        self.params = checked.params
        self.lookups = dict(lookups or {})
        self.warnings: list[tuple[str, str]] = []
        self._clock = clock
        self._source: list[Event] = []
        self.tags: dict[str, str] | None = dict(tags) if tags else None
        self.watch = TagWatch(self.tree, self.tags)
        self._enrichment = enrichment
        self._repeating: dict[int, bool] = {}

    # --- the Runtime protocol -------------------------------------------------------

    def regex(self, pattern: str, flags: str) -> CompiledRegex:
        compiled = compile_regex(pattern, flags)
        if compiled.translated.backtracking is None:
            return compiled
        return _TimeBound(compiled, self.warn)  # type: ignore[return-value]

    def warn(self, code: str, message: str) -> None:
        if (code, message) not in self.warnings:
            self.warnings.append((code, message))

    def lookup_table(self, name: str) -> list[dict[str, str]]:
        if name not in self.lookups:
            raise KeyError(name)
        return self.lookups[name]

    def enrichment(self, kind: str) -> Any:
        """The opened data of ``kind`` (``geoip``, ``asn``, ``iocs``); the
        checker refused a query needing data not given (E223)."""
        if self._enrichment is None:
            raise EnrichmentError(kind, f"no {kind} data given")
        return self._enrichment.open(kind)

    def define_table(self, name: str, rows: list[dict[str, str]]) -> None:
        self.lookups[name] = rows

    def source_events(self) -> list[Event]:
        """The whole input of the current run, for sub-queries."""
        return self._source

    def use_source(self, events: list[Event]) -> None:
        """Give sub-queries the whole input of a run another engine makes
        (the VM runs the main pipeline, the interpreter the sub-queries)."""
        self._source = events

    def run_pipeline(self, pipeline: A.Pipeline, events: list[Event]) -> list[Event]:
        return list(self.stages(pipeline.stages, iter(events)))

    def now_millis(self) -> int:
        return self._clock() if self._clock is not None else int(time.time() * 1000)

    # --- entry points ----------------------------------------------------------------

    def run(self, events: Iterable[Event]) -> list[Event]:
        """All output rows or events of the query over ``events``."""
        tags = self.tags
        events = self.watch.watched(events)
        if tags is not None:
            events = (event.tagged(tags) for event in events)
        if self.needs_source():
            events = list(events)
            self.use_source(events)
        out = list(self.stages(self.tree.stages, iter(events)))
        for code, message in self.watch.warnings():
            self.warn(code, message)
        return out

    def needs_source(self) -> bool:
        return self.checked.reads_source

    def match(self, event: Event) -> Event | None:
        """The event as the per-event stages leave it, or None when dropped.
        Stops before the first aggregate stage."""
        stages = []
        for stage in self.tree.stages:
            if self.is_aggregate(stage):
                break
            stages.append(stage)
        out = list(self.stages(tuple(stages), iter([event.tagged(self.tags)])))
        return out[0] if out else None

    # --- pipelines -----------------------------------------------------------------------

    def stages(self, stages: tuple[A.Node, ...], stream: Iterator[Event]) -> Iterator[Event]:
        for stage in stages:
            stream = self.stage(stage, stream)
        return stream

    def is_aggregate(self, stage: A.Node) -> bool:
        if isinstance(stage, A.Array):
            return True
        binding = self.checked.bindings.get(id(stage))
        return binding is not None and binding.spec.kind in ("aggregate", "stage")

    def stage(self, stage: A.Node, stream: Iterator[Event]) -> Iterator[Event]:
        if self.is_aggregate(stage):
            rows = self.aggregate_streamed(stage, stream)
            if rows is None:
                rows = self.aggregate_stage(stage, list(stream))
            return iter(rows)
        return (out for event in stream for out in self.per_event(stage, event))

    def per_event(self, stage: A.Node, event: Event) -> list[Event]:
        if isinstance(stage, A.Case):
            for branch in stage.branches:
                out = list(self.stages(branch.stages, iter([event])))
                if out:
                    return out
            return []
        if isinstance(stage, A.MatchStmt):
            value = event.get(stage.field)
            for arm in stage.arms:
                if self.match_pattern(arm.pattern, value, event):
                    out = list(self.stages(arm.body.stages, iter([event])))
                    if out:
                        return out
            return []
        binding = self.checked.bindings.get(id(stage))
        if binding is not None:
            return self.call(binding, event)
        if isinstance(stage, A.Assign):
            value = self.eval(stage.value, event)
            return [event if value is None else event.with_fields({stage.field: value})]
        if self.repeating(stage):
            return self.filter_all(stage, event)
        kept = self.filter(stage, event)
        return [] if kept is None else [kept]

    def repeating(self, node: A.Node) -> bool:
        """Whether a filter stage holds a /regex/g literal with named groups,
        which makes one event per match (cached per node)."""
        known = self._repeating.get(id(node))
        if known is None:
            known = any(
                isinstance(n, A.FieldFilter | A.FreeText)
                and isinstance(n.value, A.Regex)
                and repeats(n.value.pattern, n.value.flags)
                for n in A.walk(node)
            )
            self._repeating[id(node)] = known
        return known

    def filter_all(self, node: A.Node, event: Event) -> list[Event]:
        """Every event a filter stage makes of ``event``: as ``filter``, but a
        /regex/g literal with named groups yields one event per match (the
        first ``limit`` matches of regex(repeat=true)'s default), each with
        that match's fields; the filters after it see each of them."""
        if isinstance(node, A.And):
            events = [event]
            for item in node.items:
                events = [out for e in events for out in self.filter_all(item, e)]
            return events
        if isinstance(node, A.Or):
            for item in node.items:
                out = self.filter_all(item, event)
                if out:
                    return out
            return []
        regex = node.value if isinstance(node, A.FieldFilter | A.FreeText) else None
        if (
            isinstance(regex, A.Regex)
            and repeats(regex.pattern, regex.flags)
            and (isinstance(node, A.FreeText) or node.op == "=")
        ):
            compiled = self.regex(regex.pattern, regex.flags)
            texts = self.searchable(event) if isinstance(node, A.FreeText) else ()
            if isinstance(node, A.FieldFilter):
                value = event.get(node.field)
                texts = () if value is None else (value,)
            for text in texts:
                matches = compiled.extract_all(text, _REPEAT_LIMIT)
                if matches:
                    return [event.with_fields(groups) for groups in matches]
            return []
        kept = self.filter(node, event)
        return [] if kept is None else [kept]

    def match_pattern(self, pattern: A.Node, value: str | None, event: Event) -> bool:
        if isinstance(pattern, A.Bare) and pattern.text == "*":
            return True
        if value is None:
            return False
        if isinstance(pattern, A.Regex):
            return self.regex(pattern.pattern, pattern.flags).search(value)
        if isinstance(pattern, A.Call):
            return bool(self.call(self.checked.binding(pattern), event))
        text = self.literal(pattern)
        return text is not None and glob_match(text, value)

    def literal(self, node: A.Node) -> str | None:
        if isinstance(node, A.Str):
            return node.value
        if isinstance(node, A.Bare):
            return unescape_bare(node.text)
        if isinstance(node, A.Number):
            return node.text
        if isinstance(node, A.Param):
            return self.param_value(node)
        return None

    def param_value(self, node: A.Param) -> str:
        value = self.params.get(node.name, node.default)
        assert value is not None, "the checker guarantees parameter values"
        return value

    # --- calls -----------------------------------------------------------------------------

    def call(self, binding: BoundCall, event: Event) -> list[Event]:
        name = binding.spec.name.lower()
        if binding.extension == "drop-event":
            return []
        fn = EVENT.get(name)
        if fn is not None:
            return fn(self, binding, event)
        value_fn = VALUE.get(name)
        if value_fn is not None:
            value = value_fn(self, binding, event)
            target = str(binding.get("as", binding.spec.output))
            return [event if value is None else event.with_fields({target: value})]
        raise NotImplementedError(f"{binding.spec.name}() has no implementation")

    def aggregate_streamed(self, stage: A.Node, stream: Iterator[Event]) -> list[Event] | None:
        """The stage's rows consuming ``stream`` event by event, holding only
        what its own limits bound (head, tail, sort, aggregates alone), or
        None, with nothing consumed, when the stage needs its whole input."""
        if isinstance(stage, A.Array):
            if not all(isinstance(item, A.Call) for item in stage.items):
                return None
            calls = tuple(self.checked.binding(item) for item in stage.items)
            return STREAMING["stats"](self, _stats_call(calls, stage), stream)
        binding = self.checked.binding(stage)
        name = binding.spec.name.lower()
        if name in STREAMING:
            return STREAMING[name](self, binding, stream)
        if name in AGGREGATE and name not in STAGE:
            return STREAMING["stats"](self, _stats_call((binding,), stage), stream)
        return None

    def aggregate_stage(self, stage: A.Node, events: list[Event]) -> list[Event]:
        if isinstance(stage, A.Array):
            items = tuple(
                item.query if isinstance(item, A.SubQuery) else self.checked.binding(item)
                for item in stage.items
            )
            return STAGE["stats"](self, _stats_call(items, stage), events)
        binding = self.checked.binding(stage)
        name = binding.spec.name.lower()
        fn = STAGE.get(name)
        if fn is not None:
            return fn(self, binding, events)
        if name in AGGREGATE:
            return STAGE["stats"](self, _stats_call((binding,), stage), events)
        raise NotImplementedError(f"{binding.spec.name}() has no implementation")

    # --- filters ------------------------------------------------------------------------------

    def filter(self, node: A.Node, event: Event) -> Event | None:
        """``event`` (possibly with extracted fields) when it passes, else None."""
        if isinstance(node, A.And):
            current: Event | None = event
            for item in node.items:
                current = self.filter(item, current)
                if current is None:
                    return None
            return current
        if isinstance(node, A.Or):
            for item in node.items:
                kept = self.filter(item, event)
                if kept is not None:
                    return kept
            return None
        if isinstance(node, A.Not):
            return event if self.filter(node.operand, event) is None else None
        if isinstance(node, A.Bool):
            return event if node.value else None
        if isinstance(node, A.FieldFilter):
            return self.field_filter(node, event)
        if isinstance(node, A.FreeText):
            return self.free_text(node.value, event)
        if isinstance(node, A.Call):
            out = self.call(self.checked.binding(node), event)
            return out[0] if out else None
        raise TypeError(f"not a filter: {type(node).__name__}")

    def field_filter(self, node: A.FieldFilter, event: Event) -> Event | None:
        value = event.get(node.field)
        op = node.op
        if op == "!=":
            positive = A.FieldFilter(node.field, "=", node.value)
            return event if self.field_filter(positive, event) is None else None
        if value is None:
            return None
        target = node.value
        if isinstance(target, A.Regex):
            compiled = self.regex(target.pattern, target.flags)
            if not compiled.translated.group_fields:
                return event if compiled.search(value) else None
            groups = compiled.extract(value)
            return None if groups is None else event.with_fields(groups)
        text = self.literal(target)
        assert text is not None
        if op == "=":
            return event if glob_match(text, value) else None
        if op == "like":
            return event if glob_match(f"*{text}*", value) else None
        left, right = parse_number(value), parse_number(text)
        if left is None or right is None:
            return None
        return event if _ORDERING[op](left, right) else None

    def free_text(self, value: A.Node, event: Event) -> Event | None:
        if isinstance(value, A.Regex):
            compiled = self.regex(value.pattern, value.flags)
            for text in self.searchable(event):
                if compiled.translated.group_fields:
                    groups = compiled.extract(text)
                    if groups is not None:
                        return event.with_fields(groups)
                elif compiled.search(text):
                    return event
            return None
        text = self.literal(value)
        assert text is not None
        if text == "*":
            return event
        pattern = f"*{text}*"
        return event if any(glob_match(pattern, t) for t in self.searchable(event)) else None

    def searchable(self, event: Event) -> Iterator[str]:
        """What free text searches: @rawstring first, then the other fields
        the event had at pipeline start (not tags, not @id/@timestamp)."""
        raw = event.origin.get("@rawstring", event.raw)
        if raw is not None:
            yield raw
        for name, text in event.origin.items():
            if name.startswith("#") or name in _FREE_TEXT_SKIP or name == "@rawstring":
                continue
            yield text

    # --- expressions ---------------------------------------------------------------------------

    def truth(self, node: A.Node, event: Event) -> bool:
        if isinstance(node, A.FieldFilter):
            return self.field_filter(node, event) is not None
        return parse_bool(self.eval(node, event)) is True

    def eval(self, node: A.Node, event: Event) -> str | None:
        """The value of an expression, or None when it has none."""
        if isinstance(node, A.Str):
            return node.value
        if isinstance(node, A.Number):
            return node.text
        if isinstance(node, A.Bool):
            return format_bool(node.value)
        if isinstance(node, A.Bare):
            return event.get(node.text)
        if isinstance(node, A.Param):
            return self.param_value(node)
        if isinstance(node, A.FieldFilter):
            return format_bool(self.truth(node, event))
        if isinstance(node, A.Unary):
            if node.op == "!":
                return format_bool(not self.truth(node.operand, event))
            number = parse_number(self.eval(node.operand, event))
            if number is None:
                return None
            return format_number(-number if node.op == "-" else number)
        if isinstance(node, A.Binary):
            return self.binary(node, event)
        if isinstance(node, A.Call):
            binding = self.checked.binding(node)
            value_fn = VALUE.get(binding.spec.name.lower())
            if value_fn is not None:
                return value_fn(self, binding, event)
            return format_bool(bool(self.call(binding, event)))
        raise TypeError(f"not an expression: {type(node).__name__}")

    def binary(self, node: A.Binary, event: Event) -> str | None:
        op = node.op
        if op == "and":
            return format_bool(self.truth(node.left, event) and self.truth(node.right, event))
        if op == "or":
            return format_bool(self.truth(node.left, event) or self.truth(node.right, event))
        left = self.eval(node.left, event)
        right = self.eval(node.right, event)
        if left is None or right is None:
            return None if op in _ARITHMETIC else format_bool(False)
        if op in _ARITHMETIC:
            a, b = parse_number(left), parse_number(right)
            if a is None or b is None or (op in "/%" and b == 0):
                return None
            return format_number(_ARITHMETIC[op](a, b))
        a, b = parse_number(left), parse_number(right)
        numeric = a is not None and b is not None
        if op in ("==", "!="):
            equal = a == b if numeric else left == right
            return format_bool(equal if op == "==" else not equal)
        if op in _ORDERING:
            if numeric:
                return format_bool(_ORDERING[op](a, b))
            if a is None and b is None:
                return format_bool(_ORDERING[op](left, right))
            return format_bool(False)  # a number against text: not comparable
        return None


def _stats_call(calls: tuple, node: A.Node) -> BoundCall:
    from .semantics.catalogue import lookup

    spec = lookup("stats")
    assert spec is not None
    return BoundCall(spec, node, args={"function": calls})
