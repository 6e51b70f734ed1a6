"""parseJson, kvParse, parseXml, parseCsv, parseUrl, json:prettyPrint and
writeJson, written from the LogScale function pages with hand-computed
results.  Every test runs on each engine."""

from __future__ import annotations

import json

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES

from .helpers import match, value


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


# --- parseXml, parseCsv, parseUrl ------------------------------------------------------------


def test_parse_xml_repeated_elements(engine):
    # the page's example "Parse XML With Multiple Inner Elements"
    event = {"@rawstring": "<outer><inner>1</inner><inner>2</inner><inner>3</inner></outer>"}
    out = match("parseXml()", event, engine)
    assert out["outer.inner"] == "1"
    assert [out[f"outer.inner[{i}]"] for i in range(3)] == ["1", "2", "3"]


def test_parse_xml_field_attributes_and_namespaces(engine):
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
        '<Principals><Principal id="Author"><UserId>S-1-5-18</UserId></Principal></Principals>'
        "<Settings><Hidden>true</Hidden><Name>Größe</Name><Empty/></Settings></Task>"
    )
    out = match("parseXml(TaskXml)", {"TaskXml": xml}, engine)
    assert out["Task.version"] == "1.2"
    assert out["Task.Principals.Principal.id"] == "Author"
    assert out["Task.Principals.Principal.UserId"] == "S-1-5-18"
    assert out["Task.Settings.Hidden"] == "true"
    assert out["Task.Settings.Name"] == "Größe"
    assert out["Task.Settings.Empty"] == ""
    rows = run(
        "parseXml(TaskXml) | Hidden := rename(Task.Settings.Hidden) | Hidden=/true/i",
        [{"TaskXml": xml}],
        engine,
    )
    assert len(rows) == 1


def test_parse_xml_prefix(engine):
    out = match('parseXml(x, prefix="xml.")', {"x": "<log><msg>hi</msg></log>"}, engine)
    assert out == {"x": "<log><msg>hi</msg></log>", "xml.log.msg": "hi"}


def test_parse_xml_invalid(engine):
    event = {"x": "<a><b></a>"}
    out = match("parseXml(x)", event, engine)
    assert out["@error"] == "true"
    assert out["@error_msg"].startswith("parseXml")
    assert match("parseXml(x, strict=true)", event, engine) is None
    assert match("parseXml(x, strict=true)", {"y": "1"}, engine) == {"y": "1"}
    assert match("parseXml(x)", {"x": ""}, engine)["@error"] == "true"


def test_parse_csv(engine):
    # the page's example: sourcetask gets no value, too few columns
    event = {"result": "117,success,27%,3.14"}
    out = match(
        "parseCsv(result, columns=[count, status, completion, precision, sourcetask])",
        event,
        engine,
    )
    assert out == event | {
        "count": "117",
        "status": "success",
        "completion": "27%",
        "precision": "3.14",
    }


@pytest.mark.parametrize(
    ("options", "raw", "expected"),
    [
        ("", '"value 1","value, 2",value 3', {"a": "value 1", "b": "value, 2", "c": "value 3"}),
        ('delimiter=";"', '"x";y;"z ""q"""', {"a": "x", "b": "y", "c": 'z "q"'}),
        ("trim=true", ' "a" ,  b  , c', {"a": "a", "b": "b", "c": "c"}),
        ("", " a, b", {"a": " a", "b": " b"}),
        ("excludeEmpty=true", "1,,3", {"a": "1", "c": "3"}),
        ("", "1,,3", {"a": "1", "b": "", "c": "3"}),
        ("", "ä,ö,ü,extra", {"a": "ä", "b": "ö", "c": "ü"}),
    ],
)
def test_parse_csv_forms(engine, options, raw, expected):
    q = f"parseCsv(f, columns=[a, b, c]{', ' + options if options else ''})"
    out = match(q, {"f": raw}, engine)
    assert {k: v for k, v in out.items() if k != "f"} == expected


def test_parse_csv_rawstring_default_and_missing(engine):
    out = match("parseCsv(columns=[x, y])", {"@rawstring": "1,2"}, engine)
    assert (out["x"], out["y"]) == ("1", "2")
    assert match("parseCsv(f, columns=[x])", {"g": "1"}, engine) == {"g": "1"}


