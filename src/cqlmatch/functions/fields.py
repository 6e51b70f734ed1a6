"""Field functions: default, drop, rename, select, eval, if, coalesce,
getField, setField, eventSize, eventFieldCount, copyEvent.

``getField(source, as=_getField)``, ``setField(target, value)``
    ``source`` and ``target`` are expressions giving a field name.
``eventSize(as=_eventSize)``
    The UTF-8 bytes of the values, @rawstring included, tags not.
``eventFieldCount(as=_eventFieldCount)``
    The fields other than tags.
``copyEvent(type)``
    The event, then a copy with ``#type`` (the current page allows it only
    in parsers).
"""

from __future__ import annotations

from ..lang.events import RAWSTRING, Event
from ..lang.glob import glob_match
from ..syntax.ast import Array, Assign
from .registry import event_function, value_function


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
    """Each assignment in turn, left to right, so a later one reads the
    fields an earlier one set; one without a value leaves its field as it was."""
    for assignment in call.get("expression"):
        assert isinstance(assignment, Assign)
        value = rt.eval(assignment.value, event)
        if value is not None:
            event = event.with_fields({assignment.field: value})
    return [event]


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


@value_function("getField")
def get_field(rt, call, event):
    name = rt.eval(call.get("source"), event)
    return None if name is None else event.get(name)


@event_function("setField")
def set_field(rt, call, event):
    name = rt.eval(call.get("target"), event)
    value = rt.eval(call.get("value"), event)
    if name is None or value is None:
        return [event]
    return [event.with_fields({name: value})]


def _stored(event: Event) -> dict[str, str]:
    fields = {k: v for k, v in event.fields.items() if not k.startswith("#")}
    if RAWSTRING not in fields and event.raw is not None:
        fields[RAWSTRING] = event.raw
    return fields


@value_function("eventSize")
def event_size(rt, call, event):
    return str(sum(len(v.encode("utf-8", "surrogatepass")) for v in _stored(event).values()))


@value_function("eventFieldCount")
def event_field_count(rt, call, event):
    return str(len(_stored(event)))


@event_function("copyEvent")
def copy_event(rt, call, event):
    return [event, event.with_fields({"#type": str(call.get("type"))})]
