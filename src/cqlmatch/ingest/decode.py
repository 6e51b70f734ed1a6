"""Decoding NDJSON lines into events.

``Decoder(program.fields, need_all)``
    One line to an ``Event`` (or a ``MalformedLine``), equal to
    ``events.parse_line`` restricted to the fields the program reads,
    through msgspec where it can reproduce ``parse_line`` exactly.
``from_dicts(items)``
    Already-decoded events, flattened as ``CompiledQuery.run`` does.

Malformed lines (invalid UTF-8, invalid JSON (with NaN/Infinity and lone
surrogate escapes), JSON that is not an object,
nesting deeper than Python's recursion limit, truncated lines, more than
``limits.MAX_EVENT_VALUES`` values: ``events.check_values``) are
reported as ``MalformedLine``, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import msgspec

from ..bytecode.program import FieldRef
from ..lang.events import Event, Fields, check_values, flatten, parse_line, rawstring_of
from ..limits import MAX_EVENT_VALUES
from .columns import struct_name_ok
from .lines import MalformedLine

__all__ = ["Decoder", "from_dicts"]


class _NeedsExactText(Exception):
    """A decoded value whose written form msgspec does not keep (``-0``)."""


_to_builtins = msgspec.to_builtins
_STR_ONLY = frozenset({str})  # (``Decoder._flatten``)
_MINUS_ZERO = (b"-0,", b"-0}", b"-0]", b"-0 ", b"-0\t", b"-0\r", b"-0\n")


def _flatten_value(name: str, value: Any, out: Fields, zero: bool) -> None:
    """``events.flatten`` for msgspec's output (floats as their text);
    ``zero`` says that an integer 0 may be written ``0`` (not ``-0``)."""
    kind = type(value)
    if kind is str:
        out[name] = value
    elif kind is dict:
        for key, item in value.items():
            _flatten_value(f"{name}.{key}", item, out, zero)
    elif kind is list:
        for index, item in enumerate(value):
            _flatten_value(f"{name}[{index}]", item, out, zero)
    elif value is None:
        out[name] = "null"
    elif value is True:
        out[name] = "true"
    elif value is False:
        out[name] = "false"
    elif kind is int and (value or zero):
        # JSON integers other than -0 are written as str() writes them;
        # str() raises ValueError past 4300 digits.
        out[name] = str(value)
    else:
        raise _NeedsExactText


def requested_names(fields: Iterable[FieldRef | str]) -> tuple[str, ...]:
    """The names to read from an event for ``fields``: each name and its
    fallback (``#tag`` -> ``tag``, ``@timestamp`` -> ``timestamp``), once each."""
    names: list[str] = []
    for ref in fields:
        if isinstance(ref, str):
            names.append(ref)
            if ref.startswith("#"):
                names.append(ref[1:])
            elif ref == "@timestamp":
                names.append("timestamp")
        else:
            names.append(ref.name)
            if ref.fallback is not None:
                names.append(ref.fallback)
    return tuple(dict.fromkeys(names))


class Decoder:
    """Decodes NDJSON lines into events, reused across lines.

    ``fields`` are the program's ``FieldRef``s (or plain names; ``#tag`` and
    ``@timestamp`` then bring their fallbacks).  With ``need_all`` false
    only those names (and their fallbacks) are decoded, through a msgspec
    ``Struct`` built for them whose string-typed fields take the common
    case; a requested value that is not a string sends the line to a second
    Struct of ``msgspec.Raw`` fields whose text is normalised here.  A name
    that flattening could produce (``a.b``, ``a[0]``) needs the whole object,
    as does ``need_all``: ``msgspec.json`` decodes it to a dict (floats kept
    as written through ``float_hook``) and it is flattened with the rules of
    ``events.flatten``.  Whatever msgspec refuses or cannot reproduce
    exactly (``NaN``, lone surrogate escapes, ``-0``, huge integers) is
    decoded by ``events.parse_line`` itself, which also words the reason of
    a malformed line (``NaN``/``Infinity`` and lone surrogate escapes make
    the line malformed: not JSON, and not text any output could hold).  So ``decode(line).fields`` always equals
    ``parse_line(line)`` restricted to the requested names."""

    def __init__(self, fields: Iterable[FieldRef | str] = (), need_all: bool = False) -> None:
        self.names = requested_names(fields)
        self.need_all = need_all
        # Flattened names (``a.b``, ``a[0]``) need the whole object, and so do
        # names msgspec cannot rename a struct field to (``\``, ``"``, controls).
        self._whole = need_all or any(
            "." in n or "[" in n or not struct_name_ok(n) for n in self.names
        )
        self._any = msgspec.json.Decoder(float_hook=str)
        if self._whole:
            return
        attrs = [f"f{i}" for i in range(len(self.names))]
        rename = dict(zip(attrs, self.names, strict=True))
        strings = msgspec.defstruct(
            "IngestStrings",
            [(a, str | msgspec.UnsetType, msgspec.UNSET) for a in attrs],
            rename=rename,
            gc=False,
        )
        raws = msgspec.defstruct(
            "IngestRaw",
            [(a, msgspec.Raw, msgspec.Raw()) for a in attrs],
            rename=rename,
            gc=False,
        )
        self._strings = msgspec.json.Decoder(strings).decode
        self._raws = msgspec.json.Decoder(raws).decode

    def decode(
        self, line: bytes, line_number: int = 0, _most: int = MAX_EVENT_VALUES
    ) -> Event | MalformedLine:
        """The event on ``line`` (bytes without its line end)."""
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            return MalformedLine(line_number, f"invalid UTF-8: {err.reason} at byte {err.start}")
        try:
            if len(line) > _most:  # else it cannot hold that many values
                check_values(line)
            if self._whole:
                fields = self._whole_fields(line, text)
            else:
                try:
                    fields = _to_builtins(self._strings(line))
                except msgspec.ValidationError:  # a value that is not a string
                    fields = self._raw_fields(line, text)
                except (msgspec.DecodeError, RecursionError):
                    fields = self._exact(text)
        except (ValueError, RecursionError) as err:
            return MalformedLine(line_number, str(err).split("\n")[0])
        return Event(fields, text)

    def fields(self, line: bytes) -> Fields:
        """``decode`` without the event: raises ``ValueError`` (also for
        invalid UTF-8) where ``decode`` reports a malformed line."""
        result = self.decode(line)
        if isinstance(result, MalformedLine):
            raise ValueError(result.reason)
        return result.fields

    def _raw_fields(self, line: bytes, text: str) -> Fields:
        try:
            found = self._raws(line)
        except (msgspec.DecodeError, RecursionError):
            return self._exact(text)
        out: Fields = {}
        for name, raw in zip(self.names, msgspec.structs.astuple(found), strict=True):
            if not raw:
                continue
            data = bytes(raw)
            head = data[0]
            if head == 0x22:  # '"'
                out[name] = self._any.decode(data)
            elif head == 0x74:  # 't'
                out[name] = "true"
            elif head == 0x66:  # 'f'
                out[name] = "false"
            elif head == 0x6E:  # 'n'
                out[name] = "null"
            elif head not in (0x7B, 0x5B):  # a number, as written
                out[name] = data.decode("ascii")
            # an object or array flattens to dotted names only
        return out

    def _whole_fields(self, line: bytes, text: str) -> Fields:
        try:
            obj = self._any.decode(line)
        except (msgspec.DecodeError, RecursionError):
            return self._exact(text)
        if type(obj) is not dict:
            return self._exact(text)  # raises: not an object
        try:
            out = self._flatten(obj, zero=False)
        except _NeedsExactText:
            if any(marker in line for marker in _MINUS_ZERO):
                return self._exact(text)
            try:
                out = self._flatten(obj, zero=True)
            except (_NeedsExactText, ValueError):
                return self._exact(text)
        except ValueError:
            return self._exact(text)
        if self.need_all:
            return out
        return {n: out[n] for n in self.names if n in out}

    @staticmethod
    def _flatten(obj: dict[str, Any], zero: bool) -> Fields:
        if _STR_ONLY.issuperset(map(type, obj.values())):
            # (the common Falcon line: flat, every value a string; checked
            # in C, 0.9 us against 2.2 us for the loop over a 43-key event)
            return obj
        out: Fields = {}
        for key, value in obj.items():
            if type(value) is str:
                out[key] = value
            else:
                _flatten_value(key, value, out, zero)
        return out

    def _exact(self, text: str) -> Fields:
        """The reference decoding, restricted to the requested names."""
        fields = parse_line(text)
        if self.need_all:
            return fields
        return {n: fields[n] for n in self.names if n in fields}


def from_dicts(items: Iterable[Any]) -> Iterator[Event | MalformedLine]:
    """Events given as Python mappings (no prefilter, no decoding): each
    flattened, with ``@rawstring`` (or its compact JSON) as the raw line,
    exactly as ``CompiledQuery.run`` treats them.  An item that is not a
    mapping, or holds values JSON cannot represent, is a ``MalformedLine``
    numbered by its position (from 1)."""
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            yield MalformedLine(number, f"not a JSON object but {type(item).__name__}")
            continue
        try:
            fields = flatten(item)
            raw = fields.get("@rawstring") or rawstring_of(item)
        except (TypeError, ValueError, RecursionError) as err:
            yield MalformedLine(number, str(err).split("\n")[0])
            continue
        yield Event(fields, raw)
