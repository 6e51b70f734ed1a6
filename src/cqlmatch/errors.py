"""Source spans and the one error type every front-end failure is reported with.

Errors are data first (code, span, expected) and text second, so the CLI, the
corpus report and tests can all use the same object.
"""

from __future__ import annotations

from bisect import bisect_right

from .records import Record, record


@record
class Span(Record):
    """A half-open character range ``[start, end)`` with the 1-based line and
    column of its start, so any later stage can point back at the query text."""

    start: int
    end: int
    line: int
    column: int

    def cover(self, other: Span) -> Span:
        """The smallest span that contains both spans."""
        first = self if self.start <= other.start else other
        return Span(first.start, max(self.end, other.end), first.line, first.column)


class SourceMap:
    """Line starts of a text, so spans are computed in O(log lines), not by
    rescanning the text for each token (a megabyte query stays linear)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def span(self, start: int, end: int | None = None) -> Span:
        n = len(self.text)
        start = max(0, min(start, n))
        end = start if end is None else max(start, min(end, n))
        line = bisect_right(self._starts, start)
        return Span(start, end, line, start - self._starts[line - 1] + 1)


#: Source lines longer than this are shown as a window around the caret
#: (a one-line megabyte query must not print a megabyte).
LONG_LINE = 1000
_WINDOW_BEFORE, _WINDOW_AFTER = 80, 160


def render_caret(text: str, span: Span) -> str:
    """The source line holding ``span`` and a caret line underneath it."""
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = text.find("\n", span.start)
    if line_end < 0:
        line_end = len(text)
    column = span.start - line_start
    width = max(1, min(span.end, line_end) - span.start)
    if line_end - line_start > LONG_LINE:
        begin = max(line_start, span.start - _WINDOW_BEFORE)
        end = min(line_end, span.start + _WINDOW_AFTER)
        prefix = "..." if begin > line_start else ""
        suffix = "..." if end < line_end else ""
        source_line = prefix + text[begin:end].replace("\t", " ") + suffix
        column = len(prefix) + span.start - begin
        width = max(1, min(width, end - span.start))
    else:
        source_line = text[line_start:line_end].replace("\t", " ")
    return f"{source_line}\n{' ' * column}{'^' * width}"


@record
class Diagnostic(Record):
    """One finding about a query: an error that stops compilation, or a
    warning.  ``fix`` is a suggested replacement text for ``span`` when one
    exists (``cqlmatch check --fix`` applies it)."""

    severity: str  # "error" | "warning"
    code: str
    message: str
    span: Span
    expected: str | None = None
    fix: str | None = None

    def render(
        self, text: str, filename: str = "<query>", line_offset: int = 0, column_offset: int = 0
    ) -> str:
        """``file:line:col: severity CODE: message`` plus the caret excerpt.
        The offsets place a query written inside another file (a pack
        manifest): its first line is line ``1 + line_offset`` there, each
        line indented by ``column_offset``."""
        head = (
            f"{filename}:{self.span.line + line_offset}:{self.span.column + column_offset}: "
            f"{self.severity} {self.code}: {self.message}"
        )
        if self.expected:
            head += f" (expected {self.expected})"
        out = f"{head}\n{render_caret(text, self.span)}"
        if self.fix is not None:
            out += f"\n  fix: {self.fix}"
        return out


class CQLError(Exception):
    """Base of every error a query can cause; each carries diagnostics.

    ``code``, ``message``, ``span``, ``line``, ``column`` and ``expected`` are
    those of the first error diagnostic (the first diagnostic when, unusually,
    none is an error), the same for a syntax error as for a compile error:
    ``line`` and ``column`` are 1-based, as the rendered message shows them.
    ``cqlmatch explain CODE`` says what a code means.
    """

    text: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def diagnostic(self) -> Diagnostic:
        """The diagnostic the error is named by: the first error."""
        for d in self.diagnostics:
            if d.severity == "error":
                return d
        return self.diagnostics[0]

    @property
    def code(self) -> str:
        return self.diagnostic.code

    @property
    def message(self) -> str:
        return self.diagnostic.message

    @property
    def span(self) -> Span:
        return self.diagnostic.span

    @property
    def expected(self) -> str | None:
        return self.diagnostic.expected

    @property
    def line(self) -> int:
        return self.diagnostic.span.line

    @property
    def column(self) -> int:
        return self.diagnostic.span.column

    @property
    def source_line(self) -> str:
        """The line of the query holding the error (windowed when very long)."""
        return render_caret(self.text, self.span).split("\n", 1)[0]

    def render(
        self, filename: str = "<query>", line_offset: int = 0, column_offset: int = 0
    ) -> str:
        return "\n".join(
            d.render(self.text, filename, line_offset, column_offset) for d in self.diagnostics
        )


class CQLCompileError(CQLError):
    """A query that parses but cannot be compiled: unknown functions, bad
    arguments, unsupported features.  Holds every error found, not just one."""

    def __init__(self, text: str, diagnostics: list[Diagnostic]) -> None:
        if not diagnostics:
            raise ValueError("a CQLCompileError needs at least one diagnostic")
        self.text = text
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class CQLSyntaxError(CQLError):
    """A query that cannot be parsed: one error diagnostic.

    ``code`` is stable across releases (tests and tools match on it); the
    message says what is wrong, ``expected`` what would have been accepted.
    """

    def __init__(
        self,
        code: str,
        message: str,
        text: str,
        span: Span,
        expected: str | None = None,
    ) -> None:
        self.text = text
        self.diagnostics = (Diagnostic("error", code, message, span, expected),)
        super().__init__(self.render())

    @property
    def errors(self) -> list[Diagnostic]:
        return list(self.diagnostics)


class WorkerLost(RuntimeError):
    """A worker process ended while it was running a task (killed, out of
    memory); ``runtime.pool`` raises it.  Defined here so that a command can
    catch it without loading the process machinery."""


class BadEventError(ValueError):
    """A bad input line under ``on_error="fail"``: where it is and why."""

    def __init__(self, source: str, line_number: int, reason: str) -> None:
        super().__init__(f"{source}:{line_number}: bad event: {reason}")
        self.source = source
        self.line_number = line_number
        self.reason = reason


class PartialStateError(ValueError):
    """A partial state that cannot be merged or finished: made by another
    query, engine or cqlmatch, parts that interleave, or a part that held
    more groups than a state keeps (``runtime.partial``)."""


class YamlFileError(Exception):
    """A YAML file that cannot be used: unreadable, not YAML, or not in its
    format.  ``str()`` is ``file:line:col: message`` (the position when known)."""

    def __init__(
        self, path: object, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"
