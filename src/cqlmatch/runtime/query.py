"""The public API: compile a query once, run it over events many times.

q = cqlmatch.compile(text)
q.diagnostics            # warnings (errors raise CQLCompileError)
rows = q.run(events)     # events: iterable of dicts, or an NDJSON path
q.match(event_dict)      # the event as per-event stages leave it, or None
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadEventError, CQLCompileError, Diagnostic
from ..ingest.lines import MalformedLine
from ..lang.events import Event, flatten, rawstring_of
from ..semantics.check import check
from ..semantics.checked import Checked
from ..semantics.lookups import Table, resolve_tables
from ..syntax.parser import parse

if TYPE_CHECKING:
    from ..bytecode.program import Program
    from ..ingest.reader import IngestStats

ENGINES = ("vm", "reference")  # the first is the default
ON_ERROR = ("skip", "fail")  # the first is the default
MALFORMED_KEPT = 100  # bad lines kept with their reason; ``malformed_count`` has them all


class CompiledQuery:
    """A parsed and checked query, ready to run."""

    def __init__(
        self, text: str, checked: Checked, tables: dict[str, Table], strict: bool = False
    ) -> None:
        self.text = text
        self.strict = strict
        self.tree = checked.tree
        self.checked = checked
        self.tables = tables
        self.malformed: list[MalformedLine] = []  # the first MALFORMED_KEPT of the last run
        self.malformed_count = 0  # all bad lines of the last run
        self.stats: IngestStats | None = None  # lines, skipped, blank, events, malformed
        self.warnings: list[tuple[str, str]] = []
        self.events_read = 0  # events the last run() read (malformed lines aside)
        self._program = None  # the compiled bytecode, made on first use by the VM
        self._matcher = None  # the VM engine match() reuses (it reports no warnings)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.checked.diagnostics)

    def _interpreter(self, engine: str):
        """A fresh engine: the VM (``VMEngine``) or the reference ``Interpreter``;
        both have ``run``, ``match`` and ``warnings``."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if engine == "vm":
            from .engine import VMEngine

            engine_ = VMEngine(self.checked, self.tables, program=self._program)
            self._program = engine_.program
            return engine_
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
    ) -> list[dict[str, str]]:
        """Output rows (aggregating queries) or kept events, as dicts.

        ``source``: an NDJSON path (plain, gzip or zstd), ``"-"`` (standard
        input), ``bytes``, a binary or text file object, an iterable of lines
        (``str``/``bytes``) or of already-decoded dicts.  ``workers``: processes
        for a plain file on the VM (default: all cores; see ``parallel``).
        ``on_error``: ``"skip"`` counts bad lines (``malformed``, ``stats``) and
        goes on; ``"fail"`` raises ``BadEventError`` at the first one, and then
        parses every line (no prefilter) so that none is missed.
        ``prefilter=False`` decodes every line (results never differ)."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        from ..ingest import reader as ingest
        from . import parallel

        interpreter = self._interpreter(engine)
        program = self.program
        self.malformed = []
        self.malformed_count = 0
        self.warnings = []
        limit = ingest.MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
        need_all = self.needs_all_fields(engine)
        use_prefilter = prefilter and on_error == "skip"
        count = (os.cpu_count() or 1) if workers is None else workers
        if count < 1:
            raise ValueError(f"workers must be at least 1, not {count}")
        if engine == "vm" and count > 1 and parallel.streams(interpreter):
            ranges = parallel.plan_ranges(source, count)
            if ranges:
                self.stats = ingest.IngestStats()
                out = parallel.run_file(
                    self,
                    interpreter,
                    source,
                    ranges,
                    count,
                    need_all=need_all,
                    prefilter=use_prefilter,
                    on_error=on_error,
                    max_line_bytes=limit,
                )
                if out is not None:
                    return self._finish(interpreter, out)
                # a later range reached the group limit: one pass instead
                interpreter = self._interpreter(engine)
                self.malformed, self.malformed_count = [], 0
        reader = ingest.read_events(
            source,
            program,
            need_all=need_all,
            prefilter=use_prefilter,
            max_line_bytes=limit,
            columns=engine == "vm" and parallel.takes_columns(interpreter, need_all),
        )
        self.stats = reader.stats
        with reader:
            events = self._good(reader, on_error, _source_name(source))
            if engine == "vm":
                out = parallel.execute(interpreter, events)
            else:
                out = interpreter.run(events)
        return self._finish(interpreter, out)

    def _finish(self, interpreter: Any, out: list[Event]) -> list[dict[str, str]]:
        self.events_read = self.stats.events
        self.warnings = list(interpreter.warnings)
        return [event.fields for event in out]

    def _good(self, items: Iterable[Any], on_error: str, name: str) -> Iterator[Event]:
        """The events (and column batches) of ``items``; malformed lines
        recorded (skip) or raised (fail)."""
        for item in items:
            if type(item) is MalformedLine:
                self.note_malformed(item, on_error, name)
            else:
                yield item

    def note_malformed(self, item: MalformedLine, on_error: str, name: str) -> None:
        """Record one bad line (the first ``MALFORMED_KEPT`` with their reasons)."""
        if on_error == "fail":
            raise BadEventError(name, item.line_number, item.reason)
        self.malformed_count += 1
        if len(self.malformed) < MALFORMED_KEPT:
            self.malformed.append(item)

    @property
    def program(self) -> Program:
        """The compiled bytecode (made once)."""
        if self._program is None:
            from ..bytecode.compiler import compile_program

            self._program = compile_program(self.checked)
        return self._program

    def needs_all_fields(self, engine: str = "vm") -> bool:
        """Whether a run must decode every field of an event, not only the
        program's field table: the reference engine, whole events as output
        (no native groupBy), slow paths (a node with the reference semantics
        may read any field, free text reads them all), ``@rawstring`` and
        sub-queries."""
        if engine != "vm":
            return True
        program = self.program
        if program.group is None or any(ref.rawstring for ref in program.fields):
            return True
        from ..reference import Interpreter

        if Interpreter(self.checked).needs_source():
            return True
        return _has_slow_path(program)

    def match(self, event: Mapping[str, Any], engine: str = "vm") -> dict[str, str] | None:
        """The event with the fields per-event stages assign, or None if dropped."""
        fields = flatten(event)
        raw = fields.get("@rawstring") or rawstring_of(event)
        if engine == "vm":
            if self._matcher is None:
                self._matcher = self._interpreter(engine)
            matcher = self._matcher
        else:
            matcher = self._interpreter(engine)
        out = matcher.match(Event(fields, raw))
        return None if out is None else out.fields


def _source_name(source: Any) -> str:
    """How messages name a source: its path, or what kind of input it is."""
    if isinstance(source, str | os.PathLike):
        return "<stdin>" if source == "-" else str(source)
    return f"<{type(source).__name__}>"


def _has_slow_path(program: Program) -> bool:
    """Whether the code holds TEST_NODE or STAGE_NODE instructions."""
    from ..bytecode.opcodes import INFO, Op

    slow = (Op.TEST_NODE, Op.STAGE_NODE)
    code, offset = program.code, 0
    while offset < len(code):
        op = Op(code[offset])
        if op in slow:
            return True
        offset += 1 + len(INFO[op].operands)
    return False


def compile(
    text: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
    base: Path | None = None,
) -> CompiledQuery:
    """Parse and check ``text``; raises ``CQLSyntaxError`` or ``CQLCompileError``.

    ``strict`` turns cqlmatch's extensions (positional if(), drop() without
    fields, filter conditions) into errors.  ``params`` fills ``?name``
    placeholders; ``lookups`` maps lookup-file names to paths or rows."""
    tree = parse(text)
    checked = check(tree, text, params=params, strict=strict)
    defined = {
        str(b.get("name")) for b in checked.bindings.values() if b.spec.name == "defineTable"
    }
    files: dict[str, object] = {}
    for b in checked.bindings.values():
        if b.spec.name == "match" and b.given("table") and str(b.get("table")) not in defined:
            name = str(b.get("table"))
            message = f"no table {name!r}: match(table=...) reads a table defineTable() makes"
            diagnostic = Diagnostic(
                "error",
                "E222",
                message,
                b.nodes["table"].span,
                expected=f'defineTable(name="{name}", ...)',
            )
            raise CQLCompileError(text, [diagnostic])
        if b.spec.name in ("match", "cidr") and b.given("file"):
            files[str(b.get("file"))] = b.nodes["file"]
        elif b.spec.name == "readFile":
            files.update((name, b.nodes["file"]) for name in b.get("file") if name not in defined)
    try:
        tables = resolve_tables(set(files), lookups, base)
    except FileNotFoundError as err:
        span = files[err.filename].span  # type: ignore[attr-defined]
        diagnostic = Diagnostic(
            "error", "E222", str(err.args[0]), span, expected=f"--lookup {err.filename}=PATH"
        )
        raise CQLCompileError(text, [diagnostic]) from None
    return CompiledQuery(text, checked, tables, strict)


def compile_file(
    path: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
) -> CompiledQuery:
    """``compile`` for a query file (``-`` reads standard input); lookup files
    named by the query are also looked for beside it."""
    if path == "-":
        import sys

        return compile(sys.stdin.read(), strict, params, lookups)
    file = Path(path)
    return compile(file.read_text(encoding="utf-8"), strict, params, lookups, base=file.parent)
