"""A pack over worker processes: the parts of the input (``runtime.parallel``:
byte ranges of large plain files, whole compressed files) each run by a
worker (or by the parent, which takes parts too) with every rule into a
partial state (``packs.partial``: the
mechanism one query, Dask and Spark use), sent back as bytes and merged in
input order, so the hits, rows and counts are one pass's.

A worker keeps its rules' engines for all its parts (compiled once: forked
workers take the parent's; others compile the rule texts again).  A part
whose table passed a rule's group limit makes the run go again in one
process (as for one query); a rule with sub-queries runs in one process
from the start (``runs_split``).
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

from ..ingest.blocks import FileRange
from ..ingest.reader import IngestStats
from ..runtime import parallel
from ..runtime.query import compile as compile_query
from .nogc import collector_paused
from .routing import route_of
from .rules import PackRule
from .run import PackResult, candidate_index

if TYPE_CHECKING:
    from ..runtime.partial import PartialState
    from .partial import PackRunner

# The partial states (``packs.partial``, ``runtime.partial``) and the pool
# (``runtime.pool``: multiprocessing) load only for a run that splits: a pack
# run asks ``runs_split`` first, and most runs then stay in one process.

_WORKER: dict[str, Any] = {}


def runs_split(rules: list[PackRule]) -> bool:
    """Whether a pack's rules can run in parts (none reads its input twice)."""
    return not any(rule.plan.reads_source for rule in rules)


def _init(spec: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER.clear()
    try:
        runner = spec.get("runner")
        if runner is None:  # not forked: compile the rules again
            from .partial import PackRunner

            rules = []
            for source in spec["sources"]:
                query = compile_query(source.text, **spec["options"])
                rules.append(PackRule(source, query, route_of(query.checked)))
            runner = PackRunner(rules, candidate_index(rules), spec["prefilter"])
        _WORKER.update(spec, runner=runner)
    except Exception as err:  # raised again by _work, in the parent
        _WORKER["error"] = err


def _work(task: tuple[int, parallel.Part]) -> bytes:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return _run_part(_WORKER["runner"], task, _WORKER).to_bytes()


def _run_part(
    runner: PackRunner, task: tuple[int, parallel.Part], options: dict[str, Any]
) -> PartialState:
    """Part ``task`` (its number and range) run by ``runner`` with the
    run's ``options``, in a worker or in the parent."""
    number, part = task
    source = part.path if part.end is None else FileRange(part.path, part.start, part.end)
    return runner.run(
        source,
        number,
        on_error=options["on_error"],
        prefilter=options["prefilter"],
        max_line_bytes=options["max_line_bytes"],
    )


def prepare(index: Any, parts: list[parallel.Part]) -> None:
    """Choose the candidate index's groups and typed scanners from the
    first lines of the first plain part, and link its pure filters, so
    that forked workers start with them (each would else take about 0.2 s
    for the Sigma pack).  Nothing to do without an index, or when the
    first part is compressed (each worker then adapts on its own lines)."""
    if index is None:
        return
    first = parts[0] if parts else None
    if not index.adapted and first is not None and first.end is not None:
        try:
            with open(first.path, "rb") as file:
                file.seek(first.start)
                data = file.read(min(SAMPLE_BYTES, first.end - first.start))
        except OSError:
            data = b""
        lines = data.split(b"\n")[:-1]  # (parts start at a line; the last may be cut)
        if lines:
            # Linking while Hyperscan compiles the typed scanners without the
            # GIL (linking holds it: in a thread of its own it kept the
            # adapting waiting for it for about 30 ms).
            index.adapt(lines, meanwhile=lambda: index.linked)
    index.linked  # noqa: B018 (a cached property: linked once, here)


SAMPLE_BYTES = 1 << 21  # read for the sample of lines ``prepare`` adapts the index on


def run_parts(
    rules: list[PackRule],
    parts: list[parallel.Part],
    workers: int,
    result: PackResult,
    *,
    prefilter: bool,
    on_error: str,
    max_line_bytes: int,
    lookup_options: dict[str, Any] | None = None,
    index: Any = None,
) -> bool:
    """``rules`` over ``parts`` in ``workers`` processes, into ``result``;
    False (``result`` to be cleared) when the run must go again in one
    process (a rule's group limit was passed within a part)."""
    from ..runtime.partial import PartialState
    from .partial import PackRunner

    context = parallel.start_context()
    runner = PackRunner(rules, index, prefilter)
    spec: dict[str, Any] = {
        "prefilter": prefilter,
        "on_error": on_error,
        "max_line_bytes": max_line_bytes,
    }
    if context.get_start_method() == "fork":
        # A forked worker takes the rules, their engines and the candidate
        # index as they are: made ready here once, not in every worker.
        prepare(index, parts)
        spec["runner"] = runner
    else:
        spec["sources"] = [rule.source for rule in rules]
        spec["options"] = lookup_options or {}
    merged: PartialState | None = None
    with parallel.importable_main():
        from ..runtime.pool import worker_pool

        # The parent runs parts too (``WorkerPool.imap``'s ``local``): one
        # process fewer to fork, and its parts' states are not sent as bytes.
        pool = worker_pool(context, min(workers, len(parts)) - 1, _init, (spec,))

    def local(task: tuple[int, parallel.Part]) -> PartialState:
        return _run_part(runner, task, spec)

    # (the parts' states are merged into what the run keeps: the collector
    # would go through them as they come in for nothing)
    with pool as running, parallel.explained_loss(), collector_paused():
        for data in running.imap(_work, list(enumerate(parts)), local=local):
            state = data if isinstance(data, PartialState) else PartialState.load(data, runner)
            if state.overflow:
                return False
            result.stats.add(state.stats)  # (for a caller watching the run)
            merged = state if merged is None else merged.merge(state)
            if merged.failed is not None:
                break  # the first bad line under on_error="fail": finish raises it
        running.close()  # (the workers end while the result is made)
        assert merged is not None
        result.stats = IngestStats()
        merged.finish(result)
    return True
