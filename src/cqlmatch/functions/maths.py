"""The math: family beside math:floor (numbers.py): math:ceil, math:abs,
math:sqrt, math:log, math:log10, math:log2, math:exp and math:pow; and
geography:distance and geohash.

Each reads the number in ``field`` and writes the result to ``as``
(``_ceil``, ``_abs``, ... as in math:floor's ``_floor``).  Decisions
(LogScale pages ``functions-math-<name>.html``; UNCONFIRMED where silent):

- A value that is not a number gives no output (the event passes unchanged).
- A result that is not a finite number (``math:sqrt(-1)``, ``math:log(0)``)
  gives no output rather than ``NaN`` or ``Infinity`` (UNCONFIRMED).
- ``geography:distance(lat1, lon1, lat2, lon2, as=_distance)``: the
  great-circle distance in meters between two points in decimal degrees,
  by the haversine formula on a sphere of radius 6,371,000 m (page:
  "Haversine approximation, which is accurate to about 0.5%"; the radius
  is not stated, UNCONFIRMED); no output when a coordinate is missing, not
  a number, or outside -90..90 / -180..180.
- ``geohash(lat=ip.lat, lon=ip.lon, precision=12, as=_geohash)``: the
  geohash of the point (the page's example: Greenwich, 51.477928 / 0.0, is
  ``gcpuzgrbxvrc``): longitude and latitude halved in turn, longitude
  first, five bits a character of ``0123456789bcdefghjkmnpqrstuvwxyz``; a
  point on a halving line goes to the lower half (what the page's example
  gives: longitude 0.0 is west, ``g``).  ``precision`` is the
  number of characters (the page: "usually 12 is enough"); outside 1..12
  it is clamped to that range (UNCONFIRMED); no output when a coordinate is
  missing, not a number, or outside -90..90 / -180..180.
- Integers stay integers where the result is one (``math:abs(-3)`` is 3,
  ``math:pow(2, exponent=10)`` is 1024); other results print as doubles.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..lang.values import format_number, parse_number
from .registry import value_function


def _finite(result: int | float) -> str | None:
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return format_number(result)


def _unary(name: str, compute: Callable[[int | float], int | float]) -> None:
    def fn(rt, call, event):
        number = parse_number(event.get(call.get("field")))
        if number is None:
            return None
        try:
            return _finite(compute(number))
        except (ValueError, OverflowError):
            return None  # outside the function's domain

    value_function(name)(fn)


def _ceil(number: int | float) -> int:
    return number if isinstance(number, int) else math.ceil(number)


_unary("math:ceil", _ceil)
_unary("math:abs", abs)
_unary("math:sqrt", math.sqrt)
_unary("math:log", math.log)
_unary("math:log10", math.log10)
_unary("math:log2", math.log2)
_unary("math:exp", math.exp)


@value_function("math:pow")
def _pow(rt, call, event):
    base = parse_number(event.get(call.get("field")))
    exponent = call.get("exponent")
    if base is None:
        return None
    if isinstance(base, int) and isinstance(exponent, int) and 0 <= exponent <= 1024:
        return format_number(base**exponent)
    try:
        return _finite(math.pow(base, exponent))
    except (ValueError, OverflowError):
        return None


_EARTH_RADIUS_M = 6_371_000


_GEOHASH_DIGITS = "0123456789bcdefghjkmnpqrstuvwxyz"
_GEOHASH_MAX = 12


@value_function("geohash")
def _geohash(rt, call, event):
    lat, lon = (parse_number(event.get(call.get(name))) for name in ("lat", "lon"))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    precision = min(max(int(call.get("precision")), 1), _GEOHASH_MAX)
    ranges = [[-180.0, 180.0], [-90.0, 90.0]]  # longitude first
    point = (float(lon), float(lat))
    out, bits, code = [], 0, 0
    for k in range(precision * 5):
        low, high = ranges[k % 2]
        middle = (low + high) / 2
        upper = point[k % 2] > middle
        ranges[k % 2] = [middle, high] if upper else [low, middle]
        code = code * 2 + upper
        bits += 1
        if bits == 5:
            out.append(_GEOHASH_DIGITS[code])
            bits, code = 0, 0
    return "".join(out)


@value_function("geography:distance")
def _distance(rt, call, event):
    points = [parse_number(event.get(call.get(name))) for name in ("lat1", "lon1", "lat2", "lon2")]
    if any(p is None for p in points):
        return None
    lat1, lon1, lat2, lon2 = (float(p) for p in points)  # type: ignore[arg-type]
    if max(abs(lat1), abs(lat2)) > 90 or max(abs(lon1), abs(lon2)) > 180:
        return None
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return format_number(2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))
