"""More array functions: array:regex, array:dedup, array:sort,
array:reduceRow (per event) and array:reduceAll, array:reduceColumn,
array:union, array:intersection (over all events).

Arrays are read as in arrays.py: ``a[0]``, ``a[1]``, ... up to the first
gap.  Decisions (LogScale pages ``functions-array-<name>.html``;
UNCONFIRMED where the page is silent):

``array:eval(array, function, asArray=array, var=array)``
    Runs the ``function`` sub-query once per element, the element's value
    in field ``var``; the value it leaves in the field named ``asArray``
    (without ``[]``) becomes the next element of ``asArray[]``, compacted
    (page: "The output array is always compacted"); elements it drops or
    gives no value are left out; the old elements are removed first.
``array:append(array, values)``
    Adds the values (a list of expressions, each evaluated on the event)
    after the last element, creating the array when it does not exist (page);
    a value that evaluates to nothing is skipped.
``array:regex(array, regex, flags)``
    Keeps the event when some element matches (an unanchored search); the
    flags ``i``, ``m``, ``d`` (and ``F``, ignored) are those of regex().
``array:dedup(array, asArray=array)``
    The elements without repeats, in the order of first occurrence (page),
    written to ``asArray[0..]`` after its old elements are removed.
``array:sort(array, asArray=array, order=asc, type=string)``
    As strings: case-insensitive, ties in input order; as numbers: the
    numbers first in numeric order, then the other elements as strings,
    "after the numbers in the output array (regardless of sort order)".
    The output is written over ``asArray[0..n-1]`` without removing
    elements past ``n`` ("the output array is not explicitly terminated").
``array:reduceRow(array, function, var, as=_reduceRow)``
    Per event: the aggregates of ``function`` over the elements (each given
    in field ``var``); a single output field goes to ``as``, several keep
    their own names (UNCONFIRMED).
``array:reduceAll(array, function, var)``
    Over every element of every event, as ``split(array) | function``: each
    element is its event with ``var`` set to the element's value; the rows
    are those ``function`` gives (page: three events of a[] and
    ``avg(x)`` give one row ``_avg=3``).
``array:reduceColumn(array, function, var, as=_reduceColumn)``
    One row whose ``as[i]`` is the aggregate of element ``i`` over all
    events; several output fields go to ``as[i].<name>`` (UNCONFIRMED).
``array:union(array, as=_union)``, ``array:intersection(array, as=_intersection)``
    One row with the distinct values found in any (union) or in every
    (intersection) event holding the array, in order of first appearance
    (the page leaves the order undefined); events without the array, or
    with an empty one, are ignored; no row when no array was found.
"""

from __future__ import annotations

from ..lang.events import Event
from ..lang.values import parse_number
from ..syntax import ast as A
from .arrays import array_base, element_count, run_condition, scalar_values, write_array
from .registry import event_function, stage_function
from .stages import apply_function


def _target(call, base: str) -> str:
    return array_base(str(call.get("asArray"))) if call.given("asArray") else base


@event_function("array:eval")
def array_eval(rt, call, event):
    base = array_base(str(call.get("array")))
    target = _target(call, base)
    var = array_base(str(call.get("var"))) if call.get("var") else base
    values = []
    for value in scalar_values(event.fields, base):
        out = run_condition(rt, call.get("function"), event.with_fields({var: value}))
        if out is not None and (result := out.fields.get(target)) is not None:
            values.append(result)
    return [write_array(event, target, values)]


@event_function("array:append")
def array_append(rt, call, event):
    base = array_base(str(call.get("array")))
    node = call.get("values")
    items = node.items if isinstance(node, A.Array) else (node,)
    added = [v for item in items if (v := rt.eval(item, event)) is not None]
    if not added:
        return [event]
    start = element_count(event.fields, base)
    return [event.with_fields({f"{base}[{start + i}]": v for i, v in enumerate(added)})]


