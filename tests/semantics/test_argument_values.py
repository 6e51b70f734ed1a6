"""Argument values checked against what each function allows, and the
constructs LogScale rejects that cqlmatch runs with a warning (W305-W307).

Written from LogScale's function pages: sort() and table() take
``order`` asc or desc and ``type`` number, string or hex (``any`` deprecated
in 1.125, removed in 1.142); concat() "is not capable of combining arbitrary
strings" and ``concat([dirname, "/", filename])`` "will raise an error"; an
``OR`` is a case whose operands may not extract with a regex."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError
from cqlmatch.runtime.query import ENGINES
from cqlmatch.semantics.catalogue import CATALOGUE, T
from cqlmatch.semantics.fixes import fix_query

from ..functions.helpers import run


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def _error(query: str, strict: bool = False):
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query, strict=strict)
    return info.value.diagnostics


def _warnings(query: str) -> list:
    return [d for d in cqlmatch.compile(query).diagnostics if d.severity == "warning"]


@pytest.mark.parametrize(
    ("query", "value", "fix"),
    [
        ("sort(FileName, order=dsc)", "dsc", "desc"),
        ("sort(FileName, order=up)", "up", None),
        ("sort(type=bogus)", "bogus", None),
        ("sort([a, b], order=[asc, Desc], type=[hex, strng])", "strng", "string"),
        ("table([a], order=acs)", "acs", "asc"),
        ('match(file="t.csv", field=ip, mode=cidrr)', "cidrr", "cidr"),
        ("round(x, how=flor)", "flor", "floor"),
    ],
)
def test_a_value_outside_the_choices_is_an_error_at_the_value(query, value, fix) -> None:
    [diagnostic] = _error(query)
    assert diagnostic.code == "E207"
    assert query[diagnostic.span.start : diagnostic.span.end] == value
    assert diagnostic.fix == fix
    assert ("did you mean" in diagnostic.message) is (fix is not None)


def test_order_up_used_to_sort_ascending_silently() -> None:
    """The issue's case: it passed check with no diagnostic."""
    with pytest.raises(CQLCompileError, match="order=up is not allowed"):
        cqlmatch.compile("sort(FileName, order=up)")


@pytest.mark.parametrize("query", ["sort(f, type=any)", "table([f], sortby=f, type=ANY)"])
def test_type_any_warns_and_sorts_as_number(query: str, engine: str) -> None:
    [warning] = _warnings(query)
    assert warning.code == "W305" and "1.142" in warning.message
    assert warning.fix == "number"
    events = [{"f": "10"}, {"f": "9"}, {"f": "x"}, {"f": "100"}]
    assert [r["f"] for r in run(query, events, engine)] == ["100", "10", "9", "x"]
    [error] = _error(query, strict=True)
    assert error.code == "W305" and error.severity == "error"


@pytest.mark.parametrize(
    ("query", "meant"),
    [
        ("sort(n, order=descending)", "desc"),
        ("sort(n, order=des)", "desc"),
        ("sort(n, order=Ascending)", "asc"),
        ("table([n], sortby=n, order=asce)", "asc"),
    ],
)
def test_spelled_out_orders_of_published_queries_run_with_w308(query, meant, engine) -> None:
    [warning] = _warnings(query)
    assert warning.code == "W308" and warning.fix == meant
    events = [{"n": "1"}, {"n": "3"}, {"n": "2"}]
    expected = ["3", "2", "1"] if meant == "desc" else ["1", "2", "3"]
    assert [r["n"] for r in run(query, events, engine)] == expected
    [error] = _error(query, strict=True)
    assert error.code == "W308"


def test_choices_are_case_insensitive_and_parallel(engine: str) -> None:
    events = [{"a": "1", "b": "x"}, {"a": "1", "b": "y"}, {"a": "2", "b": "a"}]
    rows = run("sort([a, b], order=[ASC, Desc], type=[Number, string])", events, engine)
    assert [(r["a"], r["b"]) for r in rows] == [("1", "y"), ("1", "x"), ("2", "a")]


def test_reverse_true_sorts_descending(engine: str) -> None:
    """sort()/table() reverse= (deprecated): "whether to sort in descending order"."""
    events = [{"n": "1"}, {"n": "3"}, {"n": "2"}]
    assert [r["n"] for r in run("sort(n, reverse=true)", events, engine)] == ["3", "2", "1"]
    assert [r["n"] for r in run("sort(n, reverse=false)", events, engine)] == ["1", "2", "3"]
    rows = run("table([n], sortby=n, reverse=false)", events, engine)
    assert [r["n"] for r in rows] == ["1", "2", "3"]


def test_every_enumerated_parameter_lists_its_choices() -> None:
    for spec in CATALOGUE.values():
        for p in spec.params:
            if p.type in (T.ENUM, T.ENUMS):
                assert p.choices, f"{spec.name}() {p.name}"
                assert p.default is None or str(p.default).lower() in {
                    c.lower() for c in p.choices
                }, f"{spec.name}() {p.name} default {p.default}"


# --- OR with an extracting regex (W306) -------------------------------------------------


def test_or_with_named_groups_warns_at_the_operand(engine: str) -> None:
    query = "f=/(?<w>[a-z]+)/ OR g=1"
    [warning] = _warnings(query)
    assert warning.code == "W306"
    assert query[warning.span.start : warning.span.end] == "f=/(?<w>[a-z]+)/"
    assert run(query, [{"f": "ab"}], engine) == [{"f": "ab", "w": "ab"}]
    [error] = _error(query, strict=True)
    assert error.code == "W306"


def test_or_with_an_extracting_regex_call_warns_too() -> None:
    query = 'regex("(?<w>[a-z]+)", field=f) OR g=1'
    assert [d.code for d in _warnings(query)] == ["W306"]


@pytest.mark.parametrize(
    "query",
    [
        'regex("[a-z]+", field=f) OR g=1',
        "f=/([a-z]+)/ OR g=1",  # an unnamed group extracts nothing
        "f=/(?<w>[a-z]+)/ g=1",  # a stage of its own
        "case { f=/(?<w>[a-z]+)/ ; g=1 }",
    ],
)
def test_no_or_warning_without_extraction_in_an_or(query: str) -> None:
    assert not [d for d in _warnings(query) if d.code == "W306"]


# --- text among concat() fields (W307) ----------------------------------------------------


def test_text_among_concat_fields_warns(engine: str) -> None:
    query = 'concat([dirname, "/", filename], as=pathname)'
    [warning] = _warnings(query)
    assert warning.code == "W307"
    assert query[warning.span.start : warning.span.end] == '"/"'
    # the text is read as a field name: no such field, so it adds nothing
    out = run(query, [{"dirname": "a", "filename": "b"}], engine)
    assert out[0]["pathname"] == "ab"
    [error] = _error(query, strict=True)
    assert error.code == "W307"


def test_a_quoted_field_name_in_concat_is_no_text() -> None:
    assert not _warnings('concat(["event.id-x", b], as=c)')


def test_check_fix_writes_the_documented_values() -> None:
    fixed, codes = fix_query("sort([a, b], order=[descending, asc], type=[any, hex])")
    assert fixed == "sort([a, b], order=[desc, asc], type=[number, hex])"
    assert sorted(codes) == ["W305", "W308"]
