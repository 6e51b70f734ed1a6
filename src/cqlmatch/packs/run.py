"""Running a pack: one read of the events for all its rules.

The events are read and decoded once (``runtime.query.read_inputs``; only the
fields the native rules read when that suffices, ``pack_fields``, and for a
rule with a slow path its events decoded whole).  One automaton
holds every rule's literal groups (``Candidates``, over
``cqlmatch._candidates``: a rule is a candidate for a line that holds a
literal of each of the groups it looks for).  It serves twice: as the
shared prefilter (``gate.CandidateGate``: a line no rule is a candidate
for is not decoded; a rule with no literal to look for turns it off), and
batch by batch over the decoded events' lines, to say which rules each
event is a candidate for (for a line the prefilter kept, the rules it found
then, not looked for again).  Each event's type is read once (``routing``),
and every rule runs on the VM over just the events that are both
candidates for it and of the types it names.

Per-event rules give their hits batch by batch, ordered by event and then
by rule; aggregating rules keep their own state (a group table, or the
state of their first aggregate stage: ``functions.partials``) and give
their rows at the end, in rule order.  A rule with sub-queries (``join``, ``defineTable``) gets the whole
input, held in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import cache, cached_property
from itertools import accumulate, chain, islice, pairwise, repeat
from operator import add, mul, sub
from typing import Any, NamedTuple

import msgspec

from .._candidates import CandidateIndex
from ..bytecode.program import Program
from ..codes import W401
from ..functions.partials import StageState, stage_state
from ..ingest.columns import ColumnBatch
from ..ingest.decode import Decoder
from ..ingest.prefilter import checkable
from ..ingest.sources import as_inputs
from ..lang.events import Event, flatten
from ..limits import MAX_LINE_BYTES
from ..runtime.engine import VMEngine
from ..runtime.query import ON_ERROR, read_inputs
from ..runtime.result import Result
from . import scancache
from .alone import rules_alone
from .columnar import column_plan
from .gate import CandidateGate
from .linked import LinkedRules
from .nogc import collector_paused
from .routing import route_key
from .rules import PackRule
from .scancache import scanner_key

BATCH = 4096  # events per routing round and VM call


class RuleStats:
    """One rule's share of a run: the events it was run on, its hits (rows
    for an aggregating rule) and the time its VM calls took.  (A plain
    class, not a dataclass: a pack run then imports no ``dataclasses``.)"""

    __slots__ = ("evaluated", "hits", "seconds")

    def __init__(self, evaluated: int = 0, hits: int = 0, seconds: float = 0.0) -> None:
        self.evaluated = evaluated
        self.hits = hits
        self.seconds = seconds

    def __eq__(self, other: object) -> bool:
        if type(other) is not RuleStats:
            return NotImplemented
        return (self.evaluated, self.hits, self.seconds) == (
            other.evaluated,
            other.hits,
            other.seconds,
        )

    __hash__ = None  # type: ignore[assignment]  (mutable, as a dataclass's)

    def __repr__(self) -> str:
        return (
            f"RuleStats(evaluated={self.evaluated!r}, hits={self.hits!r}, seconds={self.seconds!r})"
        )


class PackResult(Result):
    """A ``Result`` (the hits as dicts, in order, with the run's stats and
    malformed lines) with, besides, ``rule_stats`` (id -> ``RuleStats``, in
    rule order), ``rule_warnings`` (id -> its run-time warnings) and
    ``prefilter`` (whether a shared prefilter ruled lines out)."""

    def __init__(self) -> None:
        super().__init__()
        self.rule_stats: dict[str, RuleStats] = {}
        self.rule_warnings: dict[str, list[tuple[str, str]]] = {}
        self.prefilter = False

    def clear_run(self) -> None:
        super().clear_run()
        self.rule_stats = {name: RuleStats() for name in self.rule_stats}
        self.rule_warnings = {}


class RuleRun:
    """One rule's engine and state during a run."""

    def __init__(
        self,
        rule: PackRule,
        stats: RuleStats,
        aggregate: bool = True,
        partial: bool = False,
        own: bool = False,
    ) -> None:
        """``aggregate=False``: an aggregating rule is run for nothing (an
        embedding that wants per-event hits only); ``partial``: its group
        table is one part's (a worker's), merged later; ``own``: an engine
        of its own, not the one the thread's runs share (``PackRule.engine``)."""
        self.rule = rule
        self.partial = partial
        self.stats = stats
        self.fields = rule.fields()
        self._own = own
        self._engine: VMEngine | None = None
        plan = rule.plan
        self.per_event = not plan.aggregating
        self.idle = plan.aggregating and not aggregate
        self.whole = plan.reads_source
        # A slow path may read any field: when the pack decodes only the
        # fields the native rules read, this rule gets its events decoded whole.
        self.needs_whole = not plan.native
        # A linked rule runs in the pack's linked program: no engine of its own.
        self.linked = rule.links
        self.table = self.engine.new_table(partial) if plan.grouped and not self.whole else None
        # aggregating without a group table: the first aggregate stage's state
        self.state: StageState | None = None
        if plan.aggregating and not self.whole and self.table is None:
            self.state = self.new_state()

    def new_state(self) -> StageState:
        """An empty state of the rule's first aggregate stage (``functions.partials``)."""
        engine = self.engine
        first = engine.nodes[self.rule.plan.after[0]]
        return stage_state(engine.interp, engine.checked, first)

    @property
    def engine(self) -> VMEngine:
        """The rule's engine, made when first needed (a linked rule's never
        is: building 1,690 engines took about a second)."""
        if self._engine is None:
            self._engine = self.rule.engine(self._own)
            self._engine.warnings.clear()
        return self._engine

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """The run-time warnings of this run so far."""
        return [] if self._engine is None else list(self._engine.warnings)

    def feed(self, events: list[Event]) -> list[Event]:
        """Run over ``events``; the hits of a per-event rule (else none yet)."""
        if self.idle:
            return []
        started = time.perf_counter()
        self.stats.evaluated += len(events)
        out: list[Event] = []
        if self.per_event:
            out = self.engine.machine.run(events)
            self.stats.hits += len(out)
        elif self.table is not None:
            self.engine.machine.aggregate(events, self.table)
        elif self.state is not None:
            self.state.add(self.engine.machine.run(events))
        self.stats.seconds += time.perf_counter() - started
        return out

    def take_state(self) -> Any:
        """A part's aggregate state (a partial group table or a stage
        state; None for a per-event rule), leaving a fresh one."""
        if self.table is not None:
            state, self.table = self.table, self.engine.new_table(self.partial)
            return state
        if self.state is None or self.idle:
            return None
        state, self.state = self.state, self.new_state()
        return state

    def merge_state(self, state: Any) -> None:
        """Add the state of the parts after those folded so far."""
        if state is None:
            return
        if self.table is not None:
            self.table.merge(state)
        elif self.state is not None:
            self.state.merge(state)

    def finish(self, whole: list[Event] | None, reset: bool = True) -> list[dict[str, str]]:
        """The rows of an aggregating rule (none for a per-event one) over
        what it folded so far; ``reset``: start again empty."""
        if self.per_event or self.idle:
            return []
        started = time.perf_counter()
        if self.whole:
            assert whole is not None
            self.stats.evaluated += len(whole)
            rows = self.engine.run(whole)
        elif self.table is not None:
            if self.table.limit_reached and not self.partial:
                self.engine.warn("W401", W401.format(self.table.group_limit))
            rows = self.engine.finish(self.table)
            if reset:
                self.table = self.engine.new_table()
        else:
            assert self.state is not None
            rows = self.state.rows()
            rest = self.rule.plan.after[1:]
            if rest:
                engine = self.engine
                rows = list(engine.interp.stages(tuple(engine.nodes[i] for i in rest), iter(rows)))
            if reset:
                self.state = self.new_state()
        self.stats.seconds += time.perf_counter() - started
        self.stats.hits += len(rows)
        return [{**row.fields, **self.fields} for row in rows]


