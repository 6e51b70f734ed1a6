"""Worker processes: one run split into parts, each part run by the same
engine methods a single process uses, merged in input order.

``plan_parts(paths, workers)``
    The parts of the input: a plain file large enough is cut at line
    boundaries into byte ranges; a compressed file (which cannot be cut) is
    one part; several files give parts in the order named.  None when
    splitting does not pay (for a native plan, less input than
    ``POOL_MIN_RANGES`` ranges, compressed bytes weighing
    ``COMPRESSED_WEIGHT`` plain ones; otherwise less than two; standard
    input; a pipe).
``run_parts(...)``
    Each part read and run by one of ``workers`` processes, the parent and
    ``workers - 1`` workers it starts (fork, forkserver or spawn: the
    program travels as bytes, with the query text, parameters and lookup
    rows), all taking parts from one queue (``pool.WorkerPool.imap`` with
    ``local``), into a partial state (``runtime.partial``, the mechanism
    Dask and Spark use too), sent back as bytes (the parent's kept as they
    are) and merged in input order, so the
    rows are one pass's: a partial group table keeps groups past the plan's
    limit (a group first seen late in one part may come early in the whole)
    and the finished table applies it; sums and averages are exact sums
    (``lang.exactsum``); ``head``, ``tail``, ``sort`` and aggregates keep
    only what their limits bound.  Line numbers stay per file: a range's
    are made global by adding the lines of the ranges of the same file
    before it.  A part holding more groups than a partial table keeps makes
    the input run again in one process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import WorkerLost
from ..ingest.blocks import FileRange
from ..ingest.lines import MalformedLine
from ..ingest.reader import IngestStats
from ..ingest.sources import compression_of

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from .partial import PartialState
    from .result import Result

MIN_RANGE_BYTES = 16 << 20  # the smallest range a plain file is cut into
# Workers pay only past a size: starting the pool and merging cost about
# 0.03-0.05 s here, while one core reads 2-4 GB/s of plain NDJSON for the
# seed rule (bench/compare.py: two workers lost at 82 and 117 MB and broke
# even at about 200 MB).  So the input must weigh this many ranges...
POOL_MIN_RANGES = 12
# ...where a compressed byte weighs as much as this many plain ones (gunzip
# gives about 400 MB/s against 2-4 GB/s scanned: docs/scale-out.md).
COMPRESSED_WEIGHT = 6
RANGES_PER_WORKER = 4  # more ranges than workers: a busy core does not hold up the rest


class Part(NamedTuple):
    """Bytes ``start`` to ``end`` of file ``path`` (``end`` None: the whole
    file, read as a stream: it is compressed)."""

    path: str
    start: int
    end: int | None


def plan_parts(paths: Sequence[str], workers: int, fast: bool = False) -> list[Part] | None:
    """The parts of ``paths`` (see the module docstring), or None.  ``fast``:
    the query reads gigabytes a second on one core (a native plan), so the
    pool must wait for ``POOL_MIN_RANGES`` ranges of input; a slower one
    (slow paths, a pack's rules) gains from two ranges on."""
    if workers < 2:
        return None
    parts: list[Part] = []
    total = 0
    for path in paths:
        if path == "-":
            return None
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                return None  # a named pipe or a device: read once, in order
            with open(path, "rb") as fh:
                if compression_of(fh.read(4)) is not None:
                    parts.append(Part(path, 0, None))
                    total += info.st_size * COMPRESSED_WEIGHT
                else:
                    parts.extend(
                        Part(path, start, end) for start, end in _ranges(fh, info.st_size, workers)
                    )
                    total += info.st_size
        except OSError:
            return None  # the reader reports it
    if len(parts) < 2 or total < (POOL_MIN_RANGES if fast else 2) * MIN_RANGE_BYTES:
        return None  # one process is done sooner than a pool is started
    return parts


def _ranges(fh: Any, size: int, workers: int) -> list[tuple[int, int]]:
    """Byte ranges of a plain file cut after a line feed (one range when
    the file is too small to be worth cutting)."""
    count = min(workers * RANGES_PER_WORKER, size // MIN_RANGE_BYTES)
    cuts = [0]
    for i in range(1, max(count, 1)):
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
    cuts.append(size)
    return list(pairwise(cuts))


def plan_ranges(
    path: str | os.PathLike[str], workers: int, fast: bool = False
) -> list[tuple[int, int]] | None:
    """The byte ranges of one plain file, or None (``plan_parts`` for one file)."""
    parts = plan_parts([os.fspath(path)], workers, fast)
    if parts is None or any(part.end is None for part in parts):
        return None
    return [(part.start, part.end) for part in parts]  # type: ignore[misc]


def start_context() -> BaseContext:
    """fork while this process runs a single thread (a worker then starts in
    milliseconds with everything imported, where a fresh interpreter takes
    about half a second); otherwise forkserver where it exists (forking a
    process that has threads can copy a lock another thread holds), else
    spawn."""
    import multiprocessing  # (loaded only for a run split among workers)

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports these once; each worker forked from it starts warm.
    context.set_forkserver_preload(["cqlmatch.runtime.engine", "cqlmatch.runtime.parallel"])
    return context


_WORKER: dict[str, Any] = {}


def _init(spec: dict[str, Any]) -> None:
    """Worker start: the query's ``PartialRunner``, made once from the
    shipped program.  An error is kept for ``_work`` to raise in the parent
    with the first part, where the run reports it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER.clear()
    if "runner" in spec:  # a forked worker has the parent's runner already
        _WORKER.update(spec)
        return
    try:
        runner = spec["rebuild"](spec).partial_runner("vm", spec["run_tags"])
    except Exception as err:  # raised again by _work, in the parent
        _WORKER["error"] = err
        return
    _WORKER.update(spec, runner=runner)


@contextlib.contextmanager
def importable_main() -> Iterator[None]:
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


def _work(task: tuple[int, Part]) -> bytes:
    """One part in a worker: its partial state, as bytes (``runtime.partial``)."""
    if "error" in _WORKER:
        raise _WORKER["error"]
    return _run_part(_WORKER["runner"], task, _WORKER).to_bytes()


def _run_part(runner: Any, task: tuple[int, Part], options: dict[str, Any]) -> PartialState:
    """Part ``task`` (its index and the part) run by ``runner``."""
    index, part = task
    source = part.path if part.end is None else FileRange(part.path, part.start, part.end)
    return runner.run(
        source,
        index,
        on_error=options["on_error"],
        prefilter=options["prefilter"],
        max_line_bytes=options["max_line_bytes"],
    )


@contextlib.contextmanager
def explained_loss() -> Iterator[None]:
    """A dead worker (``pool.WorkerLost``) said as what it means for the run."""
    try:
        yield
    except WorkerLost as err:
        raise WorkerLost(
            f"{err}; its part of the input cannot be run, so the run has no result"
            " (signal 9 is what the out-of-memory killer sends: fewer --workers need"
            " less memory)"
        ) from None


def record_part(
    result: Result,
    part: Part,
    offset: int,
    counts: dict[str, int],
    bad: int,
    malformed: list[tuple[int, str]],
    failed: tuple[int, str] | None,
    stopped: bool,
    name_files: bool,
) -> int:
    """Record one finished part's counts, malformed lines (numbered in its
    file: ``offset`` is the lines of that file in the parts before) and
    incomplete input in ``result``; returns the offset for the next part."""
    if part.start == 0:
        offset = 0
    source = part.path if name_files else None
    if failed is not None:
        result.note_malformed(
            MalformedLine(offset + failed[0], failed[1], part.path), "fail", part.path
        )
    for number, reason in malformed:
        result.note_malformed(MalformedLine(offset + number, reason, source), "skip", "")
    result.malformed_count += bad - len(malformed)
    result.stats.add(counts)
    if stopped:
        result.incomplete.append(part.path)
    return offset + counts["lines"]


def run_parts(
    query: Any,
    parts: list[Part],
    workers: int,
    result: Result,
    *,
    prefilter: bool,
    on_error: str,
    max_line_bytes: int,
    tags: dict[str, str] | None = None,
) -> bool:
    """``query`` over ``parts`` in ``workers`` processes, into ``result``
    (rows, counts, malformed lines, warnings); False when the result must
    come from one pass instead (see the module docstring).  The read
    counts grow in ``result.stats`` part by part while the run goes on."""
    from .partial import PartialState  # (with the engine's partial states: a split run only)

    runner = query.partial_runner("vm", tags)
    options = {"prefilter": prefilter, "on_error": on_error, "max_line_bytes": max_line_bytes}
    context = start_context()
    if context.get_start_method() == "fork":
        # The arguments of a forked worker are not pickled: it takes the
        # parent's runner as it is instead of compiling the query again.
        spec: dict[str, Any] = {"runner": runner, **options}
    else:
        spec = {**query.shipped(), **options, "run_tags": tags}  # (the run's tags)
    merged: PartialState | None = None
    with importable_main():
        from .pool import worker_pool  # (multiprocessing loads only for a split run)

        # The parent runs parts too (``pool.WorkerPool.imap``'s ``local``):
        # one process fewer to start, and no core idle while the workers start.
        pool = worker_pool(context, min(workers, len(parts)) - 1, _init, (spec,))

    def local(task: tuple[int, Part]) -> PartialState:
        return _run_part(runner, task, options)

    with pool as running, explained_loss():
        for data in running.imap(_work, list(enumerate(parts)), local=local):
            state = data if isinstance(data, PartialState) else PartialState.load(data, runner)
            if state.overflow:
                return False  # a part held more groups than a partial table keeps
            result.stats.add(state.stats)  # (for a caller watching the run)
            merged = state if merged is None else merged.merge(state)
            if merged.failed is not None:
                break  # the first bad line under on_error="fail": finish raises it
        running.close()  # (the workers end while the result is made)
        assert merged is not None
        result.stats = IngestStats()
        merged.finish(result)
    return True
