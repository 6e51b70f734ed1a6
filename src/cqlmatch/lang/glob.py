"""LogScale wildcard patterns: ``*`` matches any run of characters, the
pattern covers the whole value, matching is case-sensitive unless asked, and
there is no escape for a literal ``*``."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A Python regex equivalent to a whole-value glob (for ``fullmatch``).

    Written so that it cannot backtrack much: ``.*a.*a.*b`` would try every
    way to place the ``a``s before failing (``*`` 50 times, or ``*a*a*a*b``
    over a long value, take minutes).  The parts between stars are matched
    where they first occur, each in an atomic group, and only the last part
    is placed from the end; that finds a match whenever one exists, since
    placing a part as early as possible leaves the most room for the rest."""
    first, *middle = pattern.split("*")
    body = re.escape(first)
    if middle:
        body += "".join(f"(?>.*?{re.escape(part)})" for part in middle[:-1] if part)
        body += ".*" + re.escape(middle[-1])
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whether ``value`` as a whole matches the wildcard ``pattern``."""
    if "*" not in pattern:
        return value.casefold() == pattern.casefold() if ignore_case else value == pattern
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None
