"""TEST_IN: many exact values on one field (``in()``, OR-ed equality tests)
compile to one hash lookup; wildcards keep their own tests and ignoreCase
looks up the casefolded value.  The VM agrees with the reference on hits,
misses, absent fields, ``*`` values and case variants."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.bytecode.compiler import SET_MIN
from cqlmatch.bytecode.disasm import get_instructions
from cqlmatch.bytecode.opcodes import Op
from cqlmatch.bytecode.program import loads

VALUES = [f"v{i}" for i in range(1000)]
EVENTS = [
    {"a": "v0"},
    {"a": "v999"},
    {"a": "v1000"},  # a miss
    {"a": "V5"},  # case variant
    {"a": "v5 "},
    {"a": ""},
    {"b": "v1"},  # field absent
    {},
    {"a": "x*y"},  # the literal text of a wildcard value
    {"a": "xzzy"},
    {"a": "STRASSE"},
    {"a": "straße"},
    {"a": "Straße"},
    {"a": "ǅ"},
    {"a": "ǆ"},
    {"a": "K"},  # Kelvin sign
    {"a": "k"},
    {"#a": "v1"},
    {"a": "v1", "b": "v2"},
]


def ops(query: str) -> list[Op]:
    return [ins.op for ins in get_instructions(cqlmatch.compile(query).program)]


def kept(query: str, engine: str) -> list[dict]:
    return list(cqlmatch.compile(query).run([dict(e) for e in EVENTS], engine=engine, workers=1))


def agree(query: str) -> list[dict]:
    vm = kept(query, "vm")
    assert vm == kept(query, "reference"), query
    return vm


def quoted(values) -> str:
    return ", ".join(f'"{v}"' for v in values)


def test_in_with_many_values_is_one_lookup() -> None:
    query = f"in(a, values=[{quoted(VALUES)}])"
    listing = ops(query)
    assert listing.count(Op.TEST_IN) == 1
    assert Op.TEST_EQ not in listing
    assert [e.get("a") for e in agree(query)] == ["v0", "v999", "v1"]


def test_or_of_equality_tests_is_one_lookup() -> None:
    query = " OR ".join(f"a={v}" for v in VALUES) + " OR b=v2"
    listing = ops(query)
    assert listing.count(Op.TEST_IN) == 1
    assert listing.count(Op.TEST_EQ) == 1  # b=v2
    assert len(agree(query)) == 3
    # NOT, AND around it, and a mix of fields and wildcards
    for query in (
        "!(" + " OR ".join(f"a={v}" for v in VALUES[:20]) + ")",
        "b=* (" + " OR ".join(f"a={v}" for v in VALUES[:20]) + " OR a=x*y)",
        " OR ".join(f"a={v} OR b={v}" for v in VALUES[:20]),
        " OR ".join(f"#a={v}" for v in VALUES[:20]),  # a tag: falls back to a
    ):
        assert Op.TEST_IN in ops(query)
        agree(query)


def test_wildcards_are_not_in_the_set() -> None:
    query = f'in(a, values=[{quoted(VALUES[:50])}, "x*y", "*"])'
    program = cqlmatch.compile(query).program
    assert all("*" not in s for strings in program.value_sets for s in strings)
    assert Op.TEST_GLOB in ops(query)
    assert len(agree(query)) == len([e for e in EVENTS if "a" in e])


def test_few_values_keep_equality_tests() -> None:
    query = f"in(a, values=[{quoted(VALUES[: SET_MIN - 1])}])"
    assert Op.TEST_IN not in ops(query)
    query = " OR ".join(f"a={v}" for v in VALUES[: SET_MIN - 1])
    assert Op.TEST_IN not in ops(query)
    agree(query)


@pytest.mark.parametrize(
    "values",
    [VALUES[:3], VALUES, ["straße", "ǅ", "k", ""], ["STRASSE", "ǆ", "K"], ["İ", "ﬃ"]],
)
def test_ignore_case_looks_up_the_casefolded_value(values) -> None:
    query = f"in(a, values=[{quoted(values)}], ignoreCase=true)"
    assert Op.TEST_IN in ops(query)
    agree(query)


def test_ignore_case_with_wildcards_keeps_the_slow_path() -> None:
    query = f'in(a, values=[{quoted(VALUES[:20])}, "S*"], ignoreCase=true)'
    assert Op.TEST_IN not in ops(query)
    assert len(agree(query)) > 0


def test_program_round_trips_with_its_sets() -> None:
    program = cqlmatch.compile(f"in(a, values=[{quoted(VALUES)}])").program
    again = loads(program.dumps())
    assert again == program
    assert len(again.value_sets[0]) == len(VALUES)