def run_rules(
    rules: list[PackRule],
    source: Any,
    *,
    prefilter: bool = True,
    on_error: str = "skip",
    max_line_bytes: int | None = None,
    result: PackResult | None = None,
    index: Candidates | None = None,
) -> PackResult:
    """Every hit of ``rules`` (a pack's enabled ones) over ``source``: a
    ``PackResult``.  ``source`` is what ``CompiledQuery.run`` reads;
    ``on_error``, ``prefilter`` and ``max_line_bytes`` as there; ``index``:
    the rules' ``candidate_index``, when made already."""
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    result = PackResult() if result is None else result
    runs = []
    for rule in rules:
        stats = result.rule_stats[rule.id] = RuleStats()
        runs.append(RuleRun(rule, stats))
    if index is None:
        index = candidate_index(rules)
    gate = shared_prefilter(index, prefilter and on_error == "skip")
    result.prefilter = gate is not None
    inputs = as_inputs(source)
    paths: list[Any] = list(inputs) if inputs is not None else [source]
    fields = pack_fields(rules)
    hits = Hits(partial=fields is not None)
    plan = column_plan(runs, index, fields)
    items = read_inputs(
        paths,
        result,
        None,
        need_all=fields is None,
        fields=fields,
        columns=False if plan is None else plan.decoder,
        on_error=on_error,
        prefilter=gate is not None,
        max_line_bytes=MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes,
        many=len(paths) > 1,
        literals=gate,
    )
    whole: list[Event] | None = [] if any(run.whole for run in runs) else None
    try:
        # (the collector would go through each batch's objects for nothing:
        # what a batch makes is freed as it is dropped)
        with collector_paused():
            for batch in _batches(items) if plan is None else batches(items):
                if type(batch) is ColumnBatch:
                    assert plan is not None
                    found = plan.hits(batch, hits.whole)
                    result.extend(hits.line_rows(found, batch.raws))  # type: ignore[arg-type]
                    continue
                if whole is not None:
                    whole.extend(batch)
                result.extend(hits.rows(batch_hits(runs, batch, index, hits.whole), batch))
    finally:
        items.close()
        if plan is not None:
            plan.finish()
    for run in runs:
        result.extend(run.finish(whole))
        result.rule_warnings[run.rule.id] = run.warnings
    return result


def _batches(items: Iterator[Event]) -> Iterator[list[Event]]:
    while batch := list(islice(items, BATCH)):
        yield batch


def batches(items: Iterator[Any]) -> Iterator[Any]:
    """The events of ``items`` in lists of ``BATCH`` at most, and its
    column batches (``ingest.columns.ColumnBatch``) as they are, in order."""
    batch: list[Event] = []
    for item in items:
        if type(item) is ColumnBatch:
            if batch:
                yield batch
                batch = []
            yield item
            continue
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def pack_fields(rules: list[PackRule]) -> tuple[str, ...] | None:
    """The fields to decode for ``rules``: the union of what the slots of
    the native ones read, or None (every field) when some rule may read any
    field (``@rawstring``, a sub-query) or keeps whole events for an
    aggregate stage (``sort``, ``head``...), or when no rule is native.  A
    rule with a slow path (``RuleRun.needs_whole``) then gets the events it
    is a candidate for decoded whole (``Hits.whole``), and a per-event hit
    is made again from the whole event (``Hits``)."""
    names: dict[str, None] = {}
    native = False
    for rule in rules:
        plan = rule.plan
        whole_events = plan.aggregating and not plan.grouped
        if plan.reads_rawstring or plan.reads_source or whole_events:
            return None
        if plan.native:
            native = True
            names.update(dict.fromkeys(plan.field_names))
    return tuple(names) if native else None


class Hits:
    """Per-event hits as rows.  When the events were decoded in part
    (``pack_fields``), a hit's event is decoded whole and its rule run
    again on it, so the row is the whole event as the rule leaves it."""

    def __init__(self, partial: bool) -> None:
        self.decoder = Decoder((), need_all=True) if partial else None

    @property
    def whole(self) -> Any:
        """``batch_hits``'s ``whole``: the event of a line decoded whole
        (None when it is malformed so), or None when events are whole."""
        return None if self.decoder is None else self.whole_event

    def whole_event(self, event: Event) -> Event | None:
        """``event`` decoded again from its line, every field."""
        assert self.decoder is not None
        line = (event.raw or "").encode("utf-8", "surrogatepass")
        whole = self.decoder.decode(line)
        return whole if type(whole) is Event else None

    def rows(
        self, found: list[tuple[int, RuleRun, Event]], batch: list[Event]
    ) -> list[dict[str, str]]:
        """The rows of ``batch_hits(runs, batch)``."""
        if self.decoder is None:
            return [{**out.fields, **run.fields} for _, run, out in found]
        rows = []
        for index, run, out in found:
            line = (batch[index].raw or "").encode("utf-8", "surrogatepass")
            whole = self.decoder.decode(line)
            if run.linked:  # a pure filter keeps the event as it is
                again = whole if type(whole) is Event else None
            else:
                again = run.engine.match(whole) if type(whole) is Event else None
            if again is None:  # (cannot happen: the rule reads only decoded fields)
                again = out
            rows.append({**again.fields, **run.fields})
        return rows

    def line_rows(
        self, found: list[tuple[int, RuleRun, Event | None]], lines: list[str]
    ) -> list[dict[str, str]]:
        """The rows of ``columnar.column_hits`` over a column batch's ``lines``."""
        assert self.decoder is not None
        rows = []
        for index, run, out in found:
            whole = self.decoder.decode(lines[index].encode("utf-8", "surrogatepass"))
            if type(whole) is not Event:  # (the column decoder took the line)
                raise RuntimeError(f"a kept line no longer decodes: {whole}")
            again = whole if out is None else run.engine.match(whole)
            if again is None:  # (cannot happen: the rule reads only decoded fields)
                again = out
            assert again is not None
            rows.append({**again.fields, **run.fields})
        return rows


