"""Log formats: parseCEF, parseLEEF and parseFixedWidth.

``parseCEF(field=@rawstring, prefix=cef.ext., headerprefix=cef.,
labelprefix=cef.label., keeplabels=false)``
    Skips everything before ``CEF:0`` (page: "skip any prefix up to the
    marker CEF:0"; only version 0).  The seven header fields, split on ``|``
    not escaped by ``\\`` and trimmed (the page's ``CEF:0 | security|
    threatmanager| ...`` gives ``cef.device.vendor=security``), become
    ``<headerprefix>version``, ``device.vendor``, ``device.product``,
    ``device.version``, ``event_class_id``, ``name`` and ``severity``.  The
    extension is ``key=value`` pairs; a value runs up to the space or tab
    before the next ``key=`` (page: ``act=blocked a \\\\ dst=1.1.1.1``
    gives ``act`` = ``blocked a \\``), with ``\\=``, ``\\\\``, ``\\n`` and
    ``\\r`` unescaped; each key is written as ``<prefix><key>``.  A pair
    ``<k>Label=L`` and ``<k>=v`` also gives ``<labelprefix>L = v``, and
    without ``keeplabels`` both ``<prefix><k>Label`` and ``<prefix><k>`` are
    left out (page).  Text without the marker leaves the event unchanged
    (UNCONFIRMED).

``parseLEEF(field=@rawstring, prefix=leef.ext., headerprefix=leef., delimiter,
labelprefix, keeplabels, parsetime=true, timezone=Z)``
    ``LEEF:1.0|vendor|product|version|eventid|`` then the attributes,
    separated by ``delimiter`` (tab by default); ``LEEF:2.0`` has a sixth
    header field naming the delimiter (one character, or its code as
    ``0x5E``/``x5E``) and ignores ``delimiter=`` (page).  Anything before
    ``LEEF:`` is skipped.  The header fields are written as
    ``<headerprefix>version``, ``vendor``, ``product``, ``product_version``
    and ``event_id`` (the page does not list them: UNCONFIRMED); attributes
    as ``<prefix><key>``.  With ``parsetime``, ``devTime`` read with
    ``devTimeFormat`` (a Java pattern; epoch milliseconds without one) in
    ``timezone`` sets ``@timestamp``.  Labels as for CEF.

``parseFixedWidth(field=@rawstring, columns, widths, trim=true)``
    Column ``i`` is the next ``widths[i]`` characters (the last column
    takes what is left when ``widths`` is one shorter than ``columns``),
    trimmed of blanks unless ``trim=false``; a column past the end of the
    text is not written (UNCONFIRMED).
"""

from __future__ import annotations

import re

from ..lang.values import parse_number
from .registry import event_function
from .time import parse_timestamp, resolve_zone

_CEF_HEADER = (
    "version",
    "device.vendor",
    "device.product",
    "device.version",
    "event_class_id",
    "name",
    "severity",
)
_LEEF_HEADER = ("version", "vendor", "product", "product_version", "event_id")
_KEY = re.compile(r"(?:(?<=[ \t])|^)([A-Za-z0-9_.\-\[\]]+)=")
_EXT_ESCAPES = {"=": "=", "\\": "\\", "n": "\n", "r": "\r"}


def _split_header(text: str, count: int) -> tuple[list[str], str] | None:
    """``count`` fields split on unescaped ``|`` and what follows them."""
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text) and len(fields) < count:
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "|\\":
            current.append(text[i + 1])
            i += 2
            continue
        if ch == "|":
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if len(fields) < count:
        return None
    return fields, text[i:]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _EXT_ESCAPES.get(m.group(1), m.group(0)), value)


def _pairs_by_key(text: str) -> list[tuple[str, str]]:
    """``key=value`` pairs where a value runs to the blank before the next key."""
    keys = [m for m in _KEY.finditer(text) if m.start() == 0 or text[m.start() - 1] != "\\"]
    pairs = []
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        value = text[m.end() : end]
        if i + 1 < len(keys):
            value = value[:-1] if value.endswith((" ", "\t")) else value
        pairs.append((m.group(1), _unescape(value.rstrip("\r\n"))))
    return pairs


