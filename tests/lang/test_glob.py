"""Wildcard patterns (``cqlmatch.lang.glob``): the same answers as the plain
translation of ``*`` to ``.*``, without its backtracking."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from cqlmatch.lang.glob import glob_match, glob_regex


def plain(pattern: str, value: str, ignore_case: bool) -> bool:
    """``*`` as ``.*``: right, but exponential on some inputs."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, value, flags) is not None


@settings(max_examples=3000, deadline=None)
@given(
    st.text(alphabet="abA*\n.", max_size=9),
    st.text(alphabet="abAB\n.", max_size=10),
    st.booleans(),
)
def test_matches_like_the_plain_translation(pattern: str, value: str, ignore_case: bool) -> None:
    assert glob_match(pattern, value, ignore_case) is plain(pattern, value, ignore_case)


def test_many_stars_and_repeated_parts_do_not_backtrack() -> None:
    # Each of these made the plain translation run for minutes (found by the
    # compiler fuzz target: a comment line of asterisks read as free text).
    assert glob_match("*" * 53, "x" * 5000)
    assert not glob_match("*" * 53 + "y", "x" * 5000)
    assert not glob_match("*a" * 8 + "*b", "a" * 3000)
    assert glob_match("*a" * 8 + "*b", "a" * 3000 + "b")
    # Consecutive stars are one star; a part is placed where it first occurs.
    assert glob_regex("a**b***").pattern == glob_regex("a*b*").pattern
