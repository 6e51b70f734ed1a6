"""Partial states: one query over one part of its input, merged later.

    state = q.partial(path, part=3)        # a PartialState
    data = state.to_bytes()                # ... sent over the network ...
    state = PartialState.from_bytes(data, q)
    whole = a.merge(b)                     # parts in index order
    rows = q.finish(whole)                 # a Result: one pass's rows

A state holds what one pass over its parts would have at their end: the
state of the first aggregate stage (the VM's native group table, or a
``functions.partials`` state), the read counts, the malformed lines (the
first ``MALFORMED_KEPT``, numbered within their part and renumbered per
file at the end), the run-time warnings and the sources that ended early.
Merging follows the part index, so the rows are those of one pass over
the parts in index order, whichever way the merges are grouped, as long as
each merge joins states whose parts do not interleave.  The worker
processes (``runtime.parallel``), Dask and Spark (``cqlmatch.scale``) all
run parts this way.

``to_bytes`` frames a state with ``msgspec`` (MessagePack): the state
format, the program format and a hash of the query (its text, parameters
and program), so a state made by another query, another engine or another
cqlmatch is refused with a ``PartialStateError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

import msgspec

from ..bytecode.program import FORMAT_VERSION
from ..errors import PartialStateError
from ..functions.partials import StageState, stage_state
from ..ingest.blocks import FileRange
from ..ingest.lines import MalformedLine
from ..ingest.prefilter import Prefilter
from ..ingest.reader import IngestStats, read_events
from ..ingest.sources import source_name
from ..limits import MALFORMED_KEPT, PARTIAL_GROUPS
from ..syntax import ast as A
from .result import Result

#: The layout of a serialised state; a state of another layout is refused.
STATE_FORMAT = 1


class _Wire(msgspec.Struct, array_like=True):
    """A state as it travels (see the module docstring)."""

    format: int
    program: int
    query: str
    engine: str
    parts: list[tuple[int, str, int, int]]
    stats: dict[str, int]
    bad: int
    malformed: list[tuple[int, int, str]]
    failed: tuple[int, int, str] | None
    incomplete: list[str]
    warnings: list[tuple[str, str]]
    overflow: bool
    payload: msgspec.Raw


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Wire)
_BIG_INT = 1  # MessagePack extension type: an integer past 64 bits, as its decimal text


def _encode_payload(data: Any) -> bytes:
    """A payload's plain values as MessagePack; integers past 64 bits (an
    exact sum's total, a huge number seen by min()) as an extension."""
    try:
        return _ENCODER.encode(data)
    except OverflowError:
        return _ENCODER.encode(_big_ints(data))


def _big_ints(value: Any) -> Any:
    if type(value) is int and not -(1 << 63) <= value < (1 << 64):
        return msgspec.msgpack.Ext(_BIG_INT, str(value).encode("ascii"))
    if isinstance(value, list | tuple):
        return [_big_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _big_ints(item) for key, item in value.items()}
    return value


def _extension(code: int, data: memoryview) -> Any:
    if code != _BIG_INT:
        raise PartialStateError(f"not a cqlmatch partial state: extension type {code}")
    return int(bytes(data))


_PAYLOAD_DECODER = msgspec.msgpack.Decoder(ext_hook=_extension)


def query_hash(query: Any) -> str:
    """What makes two compiled queries the same for their states."""
    import hashlib  # here: 2 ms of every start otherwise, for runs that never merge states

    digest = hashlib.sha256()
    digest.update(query.text.encode("utf-8", "surrogatepass"))
    digest.update(repr(sorted(query.checked.params.items())).encode("utf-8", "surrogatepass"))
    digest.update(query.program.dumps())
    return digest.hexdigest()[:32]


