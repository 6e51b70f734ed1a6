"""A pack's pure filters as one linked program on one machine.

Most detections only test fields and keep or drop the event (every
converted Sigma rule does).  Those rules (``bytecode.link.linkable``) are
linked into one program (``bytecode.link``) and run by one ``Machine``:
each decoded event's fields are loaded into registers once for all of
them, each string set and regex memo is shared, and a batch is one call
into the VM (``Machine.run_rules``), which runs on each event only the
rules the candidate index names for its line.  A linked rule keeps the
event as it is, so its hit is the input event.

The other rules (aggregates, assignments, slow paths) run as before, each
on its own machine (``run.RuleRun``).
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Sequence
from typing import Any

from .._vm import Machine
from ..bytecode.link import link
from ..bytecode.program import Program
from ..lang.events import Event
from .rules import PackRule


class _NoSlowPath:
    """The slow-path object a linked program is given: it has none (only
    tests and jumps are linked), so these are never called."""

    def test_node(self, index: int, event: Event) -> Event | None:
        raise RuntimeError("a linked program has no slow path")

    def stage_node(self, index: int, event: Event) -> list[Event]:
        raise RuntimeError("a linked program has no slow path")

    def warn(self, code: str, message: str) -> None:
        raise RuntimeError("a linked program has no slow path")


class LinkedRules:
    """The linkable per-event rules of a pack, by their position in it
    (``orders``), with the candidate sets' rules as the VM reads them."""

    def __init__(
        self,
        rules: list[PackRule],
        shape_of: list[int],
        shapes: int,
        prelinked: Program | None = None,
    ) -> None:
        """``prelinked``: a linked program made before (a built pack's),
        used when it holds every linkable rule of ``rules`` by id (it may
        hold more: rules disabled since, which then never run)."""
        chosen = [i for i, rule in enumerate(rules) if rule.links]
        self.position = {order: number for number, order in enumerate(chosen)}
        numbers = {rule.name: n for n, rule in enumerate(prelinked.rules)} if prelinked else {}
        machine = None
        if prelinked is not None and all(rules[i].id in numbers for i in chosen):
            try:
                # (its sets were compiled when the pack was built: each is
                # parsed, and compiled, when a run first needs it)
                machine = Machine(prelinked, _NoSlowPath(), lazy_sets=True, parse_sets=False)
                program = prelinked
                self.position = {order: numbers[rules[order].id] for order in chosen}
            except ValueError:  # (built where RE2 allowed more memory): link again
                machine = None
        if machine is None:
            # (each rule's own sets, compiled when first run: grouped sets are
            # compiled, so checked against RE2's budget, when a pack is built)
            program, machine = link_rules(
                [rules[i].query.program for i in chosen], [rules[i].id for i in chosen]
            )
        if chosen:  # (a pack's rules share the tags of its source)
            machine.use_tags(rules[chosen[0]].tags)
        # linked rule number -> position in the pack (-1: not enabled here)
        self.orders = [-1] * len(program.rules)
        for order, number in self.position.items():
            self.orders[number] = order
        self.program = program
        self.machine = machine
        by_shape: list[list[int]] = [[] for _ in range(shapes)]
        for order, number in self.position.items():
            by_shape[shape_of[order]].append(number)
        starts, members = [0], []
        for group in by_shape:
            members.extend(group)
            starts.append(len(members))
        self.shape_start = array("i", starts)
        self.shape_rules = array("i", members)

    def alone(self, rules: int) -> list[int]:
        """The positions of a pack of ``rules`` rules that are not linked."""
        return [order for order in range(rules) if order not in self.position]

    def __len__(self) -> int:
        return len(self.position)

    @property
    def regex_sets(self) -> int:
        """The RE2 sets the linked program runs (one per field, or more)."""
        return len(self.program.regex_sets)

    def hits(
        self, events: list[Event], starts: Any, shapes: Any, stats: list[Any]
    ) -> list[tuple[int, int]]:
        """``(event index, pack position)`` of each hit over ``events``
        (their candidate sets ``shapes[starts[i]:starts[i + 1]]``), by event
        then by position; each linked rule's ``stats`` (``run.RuleStats``,
        by pack position) gets its events, hits and time."""
        counters = self.counters()
        found = self.machine.run_rules(
            events, starts, shapes, self.shape_start, self.shape_rules, *counters
        )
        self.add_counts(counters, stats)
        out = self._positions(found)
        for _, order in out:
            stats[order].hits += 1
        return out

    def counters(self) -> tuple[Any, Any]:
        """Fresh per-rule counters for ``column_hits``: the events each
        linked rule ran on and its time (ns), added up over many calls."""
        return array("q", bytes(8 * len(self.orders))), array("q", bytes(8 * len(self.orders)))

    def column_hits(
        self,
        columns: tuple[list[Any], ...],
        size: int,
        starts: Any,
        shapes: Any,
        counters: tuple[Any, Any],
    ) -> list[tuple[int, int]]:
        """``hits`` over ``size`` events given as columns (the linked
        program's fields, in slot order: ``ingest.columns``), as ``(row,
        pack position)``; each rule's runs and time go to ``counters``
        (``add_counts`` hands them to the stats: a column batch is a
        block's kept lines, too few for a pass over every rule each)."""
        found = self.machine.run_rules_columns(
            columns, size, starts, shapes, self.shape_start, self.shape_rules, *counters
        )
        return self._positions(found)

    def add_counts(self, counters: tuple[Any, Any], stats: list[Any]) -> None:
        """Add ``counters`` to each rule's ``stats``, and clear them."""
        evaluated, nanos = counters
        for number, order in enumerate(self.orders):
            if evaluated[number] and order >= 0:
                stat = stats[order]
                stat.evaluated += evaluated[number]
                stat.seconds += nanos[number] / 1e9
            evaluated[number] = nanos[number] = 0

    def _positions(self, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The VM's ``(event, rule number)`` hits as ``(event, pack position)``."""
        orders = self.orders
        return [(index, orders[number]) for index, number in found]


#: In a built pack (``packfile.write_pack``), linked rules share regex sets
#: only with the rules of their own candidate set (their literal groups:
#: ``run.shape_key``), which run on exactly the same events; each group's
#: patterns on one field are one set, compiled when the pack is built (so a
#: group past RE2's budget falls back to each rule's own sets there) and when
#: first run after.  Linked at run time (a pack compiled from its source),
#: each rule keeps its own sets: compiling the grouped ones up front took
#: 0.2 s, more than they save on a short run.  One set per
#: field across all the rules was slower: measured on the 1,690 Sigma rules
#: over 300,000 realistic events (one worker, same run), 21 merged sets took
#: 1.5 s in the VM against 0.97 s for the rules' 345 own sets, since a merged
#: set runs every pattern of the field for any candidate rule that tests it.
#: Within a candidate set nothing runs for nothing: the Sigma rules every
#: Windows ``ProcessRollup2`` event is a candidate for ran RE2 over its
#: command line once each; grouped, RE2 ran 5,480 times over 100,000
#: realistic events instead of 11,090 (one worker over 1,000,000: 2.66-2.80 s
#: of CPU against 2.78-2.87 s, best of two, taking turns).
def link_rules(
    programs: list[Program], names: list[str], merge_sets: bool | Sequence[Hashable] = False
) -> tuple[Program, Machine]:
    """The linked program of ``programs`` and its machine; ``merge_sets``:
    one regex set per field across the rules, or across each group's rules
    (a group per rule), or each rule's own sets should a merged set pass
    RE2's memory budget (each rule's own sets fit: the compiler checked
    them, E231, so they compile when first run)."""
    program = link(programs, names, merge_sets=merge_sets)
    try:
        return program, Machine(program, _NoSlowPath(), lazy_sets=merge_sets is False)
    except ValueError:
        if merge_sets is False:
            raise
        program = link(programs, names, merge_sets=False)
        return program, Machine(program, _NoSlowPath(), lazy_sets=True)
