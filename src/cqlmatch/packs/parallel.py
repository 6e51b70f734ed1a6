"""A pack over worker processes: the parts of the input (``runtime.parallel``:
byte ranges of large plain files, whole compressed files) each run by a
worker with every rule, merged in input order.

A worker keeps its rules' engines for all its parts (compiled once: forked
workers take the parent's; others compile the rule texts again) and sends
back, per part, the per-event hits (already in order: by event, then by
rule), each rule's counts, and each aggregating rule's state: a partial
group table, or the events its per-event part kept.  The parent appends
the hits part by part, merges the tables and the kept events in input
order, and finishes the aggregating rules itself, so the rows are one
pass's.  A part whose table passed a rule's group limit makes the run go
again in one process (as for one query); a rule with sub-queries runs in
one process from the start (``runs_split``).
"""

from __future__ import annotations

import signal
from typing import Any

from ..ingest.blocks import FileRange
from ..ingest.lines import MalformedLine
from ..ingest.reader import read_events
from ..limits import MALFORMED_KEPT
from ..runtime import parallel
from ..runtime.pool import worker_pool
from ..runtime.query import compile as compile_query
from .routing import route_of
from .rules import PackRule
from .run import (
    BATCH,
    Hits,
    PackResult,
    RuleRun,
    RuleStats,
    batch_hits,
    candidate_index,
    pack_fields,
    shared_prefilter,
)

_WORKER: dict[str, Any] = {}


def runs_split(rules: list[PackRule]) -> bool:
    """Whether a pack's rules can run in parts (none reads its input twice)."""
    return not any(rule.plan.reads_source for rule in rules)


def _init(spec: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER.clear()
    try:
        rules = spec.get("rules")
        if rules is None:  # not forked: compile the rules again
            rules = []
            for source in spec["sources"]:
                query = compile_query(source.text, **spec["options"])
                rules.append(PackRule(source, query, route_of(query.checked)))
        stats = [RuleStats() for _ in rules]
        _WORKER["runs"] = [
            RuleRun(rule, s, partial=True) for rule, s in zip(rules, stats, strict=True)
        ]
        _WORKER["stats"] = stats
        _WORKER["index"] = spec.get("index") or candidate_index(rules)
        _WORKER["gate"] = shared_prefilter(_WORKER["index"], spec["prefilter"])
        _WORKER["fields"] = pack_fields(rules)
        _WORKER["hits"] = Hits(partial=_WORKER["fields"] is not None)
        _WORKER.update(on_error=spec["on_error"], max_line_bytes=spec["max_line_bytes"])
    except Exception as err:  # raised again by _work, in the parent
        _WORKER["error"] = err


def _work(task: tuple[int, parallel.Part]) -> tuple[Any, ...]:
    if "error" in _WORKER:
        raise _WORKER["error"]
    number, part = task
    runs: list[RuleRun] = _WORKER["runs"]
    for stats in _WORKER["stats"]:
        stats.evaluated = stats.hits = 0
        stats.seconds = 0.0
    source = part.path if part.end is None else FileRange(part.path, part.start, part.end)
    reader = read_events(
        source,
        None,
        need_all=_WORKER["fields"] is None,
        fields=_WORKER["fields"],
        prefilter=_WORKER["gate"] is not None,
        max_line_bytes=_WORKER["max_line_bytes"],
        literals=_WORKER["gate"],
    )
    malformed: list[tuple[int, str]] = []
    bad = 0
    failed: tuple[int, str] | None = None
    hits: list[dict[str, str]] = []
    batch: list[Any] = []

    def flush() -> None:
        found = batch_hits(runs, batch, _WORKER["index"])
        hits.extend(_WORKER["hits"].rows(found, batch))
        batch.clear()

    with reader:
        for item in reader:
            if type(item) is MalformedLine:
                if _WORKER["on_error"] == "fail":
                    failed = (item.line_number, item.reason)
                    break
                bad += 1
                if len(malformed) < MALFORMED_KEPT:
                    malformed.append((item.line_number, item.reason))
                continue
            batch.append(item)
            if len(batch) == BATCH:
                flush()
        if batch:
            flush()
    states = [run.take_state() for run in runs]
    counts = [(s.evaluated, s.hits, s.seconds) for s in _WORKER["stats"]]
    warnings = []
    for run in runs:
        warnings.append(run.warnings)
        if run.warnings:
            run.engine.warnings.clear()
    stopped = reader.incomplete
    return (
        number,
        reader.stats.as_dict(),
        bad,
        malformed,
        failed,
        hits,
        states,
        counts,
        warnings,
        stopped,
    )


def run_parts(
    rules: list[PackRule],
    parts: list[parallel.Part],
    workers: int,
    result: PackResult,
    *,
    prefilter: bool,
    on_error: str,
    max_line_bytes: int,
    name_files: bool,
    lookup_options: dict[str, Any] | None = None,
    index: Any = None,
) -> bool:
    """``rules`` over ``parts`` in ``workers`` processes, into ``result``;
    False (``result`` to be cleared) when the run must go again in one
    process (a rule's group limit was passed within a part)."""
    context = parallel.start_context()
    spec: dict[str, Any] = {
        "prefilter": prefilter,
        "on_error": on_error,
        "max_line_bytes": max_line_bytes,
    }
    finishers = [RuleRun(rule, result.rule_stats[rule.id]) for rule in rules]
    if context.get_start_method() == "fork":
        # A forked worker takes the rules, their engines (made just above)
        # and the candidate index as they are.
        spec["rules"] = rules
        spec["index"] = index
    else:
        spec["sources"] = [rule.source for rule in rules]
        spec["options"] = lookup_options or {}
    offset = 0  # lines of the current file in the parts before
    with parallel.importable_main():
        pool = worker_pool(context, min(workers, len(parts)), _init, (spec,))
    with pool as running, parallel.explained_loss():
        answers = running.imap(_work, list(enumerate(parts)))
        for (
            index,
            counts,
            bad,
            malformed,
            failed,
            hits,
            states,
            rule_counts,
            warnings,
            stopped,
        ) in answers:
            offset = parallel.record_part(
                result, parts[index], offset, counts, bad, malformed, failed, stopped, name_files
            )
            result.extend(hits)
            for finisher, state, (evaluated, found, seconds), said in zip(
                finishers, states, rule_counts, warnings, strict=True
            ):
                finisher.stats.evaluated += evaluated
                finisher.stats.hits += found
                finisher.stats.seconds += seconds
                for code, message in said:
                    finisher.engine.warn(code, message)
                if not finisher.merge_state(state):
                    return False
    for finisher in finishers:
        result.extend(finisher.finish(None))
        result.rule_warnings[finisher.rule.id] = finisher.warnings
    result.read_all = True
    return True