class Candidates:
    """Which rules a batch's lines can match: ``CandidateIndex`` over the
    distinct literal-group sets of the rules (many rules share one, such as
    an event type and a platform), and for each rule the index of its set.

    The index starts out looking for every group of every set.  A group
    such as ``win``, an event name or a field name, which most lines hold
    and hundreds of rules share, rules out little and costs a count per
    rule on every line that holds it; so ``adapt`` measures, on the first
    lines read, how many hold each literal and keeps, for each set, the
    ``TELLING_GROUPS`` groups the fewest lines hold.  Looking for fewer
    groups never loses a line: the VM decides; it only changes how many
    lines are decoded and how many rules run on each."""

    def __init__(
        self,
        index: CandidateIndex,
        shapes: list[list[list[int]]],
        shape_of: list[int],
        rules: list[PackRule],
        prelinked: Program | None = None,
    ) -> None:
        self.index = index
        self.shapes = shapes  # group set -> its groups (literal ids), all of them
        self.shape_of = shape_of  # rule -> its group set in the index
        self.adapted = False
        self.full_scanner: Any = None  # the scanner of every literal (None: the automaton)
        self.typed = True  # a scanner per event type (``use_typed_scanners``) once adapted
        self.field_mode = True  # types whose lines are nearly all kept: read from their fields
        # group set -> group -> literal (in the group's order) -> the fields
        # it is looked for in, sorted ("": free text; ``IndexTables.names``)
        self.names: Sequence[Sequence[Sequence[tuple[str, ...]]]] = ()
        self.free_text: Sequence[int] = ()  # the sets with a free-text literal (``names``)
        self.tables: IndexTables | None = None  # what it was made from (a built pack stores it)
        self._rules = rules
        self._prelinked = prelinked
        self._meanwhile: Callable[[], Any] | None = None  # (``adapt``)

    @cached_property
    def linked(self) -> LinkedRules | None:
        """The rules' pure filters linked into one machine (made once;
        None when no rule is one)."""
        if not any(rule.links for rule in self._rules):
            return None
        with collector_paused():
            return LinkedRules(self._rules, self.shape_of, len(self.shapes), self._prelinked)

    def pairs(
        self,
        lines: list[Any],
        wanted: list[int],
        fields: list[Any] | None = None,
        columns: tuple[list[Any], ...] | None = None,
        names: tuple[str, ...] | None = None,
        block: bytes | None = None,
        spans: bytes | None = None,
    ) -> tuple[Any, Any, list[list[int]]]:
        """``CandidateIndex.pairs`` over ``lines`` (``fields``: the fields
        decoded from each, or ``columns`` named ``names``; ``block`` and
        ``spans``: where they are as bytes): each line's group sets, and
        the lines of each group set ``wanted`` names."""
        if not self.adapted:
            self.adapt(lines)
        return self.index.pairs(lines, wanted, fields, columns, names, block, spans)

    def lists(self, lines: list[Any]) -> list[list[int]]:
        """For each group set, the ascending indexes of the lines it admits."""
        if not self.adapted:
            self.adapt(lines)
        return self.index.candidates(lines)

    def adapt(self, lines: list[Any], meanwhile: Callable[[], Any] | None = None) -> None:
        """``_adapt``, with the collector paused (``nogc``): it makes the
        index's tables and scanners, which live as long as the pack.
        ``meanwhile``: work to do while Hyperscan compiles the typed
        scanners in other threads (without Python's lock), or at the end."""
        self._meanwhile = meanwhile
        with collector_paused():
            self._adapt(lines)
            self._do_meanwhile()

    def _do_meanwhile(self) -> None:
        """Run the work ``adapt`` was given, once."""
        work, self._meanwhile = self._meanwhile, None
        if work is not None:
            work()

    def _also_meanwhile(self, work: Callable[[], Any]) -> None:
        """Add ``work`` to what runs while Hyperscan compiles."""
        before = self._meanwhile
        self._meanwhile = work if before is None else lambda: (before(), work())

    def _adapt(self, lines: list[Any]) -> None:
        """Choose the groups to look for from how many of ``lines`` (a
        sample of the input, ``ADAPT_SAMPLE`` at most) hold each literal
        (``_picked``), then the typed scanners and field mode."""
        self.adapted = True
        sample = lines[:ADAPT_SAMPLE]
        sampled = self._sample_by_key(sample)
        kept: set[str] = set()
        if self.full_scanner is not None and self.field_mode and self.typed:
            kept = self._field_mode_keys()
        # Sets read only on lines of field-mode types look for all their
        # groups until they are ranked as field mode reads them (each
        # literal in its own field's value, where ``lin`` in
        # ``event_platform`` rules out what it did not in the whole line).
        field_only = [s for s, keys in enumerate(self._routes.shape_keys) if keys and keys <= kept]
        picked = self._picked(sample, sampled, kept)
        self.index.choose(self._groups(picked))
        if self.full_scanner is None:
            return
        by_key = None if sampled is None else sampled[0]
        ahead: dict[str, Any] = {}
        if kept:
            # Field mode's Python work, done while Hyperscan compiles the
            # typed scanners (``use_typed_scanners``' meanwhile).
            def work_ahead() -> None:
                ahead["fields"] = self._fields_of(picked, kept)
                if field_only:
                    ahead["decoded"] = self._decoded_by_key(by_key, kept)

            self._also_meanwhile(work_ahead)
        # The scanner of every literal stays (literals no chosen group
        # names count towards nothing): lines of no known type use it.
        types = self.use_typed_scanners(picked, kept)
        self._do_meanwhile()  # (not done when there were no typed scanners)
        if not types or not kept:
            return
        modes = self.use_field_mode(picked, types, kept, ahead["fields"])
        if modes and field_only:
            picked = self._ranked_in_fields(picked, field_only, types, modes, ahead["decoded"])
            self.index.choose(self._groups(picked))
            self.use_field_mode(picked, types, kept)

    def _groups(self, picked: list[list[int]]) -> list[list[list[int]]]:
        """The groups at the positions ``picked`` names in each set, as
        ``CandidateIndex.choose`` takes them."""
        return [
            [groups[p] for p in positions]
            for groups, positions in zip(self.shapes, picked, strict=True)
        ]

    def _picked(
        self, sample: list[Any], sampled: _Sampled | None, kept: set[str]
    ) -> list[list[int]]:
        """For each group set, the positions of the groups to look for, the
        most telling first (``_telling``).  A set's groups are ranked over
        the sample's lines of the event types its rules' routes name (a
        group every ``ProcessRollup2`` line holds rules out nothing for a
        rule routed to that type): the sets of each class (``_classes``)
        at once.  A set whose types are all ``kept`` (field mode) keeps all
        its groups, in order."""
        picked: list[list[int]] = [[] for _ in self.shapes]
        for keys, flat in self._classes.items():
            if keys and keys <= kept:
                for shape, size in zip(flat.shapes, flat.sizes, strict=True):
                    picked[shape] = list(range(size))
        for keys, (counts, total) in self._held_in(sample, sampled, kept).items():
            flat = self._classes[keys]
            ranked = _telling(flat, _held(flat, counts), total)
            for shape, positions in zip(flat.shapes, ranked, strict=True):
                picked[shape] = positions
        return picked

    def _held_in(
        self, sample: list[Any], sampled: _Sampled | None, kept: set[str]
    ) -> dict[frozenset[str] | None, tuple[Counts, int]]:
        """For each class of group sets (``_classes``) but those whose
        types are all ``kept``, how many lines hold each literal, and of
        how many lines: the sample's lines of the types its routes name
        (``_routed_counts``), or the whole sample for a class that reads
        every type, whose types the sample has no line of, or when the
        routes read more than one field."""
        by_key = None if sampled is None else sampled[0]
        typed: dict[frozenset[str] | None, int] = {}
        whole: list[frozenset[str] | None] = []
        for keys in self._classes:
            if keys and keys <= kept:
                continue
            lines_of = 0
            if keys and by_key is not None:
                lines_of = sum(len(by_key.get(key, ())) for key in keys)
            if lines_of:
                typed[keys] = lines_of
            else:
                whole.append(keys)
        counted = self._routed_counts(by_key, set().union(*typed)) if typed else {}
        size = self.index.nliterals
        out: dict[frozenset[str] | None, tuple[Counts, int]] = {
            keys: (_summed(counted, keys or frozenset(), size), lines_of)
            for keys, lines_of in typed.items()
        }
        if whole:
            literals = set(chain.from_iterable(self._classes[keys].literals for keys in whole))
            counts = self._whole_counts(sample, sampled, counted, literals)
            out.update((keys, (counts, len(sample))) for keys in whole)
        return out

    def _whole_counts(
        self,
        sample: list[Any],
        sampled: _Sampled | None,
        counted: dict[str, list[int]],
        literals: set[int],
    ) -> Counts:
        """How many of ``sample``'s lines hold each of ``literals``.  When
        every line is ``bytes`` (as ``_sample_by_key`` read it), the counts
        of its lines by type (``counted``) plus those of its other lines:
        each line is scanned once.  Else the whole sample, scanned again."""
        if sampled is None or not all(type(line) is bytes for line in sample):
            return self.index.literal_counts(sample)
        by_key, untyped = sampled
        rest = untyped + [
            line for key, lines in by_key.items() if key not in counted for line in lines
        ]
        parts = list(counted.values())
        if rest:
            parts.append(self.index.literal_counts(rest))
        return {x: sum(part[x] for part in parts) for x in literals}

    @cached_property
    def _classes(self) -> dict[frozenset[str] | None, _Flat]:
        """The group sets by their route keys (``_Routes.shape_keys``), each class
        laid out flat (``_flat``): a class's sets are ranked over the same
        lines."""
        members: dict[frozenset[str] | None, list[int]] = {}
        for shape, keys in enumerate(self._routes.shape_keys):
            members.setdefault(keys, []).append(shape)
        return {keys: _flat(self.shapes, shapes) for keys, shapes in members.items()}

    def _decoded_by_key(
        self, by_key: dict[str, list[bytes]] | None, keys: set[str]
    ) -> dict[str, tuple[list[bytes], list[dict[str, str]]]]:
        """The sample's lines (``by_key``: ``_sample_by_key``) of the event
        types ``keys``, by type, each with its fields (decoded with ``json``
        and flattened: a line it cannot read is left out)."""
        by_key = by_key or {}
        out: dict[str, tuple[list[bytes], list[dict[str, str]]]] = {}
        for key in keys:
            lines, dicts = out.setdefault(key, ([], []))
            for line in by_key.get(key, ()):
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict):
                    dicts.append(flatten(item))
                    lines.append(line)
        return out

    def _ranked_in_fields(
        self,
        picked: list[list[int]],
        field_only: list[int],
        types: dict[str, int],
        modes: list[int],
        decoded: dict[str, tuple[list[bytes], list[dict[str, str]]]],
    ) -> list[list[int]]:
        """``picked`` with the groups of the sets ``field_only`` (all of
        them, in order) chosen again as ``adapt`` does (``_telling``),
        ranked by how many of the sample's lines of their types
        (``decoded``: ``_decoded_by_key``) hold them as field mode reads
        them (the ranking only changes how many rules run, never a hit)."""
        counts: list[int] | None = None
        lines_of: dict[int, int] = {}
        for k in modes:
            lines: list[bytes] = []
            dicts: list[dict[str, str]] = []
            for key, which in types.items():
                if which == k and key in decoded:
                    lines += decoded[key][0]
                    dicts += decoded[key][1]
            lines_of[k] = len(lines)
            held = self.index.group_counts(k, lines, dicts)
            counts = held if counts is None else list(map(add, counts, held))
        if counts is None:
            return picked
        first = [0, *accumulate(map(len, picked))]  # each set's first group in ``counts``
        out = list(picked)
        for keys in dict.fromkeys(self._routes.shape_keys[shape] for shape in field_only):
            found = {types[key] for key in keys or () if key in types}
            total = sum(lines_of.get(k, 0) for k in found)
            if not total:
                continue
            flat = self._classes[keys]
            starts = list(map(first.__getitem__, flat.shapes))  # (all groups, in order)
            at = map(slice, starts, map(add, starts, flat.sizes))
            held = list(chain.from_iterable(map(counts.__getitem__, at)))
            for shape, positions in zip(flat.shapes, _telling(flat, held, total), strict=True):
                out[shape] = positions
        return out

    def _field_mode_keys(self) -> set[str]:
        """The event types read in field mode: those that at least
        ``FIELD_MODE_RULES`` rules, and ``FIELD_MODE_SHARE`` of the pack's,
        name in their routes (types named by the same rules are judged
        together, such as ``SyntheticProcessRollup2`` with
        ``ProcessRollup2``).  So many rules keep nearly every line of the
        type (the 1,358 Sigma rules on ``ProcessRollup2`` kept all of them).
        The choice reads the rules, not the lines: every part of a split
        input keeps the same lines, so the counts are one pass's."""
        shapes_of: dict[str, set[int]] = {}
        for keys, flat in self._classes.items():
            for key in keys or ():
                shapes_of.setdefault(key, set()).update(flat.shapes)
        classes: dict[frozenset[int], list[str]] = {}
        for key, shapes in shapes_of.items():
            classes.setdefault(frozenset(shapes), []).append(key)
        # (rules counted by their routes' keys: most share a few)
        routed = Counter(rule.route.keys for rule in self._rules if rule.route is not None)
        found: set[str] = set()
        for keys in classes.values():
            named = sum(n for route, n in routed.items() if not route.isdisjoint(keys))
            if named >= FIELD_MODE_RULES and named >= FIELD_MODE_SHARE * len(self._rules):
                found.update(keys)
        return found

    def use_field_mode(
        self,
        picked: list[list[int]],
        types: dict[str, int],
        keys: set[str],
        fields: list[Any] | None = None,
    ) -> list[int]:
        """Field mode (``CandidateIndex.use_field_mode``) for the typed
        scanners of the event types ``keys`` (those only they use): their
        lines are decoded unscanned, and their candidates come from the
        values of the fields the literals name (free-text literals from
        the raw line, by a scanner of their own).  ``picked``: the
        positions of the chosen groups of each set; ``fields``:
        ``_fields_of(picked, keys)``, worked out before."""
        others = {k for key, k in types.items() if key not in keys}
        modes = sorted({k for key, k in types.items() if key in keys} - others)
        if not modes:
            return []
        if fields is None:
            fields = self._fields_of(picked, keys)
        free = self._free_text(picked, fields)
        raw = None
        if free:
            index = self.index
            ids = free + list(range(index.nliterals, len(index.scan_patterns)))
            raw = literal_scanner([index.scan_patterns[i] for i in ids], ids)
        self.index.use_field_mode(modes, fields, raw)
        return modes

    def _free_text(self, picked: list[list[int]], fields: list[Any]) -> list[int]:
        """The free-text literals (field ""), ascending, of the chosen
        groups (``picked``) of the sets field mode reads (``fields``:
        ``_fields_of``), looked for in the few sets that have any."""
        return sorted(
            {
                x
                for shape in self.free_text
                if fields[shape] is not None
                for p, names in zip(picked[shape], fields[shape], strict=True)
                for x, where in zip(self.shapes[shape][p], names, strict=True)
                if "" in where
            }
        )

    def _fields_of(self, picked: list[list[int]], keys: set[str]) -> list[Any]:
        """The field names of the literals of the chosen groups (``picked``)
        of the sets the lines of the event types ``keys`` may keep (None
        for the others)."""
        names = self.names
        return [
            None
            if shape_keys is not None and shape_keys.isdisjoint(keys)
            else [names[shape][p] for p in positions]
            for shape, (positions, shape_keys) in enumerate(
                zip(picked, self._routes.shape_keys, strict=True)
            )
        ]

    @cached_property
    def _routes(self) -> _Routes:
        """What the rules' routes say of the group sets (``_Routes``)."""
        fields: set[str] = set()
        unrouted: set[int] = set()
        by_key: dict[str, set[int]] = {}
        shape_keys: list[frozenset[str] | None] = [frozenset()] * len(self.shapes)
        for rule, shape in zip(self._rules, self.shape_of, strict=True):
            route = rule.route
            if route is None:
                unrouted.add(shape)
                shape_keys[shape] = None
                continue
            fields.add(route.field)
            have = shape_keys[shape]
            if have is not None and not route.keys <= have:
                shape_keys[shape] = have | route.keys
            for key in route.keys:
                by_key.setdefault(key, set()).add(shape)
        return _Routes(
            frozenset(fields),
            frozenset(unrouted),
            {key: frozenset(shapes) for key, shapes in by_key.items()},
            shape_keys,
        )

    def _routed_counts(
        self, by_key: dict[str, list[bytes]] | None, keys: set[str]
    ) -> dict[str, list[int]]:
        """For each route key of ``keys``, how many of the sample's lines of
        that event type (``by_key``: ``_sample_by_key``) hold each literal
        (the types no class ranks on are not counted)."""
        if by_key is None:
            return {}
        return {
            key: self.index.literal_counts(lines) for key, lines in by_key.items() if key in keys
        }

    def _sample_by_key(self, sample: list[Any]) -> _Sampled | None:
        """``sample``'s lines by the route key of their event type, read
        from the raw text, and the lines whose type is not read so (None
        when the routes read more than one field; a sample only, where a
        line read wrongly changes which groups are looked for, never a
        hit)."""
        fields = self._routes.fields
        if len(fields) != 1:
            return None
        (field,) = fields
        pattern = re.compile(
            rb'"#?' + re.escape(field.lstrip("#").encode("utf-8")) + rb'"\s*:\s*"([^"\\]*)"'
        )
        by_key: dict[str, list[bytes]] = {}
        untyped: list[bytes] = []
        keys: dict[bytes, str] = {}  # a type's text -> its route key
        for line in sample:
            raw = line if isinstance(line, bytes) else str(line).encode("utf-8", "surrogatepass")
            found = pattern.search(raw)
            if found is None:
                untyped.append(raw)
                continue
            text = found.group(1)
            key = keys.get(text)
            if key is None:
                key = keys[text] = route_key(text.decode("utf-8", "replace"))
            by_key.setdefault(key, []).append(raw)
        return by_key, untyped

    def use_typed_scanners(
        self, picked: list[list[int]], full: set[str] | frozenset[str] = frozenset()
    ) -> dict[str, int] | None:
        """A scanner per event type of the rules' routes, looking for the
        literals of the chosen groups (at the positions ``picked`` names) of
        the rules that type's events can reach (the rules without a route
        included); a line so scanned is a candidate only for those rules.
        Only when every route reads one field.  Each type gets a scanner of
        its own even when it needs most literals: the scanner of every
        literal also looks for those no chosen group names, the ones most
        lines hold (over the ``ProcessRollup2`` lines of 50,000 realistic
        events: 245M instructions with it, 173M with their own, callgrind).
        The types ``full`` (field mode: their lines are scanned only rarely,
        their fields' values instead) use the scanner of every literal,
        compiled already, restricted to their rules."""
        routes = self._routes
        if len(routes.fields) != 1 or not self.typed:
            return None
        index = self.index
        unrouted_shapes = routes.unrouted
        unrouted = frozenset(self._literals(picked, unrouted_shapes))
        by_key = {
            key: None if key in full else unrouted | self._literals(picked, shapes)
            for key, shapes in routes.by_key.items()
        }
        widening = list(range(index.nliterals, len(index.scan_patterns)))
        sets = [unrouted] + [ids for ids in by_key.values() if ids is not None]
        ordered = {ids: sorted(ids) for ids in sets}
        # Hyperscan compiles without the GIL: two at a time, the largest first.
        own = sorted(ordered, key=lambda ids: (-len(ids), ordered[ids]))

        def compile_set(ids: frozenset[int], kept: bool = False) -> Any:
            chosen_ids = ordered[ids] + widening
            patterns = [index.scan_patterns[i] for i in chosen_ids]
            if kept:
                return kept_scanner(patterns, chosen_ids)
            return literal_scanner(patterns, chosen_ids)

        made: dict[tuple[frozenset[int] | None, frozenset[int]], int] = {}

        def scanner_of(literals: frozenset[int] | None, shapes: frozenset[int]) -> int:
            return made.setdefault((literals, shapes), len(made))

        # Those an earlier run kept load here at once (loading in the pool
        # would wait for the lock the Python work below holds).
        compiled = {ids: compile_set(ids, kept=True) for ids in own}
        own = [ids for ids in own if compiled[ids] is None]
        pool: Any = None
        compiling: Any = ()
        if own:  # (the pool's module loads logging: a run that compiles none needs neither)
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(COMPILERS)
            compiling = pool.map(compile_set, own)
        try:
            # (Python's part, while Hyperscan compiles without the GIL)
            self._do_meanwhile()
            untyped = scanner_of(unrouted, unrouted_shapes)
            types = {
                key: scanner_of(ids, unrouted_shapes | routes.by_key[key])
                for key, ids in by_key.items()
            }
            read: dict[int, frozenset[str] | None] = {}  # (``_scope``'s, by set)
            scopes = [
                None if ids is None else self._scope(picked, shapes, read) for ids, shapes in made
            ]
            compiled.update(zip(own, compiling, strict=True))
        finally:
            if pool is not None:
                pool.shutdown()
        compiled[None] = self.full_scanner
        scanners = [compiled[ids] for ids, _ in made]
        admitted = [sorted(shapes) for _, shapes in made]
        if any(s is None for s in scanners):
            return None
        index.use_typed_scanners(
            next(iter(routes.fields)), types, scanners, untyped, admitted, scopes
        )
        return types

    def _literals(self, picked: list[list[int]], shapes: frozenset[int]) -> set[int]:
        """The literals of the chosen groups (``picked``) of the sets ``shapes``."""
        groups = self.shapes
        return {x for shape in shapes for p in picked[shape] for x in groups[shape][p]}

    def _scope(
        self,
        picked: list[list[int]],
        shapes: frozenset[int],
        read: dict[int, frozenset[str] | None],
    ) -> list[str] | None:
        """The fields whose values hold every literal of the chosen groups
        (``picked``) of the group sets ``shapes`` (a typed scanner's), when
        that is at most ``SCOPE_KEYS`` top-level keys (``#name``: a tag,
        under either name): its lines are read in those values only.  None
        when a literal is free text, names a field read otherwise
        (``@name``) or one that may be nested (``a.b``, ``a[0]``).
        ``read``: each set's fields (``_read_keys``), as worked out for
        another scanner of the same sets."""
        keys: set[str] = set()
        for shape in shapes:
            if shape not in read:
                read[shape] = self._read_keys(shape, picked[shape])
            own = read[shape]
            if own is None:
                return None
            keys |= own
            if len(keys) > SCOPE_KEYS:
                return None
        return sorted(keys) if keys else None

    def _read_keys(self, shape: int, positions: list[int]) -> frozenset[str] | None:
        """The fields the literals of the groups at ``positions`` of set
        ``shape`` are looked for in, or None when one is not a plain key
        (``_plain_key``)."""
        names = self.names[shape]
        found = frozenset(chain.from_iterable(chain.from_iterable(names[p] for p in positions)))
        return found if all(map(_plain_key, found)) else None

    def adapt_block(self, block: bytes) -> None:
        """``adapt`` on the first lines of a block of LF-separated lines."""
        self.adapt(block.split(b"\n", ADAPT_SAMPLE)[:ADAPT_SAMPLE])


