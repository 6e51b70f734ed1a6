"""Text functions: format, replace, splitString, split, urlDecode and
base64Decode.

Decisions (LogScale pages ``functions-<name>.html`` unless noted; UNCONFIRMED
where the page is silent):

``format(format, field=[...], as=_format, timezone)``
    Java ``Formatter`` syntax, which the page's own examples use (``%,.2f``,
    ``%tH``), plus LogScale's ``%i`` (= ``%d``).  Conversions: ``s S d i x X
    o f F e E g G c C b B t T % n``; flags ``- 0 + space , ( #``; width;
    precision; ``%2$s`` and ``%<s`` argument indexes.  Numbers are read from
    the field text exactly (``decimal``), so ``%.2f`` of ``2.675`` is ``2.68``
    ("rounding is performed using standard math rules", round-half-up as
    Java does on the decimal text) and huge values keep every digit.
    ``%d``/``%x``/``%o``/``%c`` need an integral value; ``%x``/``%o`` print a
    negative value that fits a Java ``long`` in 64-bit two's complement, as
    Java does.  ``%t`` reads epoch milliseconds (the page: "the input fields
    must contain milliseconds since epoch") in ``timezone`` (default UTC).
    The value is not produced -- the output field is not written -- when a
    field the format uses is missing (UNCONFIRMED: the page is silent), when
    a value does not suit its conversion, or when the format is malformed
    (Java throws in all these cases).  Fields the format does not use may be
    missing.

``replace(regex, with|replacement="", field=@rawstring, as=<field>, flags=m)``
    Every match is replaced; the result overwrites ``field`` unless ``as`` is
    given (page: ``as`` defaults to the input field; ``flags`` to ``m``).  In
    the replacement, ``$n`` is capture group n and ``${name}`` a named group
    (the page's example uses ``$1``); ``\\x`` is a literal ``x``; a ``$`` not
    followed by a digit or ``{`` is literal.  A group that took no part gives
    the empty string; a group the regex does not have gives the empty string
    and warning W411 (Java throws).  A missing field leaves the event as it
    is.  When both ``with`` and ``replacement`` are given, ``with`` wins.

``splitString(field=@rawstring, by, index, as=_splitstring)``
    ``by`` is a regex.  Without ``index`` the pieces go to ``<as>[0]``,
    ``<as>[1]``, ...; with ``index`` the piece goes to ``as``, and a negative
    index counts from the end (-1 is the last piece); an index past the end
    writes nothing.  Empty pieces at the start and at the end are dropped
    and empty pieces between separators kept: the page splits
    ``<2007-01-01>test;bar`` by ``[<>;]`` into exactly ``part[0]``,
    ``part[1]`` and ``part[2]``, so the empty piece before the leading ``<``
    is not counted, and Java's ``String.split`` drops the trailing ones;
    ``a,,b`` still gives three pieces.  An empty match does not split at the
    very start or end of the value.

``split(field=_events, strip=false)``
    One event per array index found among ``<field>[N]...`` fields, in index
    order; the element's fields are renamed ``<field>[N]`` -> ``<field>``
    (``<field>[N].x`` -> ``<field>.x``), the other elements' fields are
    removed, ``_index`` is set to N and an ``@id`` becomes ``<@id>__N`` (the
    page's example).  ``strip=true`` drops the ``<field>.`` prefix of the
    element's sub-fields (``_events[0].a`` -> ``a``); a scalar element is
    still written to ``<field>``.  An event without such fields passes
    unchanged (UNCONFIRMED).

``urlDecode(field, as=_urldecode)``
    Percent-decoding as UTF-8 with ``+`` as a space (Java's URLDecoder,
    UNCONFIRMED); a ``%`` not followed by two hex digits gives no value.

``base64Decode(field, charset=UTF-8, as=_base64Decode)``
    Characters outside the alphabet are ignored, invalid input gives no
    value, invalid code points become U+FFFD (the page's "Behavior on Invalid
    Encoding").  An unknown charset gives no value and W484.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import codecs
import datetime as dt
import re
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..lang.regex import Matcher, compile_translated, translate
from ..lang.values import parse_bool, parse_number
from ..limits import FORMAT_WIDTH_MAX, REPLACE_GROWTH_MAX, SPLIT_PIECES_MAX
from .registry import event_function, in_place, value_function

# --- regexes with match positions and numbered groups ---------------------------
#
# ``rt.regex`` gives a ``CompiledRegex`` that reports named-group values only,
# with unnamed groups compiled as non-capturing.  replace() needs `$1` and
# both replace() and splitString() need where each match is, so these compile
# the translated RE2 text themselves, after renaming every capturing group so
# that RE2 group k is the pattern's k-th group, as Java numbers them.

_GROUP_MARK = "\ue000"  # private-use character: no user group name contains it
_NAMED_OPEN = re.compile(r"\(\?P?<(?![=!])([^>]*)>")


def _number_groups(pattern: str) -> tuple[str, tuple[str | None, ...]]:
    """The pattern with each capturing group renamed to a synthetic name, and
    the user's name of each group (None for unnamed ones), in order."""
    out: list[str] = []
    names: list[str | None] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern.startswith("\\Q", i):
                end = pattern.find("\\E", i + 2)
                stop = n if end < 0 else end + 2
                out.append(pattern[i:stop])
                i = stop
            else:
                out.append(pattern[i : i + 2])
                i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i) and (end := pattern.find(":]", i + 2)) >= 0:
                out.append(pattern[i : end + 2])
                i = end + 2
                continue
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            j = i + 1
            j += pattern.startswith("^", j)
            j += pattern.startswith("]", j)
            out.append(pattern[i:j])
            in_class, i = True, j
            continue
        if c == "(":
            named = _NAMED_OPEN.match(pattern, i)
            if named is not None:
                names.append(named.group(1))
                i = named.end()
            elif pattern.startswith("(?", i):
                out.append("(?")
                i += 2
                continue
            else:
                names.append(None)
                i += 1
            out.append(f"(?<{_GROUP_MARK}{len(names)}>")
            continue
        out.append(c)
        i += 1
    return "".join(out), tuple(names)


