"""String functions: lower, upper, length, concat, text:contains."""

from __future__ import annotations

from ..lang.values import format_bool
from . import event_function, value_function


@value_function("lower")
def lower(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else value.lower()


@value_function("upper")
def upper(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else value.upper()


@value_function("length")
def length(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else str(len(value))


@value_function("concat")
def concat(rt, call, event):
    values = [event.get(f) for f in call.get("field")]
    return "".join(v for v in values if v is not None)


@value_function("text:contains")
def text_contains(rt, call, event):
    haystack = rt.eval(call.get("string"), event)
    needle = rt.eval(call.get("substring"), event)
    if haystack is None or needle is None:
        return format_bool(False)
    return format_bool(needle in haystack)


@event_function("text:contains")
def text_contains_filter(rt, call, event):
    """As a filter (``text:contains(...)`` alone or negated) it keeps the
    event when the text contains the substring."""
    return [event] if text_contains(rt, call, event) == "true" else []
