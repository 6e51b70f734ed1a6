"""Regex tests OR-ed on one field (Sigma rules list hundreds on one command
line) compile to one alternation of their patterns: one TEST_REGEX, one bit.
The VM agrees with the reference on each alternative, on none, on mixed
flags and anchors, on absent fields and beside other operands."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.bytecode.compiler import REGEX_ANY_MIN, _alternations
from cqlmatch.bytecode.disasm import get_instructions
from cqlmatch.bytecode.opcodes import Op

EVENTS = [
    {"a": "x 😀 y"},
    {"a": "😃"},
    {"a": "ABC-def"},
    {"a": "abc-def"},
    {"a": "start here"},
    {"a": "not at start"},
    {"a": "ends with END"},
    {"a": "end"},
    {"a": "line1\nline2"},
    {"a": "nothing"},
    {"a": ""},
    {"b": "😀"},  # another field
    {},
    {"a": "😀", "b": "zz"},
    {"a": 12345},
    {"a": "1234"},
]

# regexes that stay regexes (plain text compiles to string tests instead)
ALTERNATIVES = ["/😀/i", "/😃+/", "/ab+c-DEF/i", "/^st[a]rt/", "/E.D$/", "/^line2$/m", "/\\d{5}/"]


def ops(query: str) -> list[Op]:
    return [ins.op for ins in get_instructions(cqlmatch.compile(query).program)]


def kept(query: str, engine: str) -> list[dict]:
    return list(cqlmatch.compile(query).run([dict(e) for e in EVENTS], engine=engine, workers=1))


def agree(query: str) -> list[dict]:
    vm = kept(query, "vm")
    assert vm == kept(query, "reference"), query
    return vm


def test_many_regexes_on_one_field_are_one_test() -> None:
    query = " or ".join(f"a={r}" for r in ALTERNATIVES)
    assert ops(query).count(Op.TEST_REGEX) == 1
    kept_events = agree(query)
    # each alternative keeps what it alone keeps
    alone = set()
    for r in ALTERNATIVES:
        alone.update(repr(e) for e in agree(f"a={r}"))
    assert {repr(e) for e in kept_events} == alone
    assert {"a": "nothing"} not in kept_events and {"b": "😀"} not in kept_events


def test_fewer_than_the_minimum_keep_their_own_tests() -> None:
    query = " or ".join(f"a={r}" for r in ALTERNATIVES[: REGEX_ANY_MIN - 1])
    assert ops(query).count(Op.TEST_REGEX) == REGEX_ANY_MIN - 1
    agree(query)


@pytest.mark.parametrize(
    "query",
    [
        # other fields and other tests stay where they are
        " or ".join(f"a={r}" for r in ALTERNATIVES) + " or b=zz",
        "b=* " + " or ".join(f"a={r}" for r in ALTERNATIVES),
        "(" + " or ".join(f"a={r}" for r in ALTERNATIVES) + ") | a!=/😃/",
        # a negated OR
        "not (" + " or ".join(f"a={r}" for r in ALTERNATIVES) + ")",
        # a named group extracts a field: never merged
        "a=/(?<w>😀)/ or " + " or ".join(f"a={r}" for r in ALTERNATIVES),
        # the same pattern twice
        " or ".join(f"a={r}" for r in ALTERNATIVES + ALTERNATIVES),
    ],
)
def test_the_engines_agree(query: str) -> None:
    agree(query)


def test_named_groups_are_never_merged() -> None:
    query = "a=/(?<w>😀)/ or " + " or ".join(f"a={r}" for r in ALTERNATIVES)
    assert {"a": "x 😀 y", "w": "😀"} in agree(query)


def test_alternations_split_when_too_big_for_one_pattern() -> None:
    big = [f"(?:x{i}[a-z]{{1,300}}y){{3}}" for i in range(400)]
    parts = _alternations(big)
    assert 1 < len(parts) < len(big)
    # every pattern is in exactly one part, in order
    assert "|".join(parts) == "|".join(f"(?:{p})" for p in big)