@dataclass(frozen=True)
class _Numbered:
    re: Matcher
    names: tuple[str | None, ...]  # names[k - 1]: the user's name of group k


@lru_cache(maxsize=512)
def _numbered(pattern: str, flags: str) -> _Numbered:
    rewritten, names = _number_groups(pattern)
    translated = translate(rewritten, flags)
    expected = tuple(f"{_GROUP_MARK}{k}" for k in range(1, len(names) + 1))
    assert translated.group_fields == expected, "groups must keep their order"
    return _Numbered(compile_translated(translated), names)


def _matchable(text: str) -> str:
    """``text`` with lone surrogates (which UTF-8 cannot carry, so RE2 cannot
    read) as U+FFFD and split surrogate pairs joined."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _matches(regex: _Numbered, text: str):
    """Non-overlapping matches in ``text`` (already ``_matchable``) left to
    right; after an empty match the search resumes one character on."""
    pos, n = 0, len(text)
    while pos <= n:
        m = regex.re.search(text, pos)
        if m is None:
            return
        yield m
        start, end = m.span()
        pos = end if end > start else end + 1


# --- format ---------------------------------------------------------------------------


class _FormatError(Exception):
    """The format cannot produce a value for this event."""


_SPEC = re.compile(
    r"%(?:(?P<index>\d+)\$|(?P<prev><))?(?P<flags>[-#+ 0,(]*)(?P<width>\d+)?"
    r"(?:\.(?P<precision>\d+))?(?P<time>[tT])?(?P<conv>[a-zA-Z%])"
)
_NUMERIC_CONVERSIONS = frozenset("dixXofFeEgG")
_CONVERSIONS = frozenset("sSdixXofFeEgGcCbB%n")


@lru_cache(maxsize=256)
def _parse_format(text: str) -> tuple[object, ...]:
    """Literal strings and spec matches; raises _FormatError when malformed."""
    parts: list[object] = []
    pos = 0
    while True:
        percent = text.find("%", pos)
        if percent < 0:
            parts.append(text[pos:])
            return tuple(p for p in parts if p != "")
        parts.append(text[pos:percent])
        m = _SPEC.match(text, percent)
        if m is None:
            raise _FormatError(f"malformed format at {percent}")
        time = m.group("time")
        if time is None and m.group("conv") not in _CONVERSIONS:
            raise _FormatError(f"unknown conversion %{m.group('conv')}")
        for name in ("width", "precision"):
            if int(m.group(name) or 0) > FORMAT_WIDTH_MAX:
                # The checker refuses such a literal format (E207); this
                # keeps any other caller from building a huge value.
                raise _FormatError(f"{name} over {FORMAT_WIDTH_MAX:,}")
        parts.append(m)
        pos = m.end()


def format_value(spec: str, values: list[str | None], zone: dt.tzinfo) -> str:
    """``spec`` applied to ``values`` (None for a missing field); raises
    _FormatError when no value can be produced."""
    out: list[str] = []
    ordinary = 0
    last: int | None = None
    for part in _parse_format(spec):
        if isinstance(part, str):
            out.append(part)
            continue
        assert isinstance(part, re.Match)
        conv = part.group("conv")
        if part.group("time") is None and conv in "%n":
            text = "%" if conv == "%" else "\n"
            out.append(_justify(text, part.group("flags"), part.group("width")))
            continue
        if part.group("index") is not None:
            index = int(part.group("index")) - 1
        elif part.group("prev") is not None:
            if last is None:
                raise _FormatError("%< with no previous argument")
            index = last
        else:
            index = ordinary
            ordinary += 1
        if not 0 <= index < len(values) or values[index] is None:
            raise _FormatError("missing argument")
        last = index
        out.append(_convert(part, values[index], zone))  # type: ignore[arg-type]
    return "".join(out)


def _convert(spec: re.Match, value: str, zone: dt.tzinfo) -> str:
    flags = spec.group("flags")
    width = spec.group("width")
    precision = spec.group("precision")
    conv = spec.group("conv")
    if ("-" in flags or "0" in flags) and width is None:
        raise _FormatError("flag needs a width")
    if "-" in flags and "0" in flags:
        raise _FormatError("'-' and '0' together")
    if spec.group("time") is not None:
        text = _time(conv, value, zone)
        if spec.group("time") == "T":
            text = text.upper()
        return _justify(text, flags, width)
    if conv in _NUMERIC_CONVERSIONS:
        return _number(conv, value, flags, width, precision)
    if conv in "sS":
        text = value if precision is None else value[: int(precision)]
    elif conv in "cC":
        text = _char(value)
    else:  # b, B
        text = "false" if parse_bool(value) is False else "true"
        if precision is not None:
            text = text[: int(precision)]
    if conv.isupper():
        text = text.upper()
    return _justify(text, flags, width)


def _justify(text: str, flags: str, width: str | None) -> str:
    if width is None:
        return text
    size = int(width)
    return text.ljust(size) if "-" in flags else text.rjust(size)


def _decimal(value: str) -> Decimal:
    if parse_number(value) is None:
        raise _FormatError(f"not a number: {value!r}")
    return Decimal(value)


def _integral(value: str) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise _FormatError(f"not an integer: {value!r}")
    return int(number)


def _char(value: str) -> str:
    if parse_number(value) is None:
        if len(value) != 1:
            raise _FormatError(f"not a character: {value!r}")
        return value
    code = _integral(value)
    if not 0 <= code <= 0x10FFFF:
        raise _FormatError(f"not a code point: {code}")
    return chr(code)


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    return ",".join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


def _number(conv: str, value: str, flags: str, width: str | None, precision: str | None) -> str:
    digits = 6 if precision is None else int(precision)
    with localcontext() as ctx:  # exact: as many digits as the value and precision need
        ctx.prec = len(value) + digits + 32
        try:
            return _number_text(conv, value, flags, width, precision, digits)
        except InvalidOperation:
            raise _FormatError(f"cannot format {value!r}") from None


def _number_text(
    conv: str, value: str, flags: str, width: str | None, precision: str | None, digits: int
) -> str:
    if conv in "dixXo":
        if precision is not None:
            raise _FormatError("precision with an integer conversion")
        number = _integral(value)
        if conv in "di":
            body = str(abs(number))
            return _signed(number < 0, _group(body) if "," in flags else body, flags, width)
        if "," in flags or "+" in flags or " " in flags or "(" in flags:
            raise _FormatError(f"flag not allowed with %{conv}")
        if -(1 << 63) <= number < 0:
            number += 1 << 64  # a Java long prints in two's complement
        body = format(abs(number), "x" if conv in "xX" else "o")
        radix = ("0x" if conv in "xX" else "0") if "#" in flags else ""
        text = _signed(number < 0, body, flags, width, radix=radix)
        return text.upper() if conv == "X" else text
    number = _decimal(value)
    magnitude = abs(number)
    if conv in "fF":
        body = _fixed(magnitude, digits, "," in flags)
    elif conv in "eE":
        if "," in flags:
            raise _FormatError("',' with %e")
        body = _scientific(magnitude, digits)
    else:
        body = _general(magnitude, max(digits, 1), "," in flags)
    text = _signed(number.is_signed(), body, flags, width)
    return text.upper() if conv.isupper() else text


def _fixed(magnitude: Decimal, digits: int, grouped: bool) -> str:
    rounded = magnitude.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = format(rounded, "f")
    whole, dot, fraction = text.partition(".")
    if grouped:
        whole = _group(whole)
    return whole + dot + fraction


def _scientific(magnitude: Decimal, digits: int) -> str:
    if magnitude == 0:
        mantissa, exponent = Decimal(0), 0
    else:
        exponent = magnitude.adjusted()
        mantissa = magnitude.scaleb(-exponent)
        mantissa = mantissa.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        if mantissa >= 10:
            exponent += 1
            mantissa = (mantissa / 10).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    sign = "-" if exponent < 0 else "+"
    return f"{format(mantissa.quantize(Decimal(1).scaleb(-digits)), 'f')}e{sign}{abs(exponent):02d}"


def _general(magnitude: Decimal, digits: int, grouped: bool) -> str:
    """Java's %g: ``digits`` significant digits, fixed notation when the
    rounded value is in [1e-4, 10^digits), scientific otherwise."""
    if magnitude == 0:
        return _fixed(magnitude, digits - 1, grouped)
    exponent = magnitude.adjusted()
    rounded = magnitude.quantize(Decimal(1).scaleb(exponent - digits + 1), rounding=ROUND_HALF_UP)
    if Decimal("1e-4") <= rounded < Decimal(10) ** digits:
        return _fixed(magnitude, max(digits - 1 - rounded.adjusted(), 0), grouped)
    if grouped:
        raise _FormatError("',' with scientific %g")
    return _scientific(magnitude, digits - 1)


def _signed(negative: bool, body: str, flags: str, width: str | None, radix: str = "") -> str:
    """Sign (or parentheses), radix prefix, zero padding and justification."""
    suffix = ""
    if negative and "(" in flags:
        prefix, suffix = "(", ")"
    elif negative:
        prefix = "-"
    elif "+" in flags:
        prefix = "+"
    elif " " in flags:
        prefix = " "
    else:
        prefix = ""
    prefix += radix
    if "0" in flags and width is not None:
        body = body.rjust(int(width) - len(prefix) - len(suffix), "0")
    return _justify(prefix + body + suffix, flags, width)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TIME_COMPOSITES = {"R": "HM", "T": "HMS", "r": "IMSp", "D": "mdy", "F": "Ymd", "c": "abdTZY"}


def _time(conv: str, value: str, zone: dt.tzinfo) -> str:
    millis = _integral(value)
    try:
        moment = (_EPOCH + dt.timedelta(milliseconds=millis)).astimezone(zone)
    except OverflowError:
        raise _FormatError(f"time out of range: {millis}") from None
    return _time_part(conv, moment, millis)


def _time_part(conv: str, t: dt.datetime, millis: int) -> str:
    simple = {
        "H": f"{t.hour:02d}",
        "I": f"{(t.hour % 12) or 12:02d}",
        "k": str(t.hour),
        "l": str((t.hour % 12) or 12),
        "M": f"{t.minute:02d}",
        "S": f"{t.second:02d}",
        "L": f"{t.microsecond // 1000:03d}",
        "N": f"{t.microsecond * 1000:09d}",
        "p": "am" if t.hour < 12 else "pm",
        "z": t.strftime("%z"),
        "Z": t.tzname() or "",
        "s": str(millis // 1000),
        "Q": str(millis),
        "B": calendar.month_name[t.month],
        "b": calendar.month_abbr[t.month],
        "h": calendar.month_abbr[t.month],
        "A": calendar.day_name[t.weekday()],
        "a": calendar.day_abbr[t.weekday()],
        "C": f"{t.year // 100:02d}",
        "Y": f"{t.year:04d}",
        "y": f"{t.year % 100:02d}",
        "j": f"{t.timetuple().tm_yday:03d}",
        "m": f"{t.month:02d}",
        "d": f"{t.day:02d}",
        "e": str(t.day),
    }
    if conv in simple:
        return simple[conv]
    if conv in _TIME_COMPOSITES:
        pieces = [_time_part(c, t, millis) for c in _TIME_COMPOSITES[conv]]
        if conv == "r":
            return f"{pieces[0]}:{pieces[1]}:{pieces[2]} {pieces[3].upper()}"
        if conv == "D":
            return "/".join(pieces)
        if conv == "F":
            return "-".join(pieces)
        if conv == "c":
            return " ".join(pieces)
        return ":".join(pieces)
    raise _FormatError(f"unknown time conversion %t{conv}")


@lru_cache(maxsize=64)
def _zone(name: str | None) -> dt.tzinfo | None:
    if name is None or name.upper() in ("UTC", "Z", "GMT"):
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@value_function("format")
def format_(rt, call, event):
    zone = _zone(call.get("timezone"))
    if zone is None:
        rt.warn("W412", f"format(): unknown timezone {call.get('timezone')!r}")
        return None
    values = [event.get(name) for name in call.get("field") or ()]
    try:
        return format_value(call.get("format"), values, zone)
    except _FormatError:
        return None


# --- replace --------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _template(text: str, names: tuple[str | None, ...]) -> tuple[str | int, ...]:
    """A replacement string as literal text and group numbers: 0 is the
    whole match, -1 a group the regex does not have."""
    parts: list[str | int] = []
    literal: list[str] = []
    count = len(names)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            literal.append(text[i + 1])
            i += 2
            continue
        if c == "$" and i + 1 < n and text[i + 1].isdigit():
            ref = int(text[i + 1])
            i += 2
            while ref and i < n and text[i].isdigit() and ref * 10 + int(text[i]) <= count:
                ref = ref * 10 + int(text[i])
                i += 1
            group: str | int = ref if ref <= count else -1
        elif c == "$" and text.startswith("{", i + 1) and (close := text.find("}", i + 2)) > 0:
            name = text[i + 2 : close]
            group = names.index(name) + 1 if name in names else -1
            i = close + 1
        else:
            literal.append(c)
            i += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(group)
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _replace_text(rt, call, text: str) -> str:
    pattern, literal_flags = call.get("regex")
    flags = literal_flags + (
        call.get("flags") if call.given("flags") else ("" if literal_flags else "m")
    )
    regex = _numbered(pattern, "".join(dict.fromkeys(flags.replace("g", ""))))
    replacement = call.get("with") if call.given("with") else call.get("replacement")
    template = _template(replacement or "", regex.names)
    text = _matchable(text)
    out: list[str] = []
    last = 0
    budget = len(text) + REPLACE_GROWTH_MAX  # characters the result may have
    for m in _matches(regex, text):
        start, end = m.span()
        if start > last:
            out.append(text[last:start])
            budget -= start - last
        for part in template:
            if isinstance(part, str):
                out.append(part)
                budget -= len(part)
            elif part == 0:
                out.append(m.group(0))
                budget -= end - start
            elif part < 0:
                rt.warn(
                    "W411",
                    f"replace(): the replacement {replacement!r} names a group "
                    "the regex does not have; it is replaced by nothing",
                )
            else:
                piece = m.group(part) or ""
                out.append(piece)
                budget -= len(piece)
        if budget < 0:
            rt.warn(
                "W414",
                f"replace(): the result would be over {REPLACE_GROWTH_MAX >> 20} MiB "
                "longer than the value; the value is left as it was",
            )
            return text
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


@in_place("replace")
def replace_value(rt, call, event):
    value = event.get(call.get("field"))
    return None if value is None else _replace_text(rt, call, value)


# --- splitString ----------------------------------------------------------------------


def _split_pieces(call, text: str, most: int | None = None) -> list[str]:
    """The pieces of ``text``, empty ones at the start and end dropped; with
    ``most``, the search stops at the first piece past ``most`` (so at most
    ``most + 1`` are returned).  Empty pieces are held as a count until a
    piece follows them, so trailing ones never take memory."""
    by = call.get("by")
    pattern, flags = by if isinstance(by, tuple) else (by, "")
    regex = _numbered(pattern, flags.replace("g", ""))
    text = _matchable(text)
    pieces: list[str] = []
    empty = 0  # empty pieces since the last kept one
    last, n = 0, len(text)
    for m in _matches(regex, text):
        start, end = m.span()
        if start == end and (start == 0 or start >= n):
            continue
        if start == last:
            empty += 1
        else:
            if pieces:  # leading empty pieces are dropped
                pieces.extend([""] * min(empty, (most or n) + 1))
            pieces.append(text[last:start])
            empty = 0
            if most is not None and len(pieces) > most:
                return pieces[: most + 1]
        last = end
    if last < n:
        if pieces:
            pieces.extend([""] * min(empty, (most or n) + 1))
        pieces.append(text[last:])
    return pieces if most is None else pieces[: most + 1]


def _split_index(call, pieces: list[str]) -> str | None:
    index = int(call.get("index"))
    if index < 0:
        index += len(pieces)
    return pieces[index] if 0 <= index < len(pieces) else None


@event_function("splitString")
def split_string(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return [event]
    target = str(call.get("as"))
    if call.given("index"):
        piece = _split_index(call, _split_pieces(call, value))
        return [event if piece is None else event.with_fields({target: piece})]
    pieces = _split_pieces(call, value, SPLIT_PIECES_MAX)
    if len(pieces) > SPLIT_PIECES_MAX:
        rt.warn(
            "W413",
            f"splitString() found more than {SPLIT_PIECES_MAX:,} pieces; "
            "only the first are written",
        )
        pieces = pieces[:SPLIT_PIECES_MAX]
    return [event.with_fields({f"{target}[{i}]": p for i, p in enumerate(pieces)})]


@value_function("splitString")
def split_string_value(rt, call, event):
    value = event.get(call.get("field"))
    if value is None or not call.given("index"):
        return None
    return _split_index(call, _split_pieces(call, value))


# --- split ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _element_pattern(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base) + r"\[(\d+)\](.*)", re.DOTALL)


@event_function("split")
def split(rt, call, event):
    base = call.get("field")
    strip = call.get("strip")
    element = _element_pattern(base)
    elements: dict[int, dict[str, str]] = {}
    rest: dict[str, str] = {}
    for name, value in event.fields.items():
        m = element.fullmatch(name)
        if m is None:
            rest[name] = value
            continue
        index, tail = int(m.group(1)), m.group(2)
        renamed = tail[1:] if strip and tail.startswith(".") else base + tail
        elements.setdefault(index, {})[renamed] = value
    if not elements:
        return [event]
    out = []
    for index in sorted(elements):
        fields = dict(rest)
        fields.update(elements[index])
        fields["_index"] = str(index)
        if "@id" in rest:
            fields["@id"] = f"{rest['@id']}__{index}"
        piece = event.copy()
        piece.fields = fields
        out.append(piece)
    return out


# --- urlDecode, base64Decode --------------------------------------------------

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
