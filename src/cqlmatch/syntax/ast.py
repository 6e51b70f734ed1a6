"""The CQL syntax tree: immutable nodes, each carrying the span it came from.

Spans take no part in equality, so a query and its canonical reprint compare
equal node for node.  Nodes record what was written, not what it means: an
unquoted word stays a ``Bare`` (a field name in one place, a string or a glob
in another) and the compiler decides with the function catalogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Span
from ..records import Record, record

NO_SPAN = Span(0, 0, 1, 1)


class Node(Record):
    """Base of every node: immutable (``records.Record``); ``span`` is
    keyword-only and ignored by ``==``, ``hash`` and ``repr``."""

    __slots__ = ()
    _uncompared = ("span",)


_node = record

if TYPE_CHECKING:
    from dataclasses import field

    def _span_field() -> Any:
        return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

else:

    def _span_field() -> Span:
        return NO_SPAN


# --- values and expressions -------------------------------------------------


@_node
class Str(Node):
    """A double-quoted string; ``value`` has its escapes resolved."""

    value: str
    span: Span = _span_field()


@_node
class Bare(Node):
    """An unquoted word: a field name, a glob pattern or a plain string."""

    text: str
    span: Span = _span_field()


@_node
class Number(Node):
    """A numeric literal as written (``5``, ``0.25``)."""

    text: str
    span: Span = _span_field()


@_node
class Bool(Node):
    """``true`` or ``false``: a literal in expressions, a keep-all/keep-none filter."""

    value: bool
    span: Span = _span_field()


@_node
class Regex(Node):
    """A ``/pattern/flags`` literal; ``pattern`` keeps its escapes (``\\/``)."""

    pattern: str
    flags: str
    span: Span = _span_field()


@_node
class Param(Node):
    """A query parameter ``?name`` or ``?{name=default}``."""

    name: str
    default: str | None = None
    span: Span = _span_field()


@_node
class Array(Node):
    """``[item, ...]``."""

    items: tuple[Expr, ...]
    span: Span = _span_field()


@_node
class Arg(Node):
    """One function argument; ``name`` is None when the name is omitted."""

    name: str | None
    value: Expr
    span: Span = _span_field()


@_node
class QueryArg(Node):
    """A named sub-query argument, as ``correlate()`` takes them:
    ``name: { query } include: [a, b]``."""

    name: str
    query: Pipeline
    options: tuple[Arg, ...] = ()
    span: Span = _span_field()


@_node
class Call(Node):
    """A function call; ``name`` as written (case is resolved by the catalogue)."""

    name: str
    args: tuple[Arg | QueryArg, ...]
    span: Span = _span_field()


@_node
class SavedCall(Node):
    """A saved-query invocation ``$name(...)`` or ``$"pkg/name"(...)``."""

    name: str
    args: tuple[Arg, ...]
    span: Span = _span_field()


@_node
class SubQuery(Node):
    """``{ stage | stage }`` used as an argument (``function={...}``, ``join``)."""

    query: Pipeline
    span: Span = _span_field()


@_node
class Unary(Node):
    """``-x``, ``+x`` or ``!x`` / ``not x`` inside an expression."""

    op: str
    operand: Expr
    span: Span = _span_field()


@_node
class Binary(Node):
    """An arithmetic, comparison or logical operation inside an expression."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span_field()


# --- filters --------------------------------------------------------------


@_node
class FieldFilter(Node):
    """``field op value`` with op one of ``= != < <= > >= like <=>``."""

    field: str
    op: str
    value: Expr
    span: Span = _span_field()


@_node
class FreeText(Node):
    """A bare word, quoted string, regex or parameter searched in all fields."""

    value: Expr
    span: Span = _span_field()


@_node
class And(Node):
    """Juxtaposed filters or ``AND``: the loosest binding."""

    items: tuple[Filter, ...]
    span: Span = _span_field()


@_node
class Or(Node):
    """``OR``: binds tighter than ``AND`` in CQL."""

    items: tuple[Filter, ...]
    span: Span = _span_field()


@_node
class Not(Node):
    """``NOT`` / ``!``: binds to one primary filter."""

    operand: Filter
    span: Span = _span_field()


# --- stages -----------------------------------------------------------------


@_node
class Assign(Node):
    """``field := expression``."""

    field: str
    value: Expr
    span: Span = _span_field()


@_node
class FieldCall(Node):
    """``field =~ function(...)``: passes ``field`` as the call's field argument."""

    field: str
    call: Call
    span: Span = _span_field()


@_node
class Case(Node):
    """``case { branch ; branch }``: the first branch that emits wins."""

    branches: tuple[Pipeline, ...]
    span: Span = _span_field()


@_node
class MatchArm(Node):
    """``pattern => pipeline`` inside a match statement."""

    pattern: Expr
    body: Pipeline
    span: Span = _span_field()


@_node
class MatchStmt(Node):
    """``field match { pattern => pipeline ; ... }``."""

    field: str
    arms: tuple[MatchArm, ...]
    span: Span = _span_field()


@_node
class Pipeline(Node):
    """Stages separated by ``|``."""

    stages: tuple[Stage, ...]
    span: Span = _span_field()


Expr = (
    Str
    | Bare
    | Number
    | Bool
    | Regex
    | Param
    | Array
    | Call
    | SavedCall
    | SubQuery
    | Unary
    | Binary
)
Filter = FieldFilter | FreeText | And | Or | Not | Bool | Call | SavedCall
Stage = Filter | Assign | FieldCall | Case | MatchStmt


def children(node: Node) -> list[Node]:
    """The direct child nodes of ``node``, in source order."""
    out: list[Node] = []
    for name in node._fields:
        value = getattr(node, name)
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, Node))
    return out


def walk(node: Node):
    """Every node of the tree rooted at ``node``, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def dump(node: Node, indent: str = "") -> str:
    """An indented, span-free rendering of the tree, for golden files."""
    name = type(node).__name__
    scalars = []
    kids: list[tuple[str, object]] = []
    for field_name in node._fields:
        value = getattr(node, field_name)
        if isinstance(value, Node) or (
            isinstance(value, tuple) and any(isinstance(v, Node) for v in value)
        ):
            kids.append((field_name, value))
        elif isinstance(value, tuple):
            if value:
                scalars.append(f"{field_name}=()")
        else:
            scalars.append(f"{field_name}={value!r}")
    lines = [f"{indent}{name}({', '.join(scalars)})" if scalars else f"{indent}{name}"]
    for label, value in kids:
        items = value if isinstance(value, tuple) else (value,)
        lines.append(f"{indent}  .{label}")
        lines.extend(dump(item, indent + "    ") for item in items)
    return "\n".join(lines)
