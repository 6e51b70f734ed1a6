"""Short, deterministic fuzz pass of the lexer and parser (the CI twin of
fuzz/fuzz_parser.py): any text gives a tree or a CQLSyntaxError pointing
into the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.oracles import check_parse, decode_text

PIECES = [
    *"|{}()[];,=!<>:*/\\\"'?#@$ \n\t-+%&",
    "case {",
    " match {",
    "=>",
    ":=",
    "=~",
    "<=>",
    "AND",
    "OR",
    "NOT",
    "//",
    "/*",
    "*/",
    "/x/i",
    "groupBy(",
    "field=",
    "?{p=1}",
    "a",
    "b.c",
    "1.5e3",
    "é",
    "😀",
]
texts = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
)
FAST = settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@FAST
@given(texts)
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    check_parse(text)


@FAST
@given(st.binary(max_size=80))
def test_any_bytes_parse_or_fail_cleanly(data: bytes) -> None:
    check_parse(decode_text(data))
