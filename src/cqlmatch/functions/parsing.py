"""Parsing functions: parseJson and kvParse.

Decisions (LogScale pages ``functions-parsejson.html`` and
``functions-kvparse.html``; UNCONFIRMED where the page is silent):

``parseJson(field=@rawstring, prefix="", include, exclude, excludeEmpty,
removePrefixes, handleNull=keep)``
    The field's JSON object becomes fields named as input events are
    (``a.b``, ``a[0]``; numbers keep their text; an empty object or array
    gives no field), each name preceded by ``prefix`` as written (the prefix
    is not followed by an implicit dot).  A top-level array is named
    ``_events[0]``, ``_events[1]``, ... (after the prefix) so that
    ``split()``'s default field takes it apart (UNCONFIRMED; the ``split()``
    page's JSON-array example pairs it with ``parseJson()``).  Parsed fields
    overwrite fields of the same name.
    ``exclude`` drops every field whose name (with the prefix, as the page
    says) starts with an entry -- "the exclusion works as a wildcard match":
    ``query`` drops ``query.string`` and ``queryString`` -- where ``[*]``
    stands for any array index; ``include`` keeps fields, matched the same
    way, that ``exclude`` dropped.  ``excludeEmpty=true`` drops empty values.
    ``handleNull``: ``keep`` writes ``null``, ``empty`` the empty string and
    ``discard`` no field.  ``removePrefixes`` strips the longest entry that
    is a whole leading path (``a.b`` strips ``a.b.`` from ``a.b.c``) from a
    name before the prefix is added; include and exclude still see the
    unstripped name.
    Text that is not JSON (or JSON that is neither object nor array), and a
    missing field, leave the event as it is, without an ``@error`` field:
    parseJson has no ``addErrors`` parameter, unlike parseTimestamp
    (UNCONFIRMED).

``kvParse(field=@rawstring, as, override=false, excludeEmpty=false,
separator="=", separatorPadding=unknown)``
    Pairs ``key=value``, ``key="value"`` and ``key='value'`` (the page's
    forms).  A key is a run of characters other than white space, quotes,
    ``,``, ``;`` and the separator; an unquoted value ends at white space,
    ``,`` or ``;`` (the page writes pairs as ``a=1, b=2``); a quoted value
    may hold ``\\"`` / ``\\'`` and ``\\\\`` escapes and ends at the matching
    unescaped quote.  ``separatorPadding=no``: nothing between key, separator
    and value, so ``a= b=2`` gives ``a`` empty; ``yes`` and ``unknown``:
    white space may surround the separator, and a value position holding
    another ``key=`` (or nothing) gives an empty value.  Text that is not a
    pair is skipped.  ``as`` is a prefix written before each key as given.
    ``override=false`` keeps fields the event already has; a key repeated in
    the text keeps its last value (the page's ``onDuplicate=keepLast``).
    Several fields (the page types ``field`` as an array) are parsed in
    order.  A missing field adds nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ..lang.events import flatten
from . import event_function

# --- parseJson ----------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(text: str) -> dict[str, Any] | None:
    """The decoded object (a top-level array under ``_events``), or None."""
    try:
        value = json.loads(text, parse_int=str, parse_float=str, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, list):
        return {"_events": value}
    return value if isinstance(value, dict) else None


def _null_paths(obj: Any, name: str, out: set[str]) -> None:
    """Names of the leaves that are JSON null, spelled as ``flatten`` does."""
    if isinstance(obj, dict):
        for key, item in obj.items():
            _null_paths(item, f"{name}.{key}" if name else key, out)
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            _null_paths(item, f"{name}[{index}]", out)
    elif obj is None:
        out.add(name)


@lru_cache(maxsize=256)
def _path_matcher(entries: tuple[str, ...]) -> re.Pattern[str] | None:
    """Field names that start with one of ``entries``; ``[*]`` is any index."""
    if not entries:
        return None
    alternatives = [re.escape(e).replace(r"\[\*\]", r"\[\d+\]") for e in entries]
    return re.compile("|".join(alternatives))


def _strip_prefixes(name: str, prefixes: tuple[str, ...]) -> str:
    best = ""
    for prefix in prefixes:
        if name.startswith(prefix + ".") and len(prefix) > len(best):
            best = prefix
    return name[len(best) + 1 :] if best else name


@event_function("parseJson")
def parse_json(rt, call, event):
    text = event.get(call.get("field"))
    if text is None:
        return [event]
    decoded = _decode(text)
    if decoded is None:
        return [event]
    prefix = call.get("prefix") or ""
    nulls: set[str] = set()
    _null_paths(decoded, "", nulls)
    handle_null = call.get("handleNull")
    exclude = _path_matcher(tuple(call.get("exclude") or ()))
    include = _path_matcher(tuple(call.get("include") or ()))
    exclude_empty = call.get("excludeEmpty")
    remove = tuple(call.get("removePrefixes") or ())
    updates: dict[str, str] = {}
    for path, value in flatten(decoded).items():
        if path in nulls:
            if handle_null == "discard":
                continue
            value = "" if handle_null == "empty" else "null"
        name = prefix + path
        excluded = exclude is not None and exclude.match(name) is not None
        if excluded and (include is None or include.match(name) is None):
            continue
        if exclude_empty and value == "":
            continue
        updates[prefix + _strip_prefixes(path, remove) if remove else name] = value
    return [event.with_fields(updates) if updates else event]


# --- kvParse --------------------------------------------------------------------------------

_SPACE = frozenset(" \t\r\n\f\v")
_VALUE_END = _SPACE | frozenset(",;")
_KEY_STOP = _VALUE_END | frozenset("\"'")


def _read_key(text: str, i: int, separator: str) -> int:
    """End of the key starting at ``i`` (== ``i`` when there is none)."""
    n = len(text)
    while i < n and text[i] not in _KEY_STOP and not text.startswith(separator, i):
        i += 1
    return i


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted value starting at ``text[i]`` (a quote) and the index after it."""
    quote, out = text[i], []
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in (quote, "\\"):
            out.append(text[i + 1])
            i += 2
            continue
        if c == quote:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    return "".join(out), i  # unterminated: the rest of the text


