"""The canonical printer: syntax tree back to normalised CQL.

Printing and re-parsing gives an equal tree (spans aside); ``cqlmatch fmt``
and the corpus round-trip check rely on that.  Layout: one stage per line
after a leading ``| ``, case and match branches one per line, indented.

Comments are not part of the tree; given the side table
(``syntax.comments``, from ``parse_with_comments``) they are printed
beside the stage they were written beside: a comment before a stage (or
inside it, where the layout has no place for it) on its own lines before
the stage, a comment after a stage on the same line after it on that line,
and comments after the last stage of a ``case`` branch or ``match`` arm
before the next one.  Printing is then idempotent too: the printed comments
stand where the next printing puts them again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import Span
from . import ast as A
from .comments import Comment, Comments

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


def format_query(
    node: A.Pipeline, comments: Iterable[Comment] = (), text: str | None = None
) -> str:
    """The canonical text of a whole query; with its ``comments`` and the
    ``text`` they were read from (``parse_with_comments``), those too."""
    items = tuple(comments)
    if not items:
        return _pipeline(node, "")
    if text is None:
        raise ValueError("comments need the text they were read from")
    table = Comments(text, items)
    out = _pipeline(node, "", table, 0, len(text) + 1, True)
    rest = "\n".join(c.text for c in table.rest())  # (none: the top level takes every one)
    return f"{out}\n{rest}" if rest and out else out or rest


def quote(text: str) -> str:
    """``text`` as a double-quoted CQL string."""
    return '"' + "".join(_STRING_ESCAPES.get(c, c) for c in text) + '"'


def field_name(name: str) -> str:
    """A field name, quoted only when it would not read back as one word
    (or, ending in ``:``, would run into a following ``=`` as ``:=``)."""
    if _PLAIN_FIELD.fullmatch(name) and name.lower() not in _KEYWORDS and not name.endswith(":"):
        return name
    return quote(name)


def _pipeline(
    node: A.Pipeline,
    indent: str,
    cm: Comments | None = None,
    lo: int = 0,
    hi: int = 0,
    tail: bool = False,
    first: str = "",
) -> str:
    """The stages, one per line after the first (which the caller has
    indented, by ``first``).  With comments ``cm``: those in ``[lo, hi)``
    not taken by a nested pipeline; ``tail``: also those after the last stage."""
    if cm is None:
        if not node.stages:
            return ""
        stages = [_stage(stage, indent) for stage in node.stages]
        return stages[0] + "".join(f"\n{indent}| {stage}" for stage in stages[1:])
    out = ""
    stages = node.stages
    for i, stage in enumerate(stages):
        text = _stage(stage, indent, cm)
        leading = cm.take(lo, stage.span.end)
        last = i == len(stages) - 1
        trailing: list[Comment] = []
        if not last or tail:
            trailing = cm.take_same_line(stage.span.end, hi if last else stages[i + 1].span.start)
        lead = "".join(f"{c.text}\n{indent if i else first}" for c in leading)
        if i:
            out += f"\n{indent}{lead}| {text}"
        else:
            out += f"{lead}{text}"
        if trailing:
            out += " " + " ".join(c.text for c in trailing)
        lo = stage.span.end
    if tail:
        after = cm.take(lo, hi)
        if after:
            out += ("\n" + indent if stages else "") + f"\n{indent}".join(c.text for c in after)
    return out


def _inline_pipeline(node: A.Pipeline) -> str:
    return " | ".join(_stage(stage, "") for stage in node.stages).replace("\n", " ")


def _stage(node: A.Node, indent: str, cm: Comments | None = None) -> str:
    if isinstance(node, A.Assign):
        return f"{field_name(node.field)} := {_expr(node.value, 0)}"
    if isinstance(node, A.FieldCall):
        return f"{field_name(node.field)} =~ {_call(node.call)}"
    if isinstance(node, A.Case):
        inner = indent + INDENT
        starts = [b.span.start for b in node.branches]
        bodies = _bodies(node.branches, starts, node.span, inner, inner, cm, arms=False)
        body = " ;\n".join(inner + b for b in bodies)
        return "case {\n" + body + ("\n" if body else "") + indent + "}"
    if isinstance(node, A.MatchStmt):
        inner = indent + INDENT
        pipelines = tuple(arm.body for arm in node.arms)
        starts = [arm.span.start for arm in node.arms]
        bodies = _bodies(pipelines, starts, node.span, inner, inner + INDENT, cm, arms=True)
        arms = []
        for arm, (lead, body) in zip(node.arms, bodies, strict=True):
            arms.append(f"{inner}{lead}{_match_pattern(arm.pattern)} => {body}")
        return f"{field_name(node.field)} match {{\n" + " ;\n".join(arms) + f"\n{indent}}}"
    if isinstance(node, A.Array):
        return _expr(node, 0)
    if isinstance(node, A.And):
        items = [_filter(item, 2) for item in node.items]
        if sum(map(len, items)) > LINE_WIDTH:
            return f"\n{indent}  ".join(items)
    return _filter(node, 0)


def _bodies(
    pipelines: tuple[A.Pipeline, ...],
    starts: list[int],
    span: Span,
    inner: str,
    first: str,
    cm: Comments | None,
    arms: bool,
) -> list:
    """The branches of a case (each a string) or the bodies of a match's
    arms (each ``(comment lines, body)``; the arms start at ``starts``).
    A branch takes the comments from the end of the one before, those
    before its start on lines of their own at ``inner``; those after its
    last stage are left to the next (a ``//`` there would swallow the
    ``;``), except for the last branch, which takes every one up to the
    closing brace.  ``first``: the indent of a comment before the first
    stage (a branch starts on a line of its own, an arm's body after ``=>``)."""
    indent = inner + INDENT
    if cm is None:
        bodies = [_pipeline(p, indent) for p in pipelines]
        return [("", b) for b in bodies] if arms else bodies
    out: list = []
    lo = span.start
    for k, pipeline in enumerate(pipelines):
        last = k == len(pipelines) - 1
        lead = "".join(f"{c.text}\n{inner}" for c in cm.take(lo, starts[k]))
        body = _pipeline(pipeline, indent, cm, starts[k], span.end, last, first)
        out.append((lead, body) if arms else lead + body)
        lo = pipeline.stages[-1].span.end if pipeline.stages else starts[k]
    return out


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
        text = _filter_value(node.value)
        if isinstance(node.value, A.Bare) and text.lower() == "like":
            # Free text ``like`` printed bare after a word would make that word
            # a field (``# like case``): its parentheses keep it free text.
            return f"({text})"
        return text
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