def shared_prefilter(index: Candidates | None, enabled: bool) -> CandidateGate | None:
    """The shared prefilter over ``index`` when ``enabled``: lines no rule
    is a candidate for are not decoded (None without an index, or when a
    rule is a candidate for every line)."""
    if not enabled or index is None or index.index.always_admits:
        return None
    return CandidateGate(index)


@cache
def _plain_key(name: str) -> bool:
    """Whether field ``name`` is read from one top-level JSON key of that
    name (``#name``: also ``name``), so that its value can be found in a
    raw line (``CandidateIndex.use_typed_scanners``' scopes)."""
    text = name[1:] if name.startswith("#") else name
    return bool(text) and text.isascii() and not any(c in text for c in '.[]@#"\\')


def _summed(counts: dict[str, list[int]], keys: frozenset[str], size: int) -> list[int]:
    """The element-wise sum of the ``counts`` of ``keys`` (zeros when none)."""
    own = [counts[key] for key in keys if key in counts]
    if not own:
        return [0] * size
    total = own[0]
    for more in own[1:]:
        total = list(map(add, total, more))
    return total


Counts = Sequence[int] | dict[int, int]  # per literal id, how many lines hold it
_Sampled = tuple[dict[str, list[bytes]], list[bytes]]  # (``Candidates._sample_by_key``)


