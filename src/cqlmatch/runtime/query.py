"""The public API: compile a query once, run it over events many times.

q = cqlmatch.compile(text)
q.diagnostics            # warnings (errors raise CQLCompileError)
rows = q.run(events)     # events: iterable of dicts, an NDJSON path, or Inputs(...)
rows.stats, rows.malformed, rows.warnings   # what the run found (a Result)
q.match(event_dict)      # the event as per-event stages leave it, or None

A ``CompiledQuery`` is immutable once made: runs share it (threads too)
and each run's state lives on the ``Result`` it returns.  How a run goes
(which fields are decoded, column batches, worker processes) is the
``RunPlan``'s and the engine's to say; ``run`` only connects the input,
the engine and the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from ..bytecode.program import Program
from ..errors import Diagnostic
from ..ingest.lines import MalformedLine
from ..ingest.sources import as_inputs
from ..lang.events import Event, flatten, rawstring_of
from ..limits import MAX_LINE_BYTES
from ..semantics.checked import Checked
from ..semantics.columns import declared_columns
from ..semantics.frontend import front_end
from ..semantics.lookups import Table
from .choices import ENGINES, ON_ERROR
from .plan import RunPlan, make_plan
from .result import Result


class CompiledQuery:
    """A parsed and checked query, ready to run (immutable; see the module docstring)."""

    def __init__(
        self, text: str, checked: Checked, tables: dict[str, Table], strict: bool = False
    ) -> None:
        self.text = text
        self.strict = strict
        self.tree = checked.tree
        self.checked = checked
        self.tables = tables

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.checked.diagnostics)

    @cached_property
    def program(self) -> Program:
        """The compiled bytecode (made on first use)."""
        from ..bytecode.compiler import compile_program

        return compile_program(self.checked)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The output columns the query names (``select()``, ``table()``) in
        its order, or ``()`` when the rows decide (``semantics.columns``)."""
        return declared_columns(self.checked)

    @cached_property
    def plan(self) -> RunPlan:
        """How the program runs on the VM (``runtime.plan``)."""
        return make_plan(self.checked, self.program)

    def new_engine(self, engine: str = "vm") -> Any:
        """A fresh engine: the VM (``VMEngine``) or the reference ``Interpreter``;
        both have ``run``, ``match`` and ``warnings``."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if engine == "vm":
            from .engine import VMEngine

            return VMEngine(self.checked, self.tables, program=self.program, plan=self.plan)
        from ..reference import Interpreter

        return Interpreter(self.checked, self.tables)

    def run(
        self,
        source: Any,
        engine: str = "vm",
        *,
        workers: int | None = None,
        on_error: str = "skip",
        prefilter: bool = True,
        max_line_bytes: int | None = None,
        result: Result | None = None,
    ) -> Result:
        """Output rows (aggregating queries) or kept events, as dicts, in a
        ``Result`` (a list that also carries the run's stats, malformed lines
        and warnings).

        ``source``: an NDJSON path (plain, gzip or zstd), ``"-"`` (standard
        input), ``Inputs(...)`` or a list of ``pathlib.Path`` (several files,
        directories or glob patterns read in order as one input, line numbers
        per file), ``bytes``, a binary or text file object, an iterable of
        lines (``str``/``bytes``) or of already-decoded dicts.  ``workers``:
        processes for files on the VM (default: all cores; see
        ``runtime.parallel``).  ``on_error``: ``"skip"`` counts bad lines and
        goes on; ``"fail"`` raises ``BadEventError`` at the first one, and
        then parses every line (no prefilter) so that none is missed.
        ``prefilter=False`` decodes every line (results never differ).
        ``result``: the (empty) ``Result`` to fill, for a caller that watches
        the counts while the run goes on; a new one by default."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        count = worker_count(workers)
        runner = self.new_engine(engine)
        result = Result() if result is None else result
        limit = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
        use_prefilter = prefilter and on_error == "skip"
        inputs = as_inputs(source)
        paths: list[Any] = list(inputs) if inputs is not None else [source]
        many = len(paths) > 1
        if engine == "vm" and count > 1 and self.plan.splits:
            from . import parallel

            file_paths = [os.fspath(p) for p in paths if isinstance(p, str | os.PathLike)]
            parts = (
                parallel.plan_parts(file_paths, count, fast=self.plan.native)
                if len(file_paths) == len(paths)
                else None
            )
            if parts:
                done = parallel.run_parts(
                    self,
                    parts,
                    count,
                    result,
                    prefilter=use_prefilter,
                    on_error=on_error,
                    max_line_bytes=limit,
                )
                if done:
                    result.columns = self.columns
                    return result
                result.clear_run()  # a part reached the group limit: one pass instead
        items = self._read(paths, result, engine, on_error, use_prefilter, limit, many)
        try:
            out = runner.execute(items) if engine == "vm" else runner.run(items)
        finally:
            items.close()  # a run may stop early (head) or be interrupted: count what was read
        return self._finish(result, runner, out, self.columns)

    def shipped(self) -> dict[str, Any]:
        """What another process needs to make this query again without
        compiling its program (``rebuild``): the program as bytes, the text,
        parameters and lookup rows; plain values, picklable."""
        return {
            "program": self.program.dumps(),
            "text": self.text,
            "strict": self.strict,
            "params": dict(self.checked.params),
            "tables": self.tables,
            "rebuild": rebuild,
        }

    def partial_runner(self, engine: str = "vm") -> Any:
        """A ``runtime.partial.PartialRunner`` of this query (a fresh engine)."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        from .partial import PartialRunner

        return PartialRunner(self, engine)

    def partial(
        self,
        source: Any,
        part: int = 0,
        engine: str = "vm",
        *,
        on_error: str = "skip",
        prefilter: bool = True,
        max_line_bytes: int | None = None,
        name: str | None = None,
        continues: bool = False,
    ) -> Any:
        """The ``PartialState`` of this query over one part of its input
        (``runtime.partial``): ``source`` is one source as ``run`` reads it
        (a path, bytes, lines...) or an ``ingest.blocks.FileRange``;
        ``part`` its place among the parts (states merge in that order);
        ``name`` what messages call it (default: its path); ``continues``:
        it goes on from the part before of the same name (line numbers
        follow on).  Options as for
        ``run``.  ``finish`` gives the rows of merged states."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        limit = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
        return self.partial_runner(engine).run(
            source,
            part,
            on_error=on_error,
            prefilter=prefilter,
            max_line_bytes=limit,
            name=name,
            continues=continues,
        )

    def finish(self, state: Any, result: Result | None = None) -> Result:
        """The rows (a ``Result``) of one pass over the parts ``state`` holds."""
        from .partial import PartialStateError, query_hash

        if state.runner.hash != query_hash(self):
            raise PartialStateError("this partial state was made by another query")
        result = state.finish(result)
        result.columns = self.columns
        return result

    def _read(
        self,
        paths: list[Any],
        result: Result,
        engine: str,
        on_error: str,
        prefilter: bool,
        max_line_bytes: int,
        many: bool,
    ) -> Iterator[Any]:
        """The events (and column batches) of every source in order, counted
        into ``result``; malformed lines recorded (skip) or raised (fail)."""
        vm = engine == "vm"
        return read_inputs(
            paths,
            result,
            self.program,
            need_all=not vm or self.plan.decode_all,
            columns=vm and self.plan.columns,
            on_error=on_error,
            prefilter=prefilter,
            max_line_bytes=max_line_bytes,
            many=many,
        )

    @staticmethod
    def _finish(result: Result, runner: Any, out: list[Event], columns: tuple[str, ...]) -> Result:
        result.warnings = list(runner.warnings)
        result.columns = columns
        result.extend(event.fields for event in out)
        return result

    def match(self, event: Mapping[str, Any], engine: str = "vm") -> dict[str, str] | None:
        """The event with the fields per-event stages assign, or None if dropped."""
        fields = flatten(event)
        raw = fields.get("@rawstring") or rawstring_of(event)
        matcher = self._vm_matcher if engine == "vm" else self.new_engine(engine)
        out = matcher.match(Event(fields, raw))
        return None if out is None else out.fields

    def match_event(self, event: Event) -> Event | None:
        """``match`` for an ``Event`` already made (flattened, with its
        raw line): what a pack's rules share."""
        return self._vm_matcher.match(event)

    @cached_property
    def _vm_matcher(self) -> Any:
        """The VM engine ``match`` reuses (made once; it reports no warnings)."""
        return self.new_engine("vm")