def _pairs_by_delimiter(text: str, delimiter: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.split(delimiter):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            pairs.append((key.strip(), value))
    return pairs


def _with_labels(call, pairs: list[tuple[str, str]], prefix: str) -> dict[str, str]:
    values = dict(pairs)
    out: dict[str, str] = {}
    dropped: set[str] = set()
    label_prefix = str(call.get("labelprefix") or "")
    for key, label in pairs:
        if key.endswith("Label") and key[:-5] in values:
            out[label_prefix + label] = values[key[:-5]]
            if not call.get("keeplabels"):
                dropped.update((key, key[:-5]))
    for key, value in pairs:
        if key not in dropped:
            out[prefix + key] = value
    return out


@event_function("parseCEF")
def parse_cef(rt, call, event):
    text = event.get(str(call.get("field")))
    start = -1 if text is None else text.find("CEF:0")
    if text is None or start < 0:
        return [event]
    split = _split_header(text[start + 4 :], len(_CEF_HEADER))
    if split is None:
        return [event]
    header, extension = split
    header_prefix = str(call.get("headerprefix"))
    fields = {header_prefix + name: value for name, value in zip(_CEF_HEADER, header, strict=True)}
    fields.update(
        _with_labels(call, _pairs_by_key(extension.strip(" \t")), str(call.get("prefix")))
    )
    return [event.with_fields(fields)]


def _leef_delimiter(text: str) -> str | None:
    if len(text) == 1:
        return text
    lowered = text.lower()
    digits = lowered[2:] if lowered.startswith("0x") else lowered[1:] if lowered[:1] == "x" else ""
    try:
        return chr(int(digits, 16)) if digits else None
    except ValueError:
        return None


@event_function("parseLEEF")
def parse_leef(rt, call, event):
    text = event.get(str(call.get("field")))
    start = -1 if text is None else text.find("LEEF:")
    if text is None or start < 0:
        return [event]
    body = text[start + 5 :]
    version = body.split("|", 1)[0].strip()
    count = len(_LEEF_HEADER) + (1 if version.startswith("2") else 0)
    split = _split_header(body, count)
    if split is None:
        return [event]
    header, attributes = split
    delimiter = str(call.get("delimiter") or "\t")
    if version.startswith("2"):
        named = _leef_delimiter(header.pop())
        if named is not None:
            delimiter = named
    header_prefix = str(call.get("headerprefix"))
    fields = {header_prefix + name: value for name, value in zip(_LEEF_HEADER, header, strict=True)}
    pairs = _pairs_by_delimiter(attributes, delimiter)
    fields.update(_with_labels(call, pairs, str(call.get("prefix"))))
    if call.get("parsetime"):
        stamp = _dev_time(rt, call, dict(pairs))
        if stamp is not None:
            fields["@timestamp"] = str(stamp)
    return [event.with_fields(fields)]


def _dev_time(rt, call, attributes: dict[str, str]) -> int | None:

    value = attributes.get("devTime")
    if value is None:
        return None
    fmt = attributes.get("devTimeFormat")
    if fmt is None:
        number = parse_number(value.strip())
        return number if isinstance(number, int) else None
    zone = resolve_zone(str(call.get("timezone") or "Z"))
    parsed = parse_timestamp(value.strip(), fmt, zone, rt.now_millis)
    return None if isinstance(parsed, str) else parsed[0]


@event_function("parseFixedWidth")
def parse_fixed_width(rt, call, event):
    text = event.get(str(call.get("field")))
    if text is None:
        return [event]
    columns = list(call.get("columns"))
    widths = [int(w) if str(w).isdigit() else 0 for w in call.get("widths")]
    fields = {}
    at = 0
    for index, name in enumerate(columns):
        if at >= len(text):
            break
        end = at + widths[index] if index < len(widths) else len(text)
        value = text[at:end]
        fields[name] = value.strip() if call.get("trim") else value
        at = end
    return [event.with_fields(fields)]
