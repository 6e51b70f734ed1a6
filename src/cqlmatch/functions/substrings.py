"""text:positionOf (text:contains and text:length live in text.py).

``text:positionOf(string, character, as=_position)``
    The zero-based index of the first occurrence of ``character`` (one or
    more characters) in ``string``, counted in Java characters (UTF-16 code
    units, as LogScale's strings index); no output when it does not occur
    (page: "the event is returned without a _position field").  ``string``
    is an expression: a bare name reads that field.
"""

from __future__ import annotations

from .registry import value_function


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@value_function("text:positionOf")
def _position_of(rt, call, event):
    text = rt.eval(call.get("string"), event)
    needle = rt.eval(call.get("character"), event)
    if text is None or needle is None:
        return None
    index = text.find(needle)
    if index < 0:
        return None
    return str(_utf16_units(text[:index]))
