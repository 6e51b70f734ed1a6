"""Time functions: formatTime, parseTimestamp, findTimestamp, the time:
parts (time:hour ...), now, bucket, timeChart.

Timestamps are epoch milliseconds written as decimal strings, as LogScale
stores ``@timestamp``; ``@timestamp`` falls back to Falcon's ``timestamp``
(see ``events.field_value``).

formatTime(format, field=@timestamp, as, timezone=UTC, locale, unit)
    ``format`` uses the date/time conversions of Java's ``Formatter`` that
    the LogScale page lists, written ``%X``: H I k l M S L N p z Z s Q B b h
    A a C Y y j m d e R T r D F c, plus ``%%`` and ``%n``.  A directive
    outside that set is kept as written (warning W462).  The input is read
    as milliseconds, seconds, or by magnitude (``auto``: at most
    100,000,000,000 means seconds); a non-numeric or missing input gives no
    value.  Names of months and days are English (warning W463 for another
    language).

parseTimestamp(format, field, as=@timestamp, timezone, timezoneAs=@timezone,
               addErrors=true, caseSensitive=true, unit)
    ``format`` is a Java ``DateTimeFormatter`` pattern or one of the special
    formats millis, milliseconds, unixTimeMillis, seconds, unixTimeSeconds,
    unixtime (seconds; ``unit=`` changes it) and nanos, in any letter case.
    The whole value must match; a fraction (``S`` to ``SSSSSSSSS``) takes 1
    to 9 digits.  The result is epoch milliseconds (a finer fraction is
    truncated); the zone used goes to ``timezoneAs`` ("Z" for
    UTC offsets and epoch formats).  A zone in the text wins over
    ``timezone=`` (Java's ``withZone`` rule); text without a zone and no
    ``timezone=`` is a failure.  Dates resolve as Java's SMART style does:
    a day past the end of its month becomes the month's last day, 24:00
    becomes midnight of the next day.  A missing year is the current year,
    or the year before when that date would lie more than a day ahead.  On
    failure the output is not written and, with ``addErrors=true``, the
    event gets ``@error=true`` and ``@error_msg``; it is kept either way.
    An event without the input field is left unchanged.

findTimestamp(field=@rawstring, as=@timestamp, timezone, timezoneField,
              timezoneAs=@timezone, addErrors=true)
    Finds the first ``yyyy-MM-dd[T ]HH:mm[:ss[.f]][zone]`` (``/`` also
    separates the date) starting within the first 128 characters (page) --
    a subset of the formats LogScale tries (UNCONFIRMED).  A zone in the
    text wins, else ``timezone``, else the zone in the ``timezoneField``
    field; without any the timestamp is not parsed (page).  Zones are read
    as formatTime reads them.  Failure adds ``@error`` and ``@error_msg``
    when ``addErrors``; a missing field changes nothing.

time:dayOfMonth, time:dayOfWeek, time:dayOfWeekName, time:dayOfYear,
time:hour, time:millisecond, time:minute, time:month, time:monthName,
time:second, time:weekOfYear, time:year (field=@timestamp, as, timezone,
timezoneField=@timezone)
    The part of the epoch milliseconds in ``field`` in ``timezone``, else in
    the zone named by the ``timezoneField`` field, else UTC (offline, the
    query's zone).  English day and month names.

now(as=_now)
    ``rt.now_millis()``.

bucket(span, buckets, field, function=count(), limit=10, minSpan, timezone,
       unit)
timeChart(series, function=count(), span, buckets, limit=10, minSpan,
          timezone, unit)
    Events are grouped by the start of their time bucket (``_bucket``, epoch
    milliseconds) and by the series fields (``field`` / ``series``; an event
    missing one counts toward no series, as in groupBy).  Events without a
    numeric timestamp are skipped (W465 counts the non-numeric ones).
    ``span`` buckets are aligned to multiples of the span in ``timezone``
    (UTC by default; a day span starts at local midnight, also across DST).
    ``buckets=N`` splits the interval from the first to the last timestamp
    into N equal spans starting at the first one.  Without either, the span
    is the smallest of 1s, 2s, 5s, ... 1d, 7d, ... that gives at most 1,500
    aligned buckets.  ``minSpan`` is a floor for every span.  ``limit``
    keeps the series with the highest aggregate value over the whole
    interval (ties: first seen) and drops the others (W464 unless ``limit``
    was given); ``max`` is 500.  ``function=`` takes what groupBy's does
    (aggregates, a stage such as ``tail(1)``, ``{ ... }`` composites).
    ``unit`` converts numeric outputs, e.g. ``"bytes/span to Kbytes/day"``
    (one conversion for all, or one per aggregate).  Rows hold ``_bucket``,
    the series fields and the aggregate outputs; they are ordered by bucket,
    then by series values; buckets without events have no row.

Warnings: W461 unknown timezone, W462 unsupported formatTime directive,
W463 non-English locale, W464 series limit, W465 non-numeric timestamps
skipped, W466 invalid parseTimestamp pattern, W467 unreadable unit.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..lang.durations import parse_duration
from ..lang.events import TIMESTAMP, Event
from ..lang.values import format_number, parse_number
from ..limits import FIND_TIMESTAMP_CHARS, MAX_BUCKETS, SERIES_LIMIT_MAX
from ..semantics.checked import LIMIT_MAX, BoundCall
from .aggregates import Combined
from .registry import event_function, stage_function, value_function, with_error
from .sequences import window_outputs
from .stages import apply_function, default_count

AUTO_SECONDS_LIMIT = 100_000_000_000  # unit=auto: at most this is seconds
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- time zones ----------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """A time zone: a region with rules, or a fixed offset (``fixed_ms``)."""

    tz: tzinfo
    ident: str  # Java's ZoneId text: "Europe/Copenhagen", "UTC", "+05:30", "Z"
    fixed_ms: int | None = None

    def offset_ms(self, millis: int) -> int:
        """The offset from UTC in force at ``millis`` (0 outside years 1-9999)."""
        if self.fixed_ms is not None:
            return self.fixed_ms
        local = _local(millis, self)
        offset = None if local is None else local.utcoffset()
        return 0 if offset is None else offset // _MS


UTC_ZONE = Zone(UTC, "Z", 0)
_UT_ZONE = Zone(UTC, "UT", 0)
_OFFSET = re.compile(r"(UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?", re.IGNORECASE)


def _fixed(
    sign: str, hours: str, minutes: str | None, seconds: str | None, prefix: str
) -> Zone | None:
    total = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    if int(hours) > 18 or int(minutes or 0) > 59 or int(seconds or 0) > 59 or total > 18 * 3600:
        return None
    total = -total if sign == "-" else total
    if total == 0 and not prefix:
        return UTC_ZONE
    ident = prefix.upper() + _offset_id(total)
    return Zone(timezone(timedelta(seconds=total)), ident, total * 1000)


def _offset_id(seconds: int) -> str:
    """``+hh:mm``, or ``+hh:mm:ss`` when there are seconds (Java's offset id)."""
    body = f"{abs(seconds) // 3600:02d}:{abs(seconds) % 3600 // 60:02d}"
    if seconds % 60:
        body += f":{abs(seconds) % 60:02d}"
    return ("-" if seconds < 0 else "+") + body


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@lru_cache(maxsize=256)
def resolve_zone(text: str) -> Zone | None:
    """A zone from an IANA name (any letter case), ``UTC``/``GMT``/``Z``, or
    an offset such as ``+05:30``, ``-0800``, ``+02`` or ``UTC+12:30``."""
    name = text.strip()
    if not name:
        return None
    if name.upper() == "Z":
        return UTC_ZONE
    if name.upper() == "UT":
        return _UT_ZONE
    m = _OFFSET.fullmatch(name)
    if m:
        return _fixed(m.group(2), m.group(3), m.group(4), m.group(5), m.group(1) or "")
    if "/" not in name and name.upper() in ("UTC", "GMT", "UT"):
        name = name.upper()
    try:
        return Zone(ZoneInfo(name), name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    canonical = _zone_names().get(name.lower())
    if canonical is None:
        return None
    return Zone(ZoneInfo(canonical), canonical)


def _call_zone(rt, call: BoundCall, default: Zone | None = UTC_ZONE) -> Zone | None:
    text = call.get("timezone")
    if text is None:
        return default
    zone = resolve_zone(str(text))
    if zone is None:
        rt.warn(
            "W461",
            f"{call.spec.name}(): unknown timezone {text!r}; "
            "expected an IANA name such as Europe/London or an offset such as +02:00",
        )
    return zone


# --- epoch values ------------------------------------------------------------------


def epoch_millis(value: str | None, unit: str) -> int | None:
    """Epoch milliseconds from a numeric field value read as ``unit``
    (milliseconds, seconds or auto); None when the value is not a number."""
    if parse_number(value) is None:
        return None
    try:
        number = Decimal(value)  # exact: 1625677530.308 seconds is 1625677530308 ms
    except InvalidOperation:
        return None
    if unit == "seconds" or (unit == "auto" and number <= AUTO_SECONDS_LIMIT):
        number *= 1000
    return int(number.to_integral_value(rounding=ROUND_FLOOR))


def _local(millis: int, zone: Zone) -> datetime | None:
    try:
        return (_EPOCH + timedelta(milliseconds=millis)).astimezone(zone.tz)
    except (OverflowError, ValueError):
        return None


# --- formatTime --------------------------------------------------------------------

_COMPOSITE = {
    "R": "%H:%M",
    "T": "%H:%M:%S",
    "r": "%I:%M:%S %P",  # %P: the upper-case marker that Java's %Tp gives
    "D": "%m/%d/%y",
    "F": "%Y-%m-%d",
    "c": "%a %b %d %T %Z %Y",
}


def _offset_text(offset_ms: int) -> str:
    minutes = abs(offset_ms) // 60_000
    return f"{'-' if offset_ms < 0 else '+'}{minutes // 60:02d}{minutes % 60:02d}"


def _hour12(dt: datetime) -> int:
    return dt.hour % 12 or 12


# One formatter per directive: (local time, epoch milliseconds) -> text.
_DIRECTIVES: dict[str, Callable[[datetime, int], str]] = {
    "H": lambda dt, ms: f"{dt.hour:02d}",
    "I": lambda dt, ms: f"{_hour12(dt):02d}",
    "k": lambda dt, ms: str(dt.hour),
    "l": lambda dt, ms: str(_hour12(dt)),
    "M": lambda dt, ms: f"{dt.minute:02d}",
    "S": lambda dt, ms: f"{dt.second:02d}",
    "L": lambda dt, ms: f"{ms % 1000:03d}",
    "N": lambda dt, ms: f"{ms % 1000 * 1_000_000:09d}",
    "p": lambda dt, ms: "am" if dt.hour < 12 else "pm",
    "s": lambda dt, ms: str(ms // 1000),
    "Q": lambda dt, ms: str(ms),
    "B": lambda dt, ms: _MONTHS[dt.month - 1],
    "b": lambda dt, ms: _MONTHS[dt.month - 1][:3],
    "h": lambda dt, ms: _MONTHS[dt.month - 1][:3],
    "A": lambda dt, ms: _DAYS[dt.weekday()],
    "a": lambda dt, ms: _DAYS[dt.weekday()][:3],
    "C": lambda dt, ms: f"{dt.year // 100:02d}",
    "Y": lambda dt, ms: f"{dt.year:04d}",
    "y": lambda dt, ms: f"{dt.year % 100:02d}",
    "j": lambda dt, ms: f"{dt.timetuple().tm_yday:03d}",
    "m": lambda dt, ms: f"{dt.month:02d}",
    "d": lambda dt, ms: f"{dt.day:02d}",
    "e": lambda dt, ms: str(dt.day),
    "z": lambda dt, ms: _offset_text(dt.utcoffset() // _MS if dt.utcoffset() else 0),
    "%": lambda dt, ms: "%",
    "n": lambda dt, ms: "\n",
}


def _directive(code: str, dt: datetime, millis: int, zone: Zone, internal: bool) -> str | None:
    if code == "Z":  # Java prints an offset zone's id and a region's abbreviation
        return zone.ident if zone.fixed_ms is not None else (dt.tzname() or zone.ident)
    if code == "P" and internal:  # the upper-case marker of %r (Java's %Tp)
        return "AM" if dt.hour < 12 else "PM"
    fn = _DIRECTIVES.get(code)
    return None if fn is None else fn(dt, millis)


def format_time(fmt: str, millis: int, zone: Zone, rt=None) -> str | None:
    """``fmt`` applied to the instant ``millis`` seen in ``zone``; None when
    the instant is outside the years 1-9999."""
    dt = _local(millis, zone)
    if dt is None:
        return None
    return _render(fmt, dt, millis, zone, rt, internal=False)


def _render(fmt: str, dt: datetime, millis: int, zone: Zone, rt, internal: bool) -> str:
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%" or i + 1 == len(fmt):
            out.append(ch)
            i += 1
            continue
        code = fmt[i + 1]
        i += 2
        if code in _COMPOSITE:
            out.append(_render(_COMPOSITE[code], dt, millis, zone, rt, internal=True))
            continue
        text = _directive(code, dt, millis, zone, internal)
        if text is None:
            if rt is not None:
                rt.warn(
                    "W462", f"formatTime(): %{code} is not a supported directive; kept as written"
                )
            text = "%" + code
        out.append(text)
    return "".join(out)


def _locale_warning(rt, call: BoundCall) -> None:
    locale = call.get("locale")
    if locale is None:
        return
    language = re.split(r"[_-]", str(locale))[0].lower()
    if language not in ("", "en", "us", "gb", "uk", "root"):
        rt.warn(
            "W463",
            f"{call.spec.name}(): locale {locale!r} is not supported offline; "
            "month and day names are English",
        )


@value_function("formatTime")
def format_time_fn(rt, call, event):
    zone = _call_zone(rt, call)
    if zone is None:
        return None
    _locale_warning(rt, call)
    millis = epoch_millis(event.get(str(call.get("field"))), str(call.get("unit")))
    if millis is None:
        return None
    return format_time(str(call.get("format")), millis, zone, rt)


# --- now ---------------------------------------------------------------------------


@value_function("now")
def now(rt, call, event):
    return str(rt.now_millis())


# --- parseTimestamp: Java DateTimeFormatter patterns -----------------------------------

_EPOCH_FORMATS = {
    "millis": "milliseconds",
    "milliseconds": "milliseconds",
    "unixtimemillis": "milliseconds",
    "seconds": "seconds",
    "unixtimeseconds": "seconds",
    "unixtime": "unixtime",
    "nanos": "nanos",
}
_ZONE_WORD = r"[A-Za-z][A-Za-z0-9_/+-]*"
_ZONE_NAMES = {
    "UTC": "UTC",
    "UT": "UTC",
    "GMT": "GMT",
    "Z": "Z",
    "Coordinated Universal Time": "UTC",
    "Greenwich Mean Time": "GMT",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "Eastern Standard Time": "America/New_York",
    "Eastern Daylight Time": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "Central Standard Time": "America/Chicago",
    "Central Daylight Time": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "Mountain Standard Time": "America/Denver",
    "Mountain Daylight Time": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "Pacific Standard Time": "America/Los_Angeles",
    "Pacific Daylight Time": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "AKDT": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "CET": "CET",
    "CEST": "CET",
    "Central European Time": "CET",
    "Central European Standard Time": "CET",
    "Central European Summer Time": "CET",
    "EET": "EET",
    "EEST": "EET",
    "WET": "WET",
    "WEST": "WET",
    "BST": "Europe/London",
    "MSK": "Europe/Moscow",
    "IST": "Asia/Kolkata",
    "SGT": "Asia/Singapore",
    "HKT": "Asia/Hong_Kong",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AWST": "Australia/Perth",
    "ACST": "Australia/Adelaide",
    "ACDT": "Australia/Adelaide",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
}


def _words(names) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def _offset_regex(letter: str, count: int) -> str | None:
    z = "Z|" if letter == "X" or (letter == "Z" and count == 5) else ""
    if letter in "Xx":
        body = {
            1: r"[+-]\d{2}(?:\d{2})?",
            2: r"[+-]\d{4}",
            3: r"[+-]\d{2}:\d{2}",
            4: r"[+-]\d{4}(?:\d{2})?",
            5: r"[+-]\d{2}:\d{2}(?::\d{2})?",
        }.get(count)
        return None if body is None else z + body
    if letter == "Z":
        if count <= 3:
            return r"[+-]\d{4}"
        if count == 4:
            return r"GMT(?:[+-]\d{2}:\d{2}(?::\d{2})?)?|Z|[+-]\d{2}:\d{2}"
        return r"Z|[+-]\d{2}:\d{2}(?::\d{2})?" if count == 5 else None
    if letter == "O":
        if count == 1:
            return r"GMT(?:[+-]\d{1,2}(?::\d{2}(?::\d{2})?)?)?"
        return r"GMT(?:[+-]\d{2}:\d{2}(?::\d{2})?)?" if count == 4 else None
    return None


def _letter_regex(letter: str, count: int) -> str | None:
    """The regex one run of a pattern letter matches, or None when cqlmatch
    does not support that letter and count."""
    digits = {1: r"\d{1,2}", 2: r"\d{2}"}
    if letter in "yu":
        if count == 2:
            return r"\d{2}"
        return r"\d{1,9}" if count == 1 else (rf"\d{{{count},9}}" if count <= 9 else None)
    if letter in "ML":
        if count <= 2:
            return digits[count]
        return {3: _words(m[:3] for m in _MONTHS), 4: _words(_MONTHS)}.get(count)
    if letter in "dHkKhms":
        return digits.get(count)
    if letter == "D":
        return {1: r"\d{1,3}", 2: r"\d{2,3}", 3: r"\d{3}"}.get(count)
    if letter in "Sn":
        return r"\d{1,9}" if count <= 9 else None
    if letter == "A":
        return r"\d{1,8}"
    if letter == "a":
        return "AM|PM" if count == 1 else None
    if letter == "E":
        if count <= 3:
            return _words(d[:3] for d in _DAYS)
        return _words(_DAYS) if count == 4 else None
    if letter == "G":
        if count <= 3:
            return "AD|BC"
        return "Anno Domini|Before Christ" if count == 4 else None
    if letter in "XxZO":
        return _offset_regex(letter, count)
    if letter == "z":
        if count <= 3:
            return _ZONE_WORD
        return _words(n for n in _ZONE_NAMES if " " in n) + "|" + _ZONE_WORD if count == 4 else None
    if letter == "V":
        return rf"Z|[+-]\d{{2}}(?::?\d{{2}})?|{_ZONE_WORD}" if count == 2 else None
    return None


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    fields: tuple[tuple[str, str, int], ...]  # (group name, letter, count)


@lru_cache(maxsize=512)
def compile_pattern(pattern: str, case_sensitive: bool = True) -> _Pattern | str:
    """A DateTimeFormatter pattern as a whole-value regex, or an error message."""
    parts: list[str] = []
    fields: list[tuple[str, str, int]] = []
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = i + 1
            text = []
            while True:
                if end >= len(pattern):
                    return f"unterminated quote in {pattern!r}"
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            parts.append(re.escape("".join(text) if end > i + 1 else "'"))
            i = end + 1
            continue
        if ch == "[":
            parts.append("(?:")
            depth += 1
        elif ch == "]":
            if depth == 0:
                return f"unmatched ']' in {pattern!r}"
            parts.append(")?")
            depth -= 1
        elif ch.isascii() and ch.isalpha():
            run = len(pattern) - i - len(pattern[i:].lstrip(ch))
            body = _letter_regex(ch, run)
            if body is None:
                return f"pattern letters {ch * run!r} are not supported"
            group = f"g{len(fields)}"
            fields.append((group, ch, run))
            parts.append(f"(?P<{group}>{body})")
            i += run
            continue
        elif ch in "#{}":
            return f"{ch!r} is reserved in {pattern!r}"
        else:
            parts.append(re.escape(ch))
        i += 1
    if depth:
        return f"unclosed '[' in {pattern!r}"
    flags = 0 if case_sensitive else re.IGNORECASE
    return _Pattern(re.compile("".join(parts), flags), tuple(fields))


def _name_index(text: str, names) -> int:
    lowered = text.lower()
    for index, name in enumerate(names):
        if name.lower() == lowered:
            return index
    raise ValueError(text)


def _parsed_zone(letter: str, text: str, case_sensitive: bool) -> Zone | None:
    if letter in "XxZO":
        if text.upper() in ("Z", "GMT"):
            return UTC_ZONE
        m = _OFFSET.fullmatch(text[3:] if text.upper().startswith("GMT") else text)
        return None if m is None else _fixed(m.group(2), m.group(3), m.group(4), m.group(5), "")
    if text == "Z":
        return UTC_ZONE
    name = _ZONE_NAMES.get(text)
    if name is None and not case_sensitive:
        name = next((v for k, v in _ZONE_NAMES.items() if k.lower() == text.lower()), None)
    if name is not None:
        return resolve_zone(name)
    m = _OFFSET.fullmatch(text)
    if m:
        return _fixed(m.group(2), m.group(3), m.group(4), m.group(5), "")
    return resolve_zone(text) if "/" in text else None


_KEYS = {
    "u": "year",
    "y": "year_of_era",
    "M": "month",
    "L": "month",
    "d": "day",
    "D": "day_of_year",
    "H": "hour",
    "k": "clock_hour",
    "K": "hour_of_ampm",
    "h": "clock_hour_of_ampm",
    "m": "minute",
    "s": "second",
    "S": "nano",
    "n": "nano",
    "A": "milli_of_day",
    "a": "ampm",
    "E": "day_of_week",
    "G": "era",
}


def _field_value(letter: str, count: int, text: str) -> int:
    if letter in "ML" and count >= 3:
        return _name_index(text, _MONTHS if count == 4 else [m[:3] for m in _MONTHS]) + 1
    if letter == "E":
        return _name_index(text, _DAYS if count == 4 else [d[:3] for d in _DAYS])
    if letter == "a":
        return 0 if text.upper() == "AM" else 1
    if letter == "G":
        return 1 if text.upper() in ("AD", "ANNO DOMINI") else 0
    if letter == "S":
        return int(text.ljust(9, "0"))
    if letter in "yu" and count == 2:
        return 2000 + int(text)
    return int(text)


def _extract(pattern: _Pattern, text: str, case_sensitive: bool):
    """The parsed field values and zone, or an error message."""
    m = pattern.regex.fullmatch(text)
    if m is None:
        return "does not match"
    values: dict[str, int] = {}
    zone: Zone | None = None
    for group, letter, count in pattern.fields:
        found = m.group(group)
        if found is None:
            continue
        if letter in "XxZOzV":
            parsed = _parsed_zone(letter, found, case_sensitive)
            if parsed is None:
                return f"unknown time zone {found!r}"
            if zone is not None and zone != parsed:
                return "conflicting time zones"
            zone = parsed
            continue
        key = _KEYS[letter]
        value = _field_value(letter, count, found)
        if values.setdefault(key, value) != value:
            return f"conflicting values for {key.replace('_', ' ')}"
    return values, zone


def _hour(values: dict[str, int]) -> int | str:
    if "hour" in values:
        return values["hour"]
    if "clock_hour" in values:
        clock = values["clock_hour"]
        return clock % 24 if 1 <= clock <= 24 else "hour out of range"
    pm = values.get("ampm")
    if "clock_hour_of_ampm" in values:
        clock = values["clock_hour_of_ampm"]
        if not 1 <= clock <= 12:
            return "hour out of range"
        return clock if pm is None else clock % 12 + 12 * pm
    if "hour_of_ampm" in values:
        hour = values["hour_of_ampm"]
        if not 0 <= hour <= 11:
            return "hour out of range"
        return hour + 12 * (pm or 0)
    if "milli_of_day" in values:
        return values["milli_of_day"] // 3_600_000
    return 0


def _date(values: dict[str, int], year: int) -> date | str:
    if not 1 <= year <= 9999:
        return "year out of range"
    month, day = values.get("month"), values.get("day")
    if month is not None or day is not None:
        if month is None:
            return "no month"
        if not 1 <= month <= 12 or not 1 <= (day or 1) <= 31:
            return "date out of range"
        last = calendar.monthrange(year, month)[1]
        return date(year, month, min(day or 1, last))  # SMART: April 31 is April 30
    if "day_of_year" in values:
        ordinal = values["day_of_year"]
        if not 1 <= ordinal <= (366 if calendar.isleap(year) else 365):
            return "day of year out of range"
        return date(year, 1, 1) + timedelta(days=ordinal - 1)
    return "no date"


def _resolve(values: dict[str, int], zone: Zone, year: int) -> int | str:
    """Epoch milliseconds of the parsed fields in ``zone``, or an error."""
    day = _date(values, year)
    if isinstance(day, str):
        return day
    if "day_of_week" in values and day.weekday() != values["day_of_week"]:
        return "day of week does not match the date"
    hour = _hour(values)
    if isinstance(hour, str):
        return hour
    minute, second = values.get("minute", 0), values.get("second", 0)
    nano = values.get("nano", 0)
    if "milli_of_day" in values and "hour" not in values and "minute" not in values:
        rest = values["milli_of_day"] % 3_600_000
        minute, second, nano = rest // 60_000, rest % 60_000 // 1000, rest % 1000 * 1_000_000
    extra_days = 0
    if hour == 24 and minute == second == nano == 0:  # SMART: 24:00 is the next midnight
        hour, extra_days = 0, 1
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        return "time out of range"
    local = datetime(day.year, day.month, day.day, hour, minute, second)
    local += timedelta(days=extra_days)
    if zone.fixed_ms is not None:
        offset = zone.fixed_ms
    else:
        utcoffset = local.replace(tzinfo=zone.tz).utcoffset()
        offset = 0 if utcoffset is None else utcoffset // _MS
    return (local - _EPOCH_NAIVE) // _MS - offset + nano // 1_000_000


def parse_timestamp(
    text: str,
    fmt: str,
    zone: Zone | None,
    now_millis,
    case_sensitive: bool = True,
    unit: str | None = None,
) -> tuple[int, Zone] | str:
    """Epoch milliseconds and the zone used for ``text`` read with ``fmt``,
    or a message saying why it cannot be read.  ``zone`` is the zone for
    text without one; ``now_millis`` is called when the year is missing."""
    special = _EPOCH_FORMATS.get(fmt.strip().lower())
    if special is not None:
        return _parse_epoch(text, special, unit)
    pattern = compile_pattern(fmt, case_sensitive)
    if isinstance(pattern, str):
        return pattern
    extracted = _extract(pattern, text, case_sensitive)
    if isinstance(extracted, str):
        return extracted
    values, parsed_zone = extracted
    use = parsed_zone or zone
    if use is None:
        return "the text has no time zone and no timezone= was given"
    if "year" in values:
        return _with_year(values, use, values["year"])
    if "year_of_era" in values:
        era = values.get("era", 1)
        return _with_year(values, use, values["year_of_era"] if era else 1 - values["year_of_era"])
    now = now_millis()
    current = _local(now, use)
    year = current.year if current is not None else 1970
    result = _with_year(values, use, year)
    if not isinstance(result, str) and result[0] > now + _DAY_MS:
        result = _with_year(values, use, year - 1)  # a year-less date ahead of now is last year's
    return result


def _with_year(values: dict[str, int], zone: Zone, year: int) -> tuple[int, Zone] | str:
    millis = _resolve(values, zone, year)
    return millis if isinstance(millis, str) else (millis, zone)


def _parse_epoch(text: str, kind: str, unit: str | None) -> tuple[int, Zone] | str:
    if parse_number(text) is None:
        return "is not a number"
    number = Decimal(text)
    if kind == "unixtime":
        kind = "seconds" if unit is None else unit
        if kind == "auto":
            kind = "seconds" if number <= AUTO_SECONDS_LIMIT else "milliseconds"
    scale = {"seconds": Decimal(1000), "milliseconds": Decimal(1), "nanos": Decimal("1e-6")}[kind]
    millis = int((number * scale).to_integral_value(rounding=ROUND_FLOOR))
    return millis, UTC_ZONE


def _parse_call(rt, call: BoundCall, event: Event) -> tuple[int, Zone] | str | None:
    """The parse of ``call``'s input field: None when the event lacks it."""
    text = event.get(str(call.get("field")))
    if text is None:
        return None
    zone = _call_zone(rt, call, default=None)  # an unknown name warns (W461) and counts as none
    fmt = str(call.get("format"))
    case_sensitive = bool(call.get("caseSensitive"))
    if fmt.strip().lower() not in _EPOCH_FORMATS:
        pattern = compile_pattern(fmt, case_sensitive)
        if isinstance(pattern, str):  # a query error, not a data error: events stay as they are
            rt.warn("W466", f"parseTimestamp(): invalid format: {pattern}")
            return None
    unit = str(call.get("unit")) if call.given("unit") else None
    result = parse_timestamp(text, fmt, zone, rt.now_millis, case_sensitive, unit)
    if isinstance(result, str):
        return f"parseTimestamp(): could not parse {text!r} with format {fmt!r}: {result}"
    return result


@event_function("parseTimestamp")
def parse_timestamp_event(rt, call, event):
    result = _parse_call(rt, call, event)
    if result is None:
        return [event]
    if isinstance(result, str):
        return [with_error(event, result) if call.get("addErrors") else event]
    millis, zone = result
    target = str(call.get("as", call.spec.output))
    zone_field = str(call.get("timezoneAs") or "@timezone")
    return [event.with_fields({target: str(millis), zone_field: zone.ident})]


@value_function("parseTimestamp")
def parse_timestamp_value(rt, call, event):
    """parseTimestamp() inside an expression: just the milliseconds."""
    result = _parse_call(rt, call, event)
    return str(result[0]) if isinstance(result, tuple) else None


# --- the time: parts -----------------------------------------------------------------

_TIME_PARTS: dict[str, Callable[[datetime], str]] = {
    "time:dayOfMonth": lambda t: str(t.day),
    "time:dayOfWeek": lambda t: str(t.isoweekday()),
    "time:dayOfWeekName": lambda t: _DAYS[t.weekday()],
    "time:dayOfYear": lambda t: str(t.timetuple().tm_yday),
    "time:hour": lambda t: str(t.hour),
    "time:millisecond": lambda t: str(t.microsecond // 1000),
    "time:minute": lambda t: str(t.minute),
    "time:month": lambda t: str(t.month),
    "time:monthName": lambda t: _MONTHS[t.month - 1],
    "time:second": lambda t: str(t.second),
    "time:weekOfYear": lambda t: str(t.isocalendar().week),
    "time:year": lambda t: str(t.year),
}


def _named_zone(event: Event, field: str) -> Zone | None:
    """The zone the value of ``field`` names, or None."""
    text = event.get(field)
    return None if text is None else resolve_zone(text)


def _time_part(part: Callable[[datetime], str]):
    def compute(rt, call, event):
        if call.given("timezone"):
            zone = _call_zone(rt, call)  # an unknown name warns (W461): no value
        else:
            zone = _named_zone(event, str(call.get("timezoneField"))) or UTC_ZONE
        if zone is None:
            return None
        millis = epoch_millis(event.get(call.get("field")), "milliseconds")
        moment = None if millis is None else _local(millis, zone)
        return None if moment is None else part(moment)

    return compute


for _name, _part in _TIME_PARTS.items():
    value_function(_name)(_time_part(_part))


# --- findTimestamp -------------------------------------------------------------------

_ISO_TIME = re.compile(
    r"(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s?(Z|[+-]\d{2}(?::?\d{2})?)?(?![\d])"
)


def find_timestamp(text: str, zone: Zone | None) -> tuple[int, str] | None:
    """Epoch milliseconds and zone text of the first date-time starting in
    the first 128 characters; ``zone`` for one written without a zone."""
    for m in _ISO_TIME.finditer(text):
        if m.start() >= FIND_TIMESTAMP_CHARS:
            return None
        year, month, day, hour, minute = (int(g) for g in m.groups()[:5])
        second = int(m.group(6) or 0)
        fraction = (m.group(7) or "").ljust(9, "0")
        written = m.group(8)
        moment_zone = resolve_zone(written) if written else zone
        if moment_zone is None:
            continue
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=moment_zone.tz)
        except ValueError:
            continue
        millis = (moment - _EPOCH) // _MS + int(fraction[:3])
        return millis, written or _zone_text(moment_zone)
    return None


def _zone_text(zone: Zone) -> str:
    """``Z`` for UTC, the name of a named zone, else ``+hh:mm[:ss]``."""
    if zone.fixed_ms is None:
        return "Z" if zone.ident in ("UTC", "GMT") else zone.ident
    return _offset_id(zone.fixed_ms // 1000) if zone.fixed_ms else "Z"


@event_function("findTimestamp")
def find_timestamp_event(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return [event]
    zone = None
    if call.given("timezone"):
        zone = _call_zone(rt, call, default=None)  # an unknown name warns (W461)
    elif call.given("timezoneField"):
        zone = _named_zone(event, str(call.get("timezoneField")))
    found = find_timestamp(value, zone)
    if found is None:
        if call.get("addErrors"):
            return [with_error(event, "findTimestamp: no timestamp found")]
        return [event]
    millis, zone_text = found
    return [event.with_fields({call.get("as"): str(millis), call.get("timezoneAs"): zone_text})]


# --- bucket and timeChart ----------------------------------------------------------------

_SECOND, _MINUTE, _HOUR = 1000, 60_000, 3_600_000
_AUTO_SPANS = (
    _SECOND,
    2 * _SECOND,
    5 * _SECOND,
    10 * _SECOND,
    15 * _SECOND,
    30 * _SECOND,
    _MINUTE,
    2 * _MINUTE,
    5 * _MINUTE,
    10 * _MINUTE,
    15 * _MINUTE,
    30 * _MINUTE,
    _HOUR,
    2 * _HOUR,
    3 * _HOUR,
    6 * _HOUR,
    12 * _HOUR,
    _DAY_MS,
    2 * _DAY_MS,
    7 * _DAY_MS,
    14 * _DAY_MS,
    30 * _DAY_MS,
    90 * _DAY_MS,
    365 * _DAY_MS,
)


def aligned_start(millis: int, span: int, zone: Zone) -> int:
    """The start of the ``span``-long bucket holding ``millis``, buckets
    aligned to multiples of the span in ``zone``'s local time (so a day
    starts at local midnight, also on the 23- and 25-hour days of DST)."""
    offset = zone.offset_ms(millis)
    start_local = (millis + offset) // span * span
    start = start_local - offset
    if zone.fixed_ms is None:
        there = zone.offset_ms(start)
        if there != offset and zone.offset_ms(start_local - there) == there:
            start = start_local - there
    return start


def _bucket_count(low: int, high: int, span: int, zone: Zone) -> int:
    return (high + zone.offset_ms(high)) // span - (low + zone.offset_ms(low)) // span + 1


def choose_span(low: int, high: int, zone: Zone) -> int:
    """span=auto: the first span of the ladder giving at most 1,500 aligned
    buckets over [low, high]."""
    for span in _AUTO_SPANS:
        if _bucket_count(low, high, span, zone) <= MAX_BUCKETS:
            return span
    year = _AUTO_SPANS[-1]
    years = -(-(high - low + 1) // (MAX_BUCKETS * year))  # ceiling division
    return (years + 1) * year  # one more: alignment can add a bucket


_UNIT = re.compile(r"\s*([^\s/]+)\s*(?:/\s*(\S+?))?\s+to\s+([^\s/]+)\s*(?:/\s*(\S+?))?\s*")
_PREFIXES = {
    "": 1,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def unit_factor(spec: str, span: int) -> Fraction | None:
    """The multiplier of a unit conversion such as ``bytes/span to
    Kbytes/day`` for buckets ``span`` ms long; None when not understood."""
    m = _UNIT.fullmatch(spec)
    if m is None:
        return None
    source, per_source, target, per_target = m.groups()
    if (per_source is None) != (per_target is None):
        return None
    suffix = 0
    while suffix < min(len(source), len(target)) and source[-1 - suffix] == target[-1 - suffix]:
        suffix += 1
    if suffix == 0:
        return None
    scale_from = _PREFIXES.get(source[: len(source) - suffix])
    scale_to = _PREFIXES.get(target[: len(target) - suffix])
    if scale_from is None or scale_to is None:
        return None
    factor = Fraction(scale_from, scale_to)
    if per_source is not None:
        source_ms, target_ms = _per(per_source, span), _per(per_target, span)
        if source_ms is None or target_ms is None:
            return None
        factor *= Fraction(target_ms, source_ms)
    return factor


def _per(text: str, span: int) -> int | None:
    if text.lower() == "span":
        return span
    return parse_duration(text if text[:1].isdigit() else "1" + text)


def _convert(fields: dict[str, str], factor: Fraction) -> dict[str, str]:
    out = {}
    for name, value in fields.items():
        number = parse_number(value)
        if number is None:
            out[name] = value
            continue
        exact = Fraction(number) * factor  # exact: 1500 bytes/h is 36 Kbytes/day, not 36.00...01
        out[name] = format_number(exact.numerator if exact.denominator == 1 else float(exact))
    return out


def _factors(rt, call: BoundCall, n_parts: int, span: int) -> list[Fraction | None]:
    units = call.get("unit")
    if units is None:
        return [None] * n_parts
    units = (units,) if isinstance(units, str) else tuple(units)
    if len(units) not in (1, n_parts):
        rt.warn("W467", f"{call.spec.name}(): unit= needs one conversion or one per function")
        return [None] * n_parts
    factors = []
    for text in units:
        factor = unit_factor(str(text), span)
        if factor is None:
            rt.warn("W467", f"{call.spec.name}(): cannot read the unit conversion {text!r}")
        factors.append(factor)
    return factors * n_parts if len(units) == 1 else factors


def _series_limit(rt, call: BoundCall) -> int:
    limit = call.get("limit")
    if limit == LIMIT_MAX:
        return SERIES_LIMIT_MAX
    if int(limit) > SERIES_LIMIT_MAX:
        rt.warn("W464", f"{call.spec.name}(): limit is at most {SERIES_LIMIT_MAX} series")
        return SERIES_LIMIT_MAX
    return int(limit)


def _plain(items) -> bool:
    """Whether ``function=`` lists aggregates only (no stage function such
    as ``tail(1)``, no ``{ ... }`` composite)."""
    return all(isinstance(i, BoundCall) and i.spec.kind == "aggregate" for i in items)


def _outputs(rt, call: BoundCall, items, events: list[Event], factors) -> list[dict[str, str]]:
    """The rows ``function=`` gives for one group, converted by ``factors``."""
    if not _plain(items):
        rows = apply_function(rt, call, items, events)  # groupBy's runner
        factor = factors[0]  # one conversion for every output of the composite
        return rows if factor is None else [_convert(row, factor) for row in rows]
    agg = Combined(rt, call, items)
    for event in events:
        agg.step(event)
    if not agg.parts:
        return [{}]
    out: dict[str, str] = {}
    produced = False
    for part, factor in zip(agg.parts, factors, strict=True):
        fields = part.result()
        if fields is None:
            continue
        produced = True
        out.update(fields if factor is None else _convert(fields, factor))
    return [out] if produced else []  # no aggregate had input: no row, as in groupBy


def _rank(rows: list[dict[str, str]]) -> float:
    numbers = [n for v in (rows[0] if rows else {}).values() if (n := parse_number(v)) is not None]
    return max(numbers) if numbers else -math.inf


def time_buckets(rt, call: BoundCall, events: list[Event], keys: tuple[str, ...]) -> list[Event]:
    """Rows of ``_bucket``, the ``keys`` fields and the aggregates: the
    shared body of bucket() and timeChart()."""
    zone = _call_zone(rt, call) or UTC_ZONE
    items = call.get("function") if call.given("function") else default_count(call)
    timed: list[tuple[int, tuple[str, ...], Event]] = []
    non_numeric = 0
    for event in events:
        stamp = event.get(TIMESTAMP)  # falls back to Falcon's timestamp
        if stamp is None:
            continue
        millis = epoch_millis(stamp, "milliseconds")
        if millis is None:
            non_numeric += 1
            continue
        values = tuple(event.get(k) for k in keys)
        if any(v is None for v in values):
            continue  # as in groupBy: a missing series field counts toward no series
        timed.append((millis, values, event))  # type: ignore[arg-type]
    if non_numeric:
        rt.warn(
            "W465",
            f"{call.spec.name}(): {non_numeric} event(s) with a non-numeric @timestamp were skipped",
        )
    if not timed:
        return []
    low = min(t[0] for t in timed)
    high = max(t[0] for t in timed)
    buckets = int(call.get("buckets")) if call.given("buckets") else 0
    anchored = not call.given("span") and buckets > 0
    if call.given("span"):
        span = int(call.get("span"))
    elif anchored:
        span = -(-(high - low + 1) // min(buckets, MAX_BUCKETS))  # ceiling: N spans cover it
    else:
        span = choose_span(low, high, zone)
    if call.get("minSpan"):
        span = max(span, int(call.get("minSpan")))

    def start_of(millis: int) -> int:
        if anchored:  # buckets=N: the interval split from its first timestamp
            return low + (millis - low) // span * span
        return aligned_start(millis, span, zone)

    n_parts = len(items) if _plain(items) else 1
    factors = _factors(rt, call, n_parts, span)
    series = _top_series(rt, call, items, timed)
    groups: dict[tuple[int, tuple[str, ...]], list[Event]] = {}
    for millis, values, event in timed:
        if values in series:
            groups.setdefault((start_of(millis), values), []).append(event)
    rows = []
    windowed = any(isinstance(i, BoundCall) and i.spec.name == "window" for i in items)
    history: dict[tuple[str, ...], list[tuple[int, list[Event]]]] = {}
    for (start, values), members in sorted(groups.items(), key=lambda item: item[0]):
        if windowed:
            past = history.setdefault(values, [])
            past.append((start, members))
            outputs = window_outputs(rt, call, items, past, span)
        else:
            outputs = _outputs(rt, call, items, members, factors)
        for fields in outputs:
            row = {"_bucket": str(start)}
            row.update(zip(keys, values, strict=True))
            row.update(fields)
            rows.append(Event(row))
    return rows


def _top_series(rt, call, items, timed) -> set[tuple[str, ...]]:
    """The series kept under ``limit``: highest aggregate value over the
    whole interval first, ties to the series seen first."""
    members: dict[tuple[str, ...], list[Event]] = {}
    for _, values, event in timed:
        members.setdefault(values, []).append(event)
    limit = _series_limit(rt, call)
    if len(members) <= limit:
        return set(members)
    no_units = [None] * (len(items) if _plain(items) else 1)
    ranks = {v: _rank(_outputs(rt, call, items, evs, no_units)) for v, evs in members.items()}
    order = sorted(enumerate(members), key=lambda item: (-ranks[item[1]], item[0]))
    if not call.given("limit"):
        rt.warn(
            "W464",
            f"{call.spec.name}(): {len(members)} series exceed the limit of {limit}; "
            "the series with the highest values were kept",
        )
    return {values for _, values in order[:limit]}


@stage_function("bucket")
def bucket(rt, call, events):
    return time_buckets(rt, call, events, tuple(call.get("field") or ()))


@stage_function("timeChart")
def time_chart(rt, call, events):
    series = call.get("series")
    return time_buckets(rt, call, events, () if series is None else (str(series),))
