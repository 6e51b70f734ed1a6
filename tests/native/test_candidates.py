"""The pack's candidate index (cqlmatch._candidates) keeps exactly the
lines a plain search keeps: a rule is a candidate for a line when each of
its groups has a literal in the line (ASCII case ignored), or when the line
holds a spelling that can hide a literal's character."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cqlmatch._candidates import CandidateIndex

WIDENING = (b"\\u00", b"\\/", b"\\u212", b"\\u017", b"\xe2\x84\xaa", b"\xc5\xbf")
PIECES = [
    b"cmd.exe",
    b"CMD",
    b"powershell",
    b"-enc",
    b"\\\\Windows\\\\",
    b"\\u0050",
    b"\\/",
    b"x",
    b"ab",
    b"abc",
    b"bca",
    b" ",
    b'"',
    b"\xc3\xa9",
    b"\xe2\x84\xaa",
    b"\\users",
]
LITERALS = [b"cmd.exe", b"powershell", b"-enc", b"ab", b"bc", b"abc", b"a", b"\\windows\\", b"c"]


def reference(literals, rules, lines) -> list[list[int]]:
    out = []
    for groups in rules:
        kept = []
        for i, line in enumerate(lines):
            raw = line.encode() if isinstance(line, str) else line
            low = raw.lower()
            wide = any(w.lower() in low for w in WIDENING)
            if (
                not groups
                or wide
                or all(any(literals[k].lower() in low for k in group) for group in groups)
            ):
                kept.append(i)
        out.append(kept)
    return out


rules_strategy = st.lists(
    st.lists(
        st.lists(st.integers(0, len(LITERALS) - 1), min_size=1, max_size=3),
        max_size=3,
    ),
    min_size=1,
    max_size=8,
)
lines_strategy = st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map(b"".join), max_size=12)


@settings(max_examples=300, deadline=None)
@given(rules_strategy, lines_strategy, st.booleans())
def test_candidates_equal_a_plain_search(rules, lines, as_text) -> None:
    if as_text:
        lines = [line.decode("utf-8") for line in lines]
    index = CandidateIndex(list(LITERALS), rules)
    assert index.candidates(lines) == reference(LITERALS, rules, lines)


def test_a_long_pack_of_overlapping_literals() -> None:
    literals = [f"tool{i}.exe".encode() for i in range(3000)] + [b"tool1", b".exe"]
    rules = [[[i], [3001]] for i in range(3000)] + [[[3000]], []]
    index = CandidateIndex(literals, rules)
    lines = [b'{"CommandLine":"C:\\\\TOOL12.EXE /x"}', b'{"a":"tool2999.exe"}', b"{}"]
    got = index.candidates(lines)
    assert got == reference(literals, rules, lines)
    assert got[12] == [0] and got[1] == [] and got[2999] == [1] and got[3000] == [0]
    assert got[3001] == [0, 1, 2]  # a rule without groups: every line


def test_bad_arguments() -> None:
    import pytest

    with pytest.raises(TypeError):
        CandidateIndex([b""], [[[0]]])
    with pytest.raises(ValueError, match="empty group"):
        CandidateIndex([b"a"], [[[]]])
