"""Semantic invariants of the reference interpreter over generated queries
and events (hypothesis): complements, the OR/AND laws as CQL defines them,
and run()/match() agreeing."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

import cqlmatch
from cqlmatch import format_query

FIELDS = ["a", "b", "#event_simpleName", "c.d"]
VALUES = ["x", "X", "", "10", "-2.5", "é", "日本", "a b", "x*"]

field_names = st.sampled_from(FIELDS)
values = st.sampled_from(VALUES)
events = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "event_simpleName", "c"]), values, max_size=4),
    min_size=1,
    max_size=6,
).map(lambda evs: [{**e, "c": {"d": e["c"]}} if "c" in e else e for e in evs])


def _quote(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def primaries(draw) -> str:
    field = draw(field_names)
    kind = draw(st.sampled_from(["eq", "glob", "regex", "num", "exists", "free"]))
    value = draw(values)
    if kind == "eq":
        return f"{field}={_quote(value)}"
    if kind == "glob":
        return f"{field}=*{draw(st.sampled_from(['x', 'X', '本', '']))}*"
    if kind == "regex":
        return f"{field}=/{draw(st.sampled_from(['^x', 'x$', '[0-9]', '.', 'é']))}/{draw(st.sampled_from(['', 'i']))}"
    if kind == "num":
        return f"{field}{draw(st.sampled_from(['<', '<=', '>', '>=']))}{draw(st.sampled_from(['0', '10', '-3']))}"
    if kind == "exists":
        return f"{field}=*"
    return _quote(value)


filters = st.recursive(
    primaries(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: f"({p[0]} {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} OR {p[1]})"),
        inner.map(lambda p: f"NOT {p}"),
    ),
    max_leaves=6,
)


def kept(query: str, evs: list[dict]) -> list[int]:
    indexed = [{**e, "_i": str(i)} for i, e in enumerate(evs)]
    return [int(r["_i"]) for r in cqlmatch.compile(query).run(indexed)]


@settings(max_examples=150, deadline=None)
@given(filters, events)
def test_not_is_the_complement(f: str, evs: list[dict]) -> None:
    keep = set(kept(f, evs))
    drop = set(kept(f"NOT ({f})", evs))
    assert keep.isdisjoint(drop)
    assert keep | drop == set(range(len(evs)))


@settings(max_examples=150, deadline=None)
@given(filters, filters, events)
def test_or_is_union_and_juxtaposition_is_intersection(f: str, g: str, evs: list[dict]) -> None:
    a, b = set(kept(f, evs)), set(kept(g, evs))
    assert set(kept(f"({f}) OR ({g})", evs)) == a | b
    assert set(kept(f"({f}) ({g})", evs)) == a & b
    assert set(kept(f"({f}) | ({g})", evs)) == a & b


@settings(max_examples=100, deadline=None)
@given(field_names, values, events)
def test_not_equal_is_the_complement_of_equal(field: str, value: str, evs: list[dict]) -> None:
    eq = set(kept(f"{field}={_quote(value)}", evs))
    ne = set(kept(f"{field}!={_quote(value)}", evs))
    assert eq.isdisjoint(ne) and eq | ne == set(range(len(evs)))


@settings(max_examples=100, deadline=None)
@given(filters, events)
def test_printed_query_means_the_same(f: str, evs: list[dict]) -> None:
    printed = format_query(cqlmatch.parse(f))
    assert kept(printed, evs) == kept(f, evs)


@settings(max_examples=100, deadline=None)
@given(filters, events)
def test_match_agrees_with_run(f: str, evs: list[dict]) -> None:
    query = cqlmatch.compile(f'{f} | tagged := "yes"')
    rows = query.run(evs)
    matched = [query.match(e) for e in evs]
    assert [m for m in matched if m is not None] == rows
