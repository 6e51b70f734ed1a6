"""Functions that real CQL in the corpus uses (builtins/extra.py and
builtins/arrays.py).  Expectations come from the LogScale function pages
(library.humio.com, functions-<name>.html) and are computed by hand; each
test runs on every engine."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError
from cqlmatch.runtime.query import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str) -> list[dict]:
    return cqlmatch.compile(query).run(events, engine=engine)


def match(query: str, event: dict, engine: str) -> dict | None:
    return cqlmatch.compile(query).match(event, engine=engine)


def value(query: str, event: dict, field: str, engine: str) -> str | None:
    out = match(query, event, engine)
    assert out is not None, "the event was dropped"
    return out.get(field)


def warnings(query: str, events: list[dict], engine: str) -> list[str]:
    compiled = cqlmatch.compile(query)
    compiled.run(events, engine=engine)
    return [code for code, _ in compiled.warnings]


# --- unit:convert ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "raw", "expected"),
    [
        ("unit:convert(v)", "514 ms", "0.514"),  # the page's first example
        ("unit:convert(v)", "4KiB", "4096"),  # the page's second example
        ('unit:convert(v, to="G")', "1073741824", "1.073741824"),
        ('unit:convert(v, to="G", binary=true)', "1073741824", "1"),
        ("unit:convert(v, from=Mi, to=Gi)", "2048", "2"),  # corpus form
        ('unit:convert(v, from="M", to="G")', "1500", "1.5"),
        ('unit:convert(v, from="B", to="GB")', "2500000000", "2.5"),
        ("unit:convert(v, to=k)", "-2.5e3", "-2.5"),
        ("unit:convert(v, to=M)", "5 GB", "5000"),
        ("unit:convert(v, to=k)", "1", "0.001"),
        ("unit:convert(v, to=k, binary=true)", "1536B", "1.5"),
        ("unit:convert(v)", "120 kB/min", "2000"),  # a rate, normalized to per second
    ],
)
def test_unit_convert(engine, query, raw, expected):
    assert value(query, {"v": raw}, "v", engine) == expected


def test_unit_convert_writes_as_and_keeps_the_input(engine):
    out = match("unit:convert(v, to=M, as=mb)", {"v": "3000000 B"}, engine)
    assert out == {"v": "3000000 B", "mb": "3"}


def test_unit_convert_keep_unit(engine):
    q = 'SizeMB := unit:convert("SizeBytes", binary=true, from=B, to=M, keepUnit=true)'
    assert value(q, {"SizeBytes": "3145728"}, "SizeMB", engine) == "3MB"
    assert value("unit:convert(v, keepUnit=true)", {"v": "2 kB"}, "v", engine) == "2000B"


def test_unit_convert_rates_normalize_to_seconds(engine):
    q = 'unit:convert(rate, unit="hits")'  # the page's rate example
    assert value(q, {"rate": "150hits/min"}, "rate", engine) == "2.5"
    assert value(q, {"rate": "3600hits/h"}, "rate", engine) == "1"
    q = 'unit:convert(rate, unit="hits", to="hits/h", keepUnit=true)'
    assert value(q, {"rate": "25hits/s"}, "rate", engine) == "90000hits/h"


def test_unit_convert_no_value(engine):
    event = {"v": "not a size"}
    assert match("unit:convert(v, to=k)", event, engine) == event
    assert match("unit:convert(missing, to=k, as=out)", {"a": "1"}, engine) == {"a": "1"}
    assert match("unit:convert(v, to=k)", {"v": ""}, engine) == {"v": ""}


def test_unit_convert_incompatible_units_warn(engine):
    assert value('unit:convert(v, to="MB")', {"v": "3 s"}, "v", engine) == "3 s"
    assert "W480" in warnings('unit:convert(v, to="MB")', [{"v": "3 s"}], engine)


# --- formatDuration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "raw", "expected"),
    [
        ("formatDuration(duration)", "23452553", "6h30m52s553ms"),  # the page's example
        ("formatDuration(duration, precision=3)", "23452553", "6h30m52s"),
        ("formatDuration(duration, precision=1)", "23452553", "6h"),
        ("formatDuration(duration, from=s)", "90061", "1d1h1m1s"),
        ("formatDuration(duration, from=m)", "1500", "1d1h"),
        ("formatDuration(duration, from=ns)", "1001", "1us1ns"),
        ("formatDuration(duration, from=us)", "1000", "1ms"),
        ("formatDuration(duration, from=d)", "3", "3d"),
        ("formatDuration(duration)", "0", "0ms"),
        ("formatDuration(duration)", "-61000", "-1m1s"),
        ("formatDuration(duration)", "3600001", "1h1ms"),  # zero units left out
        ("formatDuration(duration, precision=2)", "3600001", "1h"),
    ],
)
def test_format_duration(engine, query, raw, expected):
    assert value(query, {"duration": raw}, "duration", engine) == expected


def test_format_duration_as_and_assignment(engine):
    out = match("formatDuration(t, from=ms, precision=4, as=pretty)", {"t": "61001"}, engine)
    assert out == {"t": "61001", "pretty": "1m1s1ms"}
    assert value("x := formatDuration(t)", {"t": "1000"}, "x", engine) == "1s"


def test_format_duration_needs_an_integer(engine):
    # "If you have a floating point input value, the value will not be converted."
    for raw in ("1.5", "", "abc", "1e3"):
        assert value("formatDuration(t)", {"t": raw}, "t", engine) == raw
    assert match("formatDuration(t, as=x)", {"u": "1"}, engine) == {"u": "1"}


def test_format_duration_rejects_unknown_units():
    with pytest.raises(CQLCompileError):
        cqlmatch.compile("formatDuration(t, from=fortnight)")


# --- shannonEntropy --------------------------------------------------------------------


def test_shannon_entropy(engine):
    # the page: example.com gives (rounded) 3.095795
    entropy = float(
        value("entropy := shannonEntropy(dns_name)", {"dns_name": "example.com"}, "entropy", engine)
    )
    assert round(entropy, 6) == 3.095795
    assert value("shannonEntropy(s)", {"s": "aabb"}, "_shannonentropy", engine) == "1"
    assert value("shannonEntropy(s)", {"s": "abcd"}, "_shannonentropy", engine) == "2"
    assert value("shannonEntropy(s)", {"s": "aaaa"}, "_shannonentropy", engine) == "0"
    assert value("shannonEntropy(s)", {"s": ""}, "_shannonentropy", engine) == "0"
    # 日 and 本 twice, 語 once: -(2 * 0.4 log2 0.4 + 0.2 log2 0.2) = 1.521928...
    entropy = float(value("shannonEntropy(s)", {"s": "日本語日本"}, "_shannonentropy", engine))
    assert round(entropy, 6) == 1.521928
    assert match("shannonEntropy(s)", {"t": "x"}, engine) == {"t": "x"}


def test_shannon_entropy_in_a_filter(engine):
    events = [{"id": "1", "d": "aaaaaaaa"}, {"id": "2", "d": "x7Kq9Zp2"}]
    rows = run("shannonEntropy(d) | test(_shannonentropy >= 2)", events, engine)
    assert [r["id"] for r in rows] == ["2"]


# --- percentile, stdDev, range ---------------------------------------------------------


def _numbers(field: str, values) -> list[dict]:
    return [{field: str(v)} for v in values]


def test_percentile_defaults(engine):
    rows = run("percentile(field=v)", _numbers("v", [12, 25, 50, 99]), engine)
    # nearest rank: ceil(p/100 * 4) -> ranks 2, 3, 4
    assert rows == [{"_50": "25", "_75": "50", "_99": "99"}]


def test_percentile_names_and_as_prefix(engine):
    events = _numbers("time", range(1, 101))
    rows = run("percentile(time, percentiles=[50, 90, 99.9, 100], as=rt)", events, engine)
    assert rows == [{"rt_50": "50", "rt_90": "90", "rt_99.9": "100", "rt_100": "100"}]


def test_percentile_in_group_by(engine):
    events = [
        {"core": "a", "cpu": "10"},
        {"core": "a", "cpu": "30"},
        {"core": "b", "cpu": "7"},
        {"core": "a", "cpu": "20"},
    ]
    q = "groupBy(core, function=percentile(field=cpu, percentiles=[95], as=p95_cpu))"
    assert run(q, events, engine) == [
        {"core": "a", "p95_cpu_95": "30"},
        {"core": "b", "p95_cpu_95": "7"},
    ]


def test_percentile_skips_missing_negative_and_text(engine):
    events = [{"v": "-5"}, {"v": "n/a"}, {"w": "1"}, {"v": "1.5"}, {"v": "3"}]
    q = "percentile(v, percentiles=[0, 50, 100])"
    assert run(q, events, engine) == [{"_0": "1.5", "_50": "1.5", "_100": "3"}]
    assert "W482" in warnings(q, events, engine)
    assert run(q, [{"v": "x"}], engine) == []


def test_std_dev(engine):
    assert run("stdDev(v)", _numbers("v", [2, 4, 4, 4, 5, 5, 7, 9]), engine) == [{"_stddev": "2"}]
    assert run("stdDev(v)", _numbers("v", [42]), engine) == [{"_stddev": "0"}]
    # the page's bytes_sent example; population standard deviation
    sent = [1450, 8920, 1670, 12900, 1560, 780, 9340, 9230, 1340, 4450]
    rows = run("stdDevBytes := stdDev(field=bytes_sent)", _numbers("bytes_sent", sent), engine)
    assert abs(float(rows[0]["stdDevBytes"]) - 4257.5514089673) < 1e-6
    assert run("stdDev(v)", [{"v": "x"}, {"w": "1"}], engine) == []


def test_range(engine):
    # the page's responsetime example
    times = [0.125, 2.543, 0.891, 1.234, 3.456, 0.567, 1.789, 0.234]
    assert run("range(responsetime)", _numbers("responsetime", times), engine) == [
        {"_range": "3.331"}
    ]
    assert run("range(v, as=r)", _numbers("v", [-3, 7, 2]), engine) == [{"r": "10"}]
    assert run("range(v)", _numbers("v", [5]), engine) == [{"_range": "0"}]


def test_aggregates_side_by_side(engine):
    events = _numbers("v", [1, 2, 3, 4])
    q = "groupBy(g, function=[stdDev(v), range(v), count()])"
    grouped = [dict(e, g="x") for e in events]
    assert run(q, grouped, engine) == [
        {"g": "x", "_stddev": "1.118033988749895", "_range": "3", "_count": "4"}
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


# --- concatArray and array: functions ----------------------------------------------------


def test_concat_array(engine):
    event = {"server": ["a", "b", "c"]}
    assert value("concatArray(server)", event, "_concatArray", engine) == "abc"
    q = 'concatArray(server, separator=", ", prefix="[", suffix="]", as=all)'
    assert value(q, event, "all", engine) == "[a, b, c]"
    assert value("concatArray(server, from=1)", event, "_concatArray", engine) == "bc"
    assert value("concatArray(server, from=0, to=1)", event, "_concatArray", engine) == "ab"
    assert value('concatArray("server[]", separator="|")', event, "_concatArray", engine) == "a|b|c"


def test_concat_array_stops_at_a_gap(engine):
    # "if only index 0, 1 and 3 are present, only index 0 and 1 are concatenated"
    event = {"x[0]": "a", "x[1]": "b", "x[3]": "d"}
    assert value("concatArray(x)", event, "_concatArray", engine) == "ab"
    # "If the first index is missing, no field is added to the event."
    assert match("concatArray(x)", {"x[1]": "b"}, engine) == {"x[1]": "b"}
    assert match("concatArray(x, from=5)", event, engine) == event
    assert value("concatArray(x)", {"x": ["", "é"]}, "_concatArray", engine) == "é"


def test_array_length(engine):
    # the page's examples
    assert (
        value(
            'array:length("animals[]")', {"animals": ["horse", "duck", "bunny"]}, "_length", engine
        )
        == "3"
    )
    gap = {"animals[0]": "horse", "animals[1]": "duck", "animals[3]": "bunny"}
    assert value('array:length("animals[]")', gap, "_length", engine) == "2"
    assert value('array:length("#kind")', {"#kind": "logs"}, "_length", engine) == "0"
    objects = {"a": [{"x": "1"}, {"x": "2"}]}
    assert value('n := array:length("a[]")', objects, "n", engine) == "2"


def test_array_length_in_an_expression(engine):
    q = 'index := array:length("foo[]")-1 | fieldName := format("foo[%s]", field=[index]) | getField(fieldName, as=result)'
    out = match(q, {"foo": ["a", "b", "c", "d"]}, engine)
    assert out["index"] == "3"
    assert out["result"] == "d"


def test_array_exists_with_a_filter_call(engine):
    events = [
        {"id": "1", "a": ["1", "2"]},
        {"id": "2", "a": ["1", "3"]},
        {"id": "3", "a": ["1", "4"]},
    ]
    rows = run('array:exists(array="a[]", condition=in(a, values=[3, 4]))', events, engine)
    assert [r["id"] for r in rows] == ["2", "3"]
    assert rows[0] == {"id": "2", "a[0]": "1", "a[1]": "3"}  # the variable a is not kept


def test_array_exists_var_and_other_fields(engine):
    events = [
        {"id": "1", "a": ["1", "2"], "b": "4"},
        {"id": "2", "a": ["1", "3"], "b": "4"},
        {"id": "3", "a": ["1", "4"], "b": "3"},
    ]
    q = 'array:exists(array="a[]", var=x, condition=test((x == 3 or x == 4) and x >= b))'
    assert [r["id"] for r in run(q, events, engine)] == ["3"]


def test_array_exists_corpus_form(engine):
    q = 'array:exists(array="Vendor.inferences[]", condition=in(field=Vendor.inferences, values=["ks", "auto"], ignoreCase=true))'
    assert match(q, {"Vendor": {"inferences": ["X", "KS"]}}, engine) is not None
    assert match(q, {"Vendor": {"inferences": ["x"]}}, engine) is None
    assert match(q, {"Vendor": {"other": "ks"}}, engine) is None


def test_array_filter(engine):
    # the page's example
    event = {"mailto": ["foo@example.com", "bar@example.com", "baz@example.com"]}
    q = 'array:filter(array="mailto[]", var="addr", function={addr=ba*@example.com}, asArray="out[]")'
    out = match(q, event, engine)
    assert out["out[0]"] == "bar@example.com"
    assert out["out[1]"] == "baz@example.com"
    assert "out[2]" not in out
    assert out["mailto[0]"] == "foo@example.com"  # the input array stays


def test_array_filter_in_place_renumbers(engine):
    event = {"Foo": ["x", "", "z", ""]}
    out = match('array:filter(array="Foo[]", var="x", function={x!=""})', event, engine)
    assert out == {"Foo[0]": "x", "Foo[1]": "z"}
    q = 'array:filter(array="f[]", function={x=/\\.(exe|dll)/i}, var=x)'
    out = match(q, {"f": ["a.EXE", "b.txt", "c.dll", "dé.exe"]}, engine)
    assert out == {"f[0]": "a.EXE", "f[1]": "c.dll", "f[2]": "dé.exe"}
    assert match(
        'array:filter(array="f[]", function={false}, var=x)', {"f": ["a"], "g": "1"}, engine
    ) == {"g": "1"}
    assert match('array:filter(array="f[]", function={x=1}, var=x)', {"g": "1"}, engine) == {
        "g": "1"
    }


def test_array_drop(engine):
    # the page's example: a[42] is past the gap and stays
    event = {
        "a[0]": "Dog",
        "a[1]": "Cat",
        "a[42]": "Horse",
        "b[0]": "Cat",
        "c[0]": "Horse",
        "animal": "cow",
    }
    out = match('array:drop("a[]")', event, engine)
    assert out == {"a[42]": "Horse", "b[0]": "Cat", "c[0]": "Horse", "animal": "cow"}
    assert match('array:drop("zzz[]")', {"x": "1"}, engine) == {"x": "1"}
    nested = {"a": [{"x": "1"}, {"x": "2"}], "k": "v"}
    assert match('array:drop("a[]")', nested, engine) == {"k": "v"}


# --- lowercase, parseInt, math:floor, bitfield:extractFlags --------------------------------


def test_lowercase(engine):
    # the page: Bar=CONTENTS gives contents in Bar
    assert match('lowercase("Bar")', {"Bar": "CONTENTS"}, engine) == {"Bar": "contents"}
    out = match('lowercase("BAR", include="fields")', {"BAR": "CONTENTS"}, engine)
    assert out == {"BAR": "CONTENTS", "bar": "CONTENTS"}
    out = match('lowercase("BAR", include="both")', {"BAR": "CONTENTS"}, engine)
    assert out == {"BAR": "CONTENTS", "bar": "contents"}
    out = match('lowercase("*", include="both")', {"A": "X", "ÄB": "ÖÜ"}, engine)
    assert out == {"a": "x", "äb": "öü"}
    assert match("lowercase([a, b])", {"a": "X", "c": "Y"}, engine) == {"a": "x", "c": "Y"}


def test_lowercase_then_count_distinct(engine):
    events = [{"UserName": "Alice"}, {"UserName": "ALICE"}, {"UserName": "bob"}]
    q = 'lowercase("UserName") | count(UserName, distinct=true)'
    assert run(q, events, engine) == [{"_count": "2"}]


@pytest.mark.parametrize(
    ("query", "raw", "expected"),
    [
        ("parseInt(v)", "FF", "255"),  # the page: FF to 255 with radix 16
        ("parseInt(v, radix=8)", "77", "63"),  # the page: 77 to 63 with radix 8
        ('parseInt(v, radix="16", endian="little")', "8001", "384"),  # (1*256)+128
        ('parseInt(v, radix="16", endian="big")', "8001", "32769"),  # (128*256)+1
        ("parseInt(v)", "0x1f", "31"),
        ("parseInt(v)", "16#ff", "255"),
        ("parseInt(v, radix=2)", "1010", "10"),
        ("parseInt(v, radix=36)", "zz", "1295"),
        ("parseInt(v, radix=10)", "0042", "42"),
        ("parseInt(v, endian=little)", "801", "264"),  # padded to 0801
        ("parseInt(v)", "FFFFFFFFFFFFFFFF", "18446744073709551615"),  # unsigned
    ],
)
def test_parse_int(engine, query, raw, expected):
    assert value(query, {"v": raw}, "v", engine) == expected


def test_parse_int_invalid_and_as(engine):
    for raw in ("", "-1", "12g", "1_0", " 1"):
        assert value("parseInt(v)", {"v": raw}, "v", engine) == raw
    assert value("parseInt(v, radix=2)", {"v": "102"}, "v", engine) == "102"
    out = match('parseInt("k", as=key_length, radix=10)', {"k": "2048"}, engine)
    assert out == {"k": "2048", "key_length": "2048"}
    assert match("parseInt(v, as=x)", {"w": "1"}, engine) == {"w": "1"}
    assert warnings("parseInt(v, radix=40)", [{"v": "1"}], engine) == ["W485"]


def test_math_floor(engine):
    assert value("math:floor(x, as=r)", {"x": "3.7"}, "r", engine) == "3"  # the page
    assert value("math:floor(x)", {"x": "-3.2"}, "_floor", engine) == "-4"
    assert value("math:floor(x)", {"x": "5"}, "_floor", engine) == "5"
    assert value('File_Age := math:floor("age")', {"age": "2.999"}, "File_Age", engine) == "2"
    assert match("math:floor(x)", {"x": "abc"}, engine) == {"x": "abc"}
    assert match("math:floor(x)", {"y": "1"}, engine) == {"y": "1"}


def test_bitfield_extract_flags(engine):
    # the page: flags=8 has ErrorFlag (bit 3) set and WarningFlag (bit 0) clear
    q = "bitfield:extractFlags(field=flags, output=[[3, ErrorFlag], [0, WarningFlag]])"
    out = match(q, {"flags": "8"}, engine)
    assert out == {"flags": "8", "ErrorFlag": "true", "WarningFlag": "false"}
    assert [
        r["flags"] for r in run(q + " | ErrorFlag=true", [{"flags": "8"}, {"flags": "1"}], engine)
    ] == ["8"]


def test_bitfield_extract_flags_only_true(engine):
    # the page: 1234 is 10011010010, bits 1, 4, 6, 7 and 10
    q = (
        'bitfield:extractFlags(field="M", onlyTrue=true, output=[[0, B0], [1, B1], [4, B4], '
        "[6, B6], [7, B7], [10, B10], [12, B12]])"
    )
    out = match(q, {"M": "1234"}, engine)
    assert out == {
        "M": "1234",
        "B1": "true",
        "B4": "true",
        "B6": "true",
        "B7": "true",
        "B10": "true",
    }


def test_bitfield_extract_flags_edges(engine):
    q = "bitfield:extractFlags(field=f, output=[[63, Top], [0, Low]])"
    assert match(q, {"f": "-1"}, engine) == {"f": "-1", "Top": "true", "Low": "true"}
    # more than 64 bits: the lowest 64 are used
    assert match(q, {"f": str(1 << 64)}, engine) == {
        "f": str(1 << 64),
        "Top": "false",
        "Low": "false",
    }
    assert match(q, {"f": "0x8000000000000001"}, engine)["Top"] == "true"
    assert match(q, {"f": "1.5"}, engine) == {"f": "1.5"}
    assert match(q, {"g": "1"}, engine) == {"g": "1"}
    assert warnings("bitfield:extractFlags(field=f, output=[[64, X]])", [{"f": "1"}], engine) == [
        "W488"
    ]


# --- communityId --------------------------------------------------------------------------

_FLOW = "communityId(proto=p, sourceip=s, destinationip=d, sourceport=sp, destinationport=dp)"


def test_community_id_tcp(engine):
    # Community ID spec example: 1.2.3.4:4584 -> 43.3.132.3:3483 over TCP
    event = {"p": "6", "s": "1.2.3.4", "sp": "4584", "d": "43.3.132.3", "dp": "3483"}
    assert value(_FLOW, event, "_community_id", engine) == "1:koNcqhFRD5kb254ZrLsdv630jCM="
    # the protocol may be a keyword, and the reverse direction has the same ID
    back = {"p": "tcp", "s": "43.3.132.3", "sp": "3483", "d": "1.2.3.4", "dp": "4584"}
    assert value(_FLOW, back, "_community_id", engine) == "1:koNcqhFRD5kb254ZrLsdv630jCM="


def test_community_id_without_ports(engine):
    q = "x := communityId(proto=p, sourceip=s, destinationip=d)"
    event = {"p": "udp", "s": "1.2.3.4", "d": "43.3.132.3"}
    assert value(q, event, "x", engine) == "1:7TrrMeH98PrUKC0ySu3RNmpUr48="


def test_community_id_icmp6(engine):
    # baseline vectors of the Community ID spec (ICMPv6 type/code as ports)
    a, b = "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea"
    solicit = {"p": "58", "s": a, "d": b, "sp": "135", "dp": "0"}
    assert value(_FLOW, solicit, "_community_id", engine) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="
    advert = {"p": "58", "s": b, "d": a, "sp": "136", "dp": "0"}
    assert value(_FLOW, advert, "_community_id", engine) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="
    q = "communityId(proto=p, sourceip=s, destinationip=d, icmptype=t, icmpcode=c)"
    other = {"p": "58", "s": b, "d": a, "t": "135", "c": "0"}
    assert value(q, other, "_community_id", engine) == "1:zavyT/cezQr1fmImYCwYnMXbgck="
    one_way = {"p": "58", "s": "3ffe:501:1800:2345::2", "d": "3ffe:507:0:1:200:86ff:fe05:80da"}
    one_way |= {"sp": "3", "dp": "0"}
    assert value(_FLOW, one_way, "_community_id", engine) == "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="


def test_community_id_invalid_input_is_empty(engine):
    base = {"p": "6", "s": "1.2.3.4", "sp": "1", "d": "5.6.7.8", "dp": "2"}
    for bad in ({"s": "1.2.3"}, {"dp": "70000"}, {"p": "nope"}, {"d": "::1"}, {"sp": "x"}):
        assert value(_FLOW, base | bad, "_community_id", engine) == ""
    missing = {k: v for k, v in base.items() if k != "d"}
    assert value(_FLOW, missing, "_community_id", engine) == ""


def test_community_id_seed_changes_the_hash(engine):
    event = {"p": "6", "s": "1.2.3.4", "sp": "4584", "d": "43.3.132.3", "dp": "3483"}
    seeded = value(_FLOW[:-1] + ", seed=1)", event, "_community_id", engine)
    assert seeded.startswith("1:")
    assert seeded != "1:koNcqhFRD5kb254ZrLsdv630jCM="


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


# --- getField, setField -----------------------------------------------------------------------


def test_get_field(engine):
    # the page's example: quoted reads foo, unquoted reads the field foo names
    events = [{"foo": "bar", "bar": "123"}, {"foo": "quux"}]
    rows = run('result := getField("foo")', events, engine)
    assert [r["result"] for r in rows] == ["bar", "quux"]
    rows = run("result := getField(foo)", events, engine)
    assert rows[0]["result"] == "123"
    assert "result" not in rows[1]
    event = {"time-in-ms": "5", "host-name": "h1"}
    assert value('getField("time-in-ms")', event, "_getField", engine) == "5"
    q = 'host := coalesce([getField("host-name"), hostname, "unknown"])'
    assert value(q, event, "host", engine) == "h1"


def test_set_field(engine):
    # the page's example
    q = (
        'item := 4 | bar := "baz" | setField(target=bar, value=item + 10) '
        '| setField(target="foo", value=item + 20) '
        '| setField(target="baaz", value=if(item == 4, then="OK", else="not OK"))'
    )
    out = match(q, {}, engine)
    assert (out["baz"], out["foo"], out["baaz"]) == ("14", "24", "OK")
    assert match('setField(target="x", value=missing + 1)', {"a": "1"}, engine) == {"a": "1"}
    assert match("setField(target=missing, value=1)", {"a": "1"}, engine) == {"a": "1"}


# --- time: ------------------------------------------------------------------------------------

# 2025-08-27T08:51:51.312Z, the pages' example timestamp, a Wednesday
_T = "1756284711312"


@pytest.mark.parametrize(
    ("function", "output", "expected"),
    [
        ("time:dayOfMonth", "_dayOfMonth", "27"),
        ("time:dayOfWeek", "_dayOfWeek", "3"),
        ("time:dayOfWeekName", "_dayOfWeekName", "Wednesday"),
        ("time:dayOfYear", "_dayOfYear", "239"),
        ("time:hour", "_hour", "8"),
        ("time:millisecond", "_millisecond", "312"),
        ("time:minute", "_minute", "51"),
        ("time:month", "_month", "8"),
        ("time:monthName", "_monthName", "August"),
        ("time:second", "_second", "51"),
        ("time:weekOfYear", "_weekOfYear", "35"),
        ("time:year", "_year", "2025"),
    ],
)
def test_time_parts(engine, function, output, expected):
    assert value(f"{function}()", {"@timestamp": _T}, output, engine) == expected
    assert value(f"x := {function}(ts)", {"ts": _T}, "x", engine) == expected


def test_time_parts_zones(engine):
    event = {"@timestamp": _T}
    assert value('time:hour(timezone="+02:00")', event, "_hour", engine) == "10"
    assert value('time:hour(timezone="America/New_York")', event, "_hour", engine) == "4"
    assert (
        value('time:dayOfWeekName(timezone="-09:00")', event, "_dayOfWeekName", engine) == "Tuesday"
    )
    # the zone in @timezone is used when no timezone is given
    with_zone = event | {"@timezone": "Asia/Tokyo"}
    assert value("time:hour()", with_zone, "_hour", engine) == "17"
    assert value('time:hour(timezone="UTC")', with_zone, "_hour", engine) == "8"


def test_time_parts_falcon_timestamp_and_bad_input(engine):
    # @timestamp falls back to Falcon's timestamp
    assert value("time:year()", {"timestamp": "0"}, "_year", engine) == "1970"
    assert value("time:dayOfWeek()", {"timestamp": "-1"}, "_dayOfWeek", engine) == "3"  # 1969-12-31
    assert match("time:hour(t)", {"t": "soon"}, engine) == {"t": "soon"}
    assert match("time:hour(t)", {"u": _T}, engine) == {"u": _T}
    assert match('time:hour(timezone="Mars/Olympus")', {"@timestamp": _T}, engine) == {
        "@timestamp": _T
    }
    assert warnings('time:hour(timezone="Mars/Olympus")', [{"@timestamp": _T}], engine) == ["W487"]


def test_time_parts_group_by(engine):
    events = [{"@timestamp": str(int(_T) + d * 86_400_000)} for d in range(8)]
    rows = run("dayOfWeek := time:dayOfWeekName() | groupBy(dayOfWeek)", events, engine)
    assert [r["dayOfWeek"] for r in rows] == [
        "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday",
    ]  # fmt: skip
    assert rows[0]["_count"] == "2"


# --- findTimestamp --------------------------------------------------------------------------------


def test_find_timestamp(engine):
    raw = "2017-12-18T20:39:35Z user id=47 logged in"
    out = match("findTimestamp()", {"@rawstring": raw}, engine)
    assert out["@timestamp"] == "1513629575000"
    assert out["@timezone"] == "Z"
    out = match("findTimestamp(field=t)", {"t": "at 2017-12-18 21:39:35.250+01:00 ok"}, engine)
    assert out["@timestamp"] == "1513629575250"
    assert out["@timezone"] == "+01:00"


def test_find_timestamp_zone_from_parameter(engine):
    q = 'findTimestamp(field=t, timezone="UTC", as=when)'
    out = match(q, {"t": "2017/12/18 20:39:35"}, engine)
    assert out["when"] == "1513629575000"
    q = 'findTimestamp(field=t, timezone="Europe/Copenhagen")'
    assert match(q, {"t": "2017-12-18 21:39:35"}, engine)["@timestamp"] == "1513629575000"


def test_find_timestamp_not_found(engine):
    out = match("findTimestamp(field=t)", {"t": "2017-12-18 20:39:35"}, engine)
    assert out["@error"] == "true"  # no zone in the text and none given
    assert "@timestamp" not in out
    assert match("findTimestamp(field=t, addErrors=false)", {"t": "none"}, engine) == {"t": "none"}
    late = "x" * 130 + " 2017-12-18T20:39:35Z"
    assert match("findTimestamp(field=t, addErrors=false)", {"t": late}, engine) == {"t": late}
    bad = "2017-13-45T20:39:35Z"
    assert match("findTimestamp(field=t, addErrors=false)", {"t": bad}, engine) == {"t": bad}
    assert match("findTimestamp(field=t)", {"u": "1"}, engine) == {"u": "1"}


# --- eventSize, eventFieldCount, copyEvent, hash -------------------------------------------------


def test_event_size_and_field_count(engine):
    event = {"@rawstring": "héllo", "a": "xyz", "#type": "t"}
    out = match("eventSize() | eventFieldCount()", event, engine)
    assert out["_eventSize"] == "9"  # héllo is 6 bytes, xyz 3; the tag is not counted
    assert out["_eventFieldCount"] == "3"  # @rawstring, a, _eventSize
    rows = run("eventSize() | _eventSize > 8", [event, {"@rawstring": "x"}], engine)
    assert len(rows) == 1


def test_copy_event(engine):
    rows = run(
        'copyEvent("arrivaltime") | case { #type=arrivaltime | t := "copy" ; * }',
        [{"a": "1"}],
        engine,
    )
    assert rows == [{"a": "1"}, {"a": "1", "#type": "arrivaltime", "t": "copy"}]


def test_hash(engine):
    # MurmurHash3 x86 32-bit of "hello" with seed 0 is 613153351
    assert value("hash(a)", {"a": "hello"}, "_hash", engine) == "613153351"
    assert value("hash(a, limit=10)", {"a": "hello"}, "_hash", engine) == "1"
    same = value("id := hash([a, b])", {"a": "x", "b": "y"}, "id", engine)
    assert same == value("id := hash([a, b])", {"a": "x", "b": "y", "c": "z"}, "id", engine)
    assert same != value("id := hash([a, b])", {"a": "xy", "b": ""}, "id", engine)
    assert value("hash(a, seed=10)", {"a": "hello"}, "_hash", engine) != "613153351"
    assert 0 <= int(value("hash(a)", {"a": "日本"}, "_hash", engine)) <= 4294967295
    assert match("hash(a)", {"b": "1"}, engine) == {"b": "1"}


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


# --- neighbor, transpose -------------------------------------------------------------------------

_KEYS = [{"key": k} for k in "aabc"]


def test_neighbor_preceding(engine):
    # the page's example 1
    rows = run("head() | neighbor(key, prefix=prev)", _KEYS, engine)
    assert [r.get("prev.key") for r in rows] == [None, "a", "a", "b"]


def test_neighbor_succeeding_and_distance(engine):
    rows = run("head() | neighbor(key, prefix=succ, direction=succeeding)", _KEYS, engine)
    assert [r.get("succ.key") for r in rows] == ["a", "b", "c", None]
    rows = run("head() | neighbor(key, prefix=prev, distance=2)", _KEYS, engine)
    assert [r.get("prev.key") for r in rows] == [None, None, "a", "a"]
    rows = run("neighbor([key, missing])", _KEYS, engine)
    assert rows[1] == {"key": "a", "_neighbor.key": "a"}


def test_neighbor_compare_rows(engine):
    events = [
        {"UserHash": "u1", "LogonTime": "100"},
        {"UserHash": "u1", "LogonTime": "160"},
        {"UserHash": "u2", "LogonTime": "170"},
    ]
    q = (
        "sort(LogonTime, order=asc) | neighbor([LogonTime, UserHash], prefix=prev) "
        "| test(UserHash==prev.UserHash) | LogonDelta := LogonTime - prev.LogonTime"
    )
    rows = run(q, events, engine)
    assert [(r["UserHash"], r["LogonDelta"]) for r in rows] == [("u1", "60")]


def test_transpose(engine):
    # the page's example: groupBy(loglevel) | transpose()
    rows = [
        {"loglevel": "ERROR", "_count": "2"},
        {"loglevel": "WARN", "_count": "400"},
        {"loglevel": "INFO", "_count": "200"},
    ]
    out = run("transpose()", rows, engine)
    assert out == [
        {"column": "_count", "row[1]": "2", "row[2]": "400", "row[3]": "200"},
        {"column": "loglevel", "row[1]": "ERROR", "row[2]": "WARN", "row[3]": "INFO"},
    ]
    assert run("transpose(header=loglevel)", rows, engine) == [
        {"column": "_count", "ERROR": "2", "WARN": "400", "INFO": "200"}
    ]
    assert run("transpose(loglevel)", rows, engine) == [
        {"loglevel": "_count", "ERROR": "2", "WARN": "400", "INFO": "200"}
    ]


def test_transpose_limit_and_column(engine):
    rows = [{"n": str(i)} for i in range(1, 8)]
    out = run("transpose(column=Field)", rows, engine)
    assert out == [{"Field": "n", **{f"row[{i}]": str(i) for i in range(1, 6)}}]  # limit 5
    out = run("transpose(limit=1000)", rows, engine)
    assert out[0]["row[7]"] == "7"
    assert run("transpose()", [], engine) == []


def test_stages_stop_match(engine):
    # match() stops before the first whole-stream stage
    assert match("x := 1 | neighbor(key)", {"key": "a"}, engine) == {"key": "a", "x": "1"}
    assert match("x := 1 | percentile(key)", {"key": "1"}, engine) == {"key": "1", "x": "1"}