class _Routes(NamedTuple):
    """What the rules' routes say of the group sets: the ``fields`` they
    read, the sets of rules without a route (``unrouted``: every type's
    lines reach them), each route key's sets (``by_key``, in the order the
    rules first name the keys), and for each set, the route keys its rules
    name together (``shape_keys``; None when one of them has no route: it
    reads every type)."""

    fields: frozenset[str]
    unrouted: frozenset[int]
    by_key: dict[str, frozenset[int]]
    shape_keys: list[frozenset[str] | None]


class _Flat(NamedTuple):
    """The groups of some group sets laid out flat, so that ranking them is
    a few operations over whole lists (``_held``, ``_telling``): the sets
    (``shapes``, ascending), how many groups each has (``sizes``; set
    ``n``'s are the ``bounds[n]`` to ``bounds[n + 1]``th), and for each
    group, where its literals end in ``literals`` (``ends``, after a 0),
    and what orders groups as many lines hold (``tie``, below ``spread``:
    fewer literals first, then the position, its last digit in base
    ``width``)."""

    shapes: list[int]
    sizes: list[int]
    bounds: list[int]
    literals: list[int]
    ends: list[int]
    tie: list[int]
    spread: int
    width: int


def _flat(groups_of: list[list[list[int]]], shapes: list[int]) -> _Flat:
    """The groups of ``shapes`` (ascending), ``groups_of`` each, as a ``_Flat``."""
    sets = [groups_of[shape] for shape in shapes]
    sizes = list(map(len, sets))
    groups = list(chain.from_iterable(sets))
    lengths = list(map(len, groups))
    position = chain.from_iterable(map(range, sizes))
    width = max(sizes, default=0) + 1  # (above any position)
    return _Flat(
        shapes=shapes,
        sizes=sizes,
        bounds=[0, *accumulate(sizes)],
        literals=list(chain.from_iterable(groups)),
        ends=[0, *accumulate(lengths)],
        tie=list(map(add, map(mul, lengths, repeat(width)), position)),
        spread=(max(lengths, default=0) + 1) * width,
        width=width,
    )


