"""Embedding: a ``Matcher`` made once from a query and called per event.

    m = cqlmatch.Matcher(open("rules/t1546_016.cql").read())
    m.match(event_dict)            # the event plus the fields the rule assigned, or None
    m.match_many(dicts)            # one result per input, computed in batches
    m.feed(ndjson_bytes)           # raw NDJSON chunks split anywhere; kept events
    m.flush()                      # the final line when the input does not end in LF
    m.results()                    # aggregate rows over everything seen so far

What a kept event looks like
    The input event as given (a shallow copy: key order, nesting and JSON
    types kept) with every field the per-event stages assigned or changed
    set under its LogScale name (a string), and every top-level field they
    removed deleted.  A shipper forwards the whole event, so this is what
    ``cqlmatch stream`` writes too.  ``CompiledQuery.match`` gives the other
    view: the flat LogScale field set the pipeline leaves.

Per-event cost
    When the compiled program reads fields only through its slots (no
    instruction takes a syntax node, so no slow path runs the reference
    semantics on the whole event) and no aggregate stage past a native
    ``groupBy`` reads events, only the program's fields (and their ``#tag``
    and ``@timestamp`` fallbacks) are converted from the event: a few dict
    lookups instead of flattening every field, and no ``@rawstring``
    serialisation unless the program reads it.  NDJSON lines are decoded the
    same way (``ingest.Decoder`` restricted to those fields) after the raw
    prefilter; a kept line is then decoded whole for its output.  Otherwise
    every event is flattened whole, as ``CompiledQuery.run`` does.

Aggregates
    For a query with aggregate stages every event the per-event part keeps
    is folded in as it passes.  A native ``groupBy`` (``Program.group``) is
    folded incrementally, so memory is bounded by its group limit: one state
    per group (counts, extremes, the distinct values of ``count(distinct=
    true)``, and the numbers of ``sum``/``avg``, collapsed to their running
    sum every 4,096 values on Python < 3.12, where ``sum`` is a plain left
    fold and the collapse is exact).  ``results()`` turns the states into
    rows exactly as the VM does and runs the stages after ``groupBy``.  Any
    other aggregate stage (``count()``, ``sort``, ``head``, ...) needs the
    events themselves: they are kept, unbounded, until ``results(reset=True)``.

Threads
    One ``Matcher`` may be shared by any number of threads.  Each thread gets
    its own engine (``threading.local``).  Today one ``Machine`` does serve
    several threads (its regex-set cache is written only with the GIL held,
    and ``tests/test_vm.py`` checks it), but that is a property of the
    current VM, which is being rewritten, not a documented contract, it
    would not hold on a free-threaded Python, and the interpreter serving
    the VM's slow paths keeps run state of its own.  An engine per thread
    removes the question at a small cost: the program is compiled once and
    shared, only the RE2 sets are built again per thread (a few milliseconds
    for the seed rule).  The carried partial line of ``feed``, the line
    counter, the malformed-line list and the aggregate states are guarded by
    locks; ``feed`` treats everything fed, in call order, as one stream, so
    threads that each read their own stream should feed whole lines or use
    a ``Matcher`` each.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import msgspec

from ..bytecode.opcodes import INFO, Op
from ..bytecode.program import FieldRef, Program
from ..functions.stages import W401
from ..ingest.lines import MalformedLine
from ..ingest.reader import MAX_LINE_BYTES, Decoder, Prefilter
from ..lang.events import Event, Fields, _scalar, flatten, rawstring_of
from ..lang.values import format_number, parse_number
from ..reference import Interpreter
from ..semantics.lookups import Table
from ..syntax import ast as A
from .query import ENGINES, CompiledQuery, compile as compile_query

__all__ = ["Matcher"]

_NL = b"\n"
_BOM = b"\xef\xbb\xbf"
_MISSING = object()
#: Malformed lines kept with their numbers; ``malformed_count`` has them all.
KEEP_MALFORMED = 1000
#: Numbers of one sum()/avg() group state collapsed into their sum past this many.
_COLLAPSE = 4096
# On 3.12+ sum() of floats is compensated, so a collapsed prefix could differ
# from the VM's one sum() over all values in the last bit: never collapse there.
_CAN_COLLAPSE = sys.version_info < (3, 12)


def _slot_only(program: Program) -> bool:
    """Whether the per-event code reads fields only through slots: no
    instruction has a syntax-node operand (a slow path running the reference
    semantics on the whole event).  Unknown opcodes count as slow."""
    code = program.code
    pc = 0
    while pc < len(code):
        try:
            info = INFO[Op(code[pc])]
        except ValueError:
            return False
        if "node" in info.operands:
            return False
        pc += 1 + len(info.operands)
    return True


def _requested(fields: Iterable[FieldRef]) -> tuple[str, ...]:
    names: list[str] = []
    for ref in fields:
        names.append(ref.name)
        if ref.fallback is not None:
            names.append(ref.fallback)
    return tuple(dict.fromkeys(names))


def _read(fields: Fields, raw: str | None, ref: FieldRef) -> str | None:
    """A slot's value with the VM's fallbacks (``#tag``, ``@timestamp``, ``@rawstring``)."""
    value = fields.get(ref.name)
    if value is not None:
        return value
    if ref.fallback is not None:
        return fields.get(ref.fallback)
    return raw if ref.rawstring else None


class _GroupFold:
    """A native groupBy (``Program.group``) folded event by event; ``rows()``
    gives what ``Machine.group`` gives over the same events in the same order."""

    def __init__(self, program: Program, warn: Callable[[str, str], None]) -> None:
        plan = program.group
        assert plan is not None
        self.keys = tuple(program.fields[s] for s in plan.keys)
        self.aggs = tuple(
            (spec.kind, spec.distinct, None if spec.slot < 0 else program.fields[spec.slot])
            for spec in plan.aggregates
        )
        self.outputs = tuple(spec.output for spec in plan.aggregates)
        self.limit = plan.limit
        self.warn = warn
        self.groups: dict[Any, list[Any]] = {}
        self.warned = False

    def _new_state(self) -> list[Any]:
        state: list[Any] = []
        for kind, distinct, ref in self.aggs:
            if kind == "count":
                state.append(set() if distinct and ref is not None else 0)
            elif kind in ("sum", "avg"):
                state.append([0, []])  # count of numbers, the numbers
            else:
                state.append([0, None])  # count of numbers, the extreme
        return state

    def add(self, events: Iterable[Event]) -> None:
        keys, aggs, groups = self.keys, self.aggs, self.groups
        single = len(keys) == 1
        for event in events:
            fields, raw = event.fields, event.raw
            if single:
                key = _read(fields, raw, keys[0])
                if key is None:
                    continue
            else:
                values = [_read(fields, raw, ref) for ref in keys]
                if None in values:
                    continue
                key = tuple(values)
            state = groups.get(key)
            if state is None:
                if len(groups) >= self.limit:
                    if not self.warned:
                        self.warn("W401", W401.format(self.limit))
                        self.warned = True
                    continue
                state = groups[key] = self._new_state()
            for a, (kind, distinct, ref) in enumerate(aggs):
                if ref is None:
                    state[a] += 1
                    continue
                value = _read(fields, raw, ref)
                if value is None:
                    continue
                if kind == "count":
                    if distinct:
                        state[a].add(value)
                    else:
                        state[a] += 1
                    continue
                number = parse_number(value)
                if number is None:
                    continue
                slot = state[a]
                slot[0] += 1
                if kind in ("sum", "avg"):
                    numbers = slot[1]
                    numbers.append(number)
                    if _CAN_COLLAPSE and len(numbers) > _COLLAPSE:
                        numbers[:] = [sum(numbers)]
                elif slot[0] == 1:
                    slot[1] = number
                elif (number < slot[1]) if kind == "min" else (number > slot[1]):
                    slot[1] = number  # the first extreme stays

    def rows(self) -> list[Event]:
        names = [ref.name for ref in self.keys]
        single = len(names) == 1
        rows = []
        for key, state in self.groups.items():
            results: dict[str, str] = {}
            produced = False
            for a, (kind, _distinct, _ref) in enumerate(self.aggs):
                value = state[a]
                if kind == "count":
                    results[self.outputs[a]] = str(len(value) if isinstance(value, set) else value)
                elif value[0] == 0:
                    continue  # no numeric input: no output
                elif kind == "sum":
                    results[self.outputs[a]] = format_number(sum(value[1]))
                elif kind == "avg":
                    results[self.outputs[a]] = format_number(sum(value[1]) / value[0])
                else:
                    results[self.outputs[a]] = format_number(value[1])
                produced = True
            if self.aggs and not produced:
                continue  # none of the aggregates had input: no row
            row = dict(zip(names, (key,) if single else key, strict=True))
            row.update(results)
            rows.append(Event(row))
        return rows


def _assigned(in_fields: Fields, out_fields: Fields) -> tuple[dict[str, str], list[str]]:
    """The fields the pipeline set or changed, and those it removed."""
    changed = {}
    added = 0
    get = in_fields.get
    for name, value in out_fields.items():
        before = get(name, _MISSING)
        if before is _MISSING:
            added += 1
            changed[name] = value
        elif before != value:
            changed[name] = value
    removed: list[str] = []
    if len(in_fields) + added != len(out_fields):
        removed = [name for name in in_fields if name not in out_fields]
    return changed, removed


def _merged(event: Mapping[str, Any], in_fields: Fields, out_fields: Fields) -> dict[str, Any]:
    """The output event: the input plus assigned fields, minus removed top-level ones."""
    result = dict(event)
    if out_fields is in_fields:
        return result
    changed, removed = _assigned(in_fields, out_fields)
    result.update(changed)
    for name in removed:
        result.pop(name, None)
    return result


class Matcher:
    """One query, compiled once, matched against events from any number of
    threads; see the module docstring for outputs, aggregates and threads."""

    def __init__(
        self,
        query: str | CompiledQuery,
        *,
        params: Mapping[str, str] | None = None,
        lookups: Mapping[str, str | Path | Table] | None = None,
        engine: str = "vm",
        prefilter: bool = True,
        aggregate: bool = True,
        batch_size: int = 1024,
        max_line_bytes: int = MAX_LINE_BYTES,
        on_malformed: Callable[[MalformedLine], None] | None = None,
    ) -> None:
        """``query``: CQL text (compiled with ``params`` and ``lookups``) or a
        ``CompiledQuery``.  ``aggregate=False`` skips the aggregate stages
        (``results()`` then refuses), for callers that only classify.
        ``on_malformed`` is called with each malformed line as it is found."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if isinstance(query, CompiledQuery):
            if params or lookups:
                raise ValueError("params and lookups are given to compile(), not with a query")
            compiled = query
        elif isinstance(query, str):
            compiled = compile_query(query, params=params, lookups=lookups)
        else:
            raise TypeError(
                f"query must be CQL text or a CompiledQuery, not {type(query).__name__}"
            )
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.query = compiled
        self.engine = engine
        self.batch_size = batch_size
        self.max_line_bytes = max_line_bytes
        self.on_malformed = on_malformed
        self._checked = compiled.checked
        self._tables = compiled.tables
        if Interpreter(self._checked, self._tables).needs_source():
            raise ValueError(
                "join() and defineTable() read the whole input at once: "
                "use cqlmatch.compile(text).run(events) for this query"
            )
        self._local = threading.local()
        self._warnings: list[tuple[str, str]] = []
        first = self._new_engine()  # compiles the program once; other threads reuse it
        self._local.engine = first
        program: Program = first.program if engine == "vm" else _program_of(self._checked)
        self.program = program

        # Which part of each event must be converted (module docstring, "Per-event cost").
        nodes = list(A.walk(self._checked.tree))
        tree_stages = self._checked.tree.stages
        interp = Interpreter(self._checked, self._tables)
        first_aggregate = next(
            (i for i, s in enumerate(tree_stages) if interp.is_aggregate(s)), len(tree_stages)
        )
        self.aggregating = first_aggregate < len(tree_stages) and aggregate
        self.has_aggregates = first_aggregate < len(tree_stages)
        native_group = engine == "vm" and program.group is not None
        slots_only = (
            engine == "vm"
            and _slot_only(program)
            and (not program.aggregate_stages or native_group or not aggregate)
        )
        self._names = _requested(program.fields)
        self._line_restricted = slots_only
        self._dict_restricted = slots_only and not any("." in n or "[" in n for n in self._names)
        self._needs_raw = not slots_only or any(ref.rawstring for ref in program.fields)
        self._prefilter = Prefilter(program.prefilter if prefilter else ())
        self._decoder_fields = program.fields if slots_only else ()

        # Aggregation state.
        self._agg_lock = threading.Lock()
        self._fold: _GroupFold | None = None
        self._buffer: list[Event] = []
        if native_group:
            self._fold = _GroupFold(program, self._warn)
            self._after = tuple(nodes[i] for i in program.aggregate_stages[1:])
        elif engine == "vm":
            self._after = tuple(nodes[i] for i in program.aggregate_stages)
        else:
            self._after = tuple(tree_stages[first_aggregate:])

        # feed(): the carried partial line and the line counter.
        self._feed_lock = threading.Lock()
        self._pieces: list[bytes] = []
        self._carried = 0
        self._discarding = False  # inside a line already reported as too long
        self._next_line = 1
        self._items = 0  # match_many() items so far, to number malformed ones
        self._malformed_lock = threading.Lock()
        self.malformed: list[MalformedLine] = []
        self.malformed_count = 0
        self.lines = 0  # complete lines fed so far
        self.kept = 0  # events the per-event part kept (all entry points)

    # --- engines ---------------------------------------------------------------------------

    def _new_engine(self) -> Any:
        if self.engine == "vm":
            from .engine import VMEngine

            program = getattr(self, "program", None)
            engine = VMEngine(self._checked, self._tables, program=program)
            interp = engine.interp
        else:
            engine = interp = Interpreter(self._checked, self._tables)
        interp.warnings = self._warnings  # one list for every thread's engine
        return engine

    def _engine(self) -> Any:
        try:
            return self._local.engine
        except AttributeError:
            engine = self._local.engine = self._new_engine()
            return engine

    def _warn(self, code: str, message: str) -> None:
        if (code, message) not in self._warnings:
            self._warnings.append((code, message))

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """Run-time warnings so far ``(code, message)`` (``W401``: a group limit was reached)."""
        return list(dict.fromkeys(self._warnings))

    # --- events given as dicts -------------------------------------------------------------

    def _event(self, item: Mapping[str, Any]) -> Event:
        """The engine's view of ``item``; raises TypeError or ValueError when
        it is not a JSON object."""
        if self._dict_restricted:
            fields: Fields = {}
            get = item.get
            for name in self._names:
                value = get(name, _MISSING)
                if value is _MISSING:
                    continue
                if type(value) is str:
                    fields[name] = value
                elif not isinstance(value, Mapping | list | tuple):
                    fields[name] = _scalar(value)
                # an object or array value only has dotted names, which no slot reads
            raw = None
            if self._needs_raw:
                raw = fields.get("@rawstring") or rawstring_of(item)
            return Event(fields, raw)
        fields = flatten(item)
        return Event(fields, fields.get("@rawstring") or rawstring_of(item))

    def match(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """The event plus the fields the per-event stages assigned, or None
        when the query drops it.  Raises ``TypeError``/``ValueError`` when
        ``event`` is not a JSON object (a mapping of JSON values)."""
        if not isinstance(event, Mapping):
            raise TypeError(f"an event is a mapping, not {type(event).__name__}")
        try:
            source = self._event(event)
        except (TypeError, ValueError, RecursionError) as err:
            raise ValueError(f"not a JSON object: {_reason(err)}") from None
        out = self._engine().match(source)
        if out is None:
            return None
        self._kept([out])
        return _merged(event, source.fields, out.fields)

    def match_many(self, events: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any] | None]:
        """``match`` over ``events``, one result per item in order (None when
        dropped), computed ``batch_size`` at a time.  An item that is not a
        JSON object yields None and is recorded in ``malformed`` under its
        position (counted from 1 over all calls)."""
        items = iter(events)
        while batch := list(islice(items, self.batch_size)):
            yield from self._match_batch(batch)

    def _match_batch(self, batch: list[Any]) -> list[dict[str, Any] | None]:
        with self._feed_lock:
            base = self._items
            self._items += len(batch)
        sources: list[Event] = []
        positions: list[int] = []
        for index, item in enumerate(batch):
            if not isinstance(item, Mapping):
                self._bad(
                    MalformedLine(base + index + 1, f"not a mapping but {type(item).__name__}")
                )
                continue
            try:
                sources.append(self._event(item))
            except (TypeError, ValueError, RecursionError) as err:
                self._bad(MalformedLine(base + index + 1, _reason(err)))
                continue
            positions.append(index)
        outs = self._run(sources)
        self._kept([out for out in outs if out is not None])
        results: list[dict[str, Any] | None] = [None] * len(batch)
        for index, source, out in zip(positions, sources, outs, strict=True):
            if out is not None:
                results[index] = _merged(batch[index], source.fields, out.fields)
        return results

    def _run(self, sources: list[Event]) -> list[Event | None]:
        """The per-event output of each event (None when dropped), in order."""
        engine = self._engine()
        if self.engine != "vm":
            # run() would aggregate: one call per event (match stops before aggregates)
            return [engine.match(source) for source in sources]
        outs: list[Event | None] = [None] * len(sources)
        where = {id(source.fields): i for i, source in enumerate(sources)}
        for out in engine.machine.run(sources):  # the per-event code, no aggregation
            index = where.get(id(out.origin))
            if index is None:  # not traceable to its input: do it event by event
                return [engine.match(source) for source in sources]
            if outs[index] is None:  # the first event a stage emitted, as match() gives
                outs[index] = out
        return outs

    # --- raw NDJSON ------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[dict[str, Any]]:
        """The kept events of the complete lines in ``data`` (NDJSON, split
        anywhere: an unfinished last line waits for the next ``feed`` or
        ``flush``).  Malformed lines go to ``malformed``, never raised."""
        return [self._line_dict(line, ins, out) for line, ins, out in self.feed_raw(data)]

    def flush(self) -> list[dict[str, Any]]:
        """The kept event of the carried unfinished line, if any (the input's
        end: a last line without a line feed)."""
        return [self._line_dict(line, ins, out) for line, ins, out in self.flush_raw()]

    close = flush

    def feed_raw(self, data: bytes | bytearray | memoryview) -> list[tuple[bytes, Fields, Event]]:
        """``feed`` as ``(line, decoded input fields, output event)`` triples,
        for writers that splice the assigned fields into the line itself."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"feed() takes bytes, not {type(data).__name__}")
        with self._feed_lock:
            block, number, late = self._take(bytes(data))
        kept = [] if block is None else self._block(block, number)
        if late is not None:  # the carried line became too long after the block's lines
            self._bad(late)
        return kept

    def flush_raw(self) -> list[tuple[bytes, Fields, Event]]:
        with self._feed_lock:
            number = self._next_line
            block = b"".join(self._pieces) if self._pieces and not self._discarding else None
            if self._pieces or self._discarding:
                self._next_line += 1
                self.lines += 1
            self._pieces, self._carried, self._discarding = [], 0, False
        if block is None:
            return []
        return self._block(block, number)

    def _take(self, data: bytes) -> tuple[bytes | None, int, MalformedLine | None]:
        """Under the feed lock: the complete lines ``data`` ends (with the
        carried start of the first), the number of the first, and the report
        of a carried rest that passed ``max_line_bytes`` (it is then skipped
        up to its line feed without being kept)."""
        if self._discarding:  # the rest of a line already reported as too long
            first = data.find(_NL)
            if first < 0:
                return None, self._next_line, None
            self._next_line += 1
            self.lines += 1
            self._discarding = False
            data = data[first + 1 :]
        cut = data.rfind(_NL)
        if cut < 0:
            return None, self._next_line, self._carry(data)
        number = self._next_line
        count = data.count(_NL, 0, cut) + 1
        block = b"".join([*self._pieces, data[:cut]]) if self._pieces else data[:cut]
        self._next_line += count
        self.lines += count
        self._pieces, self._carried = [], 0
        return block, number, self._carry(data[cut + 1 :])

    def _carry(self, piece: bytes) -> MalformedLine | None:
        if self._discarding or not piece:
            return None
        self._pieces.append(piece)
        self._carried += len(piece)
        if self._carried <= self.max_line_bytes:
            return None
        self._pieces, self._carried, self._discarding = [], 0, True
        return MalformedLine(
            self._next_line, f"line longer than {self.max_line_bytes} bytes (not read)"
        )

    def _block(self, block: bytes, number: int) -> list[tuple[bytes, Fields, Event]]:
        """Decode and match the LF-separated lines of ``block`` (the first is
        line ``number``)."""
        if number == 1 and block.startswith(_BOM):
            block = block[len(_BOM) :]
            first_end = block.find(_NL)
            if not block[: first_end if first_end >= 0 else len(block)].strip():
                self._bad(MalformedLine(1, "only a byte-order mark"))
        decoder = self._decoder()
        limit = self.max_line_bytes
        sources: list[Event] = []
        lines: list[bytes] = []
        line_number, previous = number, 0
        for start, end in self._prefilter.scan(block):
            line_number += block.count(_NL, previous, start)
            previous = start
            line = block[start:end]
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line or line.isspace():
                continue
            if len(line) > limit:
                self._bad(MalformedLine(line_number, f"line longer than {limit} bytes (not read)"))
                continue
            decoded = decoder.decode(line, line_number)
            if type(decoded) is not Event:
                self._bad(decoded)
                continue
            sources.append(decoded)
            lines.append(line)
        outs = self._run(sources)
        kept = [
            (line, source.fields, out)
            for line, source, out in zip(lines, sources, outs, strict=True)
            if out is not None
        ]
        self._kept([out for _line, _fields, out in kept])
        return kept

    def _decoder(self) -> Decoder:
        try:
            return self._local.decoder
        except AttributeError:
            decoder = Decoder(self._decoder_fields, need_all=not self._line_restricted)
            self._local.decoder = decoder
            return decoder

    @staticmethod
    def _line_dict(line: bytes, in_fields: Fields, out: Event) -> dict[str, Any]:
        return _merged(msgspec.json.decode(line), in_fields, out.fields)

    # --- bookkeeping -----------------------------------------------------------------------

    def _bad(self, malformed: MalformedLine) -> None:
        with self._malformed_lock:
            self.malformed_count += 1
            if len(self.malformed) < KEEP_MALFORMED:
                self.malformed.append(malformed)
        if self.on_malformed is not None:
            self.on_malformed(malformed)

    def _kept(self, outs: list[Event]) -> None:
        if not outs:
            return
        with self._agg_lock:
            self.kept += len(outs)
            if not self.aggregating:
                return
            if self._fold is not None:
                self._fold.add(outs)
            else:
                self._buffer.extend(outs)

    # --- aggregates ------------------------------------------------------------------------

    def results(self, reset: bool = False) -> list[dict[str, str]]:
        """The query's output rows over every event matched or fed so far
        (``reset``: then start again from nothing, for windows)."""
        if not self.aggregating:
            if self.has_aggregates:
                raise ValueError("this Matcher was made with aggregate=False")
            raise ValueError(
                "the query has no aggregate stage: match(), match_many() and feed() "
                "return its events"
            )
        with self._agg_lock:
            if self._fold is not None:
                rows = self._fold.rows()
                if reset:
                    self._fold = _GroupFold(self.program, self._warn)
            else:
                rows = self._buffer
                self._buffer = [] if reset else list(rows)
        interp = Interpreter(self._checked, self._tables)
        interp.warnings = self._warnings
        return [event.fields for event in interp.stages(self._after, iter(rows))]


def _program_of(checked: Any) -> Program:
    from ..bytecode.compiler import compile_program

    return compile_program(checked)


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deeply"
    return str(err).split("\n")[0] or type(err).__name__
