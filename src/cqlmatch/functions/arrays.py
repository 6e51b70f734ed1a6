"""Array functions: array:length, array:exists, array:filter, array:drop,
concatArray.

LogScale stores an array as indexed fields, ``a[0]``, ``a[1]``, ... (and
``a[0].x`` for arrays of objects); a function names the array ``a[]``.
Decisions (LogScale pages ``functions-array-<name>.html``; UNCONFIRMED where
the page is silent):

Elements
    An array is read from index 0 up to the first missing index ("if there is
    a gap in the array, the function assumes it is the end of the array",
    array:length and array:drop pages).  Element ``i`` exists when the event
    has ``a[i]`` or a field below it (``a[i].x``, ``a[i][0]``).  The name may
    be written without the ``[]`` suffix (UNCONFIRMED; LogScale requires it).

``array:length(array, as=_length)``
    The number of elements; ``0`` for a name that is not an array (page:
    ``array:length("#kind")`` gives 0).

``array:exists(array, condition, var=<array name>)``
    Keeps the event when some scalar element passes ``condition``, which runs
    on the event with the element's value in the field ``var`` (page:
    ``condition={ x=3 OR x=4 | test(x>=b) }``, where ``b`` is another field
    of the event).  ``var`` defaults to the array name without ``[]``.  The
    catalogue types ``condition`` as a value, so the bare filter-call form the
    corpus uses (``condition=in(...)``) is accepted; the ``{...}`` form needs
    a parameter type for "sub-query or filter call" (see report).

``array:filter(array, function, var=<array name>, asArray=<array>)``
    Keeps the scalar elements that pass ``function`` (a ``{...}`` sub-query,
    run as for array:exists) in order and writes them to ``asArray[0..]``;
    the old elements of ``asArray`` (and of ``array`` when it is the same
    array) are removed first.  The page: "The order is maintained in the
    output array."

``concatArray(field, from=0, to, separator, prefix, suffix)``
    The scalar elements ``from`` .. ``to`` (or up to the first gap) joined
    by ``separator`` between ``prefix`` and ``suffix``; no value when there
    is no element.

``array:drop(array)``
    Removes every field of elements ``0 .. n-1``; nothing happens when the
    array does not exist (page).

Sub-queries given to array:exists and array:filter run their filters (field
filters, regex filters, free text, ``AND``/``OR``/``NOT`` and filter
functions such as ``in()`` and ``test()``) and their assignments; calls of
transform functions inside them are evaluated but not written back, and
``case``/``match`` inside them keep the element (warning W481).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..lang.events import Event
from ..lang.glob import glob_match
from ..lang.values import parse_bool
from ..syntax import ast as A
from .registry import event_function, value_function


def array_base(name: str) -> str:
    """``a[]`` -> ``a``; a name without the suffix is taken as the base."""
    return name[:-2] if name.endswith("[]") else name


@lru_cache(maxsize=256)
def _element_name(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base) + r"\[(\d+)\](?=$|[.\[])")


def element_count(fields: dict[str, str], base: str) -> int:
    """How many elements ``base[0]``, ``base[1]``, ... exist without a gap."""
    pattern = _element_name(base)
    present = set()
    for name in fields:
        m = pattern.match(name)
        if m is not None:
            present.add(int(m.group(1)))
    n = 0
    while n in present:
        n += 1
    return n


def scalar_values(fields: dict[str, str], base: str) -> list[str]:
    """The values of ``base[0]``, ``base[1]``, ... up to the first gap."""
    out = []
    while (value := fields.get(f"{base}[{len(out)}]")) is not None:
        out.append(value)
    return out


def _element_fields(fields: dict[str, str], base: str, count: int) -> set[str]:
    pattern = _element_name(base)
    doomed = set()
    for name in fields:
        m = pattern.match(name)
        if m is not None and int(m.group(1)) < count:
            doomed.add(name)
    return doomed


def write_array(event: Event, target: str, values: list[str], terminate: bool = True) -> Event:
    """``event`` with ``target[0..]`` set to ``values``; ``terminate``: the
    target's old elements are removed first (no stale tail)."""
    fields = dict(event.fields)
    if terminate:
        for name in _element_fields(fields, target, element_count(fields, target)):
            del fields[name]
    for index, value in enumerate(values):
        fields[f"{target}[{index}]"] = value
    out = event.copy()
    out.fields = fields
    return out


