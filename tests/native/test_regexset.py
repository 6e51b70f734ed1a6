"""Tests for the native RE2::Set wrapper cqlmatch._regexset."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings, strategies as st

from cqlmatch._regexset import DEFAULT_MAX_MEM, RegexSet, RegexSetError


def compiled(*patterns: str, **options: object) -> RegexSet:
    rs = RegexSet(**options)
    for p in patterns:
        rs.add(p)
    rs.compile()
    return rs


def test_basic_add_compile_match() -> None:
    rs = RegexSet()
    assert rs.add("foo") == 0
    assert rs.add(r"ba[rz]") == 1
    assert len(rs) == 2
    assert not rs.compiled
    rs.compile()
    assert rs.compiled
    assert rs.match("a foo here") == [0]
    assert rs.match("baz") == [1]
    assert rs.match("nothing") == []
    assert rs.match_any("xxbarxx") is True
    assert rs.match_any("nothing") is False
    assert rs.patterns == ("foo", r"ba[rz]")


def test_several_matches_are_sorted() -> None:
    # Added in an order where RE2's internal order would not be sorted.
    rs = compiled(r"\d+", "zeta", "alpha", "a", r"z.*a", "omega")
    assert rs.match("alpha zeta 42") == [0, 1, 2, 3, 4]
    assert rs.match("zeta") == [1, 3, 4]


def test_case_insensitive_inline_flag_and_keyword() -> None:
    rs = RegexSet()
    assert rs.add("(?i)hello") == 0
    assert rs.add("World", case_insensitive=True) == 1
    assert rs.add("Exact") == 2
    rs.compile()
    assert rs.match("HELLO wORLD exact") == [0, 1]
    assert rs.match("hello world Exact") == [0, 1, 2]
    # The keyword applies only to its own pattern; the original is kept.
    assert rs.patterns[1] == "World"


def test_dot_nl_keyword_is_per_pattern() -> None:
    rs = RegexSet()
    rs.add("a.b")
    rs.add("c.d", dot_nl=True)
    rs.compile()
    assert rs.match("a\nb c\nd") == [1]
    assert rs.match("axb cxd") == [0, 1]


def test_literal_keyword_escapes_metacharacters() -> None:
    rs = RegexSet()
    rs.add("a.b(c)*", literal=True)
    rs.add("C:\\Windows\\", literal=True, case_insensitive=True)
    rs.compile()
    assert rs.match("xx a.b(c)* yy") == [0]
    assert rs.match("aXbcc") == []
    assert rs.match("c:\\windows\\system32") == [1]


def test_non_ascii_text_and_patterns() -> None:
    rs = RegexSet()
    rs.add("é")
    rs.add("日本")
    rs.add("^.$")  # one code point, whatever its UTF-8 length
    rs.add("(?i)straße")
    rs.compile()
    assert rs.match("café") == [0]
    assert rs.match("日本語") == [1]
    assert rs.match("é") == [0, 2]
    assert rs.match("日") == [2]
    assert rs.match("ab") == []
    assert rs.match("STRASSE") == []
    assert rs.match("STRAßE") == [3]


def test_case_insensitive_non_ascii() -> None:
    rs = RegexSet()
    rs.add("élan", case_insensitive=True)
    rs.compile()
    assert rs.match("ÉLAN vital") == [0]
    assert rs.match("elan") == []


def test_bytes_input_is_passed_through() -> None:
    rs = compiled("foo", "日本")
    assert rs.match(b"xfoox") == [0]
    assert rs.match("日本".encode()) == [1]
    # Invalid UTF-8 must not crash or hide a later match.
    assert rs.match(b"\xff\xfe foo") == [0]
    assert rs.match_any(b"") is False


def test_bytes_pattern() -> None:
    rs = RegexSet()
    rs.add(b"ab+c")
    rs.compile()
    assert rs.match("xabbbc") == [0]
    assert rs.patterns == (b"ab+c",)


def test_rejects_other_text_types() -> None:
    rs = compiled("x")
    with pytest.raises(TypeError, match="str or bytes"):
        rs.match(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str or bytes"):
        rs.match_any(bytearray(b"x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RegexSet().add(1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("anchor", "text", "expected"),
    [
        ("unanchored", "foo", [0]),
        ("unanchored", "xfoox", [0]),
        ("start", "foo", [0]),
        ("start", "foox", [0]),
        ("start", "xfoo", []),
        ("both", "foo", [0]),
        ("both", "foox", []),
        ("both", "xfoo", []),
    ],
)
def test_anchoring_modes(anchor: str, text: str, expected: list[int]) -> None:
    rs = compiled("foo", anchor=anchor)
    assert rs.anchor == anchor
    assert rs.match(text) == expected


def test_anchor_both_with_several_patterns() -> None:
    rs = compiled(r"\d+", r"[a-z]+", r"\w+", anchor="both")
    assert rs.match("123") == [0, 2]
    assert rs.match("abc") == [1, 2]
    assert rs.match("abc123") == [2]
    assert rs.match("abc 123") == []


def test_invalid_pattern_raises_with_re2_message() -> None:
    rs = RegexSet()
    with pytest.raises(RegexSetError, match=r"missing \)") as info:
        rs.add("(abc")
    assert "'(abc'" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(RegexSetError, match="repetition"):
        rs.add("a**")
    # Failed adds consume no index and leave the set usable.
    assert len(rs) == 0
    assert rs.add("ok") == 0
    rs.compile()
    assert rs.match("ok") == [0]


def test_match_before_compile_raises() -> None:
    rs = RegexSet()
    rs.add("x")
    with pytest.raises(RegexSetError, match="before compile"):
        rs.match("x")
    with pytest.raises(RegexSetError, match="before compile"):
        rs.match_any("x")


def test_add_after_compile_raises() -> None:
    rs = compiled("x")
    with pytest.raises(RegexSetError, match="after compile"):
        rs.add("y")
    assert len(rs) == 1
    assert rs.match("y") == []


def test_compile_is_idempotent() -> None:
    rs = compiled("x")
    rs.compile()
    assert rs.match("x") == [0]


def test_empty_set() -> None:
    rs = RegexSet()
    assert len(rs) == 0
    rs.compile()
    assert rs.match("anything") == []
    assert rs.match("") == []
    assert rs.match_any("anything") is False


def test_empty_pattern_matches_everything() -> None:
    rs = compiled("", "z")
    assert rs.match("") == [0]
    assert rs.match("abc") == [0]


def test_compile_out_of_memory_raises() -> None:
    rs = RegexSet(max_mem=1000)
    for i in range(200):
        rs.add(rf"pattern{i}[a-z]+\d{{3}}")
    with pytest.raises(RegexSetError, match="out of memory"):
        rs.compile()
    assert not rs.compiled
    with pytest.raises(RegexSetError, match="compile\\(\\) failed"):
        rs.match("pattern1abc123")


def test_constructor_validation() -> None:
    assert RegexSet().max_mem == DEFAULT_MAX_MEM == 64 << 20
    assert RegexSet(max_mem=1 << 20).max_mem == 1 << 20
    with pytest.raises(ValueError, match="anchor"):
        RegexSet(anchor="middle")
    with pytest.raises(ValueError, match="max_mem"):
        RegexSet(max_mem=0)


def _words(n: int) -> list[str]:
    # Overlapping literals on purpose: "k7" is a substring of "k70" etc.
    return [f"k{i}" for i in range(n)]


def test_large_set_of_literals() -> None:
    words = _words(2000)
    rs = RegexSet()
    for w in words:
        rs.add(w, literal=True)
    rs.compile()
    assert len(rs) == 2000
    for text in ["k1999", "xx k42 yy k1000", "k", "", "K7", "k7-k70-k700"]:
        expected = [i for i, w in enumerate(words) if w in text]
        assert rs.match(text) == expected, text
    assert rs.match("k1999") == [1, 19, 199, 1999]


def test_concurrent_matching_from_threads() -> None:
    words = _words(500)
    rs = RegexSet()
    for w in words:
        rs.add(w)
    rs.add("(?i)needle")
    rs.compile()
    texts = [f"k{i} some padding text " * 20 + ("NEEDLE" if i % 3 == 0 else "") for i in range(60)]
    expected = {
        t: [i for i, w in enumerate(words) if w in t] + ([500] if "NEEDLE" in t else [])
        for t in texts
    }
    n_threads = 6
    barrier = threading.Barrier(n_threads)

    def worker(seed: int) -> int:
        barrier.wait()
        checked = 0
        for round_ in range(30):
            for j in range(len(texts)):
                t = texts[(j + seed + round_) % len(texts)]
                assert rs.match(t) == expected[t]
                assert rs.match_any(t)
                checked += 1
        return checked

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        counts = list(pool.map(worker, range(n_threads)))
    assert counts == [30 * len(texts)] * n_threads


@settings(max_examples=150, deadline=None)
@given(
    patterns=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=4), max_size=8),
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
)
def test_literal_patterns_agree_with_substring_search(patterns: list[str], text: str) -> None:
    rs = RegexSet()
    for p in patterns:
        rs.add(p, literal=True)
    rs.compile()
    assert rs.match(text) == [i for i, p in enumerate(patterns) if p in text]
    assert rs.match_any(text) == any(p in text for p in patterns)


def test_bench_match_2000_literals(benchmark) -> None:
    rs = RegexSet()
    for w in _words(2000):
        rs.add(w, literal=True)
    rs.compile()
    text = "process k1234 spawned child with args -enc AAAA " * 10
    result = benchmark(rs.match, text)
    assert result == [1, 12, 123, 1234]