def _held(flat: _Flat, counts: Counts) -> list[int]:
    """How many lines hold each group of ``flat`` at most: the sum of the
    ``counts`` of its literals."""
    running = [0, *accumulate(map(counts.__getitem__, flat.literals))]
    ends = flat.ends
    return list(
        map(sub, map(running.__getitem__, islice(ends, 1, None)), map(running.__getitem__, ends))
    )


def _telling(flat: _Flat, held: list[int], total: int) -> list[list[int]]:
    """For each set of ``flat``, the positions of the groups to look for,
    given how many of ``total`` lines hold each group at most (``held``):
    ranked by that (then by fewer literals, then in order), the first
    always (a set with none would be a candidate for every line), the next
    ones, up to ``TELLING_GROUPS``, only while they rule out half the
    lines.  Each group's rank is one int, ``held`` above its ``tie`` (whose
    last digit, base ``width``, is its position): a set's top groups are
    the least of its ints, and those held by at most half the lines are
    those below ``limit``."""
    keys = list(map(add, map(mul, held, repeat(flat.spread)), flat.tie))
    limit = (total // 2 + 1) * flat.spread  # (2 * held <= total)
    width = flat.width
    out = []
    for start, end in pairwise(flat.bounds):
        top = sorted(keys[start:end])[:TELLING_GROUPS]
        out.append([key % width for key in top[: max(1, bisect_left(top, limit))]])
    return out


TELLING_GROUPS = 3  # groups of a set the index looks for once adapted
FIELD_MODE_RULES = 100  # rules naming a type that put it in field mode, at least
FIELD_MODE_SHARE = 0.25  # and that share of the pack's rules
COMPILERS = 2  # threads compiling typed scanners
ADAPT_SAMPLE = 2000  # lines whose literals choose them
SCOPE_KEYS = 4  # keys a typed scanner reads the values of, at most (else the whole line)


class IndexTables(msgspec.Struct, frozen=True, array_like=True):
    """What ``candidate_index`` works out from the rules' prefilters, as a
    built pack stores it (``packfile``): ``rules``, the ids of the rules it
    was made for, in order; ``literals`` as the index looks for them;
    ``shapes``, the distinct literal-group sets (literal ids); ``shape_of``,
    each rule's set; ``names``, for each set, group and literal of the
    group (in the group's order), the fields the literal was found in
    (``_field_read``'s names, sorted), laid out as ``adapt`` reads them;
    ``free_text``, the sets with a literal found in free text (name "")."""

    rules: tuple[str, ...]
    literals: tuple[bytes, ...]
    shapes: tuple[tuple[tuple[int, ...], ...], ...]
    shape_of: tuple[int, ...]
    names: tuple[tuple[tuple[tuple[str, ...], ...], ...], ...]
    free_text: tuple[int, ...]


def index_tables(rules: list[PackRule]) -> IndexTables:
    """``rules``' ``IndexTables``: their checkable prefilter groups."""
    literals: dict[bytes, int] = {}
    shapes: dict[tuple[tuple[int, ...], ...], int] = {}
    shape_of: list[int] = []
    fields = pack_fields(rules)
    decoded = None if fields is None else frozenset(fields)
    read: dict[str, str] = {}  # a literal's field -> where field mode looks (``_field_read``)
    # (group set, group, literal) -> the fields it was found in, over the rules
    named: dict[tuple[int, tuple[int, ...], int], set[str]] = {}
    # A literal's text as the index looks for it, or None when it cannot be
    # (``checkable``): worked out once per text (the Sigma pack's 21,101
    # literals are 7,185 texts).
    spelled: dict[str, bytes | None] = {}
    for rule in rules:
        groups: dict[tuple[int, ...], list[tuple[int, str]]] = {}
        if not rule.plan.reads_source:
            for group in rule.prefilter:
                texts = []
                for x in group:
                    text = spelled.get(x.text, b"")
                    if text == b"":
                        text = spelled[x.text] = (
                            x.text.lower().encode("ascii") if checkable(x.text) else None
                        )
                    if text is None:
                        break
                    texts.append(text)
                else:
                    if not texts:
                        continue
                    ids = [literals.setdefault(text, len(literals)) for text in texts]
                    key = tuple(sorted(set(ids)))
                    found = groups.setdefault(key, [])
                    for i, x in zip(ids, group, strict=True):
                        where = read.get(x.field)
                        if where is None:
                            where = read[x.field] = _field_read(x.field, decoded)
                        found.append((i, where))
        shape = shapes.setdefault(tuple(sorted(groups)), len(shapes))
        shape_of.append(shape)
        for key, found in groups.items():
            for i, field in found:
                named.setdefault((shape, key, i), set()).add(field)
    names = tuple(
        tuple(
            tuple(tuple(sorted(named.get((shape, key, i), ()))) or ("",) for i in key)
            for key in groups
        )
        for shape, groups in enumerate(shapes)
    )
    return IndexTables(
        rules=tuple(rule.id for rule in rules),
        literals=tuple(literals),
        shapes=tuple(shapes),
        shape_of=tuple(shape_of),
        names=names,
        free_text=tuple(
            shape
            for shape, groups in enumerate(names)
            if any("" in where for group in groups for where in group)
        ),
    )


def candidate_index(
    rules: list[PackRule],
    prelinked: Program | None = None,
    scanner: tuple[str, bytes] | None = None,
    tables: IndexTables | None = None,
) -> Candidates | None:
    """The index that tells, from the literals in a raw line, which rules
    can keep it (each rule's checkable prefilter groups); None when no rule
    has any literal (every rule then sees every event).  ``prelinked``: a
    built pack's linked program (``linked.LinkedRules``); ``scanner``: its
    stored scanner of every literal (``scanner_database``), used when it
    was made for the same literals and loads here; ``tables``: its stored
    ``index_tables``, used when made for the same rules."""
    if tables is None or tables.rules != tuple(rule.id for rule in rules):
        tables = index_tables(rules)
    if not tables.literals:
        return None
    groups_of = [[list(g) for g in shape] for shape in tables.shapes]
    shape_of = list(tables.shape_of)
    index = CandidateIndex(list(tables.literals), groups_of)
    full = None
    if scanner is not None and scanner[0] == patterns_key(index.scan_patterns):
        full = literal_scanner(index.scan_patterns, database=scanner[1], every=True)
    if full is None:
        # (every occurrence reported: the scanner a built pack stores, whose
        # key ``patterns_key`` makes with it)
        full = literal_scanner(index.scan_patterns, every=True)
    candidates = Candidates(index, groups_of, shape_of, rules, prelinked)
    candidates.names = tables.names
    candidates.free_text = tables.free_text
    candidates.tables = tables
    if full is not None:
        index.use_scanner(full)
        candidates.full_scanner = full
    return candidates


def shape_key(rule: PackRule) -> frozenset[frozenset[bytes]]:
    """The literal groups ``candidate_index`` looks for on ``rule``'s
    behalf, as texts: rules with the same key share a group set (a shape),
    so they are candidates for exactly the same lines."""
    if rule.plan.reads_source:
        return frozenset()
    return frozenset(
        frozenset(x.text.lower().encode("ascii") for x in group)
        for group in rule.prefilter
        if group and all(checkable(x.text) for x in group)
    )


def _field_read(field: str, decoded: frozenset[str] | None) -> str:
    """The field a literal is looked for in by field mode: its own, or ""
    (it holds on every line) when it is free text or a field the pack's
    decoding may leave out (``pack_fields``; a tag such as
    ``#event_simpleName`` is read under either name, or holds)."""
    if not field or decoded is None or field in decoded or field.startswith(("#", "@")):
        return field
    return ""


def patterns_key(patterns: list[bytes]) -> str:
    """What a stored scanner is checked against: the SHA-256 of its
    patterns, in order, and of how it reports them (every occurrence)."""
    digest = hashlib.sha256(b"every occurrence\0")
    for pattern in patterns:
        digest.update(len(pattern).to_bytes(4, "little") + pattern)
    return digest.hexdigest()


def scanner_database(index: Candidates | None) -> tuple[str, bytes] | None:
    """The scanner of every literal of ``index`` as stored in a built pack
    (``patterns_key`` and Hyperscan's serialised database), so that loading
    the pack does not compile it again; None without one."""
    if index is None or index.full_scanner is None:
        return None
    return patterns_key(index.index.scan_patterns), index.full_scanner.serialize()


def literal_scanner(
    patterns: list[bytes],
    ids: list[int] | None = None,
    database: bytes | None = None,
    every: bool = False,
) -> Any:
    """Hyperscan over ``patterns`` (reported as ``ids``; ``cqlmatch._hsscan``;
    ``every``: each occurrence, not each pattern once), the faster way to find
    many literals, or None where it was not built (no libhyperscan), or
    where ``database`` (what ``serialize`` gave) cannot be used here.
    Without ``database``, a scanner compiled by an earlier run is loaded
    from the cache of kept scanners (``scancache``), or compiled and kept."""
    if database is None:
        return _kept(patterns, ids, every, compile_missing=True)
    try:
        from .._hsscan import LiteralScanner
    except ImportError:
        return None
    try:
        return LiteralScanner(patterns, ids, database, every)
    except ValueError:
        return None


def kept_scanner(patterns: list[bytes], ids: list[int] | None = None, every: bool = False) -> Any:
    """``literal_scanner(patterns, ids, every=every)`` as an earlier run
    kept it (``scancache``), or None when none was kept (or loads here)."""
    return _kept(patterns, ids, every, compile_missing=False)


def _kept(patterns: list[bytes], ids: list[int] | None, every: bool, compile_missing: bool) -> Any:
    """The scanner the cache keeps for these patterns; ``compile_missing``:
    compiled (and kept) when it has none."""
    try:
        from .._hsscan import LiteralScanner, version
    except ImportError:
        return None
    key = scanner_key(version(), patterns, ids, every)

    def load(kept: bytes) -> Any:
        return LiteralScanner(patterns, ids, kept, every)

    if not compile_missing:
        return scancache.lookup(key, load)
    return scancache.cached(key, load, lambda: LiteralScanner(patterns, ids, None, every))


def batch_hits(
    runs: list[RuleRun],
    batch: list[Event],
    index: Candidates | None = None,
    whole: Any = None,
) -> list[tuple[int, RuleRun, Event]]:
    """Run every rule over the events of one batch it can keep (its route
    admits them and, with ``index``, their lines hold its literals):
    ``(event index, rule run, output event)`` for each per-event hit, by
    event and then by rule (aggregating rules fold and give none here).
    ``whole``: when the batch's events hold only some fields, the event of
    a line decoded whole (``Hits.whole_event``), for the rules with a slow
    path (``RuleRun.needs_whole``)."""
    lines = [event.raw for event in batch]
    lists = None
    orders: Sequence[int] = range(len(runs))  # the rules run alone here
    found: list[tuple[int, int, RuleRun, Event]] = []
    if index is not None and None not in lines:
        linked = index.linked if len(index.shape_of) == len(runs) else None
        if linked is None:
            lists = index.lists(lines)
        else:
            orders = linked.alone(len(runs))
            wanted = [index.shape_of[o] for o in orders]
            starts, shapes, lists = index.pairs(lines, wanted, [event.fields for event in batch])
            stats = [run.stats for run in runs]
            for i, order in linked.hits(batch, starts, shapes, stats):
                found.append((i, order, runs[order], batch[i]))
    shape_of = None if lists is None or index is None else index.shape_of
    found.extend(rules_alone(runs, batch, lists, shape_of, orders, whole))
    found.sort(key=lambda hit: (hit[0], hit[1]))
    return [(index, run, out) for index, _, run, out in found]
