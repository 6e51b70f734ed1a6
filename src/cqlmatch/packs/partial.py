"""A pack over one part of its input: a ``runtime.partial.PartialState``
whose payload is the pack's (``PackPayload``), so packs split among worker
processes, Dask and Spark the way one query does.

A part's payload holds its per-event hits (in order: by event, then by
rule) and, per rule, its counts, its run-time warnings and its aggregate
state (a partial group table or a ``functions.partials`` stage state).
Merging appends the later part's hits and merges each rule's state; the
end gives the hits, then each aggregating rule's rows, in rule order: one
pass's result.  The hash that guards a serialised state is made of the
enabled rules' ids and texts.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..functions.partials import StageState
from ..ingest.columns import ColumnBatch
from ..ingest.reader import read_events
from ..runtime.partial import PartialState, dump_table, load_table, part_origin
from ..runtime.result import Result
from .columnar import column_plan
from .nogc import collector_paused
from .rules import PackRule
from .run import (
    BATCH,
    Hits,
    PackResult,
    RuleRun,
    RuleStats,
    batch_hits,
    pack_fields,
    shared_prefilter,
)


class RulePart:
    """One rule's share of some parts: counts, warnings, aggregate state."""

    __slots__ = ("evaluated", "hits", "overflow", "seconds", "state", "warnings")

    def __init__(
        self, evaluated: int, hits: int, seconds: float, warnings: list, state: Any
    ) -> None:
        self.evaluated = evaluated
        self.hits = hits
        self.seconds = seconds
        self.warnings = [tuple(w) for w in warnings]
        self.state = state
        self.overflow = False

    def merge(self, other: RulePart) -> None:
        self.evaluated += other.evaluated
        self.hits += other.hits
        self.seconds += other.seconds
        for said in other.warnings:
            if said not in self.warnings:
                self.warnings.append(said)
        if self.state is not None:
            self.state.merge(other.state)
        self.overflow = self.overflow or other.overflow


class PackPayload:
    """The per-event hits of some parts and each rule's ``RulePart``."""

    def __init__(self, hits: list[dict[str, str]], rules: list[RulePart]) -> None:
        self.hits = hits
        self.rules = rules

    def merge(self, other: PackPayload) -> None:
        self.hits.extend(other.hits)
        for mine, theirs in zip(self.rules, other.rules, strict=True):
            mine.merge(theirs)