class PartialRunner:
    """One query's engine, split where the per-event code ends: what
    ``partial``, ``merge`` and ``finish`` share.  Made per state (its
    engine gathers the warnings of what it runs)."""

    def __init__(
        self, query: Any, engine: str = "vm", tags: Mapping[str, str] | None = None
    ) -> None:
        """``tags``: the tags of the source its parts read (``lang.tags``)."""
        if query.checked.reads_source:
            raise PartialStateError(
                "this query reads its input again (join, defineTable): it needs the whole"
                " input in one process and cannot run in parts"
            )
        self.query = query
        self.engine_name = engine
        self.engine = query.new_engine(engine, tags)
        self.hash = query_hash(query)
        # Made once for every part (and before a fork: the workers share it).
        self.line_filter = Prefilter(query.program.prefilter)
        if engine == "vm":
            self.grouped = query.plan.grouped
            after = tuple(self.engine.nodes[i] for i in query.plan.after)
            self.interp = self.engine.interp if not self.grouped and after else None
            self.per_event: tuple[A.Node, ...] = ()
        else:
            self.grouped = False
            self.interp = self.engine
            stages = query.tree.stages
            first = next(
                (i for i, s in enumerate(stages) if self.engine.is_aggregate(s)), len(stages)
            )
            self.per_event, after = stages[:first], stages[first:]
        self.first = None if self.grouped or not after else after[0]
        self.rest = after if self.grouped else after[1:]

    def new_payload(self) -> Any:
        if self.grouped:
            return self.engine.new_table(partial=True)
        return stage_state(self.interp, self.query.checked, self.first)

    # --- one part ------------------------------------------------------------------------

    def run(
        self,
        source: Any,
        part: int,
        *,
        on_error: str = "skip",
        prefilter: bool = True,
        max_line_bytes: int,
        name: str | None = None,
        continues: bool = False,
    ) -> PartialState:
        """The state of one part: ``source`` is a path, a ``FileRange`` or
        anything ``CompiledQuery.run`` reads as one source; ``continues``:
        it goes on from the part before of the same name (its line numbers
        follow, as a ``FileRange`` past the start of its file does)."""
        label, start = part_origin(source, continues)
        vm = self.engine_name == "vm"
        reader = read_events(
            source,
            self.query.program,
            need_all=not vm or self.query.plan.decode_all,
            prefilter=prefilter and on_error == "skip",
            max_line_bytes=max_line_bytes,
            columns=self.query.reader_columns(vm),
            literals=self.line_filter,
        )
        state = PartialState(self, self.new_payload())
        payload = state.payload
        events = state.events(reader, part, on_error)
        watch = self.engine.watch  # (the tags this part's events carried: W470)
        watch.seen.clear()
        watch.read = False
        with reader:
            if self.grouped:
                self.engine.fold(events, payload)
            else:
                outputs = self.engine.outputs(events) if vm else self._per_event(events)
                payload.add(outputs)
        state.read_part(reader, part, name or label, start)
        for code, message in watch.warnings():
            self.engine.warn(code, message)
        state.warnings = list(self.engine.warnings)
        self.engine.warnings.clear()
        state.overflow = self.overflow(payload)
        return state

    def _per_event(self, items: Iterator[Any]) -> Iterator[Any]:
        tags = self.engine.tags
        items = iter(self.engine.watch.watched(items))
        tagged = items if tags is None else (event.tagged(tags) for event in items)
        return self.engine.stages(self.per_event, tagged)

    # --- the end ---------------------------------------------------------------------------

    @staticmethod
    def full(payload: Any) -> bool:
        """Whether one pass would have stopped reading (a full ``head``)."""
        return isinstance(payload, StageState) and payload.full

    @staticmethod
    def overflow(payload: Any) -> bool:
        """Whether a part's payload dropped groups a merge would need."""
        if isinstance(payload, StageState):
            return payload.overflow
        return bool(payload.limit_reached)

    def rows(self, payload: Any, result: Result) -> tuple[list[dict[str, str]], list[Any]]:
        """The rows of a merged payload, and the warnings making them gave."""
        engine = self.engine
        engine.warnings.clear()
        if self.grouped:
            out = finish_table(engine, payload)
        else:
            out = payload.rows()
            if self.rest:
                tags = engine.tags  # (the rows are events: they read the tags too)
                rows = out if tags is None else [event.tagged(tags) for event in out]
                out = list(self.interp.stages(self.rest, iter(rows)))
        said = list(engine.warnings)
        engine.warnings.clear()
        return [row.fields for row in out], said

    # --- bytes -----------------------------------------------------------------------------

    def dump_payload(self, payload: Any) -> Any:
        return dump_table(payload) if self.grouped else payload.dump()

    def load_payload(self, data: Any) -> Any:
        if self.grouped:
            return load_table(data, self.query.program.group)
        payload = self.new_payload()
        payload.load(data)
        return payload


def dump_table(table: Any) -> list[Any]:
    """A (partial) group table as plain values."""
    _, args = table.__reduce__()
    _, nfields, key_values, counts, objects, limit_reached, limit = args
    return [nfields, key_values, counts, [_object(o) for o in objects], limit_reached, limit]


def load_table(data: list[Any], plan: Any) -> Any:
    """The group table ``dump_table`` gave, for group plan ``plan``."""
    from .._vm import _restore_table

    nfields, key_values, counts, objects, limit_reached, limit = data
    return _restore_table(
        plan,
        nfields,
        [tuple(key) for key in key_values],
        counts,
        [_unobject(o) for o in objects],
        limit_reached,
        limit,
    )


