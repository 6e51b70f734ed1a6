"""parseJson and kvParse, written from the LogScale function pages with
hand-computed results.  Every test runs on each engine."""

from __future__ import annotations

import json

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str) -> list[dict[str, str]]:
    return cqlmatch.compile(query).run(events, engine=engine)


def one(query: str, event: dict, engine: str) -> dict[str, str] | None:
    return cqlmatch.compile(query).match(event, engine=engine)


def parsed(query: str, source: str, engine: str, field: str = "j") -> dict[str, str]:
    """The fields ``query`` adds to an event whose ``field`` holds ``source``."""
    out = one(query, {field: source}, engine)
    assert out is not None
    return {k: v for k, v in out.items() if k != field}


# --- parseJson ----------------------------------------------------------------------


def test_parse_json_of_the_rawstring_by_default(engine):
    raw = '{"service": "userService", "timestamp": "2017-12-18T20:39:35Z", "msg": "user with id=47 logged in"}'
    assert parsed("parseJson()", raw, engine, field="@rawstring") == {
        "service": "userService",
        "timestamp": "2017-12-18T20:39:35Z",
        "msg": "user with id=47 logged in",
    }


def test_parse_json_flattens_like_input_events(engine):
    source = '{"a": {"b": 1.50, "c": [10, {"d": true}]}, "e": false, "big": 123456789012345678901234567890, "neg": -0.5, "x": {}, "y": []}'
    assert parsed("parseJson(j)", source, engine) == {
        "a.b": "1.50",
        "a.c[0]": "10",
        "a.c[1].d": "true",
        "e": "false",
        "big": "123456789012345678901234567890",
        "neg": "-0.5",
    }


def test_parse_json_prefix_is_written_as_given(engine):
    assert parsed('parseJson(j, prefix="p.")', '{"a": {"b": "c"}}', engine) == {"p.a.b": "c"}
    assert parsed('parseJson(j, prefix="p_")', '{"a": 1}', engine) == {"p_a": "1"}


def test_parse_json_overwrites_existing_fields(engine):
    out = one("parseJson(j)", {"j": '{"a": "new"}', "a": "old", "b": "kept"}, engine)
    assert out == {"j": '{"a": "new"}', "a": "new", "b": "kept"}


def test_parse_json_non_ascii(engine):
    assert parsed("parseJson(j)", '{"名前": "日本", "é": "ü\\u00e9"}', engine) == {
        "名前": "日本",
        "é": "üé",
    }


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("keep", {"a": "null", "b[0]": "null", "b[1]": "1", "c": "x"}),
        ("empty", {"a": "", "b[0]": "", "b[1]": "1", "c": "x"}),
        ("discard", {"b[1]": "1", "c": "x"}),
    ],
)
def test_parse_json_handle_null(engine, handle, expected):
    source = '{"a": null, "b": [null, 1], "c": "x"}'
    assert parsed(f"parseJson(j, handleNull={handle})", source, engine) == expected


def test_parse_json_handle_null_defaults_to_keep(engine):
    assert parsed("parseJson(j)", '{"a": null}', engine) == {"a": "null"}


def test_parse_json_exclude_a_path_and_its_descendants(engine):
    source = '{"a": {"b": {"c": {"d": 1, "e": 2}, "f": 3}}, "g": 4}'
    assert parsed("parseJson(j, exclude=a.b.c)", source, engine) == {"a.b.f": "3", "g": "4"}


def test_parse_json_exclude_is_a_prefix_wildcard(engine):
    # The page: "query" matches query.string and queryString alike.
    source = '{"query": {"string": "s"}, "queryString": "q", "queryStart": 1, "other": 2}'
    assert parsed("parseJson(j, exclude=query)", source, engine) == {"other": "2"}


def test_parse_json_exclude_with_array_wildcard(engine):
    source = '{"a": {"b": [{"c": 1, "k": 2}, {"c": 3, "k": 4}]}}'
    assert parsed('parseJson(j, exclude="a.b[*].c")', source, engine) == {
        "a.b[0].k": "2",
        "a.b[1].k": "4",
    }


