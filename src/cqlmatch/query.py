"""The public API: compile a query once, run it over events many times.

q = cqlmatch.compile(text)
q.diagnostics            # warnings (errors raise CQLCompileError)
rows = q.run(events)     # events: iterable of dicts, or an NDJSON path
q.match(event_dict)      # the event as per-event stages leave it, or None
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .check import Checked, check
from .errors import CQLCompileError, Diagnostic
from .events import Event, flatten, parse_line, rawstring_of
from .lookups import Table, resolve_tables
from .parser import parse

ENGINES = ("vm", "reference")  # the first is the default


class MalformedLine:
    """A line of input that is not a JSON object: kept with its number."""

    __slots__ = ("line_number", "reason")

    def __init__(self, line_number: int, reason: str) -> None:
        self.line_number = line_number
        self.reason = reason

    def __repr__(self) -> str:
        return f"line {self.line_number}: {self.reason}"


class CompiledQuery:
    """A parsed and checked query, ready to run."""

    def __init__(self, text: str, checked: Checked, tables: dict[str, Table]) -> None:
        self.text = text
        self.tree = checked.tree
        self.checked = checked
        self.tables = tables
        self.malformed: list[MalformedLine] = []
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
            from .vm import VMEngine

            engine_ = VMEngine(self.checked, self.tables, program=self._program)
            self._program = engine_.program
            return engine_
        from .reference import Interpreter

        return Interpreter(self.checked, self.tables)

    def run(self, source: Iterable[Mapping[str, Any]] | str | Path, engine: str = "vm"):
        """Output rows (aggregating queries) or kept events, as dicts."""
        interpreter = self._interpreter(engine)
        self.malformed = []
        self.events_read = 0
        events = self._counted(self._events(source))
        rows = [event.fields for event in interpreter.run(events)]
        self.warnings = list(interpreter.warnings)
        return rows

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

    def _counted(self, events):
        for event in events:
            self.events_read += 1
            yield event

    def _events(self, source):
        if isinstance(source, str | Path):
            return self._read_ndjson(Path(source))
        return (self._from_mapping(item) for item in source)

    @staticmethod
    def _from_mapping(item: Mapping[str, Any]) -> Event:
        fields = flatten(item)
        return Event(fields, fields.get("@rawstring") or rawstring_of(item))

    def _read_ndjson(self, path: Path):
        with open(path, encoding="utf-8", errors="strict", newline="") as fh:
            for number, line in enumerate(fh, 1):
                text = line.rstrip("\r\n")
                if not text.strip():
                    continue
                try:
                    fields = parse_line(text)
                except (ValueError, RecursionError) as err:
                    self.malformed.append(MalformedLine(number, str(err).split("\n")[0]))
                    continue
                yield Event(fields, text)


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
    return CompiledQuery(text, checked, tables)


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
