"""Parsing functions: parseJson, kvParse, parseXml, parseCsv, parseUrl,
json:prettyPrint and writeJson.

Decisions (LogScale pages ``functions-<name>.html``; UNCONFIRMED where the
page is silent):

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

``parseXml(field=@rawstring, prefix, strict=false)``
    Element paths from the root (``log.service``); repeated elements give
    the first value under the plain name and all values as ``name[0]``,
    ``name[1]`` (page example "Parse XML With Multiple Inner Elements");
    attributes become ``element.attribute`` and namespaces are dropped
    (UNCONFIRMED).  Invalid XML: dropped with ``strict``, else kept with
    ``@error``/``@error_msg``.

``parseCsv(field=@rawstring, columns, delimiter=",", trim, excludeEmpty)``

``parseUrl(field=url, as=<field>)``
    ``<as>.scheme``, ``.username``, ``.password``, ``.host``, ``.port``,
    ``.path``, ``.query``, ``.fragment`` as Java's ``java.net.URI`` getters
    give them (decoded); text ``URI`` rejects (spaces, ``<>``...) adds
    nothing.

``json:prettyPrint(field=@rawstring, step=2, strict, as=<field>)``
    Keys in order and numbers as written, ``step`` spaces (at least 2) per
    level, ``": "`` after keys (UNCONFIRMED); invalid JSON is copied, or with
    ``strict`` gives no value (page).

``writeJson(field=@rawstring, as=_json)``
    Each entry is a prefix of field names, or a glob when it has ``*``
    (page); names nest on ``.`` and ``[n]``; values that are JSON numbers,
    ``true``, ``false`` or ``null`` are written as such, others as strings;
    compact output (the page's examples).  An object and an array at one
    path merge into an object keyed by the indices; a value and an object at
    one path: the first field wins (UNCONFIRMED).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree

from ..lang.events import RAWSTRING, flatten
from ..lang.glob import glob_match
from .registry import event_function, in_place, output_field, value_function, with_error
from .text import url_decode

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


# --- parseXml, parseCsv, parseUrl ---------------------------------------------------------------

_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_fields(text: str, prefix: str = "") -> dict[str, str]:
    """Fields for an XML document; raises ``ElementTree.ParseError``."""
    root = ElementTree.fromstring(_XML_DECLARATION.sub("", text, count=1))
    out: dict[str, str] = {}

    def walk(element, path: str) -> None:
        for name, value in element.attrib.items():
            out.setdefault(f"{path}.{_local_name(name)}", value)
        children = list(element)
        if not children:
            if element.text or not element.attrib:
                out.setdefault(path, element.text or "")
            return
        groups: dict[str, list] = {}
        for child in children:
            groups.setdefault(_local_name(child.tag), []).append(child)
        for name, items in groups.items():
            child_path = f"{path}.{name}"
            walk(items[0], child_path)
            if len(items) > 1:
                for index, item in enumerate(items):
                    walk(item, f"{child_path}[{index}]")

    walk(root, prefix + _local_name(root.tag))
    return out


@event_function("parseXml")
def _parse_xml(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return [event]
    try:
        fields = xml_fields(value, str(call.get("prefix") or ""))
    except (ElementTree.ParseError, ValueError) as err:
        if call.get("strict"):
            return []
        return [with_error(event, f"parseXml: {err}")]
    return [event.with_fields(fields)]


def csv_values(text: str, delimiter: str = ",", trim: bool = False) -> list[str]:
    """The values of one CSV record; ``""`` in a quoted value is a quote."""
    values: list[str] = []
    i, n = 0, len(text)
    while True:
        j = i
        if trim:
            while j < n and text[j] in " \t":
                j += 1
        if j < n and text[j] == '"':
            j += 1
            chars = []
            while j < n:
                if text[j] == '"':
                    if text.startswith('"', j + 1):
                        chars.append('"')
                        j += 2
                        continue
                    j += 1
                    break
                chars.append(text[j])
                j += 1
            end = text.find(delimiter, j) if delimiter else -1
            rest = text[j:] if end < 0 else text[j:end]
            value = "".join(chars) + (rest.strip() if trim else rest)
        else:
            end = text.find(delimiter, i) if delimiter else -1
            value = text[i:] if end < 0 else text[i:end]
            if trim:
                value = value.strip(" \t")
        values.append(value)
        if end < 0:
            return values
        i = end + len(delimiter)


@event_function("parseCsv")
def _parse_csv(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return [event]
    values = csv_values(value, str(call.get("delimiter")), bool(call.get("trim")))
    exclude_empty = call.get("excludeEmpty")
    updates = {
        column: v
        for column, v in zip(call.get("columns"), values, strict=False)
        if not (exclude_empty and v == "")
    }
    return [event.with_fields(updates) if updates else event]


_URI = re.compile(
    r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?"
)
_URI_ILLEGAL = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f]|%(?![0-9A-Fa-f]{2})')
_AUTHORITY = re.compile(r"(?:([^@]*)@)?(\[[^\]]*\]|[^:]*)(?::(\d*))?")


def _percent_decoded(text: str) -> str:
    return url_decode(text.replace("+", "%2B")) or text


def url_parts(url: str) -> dict[str, str] | None:
    """The components ``java.net.URI`` gives for ``url``; None when it would
    reject the text."""
    if _URI_ILLEGAL.search(url):
        return None
    m = _URI.fullmatch(url)
    if m is None:
        return None
    scheme, authority, path, query, fragment = m.groups()
    parts: dict[str, str] = {}
    if scheme is not None:
        parts["scheme"] = scheme
        if authority is None and not path.startswith("/"):
            if fragment is not None:  # an opaque URI such as mailto:a@b
                parts["fragment"] = _percent_decoded(fragment)
            return parts
    if authority:
        auth = _AUTHORITY.fullmatch(authority)
        if auth is not None and auth.group(2):
            userinfo, host, port = auth.groups()
            if userinfo is not None:
                user, sep, password = userinfo.partition(":")
                parts["username"] = _percent_decoded(user)
                if sep:
                    parts["password"] = _percent_decoded(password)
            parts["host"] = host
            if port:
                parts["port"] = str(int(port))
    parts["path"] = _percent_decoded(path)
    if query is not None:
        parts["query"] = _percent_decoded(query)
    if fragment is not None:
        parts["fragment"] = _percent_decoded(fragment)
    return parts


@event_function("parseUrl")
def _parse_url(rt, call, event):
    field = call.get("field")
    value = event.get(field)
    parts = None if value is None else url_parts(value)
    if not parts:
        return [event]
    prefix = output_field(call)
    return [event.with_fields({f"{prefix}.{name}": v for name, v in parts.items()})]


# --- JSON ---------------------------------------------------------------------------------------


class _Object(list):
    """A JSON object as its (key, value) pairs, in order."""


class _RawNumber(str):
    """A JSON number kept as written."""


def _load_json(text: str):
    return json.loads(
        text,
        object_pairs_hook=_Object,
        parse_float=_RawNumber,
        parse_int=_RawNumber,
        parse_constant=_reject_constant,
    )


def _dump_json(value, step: int = 0, depth: int = 0) -> str:
    """Compact JSON (``step`` 0) or JSON indented by ``step`` spaces."""
    if isinstance(value, _RawNumber):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, _Object):
        colon = ": " if step else ":"
        items = [
            json.dumps(key, ensure_ascii=False) + colon + _dump_json(item, step, depth + 1)
            for key, item in value
        ]
        return _enclose("{", "}", items, step, depth)
    items = [_dump_json(v, step, depth + 1) for v in value]
    return _enclose("[", "]", items, step, depth)


def _enclose(open_: str, close: str, items: list[str], step: int, depth: int) -> str:
    if not items:
        return open_ + close
    if not step:
        return open_ + ",".join(items) + close
    inner = " " * (step * (depth + 1))
    body = ",\n".join(inner + item for item in items)
    return f"{open_}\n{body}\n{' ' * (step * depth)}{close}"


def _pretty_print(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return None
    try:
        parsed = _load_json(value)
    except ValueError:
        return None if call.get("strict") else value
    return _dump_json(parsed, max(2, int(call.get("step"))))


in_place("json:prettyPrint")(_pretty_print)

_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_PATH_PART = re.compile(r"([^.\[\]]*)((?:\[\d+\])*)")


def _json_scalar(text: str):
    if _JSON_NUMBER.fullmatch(text):
        return _RawNumber(text)
    return {"true": True, "false": False, "null": None}.get(text, text)


def _path_of(name: str) -> list[str | int]:
    path: list[str | int] = []
    for part in name.split("."):
        m = _PATH_PART.fullmatch(part)
        if m is None:
            path.append(part)
            continue
        if m.group(1):
            path.append(m.group(1))
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return path


def _insert(tree: dict, path: list[str | int], value) -> None:
    node = tree
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return  # a scalar is already there: the first field wins
        node = child
    if path and path[-1] not in node:
        node[path[-1]] = value


def _tree_json(node):
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_tree_json(node.get(i)) for i in range(max(node) + 1)]
    return _Object((str(k), _tree_json(v)) for k, v in node.items())


@value_function("writeJson")
def _write_json(rt, call, event):
    names = list(event.fields)
    if RAWSTRING not in event.fields and event.raw is not None:
        names.append(RAWSTRING)
    patterns = call.get("field")
    tree: dict = {}
    for name in names:
        if any(glob_match(p, name) if "*" in p else name.startswith(p) for p in patterns):
            _insert(tree, _path_of(name), _json_scalar(event.get(name) or ""))
    return _dump_json(_tree_json(tree) if tree else _Object())