def finish_table(engine: Any, table: Any) -> list[Any]:
    """A merged partial table's rows: the plan's group limit applies here."""
    full = engine.new_table()
    full.merge(table)
    if full.limit_reached or table.limit_reached:  # (past the limit, or dropped by a merge)
        from ..codes import W401

        engine.warn("W401", W401.format(full.group_limit))
    return engine.finish(full)


def _object(value: Any) -> Any:
    """A group table's aggregate object as plain values."""
    if isinstance(value, set):
        return ["set", sorted(value)]
    if isinstance(value, int | float | str) or value is None:
        return value
    _, args = value.__reduce__()  # a sum: (small, big, parts, saw_float, special, overflowed)
    small, big, parts, saw_float, special, overflowed = args
    if overflowed is not None:
        overflowed = [overflowed.numerator, overflowed.denominator]
    return ["sum", small, big, parts, saw_float, special, overflowed]


def _unobject(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    if value[0] == "set":
        return set(value[1])
    from .._vm import _restore_sum

    small, big, parts, saw_float, special, overflowed = value[1:]
    if overflowed is not None:
        overflowed = Fraction(*overflowed)
    return _restore_sum(small, big, parts, saw_float, special, overflowed)


class PartialState:
    """The state of a query over some parts of its input (see the module
    docstring); ``merge`` joins two, ``Any.finish`` gives the rows."""

    def __init__(self, runner: PartialRunner, payload: Any) -> None:
        self.runner = runner
        self.payload = payload
        #: (part index, source name, first byte, lines read), by part index
        self.parts: list[tuple[int, str, int, int]] = []
        self.stats: dict[str, int] = IngestStats().as_dict()
        self.bad = 0
        #: the first bad lines: (part index, line within the part, reason)
        self.malformed: list[tuple[int, int, str]] = []
        self.failed: tuple[int, int, str] | None = None
        self.incomplete: list[str] = []
        self.warnings: list[tuple[str, str]] = []
        #: a part held more groups than a state keeps (``limits.PARTIAL_GROUPS``):
        #: the merge would not be one pass's
        self.overflow = False

    def events(self, reader: Any, part: int, on_error: str) -> Iterator[Any]:
        """The events ``reader`` reads for part ``part``: its malformed
        lines are counted in ``bad`` and the first ``MALFORMED_KEPT`` kept
        in ``malformed``; under ``on_error="fail"`` the first one is
        ``failed`` and the events end there."""
        for item in reader:
            if type(item) is not MalformedLine:
                yield item
                continue
            if on_error == "fail":
                self.failed = (part, item.line_number, item.reason)
                return
            self.bad += 1
            if len(self.malformed) < MALFORMED_KEPT:
                self.malformed.append((part, item.line_number, item.reason))

    def read_part(self, reader: Any, part: int, name: str, start: int) -> None:
        """Note what ``reader`` read of part ``part`` (``name``, from byte
        ``start``): its lines, counts and whether it ended early."""
        self.parts = [(part, name, start, reader.stats.lines)]
        self.stats = reader.stats.as_dict()
        if reader.incomplete:
            self.incomplete = [name]

    @property
    def indexes(self) -> list[int]:
        """The part indexes this state holds, in order."""
        return [part[0] for part in self.parts]

    def merge(self, other: PartialState) -> PartialState:
        """This state and ``other`` as one (this one changes and is
        returned), ordered by part index: the parts of one must all come
        before those of the other."""
        if other.runner.hash != self.runner.hash or other.runner.engine_name != (
            self.runner.engine_name
        ):
            raise PartialStateError("partial states of different queries do not merge")
        if not other.parts:
            return self
        if self.parts and other.parts[-1][0] < self.parts[0][0]:
            first, second = other, self
        elif not self.parts or self.parts[-1][0] < other.parts[0][0]:
            first, second = self, other
        else:
            raise PartialStateError(
                f"parts {self.indexes} and {other.indexes} interleave: merge states of"
                " consecutive parts"
            )
        if self.runner.full(first.payload):
            # One pass stops reading at the end of a full head(): nothing of
            # the later parts is read, counted or reported.
            self.payload, self.parts = first.payload, first.parts + second.parts
            if first is other:
                self.payload = self.runner.load_payload(other.runner.dump_payload(other.payload))
                self.stats, self.bad, self.malformed = other.stats, other.bad, other.malformed
                self.failed, self.incomplete = other.failed, other.incomplete
                self.warnings, self.overflow = other.warnings, other.overflow
            return self
        payload = first.payload
        if first is other:  # the earlier payload takes the later one in
            payload = self.runner.load_payload(other.runner.dump_payload(other.payload))
        payload.merge(second.payload)
        self.payload = payload
        self.parts = first.parts + second.parts
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value
        self.bad += other.bad
        self.malformed = (first.malformed + second.malformed)[:MALFORMED_KEPT]
        self.failed = first.failed if first.failed is not None else second.failed
        self.incomplete = first.incomplete + second.incomplete
        self.overflow = self.overflow or other.overflow
        for said in other.warnings:
            if said not in self.warnings:
                self.warnings.append(said)
        return self

    def to_bytes(self) -> bytes:
        runner = self.runner
        return _ENCODER.encode(
            _Wire(
                STATE_FORMAT,
                FORMAT_VERSION,
                runner.hash,
                runner.engine_name,
                self.parts,
                self.stats,
                self.bad,
                self.malformed,
                self.failed,
                self.incomplete,
                self.warnings,
                self.overflow,
                msgspec.Raw(_encode_payload(runner.dump_payload(self.payload))),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes, query: Any, engine: str = "vm") -> PartialState:
        """A state made by ``to_bytes`` for ``query`` (a ``CompiledQuery``) (``PartialStateError``
        when it is not one: another query, engine or format)."""
        try:
            wire = _DECODER.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise PartialStateError(f"not a cqlmatch partial state: {err}") from None
        if wire.format != STATE_FORMAT or wire.program != FORMAT_VERSION:
            raise PartialStateError(
                f"a partial state of format {wire.format} (program format {wire.program});"
                f" this cqlmatch reads {STATE_FORMAT} ({FORMAT_VERSION}): run the parts again"
            )
        return cls.load(data, query.partial_runner(engine), wire)

    @classmethod
    def load(cls, data: bytes, runner: PartialRunner, wire: _Wire | None = None) -> PartialState:
        """``from_bytes`` with the runner to hold the state (one for many)."""
        if wire is None:
            wire = _DECODER.decode(data)
        if wire.query != runner.hash or wire.engine != runner.engine_name:
            raise PartialStateError(
                "this partial state was made by another query (or engine): states merge and"
                " finish only with the query that made them"
            )
        try:
            payload = _PAYLOAD_DECODER.decode(wire.payload)
        except msgspec.DecodeError as err:
            raise PartialStateError(f"not a cqlmatch partial state: {err}") from None
        state = cls(runner, runner.load_payload(payload))
        state.parts = [tuple(p) for p in wire.parts]  # type: ignore[misc]
        state.stats = dict(wire.stats)
        state.bad = wire.bad
        state.malformed = [tuple(m) for m in wire.malformed]  # type: ignore[misc]
        state.failed = wire.failed
        state.incomplete = list(wire.incomplete)
        state.warnings = [tuple(w) for w in wire.warnings]  # type: ignore[misc]
        state.overflow = wire.overflow
        return state

    def finish(self, result: Result | None = None) -> Result:
        """The rows of one pass over this state's parts, in a ``Result``
        with the read counts, malformed lines (renumbered per file) and
        warnings.  ``BadEventError`` for a part that met a bad line under
        ``on_error="fail"``; ``PartialStateError`` when a part held more
        groups than a state keeps."""
        runner = self.runner
        result = Result() if result is None else result
        names = {name for _, name, _, _ in self.parts}
        many = len(names) > 1
        offsets: dict[int, int] = {}
        running: dict[str, int] = {}
        for index, name, start, lines in self.parts:
            offset = 0 if start == 0 else running.get(name, 0)
            offsets[index] = offset
            running[name] = offset + lines
        where = {index: name for index, name, _, _ in self.parts}
        if self.failed is not None:
            index, line, reason = self.failed
            result.note_malformed(
                MalformedLine(offsets[index] + line, reason, where[index]), "fail", where[index]
            )
        for index, line, reason in self.malformed:
            source = where[index] if many else None
            result.note_malformed(MalformedLine(offsets[index] + line, reason, source), "skip", "")
        result.malformed_count += self.bad - len(self.malformed)
        result.stats.add(self.stats)
        result.incomplete.extend(self.incomplete)
        if self.overflow:
            raise PartialStateError(
                f"a part held more than {PARTIAL_GROUPS:,} groups, more than a partial state"
                " keeps: its rows would not be one pass's; split the input into smaller parts"
                " or run it in one process"
            )
        rows, said = runner.rows(self.payload, result)
        warnings = list(self.warnings)
        for one in said:
            if one not in warnings:
                warnings.append(one)
        result.warnings = warnings
        result.read_all = not runner.full(self.payload)
        result.extend(rows)
        return result


def part_origin(source: Any, continues: bool) -> tuple[str, int]:
    """(name, first byte) of a part: a ``FileRange``'s path and start; for
    another source its name, and 1 when it ``continues`` the part before
    of the same name (its line numbers follow on), else 0."""
    if isinstance(source, FileRange):
        return os.fspath(source.path), source.start
    return source_name(source), int(continues)
