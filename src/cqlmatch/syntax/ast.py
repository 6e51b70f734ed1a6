"""The CQL syntax tree: immutable nodes, each carrying the span it came from.

Spans take no part in equality, so a query and its canonical reprint compare
equal node for node.  Nodes record what was written, not what it means: an
unquoted word stays a ``Bare`` (a field name in one place, a string or a glob
in another) and the compiler decides with the function catalogue.
"""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import Span

NO_SPAN = Span(0, 0, 1, 1)


class Node:
    """Base of every node: immutable, with ``__slots__``; ``span`` is
    keyword-only and ignored by ``==``, ``hash`` and ``repr``.

    The nodes are dataclasses to a type checker, but built by ``_node``
    below at run time: ``dataclass(frozen=True, slots=True)`` generates and
    compiles five methods per class each time the module is imported (11 ms
    of every start for 25 classes, where bytecode caching cannot help); these
    generic methods, compiled once into the module's bytecode, read each
    class's ``_fields``."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()  # the fields but span, in order
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, span: Span = NO_SPAN, **kwargs: Any) -> None:
        names = self._fields
        put = object.__setattr__
        if len(args) == len(names) and not kwargs:  # the parser's way
            for name, value in zip(names, args, strict=True):
                put(self, name, value)
            put(self, "span", span)
            return
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes {len(names)} positional arguments")
        for name, value in zip(names, args, strict=False):
            put(self, name, value)
        for name in names[len(args) :]:
            if name in kwargs:
                put(self, name, kwargs.pop(name))
            elif name in self._defaults:
                put(self, name, self._defaults[name])
            else:
                raise TypeError(f"{type(self).__name__}() is missing its {name!r} argument")
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}() got an unexpected argument {next(iter(kwargs))!r}"
            )
        put(self, "span", span)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._values(), self.span))


def _rebuild(cls: type[Node], values: tuple[Any, ...], span: Span) -> Node:
    return cls(*values, span=span)


def _runtime_node(cls: type) -> type:
    """The class again with ``__slots__`` for its annotated fields (``span``
    last) and the defaults the class body gave, for ``Node``'s methods."""
    names = tuple(inspect.get_annotations(cls))
    assert names and names[-1] == "span", f"{cls.__name__}: span must be the last field"
    namespace = {
        key: value
        for key, value in cls.__dict__.items()
        if key not in names and key not in ("__dict__", "__weakref__")
    }
    namespace["__slots__"] = names
    namespace["_fields"] = names[:-1]
    namespace["_defaults"] = {n: cls.__dict__[n] for n in names[:-1] if n in cls.__dict__}
    return type(cls.__name__, cls.__bases__, namespace)


if TYPE_CHECKING:
    from dataclasses import dataclass, field

    _node = dataclass(frozen=True, slots=True)

    def _span_field() -> Any:
        return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

else:
    _node = _runtime_node

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
