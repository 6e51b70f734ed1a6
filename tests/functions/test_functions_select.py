"""collect, selectLast, selectFromMax, selectFromMin and top, written from
the LogScale function pages with hand-computed results.  Every test runs on
each engine."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str) -> list[dict[str, str]]:
    return cqlmatch.compile(query).run(events, engine=engine)


# --- collect --------------------------------------------------------------------------

VISITS = [
    {"ip": "1.1.1.1", "url": "/a"},
    {"ip": "1.1.1.1", "url": "/b"},
    {"ip": "2.2.2.2", "url": "/é"},
    {"ip": "1.1.1.1", "url": "/a"},
    {"ip": "2.2.2.2"},
    {"ip": "1.1.1.1", "url": ""},
]


def test_collect_distinct_values_joined_by_newline(engine):
    assert run("groupBy(ip, function=collect(url))", VISITS, engine) == [
        {"ip": "1.1.1.1", "url": "/a\n/b\n"},
        {"ip": "2.2.2.2", "url": "/é"},
    ]


def test_collect_separator(engine):
    assert run('groupBy(ip, function=collect([url], separator=";"))', VISITS, engine) == [
        {"ip": "1.1.1.1", "url": "/a;/b;"},
        {"ip": "2.2.2.2", "url": "/é"},
    ]


def test_collect_at_top_level(engine):
    events = [{"u": "日本"}, {"u": "x"}, {"u": "日本"}, {"v": "1"}]
    assert run("collect(u)", events, engine) == [{"u": "日本\nx"}]


def test_collect_several_fields(engine):
    events = [{"a": "1", "b": "x"}, {"a": "2"}, {"a": "1", "b": "y"}]
    assert run("collect([a, b, c])", events, engine) == [{"a": "1\n2", "b": "x\ny"}]


def test_collect_limit_keeps_the_first_values_and_warns(engine):
    query = cqlmatch.compile('collect(u, limit=2, separator=",")')
    events = [{"u": "c"}, {"u": "a"}, {"u": "c"}, {"u": "b"}, {"u": "d"}]
    rows = query.run(events, engine=engine)
    assert rows == [{"u": "c,a"}]
    assert [code for code, _ in rows.warnings] == ["W410"]


def test_collect_within_limit_does_not_warn(engine):
    query = cqlmatch.compile("collect(u, limit=2)")
    rows = query.run([{"u": "a"}, {"u": "b"}, {"u": "a"}], engine=engine)
    assert rows == [{"u": "a\nb"}]
    assert rows.warnings == []


def test_collect_multival_false_writes_an_array(engine):
    events = [{"u": "a"}, {"u": "b"}, {"u": "a"}]
    assert run("collect(u, multival=false)", events, engine) == [{"u[0]": "a", "u[1]": "b"}]


def test_collect_without_values_gives_no_row(engine):
    events = [{"h": "1", "u": "a"}, {"h": "2"}]
    assert run("groupBy(h, function=collect(u))", events, engine) == [{"h": "1", "u": "a"}]
    assert run("collect(u)", [{"v": "1"}], engine) == []


def test_collect_with_count_as_the_knowledge_base_suggests(engine):
    out = run("groupBy(ip, function=[count(), collect(url)])", VISITS, engine)
    assert out == [
        {"ip": "1.1.1.1", "_count": "4", "url": "/a\n/b\n"},
        {"ip": "2.2.2.2", "_count": "2", "url": "/é"},
    ]


# --- selectLast ---------------------------------------------------------------------------


def test_select_last_combines_fields_from_several_events(engine):
    # The page: {id:a, from:x}, {id:a, to:x} give one {id, from, to} row.
    events = [{"id": "a", "from": "x"}, {"id": "a", "to": "x"}, {"id": "b", "to": "z"}]
    assert run("groupBy(id, function=selectLast([from, to]))", events, engine) == [
        {"id": "a", "from": "x", "to": "x"},
        {"id": "b", "to": "z"},
    ]


def test_select_last_takes_the_most_recent_value(engine):
    events = [{"s": "old", "n": "1"}, {"s": "", "n": "2"}, {"n": "3"}, {"s": "日本"}]
    assert run("selectLast([s, n])", events, engine) == [{"s": "日本", "n": "3"}]


def test_select_last_without_values_gives_no_row(engine):
    assert run("selectLast(s)", [{"n": "1"}], engine) == []


# --- selectFromMax / selectFromMin -----------------------------------------------------------


def test_select_from_max_latest_value_of_a_field(engine):
    # The page: the event with the largest @timestamp that also has x.
    events = [
        {"@timestamp": "1000", "x": "first"},
        {"@timestamp": "3000", "x": "latest"},
        {"@timestamp": "2000", "x": "middle"},
        {"@timestamp": "4000", "y": "no x"},
    ]
    query = "selectFromMax(@timestamp, include=[x, @timestamp])"
    assert run(query, events, engine) == [{"x": "latest", "@timestamp": "3000"}]


def test_select_from_min_first_value_of_a_field(engine):
    events = [
        {"@timestamp": "3000", "x": "c"},
        {"@timestamp": "1000", "y": "no x"},
        {"@timestamp": "2000", "x": "b"},
    ]
    query = "selectFromMin(@timestamp, include=[x, @timestamp])"
    assert run(query, events, engine) == [{"x": "b", "@timestamp": "2000"}]


NUMBERS = [
    {"v": "-5", "who": "neg"},
    {"v": "abc", "who": "text"},
    {"v": "2.5", "who": "frac"},
    {"v": "1e30", "who": "huge"},
    {"v": "-1e30", "who": "tiny"},
    {"v": "2.50", "who": "tie"},
    {"who": "none"},
]


def test_select_from_max_compares_numbers(engine):
    assert run("selectFromMax(v, include=who)", NUMBERS, engine) == [{"who": "huge"}]
    assert run("selectFromMin(v, include=[who, v])", NUMBERS, engine) == [
        {"who": "tiny", "v": "-1e30"}
    ]


def test_select_from_ties_go_to_the_first_event(engine):
    events = [row for row in NUMBERS if row["who"] in ("neg", "frac", "tie")]
    assert run("selectFromMax(v, include=who)", events, engine) == [{"who": "frac"}]
    events = [{"v": "-1", "who": "a"}, {"v": "-1.0", "who": "b"}]
    assert run("selectFromMin(v, include=who)", events, engine) == [{"who": "a"}]


def test_select_from_max_per_group(engine):
    events = [
        {"host": "h1", "cpu": "10", "proc": "a"},
        {"host": "h2", "cpu": "5", "proc": "é"},
        {"host": "h1", "cpu": "30", "proc": "b"},
        {"host": "h1", "cpu": "20", "proc": "c"},
    ]
    out = run("groupBy(host, function=selectFromMax(cpu, include=[proc, cpu]))", events, engine)
    assert out == [
        {"host": "h1", "proc": "b", "cpu": "30"},
        {"host": "h2", "proc": "é", "cpu": "5"},
    ]


def test_select_from_max_without_a_candidate_gives_no_row(engine):
    assert (
        run("selectFromMax(v, include=who)", [{"v": "x", "who": "a"}, {"who": "b"}], engine) == []
    )


# --- top --------------------------------------------------------------------------------------

PROCS = [
    {"f": "cmd.exe", "u": "a", "b": "10"},
    {"f": "ps.exe", "u": "a", "b": "1.5"},
    {"f": "cmd.exe", "u": "b", "b": "x"},
    {"f": "日本.exe", "u": "a", "b": "-3"},
    {"f": "ps.exe", "u": "a", "b": "100"},
    {"f": "cmd.exe", "u": "a"},
    {"u": "no f", "b": "1000"},
    {"f": "", "u": "a", "b": "2"},
]


def test_top_counts_descending_ties_in_first_seen_order(engine):
    assert run("top(f)", PROCS, engine) == [
        {"f": "cmd.exe", "_count": "3"},
        {"f": "ps.exe", "_count": "2"},
        {"f": "日本.exe", "_count": "1"},
        {"f": "", "_count": "1"},
    ]


def test_top_limit(engine):
    assert run("top(f, limit=2)", PROCS, engine) == [
        {"f": "cmd.exe", "_count": "3"},
        {"f": "ps.exe", "_count": "2"},
    ]


def test_top_default_limit_is_ten(engine):
    events = [{"n": str(i)} for i in range(12) for _ in range(i + 1)]
    out = run("top(n)", events, engine)
    assert [row["n"] for row in out] == [str(i) for i in range(11, 1, -1)]


def test_top_several_fields(engine):
    assert run("top([f, u], limit=2)", PROCS, engine) == [
        {"f": "cmd.exe", "u": "a", "_count": "2"},
        {"f": "ps.exe", "u": "a", "_count": "2"},
    ]


def test_top_sum(engine):
    # Events whose b is missing or not a number are not counted.
    assert run("top(f, sum=b)", PROCS, engine) == [
        {"f": "ps.exe", "_sum": "101.5"},
        {"f": "cmd.exe", "_sum": "10"},
        {"f": "", "_sum": "2"},
        {"f": "日本.exe", "_sum": "-3"},
    ]


def test_top_max(engine):
    assert run("top(f, max=b, limit=2)", PROCS, engine) == [
        {"f": "ps.exe", "_max": "100"},
        {"f": "cmd.exe", "_max": "10"},
    ]


def test_top_as(engine):
    assert run("top(f, as=n, limit=1)", PROCS, engine) == [{"f": "cmd.exe", "n": "3"}]
    assert run("top(f, sum=b, as=total, limit=1)", PROCS, engine) == [
        {"f": "ps.exe", "total": "101.5"}
    ]


def test_top_percent(engine):
    events = [{"k": "a"}, {"k": "b"}, {"k": "a"}, {"k": "c"}]
    assert run("top(k, percent=true)", events, engine) == [
        {"k": "a", "_count": "2", "percent": "50"},
        {"k": "b", "_count": "1", "percent": "25"},
        {"k": "c", "_count": "1", "percent": "25"},
    ]


def test_top_rest_row(engine):
    assert run("top(f, limit=1, rest=others, percent=true)", PROCS, engine) == [
        {"f": "cmd.exe", "_count": "3", "percent": "42.857142857142854"},
        {"f": "others", "_count": "4", "percent": "57.142857142857146"},
    ]


def test_top_rest_with_several_fields_and_sum(engine):
    out = run("top([f, u], sum=b, limit=2, rest=rest)", PROCS, engine)
    assert out == [
        {"f": "ps.exe", "u": "a", "_sum": "101.5"},
        {"f": "cmd.exe", "u": "a", "_sum": "10"},
        {"f": "rest", "u": "rest", "_sum": "-1"},
    ]


def test_top_rest_row_only_when_groups_were_left_out(engine):
    assert run("top(u, rest=others)", PROCS, engine) == [
        {"u": "a", "_count": "6"},
        {"u": "b", "_count": "1"},
        {"u": "no f", "_count": "1"},
    ]


def test_top_of_nothing_is_empty(engine):
    assert run("top(f)", [{"g": "1"}], engine) == []