def test_parse_url(engine):
    event = {"url": "https://user:pw@example.com:8080/a%20b/c?x=1&y=%C3%A9#frag"}
    out = match("parseUrl(url)", event, engine)
    assert out == event | {
        "url.scheme": "https",
        "url.username": "user",
        "url.password": "pw",
        "url.host": "example.com",
        "url.port": "8080",
        "url.path": "/a b/c",
        "url.query": "x=1&y=é",
        "url.fragment": "frag",
    }


def test_parse_url_prefix_and_partial_urls(engine):
    # the page: the field name is the default prefix (parseUrl(uri) | groupBy(uri.path))
    events = [{"uri": "/graphql"}, {"uri": "/graphql?x=1"}, {"uri": "/api/v1/refresh"}]
    rows = run("parseUrl(uri) | groupBy(uri.path)", events, engine)
    assert rows == [
        {"uri.path": "/graphql", "_count": "2"},
        {"uri.path": "/api/v1/refresh", "_count": "1"},
    ]
    out = match('parseUrl(u, as="url")', {"u": "http://h"}, engine)
    assert (out["url.scheme"], out["url.host"], out["url.path"]) == ("http", "h", "")
    # the page: site.example.com:80/path is read with site.example.com as the scheme
    out = match("parseUrl(u)", {"u": "site.example.com:80/path/to/examp"}, engine)
    assert out["u.scheme"] == "site.example.com"
    assert "u.host" not in out


def test_parse_url_rejected_text(engine):
    for raw in ("http://a b/", "http://x/%zz", "<script>"):
        assert match("parseUrl(u)", {"u": raw}, engine) == {"u": raw}
    assert match("parseUrl()", {"x": "1"}, engine) == {"x": "1"}


# --- json:prettyPrint, writeJson -----------------------------------------------------------------


def test_json_pretty_print(engine):
    event = {"message": '{"a":1,"b":[1.50,true,null],"c":{}, "é":"ü"}'}
    out = match("formattedJson := json:prettyPrint(field=message, strict=true)", event, engine)
    assert out["formattedJson"] == (
        '{\n  "a": 1,\n  "b": [\n    1.50,\n    true,\n    null\n  ],\n  "c": {},\n  "é": "ü"\n}'
    )
    assert (
        value("json:prettyPrint(message, step=4)", {"message": "[1]"}, "message", engine)
        == "[\n    1\n]"
    )
    assert (
        value("json:prettyPrint(message, step=1)", {"message": "[1]"}, "message", engine)
        == "[\n  1\n]"
    )


def test_json_pretty_print_invalid(engine):
    event = {"message": "{not json"}
    # "By default invalid JSON is copied to the output field unmodified."
    assert value("json:prettyPrint(message, as=out)", event, "out", engine) == "{not json"
    assert match("json:prettyPrint(message, as=out, strict=true)", event, engine) == event
    assert match("json:prettyPrint(message, as=out)", {"x": "1"}, engine) == {"x": "1"}
    assert match("json:prettyPrint()", {"@rawstring": "NaN"}, engine) == {"@rawstring": "NaN"}


def test_write_json(engine):
    # the page's example, one event per field
    events = [{"a.b.c": "5"}, {"a.b.e[0]": "6"}, {"a.d": "7"}, {"a.f.g": "8"}]
    rows = run('writeJson(["a.b.c", "a.b.e[0]", "a.d", "a.f.g"])', events, engine)
    assert [r["_json"] for r in rows] == [
        '{"a":{"b":{"c":5}}}',
        '{"a":{"b":{"e":[6]}}}',
        '{"a":{"d":7}}',
        '{"a":{"f":{"g":8}}}',
    ]


def test_write_json_prefixes_globs_and_types(engine):
    event = {"a.b.c": "x", "a.bc": "1.5", "a.b[0]": "true", "z": "no", "a.b[1]": 'é "q"'}
    out = match('writeJson("a.b", as=j)', event, engine)
    # an object and an array at a.b merge into an object keyed by the indices
    assert out["j"] == '{"a":{"b":{"c":"x","0":true,"1":"é \\"q\\""},"bc":1.5}}'
    out = match("writeJson([a, b])", {"a": "1", "a.x": "2", "b[0]": "3", "b[0].y": "4"}, engine)
    assert out["_json"] == '{"a":1,"b":[3]}'  # a scalar and an object at one path: first wins
    event = {"l[0]": "007", "l[1]": "null", "m": "-0.5e3"}
    assert (
        value('writeJson(["l[*]", "m"])', event, "_json", engine) == '{"l":["007",null],"m":-0.5e3}'
    )
    assert value('writeJson("nothing")', {"a": "1"}, "_json", engine) == "{}"
