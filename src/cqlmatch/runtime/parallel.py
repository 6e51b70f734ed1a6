"""Running a compiled query over many events: streaming on the VM, groupBy
as mergeable partial tables, and worker processes over byte ranges.

``execute(engine, events)``
    The VM path of ``CompiledQuery.run``: the per-event code runs batch by
    batch, so memory holds one batch and the query's output, never the
    input.  A native group plan is folded into the machine's ``GroupTable``
    (``fold``), from events or from the column batches the reader makes
    when the program runs entirely in the VM (``takes_columns``); other
    aggregate stages get the outputs as a stream.  Queries with
    sub-queries (``join``, ``defineTable``) read the whole input and keep
    ``VMEngine.run``'s all-in-memory path.
``run_file(...)``
    A plain NDJSON file split at line boundaries into byte ranges, each run
    by a worker process (fork, forkserver or spawn: the program travels as
    bytes, with the query text, parameters and lookup rows), merged in input
    order: each worker fills a partial group table (which keeps groups past
    the plan's limit, since a group first seen late in one range may come
    early in the whole) and the parent merges them into one table that
    applies the limit, so the rows are one pass's; sums and averages keep
    their numbers in input order (float addition is not associative).
    Without a group plan each range's per-event outputs are concatenated
    and the aggregate stages (``sort``, ``head``, ...) run in the parent.
    Line numbers are made global by adding the physical line count of the
    ranges before.  A range holding more groups than a partial table keeps
    makes the file run again in one process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from itertools import islice, pairwise
from typing import TYPE_CHECKING, Any

from ..functions.stages import W401
from ..ingest.columns import ColumnBatch
from ..ingest.lines import MalformedLine
from ..lang.events import Event

if TYPE_CHECKING:
    from .._vm import GroupTable
    from .engine import VMEngine

BATCH = 4096  # events per machine.run call
MIN_RANGE_BYTES = 16 << 20  # smaller files are not worth a process
RANGES_PER_WORKER = 4  # more ranges than workers: a busy core does not hold up the rest
MALFORMED_KEPT = 100  # malformed lines kept with their reason (the count is always total)

_COUNT, _COUNT_FIELD, _DISTINCT, _SUM, _AVG, _MIN, _MAX = range(7)


# --- one process ------------------------------------------------------------------------


def outputs(engine: VMEngine, events: Iterable[Event]) -> Iterator[Event]:
    """The per-event code's output, ``BATCH`` events at a time."""
    run = engine.machine.run
    items = iter(events)
    while batch := list(islice(items, BATCH)):
        yield from run(batch)


def fold(engine: VMEngine, items: Iterable[Event | ColumnBatch], table: GroupTable) -> None:
    """Run the per-event code over ``items`` (events and column batches, in
    input order) into a group table, ``BATCH`` events at a time."""
    machine = engine.machine
    pending: list[Event] = []
    for item in items:
        if type(item) is ColumnBatch:
            if pending:
                machine.aggregate(pending, table)
                pending = []
            machine.aggregate_columns(item.columns, item.raws, table)
            continue
        pending.append(item)  # type: ignore[arg-type]
        if len(pending) == BATCH:
            machine.aggregate(pending, table)
            pending = []
    if pending:
        machine.aggregate(pending, table)


def streams(engine: VMEngine) -> bool:
    """Whether ``execute`` streams (sub-queries need the whole input)."""
    return not engine.interp.needs_source()


def takes_columns(engine: VMEngine, need_all: bool) -> bool:
    """Whether the reader may hand ``execute`` column batches: a group plan,
    every instruction native, only the program's fields decoded."""
    return (
        not need_all
        and engine.program.group is not None
        and engine.machine.native
        and streams(engine)
    )


def execute(engine: VMEngine, events: Iterable[Event | ColumnBatch]) -> list[Event]:
    """The query's output over ``events`` with bounded memory (see the module docstring)."""
    if not streams(engine):
        return engine.run(events)  # (no column batches: see takes_columns)
    program = engine.program
    stages = tuple(engine.nodes[i] for i in program.aggregate_stages)
    if program.group is not None:
        table = engine.machine.new_table()
        fold(engine, events, table)
        return engine.finish(table)
    if stages:
        return list(engine.interp.stages(stages, outputs(engine, events)))
    return list(outputs(engine, events))


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
    """fork while this process runs a single thread (a worker then starts in
    milliseconds with everything imported, where a fresh interpreter takes
    about half a second); otherwise forkserver where it exists (forking a
    process that has threads can copy a lock another thread holds), else
    spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports these once; each worker forked from it starts warm.
    context.set_forkserver_preload(
        ["cqlmatch.runtime.engine", "cqlmatch.ingest.reader", "cqlmatch.runtime.parallel"]
    )
    return context


_WORKER: dict[str, Any] = {}


def _init(spec: dict[str, Any]) -> None:
    """Worker start: build the engine once from the shipped program.  An
    error is kept for ``_work`` to raise in the parent: a pool whose
    initializer fails would start new workers forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER.clear()
    if "engine" in spec:  # a forked worker has the parent's engine already
        _WORKER.update(spec)
        return
    try:
        from ..bytecode.program import loads
        from .engine import VMEngine
        from .query import compile as compile_query

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
    from ..ingest.reader import FileRange, read_events

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
        columns=takes_columns(engine, spec["need_all"]),
    )

    def good() -> Iterator[Event | ColumnBatch]:
        nonlocal bad, failed
        for item in reader:
            if type(item) is not MalformedLine:
                yield item
                continue
            if spec["on_error"] == "fail":
                failed = (item.line_number, item.reason)
                return
            bad += 1
            if len(malformed) < MALFORMED_KEPT:
                malformed.append((item.line_number, item.reason))

    with reader:
        payload: GroupTable | list[Event]
        if engine.program.group is not None:
            payload = engine.machine.new_table(partial=True)
            fold(engine, good(), payload)
        else:
            payload = list(outputs(engine, good()))  # type: ignore[arg-type]
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
    from ..errors import BadEventError

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
    table = engine.machine.new_table() if engine.program.group is not None else None
    collected: list[Event] = []
    tasks = [(i, start, end) for i, (start, end) in enumerate(ranges)]
    context = _context()
    if context.get_start_method() == "fork":
        # The arguments of a forked worker are not pickled: it takes the
        # parent's engine as it is instead of compiling the query again.
        spec["engine"] = engine
    with _importable_main():
        pool = context.Pool(min(workers, len(ranges)), _init, (spec,))
    with pool:
        for _index, counts, bad, malformed, failed, payload, warnings in pool.imap(_work, tasks):
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
            if table is None:
                collected.extend(payload)
            elif payload.limit_reached:
                return None  # a part held more groups than a partial table keeps
            else:
                table.merge(payload)
    if table is not None:
        if table.limit_reached:
            engine.warn("W401", W401.format(table.group_limit))
        return engine.finish(table)
    return finish_outputs(engine, collected)