# --- running a condition ----------------------------------------------------------


def passes(rt, condition, event: Event) -> bool:
    """Whether ``event`` passes ``condition``: a sub-query's pipeline or a
    single filter or expression node."""
    return run_condition(rt, condition, event) is not None


def run_condition(rt, condition, event: Event) -> Event | None:
    """``event`` as ``condition`` (a sub-query's pipeline, or one filter or
    expression node) leaves it, or None when it drops the event."""
    if isinstance(condition, A.Pipeline):
        current: Event | None = event
        for stage in condition.stages:
            current = _stage(rt, stage, current)
            if current is None:
                return None
        return current
    return _stage(rt, condition, event)


def _call_passes(rt, node: A.Call, event: Event) -> bool:
    value = rt.eval(node, event)
    flag = parse_bool(value)
    # A filter call gives true/false; a transform call's value keeps the event.
    return flag if flag is not None else True


def _stage(rt, node, event: Event) -> Event | None:
    if isinstance(node, A.And):
        current: Event | None = event
        for item in node.items:
            current = _stage(rt, item, current)
            if current is None:
                return None
        return current
    if isinstance(node, A.Or):
        for item in node.items:
            kept = _stage(rt, item, event)
            if kept is not None:
                return kept
        return None
    if isinstance(node, A.Not):
        return event if _stage(rt, node.operand, event) is None else None
    if isinstance(node, A.Bool):
        return event if node.value else None
    if isinstance(node, A.FieldFilter):
        return event if rt.truth(node, event) else None
    if isinstance(node, A.FreeText):
        return event if _free_text(rt, node.value, event) else None
    if isinstance(node, A.Call):
        return event if _call_passes(rt, node, event) else None
    if isinstance(node, A.Assign):
        value = rt.eval(node.value, event)
        return event if value is None else event.with_fields({node.field: value})
    if isinstance(node, A.Binary | A.Unary | A.Bare | A.Param):
        return event if rt.truth(node, event) else None
    rt.warn(
        "W481",
        f"a {type(node).__name__} inside an array condition is not run offline; "
        "the element is kept",
    )
    return event


def _free_text(rt, value, event: Event) -> bool:
    texts = list(event.fields.values())
    if isinstance(value, A.Regex):
        compiled = rt.regex(value.pattern, value.flags)
        return any(compiled.search(text) for text in texts)
    needle = getattr(value, "value", None)
    if needle is None:
        needle = getattr(value, "text", "")
    if needle == "*":
        return True
    return any(glob_match(f"*{needle}*", text) for text in texts)


# --- the functions ---------------------------------------------------------------------


@value_function("array:length")
def array_length(rt, call, event):
    return str(element_count(event.fields, array_base(call.get("array"))))


def _var(call, base: str) -> str:
    var = call.get("var")
    return base if var is None or var == "" else str(var)


@event_function("array:exists")
def array_exists(rt, call, event):
    base = array_base(call.get("array"))
    var = _var(call, base)
    condition = call.get("condition")
    for value in scalar_values(event.fields, base):
        if passes(rt, condition, event.with_fields({var: value})):
            return [event]
    return []


@event_function("array:filter")
def array_filter(rt, call, event):
    base = array_base(call.get("array"))
    var = _var(call, base)
    target = array_base(call.get("asArray")) if call.given("asArray") else base
    function = call.get("function")
    values = scalar_values(event.fields, base)
    kept = [v for v in values if passes(rt, function, event.with_fields({var: v}))]
    return [write_array(event, target, kept)]


@event_function("array:drop")
def array_drop(rt, call, event):
    base = array_base(call.get("array"))
    count = element_count(event.fields, base)
    if count == 0:
        return [event]
    doomed = _element_fields(event.fields, base, count)
    out = event.copy()
    out.fields = {k: v for k, v in event.fields.items() if k not in doomed}
    return [out]


@value_function("concatArray")
def concat_array(rt, call, event):
    base = array_base(str(call.get("field")))
    index = int(call.get("from"))
    end = call.get("to")
    values = []
    while end is None or index <= int(end):
        value = event.fields.get(f"{base}[{index}]")
        if value is None:
            break
        values.append(value)
        index += 1
    if not values:
        return None
    separator = str(call.get("separator") or "")
    return f"{call.get('prefix') or ''}{separator.join(values)}{call.get('suffix') or ''}"