def rebuild(spec: Mapping[str, Any]) -> CompiledQuery:
    """The query ``CompiledQuery.shipped`` describes, its program loaded
    (``ValueError`` for bytes that are not a program of this cqlmatch)."""
    from ..bytecode.program import loads

    front = front_end(spec["text"], spec["strict"], spec["params"], spec["tables"])
    query = CompiledQuery(front.text, front.checked, front.tables, front.strict)  # type: ignore[arg-type]
    query.__dict__["program"] = loads(spec["program"])  # (its cached property)
    return query


def worker_count(workers: int | None) -> int:
    """The worker processes a run uses: ``workers`` (default: every core
    this process may run on), at most the cores, since more processes only
    add memory (each holds the engines and its part's state); asking for
    more logs a note.  Fewer than 1 is a ``ValueError``."""
    try:
        cores = len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    count = cores if workers is None else workers
    if count < 1:
        raise ValueError(f"workers must be at least 1, not {count}")
    if count > cores:
        import logging

        logging.getLogger("cqlmatch").warning(
            "cqlmatch: %d workers asked for, %d used (the cores available)", count, cores
        )
        count = cores
    return count


def read_inputs(
    paths: list[Any],
    result: Result,
    program: Program | None,
    *,
    need_all: bool,
    columns: bool,
    on_error: str,
    prefilter: bool,
    max_line_bytes: int,
    many: bool,
    literals: Any = None,
    fields: Any = None,
) -> Iterator[Any]:
    """The events (and column batches) of every source of ``paths`` in
    order, counted into ``result`` (its stats, malformed lines and
    incomplete sources); malformed lines recorded (``on_error="skip"``) or
    raised (``"fail"``).  ``many``: several sources (messages name each
    one, line numbers are per source).  ``literals``: prefilter groups
    instead of ``program``'s; ``fields``: without a program, the names to
    decode (``ingest.read_events``)."""
    from ..ingest.reader import read_events

    for source in paths:
        reader = read_events(
            source,
            program,
            need_all=need_all,
            prefilter=prefilter,
            max_line_bytes=max_line_bytes,
            columns=columns,
            literals=literals,
            fields=fields,
        )
        name = _source_name(source)
        if not many:
            result.stats = reader.stats
        try:
            with reader:
                for item in reader:
                    if type(item) is MalformedLine:
                        if many:
                            item.source = name
                        result.note_malformed(item, on_error, name)
                    else:
                        yield item
        finally:
            if many:
                result.stats.add(reader.stats)
        if reader.incomplete:
            result.incomplete.append(name)
    result.read_all = True


