"""A pack's rules over column batches: no event object for a line no rule keeps.

When every rule the pack decodes for is known (``run.pack_fields``) and its
pure filters are linked (``linked.LinkedRules``), the reader hands a
block's kept lines over as one ``ingest.columns.ColumnBatch``: a list per
field the linked program reads (``ColumnDecoder``: the C field extractor,
else msgspec in one call), and the lines themselves.  The candidate index
reads field-mode lines' values from those columns
(``CandidateIndex.pairs``), the linked rules run over them in one VM call
(``Machine.run_rules_columns``), and only two kinds of line become events:
one another rule is a candidate for (decoded as the per-event path decodes
it, for that rule's machine) and a hit (decoded whole for its row, as
``run.Hits`` does).  A block neither decodes exactly (a malformed line, a
value that is not a string) comes as events and takes the per-event path;
both give the same hits.

(Rule runs and the candidate index are ``run.RuleRun`` and
``run.Candidates``, typed ``Any`` here: ``run`` imports this module.)
"""

from __future__ import annotations

from typing import Any

from ..ingest.columns import ColumnBatch, ColumnDecoder
from ..ingest.decode import Decoder
from ..lang.events import Event
from .alone import rules_alone
from .routing import route_key


class ColumnPlan:
    """How a pack's rules read column batches: the decoder of the linked
    program's fields (its slots, in order), the decoder of a line's event
    for the rules that run alone (``pack_fields``), and what each batch
    needs of the rules, worked out once."""

    def __init__(self, runs: list[Any], index: Any, fields: tuple[str, ...]) -> None:
        linked = index.linked
        assert linked is not None
        self.runs = runs
        self.index = index
        self.linked = linked
        self.decoder = ColumnDecoder(linked.program, lines=True)
        self.names = tuple(ref.name for ref in linked.program.fields)
        self.events = Decoder(fields)
        self.alone = linked.alone(len(runs))  # positions of the rules not linked
        self.wanted = [index.shape_of[o] for o in self.alone]  # their group sets
        self.stats = [run.stats for run in runs]
        self.counters = linked.counters()

    @property
    def usable(self) -> bool:
        """Whether the column decoder can serve these fields at all."""
        return self.decoder.usable and bool(self.names)

    def hits(self, batch: ColumnBatch, whole: Any) -> list[tuple[int, Any, Event | None]]:
        """``run.batch_hits`` over a column batch: ``(row, rule run, output
        event)`` for each per-event hit, by row and then by rule; a linked
        rule's output is None (its hit is the line's event as it is)."""
        lines = batch.raws
        assert lines is not None
        runs, index = self.runs, self.index
        # (the lines as bytes where the batch has them: a line of text that
        # is not ASCII would be encoded again)
        starts, shapes, lists = index.pairs(
            lines, self.wanted, None, batch.columns, self.names, batch.block, batch.spans
        )
        stats = self.stats
        found: list[tuple[int, int, Any, Event | None]] = []
        for row, order in self.linked.column_hits(
            batch.columns, batch.size, starts, shapes, self.counters
        ):
            stats[order].hits += 1
            found.append((row, order, runs[order], None))
        if self.alone:
            found.extend(_alone(runs, batch, lists, index.shape_of, self, whole))
            found.sort(key=lambda hit: (hit[0], hit[1]))
        return [(row, run, out) for row, _, run, out in found]

    def finish(self) -> None:
        """Hand the linked rules' counts so far to their stats."""
        self.linked.add_counts(self.counters, self.stats)


def column_plan(runs: list[Any], index: Any, fields: tuple[str, ...] | None) -> ColumnPlan | None:
    """The pack's ``ColumnPlan``, or None when its lines must come as
    events: no candidate index, no linked rule, fields the decoder cannot
    read as columns, or a rule that may read any field (``fields`` None)."""
    if index is None or fields is None or len(index.shape_of) != len(runs):
        return None
    if index.linked is None or any(run.whole for run in runs):
        return None
    plan = ColumnPlan(runs, index, fields)
    return plan if plan.usable else None


def _alone(
    runs: list[Any],
    batch: ColumnBatch,
    lists: list[list[int]],
    shape_of: list[int],
    plan: ColumnPlan,
    whole: Any,
) -> list[tuple[int, int, Any, Event | None]]:
    """The hits of the rules that run alone, over events decoded from the
    lines some of them are candidates for (and, where the route's field
    is a column, of a type its route names: a line of another type would
    be decoded for nothing)."""
    lines = batch.raws
    assert lines is not None
    column_of = {name: batch.columns[n] for n, name in enumerate(plan.names)}
    wanted: set[int] = set()
    for order in plan.alone:
        rows = lists[shape_of[order]]
        route = runs[order].rule.route
        column = None if route is None else column_of.get(route.field)
        if column is not None and route is not None:
            keys = route.keys
            rows = [r for r in rows if column[r] is None or route_key(column[r]) in keys]
        wanted.update(rows)
    if not wanted:
        return []
    events: list[Event] = []
    kept: list[int] = []  # row of each event
    for row in sorted(wanted):
        event = plan.events.decode(lines[row].encode("utf-8", "surrogatepass"))
        if type(event) is Event:  # (the column decoder took the line: always)
            events.append(event)
            kept.append(row)
    at = {row: n for n, row in enumerate(kept)}
    own: list[Any] = [()] * len(lists)
    for shape in plan.wanted:
        own[shape] = [at[row] for row in lists[shape] if row in at]
    return [
        (kept[n], order, run, out)
        for n, order, run, out in rules_alone(runs, events, own, shape_of, plan.alone, whole)
    ]