def test_parse_json_include_keeps_descendants_of_an_excluded_path(engine):
    source = '{"a": {"b": {"c": {"d": 1, "e": 2}, "f": 3}}}'
    query = "parseJson(j, exclude=a.b, include=[a.b.c.d])"
    assert parsed(query, source, engine) == {"a.b.c.d": "1"}


def test_parse_json_include_alone_excludes_nothing(engine):
    assert parsed("parseJson(j, include=a)", '{"a": 1, "b": 2}', engine) == {"a": "1", "b": "2"}


def test_parse_json_exclude_and_include_see_the_prefix(engine):
    source = '{"a": {"x": 1, "y": 2}, "b": 3}'
    assert parsed('parseJson(j, prefix="p.", exclude=[p.a], include=[p.a.y])', source, engine) == {
        "p.a.y": "2",
        "p.b": "3",
    }
    # Without the prefix the entries match nothing.
    assert parsed('parseJson(j, prefix="p.", exclude=[a])', source, engine) == {
        "p.a.x": "1",
        "p.a.y": "2",
        "p.b": "3",
    }


def test_parse_json_exclude_empty(engine):
    source = '{"a": "", "b": "x", "c": null}'
    assert parsed("parseJson(j, excludeEmpty=true)", source, engine) == {"b": "x", "c": "null"}
    query = "parseJson(j, excludeEmpty=true, handleNull=empty)"
    assert parsed(query, source, engine) == {"b": "x"}
    assert parsed("parseJson(j)", source, engine) == {"a": "", "b": "x", "c": "null"}


def test_parse_json_remove_prefixes_longest_first(engine):
    source = '{"a": {"b": {"c": 1}, "d": 2}, "ab": {"c": 3}, "x": 4}'
    assert parsed("parseJson(j, removePrefixes=[a, a.b])", source, engine) == {
        "c": "1",
        "d": "2",
        "ab.c": "3",  # "a" is not a leading path of "ab.c"
        "x": "4",
    }


def test_parse_json_remove_prefixes_then_prefix(engine):
    source = '{"event": {"user": "u", "host": "h"}}'
    query = 'parseJson(j, prefix="e_", removePrefixes=event)'
    assert parsed(query, source, engine) == {"e_user": "u", "e_host": "h"}


def test_parse_json_top_level_array(engine):
    assert parsed("parseJson(j)", '[{"a": 1}, "s"]', engine) == {
        "_events[0].a": "1",
        "_events[1]": "s",
    }


@pytest.mark.parametrize(
    "source", ["not json", '{"a": 1', "", "42", '"text"', '{"a": NaN}', "{'a': 1}"]
)
def test_parse_json_of_non_json_leaves_the_event(engine, source):
    assert one("parseJson(j)", {"j": source}, engine) == {"j": source}


def test_parse_json_missing_field_leaves_the_event(engine):
    assert one("parseJson(j)", {"k": '{"a": 1}'}, engine) == {"k": '{"a": 1}'}


def test_parse_json_then_filter(engine):
    events = [{"j": json.dumps({"user": {"name": "n", "id": n}})} for n in (1, 2, 3)]
    out = run("parseJson(j) | user.id >= 2 | select(user.id)", events, engine)
    assert out == [{"user.id": "2"}, {"user.id": "3"}]


# --- kvParse --------------------------------------------------------------------------------

MESSAGE = "user=john.doe status=active role=admin sessionID=12345"


def test_kv_parse_keeps_existing_fields_by_default(engine):
    event = {"status": "200", "message": MESSAGE}
    assert one("kvParse(field=message)", event, engine) == {
        "status": "200",
        "message": MESSAGE,
        "user": "john.doe",
        "role": "admin",
        "sessionID": "12345",
    }


def test_kv_parse_override(engine):
    event = {"status": "200", "message": MESSAGE}
    out = one("kvParse(field=message, override=true)", event, engine)
    assert out["status"] == "active"
    assert out["user"] == "john.doe"


def test_kv_parse_rawstring_by_default(engine):
    out = one("kvParse()", {"@rawstring": "a=1 b=2"}, engine)
    assert out == {"@rawstring": "a=1 b=2", "a": "1", "b": "2"}


