"""concatArray and the array: functions (functions/arrays.py), written from
the LogScale function pages with hand-computed results.  Every test runs
on each engine."""

from __future__ import annotations

from .helpers import match, run, value

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
