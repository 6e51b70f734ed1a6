"""The bytecode engine: a compiled program run by the Cython VM.

``VMEngine`` compiles a checked query (``compiler.compile_program``), hands
the program to ``cqlmatch._vm.Machine`` and serves the machine's slow paths
with the reference interpreter: a filter node the VM does not run natively
(``test_node``), a whole stage (``stage_node``), and warnings (``warn``).
With a native group plan, what the per-event code emits goes straight into
the machine's group table (no event object is made for it); the remaining
aggregate stages (``sort``, ``head``, ...) run in the interpreter over the
rows, so the answers are the reference's by construction.

It has the interpreter's entry points (``run``, ``match``, ``warnings``), so
``CompiledQuery`` uses either engine the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._vm import GroupTable, Machine
from ..bytecode.compiler import compile_program
from ..bytecode.program import Program
from ..functions.stages import sort_spec
from ..lang.events import Event
from ..reference import Interpreter
from ..semantics.checked import Checked
from ..syntax import ast as A


class VMEngine:
    """Runs one checked query on the VM; holds no per-event state between calls."""

    def __init__(
        self,
        checked: Checked,
        lookups: dict[str, list[dict[str, str]]] | None = None,
        program: Program | None = None,
    ) -> None:
        """``program``: the query compiled already (``compile_program(checked)``)."""
        self.checked = checked
        self.program: Program = compile_program(checked) if program is None else program
        self.interp = Interpreter(checked, lookups)
        self.nodes: list[A.Node] = list(A.walk(checked.tree))
        self.machine = Machine(self.program, self)

    # --- the machine's slow paths ------------------------------------------------------

    def test_node(self, index: int, event: Event) -> Event | None:
        """A filter node with the reference semantics (may add fields)."""
        return self.interp.filter(self.nodes[index], event)

    def stage_node(self, index: int, event: Event) -> list[Event]:
        """A whole per-event stage with the reference semantics."""
        return self.interp.per_event(self.nodes[index], event)

    def warn(self, code: str, message: str) -> None:
        self.interp.warn(code, message)

    # --- entry points -----------------------------------------------------------------------

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return self.interp.warnings

    def run(self, events: Iterable[Event]) -> list[Event]:
        """All output rows or events of the query over ``events``."""
        batch = list(events)
        if self.interp.needs_source():
            self.interp._source = batch  # sub-queries read the whole input
        if self.program.group is not None:
            return self.finish(self.machine.aggregate(batch))
        stages = tuple(self.nodes[i] for i in self.program.aggregate_stages)
        out = self.machine.run(batch)
        if stages:
            return list(self.interp.stages(stages, iter(out)))
        return out

    def run_columns(self, columns: tuple[list, ...], raws: list | None = None) -> list[Event]:
        """The rows of an aggregating program whose instructions all run
        natively, over events given as one column per field
        (``columns_of``): no event object is read or made per event."""
        if self.program.group is None or not self.machine.native:
            raise ValueError("columns serve aggregating programs without slow paths only")
        return self.finish(self.machine.aggregate_columns(columns, raws))

    def finish(self, table: GroupTable) -> list[Event]:
        """The rows of a complete group table through the stages after groupBy.
        A sort() by a count output right after it picks its rows from the
        table's counts (the same order: counts are numbers, never missing)."""
        stages = tuple(self.nodes[i] for i in self.program.aggregate_stages)[1:]
        order = None
        if stages and isinstance(stages[0], A.Call):
            order = self._count_order(table, stages[0])
            if order is not None:
                stages = stages[1:]
        return list(self.interp.stages(stages, iter(self.machine.rows(table, order))))

    def _count_order(self, table: GroupTable, stage: A.Call) -> list[int] | None:
        binding = self.checked.bindings.get(id(stage))
        if binding is None or binding.spec.name != "sort":
            return None
        fields, orders, types, limit = sort_spec(binding)
        outputs = [spec.output for spec in self.program.group.aggregates]
        if len(fields) != 1 or types[0] not in ("any", "number") or outputs.count(fields[0]) != 1:
            return None
        index = outputs.index(fields[0])
        if self.program.group.aggregates[index].kind != "count":
            return None
        if fields[0] in (self.program.fields[k].name for k in self.program.group.keys):
            return None  # (a key named like the output: the row keeps the count)
        return self.machine.count_order(table, index, orders[0] == "desc", limit)

    def match(self, event: Event) -> Event | None:
        """The event as the per-event stages leave it, or None when dropped."""
        out = self.machine.run([event])
        return out[0] if out else None


def columns_of(program: Program, events: Iterable[Event], share: bool = True) -> tuple[list, ...]:
    """Events as the VM's columns: for each field of ``program`` the list of
    its values as the query reads them (``Event.get``: with the ``#tag``,
    ``@timestamp`` and ``@rawstring`` fallbacks), None where absent.

    ``share``: equal values of a column become one str object (per column,
    for values up to ``SHARE_MAX_CHARS`` long, at most ``SHARE_MAX_VALUES``
    of them), as a dictionary-encoding decoder would give them: the VM then
    compares event types by identity and reuses a regex result for a value
    it has just seen without hashing it."""
    names = [ref.name for ref in program.fields]
    columns: tuple[list, ...] = tuple([] for _ in names)
    shared: list[dict[str, str]] = [{} for _ in names]
    for event in events:
        for column, name, known in zip(columns, names, shared, strict=True):
            value = event.get(name)
            if share and value is not None and len(value) <= SHARE_MAX_CHARS:
                value = known.get(value, value)
                if len(known) < SHARE_MAX_VALUES:
                    known.setdefault(value, value)
            column.append(value)
    return columns


SHARE_MAX_CHARS = 256
SHARE_MAX_VALUES = 65_536
