"""The run plan: what running one compiled query needs, decided once.

Every entry point (``CompiledQuery.run``, the worker processes, ``Matcher``
and so ``cqlmatch stream``) reads the same ``RunPlan`` instead of working
out again from the program which fields to decode, whether the reader may
hand over column batches, whether an instruction falls back to the
reference semantics, and which stages run after the per-event code.
"""

from __future__ import annotations

import msgspec

from ..bytecode.opcodes import INFO, Op
from ..bytecode.program import Program
from ..ingest.decode import requested_names
from ..semantics.checked import Checked


class RunPlan(msgspec.Struct, frozen=True):
    """How a query runs on the VM; see the module docstring.  A frozen
    msgspec struct: made without generating code at every start (as a
    dataclass would), and a pack file stores it as it stored the dataclass
    (a map of its fields)."""

    #: A sub-query (``join``, ``defineTable``) reads the input again besides
    #: the main pipeline: the whole input is held in memory, nothing streams.
    reads_source: bool
    #: Every instruction runs in the VM: no slow path hands a syntax node
    #: (and with it the whole event) to the reference semantics.
    native: bool
    #: The program folds what its per-event code keeps into a ``GroupTable``.
    grouped: bool
    #: The query has aggregate stages at all (``groupBy``, ``count``, ``sort``...).
    aggregating: bool
    #: Walk-order indexes of the stages the interpreter runs over the
    #: per-event output: after the group table when ``grouped``, else every
    #: aggregate stage.
    after: tuple[int, ...]
    #: Some slot reads ``@rawstring`` (the line itself).
    reads_rawstring: bool
    #: The names a slot may read from an event: each field and its fallback.
    field_names: tuple[str, ...]

    @property
    def streams(self) -> bool:
        """Whether events can pass batch by batch (memory: one batch)."""
        return not self.reads_source

    @property
    def splits(self) -> bool:
        """Whether worker processes can pay for themselves.  A worker sends
        back its part's partial state (``runtime.partial``): a group table
        (small; ``groupBy`` and aggregates alone such as ``count()``), or the
        state of the first aggregate stage.  When aggregate stages ran over
        every kept event shipped to the parent, two workers were measured 2.6
        times slower than one for count() over 200,000 events (before
        count() ran in the group table); the bounded stage states (head,
        tail, sort) have not been measured since, so those queries still
        run in one process.
        A query without aggregate stages sends back only its output, which
        the caller wants anyway."""
        return self.streams and (self.grouped or not self.aggregating)

    @property
    def decode_all(self) -> bool:
        """Whether a run decodes every field of an event, not only the
        program's slots: whole events leave the query (no group table), a
        slow path may read any field, or the line is read as a field."""
        return not self.grouped or self.reads_rawstring or self.reads_source or not self.native

    @property
    def columns(self) -> bool:
        """Whether the reader may give column batches instead of events:
        only slots decoded and every instruction native, into a group table."""
        return not self.decode_all

    @property
    def filter_columns(self) -> bool:
        """Whether a run that outputs events may read column batches too:
        the per-event code decides on the slots alone (every instruction
        native, no ``@rawstring``), and only the lines it keeps are decoded
        whole, for their output (``VMEngine.outputs``).  A filter over
        1.7 KB ``ProcessRollup2`` lines the prefilter keeps cost about
        25 us a line decoded whole."""
        return not self.grouped and self.native and not self.reads_rawstring and self.streams

    def decode_all_per_event(self, aggregate: bool) -> bool:
        """``decode_all`` for an embedding that returns each kept event as
        it was given (so output needs no decoded fields), aggregating only
        when ``aggregate``: every field is decoded when a slow path may read
        any, or when events themselves must be kept for stages after the
        per-event code."""
        keeps_events = aggregate and self.aggregating and not self.grouped
        return not self.native or keeps_events


def make_plan(checked: Checked, program: Program) -> RunPlan:
    """The plan of ``program``, compiled from ``checked``."""
    stages = program.aggregate_stages
    return RunPlan(
        reads_source=checked.reads_source,
        native=not has_slow_path(program),
        grouped=program.group is not None,
        aggregating=bool(stages),
        after=stages[1:] if program.group is not None else stages,
        reads_rawstring=any(ref.rawstring for ref in program.fields),
        field_names=requested_names(program.fields),
    )


def has_slow_path(program: Program) -> bool:
    """Whether an instruction takes a syntax node (runs the reference
    semantics on the whole event).  An unknown opcode counts as one."""
    code, pc = program.code, 0
    while pc < len(code):
        try:
            info = INFO[Op(code[pc])]
        except ValueError:
            return True
        if "node" in info.operands:
            return True
        pc += 1 + len(info.operands)
    return False
