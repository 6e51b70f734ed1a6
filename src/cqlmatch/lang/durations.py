"""LogScale relative time spans (``5m``, ``1h``, ``7d``, ``1day``) in milliseconds."""

from __future__ import annotations

from .lazyre import lazy

_UNITS = {
    "ms": 1,
    "millis": 1,
    "millisecond": 1,
    "milliseconds": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "d": 86_400_000,
    "day": 86_400_000,
    "days": 86_400_000,
    "w": 604_800_000,
    "week": 604_800_000,
    "weeks": 604_800_000,
    "y": 31_536_000_000,
    "year": 31_536_000_000,
    "years": 31_536_000_000,
}
_SPAN = lazy(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")


def parse_duration(text: str) -> int | None:
    """Milliseconds for a span such as ``5m`` or ``1day``; None when invalid."""
    m = _SPAN.fullmatch(text.strip())
    if not m:
        return None
    unit = _UNITS.get(m.group(2).lower())
    if unit is None:
        return None
    return int(float(m.group(1)) * unit)
