"""Saved queries from a directory: ``$name()`` and ``$"pkg/name"()``.

LogScale stores saved queries in the cluster; offline they are files.  With
a directory ``DIR`` (``--saved DIR`` on the command line, ``saved:`` in a
detection test file), ``$name(...)`` is ``DIR/name.cql`` and
``$"pkg/name"(...)`` is ``DIR/pkg/name.cql``.

``expand`` replaces each call in the query text by the saved query's text
before the query is compiled, the way LogScale inlines a saved query:

- a call that is a stage of its own (``... | $name() | ...``) becomes the
  saved pipeline, whatever its number of stages;
- a call inside a filter (``$name() OR x=1``) becomes the saved query in
  parentheses, which must then be a single filter stage;
- arguments fill the saved query's parameters: ``$name(user="alice")``
  replaces ``?user`` (or ``?{user=default}``) in the saved text by the
  argument as written; parameters without an argument are left for the
  caller's ``--param`` values;
- saved queries may call saved queries (a cycle is an error).

Everything compiled afterwards (diagnostics, spans, ``CompiledQuery.text``)
refers to the expanded text.  A saved query that is missing gets E221 at the
call; one that does not parse is reported against its own file
(``SavedQueryError``).  Without a directory the checker keeps reporting
E221 ("not available offline") for every call.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CQLCompileError, CQLError, Diagnostic, Span
from ..limits import MAX_SAVED_DEPTH
from . import ast as A
from .lexer import tokenize
from .parser import parse
from .tokens import TokenKind

SUFFIX = ".cql"


class SavedQueryError(CQLCompileError):
    """An error inside a saved query's own file: rendered against that file,
    whatever name the caller passes."""

    def __init__(self, path: Path, error: CQLError) -> None:
        self.path = path
        super().__init__(error.text, list(error.diagnostics))

    def render(self, filename: str = "<query>") -> str:
        return super().render(str(self.path))


def expand(text: str, directory: str | Path) -> str:
    """``text`` with every saved-query call replaced by the saved text from
    ``directory`` (recursively).  Raises ``CQLSyntaxError`` for ``text``
    itself, ``CQLCompileError`` (E221) at a call that cannot be resolved,
    ``SavedQueryError`` for an error in a saved file."""
    return _expand(text, Path(directory), ())


def _expand(text: str, directory: Path, stack: tuple[Path, ...]) -> str:
    tree = parse(text)
    stages: set[int] = set()
    calls: list[A.SavedCall] = []
    for node in A.walk(tree):
        if isinstance(node, A.Pipeline):
            stages.update(id(stage) for stage in node.stages if isinstance(stage, A.SavedCall))
        elif isinstance(node, A.SavedCall):
            calls.append(node)
    if not calls:
        return text
    out: list[str] = []
    last = 0
    for call in sorted(calls, key=lambda c: c.span.start):
        body = _body(text, call, directory, stack, as_stage=id(call) in stages)
        out.append(text[last : call.span.start])
        out.append(body)
        last = call.span.end
    out.append(text[last:])
    return "".join(out)


def _written(name: str) -> str:
    """The call as a query writes it: ``$name`` or ``$"pkg/name"``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return f"${name}"
    # Control characters (a NUL byte above all) are shown escaped, never as they are.
    shown = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", name)
    return f'$"{shown}"'


def _error(text: str, span: Span, message: str, expected: str | None = None) -> CQLCompileError:
    return CQLCompileError(text, [Diagnostic("error", "E221", message, span, expected)])


def _resolve(text: str, call: A.SavedCall, directory: Path) -> Path:
    # No file name holds a NUL byte (the OS refuses it, Python raises ValueError).
    if "\x00" in call.name:
        raise _error(
            text, call.span, f"saved query name {_written(call.name)}() contains a NUL byte"
        )
    if "\x00" in str(directory):
        raise _error(text, call.span, "the saved-query directory's name contains a NUL byte")
    try:
        root = directory.resolve()
        path = (root / (call.name + SUFFIX)).resolve()
        found = path.is_file()
    except (OSError, ValueError, RuntimeError) as err:  # RuntimeError: a symlink loop
        raise _error(
            text, call.span, f"saved query {_written(call.name)}() cannot be looked up: {err}"
        ) from None
    if not path.is_relative_to(root):
        raise _error(
            text, call.span, f"saved query name {_written(call.name)}() leaves {directory}"
        )
    if not found:
        raise _error(
            text,
            call.span,
            f"saved query {_written(call.name)}() not found: no {directory / (call.name + SUFFIX)}",
            f"a file {call.name}{SUFFIX} in {directory}",
        )
    return path


def _body(
    text: str, call: A.SavedCall, directory: Path, stack: tuple[Path, ...], as_stage: bool
) -> str:
    path = _resolve(text, call, directory)
    if path in stack:
        chain = " -> ".join(p.stem for p in (*stack, path))
        raise _error(text, call.span, f"saved queries call each other in a cycle: {chain}")
    if len(stack) >= MAX_SAVED_DEPTH:
        raise _error(text, call.span, f"saved queries nested more than {MAX_SAVED_DEPTH} deep")
    arguments: dict[str, str] = {}
    for arg in call.args:
        if not isinstance(arg, A.Arg) or arg.name is None:
            raise _error(text, arg.span, "saved query arguments are named: $name(param=value)")
        arguments[arg.name] = text[arg.value.span.start : arg.value.span.end]
    try:
        saved = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise _error(text, call.span, f"cannot read saved query {path}: {err}") from None
    try:
        saved = _expand(saved, directory, (*stack, path))
        tree = parse(saved)
        body = _code(saved, arguments)
    except SavedQueryError:
        raise
    except CQLError as err:
        raise SavedQueryError(path, err) from None
    if as_stage:
        return body
    if len(tree.stages) != 1:
        raise _error(
            text,
            call.span,
            f"saved query {_written(call.name)}() has {len(tree.stages)} stages, so it can "
            "only be used as a stage of its own",
            f"'| {_written(call.name)}() |'",
        )
    return f"({body})"


def _code(saved: str, arguments: dict[str, str]) -> str:
    """The saved text from its first token to its last (so a trailing
    comment cannot swallow what follows the call), with the parameters that
    have arguments replaced by them."""
    tokens = [t for t in tokenize(saved) if t.kind is not TokenKind.EOF]
    if not tokens:
        return "*"
    start, end = tokens[0].span.start, tokens[-1].span.end
    pieces: list[str] = []
    last = start
    for token in tokens:
        if token.kind is TokenKind.PARAM and token.value[0] in arguments:  # type: ignore[index]
            pieces.append(saved[last : token.span.start])
            pieces.append(arguments[token.value[0]])  # type: ignore[index]
            last = token.span.end
    pieces.append(saved[last:end])
    return "".join(pieces)
