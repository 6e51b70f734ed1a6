"""Field functions: default, drop, rename, select, eval, if, coalesce."""

from __future__ import annotations

from ..lang.glob import glob_match
from ..syntax.ast import Array, Assign
from . import event_function, value_function


@event_function("default")
def default(rt, call, event):
    value = call.get("value")
    replace_empty = call.get("replaceEmpty")
    updates = {}
    for name in call.get("field"):
        current = event.get(name)
        if current is None or (replace_empty and current == ""):
            updates[name] = value
    return [event.with_fields(updates) if updates else event]


@event_function("drop")
def drop(rt, call, event):
    names = call.get("fields")
    if call.get("mode") == "glob":
        kept = {k: v for k, v in event.fields.items() if not any(glob_match(n, k) for n in names)}
    else:
        kept = {k: v for k, v in event.fields.items() if k not in names}
    out = event.copy()
    out.fields = kept
    return [out]


@event_function("rename")
def rename(rt, call, event):
    pairs = _rename_pairs(call)
    fields = dict(event.fields)
    for old, new in pairs:
        value = event.get(old)
        if value is None:
            continue
        fields.pop(old, None)
        fields[new] = value
    out = event.copy()
    out.fields = fields
    return [out]


def _rename_pairs(call) -> list[tuple[str, str]]:
    node = call.get("field")
    if isinstance(node, Array) and node.items and isinstance(node.items[0], Array):
        return [(_text(pair.items[0]), _text(pair.items[1])) for pair in node.items]
    if isinstance(node, Array) and len(node.items) == 1:
        node = node.items[0]  # rename([old], as=new)
    return [(_text(node), call.get("as"))]


def _text(node) -> str:
    return getattr(node, "text", None) or getattr(node, "value", "")


@event_function("select")
def select(rt, call, event):
    names = call.get("fields")
    out = event.copy()
    out.fields = {n: v for n in names if (v := event.get(n)) is not None}
    return [out]


@event_function("eval")
def eval_(rt, call, event):
    assignment = call.get("expression")
    assert isinstance(assignment, Assign)
    value = rt.eval(assignment.value, event)
    return [event if value is None else event.with_fields({assignment.field: value})]


@value_function("if")
def if_(rt, call, event):
    branch = "then" if rt.truth(call.get("condition"), event) else "else"
    return rt.eval(call.get(branch), event)


@value_function("coalesce")
def coalesce(rt, call, event):
    node = call.get("expressions")
    items = node.items if isinstance(node, Array) else (node,)
    ignore_empty = call.get("ignoreEmpty")
    for item in items:
        value = rt.eval(item, event)
        if value is not None and not (ignore_empty and value == ""):
            return value
    return None
