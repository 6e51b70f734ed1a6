"""text:positionOf and text:substring (text:contains and text:length live
in strings.py).

``text:positionOf(string, character, as=_position)``
    The zero-based index of the first occurrence of ``character`` (one or
    more characters) in ``string``, counted in Java characters (UTF-16 code
    units, as LogScale's strings index); no output when it does not occur
    (page: "the event is returned without a _position field").  ``string``
    is an expression: a bare name reads that field.

``text:substring(string, begin=0, end, as=_string)``
    The characters of ``string`` from position ``begin`` (counted from 0)
    up to, not including, position ``end`` (default: the end of the
    string).  Positions count extended grapheme clusters, as the page
    says (UAX #29: a flag, an emoji with a skin tone or a letter with its
    combining accent is one position), the same count as ``text:length``;
    the text is never cut inside a cluster.  ``begin`` and ``end`` are
    expressions (a number, a field, arithmetic).  Where the page is
    silent, cqlmatch decides (UNCONFIRMED): a missing ``string``, a
    ``begin`` or ``end`` that is missing, not an integer or negative (the
    page: "must be positive"), or a ``begin`` after ``end``, gives no
    output (the event passes without the field); an ``end`` past the end
    of the string is the end, and a ``begin`` there gives the empty string.
"""

from __future__ import annotations

from ..lang.values import parse_number
from .registry import value_function
from .strings import grapheme_starts


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


@value_function("text:substring")
def _substring(rt, call, event):
    text = rt.eval(call.get("string"), event)
    if text is None:
        return None
    begin = _position(rt, call, "begin", event)
    end = _position(rt, call, "end", event)
    if begin is None or end is None or (end != _END and begin > end):
        return None
    starts = [*grapheme_starts(text), len(text)]
    last = len(starts) - 1  # the number of clusters
    begin, end = min(begin, last), last if end == _END else min(end, last)
    return text[starts[begin] : starts[end]]


_END = -1  # ``end`` not given: the end of the string


def _position(rt, call, name: str, event) -> int | None:
    """A non-negative integer position from the ``name`` expression; its
    default (0 for begin, the end for end) when not given; None when it
    has no value or is not such an integer."""
    if not call.given(name):
        return 0 if name == "begin" else _END
    number = parse_number(rt.eval(call.get(name), event))
    return number if isinstance(number, int) and number >= 0 else None