def pack_hash(rules: list[PackRule]) -> str:
    """What makes two packs the same for their states."""
    digest = hashlib.sha256()
    for rule in rules:
        digest.update(rule.id.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(rule.source.text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:32]


class PackRunner:
    """A pack's rules, ready to run parts (``PartialRunner``'s interface)."""

    engine_name = "pack"

    def __init__(self, rules: list[PackRule], index: Any, prefilter: bool = True) -> None:
        if any(rule.plan.reads_source for rule in rules):
            from ..errors import PartialStateError

            raise PartialStateError(
                "a rule of this pack reads its input again (join, defineTable): the pack needs"
                " the whole input in one process and cannot run in parts"
            )
        self.rules = rules
        self.hash = pack_hash(rules)
        self.stats = [RuleStats() for _ in rules]
        self.runs = [
            RuleRun(rule, s, partial=True) for rule, s in zip(rules, self.stats, strict=True)
        ]
        self.index = index
        self.prefilter = prefilter
        self.fields = pack_fields(rules)
        self.hits = Hits(partial=self.fields is not None)

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
        """The state of one part (as ``PartialRunner.run``)."""
        label, start = part_origin(source, continues)
        gate = shared_prefilter(self.index, self.prefilter and prefilter and on_error == "skip")
        plan = column_plan(self.runs, self.index, self.fields)
        reader = read_events(
            source,
            None,
            need_all=self.fields is None,
            fields=self.fields,
            prefilter=gate is not None,
            max_line_bytes=max_line_bytes,
            columns=False if plan is None else plan.decoder,
            literals=gate,
        )
        for stats in self.stats:
            stats.evaluated = stats.hits = 0
            stats.seconds = 0.0
        hits: list[dict[str, str]] = []
        state = PartialState(self, None)
        batch: list[Any] = []

        def flush() -> None:
            found = batch_hits(self.runs, batch, self.index, self.hits.whole)
            hits.extend(self.hits.rows(found, batch))
            batch.clear()

        # (the collector would go through each batch's objects for nothing:
        # what a part makes is freed as it is dropped)
        with reader, collector_paused():
            for item in state.events(reader, part, on_error):
                if type(item) is ColumnBatch:
                    assert plan is not None
                    if batch:
                        flush()
                    found = plan.hits(item, self.hits.whole)
                    hits.extend(self.hits.line_rows(found, item.raws))  # type: ignore[arg-type]
                    continue
                batch.append(item)
                if len(batch) == BATCH:
                    flush()
            if batch:
                flush()
        if plan is not None:
            plan.finish()
        rules = []
        for run, stats in zip(self.runs, self.stats, strict=True):
            taken = run.take_state()
            one = RulePart(stats.evaluated, stats.hits, stats.seconds, run.warnings, taken)
            if taken is not None:
                one.overflow = _overflow(taken)
            if run.warnings:
                run.engine.warnings.clear()
            rules.append(one)
        state.payload = PackPayload(hits, rules)
        state.read_part(reader, part, name or label, start)
        state.overflow = any(one.overflow for one in rules)
        return state

    @staticmethod
    def full(payload: Any) -> bool:
        return False

    def rows(self, payload: PackPayload, result: Result) -> tuple[list[dict[str, str]], list[Any]]:
        """The hits, then each aggregating rule's rows, in rule order;
        a ``PackResult`` also gets each rule's counts and warnings."""
        rows = list(payload.hits)
        keep = isinstance(result, PackResult)
        for rule, one in zip(self.rules, payload.rules, strict=True):
            stats = RuleStats(one.evaluated, one.hits, one.seconds)
            if not one.warnings and not rule.plan.aggregating:
                # (a per-event rule's rows are among the hits: nothing to
                # finish, and no RuleRun to make for each of 1,690 rules)
                if keep:
                    result.rule_stats[rule.id] = stats  # type: ignore[attr-defined]
                    result.rule_warnings[rule.id] = []  # type: ignore[attr-defined]
                continue
            finisher = RuleRun(rule, stats)
            for code, message in one.warnings:
                finisher.engine.warn(code, message)
            finisher.merge_state(one.state)
            rows.extend(finisher.finish(None))
            if isinstance(result, PackResult):
                result.rule_stats[rule.id] = stats
                result.rule_warnings[rule.id] = finisher.warnings
        return rows, []

    # --- bytes -----------------------------------------------------------------------------

    def dump_payload(self, payload: PackPayload) -> Any:
        rules = []
        for one in payload.rules:
            state = one.state
            if state is None:
                data = None
            elif isinstance(state, StageState):
                data = ["stage", state.dump()]
            else:
                data = ["table", dump_table(state)]
            rules.append([one.evaluated, one.hits, one.seconds, one.warnings, one.overflow, data])
        return [payload.hits, rules]

    def load_payload(self, data: Any) -> PackPayload:
        hits, saved = data
        rules = []
        for run, (evaluated, found, seconds, warnings, overflow, state) in zip(
            self.runs, saved, strict=True
        ):
            if state is not None and state[0] == "stage":
                loaded = run.new_state()
                loaded.load(state[1])
                state = loaded
            elif state is not None:
                state = load_table(state[1], run.rule.query.program.group)
            one = RulePart(evaluated, found, seconds, warnings, state)
            one.overflow = overflow
            rules.append(one)
        return PackPayload(hits, rules)


def _overflow(state: Any) -> bool:
    if isinstance(state, StageState):
        return state.overflow
    return bool(state.limit_reached)