def _source_name(source: Any) -> str:
    """How messages name a source: its path, or what kind of input it is."""
    if isinstance(source, str | os.PathLike):
        return "<stdin>" if source == "-" else str(source)
    return f"<{type(source).__name__}>"


def compile(
    text: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
    lookup_dir: str | Path | None = None,
) -> CompiledQuery:
    """Parse and check ``text``; raises ``CQLSyntaxError`` or ``CQLCompileError``.

    ``strict`` turns cqlmatch's extensions (positional if(), drop() without
    fields, filter conditions) into errors.  ``params`` fills ``?name``
    placeholders.  Lookup files (``match(file=NAME)``, ``cidr(file=NAME)``,
    ``readFile(NAME)``) resolve only through ``lookups`` (names to paths or
    rows) and then ``lookup_dir`` (a directory: ``NAME`` is the file
    ``lookup_dir/NAME``, subfolders allowed, nothing outside it); absolute
    names and ``..`` are E224, names not provided E222.  No file is read
    here: each is read when a run first needs it, and one that is not a
    table is E225 then (docs/security.md)."""
    front = front_end(text, strict, params, lookups, lookup_dir)
    return CompiledQuery(front.text, front.checked, front.tables, front.strict)  # type: ignore[arg-type]


def compile_file(
    path: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
    lookup_dir: str | Path | None = None,
) -> CompiledQuery:
    """``compile`` for a query file (``-`` reads standard input).  Lookup
    files are not looked for beside the query: pass its folder as
    ``lookup_dir`` to allow that."""
    if path == "-":
        import sys

        return compile(sys.stdin.read(), strict, params, lookups, lookup_dir)
    text = Path(path).read_text(encoding="utf-8")
    return compile(text, strict, params, lookups, lookup_dir)
