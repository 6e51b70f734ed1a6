"""LogScale wildcard patterns: ``*`` matches any run of characters, the
pattern covers the whole value, matching is case-sensitive unless asked, and
there is no escape for a literal ``*``."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A Python regex equivalent to a whole-value glob (anchored, ``.`` free)."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whether ``value`` as a whole matches the wildcard ``pattern``."""
    if "*" not in pattern:
        return value.casefold() == pattern.casefold() if ignore_case else value == pattern
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None
