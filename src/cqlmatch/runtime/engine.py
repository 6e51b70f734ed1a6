"""The runner: one compiled query on the Cython VM, the one way every entry
point runs a program.

``VMEngine`` hands the program to ``cqlmatch._vm.Machine`` and serves the
machine's slow paths with the reference interpreter: a filter node the VM
does not run natively (``test_node``), a whole stage (``stage_node``), and
warnings (``warn``).  What it does with the per-event output follows the
``RunPlan``:

* a native group plan: what the per-event code keeps goes straight into a
  ``GroupTable`` (no event object is made for it; ``fold``), from events or
  from the column batches the reader makes when the plan allows them; the
  stages after ``groupBy`` (``sort``, ``head``, ...) run in the interpreter
  over the table's rows (``finish``), so the answers are the reference's
  by construction;
* otherwise the per-event outputs stream, ``BATCH`` events at a time, into
  the aggregate stages (``finish_outputs``);
* a query with sub-queries (``join``, ``defineTable``) reads its whole input
  at once (``execute`` holds it in memory for the sub-queries).

``CompiledQuery.run``, the worker processes, ``Matcher`` and ``cqlmatch
stream`` all call these methods; none decides anything of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from .._vm import GroupTable, Machine
from ..bytecode.compiler import compile_program
from ..bytecode.program import Program
from ..ingest.columns import ColumnBatch
from ..ingest.decode import Decoder
from ..lang.events import Event
from ..semantics.checked import Checked
from ..semantics.enrich import Enrichment
from ..semantics.tags import TagWatch
from ..syntax import ast as A
from .plan import RunPlan, make_plan

if TYPE_CHECKING:
    from ..reference import Interpreter

BATCH = 4096  # events per Machine.run / Machine.aggregate call


class VMEngine:
    """Runs one checked query on the VM.  Holds no per-event state between
    calls; its warnings list gathers the run-time warnings of its runs."""

    def __init__(
        self,
        checked: Checked,
        lookups: dict[str, list[dict[str, str]]] | None = None,
        program: Program | None = None,
        plan: RunPlan | None = None,
        tags: Mapping[str, str] | None = None,
        enrichment: Enrichment | None = None,
    ) -> None:
        """``program`` and ``plan``: made already from ``checked`` (else made
        here); ``tags``: the tags of the inputs (``lang.tags``; None: none);
        ``enrichment``: the user's GeoIP, ASN and indicator data, which the
        interpreter's ipLocation(), asn() and ioc:lookup() read."""
        self.checked = checked
        self.program: Program = compile_program(checked) if program is None else program
        self.plan: RunPlan = make_plan(checked, self.program) if plan is None else plan
        self._lookups = lookups
        self.enrichment = enrichment
        self._interp: Interpreter | None = None  # made at the first slow path
        self._warnings: list[tuple[str, str]] = []  # the interpreter's, once made
        self._whole: Decoder | None = None  # decodes the lines a filter keeps (``_kept``)
        self.nodes: list[A.Node] = list(A.walk(checked.tree))
        self.machine = Machine(self.program, self)
        self.use_tags(tags)
        self._after = tuple(self.nodes[i] for i in self.plan.after)
        if lookups:  # read the lookup files now: a broken one is E225 before any event
            self.interp  # noqa: B018

    def use_tags(self, tags: Mapping[str, str] | None) -> None:
        """Read inputs with ``tags`` from now on (``lang.tags``; None: none):
        the machine's tag slots are filled once here, and the watch of the
        tags the query filters on starts again."""
        self.tags: dict[str, str] | None = dict(tags) if tags else None
        self.watch = TagWatch(self.checked.tree, self.tags)
        self.machine.use_tags(self.tags)
        if self._interp is not None:
            self._interp.tags = self.tags

    # --- the machine's slow paths ------------------------------------------------------

    @property
    def interp(self) -> Interpreter:
        """The reference interpreter, for slow paths and the stages after
        the per-event code; made when first needed (a query the VM runs
        whole never loads it)."""
        if self._interp is None:
            from ..reference import Interpreter

            self._interp = Interpreter(
                self.checked, self._lookups, tags=self.tags, enrichment=self.enrichment
            )
            self._interp.warnings = self._warnings
        return self._interp

    def test_node(self, index: int, event: Event) -> Event | None:
        """A filter node with the reference semantics (may add fields)."""
        return self.interp.filter(self.nodes[index], event.tagged(self.tags))

    def stage_node(self, index: int, event: Event) -> list[Event]:
        """A whole per-event stage with the reference semantics."""
        return self.interp.per_event(self.nodes[index], event.tagged(self.tags))

    def warn(self, code: str, message: str) -> None:
        if (code, message) not in self._warnings:  # (as Interpreter.warn)
            self._warnings.append((code, message))

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return self._warnings

    @warnings.setter
    def warnings(self, shared: list[tuple[str, str]]) -> None:
        """Gather this engine's warnings (and its interpreter's) in ``shared``."""
        self._warnings = shared
        if self._interp is not None:
            self._interp.warnings = shared

    # --- whole runs ------------------------------------------------------------------------

    def execute(self, items: Iterable[Event | ColumnBatch]) -> list[Event]:
        """The query's output over ``items`` (events, and column batches when
        the plan allows them), in input order, with memory bounded by one
        batch and the output unless the query reads its source again."""
        if self.plan.reads_source:
            return self.run(items)  # (the plan gives no column batches here)
        if self.plan.grouped:
            table = self.new_table()
            self.fold(items, table)
            out = self.finish(table)
        else:
            out = self.finish_outputs(self.outputs(items))
        self.tag_warnings()
        return out

    def run(self, events: Iterable[Event]) -> list[Event]:
        """``execute`` with the whole input in memory (sub-queries read it)."""
        batch = list(self.watch.watched(events, self.program.fields))
        if self.plan.reads_source:
            self.interp.use_source([event.tagged(self.tags) for event in batch])
        if self.plan.grouped:
            out = self.finish(self.machine.aggregate(batch))
        else:
            out = self.finish_outputs(self.machine.run(batch))
        self.tag_warnings()
        return out

    def tag_warnings(self) -> None:
        """W470 for each tag the query filters on that no event read so far
        carried and no input tag gives (``semantics.tags``)."""
        for code, message in self.watch.warnings():
            self.warn(code, message)

    def run_columns(
        self, columns: tuple[list, ...], raws: list | None = None, size: int = -1
    ) -> list[Event]:
        """The rows of an aggregating program whose instructions all run
        natively, over events given as one column per field
        (``ingest.columns.columns_of``; ``raws``: the lines, for ``@rawstring``;
        ``size``: the number of events, needed when the program reads no field)."""
        if not (self.plan.grouped and self.plan.native):
            raise ValueError("columns serve aggregating programs without slow paths only")
        return self.finish(self.machine.aggregate_columns(columns, raws, None, size))

    # --- the parts of a run ------------------------------------------------------------

    def new_table(self, partial: bool = False) -> GroupTable:
        """An empty group table (``partial``: one part of an input, merged later)."""
        return self.machine.new_table(partial)

    def outputs(self, items: Iterable[Event | ColumnBatch]) -> Iterator[Event]:
        """The per-event code's output over ``items`` (events, ``BATCH`` at
        a time, and column batches when the plan allows them:
        ``RunPlan.filter_columns``), in input order."""
        run = self.machine.run
        pending: list[Event] = []
        for item in self.watch.watched(items, self.program.fields):
            if type(item) is ColumnBatch:
                if pending:
                    yield from run(pending)
                    pending = []
                yield from run(self._kept(item))
                continue
            pending.append(item)  # type: ignore[arg-type]
            if len(pending) == BATCH:
                yield from run(pending)
                pending = []
        if pending:
            yield from run(pending)

    def _kept(self, batch: ColumnBatch) -> list[Event]:
        """The events of the lines of ``batch`` the per-event code keeps,
        decoded whole (the per-event code then runs on them again, for the
        fields it sets): the other lines are never made events.  The column
        decoder took every line of the batch, so each decodes."""
        raws = batch.raws
        if raws is None:
            raise ValueError("a column batch without its lines cannot give events")
        if self._whole is None:
            self._whole = Decoder((), need_all=True)
        decode = self._whole.decode
        kept: list[Event] = []
        for row in self.machine.accepted_rows(batch.columns, None, batch.size):
            event = decode(raws[row].encode("utf-8", "surrogatepass"))
            if type(event) is not Event:  # (never: the batch decoded exactly)
                raise RuntimeError(f"a line the column decoder took does not decode: {event}")
            kept.append(event)
        return kept

    def fold(self, items: Iterable[Event | ColumnBatch], table: GroupTable) -> None:
        """Run the per-event code over ``items`` (events and column batches,
        in input order) into ``table``, ``BATCH`` events at a time."""
        machine = self.machine
        pending: list[Event] = []
        for item in self.watch.watched(items, self.program.fields):
            if type(item) is ColumnBatch:
                if pending:
                    machine.aggregate(pending, table)
                    pending = []
                machine.aggregate_columns(item.columns, item.raws, table, item.size)
                continue
            pending.append(item)  # type: ignore[arg-type]
            if len(pending) == BATCH:
                machine.aggregate(pending, table)
                pending = []
        if pending:
            machine.aggregate(pending, table)

    def finish_outputs(self, events: Iterable[Event]) -> list[Event]:
        """Per-event outputs (in input order) through the aggregate stages."""
        if self._after:
            tags = self.tags
            tagged = events if tags is None else (event.tagged(tags) for event in events)
            return list(self.interp.stages(self._after, iter(tagged)))
        return list(events)

    def finish(self, table: GroupTable) -> list[Event]:
        """The rows of a complete group table through the stages after groupBy
        (or the aggregates alone that made it).  A sort() by a count output
        right after it picks its rows from the table's counts (the same
        order: counts are numbers, never missing)."""
        stages = self._after
        group = self.program.group
        if group is not None and not group.keys and table.size == 0:
            # Aggregates alone give their row over no events too (count()
            # is 0), where a groupBy has no group: the stage says which.
            stages = (self.nodes[group.node], *stages)
            return list(self.interp.stages(stages, iter(())))
        order = None
        if stages and isinstance(stages[0], A.Call):
            order = self._count_order(table, stages[0])
            if order is not None:
                stages = stages[1:]
        return list(self.interp.stages(stages, iter(self.machine.rows(table, order))))

    def _count_order(self, table: GroupTable, stage: A.Call) -> list[int] | None:
        binding = self.checked.bindings.get(id(stage))
        group = self.program.group
        if binding is None or binding.spec.name != "sort" or group is None:
            return None
        from ..functions.stages import sort_spec

        fields, orders, types, limit = sort_spec(binding)
        outputs = [spec.output for spec in group.aggregates]
        if len(fields) != 1 or types[0] != "number" or outputs.count(fields[0]) != 1:
            return None
        index = outputs.index(fields[0])
        if group.aggregates[index].kind != "count":
            return None
        if fields[0] in (self.program.fields[k].name for k in group.keys):
            return None  # (a key named like the output: the row keeps the count)
        return self.machine.count_order(table, index, orders[0] == "desc", limit)

    # --- per event -------------------------------------------------------------------------

    def match(self, event: Event) -> Event | None:
        """The event as the per-event stages leave it, or None when dropped."""
        out = self.machine.run([event])
        return out[0] if out else None

    def per_event(self, sources: list[Event]) -> list[Event | None]:
        """Each source's per-event output (the first event a stage emitted
        for it, as ``match`` gives), or None when dropped; in one VM call."""
        outs: list[Event | None] = [None] * len(sources)
        where = {id(source.fields): i for i, source in enumerate(sources)}
        for out in self.machine.run(sources):
            index = where.get(id(out.origin))
            if index is None:  # not traceable to its input: event by event
                return [self.match(source) for source in sources]
            if outs[index] is None:
                outs[index] = out
        return outs
