"""The canonical printer: syntax tree back to normalised CQL.

Printing and re-parsing gives an equal tree (spans aside); ``cqlmatch fmt``
and the corpus round-trip check rely on that.  Layout: one stage per line
after a leading ``| ``, case and match branches one per line, indented.
Comments are not part of the tree and are not reproduced.
"""

from __future__ import annotations

import re

from . import ast as A

INDENT = "  "
LINE_WIDTH = 100  # a filter stage longer than this puts each AND operand on its own line
_KEYWORDS = frozenset({"and", "or", "not", "like", "case", "match", "true", "false"})
_PLAIN_FIELD = re.compile(r"[\w@#.\-\\\[\]][\w@#.\-\\\[\]:]*")
_PLAIN_ARG_NAME = re.compile(r"[A-Za-z_][\w.@#]*")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}

# Binding strength of expression operators (higher binds tighter).
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "<=>": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
_UNARY_NOT = 3
_UNARY_SIGN = 7


def format_query(node: A.Pipeline) -> str:
    """The canonical text of a whole query."""
    return _pipeline(node, "")


def quote(text: str) -> str:
    """``text`` as a double-quoted CQL string."""
    return '"' + "".join(_STRING_ESCAPES.get(c, c) for c in text) + '"'


def field_name(name: str) -> str:
    """A field name, quoted only when it would not read back as one word."""
    if _PLAIN_FIELD.fullmatch(name) and name.lower() not in _KEYWORDS:
        return name
    return quote(name)


def _pipeline(node: A.Pipeline, indent: str) -> str:
    if not node.stages:
        return ""
    stages = [_stage(stage, indent) for stage in node.stages]
    return stages[0] + "".join(f"\n{indent}| {stage}" for stage in stages[1:])


def _inline_pipeline(node: A.Pipeline) -> str:
    return " | ".join(_stage(stage, "") for stage in node.stages).replace("\n", " ")


def _stage(node: A.Node, indent: str) -> str:
    if isinstance(node, A.Assign):
        return f"{field_name(node.field)} := {_expr(node.value, 0)}"
    if isinstance(node, A.FieldCall):
        return f"{field_name(node.field)} =~ {_call(node.call)}"
    if isinstance(node, A.Case):
        inner = indent + INDENT
        branches = [_pipeline(b, inner + INDENT) for b in node.branches]
        body = " ;\n".join(inner + b for b in branches)
        return "case {\n" + body + ("\n" if body else "") + indent + "}"
    if isinstance(node, A.MatchStmt):
        inner = indent + INDENT
        arms = [
            f"{inner}{_match_pattern(arm.pattern)} => {_pipeline(arm.body, inner + INDENT)}"
            for arm in node.arms
        ]
        return f"{field_name(node.field)} match {{\n" + " ;\n".join(arms) + f"\n{indent}}}"
    if isinstance(node, A.Array):
        return _expr(node, 0)
    if isinstance(node, A.And):
        items = [_filter(item, 2) for item in node.items]
        if sum(map(len, items)) > LINE_WIDTH:
            return f"\n{indent}  ".join(items)
    return _filter(node, 0)


def _match_pattern(node: A.Node) -> str:
    if isinstance(node, A.Bare):
        return node.text
    if isinstance(node, A.Call):
        return _call(node)
    return _expr(node, 0)


# Filter binding levels: AND (1) < OR (2) < NOT (3) < primary.
def _filter(node: A.Node, level: int) -> str:
    if isinstance(node, A.And):
        text = " ".join(_filter(item, 2) for item in node.items)
        return f"({text})" if level > 1 else text
    if isinstance(node, A.Or):
        text = " OR ".join(_filter(item, 3) for item in node.items)
        # Parenthesised inside AND although OR binds tighter: readers expect it.
        return f"({text})" if level > 1 else text
    if isinstance(node, A.Not):
        return f"NOT {_filter(node.operand, 3)}"
    if isinstance(node, A.FieldFilter):
        return _field_filter(node)
    if isinstance(node, A.FreeText):
        return _filter_value(node.value)
    if isinstance(node, A.Bool):
        return "true" if node.value else "false"
    if isinstance(node, A.Call):
        return _call(node)
    if isinstance(node, A.SavedCall):
        return _saved(node)
    raise TypeError(f"not a filter: {type(node).__name__}")