def test_kv_parse_quoted_values(engine):
    text = r"""a="x y" b='c d' e="say \"hi\"" f="" g=plain"""
    assert parsed("kvParse(m)", text, engine, field="m") == {
        "a": "x y",
        "b": "c d",
        "e": 'say "hi"',
        "f": "",
        "g": "plain",
    }


def test_kv_parse_comma_separated_pairs(engine):
    assert parsed("kvParse(m)", "a=1, b=-2.5,c=3; d=4", engine, field="m") == {
        "a": "1",
        "b": "-2.5",
        "c": "3",
        "d": "4",
    }


def test_kv_parse_value_may_contain_the_separator(engine):
    text = "url=http://h/p?q=1 next=2"
    assert parsed("kvParse(m)", text, engine, field="m") == {"url": "http://h/p?q=1", "next": "2"}


def test_kv_parse_skips_words_that_are_not_pairs(engine):
    text = "Accepted password for root from=10.0.0.1 port=22"
    assert parsed("kvParse(m)", text, engine, field="m") == {"from": "10.0.0.1", "port": "22"}


def test_kv_parse_separator(engine):
    assert parsed('kvParse(m, separator=":")', "a:1 b:x=y", engine, field="m") == {
        "a": "1",
        "b": "x=y",
    }


def test_kv_parse_as_prefix(engine):
    assert parsed('kvParse(m, as="kv.")', "a=1 b=2", engine, field="m") == {
        "kv.a": "1",
        "kv.b": "2",
    }


def test_kv_parse_override_checks_the_prefixed_name(engine):
    out = one('kvParse(m, as="kv.")', {"m": "a=1", "a": "old"}, engine)
    assert out == {"m": "a=1", "a": "old", "kv.a": "1"}


def test_kv_parse_exclude_empty(engine):
    assert parsed("kvParse(m, excludeEmpty=true)", 'a= b=2 c=""', engine, field="m") == {"b": "2"}
    assert parsed("kvParse(m)", 'a= b=2 c=""', engine, field="m") == {"a": "", "b": "2", "c": ""}


@pytest.mark.parametrize(
    ("padding", "text", "expected"),
    [
        ("yes", "a = 1, b = 2", {"a": "1", "b": "2"}),
        ("yes", "a = , b = 2", {"a": "", "b": "2"}),
        ("unknown", "a = 1 b= c=3", {"a": "1", "b": "", "c": "3"}),
        ("no", "a=1, b= c=3", {"a": "1", "b": "", "c": "3"}),
        ("no", "a = 1 b=2", {"b": "2"}),  # no padding allowed: "a = 1" is no pair
        ("no", "msg= hello", {"msg": ""}),
        ("yes", "msg= hello", {"msg": "hello"}),
    ],
)
def test_kv_parse_separator_padding(engine, padding, text, expected):
    query = f"kvParse(m, separatorPadding={padding})"
    assert parsed(query, text, engine, field="m") == expected


def test_kv_parse_duplicate_keys_keep_the_last(engine):
    assert parsed("kvParse(m)", "a=1 a=2", engine, field="m") == {"a": "2"}


def test_kv_parse_non_ascii(engine):
    assert parsed("kvParse(m)", '名前=日本 city="Zürich Ost" é=ü', engine, field="m") == {
        "名前": "日本",
        "city": "Zürich Ost",
        "é": "ü",
    }


def test_kv_parse_missing_or_empty_field_adds_nothing(engine):
    assert one("kvParse(m)", {"n": "a=1"}, engine) == {"n": "a=1"}
    assert one("kvParse(m)", {"m": ""}, engine) == {"m": ""}


def test_kv_parse_then_aggregate(engine):
    events = [{"m": "user=a bytes=10"}, {"m": "user=b bytes=5"}, {"m": "user=a bytes=-2.5"}]
    out = run("kvParse(m) | groupBy(user, function=sum(bytes))", events, engine)
    assert out == [{"user": "a", "_sum": "7.5"}, {"user": "b", "_sum": "5"}]
