"""format, replace, splitString, split, urlDecode and base64Decode
(functions/text.py), written from the LogScale function pages with
hand-computed results.  Every test runs on each engine."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES

from .helpers import match, value, warnings


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str) -> list[dict[str, str]]:
    return cqlmatch.compile(query).run(events, engine=engine)


def one(query: str, event: dict, engine: str) -> dict[str, str] | None:
    return cqlmatch.compile(query).match(event, engine=engine)


# --- format -----------------------------------------------------------------------------


def test_format_concatenates_fields_as_the_page_example(engine):
    out = one('format(format="%s,%s", field=[a, b], as="combined")', {"a": "x", "b": "y"}, engine)
    assert out == {"a": "x", "b": "y", "combined": "x,y"}


def test_format_default_output_is_underscore_format(engine):
    out = one('format("[%s]", field=a)', {"a": ""}, engine)
    assert out == {"a": "", "_format": "[]"}


def test_format_assignment_names_the_output(engine):
    assert one('x := format("<%s>", field=a)', {"a": "v"}, engine)["x"] == "<v>"


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("%,.2f", "1234567.891", "1,234,567.89"),
        ("%.2f", "2.675", "2.68"),  # half up on the written decimal
        ("%.2f", "0.125", "0.13"),
        ("%.0f", "0.5", "1"),
        ("%f", "-1", "-1.000000"),
        ("%.1f", "-0.04", "-0.0"),
        ("%.3f", "123456789012345678901234567890.1235", "123456789012345678901234567890.124"),
        ("%10.3f|", "-3.14159", "    -3.142|"),
        ("%d", "42", "42"),
        ("%i", "-7", "-7"),
        ("%d", "1e3", "1000"),
        ("%d", "123456789012345678901234567890", "123456789012345678901234567890"),
        ("%05d", "-42", "-0042"),
        ("%-5d|", "3", "3    |"),
        ("%+d", "5", "+5"),
        ("%+d", "-5", "-5"),
        ("% d", "5", " 5"),
        ("%(d", "-3", "(3)"),
        ("%,d", "-1234567", "-1,234,567"),
        ("%x", "255", "ff"),
        ("%X", "255", "FF"),
        ("%#x", "255", "0xff"),
        ("%#010x", "255", "0x000000ff"),
        ("%x", "-1", "ffffffffffffffff"),  # a Java long in two's complement
        ("%o", "8", "10"),
        ("%e", "12345.678", "1.234568e+04"),
        ("%.2e", "-0.000123", "-1.23e-04"),
        ("%E", "0", "0.000000E+00"),
        ("%g", "123.456", "123.456"),
        ("%g", "0.0001", "0.000100000"),
        ("%g", "1234567", "1.23457e+06"),
        ("%c", "65", "A"),
        ("%c", "日", "日"),
        ("%C", "é", "É"),
        ("%S", "straße", "STRASSE"),
        ("%b", "false", "false"),
        ("%b", "x", "true"),
        ("%d%%", "100", "100%"),
        ("a%nb", "x", "a\nb"),
    ],
)
def test_format_conversions(engine, spec, value, expected):
    query = f'format("{spec}", field=v)'
    assert one(query, {"v": value}, engine)["_format"] == expected


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("%.64s", "x" * 70, "x" * 64),
        ("%.3s", "日本語です", "日本語"),
        ("%-10s|", "é", "é" + " " * 9 + "|"),
        ("%5s|", "日本", "   日本|"),
        ("%2s|", "long", "long|"),
    ],
)
def test_format_string_width_and_precision(engine, spec, value, expected):
    assert one(f'format("{spec}", field=v)', {"v": value}, engine)["_format"] == expected


def test_format_argument_indexes(engine):
    event = {"a": "1", "b": "2"}
    assert one('format("%2$s-%1$s-%<s", field=[a, b])', event, engine)["_format"] == "2-1-1"


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ("%d", "2.5"),  # %d needs an integral value
        ("%d", "abc"),
        ("%f", ""),
        ("%c", "ab"),
        ("%.2d", "5"),  # no precision for integers
        ("%q", "x"),  # unknown conversion
        ("%s %s", "x"),  # one argument short
        ("%-d", "1"),  # '-' needs a width
        ("%tq", "0"),
    ],
)
def test_format_that_cannot_apply_writes_nothing(engine, spec, value):
    out = one(f'format("{spec}", field=v)', {"v": value}, engine)
    assert out == {"v": value}


def test_format_missing_field_writes_nothing(engine):
    out = run('format("%s-%s", field=[a, b])', [{"a": "x"}, {"a": "x", "b": "y"}], engine)
    assert out == [{"a": "x"}, {"a": "x", "b": "y", "_format": "x-y"}]


def test_format_missing_field_that_the_format_does_not_use_is_fine(engine):
    assert one('format("%s", field=[a, b])', {"a": "x"}, engine)["_format"] == "x"


def test_format_time_conversions_in_utc(engine):
    # 1686837825000 ms is 2023-06-15 14:03:45 UTC, a Thursday.
    event = {"t": "1686837825000"}
    query = 'format("%tH|%tF %tT|%tA %tB %te|%tY-%tj|%tL|%Tp|%ts", field=[t,t,t,t,t,t,t,t,t,t,t,t])'
    assert one(query, event, engine)["_format"] == (
        "14|2023-06-15 14:03:45|Thursday June 15|2023-166|000|PM|1686837825"
    )


def test_format_time_in_a_timezone(engine):
    event = {"t": "1686837825000"}
    out = one('format("%tH:%tM %tZ", field=[t, t, t], timezone="Asia/Tokyo")', event, engine)
    assert out["_format"] == "23:03 JST"
    out = one('format("%tR %tz", field=[t, t], timezone="Europe/Paris")', event, engine)
    assert out["_format"] == "16:03 +0200"


def test_format_time_before_the_epoch(engine):
    assert one('format("%tF %tT", field=[t, t])', {"t": "-1000"}, engine)["_format"] == (
        "1969-12-31 23:59:59"
    )


def test_format_unknown_timezone_writes_nothing(engine):
    query = cqlmatch.compile('format("%tH", field=t, timezone="Mars/Olympus")')
    rows = query.run([{"t": "0"}], engine=engine)
    assert rows == [{"t": "0"}]
    assert [code for code, _ in rows.warnings] == ["W412"]


# --- replace ----------------------------------------------------------------------------


def test_replace_defaults_to_rawstring_and_overwrites_it(engine):
    out = one("replace(regex=propperties, with=properties)", {"msg": "propperties"}, engine)
    assert out == {"msg": "propperties", "@rawstring": '{"msg":"properties"}'}


def test_replace_group_reference_into_another_field(engine):
    # The page's example: the integer part of a number into b, a untouched.
    out = one(r'replace("(\d+)\.\d+", with="$1", field=a, as=b)', {"a": "v 12.34 and -5.6"}, engine)
    assert out == {"a": "v 12.34 and -5.6", "b": "v 12 and -5"}


def test_replace_every_occurrence_in_place(engine):
    assert one('replace("o", with="0", field=f)', {"f": "foo boo"}, engine) == {"f": "f00 b00"}


def test_replace_replacement_is_a_synonym_of_with(engine):
    assert one('replace("a", replacement="b", field=f)', {"f": "aXa"}, engine) == {"f": "bXb"}


def test_replace_without_replacement_deletes(engine):
    assert one(r'replace("\d", field=f)', {"f": "a1b22"}, engine) == {"f": "ab"}


def test_replace_named_group_and_whole_match(engine):
    query = r'replace("(?<user>\w+)@(\w+)", with="${user} at $2 ($0)", field=f)'
    assert one(query, {"f": "mail bob@corp"}, engine) == {"f": "mail bob at corp (bob@corp)"}


def test_replace_group_that_did_not_take_part_is_empty(engine):
    assert one('replace("(a)|(b)", with="<$1$2>", field=f)', {"f": "ab"}, engine) == {"f": "<a><b>"}


def test_replace_two_digit_reference_falls_back_to_one_digit(engine):
    # Only group 1 exists, so "$12" is group 1 followed by "2".
    assert one('replace("(x)", with="$12", field=f)', {"f": "axb"}, engine) == {"f": "ax2b"}


def test_replace_missing_group_is_empty_and_warns(engine):
    query = cqlmatch.compile('replace("(a)", with="[$2]", field=f)')
    rows = query.run([{"f": "xa"}], engine=engine)
    assert rows == [{"f": "x[]"}]
    assert [code for code, _ in rows.warnings] == ["W411"]


def test_replace_escaped_dollar_is_literal(engine):
    assert one(r'replace("USD", with="\\$", field=f)', {"f": "5 USD"}, engine) == {"f": "5 $"}


def test_replace_lone_dollar_is_literal(engine):
    assert one('replace("e", with="$ ", field=f)', {"f": "be"}, engine) == {"f": "b$ "}


def test_replace_multiline_flag_is_the_default(engine):
    assert one('replace("^a", with="b", field=f)', {"f": "a\na"}, engine) == {"f": "b\nb"}
    assert one('replace("^a", with="b", field=f, flags="")', {"f": "a\na"}, engine) == {"f": "b\na"}


def test_replace_anchors_see_the_whole_value(engine):
    # Later matches are searched for in the whole text: ^ stays at its start.
    assert one('replace("^a", with="b", field=f, flags="")', {"f": "aaa"}, engine) == {"f": "baa"}
    assert one(r'replace("\\ba", with="b", field=f)', {"f": "aaa a"}, engine) == {"f": "baa b"}


def test_replace_text_with_a_lone_surrogate(engine):
    # RE2 reads UTF-8, which cannot carry a lone surrogate: it becomes U+FFFD.
    assert one('replace("x", with="é", field=f)', {"f": "x\ud800y"}, engine) == {"f": "é\ufffdy"}


def test_replace_flags_ignore_case_and_dotall(engine):
    assert one('replace("abc", with="x", field=f, flags=i)', {"f": "ABC abc"}, engine) == {
        "f": "x x"
    }
    assert one('replace("a.b", with="x", field=f, flags=d)', {"f": "a\nb"}, engine) == {"f": "x"}
    assert one('replace("a.b", with="x", field=f)', {"f": "a\nb"}, engine) == {"f": "a\nb"}


def test_replace_regex_literal_with_flags(engine):
    assert one('replace(/A/i, with="b", field=f)', {"f": "aA"}, engine) == {"f": "bb"}


def test_replace_empty_matches_between_every_character(engine):
    assert one('replace("x*", with="-", field=f)', {"f": "abc"}, engine) == {"f": "-a-b-c-"}
    assert one('replace("x*", with="-", field=f)', {"f": ""}, engine) == {"f": "-"}


def test_replace_non_ascii(engine):
    assert one('replace("é", with="e", field=f)', {"f": "café été"}, engine) == {"f": "cafe ete"}
    assert one('replace(".", with="*", field=f)', {"f": "日本"}, engine) == {"f": "**"}


def test_replace_missing_field_leaves_the_event(engine):
    assert one('replace("a", with="b", field=f, as=g)', {"h": "a"}, engine) == {"h": "a"}


def test_replace_assignment_and_field_forms(engine):
    assert one('x := replace("a", with="b", field=f)', {"f": "aa"}, engine) == {
        "f": "aa",
        "x": "bb",
    }
    assert one('f =~ replace("a", with="b")', {"f": "aa"}, engine) == {"f": "bb"}


# --- splitString ------------------------------------------------------------------------


def test_split_string_into_indexed_fields(engine):
    event = {"@rawstring": "2007-01-01 test bar"}
    out = one('part := splitString(field=@rawstring, by=" ")', event, engine)
    assert out == {**event, "part[0]": "2007-01-01", "part[1]": "test", "part[2]": "bar"}


def test_split_string_one_index(engine):
    event = {"@rawstring": "2007-01-01 test bar"}
    out = one('date := splitString(field=@rawstring, by=" ", index=0)', event, engine)
    assert out == {**event, "date": "2007-01-01"}


def test_split_string_by_a_regex(engine):
    # The page: three parts; no empty part before the leading '<'.
    event = {"@rawstring": "<2007-01-01>test;bar"}
    out = one('part := splitString(field=@rawstring, by="[<>;]")', event, engine)
    assert out == {**event, "part[0]": "2007-01-01", "part[1]": "test", "part[2]": "bar"}


def test_split_string_default_output_and_inner_empty_pieces(engine):
    out = one('splitString(field=f, by=",")', {"f": "a,,b,"}, engine)
    assert out == {
        "f": "a,,b,",
        "_splitstring[0]": "a",
        "_splitstring[1]": "",
        "_splitstring[2]": "b",
    }


def test_split_string_whitespace_runs(engine):
    out = one(r'splitString(f, by="\s+")', {"f": "a  b\tc"}, engine)
    assert out == {
        "f": "a  b\tc",
        "_splitstring[0]": "a",
        "_splitstring[1]": "b",
        "_splitstring[2]": "c",
    }


def test_split_string_index_past_the_end_writes_nothing(engine):
    assert one('x := splitString(field=f, by=",", index=5)', {"f": "a,b"}, engine) == {"f": "a,b"}


def test_split_string_no_separator_gives_the_whole_value(engine):
    assert one('x := splitString(field=f, by=",", index=0)', {"f": "abc"}, engine)["x"] == "abc"


def test_split_string_empty_and_missing_values_write_nothing(engine):
    assert one('splitString(field=f, by=",")', {"f": ""}, engine) == {"f": ""}
    assert one('splitString(field=f, by=",")', {"g": "a,b"}, engine) == {"g": "a,b"}


def test_split_string_non_ascii(engine):
    out = one('splitString(field=f, by="・")', {"f": "日本・東京"}, engine)
    assert (out["_splitstring[0]"], out["_splitstring[1]"]) == ("日本", "東京")
    out = one('x := splitString(field=f, by="é", index=1)', {"f": "caféfé"}, engine)
    assert out["x"] == "f"


def test_split_string_index_inside_an_expression(engine):
    query = 'test(splitString(field=f, by="/", index=1) == "b")'
    assert run(query, [{"f": "a/b/c"}, {"f": "a/x"}, {"g": "a/b"}], engine) == [{"f": "a/b/c"}]


# --- split ------------------------------------------------------------------------------


def test_split_an_array_as_the_page_example(engine):
    out = run("split(a)", [{"@id": "1", "a": [1, 2, 3]}], engine)
    assert out == [
        {"@id": "1__0", "a": "1", "_index": "0"},
        {"@id": "1__1", "a": "2", "_index": "1"},
        {"@id": "1__2", "a": "3", "_index": "2"},
    ]


def test_split_array_of_objects_keeps_other_fields(engine):
    event = {
        "type": "PushEvent",
        "payload": {"commits": [{"author": {"email": "ä@x"}}, {"author": {"email": "b@x"}}]},
    }
    out = run("split(payload.commits)", [event], engine)
    assert out == [
        {"type": "PushEvent", "payload.commits.author.email": "ä@x", "_index": "0"},
        {"type": "PushEvent", "payload.commits.author.email": "b@x", "_index": "1"},
    ]


def test_split_then_aggregate_across_elements(engine):
    events = [{"c": [{"u": "x"}, {"u": "y"}]}, {"c": [{"u": "x"}]}]
    out = run("split(c) | groupBy(c.u)", events, engine)
    assert out == [{"c.u": "x", "_count": "2"}, {"c.u": "y", "_count": "1"}]


def test_split_strip_and_default_field(engine):
    event = {"_events": [{"f": "v"}, {"f": "日本", "g": [1]}], "k": "keep"}
    out = run("split(strip=true)", [event], engine)
    assert out == [
        {"k": "keep", "f": "v", "_index": "0"},
        {"k": "keep", "f": "日本", "g[0]": "1", "_index": "1"},
    ]


def test_split_event_without_the_array_passes_unchanged(engine):
    assert run("split(a)", [{"b": "1"}, {"a": "scalar"}], engine) == [{"b": "1"}, {"a": "scalar"}]


def test_split_a_top_level_json_array_after_parse_json(engine):
    event = {"@rawstring": '[{"exampleField": "value"}, {"exampleField": "value2"}]'}
    out = run("parseJson() | split(strip=true) | select([exampleField, _index])", [event], engine)
    assert out == [
        {"exampleField": "value", "_index": "0"},
        {"exampleField": "value2", "_index": "1"},
    ]


# --- urlDecode, base64Decode -------------------------------------------------------------


def test_url_decode(engine):
    # the page: Bar=https%3A%2F%2Fwww.example.com
    event = {"Bar": "https%3A%2F%2Fwww.example.com"}
    assert value('urlDecode("Bar")', event, "_urldecode", engine) == "https://www.example.com"
    assert value('Foo := urlDecode("Bar")', event, "Foo", engine) == "https://www.example.com"
    assert value('urlDecode("Bar", as="Foo")', event, "Foo", engine) == "https://www.example.com"
    assert value("urlDecode(u)", {"u": "caf%C3%A9+%E2%82%AC ü"}, "_urldecode", engine) == "café € ü"
    assert value("urlDecode(u)", {"u": ""}, "_urldecode", engine) == ""
    assert value("urlDecode(u)", {"u": "%ff"}, "_urldecode", engine) == "\ufffd"


def test_url_decode_invalid_escape_gives_no_value(engine):
    for raw in ("100%", "%zz", "%4"):
        assert match("urlDecode(u)", {"u": raw}, engine) == {"u": raw}
    assert match("urlDecode(u)", {"x": "1"}, engine) == {"x": "1"}


def test_base64_decode(engine):
    assert value("base64Decode(b)", {"b": "aGk="}, "_base64Decode", engine) == "hi"
    assert value("base64Decode(b)", {"b": "w6k="}, "_base64Decode", engine) == "é"
    assert value("base64Decode(b)", {"b": "w6k"}, "_base64Decode", engine) == "é"  # no padding
    q = 'd := base64Decode(b, charset="UTF-16LE")'
    assert value(q, {"b": "aABpAA=="}, "d", engine) == "hi"
    q = 'd := base64Decode(b, charset="UTF-16BE")'
    assert value(q, {"b": "AGgAaQ=="}, "d", engine) == "hi"
    q = 'd := base64Decode(b, charset="ISO-8859-1")'
    assert value(q, {"b": "/w=="}, "d", engine) == "ÿ"
    assert value("base64Decode(b)", {"b": ""}, "_base64Decode", engine) == ""


def test_base64_decode_invalid_input(engine):
    # "Characters outside the base encoding alphabet are ignored."
    assert value("base64Decode(b)", {"b": "aG!k="}, "_base64Decode", engine) == "hi"
    # "If the base encoding is invalid, the output field is not created."
    assert match("base64Decode(b)", {"b": "a"}, engine) == {"b": "a"}
    # an invalid code point "is replaced with a placeholder character"
    assert value("base64Decode(b)", {"b": "/w=="}, "_base64Decode", engine) == "\ufffd"
    assert match("base64Decode(b)", {"c": "aGk="}, engine) == {"c": "aGk="}


def test_base64_decode_unknown_charset_warns(engine):
    q = 'base64Decode(b, charset="no-such-set")'
    assert match(q, {"b": "aGk="}, engine) == {"b": "aGk="}
    assert warnings(q, [{"b": "aGk="}], engine) == ["W484"]
