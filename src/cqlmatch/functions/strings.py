"""String functions: lower, upper, lowercase, length, shannonEntropy,
concat, text:contains.

``lowercase(field, include=values|fields|both, locale)``
    In place; ``fields``/``both`` add a field with the lower-cased name and
    keep the original (page example); ``*`` lower-cases every field and only
    the lower-cased fields remain (page).

``shannonEntropy(field, as=_shannonentropy)``
    Base-2 entropy of the characters (code points) of the value, printed in
    full (the page's example.com, "rounded" 3.095795); an empty value gives 0.
"""

from __future__ import annotations

import math
from collections import Counter

from ..lang.values import format_bool, format_number
from .registry import event_function, value_function


@value_function("lower")
def lower(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else value.lower()


@value_function("upper")
def upper(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else value.upper()


@event_function("lowercase")
def lowercase(rt, call, event):
    names = call.get("field")
    include = call.get("include")
    names_too = include in ("fields", "both")
    values_too = include in ("values", "both")
    if tuple(names) == ("*",):
        fields = {
            (k.lower() if names_too else k): (v.lower() if values_too else v)
            for k, v in event.fields.items()
        }
    else:
        fields = dict(event.fields)
        for name in names:
            value = event.get(name)
            if value is None:
                continue
            if include == "values":
                fields[name] = value.lower()
            else:
                fields[name.lower()] = value.lower() if values_too else value
    out = event.copy()
    out.fields = fields
    return [out]


@value_function("length")
def length(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else str(len(value))


@value_function("shannonEntropy")
def shannon_entropy(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return None
    n = len(value)
    entropy = -math.fsum(c / n * math.log2(c / n) for c in Counter(value).values())
    return format_number(entropy + 0.0)


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
