"""Semantics of the language and the core functions, from docs/semantics.md
and the LogScale reference, with hand-computed expectations.  Every test runs
on every engine."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str, **kw) -> list[dict]:
    return cqlmatch.compile(query, **kw).run(events, engine=engine)


def kept(query: str, events: list[dict], engine: str) -> list[str]:
    """The ``id`` of each event the query keeps."""
    return [row["id"] for row in run(query, events, engine)]


EVENTS = [
    {"id": "1", "user": "alice", "path": r"C:\Temp\x.exe", "bytes": "1500", "tag": "a"},
    {"id": "2", "user": "Alice", "path": r"C:\Windows\cmd.exe", "bytes": "20"},
    {"id": "3", "user": "bob", "bytes": "n/a", "note": ""},
    {"id": "4", "path": "/usr/bin/ssh", "bytes": "-5.5", "note": "hello world"},
]


# --- field filters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("user=alice", ["1"]),  # whole value, case-sensitive
        ('user="alice"', ["1"]),
        ("user=ali", []),  # anchored: no substring match
        ("user=*ice", ["1", "2"]),
        ("user=*", ["1", "2", "3"]),  # exists
        ("note=*", ["3", "4"]),  # an empty value exists
        ('note=""', ["3"]),
        ("user!=alice", ["2", "3", "4"]),  # true when the field is missing
        ("user!=*", ["4"]),
        ("NOT user=alice", ["2", "3", "4"]),
        ("user=/ali/i", ["1", "2"]),  # unanchored, case-insensitive
        ("user=/^a/", ["1"]),
        ("NOT user=/^a/", ["2", "3", "4"]),
        (r"path=*\\Temp\\*", ["1"]),
        ("bytes>100", ["1"]),
        ("bytes<=20", ["2", "4"]),  # n/a is not a number: false
        ("bytes<0", ["4"]),
        ("bytes>=-5.5", ["1", "2", "4"]),
        ('note like "lo w"', ["4"]),
        ("true", ["1", "2", "3", "4"]),
        ("false", []),
        ("*", ["1", "2", "3", "4"]),
    ],
)
def test_field_filters(query: str, expected: list[str], engine: str) -> None:
    assert kept(query, EVENTS, engine) == expected


# --- precedence ------------------------------------------------------------------


def test_or_binds_tighter_than_juxtaposition(engine: str) -> None:
    # a b OR c == a AND (b OR c): id=1 is alice and has a tag; id=2 is Alice
    assert kept("bytes=* user=alice OR user=Alice", EVENTS, engine) == ["1", "2"]
    assert kept("user=bob user=alice OR user=Alice", EVENTS, engine) == []


def test_not_binds_to_one_primary(engine: str) -> None:
    # NOT user=alice OR user=bob == (NOT user=alice) OR user=bob
    assert kept("NOT user=alice OR user=bob", EVENTS, engine) == ["2", "3", "4"]
    assert kept("NOT (user=alice OR user=bob)", EVENTS, engine) == ["2", "4"]


# --- free text ------------------------------------------------------------------------


def test_free_text_is_case_sensitive_substring(engine: str) -> None:
    assert kept("Alice", EVENTS, engine) == ["2"]
    assert kept('"hello wor"', EVENTS, engine) == ["4"]
    assert kept("/ALICE/i", EVENTS, engine) == ["1", "2"]


def test_free_text_searches_rawstring_but_not_fields_created_later(engine: str) -> None:
    events = [{"id": "1", "a": "x"}]
    # the raw line contains the key "a" too
    assert kept('"\\"a\\":\\"x\\""', events, engine) == ["1"]
    assert kept('b := "needle" | needle', events, engine) == []


def test_free_text_skips_tag_fields(engine: str) -> None:
    events = [{"id": "1", "#repo": "secret"}]
    # the tag value is still in the raw line, which free text searches
    assert kept("secret", events, engine) == ["1"]
    assert kept("#repo=secret", events, engine) == ["1"]


def test_tag_filter_falls_back_to_plain_field(engine: str) -> None:
    events = [
        {"id": "1", "event_simpleName": "ProcessRollup2"},
        {"id": "2", "#event_simpleName": "ProcessRollup2"},
        {"id": "3", "#event_simpleName": "DnsRequest", "event_simpleName": "ProcessRollup2"},
    ]
    assert kept("#event_simpleName=ProcessRollup2", events, engine) == ["1", "2"]


# --- regex extraction -----------------------------------------------------------------


def test_named_groups_create_fields(engine: str) -> None:
    events = [{"id": "1", "email": "jo@example.com"}, {"id": "2", "email": "nope"}]
    rows = run("email=/(?<user>[^@]+)@(?<domain>.+)/", events, engine)
    assert rows == [{"id": "1", "email": "jo@example.com", "user": "jo", "domain": "example.com"}]


def test_regex_function_defaults_to_rawstring_and_strict(engine: str) -> None:
    events = [{"id": "1", "msg": "port=443"}, {"id": "2", "msg": "none"}]
    assert run('regex("port=(?<port>\\\\d+)")', events, engine) == [
        {"id": "1", "msg": "port=443", "port": "443"}
    ]
    rows = run('regex("port=(?<port>\\\\d+)", field=msg, strict=false)', events, engine)
    assert rows == [{"id": "1", "msg": "port=443", "port": "443"}, {"id": "2", "msg": "none"}]


def test_regex_repeat_yields_one_event_per_match(engine: str) -> None:
    events = [{"id": "1", "msg": "a=1 a=2 a=3"}]
    rows = run('regex("a=(?<n>\\\\d)", field=msg, repeat=true)', events, engine)
    assert [r["n"] for r in rows] == ["1", "2", "3"]


# --- case and match ---------------------------------------------------------------------


def test_case_first_emitting_branch_wins_and_unmatched_are_dropped(engine: str) -> None:
    query = 'case { user=alice | k := "A" ; bytes>10 | k := "B" ; user=bob }'
    rows = run(query, EVENTS, engine)
    assert [(r["id"], r.get("k")) for r in rows] == [("1", "A"), ("2", "B"), ("3", None)]


def test_case_branch_that_does_not_emit_leaves_no_trace(engine: str) -> None:
    query = 'case { k := "X" | user=nobody ; * }'
    rows = run(query, [{"id": "1", "user": "a"}], engine)
    assert rows == [{"id": "1", "user": "a"}]


def test_nested_case(engine: str) -> None:
    query = 'case { user=* | case { user=/^a/ | k := "a" ; * | k := "other" } ; * | k := "none" }'
    assert [r["k"] for r in run(query, EVENTS, engine)] == ["a", "other", "other", "none"]


def test_match_statement(engine: str) -> None:
    query = 'user match { "alice" => k := 1 ; /^b/ => k := 2 ; * => k := 0 }'
    assert [r["k"] for r in run(query, EVENTS, engine)] == ["1", "0", "2", "0"]


def test_match_without_default_drops_unmatched_and_missing(engine: str) -> None:
    query = 'user match { "alice" => k := 1 ; "bob" => k := 2 }'
    assert [r["id"] for r in run(query, EVENTS, engine)] == ["1", "3"]


# --- assignments and expressions -------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("7 / 2", "3.5"),
        ("6 / 3", "2"),
        ("7 % 4", "3"),
        ("-a", "-10"),
        ("a * 1.5", "15"),
        ("a - b", "7"),
        ('a == "10"', "true"),
        ("a == 10.0", "true"),  # both numeric: compared as numbers
        ('s == "x"', "true"),
        ("a > b", "true"),
        ('s < "y"', "true"),  # text compares as strings
        ("a > 5 and b < 5", "true"),
        ("a > 50 or !(b < 5)", "false"),
        ("not a == 10", "false"),
        ('"lit"', "lit"),
        ("true", "true"),
    ],
)
def test_expressions(expr: str, expected: str, engine: str) -> None:
    rows = run(f"r := {expr}", [{"a": "10", "b": "3", "s": "x"}], engine)
    assert rows[0]["r"] == expected


@pytest.mark.parametrize("expr", ["missing + 1", "a / 0", "s * 2", "missing"])
def test_assignment_without_value_keeps_event_unchanged(expr: str, engine: str) -> None:
    event = {"a": "10", "s": "x"}
    assert run(f"r := {expr}", [event], engine) == [event]


def test_test_function_drops_on_missing_operand(engine: str) -> None:
    events = [{"id": "1", "a": "y"}, {"id": "2"}]
    assert kept('test(a != "x")', events, engine) == ["1"]
    assert kept('a != "x"', events, engine) == ["1", "2"]
    assert kept("test(a == b)", [{"id": "1", "a": "1", "b": "1.0"}], engine) == ["1"]


def test_if_function(engine: str) -> None:
    query = 'k := if(bytes > 100, then="big", else="small")'
    assert [r["k"] for r in run(query, EVENTS, engine)] == ["big", "small", "small", "small"]


def test_if_positional_and_filter_condition_extensions(engine: str) -> None:
    query = 'k := if(user=/^a/i, "A", "other")'
    q = cqlmatch.compile(query)
    assert {d.code for d in q.diagnostics} == {"W301", "W303"}
    assert [r["k"] for r in q.run(EVENTS, engine=engine)] == ["A", "A", "other", "other"]


def test_eval_and_field_call(engine: str) -> None:
    rows = run("eval(c = a * 2) | a =~ default(value=0)", [{"a": "4"}, {"b": "1"}], engine)
    assert rows == [{"a": "4", "c": "8"}, {"b": "1", "a": "0"}]


def test_assign_call_with_as_parameter(engine: str) -> None:
    rows = run("lo := lower(user)", [{"user": "ÉLODIE"}], engine)
    assert rows == [{"user": "ÉLODIE", "lo": "élodie"}]


def test_coalesce(engine: str) -> None:
    query = "c := coalesce([missing, empty, user])"
    assert run(query, [{"empty": "", "user": "u"}], engine)[0]["c"] == "u"
    query = "c := coalesce([missing, empty, user], ignoreEmpty=false)"
    assert run(query, [{"empty": "", "user": "u"}], engine)[0]["c"] == ""


# --- field functions ---------------------------------------------------------------------


def test_default_drop_rename_select(engine: str) -> None:
    events = [{"a": "1", "b": "", "c": "3"}]
    assert run('default(value="-", field=[a, b, z])', events, engine) == [
        {"a": "1", "b": "", "c": "3", "z": "-"}
    ]
    assert run('default(value="-", field=[b], replaceEmpty=true)', events, engine)[0]["b"] == "-"
    assert run("drop([a, c])", events, engine) == [{"b": ""}]
    assert run("rename(a, as=x)", events, engine) == [{"b": "", "c": "3", "x": "1"}]
    assert run("select([c, a, nope])", events, engine) == [{"c": "3", "a": "1"}]


def test_string_functions(engine: str) -> None:
    events = [{"s": "Straße 日本", "t": "x"}]
    row = run("lower(s) | upper(s) | length(s) | concat([s, t], as=st)", events, engine)[0]
    assert row["_lower"] == "straße 日本"
    assert row["_upper"] == "STRASSE 日本"
    assert row["_length"] == "9"
    assert row["st"] == "Straße 日本x"


def test_text_contains(engine: str) -> None:
    query = 'test(text:contains(string=cmd, substring="-enc"))'
    events = [{"id": "1", "cmd": "powershell -enc AAA"}, {"id": "2", "cmd": "ls"}, {"id": "3"}]
    assert kept(query, events, engine) == ["1"]


# --- filter functions ------------------------------------------------------------------------


def test_in(engine: str) -> None:
    assert kept("in(user, values=[alice, bob])", EVENTS, engine) == ["1", "3"]
    assert kept("in(user, values=[ALICE], ignoreCase=true)", EVENTS, engine) == ["1", "2"]
    assert kept('in(path, values=["*.exe"])', EVENTS, engine) == ["1", "2"]
    assert kept("!in(user, values=[alice])", EVENTS, engine) == ["2", "3", "4"]


def test_cidr(engine: str) -> None:
    events = [
        {"id": "1", "ip": "10.1.2.3"},
        {"id": "2", "ip": "8.8.8.8"},
        {"id": "3", "ip": "fd00::1"},
        {"id": "4", "ip": "not-an-ip"},
        {"id": "5"},
    ]
    assert kept('cidr(ip, subnet=["10.0.0.0/8", "fc00::/7"])', events, engine) == ["1", "3"]
    assert kept('!cidr(ip, subnet="10.0.0.0/8")', events, engine) == ["2", "3", "4", "5"]
    assert kept("ip =~ cidr(subnet=10.0.0.0/8)", events, engine) == ["1"]


def test_wildcard(engine: str) -> None:
    assert kept('wildcard(field=user, pattern="ali*")', EVENTS, engine) == ["1"]
    assert kept('wildcard(field=user, pattern="ali*", ignoreCase=true)', EVENTS, engine) == [
        "1",
        "2",
    ]
    assert kept('wildcard(pattern="hello")', EVENTS, engine) == ["4"]
    assert kept('wildcard(field=note, pattern="*")', EVENTS, engine) == ["3", "4"]


# --- aggregation -------------------------------------------------------------------------------


def test_count_sum_avg_min_max(engine: str) -> None:
    rows = run(
        "[count(), count(bytes, as=withBytes), count(user, distinct=true, as=users), "
        "sum(bytes), avg(bytes), min(bytes), max(bytes)]",
        EVENTS,
        engine,
    )
    # numeric bytes: 1500, 20, -5.5 ("n/a" is skipped)
    assert rows == [
        {
            "_count": "4",
            "withBytes": "4",
            "users": "3",
            "_sum": "1514.5",
            "_avg": "504.8333333333333",
            "_min": "-5.5",
            "_max": "1500",
        }
    ]


def test_aggregate_without_input_gives_no_row(engine: str) -> None:
    assert run("sum(missing)", EVENTS, engine) == []
    assert run("count()", [], engine) == [{"_count": "0"}]


def test_groupby_excludes_events_missing_a_group_field(engine: str) -> None:
    rows = run("groupBy([user])", EVENTS, engine)
    assert rows == [
        {"user": "alice", "_count": "1"},
        {"user": "Alice", "_count": "1"},
        {"user": "bob", "_count": "1"},
    ]
    rows = run(
        'default(value="?", field=user) | groupBy(user, function=count(bytes, as=n))',
        EVENTS,
        engine,
    )
    assert rows[-1] == {"user": "?", "n": "1"}


def test_groupby_empty_value_is_its_own_group_and_function_list(engine: str) -> None:
    events = [{"k": ""}, {"k": "", "v": "2"}, {"k": "x", "v": "5"}]
    rows = run("groupBy(k, function=[count(), sum(v)])", events, engine)
    assert rows == [{"k": "", "_count": "2", "_sum": "2"}, {"k": "x", "_count": "1", "_sum": "5"}]
    assert run("groupBy(k, function=[])", events, engine) == [{"k": ""}, {"k": "x"}]


def test_groupby_limit_warns(engine: str) -> None:
    q = cqlmatch.compile("groupBy(k, limit=2)")
    rows = q.run([{"k": str(i)} for i in range(5)], engine=engine)
    assert [r["k"] for r in rows] == ["0", "1"]
    assert [code for code, _ in rows.warnings] == ["W401"]


def test_sort_head_tail_table(engine: str) -> None:
    events = [{"n": "10", "s": "b"}, {"n": "9", "s": "a"}, {"n": "x", "s": "c"}, {"s": "d"}]
    assert [r.get("n") for r in run("sort(n)", events, engine)] == ["10", "9", "x", None]
    assert [r.get("n") for r in run("sort(n, order=asc)", events, engine)] == ["9", "10", "x", None]
    assert [r["s"] for r in run("sort(s, type=string, order=asc, limit=2)", events, engine)] == [
        "a",
        "b",
    ]
    assert [r["s"] for r in run("head(2)", events, engine)] == ["b", "a"]
    assert [r["s"] for r in run("tail(1)", events, engine)] == ["d"]
    rows = run("table([s, n], sortby=n, order=asc, limit=3)", events, engine)
    assert rows == [{"s": "a", "n": "9"}, {"s": "b", "n": "10"}, {"s": "c", "n": "x"}]


def test_stages_after_aggregate_see_rows(engine: str) -> None:
    rows = run("groupBy(user) | _count > 0 | sort(user, type=string, order=asc)", EVENTS, engine)
    assert [r["user"] for r in rows] == ["Alice", "alice", "bob"]


# --- checker errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code", "fragment"),
    [
        ("groupby(x) | cuont()", "E201", "did you mean count()"),
        ("ipLocation(ip)", "E223", "GeoIP"),
        ("fieldstats()", "E202", "LogScale-side data"),
        ("count(x, y)", "E203", "one unnamed argument"),
        ("count(feild=x)", "E204", "did you mean field"),
        ("text:length(s, foo=1)", "E204", "no parameter 'foo'"),
        ("test(b, a=1)", "E204", "no parameter 'a'"),
        ("sort(x, limit=1, limit=2)", "E205", "twice"),
        ("in(x)", "E206", "'values'"),
        ("head(limit=abc)", "E207", "integer or max"),
        ("case { groupBy(x) }", "E208", "inside case"),
        ("x=?missing", "E220", "?missing"),
        ("$saved()", "E221", "saved query"),
        ("x=/(?<=a)b/", "E230", "look-behind"),
        ("eval(bytes * 1024)", "E207", "eval(field = expression)"),
        ("eval()", "E206", "'expression'"),
        ("sort([x], order=[asc, desc])", "E207", "one per field"),
        ("match(table=nowhere, field=x)", "E222", "defineTable"),
        ("test([x])", "E207", "not a list"),
    ],
)
def test_compile_errors(query: str, code: str, fragment: str) -> None:
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile(query)
    (error,) = info.value.errors
    assert error.code == code
    assert fragment in error.message or fragment in (error.expected or "")
    assert "^" in info.value.render()


def test_parameters_fill_placeholders(engine: str) -> None:
    q = cqlmatch.compile("user=?who | k := ?{label=none}", params={"who": "bob"})
    assert q.run(EVENTS, engine=engine) == [
        {"id": "3", "user": "bob", "bytes": "n/a", "note": "", "k": "none"}
    ]


def test_match_arm_with_a_filter_call_tests_the_subject(engine: str) -> None:
    query = 'user match { in(values=[alice, bob]) => k := "known" ; * => k := "other" }'
    assert [r["k"] for r in run(query, EVENTS, engine)] == ["known", "other", "known", "other"]


def test_very_long_digit_strings_are_not_numbers(engine: str) -> None:
    events = [{"n": "9" * 5000}, {"n": "5"}]
    assert [r["n"] for r in run("n > 1", events, engine)] == ["5"]


def test_filter_condition_with_a_wildcard_value(engine: str) -> None:
    # ``a=x*y`` inside a call parses as arithmetic; as a filter condition it
    # is the wildcard pattern written there (found by the differential tests)
    events = [{"a": "xAy"}, {"a": "xy"}, {"a": "b"}]
    assert [r["k"] for r in run('k := if(a=x*y, then="1", else="2")', events, engine)] == [
        "1",
        "1",
        "2",
    ]
    assert run("test(a=x*y)", events, engine) == events[:2]


def test_a_parameter_without_a_value_is_the_only_error() -> None:
    # as=?Customer is given: the missing value is E220, not also "rename() needs as="
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile("rename(field=name, as=?Customer)")
    assert [d.code for d in info.value.errors] == ["E220"]
