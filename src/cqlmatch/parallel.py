"""Running a compiled query over many events: streaming on the VM, groupBy
as mergeable partial states, and worker processes over byte ranges.

``execute(engine, events)``
    The VM path of ``CompiledQuery.run``: the per-event code runs batch by
    batch, so memory holds one batch and the query's output, never the
    input.  A native group plan is folded into a ``GroupState`` as outputs
    come; other aggregate stages get the outputs as a stream.  Queries with
    sub-queries (``join``, ``defineTable``) read the whole input and keep
    ``VMEngine.run``'s all-in-memory path.
``GroupState``
    groupBy's partial aggregation (count, count distinct, sum, avg, min,
    max): ``add`` events, ``merge`` the state of a later part of the input,
    ``rows()`` gives exactly what ``Machine.group`` gives over the whole
    input.  Sums and averages keep their numbers in input order because
    ``Machine.group`` adds them with ``sum()`` and float addition is not
    associative: adding partial sums could change the last digit.
``run_file(...)``
    A plain NDJSON file split at line boundaries into byte ranges, each run
    by a worker process (spawn/forkserver safe: the program travels as
    bytes, with the query text, parameters and lookup rows), merged in input
    order: group states are merged; otherwise each range's per-event
    outputs are concatenated and the aggregate stages (``sort``, ``head``,
    ...) run in the parent.  Line numbers are made global by adding the
    physical line count of the ranges before.  When a range after the first
    reaches the group limit, the merged counts could differ from one pass
    (events of groups admitted earlier were dropped there), so the file is
    run again in one process; the limit is a warning case anyway.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice, pairwise
from typing import TYPE_CHECKING, Any

from .events import Event
from .program import FieldRef, GroupPlan, Program

if TYPE_CHECKING:
    from .vm import VMEngine

BATCH = 4096  # events per machine.run call
MIN_RANGE_BYTES = 16 << 20  # smaller files are not worth a process
RANGES_PER_WORKER = 4  # more ranges than workers: a busy core does not hold up the rest
MALFORMED_KEPT = 100  # malformed lines kept with their reason (the count is always total)
W401 = (
    "groupBy() reached its limit of {} groups; "
    "later groups were left out and counts are lower bounds"
)

_COUNT, _COUNT_FIELD, _DISTINCT, _SUM, _AVG, _MIN, _MAX = range(7)


# --- groupBy partial states -----------------------------------------------------------


def _reader(ref: FieldRef) -> Callable[[Event], str | None]:
    """A field's value with the VM's fallbacks (``#tag``, ``@timestamp``, ``@rawstring``)."""
    name, fallback, rawstring = ref.name, ref.fallback, ref.rawstring

    def read(event: Event) -> str | None:
        value = event.fields.get(name)
        if value is not None:
            return value
        if fallback is not None:
            return event.fields.get(fallback)
        return event.raw if rawstring else None

    return read


class GroupState:
    """Partial groupBy aggregation over a part of the input; see the module docstring."""

    def __init__(self, program: Program) -> None:
        from .values import parse_number

        plan: GroupPlan | None = program.group
        if plan is None:
            raise ValueError("the program has no group plan")
        self._parse = parse_number
        self.limit = plan.limit
        self.key_names = [program.fields[slot].name for slot in plan.keys]
        self._keys = [_reader(program.fields[slot]) for slot in plan.keys]
        self.outputs = [spec.output for spec in plan.aggregates]
        self._kinds: list[int] = []
        self._values: list[Callable[[Event], str | None] | None] = []
        for spec in plan.aggregates:
            if spec.kind == "count":
                kind = _COUNT if spec.slot < 0 else _DISTINCT if spec.distinct else _COUNT_FIELD
            else:
                kind = {"sum": _SUM, "avg": _AVG, "min": _MIN, "max": _MAX}[spec.kind]
            self._kinds.append(kind)
            self._values.append(None if spec.slot < 0 else _reader(program.fields[spec.slot]))
        self.groups: dict[Any, list[Any]] = {}
        self.truncated = False  # a new group came after the limit was reached

    def _fresh(self) -> list[Any]:
        out: list[Any] = []
        for kind in self._kinds:
            if kind in (_COUNT, _COUNT_FIELD):
                out.append(0)
            elif kind == _DISTINCT:
                out.append(set())
            elif kind in (_SUM, _AVG):
                out.append([])
            else:
                out.append([0, None])  # numeric inputs seen, the extreme
        return out

    def add(self, events: Iterable[Event]) -> None:
        """Fold events (in input order) into the state."""
        groups, keys, kinds, values = self.groups, self._keys, self._kinds, self._values
        parse = self._parse
        single = len(keys) == 1
        for event in events:
            if single:
                key = keys[0](event)
                if key is None:
                    continue  # an event lacking a group field counts toward no group
            else:
                parts = [read(event) for read in keys]
                if None in parts:
                    continue
                key = tuple(parts)
            states = groups.get(key)
            if states is None:
                if len(groups) >= self.limit:
                    self.truncated = True
                    continue
                states = groups[key] = self._fresh()
            for a, kind in enumerate(kinds):
                if kind == _COUNT:
                    states[a] += 1
                    continue
                value = values[a](event)  # type: ignore[misc]
                if value is None:
                    continue
                if kind == _COUNT_FIELD:
                    states[a] += 1
                elif kind == _DISTINCT:
                    states[a].add(value)
                else:
                    number = parse(value)
                    if number is None:
                        continue
                    if kind in (_SUM, _AVG):
                        states[a].append(number)
                    else:
                        extreme = states[a]
                        extreme[0] += 1
                        if extreme[0] == 1 or (
                            number < extreme[1] if kind == _MIN else number > extreme[1]
                        ):
                            extreme[1] = number  # the first extreme stays

    def partial(self) -> tuple[dict[Any, list[Any]], bool]:
        """What ``merge`` needs, as plain data a worker can send."""
        return self.groups, self.truncated

    def merge(self, later: tuple[dict[Any, list[Any]], bool]) -> None:
        """Fold in the ``partial()`` of the input that follows this one's."""
        groups, truncated = later
        for key, theirs in groups.items():
            ours = self.groups.get(key)
            if ours is None:
                if len(self.groups) >= self.limit:
                    self.truncated = True
                    continue
                self.groups[key] = theirs
                continue
            for a, kind in enumerate(self._kinds):
                if kind in (_COUNT, _COUNT_FIELD):
                    ours[a] += theirs[a]
                elif kind == _DISTINCT:
                    ours[a] |= theirs[a]
                elif kind in (_SUM, _AVG):
                    ours[a].extend(theirs[a])
                elif theirs[a][0]:
                    mine, other = ours[a], theirs[a]
                    better = other[1] < mine[1] if kind == _MIN else other[1] > mine[1]
                    if not mine[0] or better:
                        mine[1] = other[1]
                    mine[0] += other[0]
        self.truncated = self.truncated or truncated

    def rows(self) -> list[Event]:
        """The groupBy rows, as ``Machine.group`` words them."""
        from .values import format_number

        out: list[Event] = []
        for key, states in self.groups.items():
            results: dict[str, str] = {}
            for a, kind in enumerate(self._kinds):
                state, name = states[a], self.outputs[a]
                if kind in (_COUNT, _COUNT_FIELD):
                    results[name] = str(state)
                elif kind == _DISTINCT:
                    results[name] = str(len(state))
                elif not state or (kind in (_MIN, _MAX) and not state[0]):
                    continue  # no numeric input: no output
                elif kind == _SUM:
                    results[name] = format_number(sum(state))
                elif kind == _AVG:
                    results[name] = format_number(sum(state) / len(state))
                else:
                    results[name] = format_number(state[1])
            if self._kinds and not results:
                continue  # none of the aggregates had input: no row
            parts = (key,) if len(self.key_names) == 1 else key
            row = dict(zip(self.key_names, parts, strict=True))
            row.update(results)
            out.append(Event(row))
        return out


# --- one process ------------------------------------------------------------------------


def outputs(engine: VMEngine, events: Iterable[Event]) -> Iterator[Event]:
    """The per-event code's output, ``BATCH`` events at a time."""
    run = engine.machine.run
    items = iter(events)
    while batch := list(islice(items, BATCH)):
        yield from run(batch)


def streams(engine: VMEngine) -> bool:
    """Whether ``execute`` streams (sub-queries need the whole input)."""
    return not engine.interp.needs_source()


def execute(engine: VMEngine, events: Iterable[Event]) -> list[Event]:
    """The query's output over ``events`` with bounded memory (see the module docstring)."""
    if not streams(engine):
        return engine.run(events)
    program = engine.program
    stages = tuple(engine.nodes[i] for i in program.aggregate_stages)
    if program.group is not None:
        state = GroupState(program)
        state.add(outputs(engine, events))
        return finish_group(engine, state)
    if stages:
        return list(engine.interp.stages(stages, outputs(engine, events)))
    return list(outputs(engine, events))


def finish_group(engine: VMEngine, state: GroupState) -> list[Event]:
    """The rows of a complete group state through the stages after groupBy."""
    if state.truncated:
        engine.warn("W401", W401.format(state.limit))
    stages = tuple(engine.nodes[i] for i in engine.program.aggregate_stages)
    return list(engine.interp.stages(stages[1:], iter(state.rows())))


def finish_outputs(engine: VMEngine, events: Iterable[Event]) -> list[Event]:
    """Per-event outputs (in input order) through the aggregate stages."""
    stages = tuple(engine.nodes[i] for i in engine.program.aggregate_stages)
    if stages:
        return list(engine.interp.stages(stages, iter(events)))
    return list(events)


# --- worker processes -------------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def plan_ranges(source: Any, workers: int) -> list[tuple[int, int]] | None:
    """Byte ranges of ``source`` cut after a line feed, or None when it is not
    worth splitting: not a plain regular file (standard input, compressed
    data and streams cannot be cut), or too small."""
    if not isinstance(source, str | os.PathLike) or source == "-":
        return None
    try:
        info = os.stat(source)
        if not stat.S_ISREG(info.st_mode):
            return None  # a named pipe or a device: read once, in order
        size = info.st_size
        with open(source, "rb") as fh:
            head = fh.read(4)
            if head.startswith(_GZIP_MAGIC) or head.startswith(_ZSTD_MAGIC):
                return None
            count = min(workers * RANGES_PER_WORKER, size // MIN_RANGE_BYTES)
            if count < 2:
                return None
            cuts = [0]
            for i in range(1, count):
                at = max(size * i // count, cuts[-1])
                fh.seek(at)
                while True:
                    chunk = fh.read(1 << 16)
                    if not chunk:
                        at = size
                        break
                    found = chunk.find(b"\n")
                    if found >= 0:
                        at += found + 1
                        break
                    at += len(chunk)
                if cuts[-1] < at < size:
                    cuts.append(at)
    except OSError:
        return None  # the reader reports it
    cuts.append(size)
    ranges = list(pairwise(cuts))
    return ranges if len(ranges) >= 2 else None


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where it exists (no fork of a process with threads), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports these once; each worker forked from it starts warm.
    context.set_forkserver_preload(["cqlmatch.vm", "cqlmatch.ingest", "cqlmatch.parallel"])
    return context


_WORKER: dict[str, Any] = {}


def _init(spec: dict[str, Any]) -> None:
    """Worker start: build the engine once from the shipped program.  An
    error is kept for ``_work`` to raise in the parent: a pool whose
    initializer fails would start new workers forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER.clear()
    try:
        from .program import loads
        from .query import compile as compile_query
        from .vm import VMEngine

        query = compile_query(
            spec["text"], strict=spec["strict"], params=spec["params"], lookups=spec["tables"]
        )
        engine = VMEngine(query.checked, query.tables, program=loads(spec["program"]))
    except Exception as err:  # raised again by _work, in the parent
        _WORKER["error"] = err
        return
    _WORKER.update(spec, engine=engine)


@contextlib.contextmanager
def _importable_main() -> Iterator[None]:
    """Workers re-import the parent's ``__main__`` from its file; a main
    that has no file on disk (``python -``, ``python -c``, a REPL) would
    make every worker fail at start, so it is hidden while they start."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _work(task: tuple[int, int, int]) -> tuple[Any, ...]:
    """One byte range: the per-event code, then a group state or the outputs."""
    from .ingest import FileRange, read_events

    if "error" in _WORKER:
        raise _WORKER["error"]
    index, start, end = task
    spec, engine = _WORKER, _WORKER["engine"]
    malformed: list[tuple[int, str]] = []
    bad = 0
    failed: tuple[int, str] | None = None
    reader = read_events(
        FileRange(spec["path"], start, end),
        engine.program,
        need_all=spec["need_all"],
        prefilter=spec["prefilter"],
        max_line_bytes=spec["max_line_bytes"],
    )

    def good() -> Iterator[Event]:
        nonlocal bad, failed
        for item in reader:
            if type(item) is Event:
                yield item
                continue
            if spec["on_error"] == "fail":
                failed = (item.line_number, item.reason)
                return
            bad += 1
            if len(malformed) < MALFORMED_KEPT:
                malformed.append((item.line_number, item.reason))

    with reader:
        payload: tuple[dict[Any, list[Any]], bool] | list[Event]
        if engine.program.group is not None:
            state = GroupState(engine.program)
            state.add(outputs(engine, good()))
            payload = state.partial()
        else:
            payload = list(outputs(engine, good()))
    warnings = list(engine.warnings)
    engine.warnings.clear()
    return index, reader.stats.as_dict(), bad, malformed, failed, payload, warnings


def run_file(
    query: Any,
    engine: VMEngine,
    path: str | os.PathLike[str],
    ranges: list[tuple[int, int]],
    workers: int,
    *,
    need_all: bool,
    prefilter: bool,
    on_error: str,
    max_line_bytes: int,
) -> list[Event] | None:
    """``query`` over ``ranges`` of ``path`` in ``workers`` processes; None
    when the result must come from one pass instead (see the module
    docstring).  Malformed lines, counts and warnings go to ``query`` and
    ``engine`` as ``CompiledQuery.run`` records them."""
    from .query import BadEventError, MalformedLine

    name = str(path)
    spec = {
        "program": engine.program.dumps(),
        "text": query.text,
        "strict": query.strict,
        "params": dict(query.checked.params),
        "tables": query.tables,
        "path": os.fspath(path),
        "need_all": need_all,
        "prefilter": prefilter,
        "on_error": on_error,
        "max_line_bytes": max_line_bytes,
    }
    stats = query.stats
    offset = 0  # physical lines before the current range
    state = GroupState(engine.program) if engine.program.group is not None else None
    collected: list[Event] = []
    tasks = [(i, start, end) for i, (start, end) in enumerate(ranges)]
    with _importable_main():
        pool = _context().Pool(min(workers, len(ranges)), _init, (spec,))
    with pool:
        for index, counts, bad, malformed, failed, payload, warnings in pool.imap(_work, tasks):
            if failed is not None:
                raise BadEventError(name, offset + failed[0], failed[1])
            for number, reason in malformed:
                query.note_malformed(MalformedLine(offset + number, reason), "skip", name)
            query.malformed_count += bad - len(malformed)
            for code, message in warnings:
                engine.warn(code, message)
            for key, value in counts.items():
                setattr(stats, key, getattr(stats, key) + value)
            offset += counts["lines"]
            if state is None:
                collected.extend(payload)
            elif index > 0 and payload[1]:
                return None
            else:
                state.merge(payload)
    if state is not None:
        return finish_group(engine, state)
    return finish_outputs(engine, collected)
