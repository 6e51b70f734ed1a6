"""Number functions: unit:convert, formatDuration, parseInt, math:floor,
bitfield:extractFlags and round.

Each section states what the LogScale page (``functions-<name>.html`` on
library.humio.com) says and, marked UNCONFIRMED, the choices made where it is
silent.

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

Rounding
    ``round(field, how=round|floor|ceil, as=<field>)``: the page gives ``as``
    the input field's name as default, so without ``as`` the field is
    overwritten.  ``round`` takes halves away from zero ("standard rules";
    UNCONFIRMED at exactly .5); the result is an integer computed exactly
    from the text.  A missing or non-numeric value gives no value.

Warnings: W480 units that cannot be converted, W485 parseInt radix out of
range, W488 a bitfield:extractFlags output entry that is not [index, name].
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from ..lang.values import format_number, parse_number
from ..syntax import ast as A
from .registry import event_function, in_place, value_function

_INTEGER = re.compile(r"[+-]?\d+")
_MASK64 = (1 << 64) - 1


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


in_place("unit:convert")(_unit_convert)


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


@in_place("formatDuration")
def _format_duration(rt, call, event):
    value = event.get(call.get("field"))
    if value is None or not _INTEGER.fullmatch(value) or len(value) > 40:
        return None
    return format_duration(int(value), call.get("from"), int(call.get("precision")))


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


@in_place("parseInt")
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


# --- round ----------------------------------------------------------------------------

_ROUNDING = {"round": ROUND_HALF_UP, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}


@in_place("round")
def round_value(rt, call, event) -> str | None:
    value = event.get(call.get("field"))
    if parse_number(value) is None:
        return None
    try:
        number = Decimal(value).to_integral_value(rounding=_ROUNDING[call.get("how")])
    except InvalidOperation:
        return None
    return str(int(number))
