"""``prefilter.checkable``: which literals a raw-byte search may rule a
line out by (printable ASCII without the two characters JSON escapes)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from cqlmatch.ingest.prefilter import checkable


def _by_definition(literal: str) -> bool:
    return bool(literal) and all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in literal)


def test_every_character_alone() -> None:
    for code in range(0x3000):
        assert checkable(chr(code)) is _by_definition(chr(code)), hex(code)


def test_examples() -> None:
    assert checkable("ProcessRollup2") and checkable(" -r") and checkable("~ !")
    assert not checkable("")
    assert not checkable('a"b') and not checkable("a\\b")
    assert not checkable("a\tb") and not checkable("\x7f") and not checkable("é")


@given(st.text(max_size=12))
def test_any_text(literal: str) -> None:
    assert checkable(literal) is _by_definition(literal)
