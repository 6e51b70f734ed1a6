"""Functions that real CQL in the corpus uses beyond the core set.

Each section states what the LogScale page (``functions-<name>.html`` on
library.humio.com) says and, marked UNCONFIRMED, the choices made where it is
silent.  Warnings W480-W489 belong to this module.

Conversions
    ``unit:convert(field, from, to, unit, binary=false, keepUnit=false, as)``:
    the value is a number optionally followed by a unit (``514 ms``,
    ``4KiB``); a unit is an optional prefix (the page's table: Y Z E P T G M
    k h da d c m u µ n p f a z y and the binary Ki .. Yi) and a base unit,
    optionally a rate ``/s|sec|m|min|h|hour|d|day|w|week``.  The longest
    prefix that leaves a base unit is taken ("If the unit begins with a
    reserved prefix character, try manually setting the unit parameter").
    A unitless value takes its unit from ``from``.  Without ``to`` the value
    is normalized to the base unit (``514 ms`` -> ``0.514``) and a rate to
    per second; ``to`` may be a bare prefix (``G``) or prefix and unit
    (``GB``).  ``binary`` makes k M G T P E Z Y powers of 1024.  Arithmetic is
    exact (fractions) and prints as the project's numbers do; ``keepUnit``
    appends the output unit without a space (UNCONFIRMED).  Units with
    different bases (``B`` to ``m``) give no value and W480.  ``as``
    defaults to the input field.
    ``formatDuration(field, from=ms, precision=0, as)``: the integer value in
    ``from`` units as ``6h30m52s553ms`` (the page's example for 23452553);
    units are d h m s ms us ns down to the ``from`` unit, zero units are
    left out, a negative value gets ``-``, zero is ``0<from>``.  A non-integer
    value is "not converted" (page): no value.  ``precision=N`` keeps the N
    units starting at the largest non-zero one (truncating, UNCONFIRMED).
    ``parseInt(field, radix=16, endian=big, as)``: unsigned (page); ``0x``
    and ``16#`` prefixes are accepted; little endian reverses hex digit
    pairs (the page: ``8001`` is 384); any other character gives no value.
    ``math:floor(field, as=_floor)``.
    ``bitfield:extractFlags(field, output=[[i, name], ...], onlyTrue)``:
    decimal (or ``0x`` hex) integer, its lowest 64 bits; writes
    ``true``/``false``.

Text
    ``shannonEntropy(field, as=_shannonentropy)``: base-2 entropy of the
    characters (code points) of the value, printed in full (the page's
    example.com, "rounded" 3.095795); an empty value gives 0.
    ``urlDecode(field, as=_urldecode)``: percent-decoding as UTF-8 with
    ``+`` as a space (Java's URLDecoder, UNCONFIRMED); a ``%`` not followed
    by two hex digits gives no value.
    ``base64Decode(field, charset=UTF-8, as=_base64Decode)``: characters
    outside the alphabet are ignored, invalid input gives no value, invalid
    code points become U+FFFD (the page's "Behavior on Invalid Encoding").
    ``lowercase(field, include=values|fields|both, locale)``: in place;
    ``fields``/``both`` add a field with the lower-cased name and keep the
    original (page example); ``*`` lower-cases every field and only the
    lower-cased fields remain (page).
    ``hash(field, limit, seed, as=_hash)``: MurmurHash3 (x86, 32 bit) of the
    UTF-8 values joined by NUL, an unsigned integer; ``limit`` takes it
    modulo.  The algorithm LogScale uses is not documented: the values are
    stable here but will not equal LogScale's (UNCONFIRMED).
    ``communityId(proto, sourceip, destinationip, sourceport,
    destinationport, icmptype, icmpcode, seed=0, as=_community_id)``: the
    Community ID v1 specification (SHA-1, base64, ``1:`` prefix, ICMP type
    and code mapped to port equivalents); invalid input gives the empty
    string (page).

Structured data
    ``parseXml(field=@rawstring, prefix, strict=false)``: element paths from
    the root (``log.service``); repeated elements give the first value under
    the plain name and all values as ``name[0]``, ``name[1]`` (page example
    "Parse XML With Multiple Inner Elements"); attributes become
    ``element.attribute`` and namespaces are dropped (UNCONFIRMED).  Invalid
    XML: dropped with ``strict``, else kept with ``@error``/``@error_msg``.
    ``parseCsv(field=@rawstring, columns, delimiter=",", trim, excludeEmpty)``.
    ``parseUrl(field=url, as=<field>)``: ``<as>.scheme``, ``.username``,
    ``.password``, ``.host``, ``.port``, ``.path``, ``.query``, ``.fragment``
    as Java's ``java.net.URI`` getters give them (decoded); text ``URI``
    rejects (spaces, ``<>``...) adds nothing.
    ``json:prettyPrint(field=@rawstring, step=2, strict, as=<field>)``:
    keys in order and numbers as written, ``step`` spaces (at least 2) per
    level, ``": "`` after keys (UNCONFIRMED); invalid JSON is copied, or with
    ``strict`` gives no value (page).
    ``writeJson(field=@rawstring, as=_json)``: each entry is a prefix of
    field names, or a glob when it has ``*`` (page); names nest on ``.`` and
    ``[n]``; values that are JSON numbers, ``true``, ``false`` or ``null``
    are written as such, others as strings; compact output (the page's
    examples).  An object and an array at one path merge into an object keyed
    by the indices; a value and an object at one path: the first field wins
    (UNCONFIRMED).

Fields and events
    ``getField(source, as=_getField)``, ``setField(target, value)``,
    ``eventSize(as=_eventSize)`` (UTF-8 bytes of the values, @rawstring
    included, tags not), ``eventFieldCount(as=_eventFieldCount)`` (fields
    other than tags), ``copyEvent(type)`` (the event, then a copy with
    ``#type``; the current page allows it only in parsers).

Time
    ``time:hour`` and the other ``time:`` parts read epoch milliseconds from
    ``field`` (default @timestamp) in ``timezone``, else the zone named by the
    ``timezoneField`` field (default @timezone), else UTC (offline, the
    query's zone).  English day and month names.
    ``findTimestamp(field=@rawstring, as=@timestamp, timezone, timezoneField,
    timezoneAs=@timezone, addErrors=true)`` finds the first
    ``yyyy-MM-dd[T ]HH:mm[:ss[.f]][zone]`` (``/`` also separates the date)
    starting within the first 128 characters (page) -- a subset of the
    formats LogScale tries (UNCONFIRMED).  A zone in the text wins, else
    ``timezone``, else the zone in the ``timezoneField`` field; without any
    the timestamp is not parsed (page).  Failure adds ``@error`` and
    ``@error_msg`` when ``addErrors``; a missing field changes nothing.

Aggregates and stages
    ``percentile(field, percentiles=[50,75,99], as)``: nearest rank on the
    exact values, the value at rank ceil(p/100 * n) (LogScale estimates
    within ``accuracy``; for the page's 12, 25, 50, 99 it gives 25 for the
    50th percentile where the page shows the estimate 25.79); output fields
    ``<as>_<p>`` (``_50`` without ``as``); negative input is skipped (page:
    "only works on non-negative input values").  ``stdDev``: population
    standard deviation (UNCONFIRMED).  ``range``: max - min.
    ``neighbor(include, prefix=_neighbor, direction, distance=1)`` adds
    ``<prefix>.<field>`` from the event ``distance`` before or after.
    ``transpose(pivot, header, column=column, limit=5)``: one row per field
    name of the first ``limit`` rows (at most 1000), names in code point
    order, the name in ``column`` and the values in ``row[1]``, ``row[2]``
    ... (page example), or in fields named by each row's ``header`` value;
    ``pivot=F`` is ``header=F, column=F``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import ipaddress
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from ..lang.events import RAWSTRING, Event
from ..lang.glob import glob_match
from ..lang.values import format_number, parse_number
from ..syntax import ast as A
from . import Aggregator, aggregator, event_function, stage_function, value_function
from .arrays import array_base

_INTEGER = re.compile(r"[+-]?\d+")
_MASK64 = (1 << 64) - 1


def _target(call, param: str = "field") -> str:
    """``as`` when given, else the input field (functions that write in place)."""
    return str(call.get("as")) if call.given("as") else str(call.get(param))


def _in_place(*names: str):
    """Register ``compute`` as a value function and as a stage that writes
    its value to ``as`` or, without ``as``, back to the input field."""

    def decorate(compute):
        value_function(*names)(compute)

        def stage(rt, call, event):
            value = compute(rt, call, event)
            return [event if value is None else event.with_fields({_target(call): value})]

        event_function(*names)(stage)
        return compute

    return decorate


def _sane_number(text: str) -> bool:
    """Whether a decimal text is within the range of a double, so exact
    arithmetic on it stays cheap (``1e999999999`` is not)."""
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.lstrip("+-").replace(".", "").lstrip("0"))
    return digits <= 400 and (not exponent or abs(int(exponent)) <= 400)


def _exact(number: Fraction) -> str:
    """An exact result as the project prints numbers: integers below 1e16 in
    full, anything else as the nearest double."""
    if number.denominator == 1 and abs(number.numerator) < 10**16:
        return str(number.numerator)
    return format_number(float(number))


def _node_text(node) -> str | None:
    if isinstance(node, A.Str):
        return node.value
    if isinstance(node, A.Bare | A.Number):
        return node.text
    if isinstance(node, A.Bool):
        return "true" if node.value else "false"
    return None


def _with_error(event: Event, message: str) -> Event:
    return event.with_fields({"@error": "true", "@error_msg": message})


# --- unit:convert ------------------------------------------------------------------------

_DECIMAL = {
    "Y": 24, "Z": 21, "E": 18, "P": 15, "T": 12, "G": 9, "M": 6, "k": 3, "h": 2, "da": 1,
    "d": -1, "c": -2, "m": -3, "u": -6, "µ": -6, "μ": -6, "n": -9, "p": -12, "f": -15,
    "a": -18, "z": -21, "y": -24,
}  # fmt: skip
_BINARY = {"k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6, "Z": 7, "Y": 8}
_IEC = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6, "Zi": 7, "Yi": 8}
_PREFIXES = sorted({*_DECIMAL, *_IEC}, key=len, reverse=True)
_RATE = {
    "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600,
    "d": 86400, "day": 86400, "w": 604800, "week": 604800,
}  # fmt: skip
_QUANTITY = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*", re.DOTALL)


@dataclass(frozen=True)
class _Unit:
    prefix: str
    factor: Fraction  # multiplies a value in this unit into the base unit
    base: str | None  # None: a bare prefix, the unit is the value's
    rate: str | None  # the time unit of a rate, as written


def _prefix_factor(prefix: str, binary: bool) -> Fraction:
    if prefix == "":
        return Fraction(1)
    if prefix in _IEC:
        return Fraction(1024) ** _IEC[prefix]
    if binary and prefix in _BINARY:
        return Fraction(1024) ** _BINARY[prefix]
    return Fraction(10) ** _DECIMAL[prefix]


def _parse_unit(text: str, binary: bool, base_hint: str | None = None) -> _Unit | None:
    text = text.strip()
    rate = None
    if "/" in text:
        text, _, rate = (part.strip() for part in text.partition("/"))
        if rate not in _RATE:
            return None
    if base_hint:
        if not text.endswith(base_hint):
            return None
        prefix = text[: len(text) - len(base_hint)]
        if prefix and prefix not in _DECIMAL and prefix not in _IEC:
            return None
        return _Unit(prefix, _prefix_factor(prefix, binary), base_hint, rate)
    if text in _DECIMAL or text in _IEC:
        return _Unit(text, _prefix_factor(text, binary), None, rate)
    for prefix in _PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            return _Unit(prefix, _prefix_factor(prefix, binary), text[len(prefix) :], rate)
    return _Unit("", Fraction(1), text, rate)


def _unit_convert(rt, call, event) -> str | None:
    raw = event.get(call.get("field"))
    m = None if raw is None else _QUANTITY.fullmatch(raw)
    if m is None:
        return None
    binary = bool(call.get("binary"))
    hint = call.get("unit") or None
    if m.group(2):
        source = _parse_unit(m.group(2), binary, hint)
    elif call.given("from"):
        unit = str(call.get("from"))
        source = (hint and _parse_unit(unit, binary, hint)) or _parse_unit(unit, binary)
    else:
        source = _Unit("", Fraction(1), hint or "", None)
    if source is None or not _sane_number(m.group(1)):
        return None
    value = Fraction(m.group(1)) * source.factor
    if source.rate is not None:
        value /= _RATE[source.rate]
    base = source.base or ""
    per_second = source.rate is not None
    if not call.given("to"):
        unit_text = base + ("/s" if per_second else "")
    else:
        to = str(call.get("to"))
        target = (hint and _parse_unit(to, binary, hint)) or _parse_unit(to, binary)
        if target is None:
            return None
        if target.base is not None and base and target.base != base:
            rt.warn("W480", f"unit:convert() cannot convert {base!r} to {target.base!r}")
            return None
        if target.rate is not None and not per_second:
            rt.warn("W480", f"unit:convert() cannot convert a quantity to the rate {to!r}")
            return None
        out_base = base if target.base is None else target.base
        value /= target.factor
        if target.rate is not None:
            value *= _RATE[target.rate]
        rate_text = f"/{target.rate}" if target.rate else ("/s" if per_second else "")
        unit_text = target.prefix + out_base + rate_text
    text = _exact(value)
    return text + unit_text if call.get("keepUnit") else text


_in_place("unit:convert")(_unit_convert)


# --- formatDuration, parseInt, math:floor, bitfield:extractFlags ---------------------------

_DURATION_UNITS = (
    ("d", 86_400 * 10**9),
    ("h", 3_600 * 10**9),
    ("m", 60 * 10**9),
    ("s", 10**9),
    ("ms", 10**6),
    ("us", 10**3),
    ("ns", 1),
)


def format_duration(amount: int, unit: str, precision: int = 0) -> str:
    """``amount`` ``unit``s as ``1h2m3s``: zero units left out, at most
    ``precision`` units from the largest non-zero one (0: all)."""
    scale = dict(_DURATION_UNITS)[unit]
    rest = abs(amount) * scale
    parts = []
    for name, size in _DURATION_UNITS:
        if size < scale:
            break
        count, rest = divmod(rest, size)
        parts.append((name, count))
    first = next((i for i, (_, count) in enumerate(parts) if count), None)
    if first is None:
        return f"0{unit}"
    chosen = parts[first : first + precision] if precision > 0 else parts[first:]
    text = "".join(f"{count}{name}" for name, count in chosen if count)
    return "-" + text if amount < 0 else text


@_in_place("formatDuration")
def _format_duration(rt, call, event):
    value = event.get(call.get("field"))
    if value is None or not _INTEGER.fullmatch(value) or len(value) > 40:
        return None
    return format_duration(int(value), call.get("from"), int(call.get("precision")))


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


@_in_place("parseInt")
def _parse_int(rt, call, event):
    text = event.get(call.get("field"))
    if text is None:
        return None
    radix = int(call.get("radix"))
    if not 2 <= radix <= 36:
        rt.warn("W485", f"parseInt() radix must be from 2 to 36, not {radix}")
        return None
    if radix == 16:
        for prefix in ("0x", "0X", "16#"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
    allowed = _DIGITS[:radix]
    if text == "" or len(text) > 256 or any(ch not in allowed for ch in text.lower()):
        return None
    if radix == 16 and call.get("endian") == "little":
        if len(text) % 2:
            text = "0" + text
        text = "".join(reversed([text[i : i + 2] for i in range(0, len(text), 2)]))
    return str(int(text, radix))


@value_function("math:floor")
def _math_floor(rt, call, event):
    number = parse_number(event.get(call.get("field")))
    if number is None:
        return None
    return str(number if isinstance(number, int) else math.floor(number))


def _flag_pairs(rt, node) -> list[tuple[int, str]]:
    items = node.items if isinstance(node, A.Array) else ()
    if items and not isinstance(items[0], A.Array):
        items = (node,)
    pairs = []
    for item in items:
        texts = [_node_text(x) for x in item.items] if isinstance(item, A.Array) else []
        index = parse_number(texts[0]) if len(texts) == 2 else None
        if not isinstance(index, int) or not 0 <= index < 64 or texts[1] is None:
            rt.warn("W488", "bitfield:extractFlags() output entries are [index 0-63, name]")
            continue
        pairs.append((index, texts[1]))
    return pairs


def _integer_value(text: str | None) -> int | None:
    if text is None or len(text) > 256:
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    return None


@event_function("bitfield:extractFlags")
def _extract_flags(rt, call, event):
    number = _integer_value(event.get(call.get("field")))
    if number is None:
        return [event]
    bits = number & _MASK64
    only_true = call.get("onlyTrue")
    updates = {}
    for index, name in _flag_pairs(rt, call.get("output")):
        flag = bool(bits >> index & 1)
        if flag or not only_true:
            updates[name] = "true" if flag else "false"
    return [event.with_fields(updates) if updates else event]


# --- text functions -------------------------------------------------------------------------


@value_function("shannonEntropy")
def _shannon_entropy(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return None
    n = len(value)
    entropy = -math.fsum(c / n * math.log2(c / n) for c in Counter(value).values())
    return format_number(entropy + 0.0)


_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")


def url_decode(text: str) -> str | None:
    """Percent-decoding as Java's URLDecoder with UTF-8; None when a ``%`` is
    not followed by two hex digits."""
    out: list[str] = []
    pending = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            if not _HEX2.fullmatch(text, i + 1, i + 3):
                return None
            pending.append(int(text[i + 1 : i + 3], 16))
            i += 3
            continue
        if pending:
            out.append(pending.decode("utf-8", "replace"))
            pending.clear()
        out.append(" " if ch == "+" else ch)
        i += 1
    if pending:
        out.append(pending.decode("utf-8", "replace"))
    return "".join(out)


@value_function("urlDecode")
def _url_decode(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else url_decode(value)


_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "latin-1", "utf-16le": "utf-16-le"}
_CHARSETS["utf-16be"] = "utf-16-be"


def base64_bytes(text: str) -> bytes | None:
    """The bytes a Base64 text encodes; characters outside the alphabet are
    ignored and the first ``=`` ends the data."""
    chars = "".join(ch for ch in text.split("=", 1)[0] if ch in _B64)
    if len(chars) % 4 == 1:
        return None
    try:
        return base64.b64decode(chars + "=" * (-len(chars) % 4))
    except binascii.Error:
        return None


@value_function("base64Decode")
def _base64_decode(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return None
    charset = str(call.get("charset"))
    codec = _CHARSETS.get(charset.lower())
    if codec is None:
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            rt.warn("W484", f"base64Decode() does not know the charset {charset!r}")
            return None
    data = base64_bytes(value)
    return None if data is None else data.decode(codec, "replace")


@event_function("lowercase")
def _lowercase(rt, call, event):
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


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3, x86 32-bit variant."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & mask

    h = seed & mask
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = rotl(k * c1 & mask, 15) * c2 & mask
        h = (rotl(h ^ k, 13) * 5 + 0xE6546B64) & mask
    tail = data[whole:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= rotl(k * c1 & mask, 15) * c2 & mask
    h ^= len(data)
    h = (h ^ (h >> 16)) * 0x85EBCA6B & mask
    h = (h ^ (h >> 13)) * 0xC2B2AE35 & mask
    return h ^ (h >> 16)


@value_function("hash")
def _hash(rt, call, event):
    values = [event.get(name) for name in call.get("field")]
    if all(v is None for v in values):
        return None
    data = "\x00".join(v or "" for v in values).encode("utf-8", "surrogatepass")
    seed_text = call.get("seed")
    seed = 0
    if seed_text is not None:
        number = parse_number(str(seed_text))
        seed = number if isinstance(number, int) else murmur3_32(str(seed_text).encode())
    result = murmur3_32(data, seed)
    limit = call.get("limit")
    if limit:
        result %= int(limit)
    return str(result)


# --- communityId ------------------------------------------------------------------------------

_PROTOCOL_NUMBERS = {
    "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
    "icmp6": 58, "icmpv6": 58, "ipv6-icmp": 58, "eigrp": 88, "ospf": 89, "ospfigp": 89,
    "pim": 103, "sctp": 132,
}  # fmt: skip
_WITH_PORTS = frozenset({1, 6, 17, 58, 132})
_ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 17: 18, 18: 17}
_ICMP6_PAIRS = {
    128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
    130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
}  # fmt: skip


def community_id(
    proto: int,
    source: str,
    destination: str,
    source_port: int | None = None,
    destination_port: int | None = None,
    seed: int = 0,
) -> str | None:
    """Community ID v1 of a flow; for ICMP the ports are type and code.
    None when an address is invalid or the families differ."""
    try:
        a, b = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    except ValueError:
        return None
    if a.version != b.version:
        return None
    sa, da = a.packed, b.packed
    one_way = False
    ports = source_port is not None and destination_port is not None and proto in _WITH_PORTS
    sp, dp = source_port or 0, destination_port or 0
    if ports and proto in (1, 58):
        pairs = _ICMP4_PAIRS if proto == 1 else _ICMP6_PAIRS
        if sp in pairs:
            dp = pairs[sp]
        else:
            one_way = True
    if not one_way and not (sa < da or (sa == da and sp < dp)):
        sa, da, sp, dp = da, sa, dp, sp
    data = seed.to_bytes(2, "big") + sa + da + bytes([proto, 0])
    if ports:
        data += sp.to_bytes(2, "big") + dp.to_bytes(2, "big")
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")


def _port(event, call, name) -> int | bool | None:
    """The port read from the field named by parameter ``name``: None when the
    parameter is not given, False when the value is not a valid port."""
    if not call.given(name):
        return None
    number = parse_number(event.get(call.get(name)))
    return number if isinstance(number, int) and 0 <= number <= 65535 else False


@value_function("communityId")
def _community_id(rt, call, event):
    proto_text = event.get(call.get("proto"))
    if proto_text is None:
        return ""
    proto = parse_number(proto_text)
    if proto is None:
        proto = _PROTOCOL_NUMBERS.get(proto_text.strip().lower())
    if not isinstance(proto, int) or not 0 <= proto <= 255:
        return ""
    source = event.get(call.get("sourceip"))
    destination = event.get(call.get("destinationip"))
    sp, dp = _port(event, call, "sourceport"), _port(event, call, "destinationport")
    if proto in (1, 58) and call.given("icmptype"):
        sp, dp = _port(event, call, "icmptype"), _port(event, call, "icmpcode")
    seed = int(call.get("seed"))
    if sp is False or dp is False or source is None or destination is None or seed > 0xFFFF:
        return ""
    return community_id(proto, source, destination, sp, dp, seed) or ""


# --- parseXml, parseCsv, parseUrl ---------------------------------------------------------------

_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_fields(text: str, prefix: str = "") -> dict[str, str]:
    """Fields for an XML document; raises ``ElementTree.ParseError``."""
    root = ElementTree.fromstring(_XML_DECLARATION.sub("", text, count=1))
    out: dict[str, str] = {}

    def walk(element, path: str) -> None:
        for name, value in element.attrib.items():
            out.setdefault(f"{path}.{_local(name)}", value)
        children = list(element)
        if not children:
            if element.text or not element.attrib:
                out.setdefault(path, element.text or "")
            return
        groups: dict[str, list] = {}
        for child in children:
            groups.setdefault(_local(child.tag), []).append(child)
        for name, items in groups.items():
            child_path = f"{path}.{name}"
            walk(items[0], child_path)
            if len(items) > 1:
                for index, item in enumerate(items):
                    walk(item, f"{child_path}[{index}]")

    walk(root, prefix + _local(root.tag))
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
        return [_with_error(event, f"parseXml: {err}")]
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
    prefix = _target(call)
    return [event.with_fields({f"{prefix}.{name}": v for name, v in parts.items()})]


# --- JSON ---------------------------------------------------------------------------------------


class _Object(list):
    """A JSON object as its (key, value) pairs, in order."""


class _RawNumber(str):
    """A JSON number kept as written."""


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _load_json(text: str):
    return json.loads(
        text,
        object_pairs_hook=_Object,
        parse_float=_RawNumber,
        parse_int=_RawNumber,
        parse_constant=_no_constant,
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


_in_place("json:prettyPrint")(_pretty_print)

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


# --- fields and events ----------------------------------------------------------------------------


@value_function("getField")
def _get_field(rt, call, event):
    name = rt.eval(call.get("source"), event)
    return None if name is None else event.get(name)


@event_function("setField")
def _set_field(rt, call, event):
    name = rt.eval(call.get("target"), event)
    value = rt.eval(call.get("value"), event)
    if name is None or value is None:
        return [event]
    return [event.with_fields({name: value})]


def _stored(event: Event) -> dict[str, str]:
    fields = {k: v for k, v in event.fields.items() if not k.startswith("#")}
    if RAWSTRING not in fields and event.raw is not None:
        fields[RAWSTRING] = event.raw
    return fields


@value_function("eventSize")
def _event_size(rt, call, event):
    return str(sum(len(v.encode("utf-8", "surrogatepass")) for v in _stored(event).values()))


@value_function("eventFieldCount")
def _event_field_count(rt, call, event):
    return str(len(_stored(event)))


@event_function("copyEvent")
def _copy_event(rt, call, event):
    return [event, event.with_fields({"#type": str(call.get("type"))})]


# --- time -------------------------------------------------------------------------------------------

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_OFFSET = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone_of(text: str | None) -> tzinfo | None:
    """A zone from ``Z``/``UTC``, an offset (``+02:00``, ``UTC-5``) or an
    IANA name; None when the text names none."""
    if text is None:
        return None
    text = text.strip()
    if text.upper() in ("Z", "UTC", "GMT", "UT"):
        return UTC
    m = _OFFSET.fullmatch(text)
    if m is not None:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 18 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if m.group(1) == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ValueError, KeyError, OSError):
        return None


def _call_zone(rt, call, event) -> tzinfo | None:
    if call.given("timezone"):
        zone = zone_of(str(call.get("timezone")))
        if zone is None:
            rt.warn("W487", f"{call.spec.name}(): unknown time zone {call.get('timezone')!r}")
        return zone
    return zone_of(event.get(str(call.get("timezoneField")))) or UTC


def local_time(millis_text: str | None, zone: tzinfo) -> datetime | None:
    number = parse_number(millis_text)
    if number is None:
        return None
    try:
        return (_EPOCH + timedelta(milliseconds=math.floor(number))).astimezone(zone)
    except (OverflowError, ValueError):
        return None


_TIME_PARTS = {
    "time:dayOfMonth": lambda t: str(t.day),
    "time:dayOfWeek": lambda t: str(t.isoweekday()),
    "time:dayOfWeekName": lambda t: _DAY_NAMES[t.weekday()],
    "time:dayOfYear": lambda t: str(t.timetuple().tm_yday),
    "time:hour": lambda t: str(t.hour),
    "time:millisecond": lambda t: str(t.microsecond // 1000),
    "time:minute": lambda t: str(t.minute),
    "time:month": lambda t: str(t.month),
    "time:monthName": lambda t: _MONTH_NAMES[t.month - 1],
    "time:second": lambda t: str(t.second),
    "time:weekOfYear": lambda t: str(t.isocalendar().week),
    "time:year": lambda t: str(t.year),
}


def _time_part(part):
    def compute(rt, call, event):
        zone = _call_zone(rt, call, event)
        moment = None if zone is None else local_time(event.get(call.get("field")), zone)
        return None if moment is None else part(moment)

    return compute


for _name, _part in _TIME_PARTS.items():
    value_function(_name)(_time_part(_part))

_ISO_TIME = re.compile(
    r"(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s?(Z|[+-]\d{2}(?::?\d{2})?)?(?![\d])"
)
FIND_TIMESTAMP_CHARS = 128  # LogScale's MAX_CHARS_TO_FIND_TIMESTAMP default


def find_timestamp(text: str, zone: tzinfo | None) -> tuple[int, str] | None:
    """Epoch milliseconds and zone text of the first date-time starting in
    the first 128 characters; ``zone`` for one written without a zone."""
    for m in _ISO_TIME.finditer(text, 0, len(text)):
        if m.start() >= FIND_TIMESTAMP_CHARS:
            return None
        year, month, day, hour, minute = (int(g) for g in m.groups()[:5])
        second = int(m.group(6) or 0)
        fraction = (m.group(7) or "").ljust(9, "0")
        written = m.group(8)
        moment_zone = zone_of(written) if written else zone
        if moment_zone is None:
            continue
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=moment_zone)
        except ValueError:
            continue
        millis = (moment - _EPOCH) // timedelta(milliseconds=1) + int(fraction[:3])
        return millis, written or _zone_text(moment)
    return None


def _zone_text(moment: datetime) -> str:
    """``Z`` for UTC, the IANA name of a named zone, else ``+hh:mm``."""
    name = getattr(moment.tzinfo, "key", None)
    if name:
        return name
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@event_function("findTimestamp")
def _find_timestamp(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return [event]
    zone = None
    if call.given("timezone"):
        zone = zone_of(str(call.get("timezone")))
        if zone is None:
            rt.warn("W487", f"findTimestamp(): unknown time zone {call.get('timezone')!r}")
    elif call.given("timezoneField"):
        zone = zone_of(event.get(str(call.get("timezoneField"))))
    found = find_timestamp(value, zone)
    if found is None:
        if call.get("addErrors"):
            return [_with_error(event, "findTimestamp: no timestamp found")]
        return [event]
    millis, zone_text = found
    return [event.with_fields({call.get("as"): str(millis), call.get("timezoneAs"): zone_text})]


# --- aggregates ----------------------------------------------------------------------------------------


class _Numbers(Aggregator):
    """The numeric values of ``field`` in the group."""

    def __init__(self, rt, call):
        super().__init__(rt, call)
        self.field = call.get("field")
        self.values: list[int | float] = []

    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is not None:
            self.values.append(number)

    def merge(self, other):
        self.values.extend(other.values)

    def output(self) -> str:
        return str(self.call.get("as", self.call.spec.output))


@aggregator("stdDev")
class StdDev(_Numbers):
    def result(self):
        if not self.values:
            return None
        mean = math.fsum(self.values) / len(self.values)
        variance = math.fsum((x - mean) ** 2 for x in self.values) / len(self.values)
        return {self.output(): format_number(math.sqrt(variance))}


@aggregator("range")
class Range(_Numbers):
    def result(self):
        if not self.values:
            return None
        return {self.output(): format_number(max(self.values) - min(self.values))}


@aggregator("percentile")
class Percentile(_Numbers):
    def step(self, event):
        number = parse_number(event.get(self.field))
        if number is None:
            return
        if number < 0:
            self.rt.warn(
                "W482", "percentile() skipped negative values (it takes non-negative input)"
            )
            return
        self.values.append(number)

    def result(self):
        if not self.values:
            return None
        ordered = sorted(self.values)
        prefix = self.call.get("as") or ""
        out = {}
        for p in self.call.get("percentiles"):
            share = parse_number(p)
            if share is None or not 0 <= share <= 100:
                self.rt.warn("W483", f"percentile(): {p!r} is not a percentile from 0 to 100")
                continue
            rank = max(1, math.ceil(Fraction(p) * len(ordered) / 100))
            out[f"{prefix}_{p}"] = format_number(ordered[rank - 1])
        return out or None


# --- stages ------------------------------------------------------------------------------------------------

NEIGHBOR_DISTANCE_MAX = 10_000
TRANSPOSE_LIMIT_MAX = 1_000


@stage_function("neighbor")
def _neighbor(rt, call, events):
    include = call.get("include")
    prefix = str(call.get("prefix") or "")
    distance = int(call.get("distance"))
    if distance > NEIGHBOR_DISTANCE_MAX:
        rt.warn("W486", f"neighbor() distance is at most {NEIGHBOR_DISTANCE_MAX}")
        distance = NEIGHBOR_DISTANCE_MAX
    step = distance if call.get("direction") == "succeeding" else -distance
    out = []
    for index, event in enumerate(events):
        other = index + step
        updates = {}
        if 0 <= other < len(events):
            for name in include:
                value = events[other].get(name)
                if value is not None:
                    updates[f"{prefix}.{name}" if prefix else name] = value
        out.append(event.with_fields(updates) if updates else event)
    return out


@stage_function("transpose")
def _transpose(rt, call, events):
    limit = int(call.get("limit"))
    if limit > TRANSPOSE_LIMIT_MAX:
        rt.warn("W489", f"transpose() limit is at most {TRANSPOSE_LIMIT_MAX}")
        limit = TRANSPOSE_LIMIT_MAX
    pivot = call.get("pivot")
    header = pivot or call.get("header")
    column = pivot or str(call.get("column"))
    rows = events[:limit]
    names = sorted({name for row in rows for name in row.fields} - {header})
    out = []
    for name in names:
        fields = {column: name}
        for number, row in enumerate(rows, 1):
            value = row.fields.get(name)
            if value is None:
                continue
            title = row.fields.get(header) if header else None
            fields[title if title is not None else f"row[{number}]"] = value
        out.append(Event(fields))
    return out


# concatArray lives here, next to the other value functions; arrays.py reads elements.


@value_function("concatArray")
def _concat_array(rt, call, event):
    base = array_base(str(call.get("field")))
    index = int(call.get("from"))
    end = call.get("to")
    values = []
    while end is None or index <= int(end):
        value = event.fields.get(f"{base}[{index}]")
        if value is None:
            break
        values.append(value)
        index += 1
    if not values:
        return None
    separator = str(call.get("separator") or "")
    return f"{call.get('prefix') or ''}{separator.join(values)}{call.get('suffix') or ''}"
