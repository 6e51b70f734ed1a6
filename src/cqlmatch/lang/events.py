"""Events as both engines see them: a flat mapping of field name to string.

Rules (docs/semantics.md has the full statement and reasons):
- JSON strings are kept as they are; numbers keep the text they were written
  with (``1.50`` stays ``1.50``); ``true``/``false`` become those words;
  ``null`` becomes the string ``null`` (LogScale's JSON parsing keeps nulls).
- Nested objects flatten to dotted names (``a.b``), arrays to indexed names
  (``a[0]``, ``Attacks[0].Tactic``); an empty object or array adds nothing.
- ``#name`` reads ``#name``, or ``name`` when the event has no ``#name``, so
  a rule written for LogScale (``#event_simpleName``) runs on raw FDR events
  (``event_simpleName``).  ``@timestamp`` falls back to Falcon's
  ``timestamp`` (epoch milliseconds) the same way, and ``@rawstring`` to the
  event's original JSON line.
- What JSON cannot carry is not an event (``ValueError``; a reader reports
  the line as malformed): a string or key holding a lone surrogate (the
  escape ``"\\ud800"`` without its other half), which no UTF-8 output can
  hold (a ``str`` given in a mapping is the caller's and kept as it is), and ``NaN``/``Infinity``/
  ``-Infinity`` (Python's ``json`` reads them; RFC 8259 has no such numbers),
  also as Python floats in a mapping.
- An event holds at most ``limits.MAX_EVENT_VALUES`` values (objects, arrays
  and scalars at any depth; keys do not count); past it ``ValueError``
  ("more than N values in one event").  A line is counted before it is
  decoded (``check_values``), a mapping while it is flattened, so the
  bound holds before anything large is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..limits import MAX_EVENT_VALUES
from .lazyre import lazy
from .values import format_number

Fields = dict[str, str]

RAWSTRING = "@rawstring"
LONE_SURROGATE = "lone surrogate escape in a string"
NOT_A_NUMBER = "not a JSON number"
TIMESTAMP = "@timestamp"
FALCON_TIMESTAMP = "timestamp"


_INF = float("inf")
_UNBOUNDED = 1 << 62

#: A JSON string (keys included), for counting the values around it.
_STRING_BYTES = lazy(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_STRING_TEXT = lazy(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BLANKS_BYTES = b" \t\r\n"
_BLANKS_TEXT = str.maketrans("", "", " \t\r\n")


def too_many_values(limit: int = MAX_EVENT_VALUES) -> str:
    """The reason of an event with more than ``limit`` values."""
    return f"more than {limit:,} values in one event"


def count_values(text: str | bytes) -> int:
    """The values of the JSON ``text`` below its top level (objects, arrays
    and scalars at any depth; keys do not count), counted without decoding
    it: exact for valid JSON.  Each value after the first of an object or
    array follows a comma, and each non-empty object or array has a first."""
    if isinstance(text, bytes):
        bare = _STRING_BYTES.sub(b"", text).translate(None, _BLANKS_BYTES)
        commas, opens, empties = b",", (b"[", b"{"), (b"[]", b"{}")
    else:
        bare = _STRING_TEXT.sub("", text).translate(_BLANKS_TEXT)
        commas, opens, empties = ",", ("[", "{"), ("[]", "{}")  # type: ignore[assignment]
    count = bare.count(commas)  # type: ignore[arg-type]
    count += sum(bare.count(o) for o in opens) - sum(bare.count(e) for e in empties)  # type: ignore[arg-type]
    return count


def check_values(line: str | bytes, limit: int = MAX_EVENT_VALUES) -> None:
    """``ValueError`` when the JSON ``line`` holds more than ``limit`` values
    (``count_values``).  Each value takes a byte of its own, so a line no
    longer than ``limit`` is answered at once; else a count of the commas
    and brackets (strings included: an upper bound) usually answers, and
    only past that are strings set aside for the exact count."""
    if len(line) <= limit:
        return
    if isinstance(line, bytes):
        bound = line.count(b",") + line.count(b"[") + line.count(b"{")
    else:
        bound = line.count(",") + line.count("[") + line.count("{")
    if bound > limit and count_values(line) > limit:
        raise ValueError(too_many_values(limit))


class _JsonNumber(str):
    """A JSON number kept as the text it was written with."""

    __slots__ = ()


def check_text(text: str) -> str:
    """``text``, or ``ValueError`` when it holds a lone surrogate (text no
    UTF-8 output can hold).  ASCII text is answered without a scan."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{LONE_SURROGATE}: {text!r}") from None
    return text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name}: {NOT_A_NUMBER} (RFC 8259)")


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, float):
        if value != value or value in (_INF, -_INF):
            raise ValueError(f"{value!r}: {NOT_A_NUMBER} (RFC 8259)")
        return json.dumps(value)
    raise TypeError(f"not a JSON scalar: {type(value).__name__}")


def flatten(
    obj: Mapping[str, Any],
    prefix: str = "",
    out: Fields | None = None,
    limit: int = MAX_EVENT_VALUES,
) -> Fields:
    """Flatten a decoded JSON object into LogScale field names; ``ValueError``
    when it holds more than ``limit`` values (``count_values``), raised
    before the object or array that crosses it is flattened."""
    if out is None and not prefix and len(obj) <= limit:
        flat = _flat_object(obj)
        if flat is not None:
            return flat
    if out is None:
        out = {}
    left = [limit - len(obj)]
    if left[0] < 0:
        raise ValueError(too_many_values(limit))
    for key, value in obj.items():
        _flatten_value(f"{prefix}{key}", value, out, left, limit)
    return out