def _key_follows(text: str, i: int, separator: str, padded: bool) -> bool:
    """Whether a ``key<separator>`` starts at ``i``."""
    end = _read_key(text, i, separator)
    if end == i:
        return False
    if padded:
        end = _skip_space(text, end)
    return text.startswith(separator, end)


def kv_pairs(text: str, separator: str, padding: str) -> Iterator[tuple[str, str]]:
    """The key/value pairs of ``text`` in order."""
    padded = padding != "no"
    i, n = 0, len(text)
    while i < n:
        start = i
        end = _read_key(text, i, separator)
        if end == start:
            i += 1  # not a key: quotes, delimiters, a stray separator
            continue
        j = _skip_space(text, end) if padded else end
        if not text.startswith(separator, j):
            i = end
            continue
        key = text[start:end]
        j += len(separator)
        if padded:
            after = _skip_space(text, j)
            if after > j and _key_follows(text, after, separator, padded):
                yield key, ""
                i = after
                continue
            j = after
        if j < n and text[j] in "\"'":
            value, i = _read_quoted(text, j)
        else:
            i = j
            while i < n and text[i] not in _VALUE_END:
                i += 1
            value = text[j:i]
        yield key, value


@event_function("kvParse")
def kv_parse(rt, call, event):
    names = call.get("field")
    if isinstance(names, str):
        names = (names,)
    prefix = call.get("as") or ""
    separator = call.get("separator") or "="
    padding = call.get("separatorPadding")
    override = call.get("override")
    exclude_empty = call.get("excludeEmpty")
    updates: dict[str, str] = {}
    for name in names:
        text = event.get(name)
        if text is None:
            continue
        for key, value in kv_pairs(text, separator, padding):
            if exclude_empty and value == "":
                continue
            target = prefix + key
            if not override and event.get(target) is not None:
                continue
            updates[target] = value
    return [event.with_fields(updates) if updates else event]
