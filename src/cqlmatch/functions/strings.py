"""String functions: lower, upper, lowercase, length, text:length,
shannonEntropy, concat, text:contains.

``length(field)`` counts Java characters (UTF-16 code units), as its page
says; ``text:length(field)`` counts grapheme clusters, see ``grapheme_count``.

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
import unicodedata
from collections import Counter
from collections.abc import Iterator

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
    """Java characters, as the page says: UTF-16 code units, so a character
    outside the Basic Multilingual Plane (most emoji) counts 2."""
    value = event.get(call.get("field"))
    if value is None:
        return None
    return str(len(value) + sum(1 for c in value if ord(c) > 0xFFFF))


@value_function("text:length")
def text_length(rt, call, event):
    """Grapheme clusters of the ``string`` expression (a field's value, or
    quoted text): what a reader counts as one character."""
    value = rt.eval(call.get("string"), event)
    return None if value is None else str(grapheme_count(value))


def grapheme_count(text: str) -> int:
    """The extended grapheme clusters of ``text``, see ``grapheme_starts``."""
    return sum(1 for _ in grapheme_starts(text))


def grapheme_starts(text: str) -> Iterator[int]:
    """The index in ``text`` where each extended grapheme cluster (Unicode
    UAX #29) starts, by the rules that decide nearly all real text: CR LF
    is one; a control breaks on both sides; combining and enclosing marks,
    spacing marks, variation selectors, emoji modifiers and zero-width
    joiners extend the cluster before them; a joiner followed by a
    pictograph continues it (emoji ZWJ sequences); regional indicators
    pair into flags; Hangul jamo join into syllables.  Python's
    ``unicodedata`` has no break property, so the classes come from
    general categories and code point ranges."""
    previous = ""
    regional_run = 0
    for index, char in enumerate(text):
        kind = _grapheme_class(char)
        if not index or _breaks(previous, kind, regional_run):
            yield index
        regional_run = regional_run + 1 if kind == "RI" else 0
        if kind == "ZWJ" and previous == "Pict":
            kind = "ZWJ-after-Pict"
        elif kind == "Extend" and previous in ("Pict", "Pict-Extend"):
            kind = "Pict-Extend"
        previous = kind


def _breaks(before: str, after: str, regional_run: int) -> bool:
    if before == "CR" and after == "LF":
        return False
    if before in ("Control", "CR", "LF") or after in ("Control", "CR", "LF"):
        return True
    if before == "L" and after in ("L", "V", "LV", "LVT"):
        return False
    if before in ("LV", "V") and after in ("V", "T"):
        return False
    if before in ("LVT", "T") and after == "T":
        return False
    if after in ("Extend", "ZWJ", "SpacingMark"):
        return False
    if before == "ZWJ-after-Pict" and after == "Pict":
        return False
    if before == "RI" and after == "RI":
        return regional_run % 2 == 0
    return True


def _grapheme_class(char: str) -> str:
    code = ord(char)
    if char == "\r":
        return "CR"
    if char == "\n":
        return "LF"
    if code == 0x200D:
        return "ZWJ"
    if 0x1F1E6 <= code <= 0x1F1FF:
        return "RI"
    if 0x1F3FB <= code <= 0x1F3FF or 0xFE00 <= code <= 0xFE0F or 0xE0020 <= code <= 0xE007F:
        return "Extend"  # skin tones, variation selectors, emoji tag characters
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return "Extend"
    if category == "Mc":
        return "SpacingMark"
    if category in ("Cc", "Zl", "Zp") or (category == "Cf" and code != 0x200C):
        return "Control"
    if code == 0x200C:
        return "Extend"
    if _pictographic(code, category):
        return "Pict"
    return "Other"


def _pictographic(code: int, category: str) -> bool:
    """Extended_Pictographic, closely enough: the emoji blocks and the
    symbols of the older blocks emoji use (arrows, dingbats, ...)."""
    if 0x1F000 <= code <= 0x1FAFF or 0x1FC00 <= code <= 0x1FFFD:
        return True
    return category == "So" and 0x2000 <= code <= 0x3300


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