_STR = frozenset({str})
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _flat_object(obj: Mapping[str, Any]) -> Fields | None:
    """``flatten(obj)`` for an object of scalars under string keys (the
    usual event: a ``ProcessRollup2`` line holds some 40 strings and at
    most an integer), with its types checked in C: its strings are their
    own values.  None for any other object (nested, or keys that are not
    strings), which the general walk flattens."""
    kinds = set(map(type, obj.values()))
    if not (kinds <= _SCALARS and _STR.issuperset(map(type, obj))):
        return None
    if kinds <= _STR:
        return dict(obj)
    return {key: value if type(value) is str else _scalar(value) for key, value in obj.items()}


def _flatten_value(name: str, value: Any, out: Fields, left: list[int], limit: int) -> None:
    if isinstance(value, Mapping):
        left[0] -= len(value)
        if left[0] < 0:
            raise ValueError(too_many_values(limit))
        for key, item in value.items():
            _flatten_value(f"{name}.{key}", item, out, left, limit)
    elif isinstance(value, list | tuple):
        left[0] -= len(value)
        if left[0] < 0:
            raise ValueError(too_many_values(limit))
        for index, item in enumerate(value):
            _flatten_value(f"{name}[{index}]", item, out, left, limit)
    else:
        out[name] = _scalar(value)


def flat_value(obj: Mapping[str, Any], name: str) -> str | None:
    """``flatten(obj).get(name)`` without flattening the values that cannot
    lead to ``name`` (nor counting them against ``MAX_EVENT_VALUES``): the
    VM's answer for a dotted name that several nestings of ``obj`` spell
    (``{"a.b": 1, "a": {"b": 2}}``: the one ``flatten`` writes last)."""
    out: Fields = {}
    for key, value in obj.items():
        text = f"{key}"
        if name == text or (name.startswith(text) and name[len(text)] in ".["):
            _flatten_value(text, value, out, [_UNBOUNDED], _UNBOUNDED)
    return out.get(name)


def parse_line(line: str) -> Fields:
    """Decode one NDJSON line into fields; raises ``ValueError`` when the line
    is not a JSON object.  ``@rawstring`` is not added here: readers keep the
    line and ``field_value`` falls back to it."""
    check_values(line)
    obj = json.loads(
        line, parse_int=_JsonNumber, parse_float=_JsonNumber, parse_constant=_refuse_constant
    )
    if not isinstance(obj, dict):
        raise ValueError(f"not a JSON object but {type(obj).__name__}")
    fields = flatten(obj)
    if "\\u" in line:  # only an escape can make a lone surrogate here
        for name, value in fields.items():
            check_text(name)
            check_text(value)
    return fields


def field_value(
    fields: Mapping[str, str],
    name: str,
    raw: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str | None:
    """The value of ``name`` on an event, with the tag, timestamp and
    rawstring fallbacks (``#name``: the field, ``name``, then the input's
    tag from ``tags``, ``lang.tags``); None when the event has no such field."""
    value = fields.get(name)
    if value is not None:
        return value
    if name.startswith("#"):
        value = fields.get(name[1:])
        if value is None and tags is not None:
            return tags.get(name[1:])
        return value
    if name == TIMESTAMP:
        return fields.get(FALCON_TIMESTAMP)
    if name == RAWSTRING:
        return raw
    return None


def rawstring_of(fields: Mapping[str, str]) -> str:
    """The JSON line an event given as a mapping stands for (compact, key order kept)."""
    return json.dumps(dict(fields), ensure_ascii=False, separators=(",", ":"))


def from_dicts(items: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Fields, str]]:
    """Already-decoded events (for embedding): each flattened, with its rawstring."""
    for item in items:
        fields = flatten(item)
        raw = fields.get(RAWSTRING)
        yield fields, raw if raw is not None else rawstring_of(item)


class Event:
    """One event flowing through a pipeline.

    ``fields`` is the current field set; ``raw`` the original line (the
    ``@rawstring`` fallback); ``origin`` the fields at pipeline start, which
    free-text search reads (LogScale searches only the fields an event had
    before any stage ran); ``tags`` the tags of its input (``lang.tags``),
    the last fallback of ``#name``, shared by all events of a run.
    """

    __slots__ = ("fields", "origin", "raw", "tags")

    def __init__(
        self,
        fields: Fields,
        raw: str | None = None,
        origin: Fields | None = None,
        tags: Mapping[str, str] | None = None,
    ):
        self.fields = fields
        self.raw = raw
        self.origin = fields if origin is None else origin
        self.tags = tags

    def get(self, name: str) -> str | None:
        return field_value(self.fields, name, self.raw, self.tags)

    def copy(self) -> Event:
        """A copy whose fields can change without touching this event."""
        return Event(dict(self.fields), self.raw, self.origin, self.tags)

    def with_fields(self, updates: Mapping[str, str]) -> Event:
        merged = dict(self.fields)
        merged.update(updates)
        return Event(merged, self.raw, self.origin, self.tags)

    def tagged(self, tags: Mapping[str, str] | None) -> Event:
        """This event read from an input with ``tags`` (fields shared)."""
        if tags is None or self.tags is tags:
            return self
        return Event(self.fields, self.raw, self.origin, tags)

    def __repr__(self) -> str:
        return f"Event({self.fields!r})"