def _field_filter(node: A.FieldFilter) -> str:
    name = field_name(node.field)
    if node.op == "like":
        return f"{name} like {_filter_value(node.value)}"
    if node.op == "<=>":
        return f"{name} <=> {field_name(node.value.text)}"  # type: ignore[union-attr]
    return f"{name}{node.op}{_filter_value(node.value)}"


def _filter_value(node: A.Node) -> str:
    if isinstance(node, A.Bare | A.Number):
        return node.text
    if isinstance(node, A.Str):
        return quote(node.value)
    if isinstance(node, A.Regex):
        return f"/{node.pattern}/{node.flags}"
    if isinstance(node, A.Param):
        return _param(node)
    raise TypeError(f"not a filter value: {type(node).__name__}")


def _param(node: A.Param) -> str:
    if node.default is None:
        return f"?{node.name}"
    return f"?{{{node.name}={quote(node.default)}}}"


def _call(node: A.Call) -> str:
    return f"{node.name}({', '.join(_arg(a) for a in node.args)})"


def _saved(node: A.SavedCall) -> str:
    # a package path (pkg/name) is quoted, as LogScale writes it
    name = node.name if re.fullmatch(r"[\w.:\-]+", node.name) else quote(node.name)
    return f"${name}({', '.join(_arg(a) for a in node.args)})"


def _arg(node: A.Node) -> str:
    if isinstance(node, A.QueryArg):
        options = "".join(f" {o.name}: {_expr(o.value, 0)}" for o in node.options)
        return f"{node.name}: {{ {_inline_pipeline(node.query)} }}{options}"
    assert isinstance(node, A.Arg)
    value = _expr(node.value, 0)
    if node.name is None:
        return value
    name = node.name if _PLAIN_ARG_NAME.fullmatch(node.name) else quote(node.name)
    return f"{name}={value}"


def _expr(node: A.Node, level: int) -> str:
    if isinstance(node, A.Str):
        return quote(node.value)
    if isinstance(node, A.Bare | A.Number):
        return node.text
    if isinstance(node, A.Bool):
        return "true" if node.value else "false"
    if isinstance(node, A.Regex):
        return f"/{node.pattern}/{node.flags}"
    if isinstance(node, A.Param):
        return _param(node)
    if isinstance(node, A.Array):
        return "[" + ", ".join(_array_item(item) for item in node.items) + "]"
    if isinstance(node, A.Call):
        return _call(node)
    if isinstance(node, A.SavedCall):
        return _saved(node)
    if isinstance(node, A.SubQuery):
        return "{ " + _inline_pipeline(node.query) + " }"
    if isinstance(node, A.Unary):
        if node.op == "!":
            text = f"!{_expr(node.operand, _UNARY_NOT)}"
            return f"({text})" if level > _UNARY_NOT else text
        operand = _expr(node.operand, _UNARY_SIGN)
        # Keep "- -1" apart so it does not read back as one token.
        sep = " " if operand.startswith(("-", "+")) else ""
        return f"{node.op}{sep}{operand}"
    if isinstance(node, A.Binary):
        prec = _PRECEDENCE[node.op]
        # Comparisons do not chain; arithmetic and logic associate left.
        right_level = prec + 1
        left_level = prec + 1 if prec == 4 else prec
        text = f"{_expr(node.left, left_level)} {node.op} {_expr(node.right, right_level)}"
        return f"({text})" if level > prec else text
    raise TypeError(f"not an expression: {type(node).__name__}")


def _array_item(node: A.Node) -> str:
    if isinstance(node, A.Assign):
        return f"{field_name(node.field)} := {_expr(node.value, 0)}"
    return _expr(node, 0)
