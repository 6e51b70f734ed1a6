"""Error tests: invalid queries raise ``CQLSyntaxError`` and nothing else.

Each error carries a stable code, the line and column of the problem, an
``expected`` hint, and renders as ``<file>:line:col: error CODE: message``
followed by the source line and a caret under the problem.  Limits: deep
nesting is an error, not a ``RecursionError``; a megabyte query parses (or
fails) in reasonable time.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from cqlmatch.errors import CQLSyntaxError
from cqlmatch.syntax.ast import Case, Pipeline
from cqlmatch.syntax.parser import parse

SEED = Path(__file__).resolve().parents[2] / "rules" / "seed" / "t1546_016.cql"


def parse_error(text: str) -> CQLSyntaxError:
    """The error ``parse(text)`` raises; fails if it raises anything else or nothing."""
    try:
        tree = parse(text)
    except CQLSyntaxError as err:
        assert type(err) is CQLSyntaxError
        return err
    pytest.fail(f"no error for {text!r}; parsed as {tree!r}")


def check_error(text: str, code: str, line: int, column: int) -> CQLSyntaxError:
    """Code, position, expected hint and the rendered caret of the error for ``text``."""
    err = parse_error(text)
    assert (err.code, err.line, err.column) == (code, line, column), err.render()
    assert err.expected, f"no expected hint: {err.render()}"
    rendered = err.render()
    assert str(err) == rendered
    head, source_line, caret_line = rendered.split("\n")
    assert head.startswith(f"<query>:{line}:{column}: error {code}: ")
    assert head.endswith(f" (expected {err.expected})")
    assert source_line == text.split("\n")[line - 1].replace("\t", " ")
    assert err.source_line == source_line
    carets = caret_line.lstrip(" ")
    assert len(caret_line) - len(carets) == column - 1, "caret not under the problem"
    assert carets and set(carets) == {"^"}
    assert len(caret_line) <= max(len(source_line), column)
    return err


# --- the errors called out in the reference ---------------------------------------


def test_rhs_of_greater_than_must_be_a_number() -> None:
    # §1.2: `400 > statuscode` is a compile error (RHS of <, > must be a number).
    err = check_error("400 > statuscode", "E106", 1, 7)
    assert err.span.end - err.span.start == len("statuscode")
    assert err.render().split("\n")[2] == "      ^^^^^^^^^^"


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a > b", 5),
        ("bytes<=abc", 8),
        ("x >= otherField", 6),
        ("n < 1x", 5),
        ('n < "abc"', 5),
        ("n<", 3),
    ],
)
def test_comparison_needs_a_number(text: str, column: int) -> None:
    check_error(text, "E106", 1, column)


def test_regex_in_assignment() -> None:
    # §1.5: `a:=/x/i` is a syntax error.
    err = check_error("a:=/x/i", "E112", 1, 4)
    assert err.render().split("\n")[2] == "   ^^^^"


def test_regex_compared_in_an_expression() -> None:
    # §4.1: the grammar quirks page shows `a:=foo==/fisk/i` is a syntax error.
    check_error("a:=foo==/fisk/i", "E112", 1, 9)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("f=/x/q", 6),
        ("f=/x/iz", 7),
        ("/x/Q", 4),
        ("regex(/x/y)", 10),
        ("f match { /x/ix => a }", 15),
        ("f=/a\\/b/mdgFs", 13),
    ],
)
def test_unknown_regex_flag_caret_on_the_flag(text: str, column: int) -> None:
    err = check_error(text, "E108", 1, column)
    assert err.span.end - err.span.start == 1
    assert text[err.span.start] not in "imdgF"


def test_assignment_must_be_its_own_stage() -> None:
    err = parse_error("a=1 b:=2")
    assert err.code == "E105"
    assert err.line == 1
    # The caret is on the assignment (`b` or its `:=`), not elsewhere.
    assert err.column in (5, 6)
    check_error("a=1 b:=2", "E105", 1, err.column)


def test_assignment_after_a_filter_on_a_later_line() -> None:
    err = check_error("a=1\n  b := 2", "E105", 2, parse_error("a=1\n  b := 2").column)
    assert err.column in (3, 5)


# --- unbalanced brackets -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "hint"),
    [
        ("(a", 1, 3, ")"),
        ("((a b)", 1, 7, ")"),
        ("(a OR b", 1, 8, ")"),
        ("a)", 1, 2, "|"),
        ("a OR b)", 1, 7, "|"),
        ("(a))", 1, 4, "|"),
        ("(a\n| b", 2, 1, ")"),
    ],
)
def test_unbalanced_parentheses(text: str, line: int, column: int, hint: str) -> None:
    err = check_error(text, "E100", line, column)
    assert hint in err.expected


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("count(a", 1, 8),
        ("count(a b)", 1, 9),
        ("groupBy([a, b], function=count()", 1, 33),
        ("groupBy([a],\n  function=count()\n| sort()", 3, 1),
        ("f(a=1 | b", 1, 7),
    ],
)
def test_missing_close_paren_in_call(text: str, line: int, column: int) -> None:
    err = check_error(text, "E100", line, column)
    assert ")" in err.expected


def test_missing_close_bracket_in_array() -> None:
    err = check_error("groupBy([a, b)", "E100", 1, 14)
    assert "]" in err.expected


def test_unclosed_case() -> None:
    err = check_error("case { a ", "E100", 1, 9)
    assert "}" in err.expected


def test_unclosed_subquery() -> None:
    err = check_error("join({ a=1 , field=x)", "E100", 1, 12)
    assert "}" in err.expected


# --- case / match branches ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("case { a ; ; b }", 12),
        ("case { ; a }", 8),
        ("case {a;;}", 9),
    ],
)
def test_empty_case_branch(text: str, column: int) -> None:
    check_error(text, "E102", 1, column)


def test_case_without_any_branch_parses() -> None:
    # §3.1 forbids an empty clause *between* separators (covered above); a block
    # with no clause at all occurs in CrowdStrike's own parsers (corpus), so the
    # parser accepts it and the checker warns that it drops every event.
    assert parse("case { }") == Pipeline((Case(()),))


def test_empty_match_arm() -> None:
    check_error('f match { "x" => a ; ; * => b }', "E102", 1, 22)
    check_error('f match { "x" => }', "E102", 1, 18)


def test_match_arm_without_arrow() -> None:
    err = check_error('f match { "x" y }', "E100", 1, 15)
    assert "=>" in err.expected


# --- AND / OR / NOT with a side missing ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ("AND a", "E104", 1),
        ("OR a", "E104", 1),
        ("and", "E104", 1),
        ("a AND OR b", "E104", 7),
        ("a OR AND b", "E104", 6),
        ("a | OR b", "E104", 5),
        ("(AND a)", "E104", 2),
        ("a AND", "E100", 6),
        ("a OR", "E100", 5),
        ("a OR | b", "E100", 6),
        ("(a AND)", "E100", 7),
        ("NOT", "E100", 4),
        ("a NOT", "E100", 6),
        ("!", "E100", 2),
    ],
)
def test_logical_operator_missing_an_operand(text: str, code: str, column: int) -> None:
    check_error(text, code, 1, column)


# --- values and expressions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("f=", "E107", 1, 3),
        ("f = | b", "E107", 1, 5),
        ("f=)", "E107", 1, 3),
        ("f like /x/", "E107", 1, 8),
        ("a:=", "E100", 1, 4),
        ("x := 1 +", "E100", 1, 9),
        ("x := (1", "E100", 1, 8),
        ("x := 1 < 2 < 3", "E111", 1, 12),
        ("x := a == b == c", "E111", 1, 13),
        ("x := a and", "E100", 1, 11),
        ("f =~ 5", "E103", 1, 3),
        ("$name", "E100", 1, 1),
        ("[a, b", "E100", 1, 6),
        ("count(,)", "E100", 1, 7),
        ("a\n| b\n| c > d", "E106", 3, 7),
    ],
)
def test_bad_values_and_expressions(text: str, code: str, line: int, column: int) -> None:
    check_error(text, code, line, column)


# --- lexical errors surface from parse() ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ('a = "abc', "E003", 1, 5),
        ('a\n  "abc', "E003", 2, 3),
        ("a /* x", "E002", 1, 3),
        ("f=/abc", "E004", 1, 3),
        ("x := /abc", "E004", 1, 6),
    ],
)
def test_lexical_errors(text: str, code: str, line: int, column: int) -> None:
    check_error(text, code, line, column)


def test_bare_https_scheme_is_a_syntax_error() -> None:
    # §1.1: "bare `https://` is a syntax error" (while `https://www.example.com/` is free text).
    err = parse_error("https://")
    assert err.line == 1


def test_render_with_a_file_name() -> None:
    err = parse_error("a=1\n| b > x")
    assert err.render("rule.cql").startswith("rule.cql:2:7: error E106: ")
    assert err.render("rule.cql").split("\n")[1:] == ["| b > x", "      ^"]


def test_render_replaces_tabs_so_the_caret_lines_up() -> None:
    err = parse_error("\ta > b")
    lines = err.render().split("\n")
    assert lines[1] == " a > b"
    assert lines[2].index("^") == lines[1].index("b")


def test_caret_at_end_of_query_is_after_the_text() -> None:
    err = check_error("count(a", "E100", 1, 8)
    assert err.render().split("\n")[2] == "       ^"


# --- nothing else escapes ------------------------------------------------------------------

INVALID = [
    ")",
    "(",
    "]",
    "[",
    "}",
    "{",
    ",",
    ";",
    "=",
    "a=1=2",
    "a ==",
    "<=>",
    ":=",
    "=~",
    "=>",
    "a | =",
    "case {",
    "case { a",
    "case { a ; }}",
    "f match {",
    'f match { "x" }',
    "count(",
    "count(a,",
    "count(a=)",
    "f(a:)",
    "f(,a)",
    "$()",
    '"',
    "/",
    "/*",
    "?",
    "?{",
    "$",
    "`x` := 1",
    "x := ",
    "x := )",
    "x := [",
    "x := {",
    "x := a +* b",
    "a=1 | b:=",
    "NOT NOT",
    "a OR OR b",
    "!(a",
    "a > > 1",
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_inputs_raise_only_cql_syntax_error(text: str) -> None:
    err = parse_error(text)
    assert err.code[0] == "E" and err.code[1:].isdigit()
    assert 1 <= err.line <= text.count("\n") + 1
    assert err.column >= 1
    assert "^" in err.render()


def test_random_inputs_raise_only_cql_syntax_error() -> None:
    pieces = [
        "a", "b", "f", "=", "!=", "<", ">=", "<=>", ":=", "=~", "=>", "(", ")", "[", "]", "{", "}",
        ",", ";", "|", "!", "NOT", "OR", "AND", "case", "match", "*", "/x/i", "/", '"s"', '"',
        "?p", "?{p=1}", "$q", "count(", "1", "-", "+", "%", "//c\n", "/*c*/", "\n", " ",
    ]  # fmt: skip
    rng = random.Random(1546016)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(1500):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        try:
            tree = parse(text)
        except CQLSyntaxError as err:
            assert type(err) is CQLSyntaxError
            assert err.code.startswith("E"), text
            assert err.render()
            outcomes["error"] += 1
        else:
            assert isinstance(tree, Pipeline), text
            outcomes["ok"] += 1
    assert outcomes["ok"] > 0 and outcomes["error"] > 0


# --- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "a" + ")" * 10_000,
        "(" * 10_000 + "a",
        "!" * 10_000 + "a",
        "NOT " * 10_000 + "a",
        "x := " + "(" * 10_000 + "1" + ")" * 10_000,
        "x := " + "-" * 10_000 + "1",
        "x := " + "!" * 10_000 + "a",
        "f(" * 10_000 + ")" * 10_000,
        "[" * 10_000 + "]" * 10_000,
        "case { " * 10_000 + "a" + " }" * 10_000,
        "f(g={ " * 10_000 + "a" + " })" * 10_000,
        "f match { x => " * 10_000 + "a" + " }" * 10_000,
    ],
    ids=[
        "parens",
        "unclosed",
        "bangs",
        "nots",
        "expr-parens",
        "minus",
        "expr-bang",
        "calls",
        "arrays",
        "case",
        "subquery",
        "match",
    ],
)
def test_deep_nesting_is_e110_not_recursion_error(text: str) -> None:
    try:
        parse(text)
    except CQLSyntaxError as err:
        assert err.code == "E110"
        assert err.line == 1
        assert err.render()
    except RecursionError:  # pragma: no cover - the failure being tested for
        pytest.fail("RecursionError escaped the parser")
    else:
        pytest.fail("10,000 levels of nesting were accepted")


def test_moderate_nesting_is_fine() -> None:
    depth = 20
    assert parse("(" * depth + "a" + ")" * depth) == parse("a")
    assert parse("x := " + "(" * depth + "1" + ")" * depth) == parse("x := 1")


def _megabyte_query() -> str:
    seed = SEED.read_text()
    copies = 1_000_000 // len(seed) + 1
    return "\n| ".join([seed] * copies)


def test_one_megabyte_query_parses_in_reasonable_time() -> None:
    text = _megabyte_query()
    assert len(text) >= 1_000_000
    started = time.perf_counter()
    tree = parse(text)
    elapsed = time.perf_counter() - started
    assert len(tree.stages) == 4 * text.count("(#event_simpleName=ProcessRollup2 OR")
    assert elapsed < 10, f"{elapsed:.1f}s for {len(text)} characters"


def test_one_megabyte_query_fails_cleanly_at_the_end() -> None:
    # Long tokens keep this fast: 1,000 stages with a 1 KB regex each, then a stray ')'.
    body = "x" * 1000
    text = "\n".join(f"| f{i}=/{body}/i" for i in range(1000)) + "\n)"
    assert len(text) >= 1_000_000
    started = time.perf_counter()
    err = parse_error(text)
    elapsed = time.perf_counter() - started
    assert (err.code, err.line, err.column) == ("E100", 1001, 1)
    assert err.source_line == ")"
    assert elapsed < 10, f"{elapsed:.1f}s for {len(text)} characters"


def test_one_megabyte_unterminated_string() -> None:
    text = 'a | b="' + "y" * 1_000_000
    err = parse_error(text)
    assert (err.code, err.line, err.column) == ("E003", 1, 7)


def test_one_megabyte_comment_and_word() -> None:
    text = "/* " + "c" * 500_000 + " */ " + "w" * 500_000
    assert parse(text) == Pipeline((parse("w" * 500_000).stages[0],))


# --- empty input -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n", "// c", "/* c */"])
def test_empty_input_is_an_empty_pipeline(text: str) -> None:
    assert parse(text) == Pipeline(())


def test_a_long_line_is_shown_around_the_caret() -> None:
    """A one-line megabyte query gets a short excerpt, caret still under the error."""
    import cqlmatch
    from cqlmatch.errors import CQLSyntaxError

    text = "x=1 " * 300_000 + "| foo("
    try:
        cqlmatch.compile(text)
    except CQLSyntaxError as err:
        rendered = err.render("<q>")
    else:
        raise AssertionError("compiled")
    assert len(rendered) < 1000
    line, caret = rendered.splitlines()[1:3]
    assert line.startswith("...") and line.endswith("| foo(")
    assert caret.index("^") == len(line)  # just past the end: the missing value
