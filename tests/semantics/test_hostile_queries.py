"""Hostile queries: patterns that ruin backtracking engines, regexes past RE2's
memory budget, huge alternations, deep nesting and megabyte-long queries.

Every case either runs correctly on both engines or fails with a ``CQLError``
whose code, line and column point at the construct; nothing else escapes
(no ``RecursionError``, no ``MemoryError``, no RE2 abort).  Linear time is
shown by input size, never by a wall-clock assertion: the inputs below would
take a backtracking engine longer than the age of the universe, and the
``cpu_guard`` fixture turns a run away into a failure instead of a hang.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

import cqlmatch
from cqlmatch import CQLCompileError, CQLError, CQLSyntaxError
from cqlmatch.runtime.engine import VMEngine

ENGINES = ("vm", "reference")
CPU_SECONDS = 60  # far above what the linear engines need; a backtracker never ends


@pytest.fixture
def cpu_guard() -> Iterator[None]:
    """Fail (not hang) when the test burns more than CPU_SECONDS of CPU time."""

    def expired(signum, frame):
        raise TimeoutError(f"more than {CPU_SECONDS} s of CPU: not linear time")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def error_of(text: str) -> CQLError:
    with pytest.raises(CQLError) as info:
        cqlmatch.compile(text)
    return info.value


def where(err: CQLError) -> tuple[str, int, int]:
    d = err.diagnostics[0]
    return d.code, d.span.line, d.span.column


def rows_on_both(text: str, events: list[dict]) -> list[dict]:
    query = cqlmatch.compile(text)
    results = [query.run(events, engine=engine) for engine in ENGINES]
    assert results[0] == results[1], text
    return results[0]


# --- catastrophic backtracking ------------------------------------------------------------

EVIL = "a" * 100_000 + "b"  # 100,000 a's then a b: exponential for a backtracker


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("v=/(a+)+$/", False),  # the classic: 2^100000 ways to split the a's
        ("v=/^(a|aa)+$/", False),
        ("v=/(a*)*c/", False),
        ("v=/(a|a)*b/", True),
        ("v=/^(a+)+b$/", True),
        ("v=/(.*a){20}c/", False),
        ('regex("(?<x>(a|aa)+)c", field=v)', False),
        ("/(a+)+$/", False),  # free text over @rawstring
        ("v match { /(a+)+c/ => x := 1 ; * => x := 2 } | x=1", False),
    ],
)
def test_catastrophic_patterns_run_in_linear_time(cpu_guard, query: str, kept: bool) -> None:
    rows = rows_on_both(query, [{"v": EVIL}])
    assert len(rows) == (1 if kept else 0)


# --- regexes past RE2's memory budget ------------------------------------------------------


def test_nested_counted_repetition_is_an_error_at_the_pattern() -> None:
    text = "v=/((a|b|c){1000}){1000}/"
    err = error_of(text)
    assert where(err) == ("E230", 1, 4)
    assert "repetition" in err.diagnostics[0].message
    assert "^" * len("((a|b|c){1000}){1000}") in err.render()


def test_a_sequence_re2_would_abort_on_is_refused_first() -> None:
    # RE2 writes x{1000} out as 1000 pieces and kills the process (LOG(FATAL)
    # "Cannot AllocSub") past 65,535 pieces in one sequence.
    pattern = r"[^a]{1000}" * 66
    err = error_of(f"v=/{pattern}/")
    code, line, column = where(err)
    assert (code, line) == ("E230", 1)
    assert 4 <= column <= 4 + len(pattern)
    assert "expand" in err.diagnostics[0].message
    err = error_of(f'regex("{pattern}", field=v)')
    assert where(err)[0] == "E230"


def test_a_regex_too_big_for_an_re2_set_takes_the_slow_path() -> None:
    # RE2 compiles it as one regex (the reference), but not inside an RE2::Set
    # within the VM's budget: the VM runs that filter through the reference.
    text = r"v=/^(\pL|\pN){1000}$/"
    query = cqlmatch.compile(text)
    assert VMEngine(query.checked).program.regex_sets == ()
    events = [{"v": "é1" * 500}, {"v": "é1" * 499}, {"v": "a" * 999 + "-"}]
    assert rows_on_both(text, events) == [{"v": "é1" * 500}]


def test_an_unknown_regex_flag_points_at_the_flag() -> None:
    assert where(error_of("v=/x/q")) == ("E108", 1, 6)
    assert where(error_of('regex("x", field=v, flags="iq")')) == ("E230", 1, 29)
    assert where(error_of('replace("x", with="y", flags="z")')) == ("E230", 1, 31)
    err = error_of('regex("x", flags="q")')
    assert "unknown regex flag 'q'" in err.diagnostics[0].message


def test_valid_flags_of_regex_functions_still_compile() -> None:
    rows = rows_on_both('regex("(?<w>X)", field=v, flags="i")', [{"v": "x"}, {"v": "y"}])
    assert rows == [{"v": "x", "w": "x"}]


@pytest.mark.parametrize(
    ("text", "where_", "words"),
    [
        (r"v=/a\y/", ("E230", 1, 5), r"unknown escape \y"),
        (r"v=/(?x)a/", ("E230", 1, 6), "inline flag 'x'"),
        (r"v=/a{2,1}/", ("E230", 1, 5), "maximum below its minimum"),
        (r"v=/[z-a]/", ("E230", 1, 5), "out of order"),
        ("v=/(a/", ("E004", 1, 3), "unterminated regex"),  # '/' inside a group
        ("v=/a)/", ("E230", 1, 5), "unmatched ')'"),
        ("v=/*a/", ("E002", 1, 3), "unterminated /*"),  # '/*' opens a comment
        ("v=/a|*b/", ("E230", 1, 6), "nothing to repeat"),
        ("v=//", ("E107", 1, 5), "missing value"),  # '//' starts a comment
        ('v=/x/ | regex("\\\\k<n>")', ("E230", 1, 15), r"\k"),
    ],
)
def test_malformed_regexes_point_at_the_construct(text, where_, words) -> None:
    err = error_of(text)
    assert where(err) == where_
    assert words in err.diagnostics[0].message


# --- huge alternations ------------------------------------------------------------------------

WORDS = [f"w{i}" for i in range(10_000)]
PROBES = [{"v": "w0"}, {"v": "w5000"}, {"v": "w9999"}, {"v": "w10000"}, {"v": "xw1"}, {"v": ""}]
EXPECTED = [{"v": "w0"}, {"v": "w5000"}, {"v": "w9999"}]


def test_an_alternation_of_10000_literals_matches_exactly() -> None:
    assert rows_on_both(f"v=/^(?:{'|'.join(WORDS)})$/", PROBES) == EXPECTED


def test_in_with_10000_values_matches_exactly() -> None:
    listed = ", ".join(f'"{w}"' for w in WORDS)
    assert rows_on_both(f"in(v, values=[{listed}])", PROBES) == EXPECTED


# --- nesting and length ------------------------------------------------------------------------

N = 10_000


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("(" * N + "v=x" + ")" * N, 65),
        ("!" * N + "v=x", 65),
        ("NOT " * N + "v=x", 257),
        ("[" * N + "count()" + "]" * N, 65),
        ("x := " + "(" * N + "1" + ")" * N, 70),
        ("x := " + "-" * N + "1", 70),
        ("case { " * N + "v=x" + " }" * N, 449),
    ],
)
def test_10000_levels_of_nesting_are_a_clear_error(text: str, column: int) -> None:
    err = error_of(text)
    assert isinstance(err, CQLSyntaxError)
    assert where(err) == ("E110", 1, column)
    assert "nest" in err.message


def test_10000_nested_calls_are_a_clear_error() -> None:
    err = error_of("x := " + "lower(" * N + "v" + ")" * N)
    assert where(err)[:2] == ("E110", 1)


def test_long_operator_chains_are_a_clear_error_not_recursion() -> None:
    text = "x := " + " + ".join(["1"] * 250_000)  # a megabyte of additions
    assert len(text) > 1_000_000
    err = error_of(text)
    assert err.diagnostics[0].code == "E110"
    assert "expression nests deeper than 128" in err.diagnostics[0].message
    # 120 operators are fine, on both engines
    assert rows_on_both("x := " + " + ".join(["v"] * 121), [{"v": "1"}]) == [{"v": "1", "x": "121"}]


def test_too_many_stages_in_a_row_are_a_clear_error() -> None:
    err = error_of(" | ".join(["v=x"] * 1000))
    assert isinstance(err, CQLCompileError)
    assert where(err) == ("E210", 1, 1 + 6 * 300)
    nested = "v=x | " * 290 + "case { " + "v=x | " * 20 + "v=x ; * }"
    assert where(error_of(nested))[0] == "E210"
    # 300 stages in a row run on both engines
    assert rows_on_both(" | ".join(["v=x"] * 300), [{"v": "x"}, {"v": "y"}]) == [{"v": "x"}]


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ('"' + "a" * 1_000_000, "E003", 1),
        ("/* " + "a" * 1_000_000, "E002", 1),
        ("v=x | " + ")" * 1_000_000, "E100", 7),
        ("v=x\n| v=/" + "a" * 1_000_000 + "\\y/", "E230", 1_000_006),
    ],
)
def test_megabyte_queries_fail_with_a_pointed_error(text: str, code: str, column: int) -> None:
    assert len(text) >= 1_000_000
    err = error_of(text)
    assert where(err)[0] == code
    assert where(err)[2] == column


def test_lone_surrogates_in_the_query_are_refused() -> None:
    # Text decoded with errors="surrogateescape" (or a broken UTF-16 pair):
    # no file can hold it and a compiled program could not be serialised.
    err = error_of('v="a\udcff"')
    assert where(err) == ("E010", 1, 5)
    assert "U+DCFF" in err.diagnostics[0].message


def test_malformed_rename_lists_are_errors_not_index_errors() -> None:
    # fuzz_compiler: rename([[Computeser]]) raised IndexError while running
    assert where(error_of("rename([[a]])")) == ("E207", 1, 9)
    assert where(error_of("rename([[a, b], [c]])")) == ("E207", 1, 17)
    assert where(error_of("rename(a)")) == ("E206", 1, 1)  # was a field named None
    rows = rows_on_both('rename([[a, b], [c, "d e"]])', [{"a": "1", "c": "2"}])
    assert rows == [{"b": "1", "d e": "2"}]


def test_rename_of_a_one_field_list_with_as() -> None:
    assert rows_on_both("rename([a], as=b)", [{"a": "1"}]) == [{"b": "1"}]
