"""Arrays of objects: objectArray:eval and objectArray:exists.

An element ``i`` of ``a[]`` is every field named ``a[i]``, ``a[i].x`` or
``a[i][j]``; elements are read from 0 up to the first gap, as in arrays.py.
The sub-query runs once per element on the event with the element's
fields renamed under ``var`` (default: the array name without ``[]``):
``a[i].x`` is read as ``var.x``, a scalar ``a[i]`` as ``var``.  Decisions
(LogScale pages ``functions-objectarray-eval.html`` and
``functions-objectarray-exists.html``; UNCONFIRMED where silent):

``objectArray:eval(array, asArray, function, var)``
    The value the sub-query writes to the field named ``asArray`` (without
    ``[]``) for element ``i`` becomes an element of ``asArray[]``; elements
    for which it writes nothing, or which the sub-query drops, are left out
    and the output is compacted to ``0, 1, 2, ...`` (as array:eval's page
    says of its output); the old elements of ``asArray`` are removed first.
    Only that field is kept from the sub-query's work.
``objectArray:exists(array, condition, var)``
    Keeps the event when the condition passes for some element.
"""

from __future__ import annotations

import re

from ..lang.events import Event
from .arrays import array_base, element_count, run_condition, write_array
from .registry import event_function


def _elements(event: Event, base: str) -> list[dict[str, str]]:
    """Each element's fields, named by what follows ``base[i]``."""
    count = element_count(event.fields, base)
    out: list[dict[str, str]] = [{} for _ in range(count)]
    pattern = re.compile(re.escape(base) + r"\[(\d+)\]((?:[.\[].*)?)$")
    for name, value in event.fields.items():
        m = pattern.match(name)
        if m is not None and int(m.group(1)) < count:
            out[int(m.group(1))][m.group(2)] = value
    return out


def _var(call, base: str) -> str:
    var = call.get("var")
    return array_base(str(var)) if var else base


def _element_event(event: Event, var: str, element: dict[str, str]) -> Event:
    return event.with_fields({var + rest: value for rest, value in element.items()})


@event_function("objectArray:eval")
def object_array_eval(rt, call, event):
    base = array_base(str(call.get("array")))
    var = _var(call, base)
    target = array_base(str(call.get("asArray")))
    function = call.get("function")
    values = []
    for element in _elements(event, base):
        out = run_condition(rt, function, _element_event(event, var, element))
        if out is not None and (value := out.fields.get(target)) is not None:
            values.append(value)
    return [write_array(event, target, values)]


@event_function("objectArray:exists")
def object_array_exists(rt, call, event):
    base = array_base(str(call.get("array")))
    var = _var(call, base)
    condition = call.get("condition")
    for element in _elements(event, base):
        if run_condition(rt, condition, _element_event(event, var, element)) is not None:
            return [event]
    return []