@event_function("array:regex")
def array_regex(rt, call, event):
    pattern, inline = call.get("regex")
    flags = "".join(f for f in f"{inline}{call.get('flags') or ''}" if f in "imd")
    compiled = rt.regex(pattern, flags)
    for value in scalar_values(event.fields, array_base(call.get("array"))):
        if compiled.search(value):
            return [event]
    return []


@event_function("array:dedup")
def array_dedup(rt, call, event):
    base = array_base(call.get("array"))
    values = scalar_values(event.fields, base)
    if not values and not call.given("asArray"):
        return [event]
    return [write_array(event, _target(call, base), list(dict.fromkeys(values)))]


@event_function("array:sort")
def array_sort(rt, call, event):
    base = array_base(call.get("array"))
    values = scalar_values(event.fields, base)
    if not values:
        return [event]
    descending = call.get("order") in ("desc", "descending")
    if call.get("type") == "number":
        numbers = [(n, v) for v in values if (n := parse_number(v)) is not None]
        texts = [v for v in values if parse_number(v) is None]
        numbers.sort(key=lambda item: item[0], reverse=descending)
        ordered = [v for _, v in numbers] + sorted(texts, key=str.lower, reverse=descending)
    else:
        ordered = sorted(values, key=str.lower, reverse=descending)
    return [write_array(event, _target(call, base), ordered, terminate=False)]


def _element_events(event: Event, base: str, var: str) -> list[Event]:
    return [event.with_fields({var: v}) for v in scalar_values(event.fields, base)]


@event_function("array:reduceRow")
def array_reduce_row(rt, call, event):
    base = array_base(call.get("array"))
    elements = _element_events(event, base, str(call.get("var")))
    rows = apply_function(rt, call, call.get("function"), elements) if elements else []
    if not rows:
        return [event]
    fields = rows[0]
    if len(fields) == 1:
        fields = {str(call.get("as")): next(iter(fields.values()))}
    return [event.with_fields(fields)]


@stage_function("array:reduceAll")
def array_reduce_all(rt, call, events):
    base = array_base(call.get("array"))
    var = str(call.get("var"))
    elements = [e for event in events for e in _element_events(event, base, var)]
    return [Event(row) for row in apply_function(rt, call, call.get("function"), elements)]


@stage_function("array:reduceColumn")
def array_reduce_column(rt, call, events):
    base = array_base(call.get("array"))
    var = str(call.get("var"))
    target = array_base(str(call.get("as")))
    columns: list[list[Event]] = []
    for event in events:
        for index, value in enumerate(scalar_values(event.fields, base)):
            if index == len(columns):
                columns.append([])
            columns[index].append(Event({var: value}))
    out: dict[str, str] = {}
    for index, members in enumerate(columns):
        rows = apply_function(rt, call, call.get("function"), members)
        if not rows:
            continue
        if len(rows[0]) == 1:
            out[f"{target}[{index}]"] = next(iter(rows[0].values()))
        else:
            out.update({f"{target}[{index}].{k}": v for k, v in rows[0].items()})
    return [Event(out)] if out else []


def _sets(call, events) -> list[list[str]]:
    base = array_base(call.get("array"))
    return [values for e in events if (values := scalar_values(e.fields, base))]


@stage_function("array:union")
def array_union(rt, call, events):
    seen: dict[str, None] = {}
    for values in _sets(call, events):
        seen.update(dict.fromkeys(values))
    return _set_row(call, list(seen))


@stage_function("array:intersection")
def array_intersection(rt, call, events):
    arrays = _sets(call, events)
    if not arrays:
        return []
    common = set(arrays[0]).intersection(*arrays[1:])
    return _set_row(call, [v for v in dict.fromkeys(arrays[0]) if v in common])


def _set_row(call, values: list[str]) -> list[Event]:
    if not values:
        return []
    target = array_base(str(call.get("as")))
    return [Event({f"{target}[{i}]": v for i, v in enumerate(values)})]
